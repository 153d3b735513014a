/*
 * gen_randomize.c — name randomization, the augmentation of stage 5.
 *
 * A schema gets a naming profile (table case: lower, PascalCase or
 * Mixed_Case; column case: snake_case, camelCase or joined; how often words
 * are abbreviated; how often a name becomes a random string; singular table
 * names; a "tbl_" prefix).  Each table and column is renamed from its words
 * under that profile, deterministically per (schema seed, word), so the same
 * column name maps to the same new name in every table.  Statements are
 * rebuilt from their identifier spans (gen_text_ident): only the recorded
 * table, column and alias positions change, so keywords, types, literals and
 * constraint clauses are never touched.  Some tables also get their columns
 * shuffled (the key stays first).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_internal.h"
#include "util.h"

#define RND_MAX_NAME 64

typedef enum RndCase
{
	CASE_SNAKE,					/* as generated: lower snake_case */
	CASE_PASCAL,				/* OrderItems */
	CASE_MIXED_UNDER,			/* Order_Items */
	CASE_CAMEL,					/* orderItems */
	CASE_JOINED					/* orderitems */
} RndCase;

typedef struct RndProfile
{
	uint64_t	seed;
	int			table_case;
	int			col_case;
	int			abbrev_pct;		/* share of abbreviable words abbreviated */
	int			random_pct;		/* share of names replaced by a random string */
	bool		singular;		/* singular table names */
	int			compound_pct;	/* share of one-word tables made customer_details, ... */
	bool		prefix;			/* "tbl_" before table names */
	int			shuffle_pct;	/* share of tables whose columns are shuffled */
} RndProfile;

/* Common abbreviations people use in column and table names. */
static const char *const abbreviations[][2] = {
	{"account", "acct"}, {"address", "addr"}, {"amount", "amt"}, {"appointment", "appt"},
	{"attachment", "att"}, {"average", "avg"}, {"balance", "bal"}, {"category", "cat"},
	{"certificate", "cert"}, {"code", "cd"}, {"company", "co"}, {"count", "cnt"},
	{"customer", "cust"}, {"date", "dt"}, {"department", "dept"}, {"description", "descr"},
	{"document", "doc"}, {"employee", "emp"}, {"information", "info"}, {"inventory", "inv"},
	{"invoice", "inv"}, {"maximum", "max"}, {"message", "msg"}, {"minimum", "min"},
	{"number", "num"}, {"organization", "org"}, {"payment", "pmt"}, {"percent", "pct"},
	{"phone", "ph"}, {"price", "prc"}, {"product", "prod"}, {"quantity", "qty"},
	{"reference", "ref"}, {"registration", "reg"}, {"schedule", "sched"}, {"sequence", "seq"},
	{"status", "stat"}, {"temperature", "temp"}, {"total", "tot"}, {"transaction", "txn"},
	{"user", "usr"}, {"vehicle", "veh"}, {"warehouse", "wh"}, {"identifier", "id"},
	{"first", "fst"}, {"last", "lst"}, {"name", "nm"}, {"created", "crt"}, {"updated", "upd"},
	{"shipment", "shpmt"}, {"order", "ord"}, {"item", "itm"}, {"review", "rvw"},
	{"supplier", "supp"}, {"manager", "mgr"}, {"patient", "pt"}, {"doctor", "dr"},
	{"student", "stu"}, {"course", "crs"}, {"location", "loc"}, {"member", "mbr"}
};

/* A 64-bit hash of a string mixed with a seed (FNV-1a, then SplitMix). */
static uint64_t
name_hash(const char *s, uint64_t seed)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ seed;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
	return sqlpilot_rng_next(&h);
}

/* The abbreviation of a word, or NULL. */
static const char *
abbreviation_of(const char *word)
{
	for (size_t i = 0; i < sizeof(abbreviations) / sizeof(abbreviations[0]); i++)
		if (strcmp(word, abbreviations[i][0]) == 0)
			return abbreviations[i][1];
	return NULL;
}

