/*
 * test_ground.c — grounding (core/ground.h): the names read from each DDL
 * style core/schema.c renders; the scope and expectation after typed
 * statements (aliases, CTEs, subqueries, UPDATE ... FROM, INSERT INTO t (,
 * DELETE ... USING, quoted mixed-case names); the mask over a vocabulary of
 * single bytes; bad input (unterminated quotes and comments, non-SQL, 1 MB)
 * falling back to free text; and, with the default model through
 * sqlpilot_complete, a fuzz run over random prefixes and the demo shop's two
 * statements of issue #15 with grounding on (asserted) and off (shown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "../eval/eval.h"
#include "ground.h"
#include "model.h"
#include "schema.h"
#include "sql_words.h"
#include "tap.h"
#include "util.h"

/* The demo shop (tools/demo_shop.sql) as CockroachDB's SHOW CREATE TABLE renders it. */
static const char shop[] =
"CREATE TABLE public.customers (\n"
"\tcustomer_id INT8 NOT NULL,\n"
"\temail VARCHAR(255) NOT NULL,\n"
"\tfull_name VARCHAR(100) NOT NULL,\n"
"\tcity VARCHAR(50) NULL,\n"
"\tcreated_at TIMESTAMPTZ NOT NULL\n"
")\n\n"
"CREATE TABLE public.products (\n"
"\tproduct_id INT8 NOT NULL,\n"
"\tsku VARCHAR(20) NOT NULL,\n"
"\tname VARCHAR(100) NOT NULL,\n"
"\tprice DECIMAL(10,2) NOT NULL,\n"
"\tin_stock INT4 NOT NULL\n"
")\n\n"
"CREATE TABLE public.orders (\n"
"\torder_id INT8 NOT NULL,\n"
"\tcustomer_id INT8 NOT NULL,\n"
"\tstatus VARCHAR(20) NOT NULL,\n"
"\tordered_at TIMESTAMPTZ NOT NULL,\n"
"\ttotal DECIMAL(10,2) NULL\n"
")\n\n"
"CREATE TABLE public.order_items (\n"
"\torder_id INT8 NOT NULL,\n"
"\tproduct_id INT8 NOT NULL,\n"
"\tquantity INT4 NOT NULL,\n"
"\tunit_price DECIMAL(10,2) NOT NULL\n"
")\n\n"
"CREATE TABLE public.\"OrderNotes\" (\n"
"\t\"NoteId\" INT8 NOT NULL,\n"
"\tnote STRING NULL\n"
")";

/* ---- names from each DDL style ---- */

static char *idx_cols[] = {"name"};
static bool idx_desc[] = {true};
static char *fk_cols[] = {"org_id"};
static char *fk_ref[] = {"id"};
static SqlpilotColumn t_columns[] = {
	{"id", "bigint", true, "nextval('t_id_seq'::regclass)"},
	{"name", "character varying(50)", false, NULL},
	{"index", "integer", false, NULL},
	{"Mixed Case", "text", true, "'a, (b)'"},
	{"price", "numeric(10,2)", false, "0"}
};
static SqlpilotIndex t_indexes[] = {
	{"t_pkey", true, true, true, 1, fk_ref, idx_desc, NULL},
	{"t_name_idx", false, false, false, 1, idx_cols, idx_desc, NULL}
};
static SqlpilotForeignKey t_fkeys[] = {
	{"t_org_fkey", 1, fk_cols, NULL, "org", fk_ref, NULL, NULL}
};
static SqlpilotCheck t_checks[] = {{"t_price_check", "price > 0"}};

/* Whether the parsed schema has table name with exactly the columns cols[0..n). */
static int
has_table(const SqlpilotGroundSchema *s, const char *name, const char *const *cols, int n)
{
	for (int i = 0; i < sqlpilot_ground_schema_n_tables(s); i++)
	{
		int			nc;
		const char *tn = sqlpilot_ground_schema_table(s, i, NULL, &nc);

		if (strcmp(tn, name) != 0)
			continue;
		if (nc != n)
			return 0;
		for (int j = 0; j < n; j++)
			if (strcmp(sqlpilot_ground_schema_column(s, i, j), cols[j]) != 0)
				return 0;
		return 1;
	}
	return 0;
}

