/*
 * test_ground_misses.c — grounding (core/ground.h) on the causes of the
 * hallucinated identifiers left on the corpus held-out file (December 2026):
 * a typed partial word that ended as typed, functions and made-up aliases at
 * the target of INSERT / UPDATE / DELETE, qualifiers a select list used
 * before FROM, columns of tables the prompt leaves out, names written in
 * another case than the schema's, and a '.' where no name stands before it.
 * Each check names a word that one of those rules refuses or lets through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ground.h"
#include "tap.h"

/* Four tables of the demo shop, plus a quoted mixed-case one. */
static const char shop[] =
"CREATE TABLE public.customers (\n"
"\tcustomer_id INT8 NOT NULL,\n"
"\temail VARCHAR(255) NOT NULL,\n"
"\tfull_name VARCHAR(100) NOT NULL,\n"
"\tcity VARCHAR(50) NULL\n"
")\n\n"
"CREATE TABLE public.products (\n"
"\tproduct_id INT8 NOT NULL,\n"
"\tsku VARCHAR(20) NOT NULL,\n"
"\tname VARCHAR(100) NOT NULL,\n"
"\tprice DECIMAL(10,2) NOT NULL\n"
")\n\n"
"CREATE TABLE public.orders (\n"
"\torder_id INT8 NOT NULL,\n"
"\tcustomer_id INT8 NOT NULL,\n"
"\tstatus VARCHAR(20) NOT NULL,\n"
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

/* Hand-written DDL that spells unquoted names in mixed case (PostgreSQL folds them). */
static const char mixed[] =
"CREATE TABLE SolarPanels (PanelId INT, panel_watts INT);\n"
"CREATE TABLE ResidentialProperties (property_id INT, property_address TEXT);\n"
"CREATE TABLE School_Performance_Data (school_id INT, school_name TEXT);\n"
"CREATE TABLE child_records (child_id INT, school_id INT);\n";

static SqlpilotGroundSchema *shop_names;
static SqlpilotGroundSchema *mixed_names;

/*
 * Checks, after the typed text prefix (all of it typed), each of the words
 * (separated by '|') as the generated token that follows: allowed when it
 * begins with '+', not when with '-'.  describe: what the state must say.
 */
static void
expect_words(const SqlpilotGroundSchema *names, const char *prefix, const char *words,
			 const char *describe)
{
	SqlpilotGround g;
	char		buf[256];
	char		list[512];
	char	   *save = NULL;
	int			bad = 0;
	char		wrong[512] = "";

	sqlpilot_ground_init(&g, names, strlen(prefix));
	sqlpilot_ground_feed(&g, prefix, strlen(prefix));
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
	if (describe && !tap_ok(strstr(buf, describe) != NULL, "after \"%s\" the state says \"%s\"",
							prefix, describe))
		tap_diag("it says: %s", buf);
}

/* "SELECT * FROM tran" ended as "tran WHERE" although transactions exists. */
static void
test_typed_word_grows(void)
{
	expect_words(shop_names, "SELECT * FROM ord", "- WHERE |-;|+ers |+er_items o", NULL);
	expect_words(shop_names, "SELECT * FROM LOCATION", "+ WHERE |+;", NULL);
	expect_words(shop_names, "SELECT * FROM orders WHERE tot", "- = 1|+al = 1", NULL);
	expect_words(shop_names, "SELECT * FROM orders o", "+ WHERE |+ JOIN ", NULL);
	expect_words(shop_names, "INSERT INTO orders (stat", "-, |-)|+us)", NULL);
}

/*
 * "INSERT INTO last_value (", "DELETE FROM sum%", "INTO SETVAL(": the target
 * of INSERT, UPDATE and DELETE is a table; FROM takes a function only with
 * its '('.
 */
static void
test_targets(void)
{
	expect_words(shop_names, "INSERT INTO ", "+orders |-last_value |-setval(|-generate_series(",
				 "expects a table");
	expect_words(shop_names, "DELETE FROM ", "+orders |+ONLY |-sum |-sum(", NULL);
	expect_words(shop_names, "UPDATE ", "+products |+ONLY |-upper(", NULL);
	expect_words(shop_names, "SELECT * FROM ", "+orders |+generate_series(|-reverse |-sum ", NULL);
	expect_words(shop_names, "SELECT * FROM orders WHERE total > 1 INTO ", "+orders |-reverse(", NULL);
}