/* Turns a plural word into its singular in place (simple English rules). */
static void
singular_word(char *w)
{
	size_t		n = strlen(w);

	if (n > 4 && strcmp(w + n - 3, "ies") == 0)
		strcpy(w + n - 3, "y");
	else if (n > 4 && (strcmp(w + n - 4, "ches") == 0 || strcmp(w + n - 4, "shes") == 0 ||
					   strcmp(w + n - 4, "sses") == 0 || strcmp(w + n - 3, "xes") == 0))
		w[n - 2] = '\0';
	else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u')
		w[n - 1] = '\0';
}

/* Writes a random identifier-like string (letter first) derived from h. */
static void
random_name(uint64_t h, bool table, char *out, size_t cap)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	int			len = 4 + (int) (h % 7);
	size_t		n = 0;

	h = sqlpilot_rng_next(&h);
	if (h % 3 == 0 && cap > 3)
	{
		memcpy(out, table ? "t_" : "c_", 2);
		n = 2;
	}
	out[n++] = letters[h % 26];
	for (int i = 1; i < len && n + 1 < cap; i++)
	{
		h = sqlpilot_rng_next(&h);
		out[n++] = alnum[h % 36];
	}
	out[n] = '\0';
}

/* Applies a case style to '_'-separated lower-case words in place. */
static void
apply_case(char *name, int style)
{
	char		out[RND_MAX_NAME * 2];
	size_t		n = 0;
	bool		start = true;

	if (style == CASE_SNAKE)
		return;
	for (const char *p = name; *p && n + 2 < sizeof(out); p++)
	{
		if (*p == '_')
		{
			if (style == CASE_MIXED_UNDER)
				out[n++] = '_';
			start = true;
			continue;
		}
		if (start && (style == CASE_PASCAL || style == CASE_MIXED_UNDER ||
					  (style == CASE_CAMEL && n > 0)))
			out[n++] = (char) toupper((unsigned char) *p);
		else
			out[n++] = *p;
		start = false;
	}
	out[n] = '\0';
	if (n > 0)
		strcpy(name, out);
}

/* Renames one identifier under the profile into out (RND_MAX_NAME bytes). */
static void
new_name(const RndProfile *pr, const char *old, bool table, char *out)
{
	char		words[RND_MAX_NAME * 2];
	char		*last = NULL;
	size_t		n = 0;
	uint64_t	h = name_hash(old, pr->seed);

	if ((int) (h % 100) < pr->random_pct)
	{
		random_name(h, table, out, RND_MAX_NAME);
		return;
	}
	/* word by word: abbreviation decided per (schema, word) */
	words[0] = '\0';
	for (const char *p = old; *p;)
	{
		char		w[RND_MAX_NAME];
		size_t		k = strcspn(p, "_");
		const char *ab;

		if (k >= sizeof(w))
			k = sizeof(w) - 1;
		memcpy(w, p, k);
		w[k] = '\0';
		for (size_t i = 0; i < k; i++)
			w[i] = (char) tolower((unsigned char) w[i]);
		p += k;
		if (*p == '_')
			p++;
		ab = abbreviation_of(w);
		if (ab && (int) (name_hash(w, pr->seed ^ 0xabcdULL) % 100) < pr->abbrev_pct)
			snprintf(w, sizeof(w), "%s", ab);
		if (n > 0 && n + 1 < sizeof(words))
			words[n++] = '_';
		last = words + n;
		n += (size_t) snprintf(words + n, sizeof(words) - n, "%s", w);
		if (n >= sizeof(words))
			n = sizeof(words) - 1;
	}
	if (table && pr->singular && last)
		singular_word(last);
	/* one-word tables as compounds: customers -> customer_details */
	if (table && last == words && (int) (name_hash(old, pr->seed ^ 0x77ULL) % 100) < pr->compound_pct)
	{
		static const char *const suffixes[] = {"_details", "_info", "_records", "_data", "_list"};

		singular_word(words);
		n = strlen(words);
		snprintf(words + n, sizeof(words) - n, "%s", suffixes[name_hash(old, pr->seed) % 5]);
	}
	if (table && pr->prefix)
	{
		char		tmp[RND_MAX_NAME * 2];

		snprintf(tmp, sizeof(tmp), "tbl_%s", words);
		snprintf(words, sizeof(words), "%s", tmp);
	}
	apply_case(words, table ? pr->table_case : pr->col_case);
	snprintf(out, RND_MAX_NAME, "%s", words);
}