/* Every style core/schema.c renders gives back the table's columns, and only them. */
static void
test_schema_styles(void)
{
	static const char *const cols[] = {"id", "name", "index", "Mixed Case", "price"};
	static const char *const names[] = {"CockroachDB", "pg_dump", "hand-written"};
	SqlpilotTable t = {0};
	uint64_t	rng = 7;

	t.schema = "public";
	t.name = "T1";
	t.n_columns = 5;
	t.columns = t_columns;
	t.n_indexes = 2;
	t.indexes = t_indexes;
	t.n_fkeys = 1;
	t.fkeys = t_fkeys;
	t.n_checks = 1;
	t.checks = t_checks;
	for (int style = 0; style < 3; style++)
	{
		for (int round = 0; round < (style == 2 ? 20 : 1); round++)
		{
			size_t		len;
			char	   *text = sqlpilot_schema_render_table(&t, (SqlpilotDdlStyle) style, &rng, &len);
			SqlpilotGroundSchema *s = sqlpilot_ground_schema_parse(text, len);
			const char *sn = "";
			int			ok = s && sqlpilot_ground_schema_n_tables(s) == 1 &&
				has_table(s, "T1", cols, 5);

			if (ok)
				sqlpilot_ground_schema_table(s, 0, &sn, NULL);
			/* the hand-written style may leave the schema out */
			if (ok && style == 2 && sn[0] == '\0')
				sn = "public";
			if (!ok || strcmp(sn, "public") != 0 || round == 19 || style < 2)
			{
				if (!tap_ok(ok && strcmp(sn, "public") == 0, "%s DDL: table public.\"T1\" with its 5 columns%s",
							names[style], style == 2 ? " (20 random renderings)" : ""))
					tap_diag("%s", text);
				free(text);
				sqlpilot_ground_schema_free(s);
				break;
			}
			free(text);
			sqlpilot_ground_schema_free(s);
		}
	}
	{
		static const char *const vcols[] = {"city", "n"};
		static const char *const wcols[] = {"a", "b"};
		const char *ddl = "create table Foo (A int, \"B\" text, constraint pk primary key (a));\n"
			"CREATE VIEW big_cities AS SELECT c.city, count(*) AS n FROM customers c GROUP BY 1;\n"
			"CREATE OR REPLACE VIEW w (a, b) AS SELECT 1, 2;\n"
			"CREATE VIEW star AS SELECT * FROM foo;";
		static const char *const fcols[] = {"a", "B"};
		SqlpilotGroundSchema *s = sqlpilot_ground_schema_parse(ddl, strlen(ddl));

		tap_ok(s && has_table(s, "foo", fcols, 2), "unquoted names fold, quoted ones keep their case");
		tap_ok(s && has_table(s, "big_cities", vcols, 2), "view columns from its select list");
		tap_ok(s && has_table(s, "w", wcols, 2), "view columns from its column list");
		tap_ok(s && sqlpilot_ground_schema_n_tables(s) == 4, "a view of * is a table with unknown columns");
		sqlpilot_ground_schema_free(s);
	}
}

/* ---- scope and expectation ---- */

static SqlpilotGroundSchema *shop_names;

/* The state after typed text (all of it fed). */
static void
typed(SqlpilotGround *g, const char *prefix)
{
	sqlpilot_ground_init(g, shop_names, strlen(prefix));
	sqlpilot_ground_feed(g, prefix, strlen(prefix));
}

/*
 * Checks, after prefix, each of the words (separated by '|') as the token
 * that follows: allowed when it begins with '+', not when with '-'.
 */
