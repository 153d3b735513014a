/*
 * test_table_choice.c — the one choice of tables (core/table_choice.h): the
 * named table is kept, its foreign-key neighbours come before unrelated
 * tables, tables are whole, the choice holds while the prefix grows, a
 * quarter of the budget is left for the prefix, nothing is chosen when
 * nothing fits, a list of 20,000 lazily loaded tables loads few, and the
 * rest comes from the first budget / 4 + 1 tables only.
 * Token counts come from a tokenizer without merges: one token per byte.
 */
#include <stdlib.h>
#include <string.h>

#include "table_choice.h"
#include "tap.h"

/* BOS plus the prompt format's two headers, in byte tokens. */
#define FORMAT_TOKENS (1 + 15 + 17)

static SqlpilotTokenizer bytes;

/* Runs the text wrapper; writes the chosen indexes as "0,2" into out and returns the count. */
static int
choose(const char *const *texts, int n, const char *typed, int budget, char *out)
{
	int			chosen[64];
	int			k = sqlpilot_tables_choose_texts(&bytes, texts, NULL, NULL, n, typed,
												 strlen(typed), budget, chosen);

	out[0] = '\0';
	for (int i = 0; i < k; i++)
		sprintf(out + strlen(out), "%s%d", i ? "," : "", chosen[i]);
	return k;
}

/* A lazily loaded catalog: counts what the choice asks for. */
typedef struct Catalog
{
	SqlpilotTableRef *refs;
	int			n;
	int			loads;			/* calls of load() */
	int			loaded;			/* tables loaded */
	int			biggest_batch;
	int			costs;			/* calls of cost() */
	int			per_table;		/* tokens of each table */
	int			typed_tokens;
	int			seam_extra;		/* prompt_tokens adds this per table beyond the costs */
} Catalog;

/* load(): marks tables loaded and counts. */
static int
cat_load(void *arg, SqlpilotTableRef *tables, const int *which, int n)
{
	Catalog    *c = arg;

	c->loads++;
	c->loaded += n;
	if (n > c->biggest_batch)
		c->biggest_batch = n;
	for (int i = 0; i < n; i++)
		tables[which[i]].loaded = true;
	return 0;
}

/* cost(): every table costs per_table tokens. */
static int
cat_cost(void *arg, SqlpilotTableRef *tables, int i)
{
	Catalog    *c = arg;

	c->costs++;
	return c->per_table;
}

/* prompt_tokens(): format, tables with a 2-token seam (plus seam_extra), typed text. */
static int
cat_prompt(void *arg, const int *idx, int n, bool with_typed)
{
	Catalog    *c = arg;

	return FORMAT_TOKENS + n * (c->per_table + 2 + c->seam_extra) + (with_typed ? c->typed_tokens : 0);
}