/* Makes name unique (case-insensitively) among taken[0..n) and quote-free when it can. */
static void
uniquify(char *name, char **taken, int n, const char *fallback)
{
	char		base[RND_MAX_NAME];

	if (name[0] == '\0' || sqlpilot_schema_needs_quotes(name, true))
		snprintf(name, RND_MAX_NAME, "%s", fallback);
	snprintf(base, sizeof(base), "%s", name);
	for (int suffix = 2; suffix < 100; suffix++)
	{
		bool		clash = false;

		for (int i = 0; i < n; i++)
			if (strcasecmp(taken[i], name) == 0)
				clash = true;
		if (!clash)
			return;
		snprintf(name, RND_MAX_NAME, "%.*s%d", RND_MAX_NAME - 4, base, suffix);
	}
}

/* Draws the naming profile of a schema (shares from the reference statistics). */
static void
pick_profile(RndProfile *pr, uint64_t *rng)
{
	uint64_t	r;

	pr->seed = sqlpilot_rng_next(rng);
	r = sqlpilot_rng_below(rng, 100);
	pr->table_case = r < 73 ? CASE_SNAKE : r < 97 ? CASE_PASCAL : CASE_MIXED_UNDER;
	r = sqlpilot_rng_below(rng, 100);
	pr->col_case = r < 94 ? CASE_SNAKE : r < 97 ? CASE_JOINED : CASE_CAMEL;
	if (pr->table_case == CASE_PASCAL && sqlpilot_rng_below(rng, 100) < 4)
		pr->col_case = CASE_PASCAL;
	r = sqlpilot_rng_below(rng, 100);
	pr->abbrev_pct = r < 70 ? 0 : r < 90 ? 30 : 75;
	pr->random_pct = sqlpilot_rng_below(rng, 100) < 8 ? 20 : 0;
	pr->singular = sqlpilot_rng_below(rng, 100) < 15;
	pr->compound_pct = sqlpilot_rng_below(rng, 100) < 60 ? 75 : 0;
	pr->prefix = sqlpilot_rng_below(rng, 100) < 3;
	pr->shuffle_pct = sqlpilot_rng_below(rng, 100) < 30 ? 60 : 0;
}

/* Replaces *slot with a fresh copy of name. */
static void
set_str(char **slot, const char *name)
{
	free(*slot);
	*slot = strdup(name);
}

/* The new name of an old column name of table t (via the old/new arrays). */
static const char *
map_col(char **old, char **new_names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(old[i], name) == 0)
			return new_names[i];
	return name;
}

/* Writes the alias for a FROM slot: first letter of the new table name, made unique. */
static void
alias_for(const DatagenSchema *s, const char *table, char (*used)[8], int n_used, char *out)
{
	out[0] = (char) tolower((unsigned char) table[0]);
	out[1] = '\0';
	if (!isalpha((unsigned char) out[0]))
		out[0] = 'x';
	for (int tries = 0; tries < 20; tries++)
	{
		bool		clash = sqlpilot_schema_needs_quotes(out, true);

		for (int i = 0; i < n_used; i++)
			if (strcmp(used[i], out) == 0)
				clash = true;
		for (int i = 0; i < s->n_tables; i++)
			if (strcasecmp(s->tables[i].name, out) == 0)
				clash = true;
		if (!clash)
			return;
		snprintf(out, 8, "%c%d", tolower((unsigned char) table[0]), tries + 1);
	}
}

/*
 * Rebuilds one statement text from its spans with the new names; perm maps
 * old column indexes to new ones.  Returns the new text (malloc'd).
 */