static void
expect_words(const char *prefix, const char *words, const char *describe)
{
	SqlpilotGround g;
	char		buf[256];
	char		list[512];
	char	   *save = NULL;
	int			bad = 0;
	char		wrong[512] = "";

	typed(&g, prefix);
	sqlpilot_ground_describe(&g, buf, sizeof(buf));
	snprintf(list, sizeof(list), "%s", words);
	for (char *w = strtok_r(list, "|", &save); w; w = strtok_r(NULL, "|", &save))
	{
		bool		want = w[0] == '+';
		bool		got = sqlpilot_ground_allows(&g, (const uint8_t *) w + 1, strlen(w + 1));

		if (want != got)
		{
			bad++;
			strncat(wrong, w, sizeof(wrong) - strlen(wrong) - 2);
			strcat(wrong, " ");
		}
	}
	tap_ok(bad == 0, "after \"%s\": %s", prefix, words);
	if (bad)
		tap_diag("wrong: %s (state: %s)", wrong, buf);
	if (describe)
	{
		if (!tap_ok(strstr(buf, describe) != NULL, "after \"%s\" the state says \"%s\"", prefix, describe))
			tap_diag("it says: %s", buf);
	}
}

/* The scope cases the brief names. */
static void
test_scope(void)
{
	expect_words("INSERT INTO products (", "+ name,|+ price)|+ sku|+ in_s|- full_name,|- city,|- NAME2,",
				 "expects a column of products (INSERT target)");
	expect_words("SELECT c.full_name, o.total FROM customers c JOIN ",
				 "+orders |+order_items |+customers |-users |-c |+(",
				 "expects a table");
	expect_words("SELECT c.full_name, o.total FROM customers c JOIN orders ",
				 "+o |+AS |-ON |-c |-customers |-x |-WHERE ", "alias");
	expect_words("SELECT * FROM orders o JOIN customers c ON ",
				 "+c.|+o.|+customer_id |+NOT |-offset |-of |-FROM |-x.", NULL);
	expect_words("SELECT * FROM orders AS o JOIN customers AS c ON c.",
				 "+customer_id |+full_name |-total |-order_id ", "expects a column of c (customers)");
	expect_words("SELECT * FROM orders o JOIN customers c ON o.",
				 "+total |+customer_id |-city |-full_name ", "expects a column of o (orders)");
	expect_words("SELECT ", "+full_name,|+total |+count(|+COUNT(|+o.|+orders.|-xyzzy.|-nothing_here ",
				 "no FROM yet");
	expect_words("SELECT * FROM orders WHERE o.", "+total |+quantity |-anything |-city ",
				 "o is not a table or alias in scope");
	expect_words("SELECT * FROM customers WHERE customer_id IN (SELECT max(",
				 "+total)|+customer_id)|-nothing_here)", "no FROM yet");
	expect_words("SELECT * FROM customers WHERE city = (SELECT city FROM orders WHERE ",
				 "+total |+city |-price ", NULL);
	expect_words("SELECT row_number() OVER (PARTITION BY customer_id ORDER BY total DESC NULLS ",
				 "+LAST |+first ", NULL);
	expect_words("SELECT EXTRACT(YEAR FROM ordered_at) FROM orders WHERE ordered_at > now() - ",
				 "+interval |+ordered_at |-city ", NULL);
	expect_words("SELECT * FROM generate_series(1, 3) AS g(i) WHERE ", "+i |+g.", NULL);
	expect_words("SELECT * FROM orders o LEFT JOIN customers c ", "+USING |+ON |-WHERE |-c2 ", NULL);
	expect_words("UPDATE products SET ", "+price |+name |-total |-city ", "products");
	expect_words("UPDATE orders SET total = 1 FROM customers WHERE customers.",
				 "+city |+email |-total |-status ", "expects a column of customers");
	expect_words("DELETE FROM orders USING ", "+customers |-cust |-xyz ", "expects a table");
	expect_words("DELETE FROM orders USING customers WHERE ",
				 "+city |+total |+status |-price |-quantity ", NULL);
	expect_words("WITH big(town, n) AS (SELECT city, count(*) FROM customers GROUP BY city) "
				 "SELECT * FROM big b WHERE b.", "+town |+n |-city |-total ", NULL);
	expect_words("WITH big AS (SELECT city AS town, count(*) AS n FROM customers GROUP BY 1) "
				 "SELECT * FROM big WHERE big.", "+town |+n |-city ", NULL);
	expect_words("WITH big AS (SELECT city AS town FROM customers) SELECT * FROM ",
				 "+big |+customers |-bigger ", NULL);
	expect_words("SELECT * FROM (SELECT city FROM customers) s WHERE s.",
				 "+city |+whatever ", "columns of s are not known");
	expect_words("SELECT * FROM (SELECT city AS town FROM customers) s WHERE ",
				 "+town |+city |-total ", NULL);
	expect_words("SELECT * FROM \"OrderNotes\" WHERE ",
				 "+\"NoteId\" |-NoteId |-noteid |+note |-NOTE |-\"noteid\" |+\"Note", NULL);
	expect_words("SELECT * FROM ", "+\"OrderNotes\" |-OrderNotes |-\"ordernotes\" |+public.", NULL);
	expect_words("SELECT * FROM public.", "+orders |-nope ", NULL);
	expect_words("SELECT * FROM orders JOIN orders ", "+o2 |-ON |+AS ", NULL);
	expect_words("SELECT * FROM orders o WHERE o.total > 1 AND ",
				 "+status |+to_char(|+TO_CHAR(|-To_Char(|-cROss |-city ", NULL);
	expect_words("INSERT INTO orders (status) VALUES ('x') ON CONFLICT (order_id) DO UPDATE SET status = excluded.",
				 "+status |-city ", NULL);
	expect_words("SELECT * FROM orders WHERE status = 'it''s", "+ anything ' AND |+ FROM nope", "inside a string literal");
	/* TRUNCATE [TABLE] [ONLY] name [, ...] [RESTART IDENTITY] [CASCADE]: tables only */
	expect_words("TRUNCATE ", "+TABLE |+ONLY |+orders;|+public.|-SthaturesultADE;|-SELECT |-count(",
				 "expects a table");
	expect_words("TRUNCATE TABLE ", "+ONLY |+orders |+customers,|-TABLE |-users |-Sth", "expects a table");
	expect_words("TRUNCATE TABLE ONLY orders, ", "+customers |-nope |-ONLY ", "expects a table");
	expect_words("TRUNCATE orders ", "+RESTART |+CASCADE;|-o |-WHERE |-AS ", "expects a keyword");
	expect_words("TRUNCATE orders RESTART ", "+IDENTITY |-orders |-x ", NULL);
	expect_words("TRUNCATE TABLE orders(", "+CASCADE)|-torecasting;|-order_id)", NULL);
	expect_words("TRUNCATE TABLE orders(cascade ", "+RESTRICT |-dett.|-order_id ", NULL);
	expect_words("INSERT INTO(", "+orders |-customer_Data ", "expects a table");
	/* SET targets: columns of the UPDATE's table, no keywords, each once */
	expect_words("UPDATE products SET name = 'x', ", "+price |+sku |-name |-grant |-total |-WHERE ",
				 "SET target");
	expect_words("UPDATE products AS p SET ", "+price |-p.|-grant |-NOT |-city ", "SET target");
	/* and nothing but a column (or a parenthesized list of them) starts an assignment */
	expect_words("UPDATE products SET ", "-* |-5 |-'x' |-= |-, |+(", NULL);
	expect_words("UPDATE products SET name = 'x', ", "-* |-5 |+(", NULL);
	expect_words("UPDATE products SET price = price * 2, sku = upper(sku) WHERE ",
				 "+name |+NOT |-city ", NULL);
	expect_words("UPDATE products SET price = round(price, 2), ", "+sku |-price |-total ", NULL);
	expect_words("INSERT INTO orders (status) VALUES ('x') ON CONFLICT (order_id) DO UPDATE SET ",
				 "+total |+status |-city |-DEFAULT ", "SET target");
	/* an INSERT column list names each column of the target once */
	expect_words("INSERT INTO orders (order_id, status, ", "+total)|+customer_id,|-order_id)|-status,|-city ",
				 "not yet listed");
	expect_words("INSERT INTO orders (order_id, st", "+atus)|-atusx ", NULL);
	expect_words("INSERT INTO orders (order_id, ", "+status)|-*)|-1)|-'x')|-)|-, ", NULL);
}

