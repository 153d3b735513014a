/*
 * test_import_ddl.c — the DDL conversion of `sqlpilot datagen import`
 * (datagen/import/import_ddl.c) on hand-written CockroachDB, MySQL and
 * PostgreSQL table texts: types in format_type() spelling, serial forms,
 * ENUM, keys and indexes, what is dropped, what is refused and why, and the
 * pg_dump and CockroachDB texts the renderer makes of the result.
 */
#include <stdlib.h>
#include <string.h>

#include "../datagen/import.h"
#include "schema.h"
#include "tap.h"

/* Converts texts; returns 0 or -1 (err gets the reason). */
static int
conv(const char *const *texts, int n, DatagenSchema *s, DatagenImportForms *f, char *err)
{
	memset(f, 0, sizeof(*f));
	err[0] = '\0';
	return datagen_import_schema(texts, n, s, f, err, 256);
}

/* The column named name of table t, or NULL. */
static const SqlpilotColumn *
col(const SqlpilotTable *t, const char *name)
{
	for (int i = 0; i < t->n_columns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

/* True when column name of t has type type. */
static bool
col_type(const SqlpilotTable *t, const char *name, const char *type)
{
	const SqlpilotColumn *c = col(t, name);

	if (!c || strcmp(c->type, type) != 0)
	{
		tap_diag("%s: %s", name, c ? c->type : "(missing)");
		return false;
	}
	return true;
}

/* True when the rendered text of s in style contains needle. */
static bool
renders(const DatagenSchema *s, SqlpilotDdlStyle style, const char *needle)
{
	char	   *text = sqlpilot_schema_render(s->tables, s->n_tables, style, NULL, NULL);
	bool		ok = text && strstr(text, needle) != NULL;

	if (!ok)
		tap_diag("no \"%s\" in:\n%s", needle, text ? text : "(null)");
	free(text);
	return ok;
}

/* CockroachDB SHOW CREATE TABLE text. */
static void
test_crdb(void)
{
	const char *t[] = {
		"CREATE TABLE customers (\n"
		"\tid INT8 NOT NULL DEFAULT unique_rowid(),\n"
		"\tname STRING NOT NULL,\n"
		"\temail STRING(100) NULL,\n"
		"\tphoto BYTES NULL,\n"
		"\tscore FLOAT8 NULL,\n"
		"\tcreated_at TIMESTAMPTZ NULL DEFAULT now():::TIMESTAMPTZ,\n"
		"\ttoken UUID NOT NULL DEFAULT gen_random_uuid(),\n"
		"\tCONSTRAINT \"primary\" PRIMARY KEY (id ASC),\n"
		"\tUNIQUE INDEX customers_email_key (email ASC),\n"
		"\tINDEX customers_name_idx (name DESC) STORING (email),\n"
		"\tINVERTED INDEX customers_photo_idx (photo),\n"
		"\tFAMILY \"primary\" (id, name, email, photo, score, created_at, token)\n"
		")"
	};
	DatagenSchema s;
	DatagenImportForms f;
	char		err[256];
	const SqlpilotTable *c;

	if (!tap_ok(conv(t, 1, &s, &f, err) == 0, "CockroachDB table converts (%s)", err))
		return;
	c = &s.tables[0];
	tap_ok(s.n_tables == 1 && strcmp(c->name, "customers") == 0 && c->fold_case &&
		   strcmp(c->schema, "public") == 0, "one table, public, fold_case");
	tap_ok(col_type(c, "id", "bigint") && col_type(c, "name", "text") &&
		   col_type(c, "email", "character varying(100)") && col_type(c, "photo", "bytea") &&
		   col_type(c, "score", "double precision") &&
		   col_type(c, "created_at", "timestamp with time zone") && col_type(c, "token", "uuid"),
		   "INT8 STRING STRING(100) BYTES FLOAT8 TIMESTAMPTZ UUID in format_type() spelling");
	tap_ok(col(c, "id")->default_expr && strncmp(col(c, "id")->default_expr, "nextval(", 8) == 0 &&
		   col(c, "id")->not_null, "DEFAULT unique_rowid() becomes a serial column");
	tap_ok(strcmp(col(c, "created_at")->default_expr, "now()") == 0, "the ::: cast of a default is dropped");
	tap_ok(strcmp(col(c, "token")->default_expr, "gen_random_uuid()") == 0, "gen_random_uuid() kept");
	tap_ok(c->n_indexes == 3 && c->indexes[0].primary && c->indexes[0].name == NULL &&
		   c->indexes[0].n_cols == 1 && strcmp(c->indexes[0].cols[0], "id") == 0,
		   "CONSTRAINT \"primary\" PRIMARY KEY (id ASC): the key first, its name left to the renderer");
	tap_ok(c->indexes[1].unique && !c->indexes[1].is_constraint &&
		   strcmp(c->indexes[1].name, "customers_email_key") == 0, "UNIQUE INDEX kept as a unique index");
	tap_ok(!c->indexes[2].unique && c->indexes[2].desc[0] &&
		   strcmp(c->indexes[2].name, "customers_name_idx") == 0, "INDEX (name DESC) kept, STORING dropped");
	tap_ok(f.n[IMPORT_FORM_CRDB_TYPE] >= 5 && f.n[IMPORT_FORM_UNIQUE_ROWID] == 1 &&
		   f.n[IMPORT_FORM_CRDB_CAST] == 1 && f.n[IMPORT_FORM_FAMILY] == 1 &&
		   f.n[IMPORT_FORM_INDEX_DROPPED] == 1 && f.n[IMPORT_FORM_STORING] == 1 &&
		   f.n[IMPORT_FORM_INLINE_INDEX] == 2 && f.n[IMPORT_FORM_KEY_ORDER] >= 2,
		   "the forms are counted");
	tap_ok(renders(&s, SQLPILOT_DDL_PGDUMP, "CREATE INDEX customers_name_idx ON public.customers USING btree (name DESC);") &&
		   renders(&s, SQLPILOT_DDL_PGDUMP, "id bigserial"),
		   "pg_dump text: a separate CREATE INDEX, bigserial");
	tap_ok(renders(&s, SQLPILOT_DDL_CRDB, "\tid INT8 NOT NULL DEFAULT unique_rowid(),\n\tname STRING NOT NULL,\n"
				   "\temail VARCHAR(100) NULL,\n\tphoto BYTES NULL,"),
		   "CockroachDB text as SHOW CREATE TABLE writes it");
	datagen_schema_free(&s);
}

/* MySQL: backquotes, AUTO_INCREMENT, ENUM, ON UPDATE, COMMENT, KEY, table options, FK to another entry. */
static void
test_mysql(void)
{
	const char *t[] = {
		"CREATE TABLE IF NOT EXISTS `Orders` (\n"
		"  `order_id` INT(11) NOT NULL AUTO_INCREMENT,\n"
		"  `customer_id` INT UNSIGNED,\n"
		"  `status` ENUM('new','paid') DEFAULT 'new',\n"
		"  `placed` DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n"
		"  `note` LONGTEXT COMMENT 'free text' COLLATE utf8mb4_bin,\n"
		"  `total` DOUBLE,\n  `flag` TINYINT(1), `pic` BLOB,\n"
		"  PRIMARY KEY (`order_id`),\n"
		"  KEY idx_customer (`customer_id`),\n"
		"  FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE SET NULL\n"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;",
		"CREATE DATABASE shop; USE shop;\nCREATE TABLE customers (id SERIAL PRIMARY KEY, name VARCHAR(50));\n"
		"CREATE UNIQUE INDEX customers_name ON customers (name);"
	};
	DatagenSchema s;
	DatagenImportForms f;
	char		err[256];
	const SqlpilotTable *o;

	if (!tap_ok(conv(t, 2, &s, &f, err) == 0, "MySQL tables convert (%s)", err))
		return;
	o = &s.tables[0];
	tap_ok(s.n_tables == 2 && strcmp(o->name, "Orders") == 0 && strcmp(s.tables[1].name, "customers") == 0,
		   "backquoted names kept as written; tables in order");
	tap_ok(col_type(o, "order_id", "integer") && col(o, "order_id")->default_expr &&
		   strncmp(col(o, "order_id")->default_expr, "nextval(", 8) == 0, "INT(11) AUTO_INCREMENT: a serial integer");
	tap_ok(col_type(o, "customer_id", "integer") && col_type(o, "placed", "timestamp without time zone") &&
		   col_type(o, "note", "text") && col_type(o, "total", "double precision") &&
		   col_type(o, "flag", "smallint") && col_type(o, "pic", "bytea"),
		   "UNSIGNED, DATETIME, LONGTEXT, DOUBLE, TINYINT(1), BLOB mapped");
	tap_ok(col_type(o, "status", "text") && o->n_checks == 1 &&
		   strcmp(o->checks[0].expr, "status IN ('new','paid')") == 0 &&
		   strcmp(col(o, "status")->default_expr, "'new'") == 0, "ENUM: text with a CHECK, default kept");
	tap_ok(strcmp(col(o, "placed")->default_expr, "CURRENT_TIMESTAMP") == 0, "ON UPDATE dropped, default kept");
	tap_ok(o->n_indexes == 2 && o->indexes[0].primary && strcmp(o->indexes[1].name, "idx_customer") == 0,
		   "PRIMARY KEY and KEY name (cols)");
	tap_ok(o->n_fkeys == 1 && strcmp(o->fkeys[0].ref_table, "customers") == 0 &&
		   strcmp(o->fkeys[0].ref_cols[0], "id") == 0 && strcmp(o->fkeys[0].on_delete, "SET NULL") == 0 &&
		   s.n_links == 1, "foreign key to a table of another entry kept, with its action and a link");
	tap_ok(s.tables[1].n_indexes == 2 && s.tables[1].indexes[1].unique &&
		   strcmp(s.tables[1].indexes[1].name, "customers_name") == 0, "separate CREATE UNIQUE INDEX");
	tap_ok(f.n[IMPORT_FORM_BACKQUOTE] == 1 && f.n[IMPORT_FORM_AUTO_INCREMENT] == 1 &&
		   f.n[IMPORT_FORM_ENUM] == 1 && f.n[IMPORT_FORM_ON_UPDATE] == 1 && f.n[IMPORT_FORM_COMMENT] == 2 &&
		   f.n[IMPORT_FORM_TABLE_OPTIONS] == 1 && f.n[IMPORT_FORM_IF_NOT_EXISTS] == 1 &&
		   f.n[IMPORT_FORM_OTHER_STATEMENT] == 2 && f.n[IMPORT_FORM_MULTI_CREATE] == 1 &&
		   f.n[IMPORT_FORM_CREATE_INDEX] == 1 && f.n[IMPORT_FORM_SERIAL] == 1, "the forms are counted");
	tap_ok(renders(&s, SQLPILOT_DDL_CRDB, "CREATE TABLE public.Orders (") &&
		   renders(&s, SQLPILOT_DDL_PGDUMP, "CHECK ((status IN ('new','paid')))"),
		   "mixed case rendered unquoted (PostgreSQL folds it, as the statements expect)");
	datagen_schema_free(&s);
}

/* PostgreSQL forms and what is dropped: identity, arrays, CHECK, bad foreign keys, duplicates. */
static void
test_pg_and_drops(void)
{
	const char *t[] = {
		"CREATE TABLE Products (ProductID SERIAL PRIMARY KEY, Price DECIMAL(10, 2) CHECK (Price > 0), "
		"Tags TEXT[], Code CHAR, At TIMESTAMP(3) WITH TIME ZONE, Amount DOUBLE PRECISION, "
		"key VARCHAR(20), family INT, CONSTRAINT price_ok CHECK (Price < 1000), CHECK (length(key) > 0))",
		"CREATE TABLE reviews (review_id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
		"product_id INT REFERENCES products(productid), vendor_id INT REFERENCES vendors(id), "
		"price_ref DECIMAL REFERENCES products(price), code_ref UUID REFERENCES products, "
		"total NUMERIC GENERATED ALWAYS AS (review_id * 2) STORED, "
		"PRIMARY KEY (review_id), INDEX (missing_col))",
		"CREATE TABLE products (id INT)"
	};
	DatagenSchema s;
	DatagenImportForms f;
	char		err[256];
	const SqlpilotTable *p,
			   *r;

	if (!tap_ok(conv(t, 3, &s, &f, err) == 0, "PostgreSQL tables convert (%s)", err))
		return;
	p = &s.tables[0];
	r = &s.tables[1];
	tap_ok(s.n_tables == 2 && f.n[IMPORT_FORM_DUPLICATE_TABLE] == 1,
		   "a table defined twice (any case) keeps its first definition");
	tap_ok(col_type(p, "Price", "numeric(10,2)") && col_type(p, "Tags", "text[]") &&
		   col_type(p, "Code", "character(1)") && col_type(p, "At", "timestamp(3) with time zone") &&
		   col_type(p, "Amount", "double precision") && col_type(p, "key", "character varying(20)") &&
		   col_type(p, "family", "integer"),
		   "DECIMAL(10, 2), TEXT[], CHAR, TIMESTAMP(3) WITH TIME ZONE, DOUBLE PRECISION; columns named key and family");
	tap_ok(p->n_checks == 2 && strcmp(p->checks[0].expr, "Price > 0") == 0 &&
		   strcmp(p->checks[1].name, "price_ok") == 0, "column and table CHECKs");
	tap_ok(f.n[IMPORT_FORM_CHECK_DROPPED] == 1, "a CHECK not starting with its column's name is dropped");
	tap_ok(col(r, "review_id")->default_expr != NULL && f.n[IMPORT_FORM_IDENTITY] == 1,
		   "GENERATED ALWAYS AS IDENTITY: serial");
	tap_ok(col(r, "total") && col(r, "total")->default_expr == NULL && f.n[IMPORT_FORM_GENERATED] == 1,
		   "a computed column keeps its column, loses its expression");
	tap_ok(r->n_fkeys == 1 && strcmp(r->fkeys[0].ref_table, "Products") == 0 &&
		   strcmp(r->fkeys[0].ref_cols[0], "ProductID") == 0,
		   "only the foreign key PostgreSQL can build is kept, its names those of the table");
	tap_ok(f.n[IMPORT_FORM_FKEY_NO_TABLE] == 1 && f.n[IMPORT_FORM_FKEY_NOT_KEY] == 2,
		   "foreign keys to a missing table, to a non-key column and of another type are dropped");
	tap_ok(r->n_indexes == 1 && r->indexes[0].primary && f.n[IMPORT_FORM_MULTI_PRIMARY] == 1 &&
		   f.n[IMPORT_FORM_KEY_NO_COLUMN] == 1, "two PRIMARY KEYs make one; an index on a missing column is dropped");
	datagen_schema_free(&s);
}

/* What is refused, each with a stable reason; nothing leaks or crashes on junk. */
static void
test_refused(void)
{
	static const struct
	{
		const char *text;
		const char *reason;
	}			cases[] = {
		{"CREATE TABLE a (id INT); ALTER TABLE a ADD COLUMN b INT;", "ALTER TABLE"},
		{"SHOW CREATE TABLE a;", "no CREATE TABLE"},
		{"Storing information in a SQL database.", "no CREATE TABLE"},
		{"CREATE TABLE a (id INT, name VARCHAR(", "CREATE TABLE cut off"},
		{"CREATE TABLE shop.a (id INT)", "schema-qualified table name"},
		{"CREATE TABLE a (id INT, id INT)", "duplicate column"},
		{"CREATE TABLE a AS SELECT 1", "CREATE TABLE without a column list"},
		{"CREATE TABLE a (id INT REFERENCES b (x, y))", "a REFERENCES clause we cannot read"},
		{"CREATE TABLE a (id INT, FOREIGN KEY (id) REFERENCES)", "a FOREIGN KEY we cannot read"},
		{"CREATE TABLE a (id INT WHATEVER)", "unknown column clause whatever"},
		{"CREATE TABLE a ()", "a table without columns"},
	};
	bool		all = true;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		DatagenSchema s;
		DatagenImportForms f;
		char		err[256];
		int			rc = conv(&cases[i].text, 1, &s, &f, err);

		if (rc == 0 || strcmp(err, cases[i].reason) != 0)
		{
			tap_diag("%s: rc %d, \"%s\"", cases[i].text, rc, err);
			all = false;
		}
		if (rc == 0)
			datagen_schema_free(&s);
	}
	tap_ok(all, "refused schemas give their stable reason");
}

/* LLM slips that are mended: no ';' between tables, a missing comma, literal \n, a foreign key twice. */
static void
test_mended(void)
{
	const char *t[] = {
		"CREATE TABLE a (\\n id INT PRIMARY KEY,\\n b_id INT\\n)\n"
		"CREATE TABLE b (id INT PRIMARY KEY, a_id INT, c_id INT CONSTRAINT c_ref REFERENCES a (id)\n"
		"  FOREIGN KEY (a_id) REFERENCES a(id),\n  FOREIGN KEY (a_id) REFERENCES b(id))\n",
		"CREATE TABLE m (x INT, y INT\n PRIMARY KEY (x, y))"
	};
	DatagenSchema s;
	DatagenImportForms f;
	char		err[256];

	if (!tap_ok(conv(t, 2, &s, &f, err) == 0, "mended tables convert (%s)", err))
		return;
	tap_ok(s.n_tables == 3 && f.n[IMPORT_FORM_MULTI_CREATE] == 1 && f.n[IMPORT_FORM_LITERAL_NEWLINE] == 1,
		   "tables without ';' between them, literal \\n: three tables");
	tap_ok(s.tables[1].n_fkeys == 2 && strcmp(s.tables[1].fkeys[0].cols[0], "c_id") == 0 &&
		   strcmp(s.tables[1].fkeys[1].cols[0], "a_id") == 0 && f.n[IMPORT_FORM_MISSING_COMMA] == 2 &&
		   f.n[IMPORT_FORM_FKEY_TWICE] == 1,
		   "FOREIGN KEY after a column without a comma read; the second on the same column dropped");
	tap_ok(s.tables[2].n_indexes == 1 && s.tables[2].indexes[0].n_cols == 2, "PRIMARY KEY (x, y) without its comma");
	datagen_schema_free(&s);
}

int
main(void)
{
	test_crdb();
	test_mysql();
	test_pg_and_drops();
	test_refused();
	test_mended();
	return tap_done();
}