/*
 * "INSERT INTO roi TABLEroiile", "INSERT INTO(customer_Data NULLNT (...":
 * an INSERT target takes its alias only after AS, and then its column list;
 * "UPDATE t SELECT" and "DELETE FROM t JOIN" are no SQL.
 */
static void
test_after_target(void)
{
	expect_words(shop_names, "INSERT INTO orders ",
				 "+AS |+VALUES |+(|+SELECT |+DEFAULT |-o |-TABLEroiile |-WHERE |-JOIN ", NULL);
	expect_words(shop_names, "INSERT INTO orders AS o ", "+(|+VALUES |-WHERE ", NULL);
	expect_words(shop_names, "INSERT INTO orders AS o (", "+status |+total)|-city |-full_name ",
				 "expects a column of orders (INSERT target)");
	expect_words(shop_names, "UPDATE products ", "+SET |+AS |+p |-SELECT |-WHERE |-JOIN ", NULL);
	expect_words(shop_names, "UPDATE products S", "+ET |-ELECT ", NULL);
	expect_words(shop_names, "DELETE FROM orders ",
				 "+WHERE |+USING |+o |+RETURNING |-JOIN |-ORDER |-SET ", NULL);
}

/*
 * "SELECT prir.topped_on", "RETA.rating_date" (no FROM followed): a
 * qualifier before FROM is made like an alias of a table of the schema, and
 * its columns are that table's.
 */
static void
test_forward_qualifiers(void)
{
	expect_words(shop_names, "SELECT ",
				 "+o.|+oi.|+c.|+cust.|+orders.|+o1.|+p.|-prir.|-RETA.|-xyz.|-top_.|-t.", NULL);
	expect_words(shop_names, "SELECT o.", "+total |+quantity |+status |-city |-email |-anything ",
				 "expects a column of a table o may be an alias of");
	expect_words(shop_names, "SELECT oi.", "+quantity |+unit_price |-total |-status ", NULL);
	/* a typed qualifier that fits no table: a column of the schema */
	expect_words(shop_names, "SELECT prir.", "+total |+city |-topped_on ", NULL);
	/* the FROM that follows must define the qualifiers the select list owes */
	expect_words(shop_names, "SELECT oi.quantity FROM orders o JOIN order_items ",
				 "+oi |+AS |-x ", NULL);
}

/*
 * "SELECT * FROM trans WHERE encry = ...", "INSERT INTO BudgetCa (id,
 * budget, ...": a table the prompt leaves out has columns of the schema.
 */
static void
test_tables_outside(void)
{
	expect_words(shop_names, "SELECT * FROM mystery WHERE ",
				 "+total |+city |-encrypte_value |-reported_at ", "mystery (not in the schema)");
	expect_words(shop_names, "SELECT * FROM mystery m WHERE m.", "+total |-nothing_here ",
				 "expects a column of m (not in the schema");
	expect_words(shop_names, "INSERT INTO mystery (", "+status |+city |-budget |-yearse_amount ", NULL);
	expect_words(shop_names, "UPDATE mystery SET ", "+status |-budget ", NULL);
}

/*
 * "produCT_id", "ResidentiaLprOperties", "School_at": a generated unquoted
 * name keeps the schema's spelling (or is all lower case, as PostgreSQL
 * folds it); aliases the statement defines may be written in any case.
 */