/*
 * One SQL word predicate: the metric (eval_is_sql_word) and the mask agree
 * on keywords, functions and type names; unreserved keywords like value,
 * name or data are names to both.
 */
static void
test_words(void)
{
	static const char *const words[] = {
		"+SELECT", "+quote_ident", "+encode", "+reverse", "+jsonb", "+STRING", "+nulls",
		"+excluded", "+coalesce", "-value", "-name", "-data", "-grant_x", "-users"
	};
	int			bad = 0;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
	{
		const char *w = words[i] + 1;
		bool		want = words[i][0] == '+';

		if (sqlpilot_sql_word(w, strlen(w), false, true, NULL, 0) != want ||
			eval_is_sql_word(w, strlen(w)) != want)
		{
			bad++;
			tap_diag("wrong: %s", words[i]);
		}
	}
	tap_ok(bad == 0, "sqlpilot_sql_word and eval_is_sql_word agree on %zu words",
		   sizeof(words) / sizeof(words[0]));
	tap_ok(sqlpilot_sql_word("quote_id", 8, true, true, NULL, 0) &&
		   !sqlpilot_sql_word("quote_idx", 9, true, true, NULL, 0) &&
		   !sqlpilot_sql_word("quote_ident", 11, false, false, NULL, 0) &&
		   sqlpilot_sql_word("coalesce", 8, false, false, NULL, 0) &&
		   sqlpilot_sql_word("date", 4, false, false, NULL, 0), "sqlpilot_sql_word prefixes, calls");
	expect_words("SELECT * FROM orders WHERE ",
				 "+quote_ident(|+reverse(|+status |-value |-name |+DATE |+COALESCE (", NULL);
	/* INSERT, DELETE and MERGE at a statement's start take only INTO or FROM */
	expect_words("INSERT ", "+INTO |+into |-INTI.|-orders |-FROM ", "expects INTO");
	expect_words("DELETE ", "+FROM |-INTO |-orders ", "expects FROM");
	expect_words("MERGE ", "+INTO |-orders ", "expects INTO");
}