static char *
rebuild_sql(const DatagenSchema *s, const char *sql, DatagenIdent *ids, int n_ids, int **perm)
{
	GenText		out = {0};
	size_t		pos = 0;
	char		aliases[8][8];
	int			alias_table[8];
	int			n_alias = 0;
	char	   *res;

	out.exact_case = !s->tables[0].fold_case;

	for (int i = 0; i < n_ids; i++)
	{
		DatagenIdent *id = &ids[i];
		const char *name;
		char		alias[8];

		gen_text_put(&out, sql + pos, id->off - pos);
		pos = (size_t) id->off + id->len;
		if (id->what == DATAGEN_IDENT_TABLE)
			name = s->tables[id->table].name;
		else if (id->what == DATAGEN_IDENT_COLUMN)
			name = s->tables[id->table].columns[perm[id->table][id->column]].name;
		else
		{
			int			slot = id->column < 8 ? id->column : 7;
			int			k;

			for (k = 0; k < n_alias; k++)
				if (alias_table[k] == slot)
					break;
			if (k == n_alias && n_alias < 8)
			{
				alias_for(s, s->tables[id->table].name, aliases, n_alias, alias);
				memcpy(aliases[n_alias], alias, sizeof(alias));
				alias_table[n_alias++] = slot;
			}
			name = aliases[k < 8 ? k : 7];
		}
		{
			int			column = id->what == DATAGEN_IDENT_COLUMN ? perm[id->table][id->column] : id->column;

			/* the new span replaces the old one in place */
			gen_text_ident(&out, name, id->what, id->table, column);
			ids[i] = out.ids[out.n_ids - 1];
		}
	}
	gen_text_put(&out, sql + pos, strlen(sql + pos));
	res = strndup(out.buf.data ? out.buf.data : "", out.buf.len);
	gen_text_free(&out);
	return res;
}