static void
test_spelling(void)
{
	expect_words(shop_names, "SELECT * FROM order_items WHERE ",
				 "+product_id |-produCT_id |-PRODUCT_ID |-Product_id |+NOT |+COALESCE(", NULL);
	expect_words(mixed_names, "SELECT * FROM ",
				 "+SolarPanels |+solarpanels |-SOLARPANELS |-SolarpaNels |-Solarpanels |"
				 "+ResidentialProperties |+Resid|-ResidentiaLprOperties |+School_Performance_Data ",
				 NULL);
	expect_words(mixed_names, "SELECT * FROM SolarPanels WHERE ",
				 "+PanelId |+panelid |-PANELID |-Panelid |+panel_watts |-Panel_watts |-PANEL_WATTS ",
				 NULL);
	/* the typed part of a word keeps the user's case, the rest the schema's */
	expect_words(mixed_names, "SELECT * FROM Resid",
				 "+entialProperties |+entialproperties |-entiaLprOperties |-ENTIALPROPERTIES ", NULL);
	expect_words(mixed_names, "SELECT * FROM RESID", "+entialProperties |-ENTIALPROPERTIES ", NULL);
	/* the name and its spelling are checked together: School_ is a table's, not a column's */
	expect_words(mixed_names, "INSERT INTO child_records (child_id, ",
				 "+school_id |-School_id |-School_|-SCH", NULL);
	expect_words(mixed_names, "SELECT * FROM SolarPanels sp WHERE ", "+SP.|+sp.|+Sp.", NULL);
	/* a table in scope by its name, as a qualifier: its spelling too */
	expect_words(mixed_names, "SELECT * FROM ResidentialProperties WHERE Resident",
				 "+ialProperties.|-iaLprOperties.|+ialproperties.", NULL);
}

/* "FROM quotes AS q ... GROUPUPSERTport", 64+ byte names: a new alias is one case and fits a name. */
static void
test_new_alias(void)
{
	char		longname[80];

	longname[0] = '-';
	memset(longname + 1, 'r', 70);
	strcpy(longname + 71, " ");
	expect_words(shop_names, "SELECT * FROM orders ", "+o |+O |+ord |-GROUPUPSERTport |-oRd ", NULL);
	expect_words(shop_names, "SELECT * FROM orders AS ", "+o |-Ord ", NULL);
	expect_words(shop_names, "SELECT * FROM orders ", longname, NULL);
}

/*
 * "UPDATE t SELECTSELECT a" and "DELETE FROM campaig ONCREATE_ A": after
 * an alias, "a" could only start AS, which is refused there; the next token
 * then had nothing allowed and went free ("activity_type").
 */
static void
test_after_alias(void)
{
	expect_words(shop_names, "UPDATE products p ", "-a|-as |+SET |+S", "expects a keyword");
	expect_words(shop_names, "SELECT * FROM orders o ", "-a|-A|+WHERE |+JOIN ", NULL);
	expect_words(shop_names, "DELETE FROM orders o ", "-a|+WHERE |+USING ", NULL);
}

/* "JOIN report_view .v", "INSERT INTO products (a, .email", "(a,  (quote_ident": no names there. */
static void
test_stray_punctuation(void)
{
	expect_words(shop_names, "SELECT * FROM orders ", "- .|-.|+ WHERE ", NULL);
	expect_words(shop_names, "SELECT * FROM orders o ", "- .|+ WHERE ", NULL);
	expect_words(shop_names, "INSERT INTO products (product_id, ", "- .|-.|-(|- (|+name)|+ sku)",
				 NULL);
}

/*
 * "UPDATE customers SET customer_id = 31, ordered_at = ..." (ordered_at is
 * a column of orders; written by the ungrounded model): each SET target is
 * a column of the UPDATE's table not assigned yet, after SET and after each
 * ',' of the list, also in ON CONFLICT DO UPDATE SET; the expressions right
 * of '=', WHERE and RETURNING take columns of the tables in scope (the
 * target and UPDATE ... FROM's), as INSERT's column list takes the target's.
 */