/* ---- the mask over a vocabulary of single bytes ---- */

/* Which of the 256 one-byte tokens may come after prefix, as a string of the allowed letters. */
static void
allowed_letters(const char *prefix, char *out)
{
	SqlpilotGround g;
	int			n = 0;

	typed(&g, prefix);
	for (int b = 'a'; b <= 'z'; b++)
	{
		uint8_t		byte = (uint8_t) b;

		if (sqlpilot_ground_allows(&g, &byte, 1))
			out[n++] = (char) b;
	}
	out[n] = '\0';
}

/* A vocabulary of single bytes: exactly the letters that can start an allowed word pass. */
static void
test_mask(void)
{
	char		got[32];
	SqlpilotGround g;
	int			all = 1;

	allowed_letters("INSERT INTO products (", got);
	tap_ok(strcmp(got, "inps") == 0, "INSERT INTO products ( allows i n p s (in_stock, name, price, sku, product_id): %s", got);
	allowed_letters("SELECT * FROM orders JOIN customers c ON c.", got);
	tap_ok(strcmp(got, "cef") == 0, "c. allows c e f (customer_id, city, created_at, email, full_name): %s", got);
	allowed_letters("SELECT * FROM orders JOIN ", got);
	tap_ok(strchr(got, 'o') && strchr(got, 'c') && strchr(got, 'l') && !strchr(got, 'h') &&
		   !strchr(got, 'k') && !strchr(got, 'y') && !strchr(got, 'z'),
		   "JOIN allows the first letters of tables, LATERAL and functions, not h k y z: %s", got);
	typed(&g, "SELECT 'abc");
	for (int b = 0; b < 256; b++)
	{
		uint8_t		byte = (uint8_t) b;

		all &= sqlpilot_ground_allows(&g, &byte, 1);
	}
	tap_ok(all, "inside a string literal every byte is allowed");

	/* A typed word ends as typed, and only grows into a name. */
	sqlpilot_ground_init(&g, shop_names, strlen("SELECT * FROM LOCATION"));
	sqlpilot_ground_feed(&g, "SELECT * FROM ", 14);
	tap_ok(sqlpilot_ground_allows(&g, (const uint8_t *) "LOCATION", 8) &&
		   sqlpilot_ground_allows(&g, (const uint8_t *) "LOC", 3) &&
		   !sqlpilot_ground_allows(&g, (const uint8_t *) "LOCATIONCATE", 12),
		   "typed FROM LOCATION may end as typed but not grow into LOCATIONCATE");
	sqlpilot_ground_init(&g, shop_names, strlen("SELECT * FROM ord"));
	sqlpilot_ground_feed(&g, "SELECT * FROM ", 14);
	tap_ok(sqlpilot_ground_allows(&g, (const uint8_t *) "orders", 6) &&
		   !sqlpilot_ground_allows(&g, (const uint8_t *) "ordnance", 8),
		   "typed partial word \"ord\" grows into orders, not ordnance");

	/* EOS and ';' inside a name that is only a prefix. */
	sqlpilot_ground_init(&g, shop_names, 0);
	sqlpilot_ground_feed(&g, "SELECT * FROM orders WHERE tot", 30);
	tap_ok(!sqlpilot_ground_allows_end(&g) && !sqlpilot_ground_allows(&g, (const uint8_t *) ";", 1),
		   "EOS and ';' are refused inside \"tot\" (generated)");
	tap_ok(sqlpilot_ground_allows(&g, (const uint8_t *) "al;", 3), "\"al;\" completes total");
	sqlpilot_ground_init(&g, shop_names, 0);
	sqlpilot_ground_feed(&g, "SELECT * FROM orders WHERE total", 32);
	tap_ok(sqlpilot_ground_allows_end(&g), "EOS allowed after a whole column name");
}

