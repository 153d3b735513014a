/*
 * table_choice.c — the one choice of tables for a prompt that cannot hold
 * the whole schema (see table_choice.h): an order of preference from what
 * has been typed, then a greedy pass over it within the budget, with lazy
 * loading of definitions in growing batches, then an exact check that drops
 * the least wanted table until the prompt fits.  The names in typed text are
 * read with the identifier scanner of sql_words.h (PostgreSQL's rules).
 */
#include "table_choice.h"

#include <stdlib.h>
#include <string.h>

#include "prompt.h"
#include "sql_words.h"

/* Tables whose definitions are loaded in one call of load(): first, most. */
#define TABLES_FIRST_BATCH 8
#define TABLES_MAX_BATCH 64

/* Whether a table known only by name is the one a mention (schema may be NULL) means. */
static bool
names_table(const SqlpilotTableRef *t, const char *name, const char *schema)
{
	if (t->name == NULL || strcmp(name, t->name) != 0)
		return false;
	return schema == NULL || t->schema == NULL || strcmp(schema, t->schema) == 0;
}

/*
 * The order of preference: tables named in typed (order of first mention; an
 * unqualified name means only tables in scope; a word typed up to the end
 * that names none, the tables it starts), their foreign-key neighbours,
 * then the rest of the first rest_limit tables in scope in their order.  taken (n_tables
 * ints) is scratch.  Writes order and *n_order; returns how many are named
 * or neighbours, or SQLPILOT_TABLES_STOPPED.
 */
static int
priority_order(const SqlpilotTableRef *tables, int n_tables, int n_scope, const char *typed,
			   size_t typed_len, const SqlpilotTablesBudget *b, int rest_limit, int *taken,
			   int *order, int *n_order)
{
	int			n = 0;
	int			named_end;
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	SqlpilotSqlIdent prev;

	memset(taken, 0, sizeof(int) * (size_t) n_tables);
	memset(&prev, 0, sizeof(prev));
	while (typed != NULL && sqlpilot_sql_next_ident(typed, typed_len, &pos, &id))
	{
		const char *schema = id.dot_before && prev.dot_after ? prev.name : NULL;
		bool		named = false;

		if (b->should_stop && b->should_stop(b->arg))
			return SQLPILOT_TABLES_STOPPED;
		for (int t = 0; t < n_tables; t++)
			if ((schema != NULL || t < n_scope) && names_table(&tables[t], id.name, schema))
			{
				named = true;
				if (!taken[t])
				{
					taken[t] = 1;
					order[n++] = t;
				}
			}

		/*
		 * A word the typed text ends inside that names no table: the tables
		 * in scope it starts ("INSERT INTO trouble" is troubleshooting_tasks).
		 */
		for (int t = 0; !named && !id.quoted && id.end == typed_len && id.len >= 2 && t < n_scope; t++)
			if (!taken[t] && tables[t].name && strncmp(tables[t].name, id.name, id.len) == 0)
			{
				taken[t] = 1;
				order[n++] = t;
			}
		prev = id;
	}
	named_end = n;
	for (int k = 0; k < named_end; k++)
	{
		const SqlpilotTableRef *t = &tables[order[k]];

		for (int j = 0; j < t->n_neighbours; j++)
		{
			int			nb = t->neighbours[j];

			if (nb >= 0 && nb < n_tables && !taken[nb])
			{
				taken[nb] = 1;
				order[n++] = nb;
			}
		}
	}
	named_end = n;
	for (int t = 0; t < n_scope && t < rest_limit; t++)
		if (!taken[t])
			order[n++] = t;
	*n_order = n;
	return named_end;
}

/*
 * Whether every table in scope and n_extra more may fit (false: they
 * certainly do not); skipped tables count too, so the answer needs only the
 * number of tables, never a definition.
 */
static bool
all_may_fit(int n_scope, int n_extra, int budget)
{
	return 1 + ((long long) n_scope + n_extra) * SQLPILOT_TABLES_MIN_TOKENS <= budget;	/* BOS */
}