static void
test_set_list(void)
{
	const char *upsert = "INSERT INTO orders (customer_id) VALUES (1) ON CONFLICT (customer_id) DO UPDATE SET ";
	char		buf[256];

	expect_words(shop_names, "UPDATE customers SET ", "+city |+email |-total |-status |-unit_price ",
				 "expects a column of customers (SET target)");
	expect_words(shop_names, "UPDATE customers SET customer_id = 31, ",
				 "+email |+city |-total |-status |-customer_id |-order_id ",
				 "expects a column of customers (SET target)");
	expect_words(shop_names, "UPDATE customers SET customer_id = 31,", "+ email |- total ", NULL);
	expect_words(shop_names, "UPDATE customers SET email = 'a@b.c', city = NULL, ",
				 "+full_name |-email |-city |-status ", NULL);
	expect_words(shop_names, "UPDATE customers SET email = ", "+full_name |+lower(|-total |-status ",
				 "expects a column of customers,");
	expect_words(shop_names, "UPDATE customers SET email = lower(", "+full_name |-total ", NULL);
	expect_words(shop_names, "UPDATE customers SET city = 'x' WHERE ", "+email |-total |-o.", NULL);
	expect_words(shop_names, "UPDATE customers SET city = 'x' RETURNING ", "+email |-total ", NULL);
	expect_words(shop_names, "DELETE FROM customers WHERE ", "+city |-total |-status ", NULL);
	expect_words(shop_names, "UPDATE customers SET city = o.status FROM orders o WHERE ",
				 "+o.|+total |+city |-unit_price |-oi.", NULL);
	expect_words(shop_names, upsert, "+status |+total |-city |-email ",
				 "expects a column of orders (SET target)");
	snprintf(buf, sizeof(buf), "%sstatus = excluded.status, ", upsert);
	expect_words(shop_names, buf, "+total |-status |-city ", NULL);
	snprintf(buf, sizeof(buf), "%sstatus = ", upsert);
	expect_words(shop_names, buf, "+excluded.|+total |-city ", NULL);
	expect_words(shop_names, "INSERT INTO orders (customer_id, ",
				 "+status |+total)|-customer_id |-city ", NULL);
}

/*
 * "WHERE customer_id IN (SELECT customer_id FROM orders) AND ordered_at":
 * the tables a subquery or CTE body names leave the scope when it closes;
 * a parenthesized join's stay.
 */
static void
test_subquery_scope(void)
{
	expect_words(shop_names,
				 "UPDATE customers SET email = 'x' WHERE customer_id IN (SELECT customer_id FROM orders) AND ",
				 "+city |-total |-status |-orders.", NULL);
	expect_words(shop_names,
				 "UPDATE customers SET email = (SELECT max(status) FROM orders o "
				 "WHERE o.customer_id = customers.customer_id), ",
				 "+city |-total ", "expects a column of customers (SET target)");
	expect_words(shop_names,
				 "UPDATE customers SET email = (SELECT max(status) FROM orders o), city = ",
				 "+full_name |-total |-o.", NULL);
	expect_words(shop_names, "DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE ",
				 "+o.|+customers.|+total |+city ", NULL);
	expect_words(shop_names,
				 "DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o "
				 "WHERE o.customer_id = customers.customer_id) AND ",
				 "+city |-o.|-total ", NULL);
	expect_words(shop_names, "SELECT * FROM (SELECT customer_id FROM orders o) s JOIN customers c ON ",
				 "+s.|+c.|-o.", NULL);
	/* a subquery in FROM: its tables' columns stand for its own */
	expect_words(shop_names, "SELECT * FROM (SELECT customer_id FROM orders o) s WHERE ",
				 "+customer_id |+s.|-o.|-city ", "(orders inside a subquery)");
	expect_words(shop_names,
				 "SELECT * FROM (customers c JOIN orders o ON o.customer_id = c.customer_id) WHERE ",
				 "+o.|+c.|+total ", NULL);
	expect_words(shop_names, "WITH x AS (SELECT customer_id FROM orders) SELECT * FROM customers WHERE ",
				 "+city |+x.|-total ", NULL);
}

/*
 * "SELECT name, position, shift_date FROM employees WHERE quote_ident > 5":
 * the first table of a top-level FROM has the select list's unqualified
 * columns (all of them when a table has them all, else one), so the WHERE
 * that follows can name a column rather than a function or keyword.
 */