/* ---- bad input ---- */

/* The state after prefix lets everything through and its description starts with want. */
static void
expect_free(const char *prefix, size_t len, const char *want, const char *name)
{
	SqlpilotGround g;
	char		buf[256];

	sqlpilot_ground_init(&g, shop_names, len);
	sqlpilot_ground_feed(&g, prefix, len);
	sqlpilot_ground_describe(&g, buf, sizeof(buf));
	if (!tap_ok(sqlpilot_ground_allows(&g, (const uint8_t *) " nonsense_word ", 15) &&
				strncmp(buf, want, strlen(want)) == 0, "%s: free (%s)", name, buf))
		tap_diag("wanted: %s", want);
}

static void
test_bad_input(void)
{
	size_t		big = 1 << 20;
	char	   *mb = malloc(big);
	uint64_t	rng = 42;

	expect_free("SELECT 'unterminated", 20, "free text: inside a string literal", "unterminated quote");
	expect_free("SELECT /* open comment", 22, "free text: inside a comment", "unterminated comment");
	expect_free("SELECT $body$ x", 15, "free text: inside a dollar-quoted", "unterminated dollar quote");
	expect_free("Bonjour, je voudrais les commandes", 34, "fallback: the text does not start like SQL",
				"a prefix in French");
	expect_free("CREATE TABLE t (", 16, "fallback: the statement is not a query", "DDL");
	for (size_t i = 0; i < big; i++)
		mb[i] = '(';
	expect_free(mb, big, "fallback: parens nested too deep", "1 MB of '('");
	for (size_t i = 0; i < big; i++)
		mb[i] = (char) (sqlpilot_rng_next(&rng) & 0xff);
	{
		SqlpilotGround g;
		char		buf[256];

		sqlpilot_ground_init(&g, shop_names, big);
		sqlpilot_ground_feed(&g, mb, big);
		sqlpilot_ground_describe(&g, buf, sizeof(buf));
		for (int t = 0; t < 256; t++)
		{
			uint8_t		b = (uint8_t) t;

			(void) sqlpilot_ground_allows(&g, &b, 1);
		}
		(void) sqlpilot_ground_allows_end(&g);
		tap_ok(buf[0] != '\0', "1 MB of random bytes: no crash, says %s", buf);
	}
	{
		SqlpilotGround g;

		sqlpilot_ground_init(&g, shop_names, 0);
		sqlpilot_ground_feed(&g, "SELECT 1; SELECT * FROM customers o; SELECT o.", 46);
		tap_ok(sqlpilot_ground_allows(&g, (const uint8_t *) "total ", 6),
			   "';' starts a new statement: o is no longer customers");
	}
	{
		SqlpilotGroundSchema *empty = sqlpilot_ground_schema_parse("", 0);
		SqlpilotGround g;

		sqlpilot_ground_init(&g, empty, 0);
		sqlpilot_ground_feed(&g, "SELECT * FROM ", 14);
		tap_ok(empty && !sqlpilot_ground_active(&g) &&
			   sqlpilot_ground_allows(&g, (const uint8_t *) "users", 5),
			   "no tables in the schema text: grounding is off");
		sqlpilot_ground_schema_free(empty);
	}
	free(mb);
}