int
main(void)
{
	char		err[128];
	char		got[512];
	int			k;

	sqlpilot_tokenizer_from_merges(&bytes, NULL, 0, 512, err, sizeof(err));

	/* ---- names and neighbours from the text ---- */
	{
		char	   *schema;
		char	   *name = sqlpilot_tables_name_of("create table IF NOT EXISTS public.\"Bb\" (y int)", 46, &schema);

		tap_ok(name && strcmp(name, "Bb") == 0 && schema && strcmp(schema, "public") == 0,
			   "name_of: IF NOT EXISTS, schema-qualified, quoted name keeps its case");
		free(name);
		free(schema);
		name = sqlpilot_tables_name_of("CREATE TEMP TABLE Orders (id int)", 33, &schema);
		tap_ok(name && strcmp(name, "orders") == 0 && schema == NULL, "name_of: TEMP, unquoted folded");
		free(name);
		name = sqlpilot_tables_name_of("CREATE INDEX i ON t (x)", 23, &schema);
		tap_ok(name == NULL, "name_of: not a CREATE TABLE gives NULL");
	}
	{
		const char *texts[] = {
			"CREATE TABLE a (id int PRIMARY KEY)",
			"CREATE TABLE b (id int, a_id int REFERENCES public.a (id))",
			"CREATE TABLE c (id int, note text DEFAULT 'REFERENCES b')",
		};
		SqlpilotTableRef refs[3];
		char	   *owned[6];

		memset(refs, 0, sizeof(refs));
		for (int i = 0; i < 3; i++)
		{
			owned[2 * i] = sqlpilot_tables_name_of(texts[i], strlen(texts[i]), &owned[2 * i + 1]);
			refs[i].name = owned[2 * i];
		}
		tap_ok(sqlpilot_tables_find_neighbours(refs, 3, texts, NULL) == 0 &&
			   refs[0].n_neighbours == 1 && refs[0].neighbours[0] == 1 &&
			   refs[1].n_neighbours == 1 && refs[1].neighbours[0] == 0 && refs[2].n_neighbours == 0,
			   "neighbours: REFERENCES links both ways; not inside a string literal");
		sqlpilot_tables_free_neighbours(refs, 3);
		for (int i = 0; i < 6; i++)
			free(owned[i]);
	}

	/* ---- the choice over table texts (each table 40 bytes = 40 tokens) ---- */
	{
		const char *texts[] = {
			"CREATE TABLE a (id int PRIMARY KEY, x int)",
			"CREATE TABLE b (id int, a_id int REFERENCES a)",
			"CREATE TABLE c (id int, note text, y int)",
			"CREATE TABLE d (id int, name text, z int)",
		};
		size_t		all = 0;
		int			budget;

		for (int i = 0; i < 4; i++)
			all += strlen(texts[i]);
		budget = FORMAT_TOKENS + (int) all + 3 * 2 + 8;
		k = choose(texts, 4, "SELECT ", budget, got);
		tap_ok(k == 4 && strcmp(got, "0,1,2,3") == 0, "every table when all fit, in their order (%s)", got);

		/* room for about two tables once a quarter is reserved */
		budget = 200;
		k = choose(texts, 4, "SELECT * FROM d", budget, got);
		tap_ok(k >= 1 && strstr(got, "3") != NULL, "the named table is kept (%s)", got);
		k = choose(texts, 4, "SELECT * FROM b JOIN ", budget, got);
		tap_ok(k == 2 && strcmp(got, "0,1") == 0, "a foreign-key neighbour comes before unrelated tables (%s)", got);
		k = choose(texts, 4, "SELECT * FROM a", budget, got);
		tap_ok(k == 2 && strcmp(got, "0,1") == 0, "neighbours both ways (%s)", got);
		k = choose(texts, 4, "SELECT * FROM d JOIN b", budget, got);
		tap_ok(k == 2 && strcmp(got, "1,3") == 0, "two named tables beat the neighbour, in catalog order (%s)", got);
		k = choose(texts, 4, "SELECT 1", budget, got);
		tap_ok(k == 2 && strcmp(got, "0,1") == 0, "naming nothing takes the first tables in order (%s)", got);

		/* the quarter: 3 tables would fit in the budget, not beside the reserve */
		budget = FORMAT_TOKENS + 3 * 48 + 10;
		k = choose(texts, 4, "SELECT", budget, got);
		tap_ok(k == 2, "a quarter of the budget is left for the prefix (%d chosen of budget %d: %s)", k, budget, got);

		/* the choice holds as the prefix grows */
		{
			const char *stmt = "SELECT b.id, b.a_id FROM b WHERE b.id > 10 AND b.a_id < 20 ORDER BY b.id";
			char		first[512] = "";
			bool		stable = true;

			for (size_t l = strlen("SELECT b"); l <= strlen(stmt); l++)
			{
				char		typed[256];
				int			chosen[8];

				memcpy(typed, stmt, l);
				typed[l] = '\0';
				k = sqlpilot_tables_choose_texts(&bytes, texts, NULL, NULL, 4, typed, l, 200, chosen);
				got[0] = '\0';
				for (int i = 0; i < k; i++)
					sprintf(got + strlen(got), "%s%d", i ? "," : "", chosen[i]);
				if (first[0] == '\0')
					strcpy(first, got);
				stable = stable && strcmp(first, got) == 0;
			}
			tap_ok(stable && strcmp(first, "0,1") == 0, "the same tables while the prefix grows (%s, last %s)", first, got);
		}

		/* whole tables only: a named table too big for the budget is left out, not cut */
		{
			const char *big[] = {
				"CREATE TABLE small (id int)",
				"CREATE TABLE huge (c1 int, c2 int, c3 int, c4 int, c5 int, c6 int, c7 int, c8 int, c9 int)",
			};
			int			chosen[2];

			k = sqlpilot_tables_choose_texts(&bytes, big, NULL, NULL, 2, "SELECT * FROM huge", 18, 120, chosen);
			tap_ok(k == 1 && chosen[0] == 0, "whole tables only: the named table that cannot fit is left out (%d)", k);
		}

		/* nothing fits */
		k = choose(texts, 4, "SELECT * FROM a", FORMAT_TOKENS + 15 + 20, got);
		tap_ok(k == 0, "nothing chosen when no table fits (%d)", k);
		k = choose(texts, 4, "SELECT * FROM a", FORMAT_TOKENS + 10, got);
		tap_ok(k == SQLPILOT_TABLES_TOO_LONG, "the prefix alone over the budget is TOO_LONG (%d)", k);
		k = choose(texts, 0, "SELECT 1", 100, got);
		tap_ok(k == 0, "no tables: nothing chosen");
	}

	/* ---- a word typed up to the end names the tables it starts ---- */
	{
		const char *texts[] = {
			"CREATE TABLE alpha (id int, x int, yy int)",
			"CREATE TABLE betas (id int, x int, yy int)",
			"CREATE TABLE gamma_one (id int, xx int)",
			"CREATE TABLE delta (id int, x int, yy int)",
		};

		k = choose(texts, 4, "INSERT INTO gam", 200, got);
		tap_ok(k >= 1 && strstr(got, "2") != NULL, "a partial word keeps the table it starts (%s)", got);
		k = choose(texts, 4, "INSERT INTO gam ", 200, got);
		tap_ok(strstr(got, "2") == NULL, "a word that ended names nothing it starts (%s)", got);
		k = choose(texts, 4, "SELECT * FROM alpha", 200, got);
		tap_ok(k >= 1 && strstr(got, "0") != NULL, "a whole name is still the table (%s)", got);
	}

	/* ---- qualified names and tables out of scope ---- */
	{
		const int	no[1] = {0};
		SqlpilotTableRef refs[3] = {
			{"t", "s1", no, 0, true, false, 10},
			{"t", "s2", no, 0, true, false, 10},
			{"u", "s3", no, 0, true, false, 10},	/* out of scope */
		};
		Catalog		c = {refs, 3, 0, 0, 0, 0, 10, 20, 0};
		SqlpilotTablesBudget b = {FORMAT_TOKENS + 20 + 100, cat_load, cat_cost, cat_prompt, NULL, &c};
		int			work[3],
					chosen[3],
					cand;

		b.budget = 76;		/* one table beside the reserve, not two */
		k = sqlpilot_tables_choose(refs, 3, 2, "SELECT * FROM s2.t", 18, &b, work, chosen, &cand);
		tap_ok(k == 1 && chosen[0] == 1 && cand == 2, "schema.table names only that schema's table (%d: %d)", k, chosen[0]);
		b.budget = 1000;
		k = sqlpilot_tables_choose(refs, 3, 2, "SELECT * FROM u", 15, &b, work, chosen, &cand);
		tap_ok(k == 2 && chosen[0] == 0 && chosen[1] == 1 && cand == 2, "an unqualified name does not bring in a table out of scope");
		k = sqlpilot_tables_choose(refs, 3, 2, "SELECT * FROM s3.u", 18, &b, work, chosen, &cand);
		tap_ok(k == 3 && chosen[2] == 2 && cand == 3, "a qualified name brings it in, after the tables in scope");
	}

	/* ---- the exact check drops the least wanted table ---- */
	{
		SqlpilotTableRef refs[4];
		Catalog		c = {refs, 4, 0, 0, 0, 0, 80, 10, 60};
		SqlpilotTablesBudget b = {0, cat_load, cat_cost, cat_prompt, NULL, &c};
		int			work[4],
					chosen[4];

		memset(refs, 0, sizeof(refs));
		for (int i = 0; i < 4; i++)
		{
			refs[i].name = i == 0 ? "p" : i == 1 ? "q" : i == 2 ? "r" : "s";
			refs[i].loaded = true;
			refs[i].cost = -1;
		}
		/* estimated 82 per table: two fit beside the reserve; 142 each in the prompt: one */
		b.budget = 280;
		k = sqlpilot_tables_choose(refs, 4, 4, "SELECT * FROM s", 15, &b, work, chosen, NULL);
		tap_ok(k == 1 && chosen[0] == 3 && cat_prompt(&c, chosen, k, true) <= b.budget,
			   "the exact check drops the least wanted table, keeps the named one (%d)", k);
		tap_ok(c.costs == 4, "each table's cost is asked once (%d)", c.costs);
	}

	/* ---- a huge catalog, loaded lazily ---- */
	{
		int			n = 20000;
		SqlpilotTableRef *refs = calloc(n, sizeof(SqlpilotTableRef));
		char	  (*names)[16] = malloc(sizeof(*names) * n);
		int		   *work = malloc(sizeof(int) * n);
		int		   *chosen = malloc(sizeof(int) * n);
		int			nb[1] = {7};
		Catalog		c = {refs, n, 0, 0, 0, 0, 30, 20, 0};
		SqlpilotTablesBudget b = {1024, cat_load, cat_cost, cat_prompt, NULL, &c};
		bool		has_named = false,
					has_nb = false,
					ascending = true;

		for (int i = 0; i < n; i++)
		{
			snprintf(names[i], 16, "t%d", i);
			refs[i].name = names[i];
			refs[i].cost = -1;
		}
		refs[19999].neighbours = nb;
		refs[19999].n_neighbours = 1;
		k = sqlpilot_tables_choose(refs, n, n, "SELECT * FROM t19999 JOIN ", 26, &b, work, chosen, NULL);
		for (int i = 0; i < k; i++)
		{
			has_named = has_named || chosen[i] == 19999;
			has_nb = has_nb || chosen[i] == 7;
			ascending = ascending && (i == 0 || chosen[i - 1] < chosen[i]);
		}
		tap_ok(k > 2 && has_named && has_nb && ascending, "20,000 tables: the named one and its neighbour, ascending (%d chosen)", k);
		tap_ok(c.loaded < 200 && c.biggest_batch <= 64, "20,000 tables: %d loaded in %d batches (largest %d)", c.loaded, c.loads, c.biggest_batch);
		tap_ok(cat_prompt(&c, chosen, k, true) <= b.budget, "20,000 tables: the prompt fits the budget");

		/* a budget that rules out all 20,000 by their lower bound, yet holds thousands */
		for (int i = 0; i < n; i++)
		{
			refs[i].loaded = false;
			refs[i].cost = -1;
		}
		c.loads = c.loaded = c.biggest_batch = 0;
		c.per_table = SQLPILOT_TABLES_MIN_TOKENS;
		b.budget = 4 * n - 1;
		k = sqlpilot_tables_choose(refs, n, n, "SELECT 1", 8, &b, work, chosen, NULL);
		tap_ok(k > 9000 && c.loads > 100 && c.biggest_batch == 64 && cat_prompt(&c, chosen, k, true) <= b.budget,
			   "20,000 tables, thousands chosen: loaded in %d batches of at most 64 (%d chosen)", c.loads, k);
		free(refs);
		free(names);
		free(work);
		free(chosen);
	}

	/* ---- the rest comes from the first budget / 4 + 1 tables: a listing may stop there ---- */
	{
		enum {N = 300, BUDGET = 400, LIMIT = SQLPILOT_TABLES_REST_LIMIT(BUDGET)};
		SqlpilotTableRef refs[N];
		SqlpilotTableRef part[LIMIT + 1];
		char		names[N][8];
		Catalog		c = {refs, N, 0, 0, 0, 0, 4, 10, 0};
		SqlpilotTablesBudget b = {BUDGET, cat_load, cat_cost, cat_prompt, NULL, &c};
		int			work[N],
					chosen[N],
					chosen_part[LIMIT + 1],
					k_part;
		bool		past = false,
					named = false,
					same;
		const char *typed = "SELECT * FROM t250 JOIN ";

		memset(refs, 0, sizeof(refs));
		for (int i = 0; i < N; i++)
		{
			snprintf(names[i], sizeof(names[i]), "t%d", i);
			refs[i].name = names[i];
			refs[i].loaded = true;
			/* all but the last of the first LIMIT are too big for the budget */
			refs[i].cost = i < LIMIT - 1 ? 100000 : 4;
		}
		memcpy(part, refs, sizeof(SqlpilotTableRef) * LIMIT);
		part[LIMIT] = refs[250];
		k = sqlpilot_tables_choose(refs, N, N, typed, strlen(typed), &b, work, chosen, NULL);
		for (int i = 0; i < k; i++)
		{
			named = named || chosen[i] == 250;
			past = past || (chosen[i] >= LIMIT && chosen[i] != 250);
		}
		tap_ok(k == 2 && named && !past,
			   "only the named table comes from past the first %d, however much room is left (%d chosen)",
			   LIMIT, k);
		k_part = sqlpilot_tables_choose(part, LIMIT + 1, LIMIT + 1, typed, strlen(typed), &b, work,
										chosen_part, NULL);
		same = k_part == k;
		for (int i = 0; same && i < k; i++)
			same = (chosen_part[i] == LIMIT ? 250 : chosen_part[i]) == chosen[i];
		tap_ok(same, "the first %d tables plus the named one give the same choice as all %d", LIMIT, N);
	}

	sqlpilot_tokenizer_free(&bytes);
	return tap_done();
}