static void
test_from_fits_select_list(void)
{
	expect_words(shop_names, "SELECT email, full_name FROM ", "+customers |-orders |+cust|-ord",
				 "that has the select list's columns");
	/* no table has both: one that has either (a join may bring the other) */
	expect_words(shop_names, "SELECT status, full_name FROM ", "+customers |+orders |-products ", NULL);
	expect_words(shop_names, "SELECT customer_id, count(*) FROM ", "+customers |+orders |-products ", NULL);
	/* else one that has the most of them; no function there */
	expect_words(shop_names, "SELECT status, total, full_name FROM ",
				 "+orders |-customers |-encode(|-generate_series(", NULL);
	expect_words(shop_names, "SELECT 1 FROM ", "+generate_series(|+orders ", NULL);
	expect_words(shop_names, "SELECT * FROM ", "+products |+orders ", NULL);
	expect_words(shop_names, "SELECT count(*) FROM ", "+products |+orders ", NULL);
	expect_words(shop_names, "SELECT status FROM orders UNION SELECT email FROM ",
				 "+customers |-orders ", NULL);
	expect_words(shop_names, "SELECT email FROM public.", "+customers |-orders ", NULL);
	/* a JOIN's table, a subquery's FROM and a CTE are not held to it */
	expect_words(shop_names, "SELECT email, total FROM customers c JOIN ", "+orders |+products ", NULL);
	expect_words(shop_names, "SELECT email, (SELECT max(total) FROM ", "+orders |+products ", NULL);
	expect_words(shop_names, "WITH x AS (SELECT 1) SELECT email FROM ", "+x |+customers |-orders ", NULL);
}

/* "WHERE end != 'x'": END, THEN, AND, OR, ELSE, WHEN never start an operand. */
static void
test_operand_words(void)
{
	expect_words(shop_names, "SELECT * FROM orders WHERE ", "+max(|+lower(|+coalesce(|+NOT |+EXISTS ",
				 NULL);
	expect_words(shop_names, "SELECT * FROM orders WHERE ", "-end!=|-END |-THEN |-and |+CASE |+status ",
				 NULL);
	expect_words(shop_names, "SELECT CASE WHEN total > 1 THEN 'a' ", "+ELSE |+END |+WHEN ", NULL);
	expect_words(shop_names, "SELECT * FROM orders WHERE total > 1 ", "+AND |+OR |+ORDER ", NULL);
	expect_words(shop_names, "SELECT * FROM orders WHERE status NOT ", "+IN |+LIKE |+BETWEEN ", NULL);
	expect_words(shop_names, "SELECT ", "+CURRENT_DATE,|+now(|+count(", NULL);
}

/*
 * "JOIN report_data > 5.5", "INSERT IN|TO (crop_data, ...", "FROM rows
 * WHERE": no operator or literal after a table reference, no '(' where the
 * target table of INSERT, UPDATE, DELETE goes, and a FROM that owes the
 * select list a table takes no ROWS, LATERAL, ONLY.
 */
static void
test_after_table_no_operand(void)
{
	expect_words(shop_names, "SELECT * FROM orders o JOIN customers ",
				 "- >|- > 5|-5|- 'x|- =|+c |+ON |+AS |+ --|+ -", NULL);
	expect_words(shop_names, "SELECT * FROM orders ", "- >|- 5|+WHERE |+,|+;|+)", NULL);
	expect_words(shop_names, "INSERT IN", "+TO orders|-TO (|-TO(", NULL);
	expect_words(shop_names, "UPDATE ", "-(|+orders ", NULL);
	expect_words(shop_names, "SELECT * FROM ", "+(|+rows |+LATERAL ", NULL);
	expect_words(shop_names, "SELECT email, city FROM ", "-rows |-LATERAL |-ONLY |+customers |+(", NULL);
}

int
main(void)
{
	shop_names = sqlpilot_ground_schema_parse(shop, strlen(shop));
	mixed_names = sqlpilot_ground_schema_parse(mixed, strlen(mixed));
	if (!tap_ok(shop_names && sqlpilot_ground_schema_n_tables(shop_names) == 5 &&
				mixed_names && sqlpilot_ground_schema_n_tables(mixed_names) == 4,
				"the two schema texts have 5 and 4 tables"))
		return 1;
	test_typed_word_grows();
	test_targets();
	test_after_target();
	test_forward_qualifiers();
	test_tables_outside();
	test_spelling();
	test_new_alias();
	test_after_alias();
	test_stray_punctuation();
	test_set_list();
	test_subquery_scope();
	test_from_fits_select_list();
	test_operand_words();
	test_after_table_no_operand();
	sqlpilot_ground_schema_free(shop_names);
	sqlpilot_ground_schema_free(mixed_names);
	return tap_failed ? 1 : 0;
}