/* ---- with the default model ---- */

/* Whether every name written past the prefix is a keyword, function, table, column or alias. */
static int
names_exist(const char *prefix, const char *completion, char *bad, size_t badlen)
{
	size_t		plen = strlen(prefix);
	size_t		len = plen + strlen(completion);
	char	   *all = malloc(len + 1);
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	char		aliases[32][SQLPILOT_SQL_IDENT_MAX];
	int			n_aliases = 0;
	bool		after_table = false;
	int			ok = 1;

	snprintf(all, len + 1, "%s%s", prefix, completion);
	while (sqlpilot_sql_next_ident(all, len, &pos, &id))
	{
		bool		table = false,
					column = false,
					alias = false;

		for (int i = 0; i < sqlpilot_ground_schema_n_tables(shop_names); i++)
		{
			int			nc;

			table |= strcmp(sqlpilot_ground_schema_table(shop_names, i, NULL, &nc), id.name) == 0;
			for (int j = 0; j < nc; j++)
				column |= strcmp(sqlpilot_ground_schema_column(shop_names, i, j), id.name) == 0;
		}
		for (int i = 0; i < n_aliases; i++)
			alias |= strcmp(aliases[i], id.name) == 0;
		if (after_table && !table && !id.dot_before && n_aliases < 32 &&
			(id.quoted || sqlpilot_sql_keyword_category(id.name, id.len) == 0))
		{
			snprintf(aliases[n_aliases++], SQLPILOT_SQL_IDENT_MAX, "%s", id.name);
			alias = true;
		}
		after_table = table && !id.dot_after;
		if (id.end == len && all[len - 1] != ';')
			continue;			/* cut by the token budget: a prefix of a name */
		if (id.end <= plen || table || column || alias ||
			(!id.quoted && (sqlpilot_sql_keyword_category(id.name, id.len) ||
							sqlpilot_sql_function_name(id.name, id.len, false))))
			continue;
		if (ok)
			snprintf(bad, badlen, "%s", id.name);
		ok = 0;
	}
	free(all);
	return ok;
}