/* See generate.h. */
void
datagen_randomize(DatagenSchema *s, DatagenStatement *st, int n, uint64_t seed)
{
	uint64_t	rng = seed ^ 0x5851F42D4C957F2DULL;
	RndProfile	pr;
	char	  **old_tables;
	char	 ***old_cols;
	char	 ***new_cols;
	int		  **perm;			/* [table][old column] -> new column */
	bool	   *keep_order;

	if (!s || s->n_tables <= 0)
		return;
	sqlpilot_rng_next(&rng);
	pick_profile(&pr, &rng);
	old_tables = calloc((size_t) s->n_tables, sizeof(char *));
	old_cols = calloc((size_t) s->n_tables, sizeof(char **));
	new_cols = calloc((size_t) s->n_tables, sizeof(char **));
	perm = calloc((size_t) s->n_tables, sizeof(int *));

	/* new table names */
	for (int t = 0; t < s->n_tables; t++)
	{
		char		name[RND_MAX_NAME];

		old_tables[t] = s->tables[t].name;
		new_name(&pr, old_tables[t], true, name);
		{
			/* unique among all the tables before it (their new names) */
			char	  **taken = malloc(sizeof(char *) * (size_t) (t + 1));
			int			k = 0;

			for (int o = 0; taken && o < t; o++)
				taken[k++] = s->tables[o].name;
			uniquify(name, taken, k, old_tables[t]);
			free(taken);
		}
		s->tables[t].name = strdup(name);
	}
	/*
	 * A table that an INSERT fills without a column list keeps its column
	 * order: its VALUES follow the table's order.
	 */
	keep_order = calloc((size_t) s->n_tables, sizeof(bool));
	for (int i = 0; i < n; i++)
	{
		int			columns = 0;

		for (int k = 0; k < st[i].n_idents; k++)
			columns += st[i].idents[k].what == DATAGEN_IDENT_COLUMN;
		if ((st[i].kind == DATAGEN_INSERT || st[i].kind == DATAGEN_UPSERT) && columns == 0 &&
			st[i].n_idents > 0)
			keep_order[st[i].idents[0].table] = true;
	}
	/* new column names and the shuffle */
	for (int t = 0; t < s->n_tables; t++)
	{
		SqlpilotTable *tb = &s->tables[t];
		int			nc = tb->n_columns;
		int		   *order = calloc((size_t) nc, sizeof(int));

		old_cols[t] = calloc((size_t) nc, sizeof(char *));
		new_cols[t] = calloc((size_t) nc, sizeof(char *));
		perm[t] = calloc((size_t) nc, sizeof(int));
		for (int c = 0; c < nc; c++)
		{
			char		name[RND_MAX_NAME];

			old_cols[t][c] = tb->columns[c].name;
			new_name(&pr, old_cols[t][c], false, name);
			uniquify(name, new_cols[t], c, old_cols[t][c]);
			new_cols[t][c] = strdup(name);
			order[c] = c;
		}
		if ((int) sqlpilot_rng_below(&rng, 100) < pr.shuffle_pct && !keep_order[t])
			for (int c = nc - 1; c > 1; c--)
			{
				int			j = 1 + (int) sqlpilot_rng_below(&rng, (uint64_t) c);
				int			tmp = order[c];

				order[c] = order[j];
				order[j] = tmp;
			}
		/* order[new] = old */
		{
			SqlpilotColumn *cols = malloc((size_t) nc * sizeof(SqlpilotColumn));
			unsigned char *kinds = s->col_kinds ? malloc((size_t) nc) : NULL;

			for (int c = 0; c < nc; c++)
			{
				cols[c] = tb->columns[order[c]];
				cols[c].name = new_cols[t][order[c]];
				perm[t][order[c]] = c;
				if (kinds)
					kinds[c] = s->col_kinds[t][order[c]];
			}
			memcpy(tb->columns, cols, (size_t) nc * sizeof(SqlpilotColumn));
			free(cols);
			if (kinds)
			{
				memcpy(s->col_kinds[t], kinds, (size_t) nc);
				free(kinds);
			}
		}
		free(order);
	}
	/* keys, indexes, checks and foreign keys follow the names */
	for (int t = 0; t < s->n_tables; t++)
	{
		SqlpilotTable *tb = &s->tables[t];
		int			nc = tb->n_columns;

		for (int i = 0; i < tb->n_indexes; i++)
			for (int k = 0; k < tb->indexes[i].n_cols; k++)
				set_str(&tb->indexes[i].cols[k], map_col(old_cols[t], new_cols[t], nc, tb->indexes[i].cols[k]));
		for (int i = 0; i < tb->n_checks; i++)
		{
			const char *e = tb->checks[i].expr;
			size_t		k = strcspn(e, " ");
			char		col[RND_MAX_NAME];
			char		quoted[RND_MAX_NAME * 2 + 4];
			char		expr[256];

			/* the first word is the column, double-quoted when it needed quotes */
			if (e[0] == '"' && k >= 2 && e[k - 1] == '"')
				snprintf(col, sizeof(col), "%.*s", (int) k - 2, e + 1);
			else
				snprintf(col, sizeof(col), "%.*s", (int) k, e);
			sqlpilot_schema_quote_ident(map_col(old_cols[t], new_cols[t], nc, col), tb->fold_case,
										quoted, sizeof(quoted));
			snprintf(expr, sizeof(expr), "%s%s", quoted, e + k);
			set_str(&tb->checks[i].expr, expr);
		}
		for (int i = 0; i < tb->n_fkeys; i++)
		{
			SqlpilotForeignKey *fk = &tb->fkeys[i];
			int			rt = -1;

			for (int o = 0; o < s->n_tables; o++)
				if (strcmp(old_tables[o], fk->ref_table) == 0)
					rt = o;
			for (int k = 0; k < fk->n_cols; k++)
			{
				set_str(&fk->cols[k], map_col(old_cols[t], new_cols[t], nc, fk->cols[k]));
				if (rt >= 0)
					set_str(&fk->ref_cols[k], map_col(old_cols[rt], new_cols[rt], s->tables[rt].n_columns, fk->ref_cols[k]));
			}
			if (rt >= 0)
				set_str(&fk->ref_table, s->tables[rt].name);
		}
		gen_table_constraint_names(tb);
	}
	for (int l = 0; l < s->n_links; l++)
	{
		s->links[l].child_col = perm[s->links[l].child][s->links[l].child_col];
		s->links[l].parent_col = perm[s->links[l].parent][s->links[l].parent_col];
	}
	/* the statements, through their spans */
	for (int i = 0; i < n; i++)
	{
		char	   *sql = rebuild_sql(s, st[i].sql, st[i].idents, st[i].n_idents, perm);

		free(st[i].sql);
		st[i].sql = sql;
		if (st[i].pg_sql)
		{
			sql = rebuild_sql(s, st[i].pg_sql, st[i].pg_idents, st[i].n_pg_idents, perm);
			free(st[i].pg_sql);
			st[i].pg_sql = sql;
		}
	}
	for (int t = 0; t < s->n_tables; t++)
	{
		for (int c = 0; c < s->tables[t].n_columns; c++)
			free(old_cols[t][c]);
		free(old_cols[t]);
		free(new_cols[t]);
		free(perm[t]);
		free(old_tables[t]);
	}
	free(keep_order);
	free(old_tables);
	free(old_cols);
	free(new_cols);
	free(perm);
}