/* Ascending int comparison for qsort. */
static int
compare_ints(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

/*
 * The all-fit attempt: loads every table in scope and those of order[0..
 * n_wanted) outside it, and lists the usable ones ascending in out; returns
 * their count, or SQLPILOT_TABLES_ERROR.
 */
static int
every_table(SqlpilotTableRef *tables, int n_scope, const int *order, int n_wanted,
			const SqlpilotTablesBudget *b, int *out)
{
	int			n = 0;

	for (int pass = 0; pass < 2; pass++)
	{
		n = 0;
		for (int i = 0; i < n_scope + n_wanted; i++)
		{
			int			t = i < n_scope ? i : order[i - n_scope];

			if (i >= n_scope && t < n_scope)
				continue;
			if (pass == 0 ? !tables[t].loaded : !tables[t].skip)
				out[n++] = t;
		}
		if (pass == 0 && n > 0 && (b->load == NULL || b->load(b->arg, tables, out, n) != 0))
			return SQLPILOT_TABLES_ERROR;
	}
	qsort(out, (size_t) n, sizeof(int), compare_ints);
	return n;
}

/*
 * Loads the next candidates of order (from position k on) that are not
 * loaded and may still fit next to used tokens: the one at k and up to
 * batch in all, so one load serves many.  which holds TABLES_MAX_BATCH ints.
 */
static int
load_candidates(SqlpilotTableRef *tables, const int *order, int n_order, int k, int used,
				const SqlpilotTablesBudget *b, int batch, int *which)
{
	int			n = 0;

	for (; k < n_order && n < batch; k++)
		if (!tables[order[k]].loaded &&
			used + SQLPILOT_TABLES_MIN_TOKENS + SQLPILOT_TABLES_SEAM_TOKENS <= b->budget)
			which[n++] = order[k];
	if (n == 0)
		return 0;
	return b->load == NULL ? -1 : b->load(b->arg, tables, which, n);
}

/* See table_choice.h. */
int
sqlpilot_tables_choose(SqlpilotTableRef *tables, int n_tables, int n_scope, const char *typed,
					   size_t typed_len, const SqlpilotTablesBudget *b, int *work, int *chosen,
					   int *n_candidates)
{
	int		   *order = work;
	int			n_order;
	int			n_wanted;
	int			n_extra = 0;
	int			n_chosen = 0;
	int			batch = TABLES_FIRST_BATCH;
	bool		rest_full = false;	/* a table of the rest did not fit */
	int			which[TABLES_MAX_BATCH];
	int			used;
	int			base;
	int			needed;

	if (n_scope > n_tables)
		n_scope = n_tables;
	used = b->prompt_tokens(b->arg, NULL, 0, true);
	if (used < 0)
		return SQLPILOT_TABLES_ERROR;
	if (used > b->budget)
		return SQLPILOT_TABLES_TOO_LONG;
	n_wanted = priority_order(tables, n_tables, n_scope, typed, typed_len, b,
							  SQLPILOT_TABLES_REST_LIMIT(b->budget), chosen, order, &n_order);
	if (n_wanted < 0)
		return n_wanted;
	for (int k = 0; k < n_wanted; k++)
		n_extra += order[k] >= n_scope;
	if (n_candidates)
		*n_candidates = n_scope + n_extra;

	if (all_may_fit(n_scope, n_extra, b->budget))
	{
		int			n_all = every_table(tables, n_scope, order, n_wanted, b, chosen);

		if (n_all < 0)
			return n_all;
		needed = b->prompt_tokens(b->arg, chosen, n_all, true);
		if (needed < 0)
			return SQLPILOT_TABLES_ERROR;
		if (needed <= b->budget)
			return n_all;
	}

	/* leave the typed text room to grow, so the choice holds while typing */
	base = b->prompt_tokens(b->arg, NULL, 0, false);
	if (base < 0)
		return SQLPILOT_TABLES_ERROR;
	if (used < base + b->budget / 4)
		used = base + b->budget / 4;

	for (int k = 0; k < n_order; k++)
	{
		SqlpilotTableRef *t = &tables[order[k]];
		int			cost;

		if (b->should_stop && b->should_stop(b->arg))
			return SQLPILOT_TABLES_STOPPED;
		if (used + SQLPILOT_TABLES_MIN_TOKENS + SQLPILOT_TABLES_SEAM_TOKENS > b->budget ||
			(!t->loaded && rest_full))
			continue;
		if (!t->loaded)
		{
			if (load_candidates(tables, order, n_order, k, used, b, batch, which) != 0 ||
				!t->loaded)
				return SQLPILOT_TABLES_ERROR;
			if (batch < TABLES_MAX_BATCH)
				batch *= 2;
		}
		if (t->skip)
			continue;
		if (t->cost < 0 && b->cost != NULL)
		{
			int			c = b->cost(b->arg, tables, order[k]);

			if (c < 0)
				return SQLPILOT_TABLES_ERROR;
			t->cost = c;
		}
		cost = (t->cost < 0 ? SQLPILOT_TABLES_MIN_TOKENS : t->cost) + SQLPILOT_TABLES_SEAM_TOKENS;
		if (used + cost <= b->budget)
		{
			chosen[n_chosen++] = order[k];
			used += cost;
		}
		else if (k >= n_wanted)
			rest_full = true;
	}

	/* the estimate can miss at the seams: drop the least wanted table until it fits */
	for (;;)
	{
		if (b->should_stop && b->should_stop(b->arg))
			return SQLPILOT_TABLES_STOPPED;
		memcpy(order, chosen, sizeof(int) * (size_t) n_chosen);
		qsort(order, (size_t) n_chosen, sizeof(int), compare_ints);
		needed = b->prompt_tokens(b->arg, order, n_chosen, true);
		if (needed < 0)
			return SQLPILOT_TABLES_ERROR;
		if (n_chosen == 0 || needed <= b->budget)
			break;
		n_chosen--;
	}
	if (needed > b->budget)
		return SQLPILOT_TABLES_TOO_LONG;
	memcpy(chosen, order, sizeof(int) * (size_t) n_chosen);
	return n_chosen;
}

/* Whether an identifier is the keyword kw (unquoted, any case: its value is folded). */
static bool
ident_is(const SqlpilotSqlIdent *id, const char *kw)
{
	return !id->quoted && strcmp(id->name, kw) == 0;
}

/*
 * Reads a possibly qualified name at *pos: the last part into name (malloc'd)
 * and the one before it into *schema (malloc'd or NULL).  NULL at the end.
 */
static char *
read_qualified(const char *text, size_t len, size_t *pos, SqlpilotSqlIdent *id, char **schema)
{
	SqlpilotSqlIdent prev;

	*schema = NULL;
	if (!sqlpilot_sql_next_ident(text, len, pos, id))
		return NULL;
	while (id->dot_after)
	{
		size_t		save = *pos;

		prev = *id;
		if (!sqlpilot_sql_next_ident(text, len, pos, id) || !id->dot_before)
		{
			*pos = save;
			*id = prev;
			break;
		}
		free(*schema);
		*schema = strdup(prev.name);
	}
	return strdup(id->name);
}

/* See table_choice.h. */
char *
sqlpilot_tables_name_of(const char *text, size_t len, char **schema)
{
	size_t		pos = 0;
	SqlpilotSqlIdent id;

	*schema = NULL;
	if (!sqlpilot_sql_next_ident(text, len, &pos, &id) || !ident_is(&id, "create") ||
		!sqlpilot_sql_next_ident(text, len, &pos, &id))
		return NULL;
	while (ident_is(&id, "global") || ident_is(&id, "local") || ident_is(&id, "temp") ||
		   ident_is(&id, "temporary") || ident_is(&id, "unlogged"))
		if (!sqlpilot_sql_next_ident(text, len, &pos, &id))
			return NULL;
	if (!ident_is(&id, "table"))
		return NULL;
	{
		size_t		save = pos;
		SqlpilotSqlIdent a,
					b,
					c;

		/* IF NOT EXISTS, unless "if" is the table's name */
		if (sqlpilot_sql_next_ident(text, len, &pos, &a) && ident_is(&a, "if") && !a.dot_after &&
			sqlpilot_sql_next_ident(text, len, &pos, &b) && ident_is(&b, "not") &&
			sqlpilot_sql_next_ident(text, len, &pos, &c) && ident_is(&c, "exists"))
			save = pos;
		pos = save;
	}
	return read_qualified(text, len, &pos, &id, schema);
}

/* Adds j to refs[i]'s neighbours (cap[i] grows); false when out of memory. */
static bool
add_neighbour(SqlpilotTableRef *refs, int *cap, int i, int j)
{
	int		   *nb = (int *) refs[i].neighbours;

	for (int k = 0; k < refs[i].n_neighbours; k++)
		if (nb[k] == j)
			return true;
	if (refs[i].n_neighbours == cap[i])
	{
		int			nc = cap[i] ? cap[i] * 2 : 4;
		int		   *grown = realloc(nb, sizeof(int) * (size_t) nc);

		if (!grown)
			return false;
		nb = grown;
		cap[i] = nc;
		refs[i].neighbours = nb;
	}
	nb[refs[i].n_neighbours++] = j;
	return true;
}

/* See table_choice.h. */
int
sqlpilot_tables_find_neighbours(SqlpilotTableRef *refs, int n, const char *const *texts,
								const size_t *lens)
{
	int		   *cap = calloc((size_t) (n > 0 ? n : 1), sizeof(int));

	if (!cap)
		return -1;
	for (int i = 0; i < n; i++)
	{
		refs[i].neighbours = NULL;
		refs[i].n_neighbours = 0;
	}
	for (int i = 0; i < n; i++)
	{
		size_t		len = lens ? lens[i] : strlen(texts[i]);
		size_t		pos = 0;
		SqlpilotSqlIdent id;

		while (sqlpilot_sql_next_ident(texts[i], len, &pos, &id))
		{
			char	   *schema;
			char	   *name;

			if (!ident_is(&id, "references"))
				continue;
			name = read_qualified(texts[i], len, &pos, &id, &schema);
			for (int j = 0; name && j < n; j++)
				if (j != i && names_table(&refs[j], name, schema) &&
					(!add_neighbour(refs, cap, i, j) || !add_neighbour(refs, cap, j, i)))
				{
					free(name);
					free(schema);
					free(cap);
					return -1;
				}
			free(name);
			free(schema);
		}
	}
	free(cap);
	return 0;
}

/* See table_choice.h. */
void
sqlpilot_tables_free_neighbours(SqlpilotTableRef *refs, int n)
{
	for (int i = 0; i < n; i++)
	{
		free((int *) refs[i].neighbours);
		refs[i].neighbours = NULL;
		refs[i].n_neighbours = 0;
	}
}

/* What the callbacks of sqlpilot_tables_choose_texts need. */
typedef struct TextChoice
{
	const SqlpilotTokenizer *tok;
	const char *const *texts;
	const size_t *lens;
	const char *typed;
	size_t		typed_len;
	char	   *buf;			/* the joined schema text, big enough for every table */
} TextChoice;

/* Length of table i's text. */
static size_t
text_len(const TextChoice *tc, int i)
{
	return tc->lens ? tc->lens[i] : strlen(tc->texts[i]);
}

/* cost(): the tokens of one table's text alone. */
static int
text_cost(void *arg, SqlpilotTableRef *tables, int i)
{
	TextChoice *tc = arg;

	return (int) sqlpilot_tokenizer_encode(tc->tok, tc->texts[i], text_len(tc, i), NULL, 0);
}

/* prompt_tokens(): BOS + the texts joined by one blank line + the typed text. */
static int
text_prompt_tokens(void *arg, const int *idx, int n, bool with_typed)
{
	TextChoice *tc = arg;
	size_t		len = 0;

	for (int k = 0; k < n; k++)
	{
		if (k > 0)
		{
			memcpy(tc->buf + len, "\n\n", 2);
			len += 2;
		}
		memcpy(tc->buf + len, tc->texts[idx[k]], text_len(tc, idx[k]));
		len += text_len(tc, idx[k]);
	}
	return (int) sqlpilot_prompt_encode(tc->tok, tc->buf, len, with_typed ? tc->typed : "",
										with_typed ? tc->typed_len : 0, false, NULL, 0,
										NULL, NULL);
}

/* See table_choice.h. */
int
sqlpilot_tables_choose_texts(const SqlpilotTokenizer *tok, const char *const *texts,
							 const size_t *lens, const char *const *names, int n,
							 const char *typed, size_t typed_len, int budget, int *chosen)
{
	SqlpilotTableRef *refs = calloc((size_t) (n > 0 ? n : 1), sizeof(SqlpilotTableRef));
	char	  **owned = calloc((size_t) (n > 0 ? n : 1), sizeof(char *) * 2);
	int		   *work = malloc(sizeof(int) * (size_t) (n > 0 ? n : 1));
	TextChoice	tc = {tok, texts, lens, typed, typed_len, NULL};
	SqlpilotTablesBudget b = {budget, NULL, text_cost, text_prompt_tokens, NULL, &tc};
	size_t		total = 1;
	int			rc = SQLPILOT_TABLES_ERROR;

	for (int i = 0; i < n; i++)
		total += text_len(&tc, i) + 2;
	tc.buf = malloc(total);
	if (!refs || !owned || !work || !tc.buf)
		goto done;
	for (int i = 0; i < n; i++)
	{
		refs[i].loaded = true;
		refs[i].cost = -1;
		if (names && names[i])
			refs[i].name = names[i];
		else
		{
			owned[2 * i] = sqlpilot_tables_name_of(texts[i], text_len(&tc, i), &owned[2 * i + 1]);
			refs[i].name = owned[2 * i];
			refs[i].schema = owned[2 * i + 1];
		}
	}
	if (sqlpilot_tables_find_neighbours(refs, n, texts, lens) != 0)
		goto done;
	rc = sqlpilot_tables_choose(refs, n, n, typed, typed_len, &b, work, chosen, NULL);
done:
	if (refs)
		sqlpilot_tables_free_neighbours(refs, n);
	for (int i = 0; owned && i < 2 * n; i++)
		free(owned[i]);
	free(owned);
	free(refs);
	free(work);
	free(tc.buf);
	return rc;
}
