/*
 * test_import_oom.c — the DDL conversion of `sqlpilot datagen import`
 * (datagen/import/import_ddl.c) when memory runs out: every allocation it
 * makes (malloc, calloc, realloc, and those inside strdup, strndup and the
 * growable buffer) is made to fail in turn, one per run.  Each run must
 * return -2 with "out of memory" (so import stops and exits 1, rather than
 * counting the schema as one that does not convert), leave the schema empty
 * and free everything it allocated; none may crash.
 *
 * This program replaces malloc, calloc, realloc and free (glibc calls the
 * replacements from strdup and friends too) with ones that forward to
 * glibc's own (__libc_malloc, ...) and, while armed, count allocations, fail
 * the chosen one and track the blocks still live.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../datagen/import.h"
#include "tap.h"

void	   *__libc_malloc(size_t n);
void	   *__libc_calloc(size_t n, size_t size);
void	   *__libc_realloc(void *p, size_t n);
void		__libc_free(void *p);

void	   *malloc(size_t n);
void	   *calloc(size_t n, size_t size);
void	   *realloc(void *p, size_t n);
void		free(void *p);

/* The fault injection: counting while armed, failing allocation fail_at (1-based; 0: none). */
static bool armed = false;
static long n_allocs = 0;
static long fail_at = 0;
static long live = 0;

/* Counts one allocation while armed; whether it is the one to fail (errno set). */
static bool
next_fails(void)
{
	if (!armed)
		return false;
	if (++n_allocs != fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

/* malloc, failing when told. */
void *
malloc(size_t n)
{
	void	   *p = next_fails() ? NULL : __libc_malloc(n);

	if (p && armed)
		live++;
	return p;
}

/* calloc, failing when told. */
void *
calloc(size_t n, size_t size)
{
	void	   *p = next_fails() ? NULL : __libc_calloc(n, size);

	if (p && armed)
		live++;
	return p;
}

/* realloc, failing when told (the old block left as it is). */
void *
realloc(void *p, size_t n)
{
	void	   *q = next_fails() ? NULL : __libc_realloc(p, n);

	if (q && !p && armed)
		live++;
	return q;
}

/* free, counting the blocks released while armed. */
void
free(void *p)
{
	if (p && armed)
		live--;
	__libc_free(p);
}

/* The texts of one schema with every form the converter allocates for. */
static const char *const texts[] = {
	"CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
	"CREATE TABLE customers (\n"
	"\tid INT8 NOT NULL DEFAULT unique_rowid(),\n"
	"\tname STRING NOT NULL,\n"
	"\temail STRING(100) NULL UNIQUE,\n"
	"\tfeeling mood,\n"
	"\tcreated_at TIMESTAMPTZ NULL DEFAULT now():::TIMESTAMPTZ,\n"
	"\tCONSTRAINT \"primary\" PRIMARY KEY (id ASC),\n"
	"\tUNIQUE INDEX customers_email_key (email ASC),\n"
	"\tINDEX customers_name_idx (name DESC) STORING (email),\n"
	"\tFAMILY \"primary\" (id, name, email)\n"
	");",
	"CREATE TABLE `orders` (\n"
	"  `order_id` int(11) NOT NULL AUTO_INCREMENT,\n"
	"  `customer_id` bigint NOT NULL REFERENCES customers ON DELETE CASCADE,\n"
	"  `status` enum('new','paid') DEFAULT 'new',\n"
	"  `total` decimal(10,2) CHECK (total >= 0),\n"
	"  PRIMARY KEY (`order_id`),\n"
	"  KEY `orders_customer_idx` (`customer_id`)\n"
	") ENGINE=InnoDB;\\n"
	"CREATE TABLE items (\n"
	"  order_id INT NOT NULL,\n"
	"  line SMALLINT NOT NULL,\n"
	"  sku VARCHAR(20) NOT NULL,\n"
	"  CONSTRAINT items_pk PRIMARY KEY (order_id, line),\n"
	"  CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (order_id) ON UPDATE NO ACTION,\n"
	"  CONSTRAINT sku_ok CHECK (sku <> '')\n"
	");\n"
	"CREATE UNIQUE INDEX items_sku_idx ON items (sku);",
};

/* Converts texts with allocation fail_at failing (0: none); returns the code, err the reason. */
static int
convert(long fail, DatagenSchema *s, char *err)
{
	DatagenImportForms f = {0};
	int			rc;

	err[0] = '\0';
	n_allocs = 0;
	live = 0;
	fail_at = fail;
	armed = true;
	rc = datagen_import_schema(texts, 2, s, &f, err, 256);
	armed = false;
	return rc;
}

int
main(void)
{
	DatagenSchema s;
	char		err[256];
	long		total;
	long		refused = 0,
				empty = 0,
				clean = 0;
	long		first_bad = 0;

	tap_ok(convert(0, &s, err) == 0 && s.n_tables == 3, "the schema converts when memory is plenty (%s)", err);
	total = n_allocs;
	armed = true;
	datagen_schema_free(&s);
	armed = false;
	tap_ok(live == 0, "and freeing it releases every block it allocated (%ld left)", live);
	tap_ok(total > 100, "the conversion makes %ld allocations", total);

	for (long i = 1; i <= total; i++)
	{
		int			rc = convert(i, &s, err);
		bool		is_empty = s.n_tables == 0 && s.tables == NULL && s.links == NULL;

		refused += rc == -2 && strcmp(err, "out of memory") == 0;
		empty += is_empty;
		clean += live == 0;
		if (!(rc == -2 && strcmp(err, "out of memory") == 0 && is_empty && live == 0) && first_bad == 0)
		{
			first_bad = i;
			tap_diag("allocation %ld failing: rc %d, \"%s\", %d tables, %ld blocks left", i, rc, err,
					 s.n_tables, live);
		}
		if (!is_empty)
			datagen_schema_free(&s);
	}
	tap_ok(refused == total, "each of the %ld allocations failing: -2 \"out of memory\" (%ld did)", total, refused);
	tap_ok(empty == total, "and an empty schema, nothing half-converted (%ld)", empty);
	tap_ok(clean == total, "and every block it allocated freed (%ld runs)", clean);
	return tap_done();
}