/* The demo statements of issue #15, and a fuzz run over random prefixes. */
static void
test_model(void)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	char		path[1024];
	char		err[256];
	SqlpilotModel m;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	static const char *const demo[] = {
		"INSERT INTO products (",
		"SELECT c.full_name, o.total FROM customers c JOIN ",
		"SELECT * FROM orders o WHERE o.",
		"UPDATE products SET ",
	};
	static const char *const pieces[] = {
		"SELECT ", "* ", "FROM ", "orders ", "o ", "JOIN ", "customers ", "c ", "ON ", "o.",
		"c.", "customer_id ", "= ", "WHERE ", "total ", "> ", "10 ", "'x", "' ", ", ",
		"(", ")", "INSERT INTO ", "products ", "(", "name", "VALUES ", "UPDATE ", "SET ",
		"WITH w AS ", "GROUP BY ", "\"Order", "-- c\n", "/* ", "$$", "ord", "cust", "é", "\xff",
	};
	uint64_t	rng = 2026;
	int			fuzz_ok = 1,
				fuzz_runs = getenv("SQLPILOT_TEST_QUICK") ? 8 : 40;

	snprintf(path, sizeof(path), "%s/models/sqlpilot_default.model", root);
	if (sqlpilot_model_load(&m, path, err, sizeof(err)) != 0)
	{
		tap_ok(0, "load the default model: %s", err);
		return;
	}
	if (sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		tap_ok(0, "run state: %s", err);
		sqlpilot_model_free(&m);
		return;
	}
	sqlpilot_complete_defaults(&o);
	o.max_tokens = 40;
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++)
	{
		for (int beam = 1; beam <= 4; beam += 3)
		{
			SqlpilotCompletion on = {0},
						off = {0};
			char		bad[SQLPILOT_SQL_IDENT_MAX] = "";
			int			n_on,
						n_off;

			o.beam_width = beam;
			o.grounding = true;
			n_on = sqlpilot_complete(&s, &m.tokenizer, shop, strlen(shop), demo[i], strlen(demo[i]),
									 &o, &on, 1, err, sizeof(err));
			if (!tap_ok(n_on == 1 && names_exist(demo[i], on.text, bad, sizeof(bad)),
						"grounded, beam %d: \"%s\" + \"%s\" names only what exists", beam, demo[i],
						n_on == 1 ? on.text : err))
				tap_diag("not in the schema: %s", bad);
			o.grounding = false;
			n_off = sqlpilot_complete(&s, &m.tokenizer, shop, strlen(shop), demo[i], strlen(demo[i]),
									  &o, &off, 1, err, sizeof(err));
			if (n_off == 1)
			{
				bad[0] = '\0';
				tap_diag("grounding off, beam %d: \"%s\" + \"%s\"%s%s", beam, demo[i], off.text,
						 names_exist(demo[i], off.text, bad, sizeof(bad)) ? "" : "  <- not in the schema: ",
						 bad);
			}
			sqlpilot_completion_free(&on, n_on > 0 ? n_on : 0);
			sqlpilot_completion_free(&off, n_off > 0 ? n_off : 0);
		}
	}

	/* Fuzz: random prefixes built from SQL pieces and bad bytes. */
	o.max_tokens = 12;
	for (int r = 0; r < fuzz_runs; r++)
	{
		char		prefix[512] = "";
		int			k = 1 + (int) (sqlpilot_rng_next(&rng) % 10);
		SqlpilotCompletion out[4];
		int			n;

		for (int j = 0; j < k; j++)
			strncat(prefix, pieces[sqlpilot_rng_next(&rng) % (sizeof(pieces) / sizeof(pieces[0]))],
					sizeof(prefix) - strlen(prefix) - 1);
		o.beam_width = 1 + (int) (sqlpilot_rng_next(&rng) % 4);
		o.grounding = true;
		n = sqlpilot_complete(&s, &m.tokenizer, shop, strlen(shop), prefix, strlen(prefix),
							  &o, out, 4, err, sizeof(err));
		if (n < 1)
		{
			fuzz_ok = 0;
			tap_diag("fuzz: \"%s\": %s", prefix, err);
			continue;
		}
		for (int j = 0; j < n; j++)
		{
			/* budget: max_tokens new tokens of at most 64 bytes, plus the re-typed partial word */
			if (strlen(out[j].text) > (size_t) o.max_tokens * SQLPILOT_TOKENIZER_MAX_CHUNK)
			{
				fuzz_ok = 0;
				tap_diag("fuzz: \"%s\" -> %zu bytes", prefix, strlen(out[j].text));
			}
		}
		sqlpilot_completion_free(out, n);
	}
	tap_ok(fuzz_ok, "fuzz: %d random prefixes complete within the token budget", fuzz_runs);
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
}

int
main(void)
{
	shop_names = sqlpilot_ground_schema_parse(shop, strlen(shop));
	if (!tap_ok(shop_names && sqlpilot_ground_schema_n_tables(shop_names) == 5,
				"the shop schema text has 5 tables"))
		return 1;
	test_schema_styles();
	test_scope();
	test_words();
	test_mask();
	test_bad_input();
	test_model();
	sqlpilot_ground_schema_free(shop_names);
	return tap_failed ? 1 : 0;
}
