/*
 * gen_schema.c — a use case becomes a schema of 1-5 tables (up to 25 in the
 * wide share).
 *
 * The use case's entity is always one of the tables; the others are drawn
 * from the same topic (and, for some activities, an activity table such as
 * a history or audit log).  Tables are ordered master-first; each later table
 * usually holds a key column of an earlier one (a link), declared as a
 * FOREIGN KEY in about a third of the schemas, as in hand-written DDL.
 * Shapes follow docs/data-targets.md section 4: 3-5 columns, the
 * primary key first and named <singular>_id (or id), INT/VARCHAR heavy types,
 * occasional NOT NULL, UNIQUE, DEFAULT, CHECK and indexes.
 *
 * The wide share (GEN_WIDE_SCHEMA_PCT) looks like application databases
 * rather than the reference corpus: more tables (activity tables of several
 * entities join the topic's entities), a non-public schema, quoted
 * mixed-case names as ORMs write them, timestamptz, uuid keys, jsonb and
 * text[] columns, created_at defaults, and more NOT NULL, UNIQUE, CHECK and
 * composite keys.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../client/crdb.h"
#include "gen_internal.h"
#include "util.h"

#define GEN_MAX_COLS 12
#define GEN_WIDE_SCHEMA_PCT 25

/* Schema (namespace) names of the wide share's non-public schemas. */
static const char *const namespaces[] = {"app", "sales", "inventory", "billing", "crm", "hr",
"analytics", "core", "shop", "ops", "data", "store"};

/* Extra tables some activities bring, in the entity notation's terms. */
typedef struct GenActivityTable
{
	int			activity;
	const char *suffix;			/* appended to the entity's singular, or NULL */
	const char *plural;			/* fixed table name when suffix is NULL */
	GenAttr		attrs[4];
} GenActivityTable;

static const GenActivityTable activity_tables[] = {
	{1, "_events", NULL, {{"event_type", DATAGEN_COL_CATEGORY}, {"event_time", DATAGEN_COL_TIMESTAMP}, {"location", DATAGEN_COL_CITY}, {"notes", DATAGEN_COL_TEXT}}},
	{2, "_reports", NULL, {{"report_date", DATAGEN_COL_DATE}, {"total_count", DATAGEN_COL_COUNT}, {"total_amount", DATAGEN_COL_MONEY}, {"summary", DATAGEN_COL_TEXT}}},
	{3, "_history", NULL, {{"changed_at", DATAGEN_COL_TIMESTAMP}, {"old_status", DATAGEN_COL_STATUS}, {"new_status", DATAGEN_COL_STATUS}, {"changed_by", DATAGEN_COL_PERSON}}},
	{4, "_daily_stats", NULL, {{"stat_date", DATAGEN_COL_DATE}, {"views", DATAGEN_COL_COUNT}, {"conversion_rate", DATAGEN_COL_RATE}, {"revenue", DATAGEN_COL_MONEY}}},
	{5, NULL, "audit_logs", {{"action", DATAGEN_COL_CATEGORY}, {"performed_by", DATAGEN_COL_PERSON}, {"performed_at", DATAGEN_COL_TIMESTAMP}, {"details", DATAGEN_COL_TEXT}}},
	{6, NULL, "search_queries", {{"query_text", DATAGEN_COL_TEXT}, {"searched_at", DATAGEN_COL_TIMESTAMP}, {"result_count", DATAGEN_COL_COUNT}, {"session_id", DATAGEN_COL_UUID}}},
	{7, NULL, "import_batches", {{"file_name", DATAGEN_COL_TITLE}, {"imported_at", DATAGEN_COL_TIMESTAMP}, {"row_count", DATAGEN_COL_COUNT}, {"status", DATAGEN_COL_STATUS}}},
	{8, "_archive", NULL, {{"archived_at", DATAGEN_COL_TIMESTAMP}, {"archived_by", DATAGEN_COL_PERSON}, {"reason", DATAGEN_COL_TEXT}, {"is_restorable", DATAGEN_COL_BOOL}}},
	{9, NULL, "approvals", {{"approver_name", DATAGEN_COL_PERSON}, {"decision", DATAGEN_COL_STATUS}, {"decided_at", DATAGEN_COL_TIMESTAMP}, {"comments", DATAGEN_COL_TEXT}}},
	{10, NULL, "notifications", {{"message", DATAGEN_COL_TEXT}, {"channel", DATAGEN_COL_CATEGORY}, {"sent_at", DATAGEN_COL_TIMESTAMP}, {"is_read", DATAGEN_COL_BOOL}}}
};

/* Key column types: how the schema's tables are keyed. */
typedef enum GenKeyStyle
{
	GEN_KEY_INT,
	GEN_KEY_SERIAL,
	GEN_KEY_UUID,
	GEN_KEY_BIGINT
} GenKeyStyle;

/* One table while it is being planned. */
typedef struct GenPlanTable
{
	const char *plural;
	const char *singular;
	char		plural_buf[64];
	char		singular_buf[64];
	const GenAttr *attrs;
	int			n_attrs;
	int			order;			/* sort key: master tables first */
	bool		primary;		/* the use case's own entity */
} GenPlanTable;

/* strdup that tolerates NULL. */
char *
gen_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Picks an index from integer weights. */
static int
pick_weighted(uint64_t *rng, const int *w, int n)
{
	int			total = 0;
	int			r;

	for (int i = 0; i < n; i++)
		total += w[i];
	r = (int) sqlpilot_rng_below(rng, (uint64_t) total);
	for (int i = 0; i < n; i++)
	{
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

/* True with probability pct percent. */
static bool
chance(uint64_t *rng, int pct)
{
	return (int) sqlpilot_rng_below(rng, 100) < pct;
}

/* The PostgreSQL type (format_type spelling) of an attribute of a kind. */
static const char *
type_for_kind(uint64_t *rng, int kind)
{
	static const char *const names[] = {"character varying(50)", "character varying(100)", "text", "character varying(255)"};
	static const int names_w[] = {60, 25, 8, 7};
	static const char *const titles[] = {"character varying(100)", "character varying(255)", "character varying(50)", "text"};
	static const int titles_w[] = {35, 35, 22, 8};
	static const char *const codes[] = {"character varying(20)", "character varying(10)", "character varying(15)", "character varying(50)"};
	static const int codes_w[] = {40, 20, 15, 25};
	static const char *const words[] = {"character varying(20)", "character varying(50)", "text", "character varying(255)"};
	static const int words_w[] = {40, 45, 5, 10};
	static const char *const money[] = {"numeric(10,2)", "numeric", "numeric(12,2)", "numeric(8,2)", "numeric(15,2)", "double precision"};
	static const int money_w[] = {45, 33, 4, 4, 4, 10};

	switch (kind)
	{
		case DATAGEN_COL_FIRST_NAME:
		case DATAGEN_COL_LAST_NAME:
		case DATAGEN_COL_PERSON:
			return names[pick_weighted(rng, names_w, 4)];
		case DATAGEN_COL_TITLE:
			return titles[pick_weighted(rng, titles_w, 4)];
		case DATAGEN_COL_CODE:
			return codes[pick_weighted(rng, codes_w, 4)];
		case DATAGEN_COL_EMAIL:
		case DATAGEN_COL_URL:
		case DATAGEN_COL_ADDRESS:
			return chance(rng, 70) ? "character varying(255)" : chance(rng, 60) ? "character varying(100)" : "text";
		case DATAGEN_COL_PHONE:
			return chance(rng, 70) ? "character varying(20)" : "character varying(15)";
		case DATAGEN_COL_CITY:
		case DATAGEN_COL_COUNTRY:
			return chance(rng, 50) ? "character varying(100)" : "character varying(50)";
		case DATAGEN_COL_TEXT:
			return chance(rng, 85) ? "text" : "character varying(255)";
		case DATAGEN_COL_STATUS:
		case DATAGEN_COL_CATEGORY:
			return words[pick_weighted(rng, words_w, 4)];
		case DATAGEN_COL_MONEY:
			return money[pick_weighted(rng, money_w, 6)];
		case DATAGEN_COL_RATE:
			return chance(rng, 65) ? "numeric(5,2)" : "double precision";
		case DATAGEN_COL_SCORE:
			return chance(rng, 60) ? "double precision" : (chance(rng, 50) ? "numeric(10,2)" : "real");
		case DATAGEN_COL_GEO:
			return chance(rng, 70) ? "double precision" : "numeric(9,6)";
		case DATAGEN_COL_QUANTITY:
		case DATAGEN_COL_COUNT:
			return chance(rng, 95) ? "integer" : (chance(rng, 50) ? "bigint" : "smallint");
		case DATAGEN_COL_YEAR:
			return "integer";
		case DATAGEN_COL_BOOL:
			return "boolean";
		case DATAGEN_COL_DATE:
			return "date";
		case DATAGEN_COL_TIMESTAMP:
			return chance(rng, 90) ? "timestamp without time zone" : "timestamp with time zone";
		case DATAGEN_COL_TIME:
			return "time without time zone";
		case DATAGEN_COL_UUID:
			return "uuid";
		case DATAGEN_COL_JSON:
			return chance(rng, 50) ? "jsonb" : "json";
		case DATAGEN_COL_DURATION:
			return "interval";
		case DATAGEN_COL_BYTES:
			return "bytea";
		default:
			return "text";
	}
}

/* A DEFAULT expression that suits a column, or NULL. */
static const char *
default_for_kind(int kind, const char *type)
{
	switch (kind)
	{
		case DATAGEN_COL_STATUS:
			return strcmp(type, "text") == 0 ? "'active'::text" : "'active'::character varying";
		case DATAGEN_COL_TIMESTAMP:
			return strcmp(type, "timestamp with time zone") == 0 ? "now()" : "CURRENT_TIMESTAMP";
		case DATAGEN_COL_DATE:
			return "CURRENT_DATE";
		case DATAGEN_COL_BOOL:
			return "false";
		case DATAGEN_COL_QUANTITY:
		case DATAGEN_COL_COUNT:
			return "0";
		default:
			return NULL;
	}
}

/* Gives a table its derived constraint and index names (PostgreSQL's own naming). */
void
gen_table_constraint_names(SqlpilotTable *t)
{
	char		buf[256];

	for (int i = 0; i < t->n_indexes; i++)
	{
		SqlpilotIndex *ix = &t->indexes[i];

		if (ix->primary)
			snprintf(buf, sizeof(buf), "%s_pkey", t->name);
		else
			snprintf(buf, sizeof(buf), "%s_%s_%s", t->name, ix->cols[0], ix->unique ? "key" : "idx");
		free(ix->name);
		ix->name = strdup(buf);
	}
	for (int i = 0; i < t->n_fkeys; i++)
	{
		snprintf(buf, sizeof(buf), "%s_%s_fkey", t->name, t->fkeys[i].cols[0]);
		free(t->fkeys[i].name);
		t->fkeys[i].name = strdup(buf);
	}
	for (int i = 0; i < t->n_checks; i++)
	{
		const char *e = t->checks[i].expr;
		size_t		n = strcspn(e, " ");

		snprintf(buf, sizeof(buf), "%s_%.*s_check", t->name, (int) n, e);
		free(t->checks[i].name);
		t->checks[i].name = strdup(buf);
	}
}

/* Adds an index (or key) on one or two columns. */
static void
add_index(SqlpilotTable *t, bool primary, bool unique, bool constraint, const char *c1, const char *c2)
{
	SqlpilotIndex *ix = &t->indexes[t->n_indexes++];
	int			n = c2 ? 2 : 1;

	memset(ix, 0, sizeof(*ix));
	ix->primary = primary;
	ix->unique = unique;
	ix->is_constraint = constraint;
	ix->n_cols = n;
	ix->cols = calloc((size_t) n, sizeof(char *));
	ix->desc = calloc((size_t) n, sizeof(bool));
	ix->cols[0] = gen_strdup(c1);
	if (c2)
		ix->cols[1] = gen_strdup(c2);
}

/* Writes the singular of a plural table name: -ies -> -y, -ches -> -ch, -s dropped. */
static void
singular_of(const char *plural, char *out, size_t cap)
{
	size_t		n = strlen(plural);

	snprintf(out, cap, "%s", plural);
	if (n > 3 && strcmp(plural + n - 3, "ies") == 0)
		snprintf(out, cap, "%.*sy", (int) n - 3, plural);
	else if (n > 4 && strcmp(plural + n - 4, "ches") == 0)
		snprintf(out, cap, "%.*s", (int) n - 2, plural);
	else if (n > 1 && plural[n - 1] == 's')
		snprintf(out, cap, "%.*s", (int) n - 1, plural);
}

/* True when a planned table already has that name. */
static bool
planned(const GenPlanTable *plan, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(plan[i].plural, name) == 0)
			return true;
	return false;
}

/*
 * Fills the plan: which entities (and activity tables) make the n-table
 * schema, master first.  When the topic has fewer entities than n, activity
 * tables of the chosen entities (order_history, customer_events) fill it.
 */
static int
plan_tables(const GenTopic *topic, int entity, int activity, int n, bool fill, uint64_t *rng,
			GenPlanTable *plan)
{
	int			count = 0;
	bool		used[GEN_MAX_ENTITIES] = {false};
	const GenActivityTable *at = NULL;

	for (size_t i = 0; i < sizeof(activity_tables) / sizeof(activity_tables[0]); i++)
		if (activity_tables[i].activity == activity)
			at = &activity_tables[i];
	plan[count].plural = topic->entities[entity].plural;
	plan[count].singular = topic->entities[entity].singular;
	plan[count].attrs = topic->entities[entity].attrs;
	plan[count].n_attrs = topic->entities[entity].n_attrs;
	plan[count].order = entity * 2;
	plan[count].primary = true;
	used[entity] = true;
	count++;
	if (at && n >= 2 && chance(rng, 55))
	{
		GenPlanTable *p = &plan[count++];

		if (at->suffix)
			snprintf(p->plural_buf, sizeof(p->plural_buf), "%s%s", topic->entities[entity].singular, at->suffix);
		else
			snprintf(p->plural_buf, sizeof(p->plural_buf), "%s", at->plural);
		singular_of(p->plural_buf, p->singular_buf, sizeof(p->singular_buf));
		p->plural = p->plural_buf;
		p->singular = p->singular_buf;
		p->attrs = at->attrs;
		p->n_attrs = 4;
		p->order = 1000 + entity;
		p->primary = false;
	}
	while (count < n)
	{
		int			e = (int) sqlpilot_rng_below(rng, (uint64_t) topic->n_entities);

		/* prefer entities near the use case's own: they tend to relate */
		if (chance(rng, 60))
		{
			int			d = (int) sqlpilot_rng_below(rng, 7) - 3;

			e = entity + d;
			if (e < 0 || e >= topic->n_entities)
				continue;
		}
		if (used[e])
		{
			bool		any = false;

			for (int k = 0; k < topic->n_entities; k++)
				any |= !used[k];
			if (!any)
				break;
			continue;
		}
		used[e] = true;
		plan[count].plural = topic->entities[e].plural;
		plan[count].singular = topic->entities[e].singular;
		plan[count].attrs = topic->entities[e].attrs;
		plan[count].n_attrs = topic->entities[e].n_attrs;
		plan[count].order = e * 2;
		plan[count].primary = false;
		count++;
	}
	/* more tables than entities: activity tables of the entities taken */
	for (int tries = 0; fill && count < n && tries < 200; tries++)
	{
		int			base = (int) sqlpilot_rng_below(rng, (uint64_t) count);
		const GenActivityTable *a = &activity_tables[sqlpilot_rng_below(rng, sizeof(activity_tables) / sizeof(activity_tables[0]))];
		GenPlanTable *p = &plan[count];
		int			e;

		if (plan[base].order >= 1000)
			continue;
		e = plan[base].order / 2;
		if (a->suffix)
			snprintf(p->plural_buf, sizeof(p->plural_buf), "%s%s", topic->entities[e].singular, a->suffix);
		else
			snprintf(p->plural_buf, sizeof(p->plural_buf), "%s", a->plural);
		if (planned(plan, count, p->plural_buf))
			continue;
		singular_of(p->plural_buf, p->singular_buf, sizeof(p->singular_buf));
		p->plural = p->plural_buf;
		p->singular = p->singular_buf;
		p->attrs = a->attrs;
		p->n_attrs = 4;
		p->order = 1000 + e;
		p->primary = false;
		count++;
	}
	/* master first: insertion sort on order */
	for (int i = 1; i < count; i++)
	{
		GenPlanTable tmp = plan[i];
		int			j = i - 1;

		while (j >= 0 && plan[j].order > tmp.order)
		{
			plan[j + 1] = plan[j];
			j--;
		}
		plan[j + 1] = tmp;
	}
	/* the activity tables' names live in their own structs: re-point after the moves */
	for (int i = 0; i < count; i++)
		if (plan[i].order >= 1000)
		{
			plan[i].plural = plan[i].plural_buf;
			plan[i].singular = plan[i].singular_buf;
		}
	return count;
}

/* True for master data: an entity named by a person or a title (customers, products). */
static bool
is_master(const GenPlanTable *p)
{
	for (int a = 0; a < p->n_attrs; a++)
	{
		int			k = p->attrs[a].kind;

		if (k == DATAGEN_COL_FIRST_NAME || k == DATAGEN_COL_PERSON || k == DATAGEN_COL_TITLE ||
			k == DATAGEN_COL_EMAIL)
			return a < 2;
	}
	return false;
}

/* Picks a parent among the tables before table i: master data weighs four times more. */
static int
pick_parent(const GenPlanTable *plan, int i, uint64_t *rng)
{
	int			w[DATAGEN_MAX_TABLES];

	for (int k = 0; k < i; k++)
		w[k] = plan[k].order >= 1000 ? 0 : is_master(&plan[k]) ? 4 : 1;
	if (i == 0)
		return 0;
	for (int k = 0; k < i; k++)
		if (w[k] > 0)
			return pick_weighted(rng, w, i);
	return i - 1;
}

/* Appends a column to the table being built. */
static void
add_column(SqlpilotTable *t, unsigned char *kinds, const char *name, const char *type,
		   bool not_null, const char *def, int kind)
{
	SqlpilotColumn *c = &t->columns[t->n_columns];

	c->name = gen_strdup(name);
	c->type = gen_strdup(type);
	c->not_null = not_null;
	c->default_expr = gen_strdup(def);
	kinds[t->n_columns] = (unsigned char) kind;
	t->n_columns++;
}

/* True when the table already has a column of that name. */
static bool
has_column(const SqlpilotTable *t, const char *name)
{
	for (int i = 0; i < t->n_columns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return true;
	return false;
}

/*
 * The wide share's application columns: created_at / updated_at timestamps
 * with defaults, a jsonb document, text[] tags, an is_active flag.
 */
static void
add_wide_columns(SqlpilotTable *t, unsigned char *kinds, uint64_t *rng)
{
	if (chance(rng, 40) && !has_column(t, "created_at") && t->n_columns < GEN_MAX_COLS)
		add_column(t, kinds, "created_at", "timestamp with time zone", chance(rng, 60), "now()",
				   DATAGEN_COL_TIMESTAMP);
	if (chance(rng, 15) && !has_column(t, "updated_at") && t->n_columns < GEN_MAX_COLS)
		add_column(t, kinds, "updated_at", "timestamp with time zone", false, NULL, DATAGEN_COL_TIMESTAMP);
	if (chance(rng, 8) && !has_column(t, "metadata") && t->n_columns < GEN_MAX_COLS)
		add_column(t, kinds, "metadata", "jsonb", false, chance(rng, 50) ? "'{}'::jsonb" : NULL,
				   DATAGEN_COL_JSON);
	if (chance(rng, 8) && !has_column(t, "tags") && t->n_columns < GEN_MAX_COLS)
		add_column(t, kinds, "tags", "text[]", false, NULL, DATAGEN_COL_CATEGORY);
	if (chance(rng, 10) && !has_column(t, "is_active") && t->n_columns < GEN_MAX_COLS)
		add_column(t, kinds, "is_active", "boolean", true, "true", DATAGEN_COL_BOOL);
}

/*
 * Adds "col IN ('a', 'b', ...)": the enumerated values of a status or
 * category column, as portable DDL writes an enum (statements then draw
 * their literals from the list: gen_statements.c reads it back).
 */
static void
add_enum_check(SqlpilotTable *t, const char *col, uint64_t *rng)
{
	static const char *const sets[][5] = {
		{"pending", "active", "suspended", "closed", NULL},
		{"draft", "published", "archived", NULL, NULL},
		{"new", "in_progress", "done", "cancelled", NULL},
		{"low", "medium", "high", "critical", NULL},
		{"open", "resolved", "closed", NULL, NULL},
		{"pending", "paid", "refunded", "failed", NULL},
		{"standard", "premium", "enterprise", NULL, NULL},
	};
	const char *const *set = sets[sqlpilot_rng_below(rng, sizeof(sets) / sizeof(sets[0]))];
	char		expr[256];
	size_t		n = (size_t) snprintf(expr, sizeof(expr), "%s IN (", col);

	for (int i = 0; i < 5 && set[i] && n < sizeof(expr); i++)
		n += (size_t) snprintf(expr + n, sizeof(expr) - n, "%s'%s'", i ? ", " : "", set[i]);
	if (n + 2 >= sizeof(expr))
		return;
	snprintf(expr + n, sizeof(expr) - n, ")");
	t->checks[t->n_checks++].expr = strdup(expr);
}

/* Writes a snake_case name as PascalCase (tables) or camelCase (columns), as ORMs name them. */
static char *
orm_name(const char *name, bool pascal)
{
	char		out[128];
	size_t		n = 0;
	bool		up = pascal;

	for (size_t i = 0; name[i] && n < sizeof(out) - 1; i++)
	{
		if (name[i] == '_')
		{
			up = n > 0;
			continue;
		}
		out[n++] = up ? (char) toupper((unsigned char) name[i]) : name[i];
		up = false;
	}
	out[n] = '\0';
	return strdup(out);
}

/* Replaces *slot with its ORM spelling. */
static void
orm_rename(char **slot, bool pascal)
{
	char	   *s = orm_name(*slot, pascal);

	free(*slot);
	*slot = s;
}

/*
 * Gives a table exact, mixed-case names (quoted wherever they are written):
 * "OrderItems"."unitPrice".  Keys, checks and constraint names follow.
 */
static void
quote_names(SqlpilotTable *t)
{
	t->fold_case = false;
	orm_rename(&t->name, true);
	for (int c = 0; c < t->n_columns; c++)
		orm_rename(&t->columns[c].name, false);
	for (int i = 0; i < t->n_indexes; i++)
		for (int k = 0; k < t->indexes[i].n_cols; k++)
			orm_rename(&t->indexes[i].cols[k], false);
	for (int i = 0; i < t->n_fkeys; i++)
	{
		orm_rename(&t->fkeys[i].ref_table, true);
		for (int k = 0; k < t->fkeys[i].n_cols; k++)
		{
			orm_rename(&t->fkeys[i].cols[k], false);
			orm_rename(&t->fkeys[i].ref_cols[k], false);
		}
	}
	for (int i = 0; i < t->n_checks; i++)
	{
		/* "col >= 0": the column is the first word */
		const char *e = t->checks[i].expr;
		size_t		k = strcspn(e, " ");
		char		col[128];
		char		quoted[260];
		char		expr[400];
		char	   *name;

		snprintf(col, sizeof(col), "%.*s", (int) k, e);
		name = orm_name(col, false);
		sqlpilot_schema_quote_ident(name, false, quoted, sizeof(quoted));
		snprintf(expr, sizeof(expr), "%s%s", quoted, e + k);
		free(name);
		free(t->checks[i].expr);
		t->checks[i].expr = strdup(expr);
	}
	gen_table_constraint_names(t);
}

/* See generate.h. */
void
datagen_schema_generate(DatagenSchema *out, int topic, int use_case, uint64_t seed)
{
	const GenVocab *v = gen_vocab();
	const GenTopic *tp;
	GenPlanTable plan[DATAGEN_MAX_TABLES];
	uint64_t	rng = seed * 0x9E3779B97F4A7C15ULL ^ ((uint64_t) topic << 32) ^ (uint64_t) use_case;
	uint64_t	wrng;			/* the wide share's own draws: the others stay as they were */
	int			n;
	int			pk_col[DATAGEN_MAX_TABLES];
	int			key_style;
	bool		pk_short;
	bool		declare_fks;
	bool		wide;
	bool		quoted = false;
	const char *ns = "public";
	static const int key_w[] = {74, 10, 12, 4};
	static const int n_w[] = {21, 20, 20, 20, 19};
	static const int wide_n_w[] = {40, 42, 18};

	memset(out, 0, sizeof(*out));
	if (topic < 0 || topic >= v->n_topics)
		return;
	tp = &v->topics[topic];
	if (use_case < 0 || use_case >= tp->n_use_cases)
		return;
	out->topic = topic;
	out->use_case = use_case;
	sqlpilot_rng_next(&rng);
	wrng = rng ^ 0xA24BAED4963EE407ULL;
	sqlpilot_rng_next(&wrng);
	wide = chance(&wrng, GEN_WIDE_SCHEMA_PCT);
	n = 1 + pick_weighted(&rng, n_w, 5);
	if (wide)
	{
		int			band = pick_weighted(&wrng, wide_n_w, 3);

		n = band == 0 ? 2 + (int) sqlpilot_rng_below(&wrng, 4) :
			band == 1 ? 6 + (int) sqlpilot_rng_below(&wrng, 5) :
			11 + (int) sqlpilot_rng_below(&wrng, DATAGEN_MAX_TABLES - 10);
		if (chance(&wrng, 45))
			ns = namespaces[sqlpilot_rng_below(&wrng, sizeof(namespaces) / sizeof(namespaces[0]))];
		quoted = chance(&wrng, 15);
	}
	n = plan_tables(tp, use_case / GEN_N_ACTIVITIES, use_case % GEN_N_ACTIVITIES, n, wide, &rng, plan);
	key_style = pick_weighted(&rng, key_w, 4);
	if (wide && key_style == GEN_KEY_INT && chance(&wrng, 20))
		key_style = GEN_KEY_UUID;
	pk_short = chance(&rng, 17);
	declare_fks = chance(&rng, 36);
	out->n_tables = n;
	out->wide = wide;
	out->tables = calloc((size_t) n, sizeof(SqlpilotTable));
	out->col_kinds = calloc((size_t) n, sizeof(unsigned char *));
	out->links = calloc((size_t) n * 2, sizeof(DatagenLink));
	for (int i = 0; i < n; i++)
	{
		static const int ncol_w[] = {2, 20, 36, 28, 10, 3, 1};
		SqlpilotTable *t = &out->tables[i];
		unsigned char *kinds = calloc(GEN_MAX_COLS, 1);
		const GenPlanTable *p = &plan[i];
		int			total = 2 + pick_weighted(&rng, ncol_w, 7);
		int			n_links = 0;
		int			parents[2] = {0, 0};
		bool		has_pk = !(i == n - 1 && n > 1 && chance(&rng, 10)) && !chance(&rng, 2);
		bool		serial = key_style == GEN_KEY_SERIAL || (key_style == GEN_KEY_INT && chance(&rng, 4));
		const char *key_type = key_style == GEN_KEY_UUID ? "uuid" : key_style == GEN_KEY_BIGINT ? "bigint" : "integer";
		char		pk_name[96];
		int			n_attrs;
		int			picked;
		bool		composite = false;
		bool		not_null_table = chance(&rng, 22) || (wide && chance(&wrng, 40));

		out->col_kinds[i] = kinds;
		t->schema = gen_strdup(ns);
		t->name = gen_strdup(p->plural);
		t->fold_case = true;
		t->columns = calloc(GEN_MAX_COLS, sizeof(SqlpilotColumn));
		t->indexes = calloc(6, sizeof(SqlpilotIndex));
		t->fkeys = calloc(2, sizeof(SqlpilotForeignKey));
		t->checks = calloc(2, sizeof(SqlpilotCheck));

		/* links to earlier tables */
		if (i > 0 && chance(&rng, 88))
		{
			/* an activity table (history, audit log) belongs to the use case's entity */
			if (p->order >= 1000)
			{
				for (int k = 0; k < i; k++)
					if (plan[k].order == (p->order - 1000) * 2)
						parents[n_links] = k;
				n_links++;
			}
			/* the topic's main actor (customers, patients) or master data relate best */
			else if (plan[0].order == 0 && chance(&rng, 40))
				parents[n_links++] = 0;
			else
				parents[n_links++] = pick_parent(plan, i, &rng);
			if (i > 1 && chance(&rng, 22))
			{
				int			q = pick_parent(plan, i, &rng);

				if (q != parents[0])
					parents[n_links++] = q;
			}
		}
		composite = n_links == 2 && (chance(&rng, 25) || (wide && chance(&wrng, 35)));

		/* primary key column */
		snprintf(pk_name, sizeof(pk_name), "%s_id", p->singular);
		pk_col[i] = -1;
		if (!composite)
		{
			pk_col[i] = t->n_columns;
			add_column(t, kinds, pk_short ? "id" : pk_name, key_type, has_pk, NULL, DATAGEN_COL_ID);
			if (serial && key_style != GEN_KEY_UUID)
			{
				char		seq[160];

				snprintf(seq, sizeof(seq), "nextval('%s_%s_seq'::regclass)", t->name, t->columns[0].name);
				t->columns[0].default_expr = strdup(seq);
			}
			if (key_style == GEN_KEY_UUID && (chance(&rng, 30) || (wide && chance(&wrng, 50))))
			{
				free(t->columns[0].default_expr);
				t->columns[0].default_expr = strdup("gen_random_uuid()");
			}
			if (has_pk)
				add_index(t, true, true, true, t->columns[0].name, NULL);
		}
		/* link columns */
		for (int k = 0; k < n_links; k++)
		{
			const SqlpilotTable *pt = &out->tables[parents[k]];
			const SqlpilotColumn *pc;
			char		fk_name[96];
			DatagenLink *l;

			if (pk_col[parents[k]] < 0)
				continue;
			pc = &pt->columns[pk_col[parents[k]]];
			if (strcmp(pc->name, "id") == 0)
				snprintf(fk_name, sizeof(fk_name), "%s_id", plan[parents[k]].singular);
			else
				snprintf(fk_name, sizeof(fk_name), "%s", pc->name);
			if (has_column(t, fk_name))
				continue;
			l = &out->links[out->n_links++];
			l->child = i;
			l->child_col = t->n_columns;
			l->parent = parents[k];
			l->parent_col = pk_col[parents[k]];
			add_column(t, kinds, fk_name, strcmp(pc->type, "uuid") == 0 ? "uuid" : pc->type,
					  composite || chance(&rng, 12), NULL, DATAGEN_COL_ID);
			/* only a key can be referenced */
			if ((declare_fks || chance(&rng, 4)) && pt->n_indexes > 0 && pt->indexes[0].primary)
			{
				SqlpilotForeignKey *fk = &t->fkeys[t->n_fkeys++];

				fk->n_cols = 1;
				fk->cols = calloc(1, sizeof(char *));
				fk->ref_cols = calloc(1, sizeof(char *));
				fk->cols[0] = gen_strdup(fk_name);
				fk->ref_cols[0] = gen_strdup(pc->name);
				fk->ref_table = gen_strdup(pt->name);
				if (chance(&rng, 4))
					fk->on_delete = gen_strdup("CASCADE");
			}
		}
		if (composite && t->n_columns == 2)
			add_index(t, true, true, true, t->columns[0].name, t->columns[1].name);
		/* attributes: a subset in entity order, the first one favoured */
		n_attrs = total - t->n_columns;
		if (n_attrs < 1)
			n_attrs = 1;
		if (n_attrs > p->n_attrs)
			n_attrs = p->n_attrs;
		picked = 0;
		for (int a = 0; a < p->n_attrs && picked < n_attrs; a++)
		{
			const GenAttr *at = &p->attrs[a];
			int			left = p->n_attrs - a;
			int			need = n_attrs - picked;
			const char *type;
			const char *def = NULL;
			bool		nn;

			if (left > need && !(a == 0 && chance(&rng, 85)) &&
				(int) sqlpilot_rng_below(&rng, (uint64_t) left) >= need)
				continue;
			if (has_column(t, at->name) || t->n_columns >= GEN_MAX_COLS)
				continue;
			/* flags are rare in hand-written schemas (0.8% of columns) */
			if (at->kind == DATAGEN_COL_BOOL && chance(&rng, 60))
				continue;
			type = type_for_kind(&rng, at->kind);
			if (wide && strcmp(type, "timestamp without time zone") == 0 && chance(&wrng, 55))
				type = "timestamp with time zone";
			nn = not_null_table && (picked == 0 || chance(&rng, 30));
			if (chance(&rng, 2) || (wide && chance(&wrng, 12)))
				def = default_for_kind(at->kind, type);
			add_column(t, kinds, at->name, type, nn, def, at->kind);
			picked++;
			if ((at->kind == DATAGEN_COL_EMAIL || at->kind == DATAGEN_COL_CODE) && t->n_indexes < 5 &&
				(chance(&rng, 10) || (wide && chance(&wrng, 30))))
				add_index(t, false, true, chance(&rng, 60), at->name, NULL);
			else if ((at->kind == DATAGEN_COL_DATE || at->kind == DATAGEN_COL_TIMESTAMP) && t->n_indexes < 5 &&
					 chance(&rng, 4))
				add_index(t, false, false, false, at->name, NULL);
			if (t->n_checks == 0 && (at->kind == DATAGEN_COL_MONEY || at->kind == DATAGEN_COL_QUANTITY) &&
				(chance(&rng, 6) || (wide && chance(&wrng, 25))))
			{
				char		expr[128];

				snprintf(expr, sizeof(expr), "%s >= 0", at->name);
				t->checks[0].expr = strdup(expr);
				t->n_checks = 1;
			}
			else if (wide && t->n_checks < 2 && (at->kind == DATAGEN_COL_STATUS || at->kind == DATAGEN_COL_CATEGORY) &&
					 chance(&wrng, 30))
				add_enum_check(t, at->name, &wrng);
		}
		if (wide)
			add_wide_columns(t, kinds, &wrng);
		/* an index on a link column now and then */
		if (n_links > 0 && !composite && chance(&rng, 6) && t->n_indexes < 6)
			add_index(t, false, false, false, t->columns[1].name, NULL);
		if (t->n_indexes > 0 && !t->indexes[t->n_indexes - 1].primary && chance(&rng, 30))
			t->indexes[t->n_indexes - 1].desc[0] = !t->indexes[t->n_indexes - 1].unique;
		gen_table_constraint_names(t);
	}
	if (quoted)
		for (int i = 0; i < n; i++)
			quote_names(&out->tables[i]);
}

/* See generate.h. */
void
datagen_schema_free(DatagenSchema *s)
{
	for (int i = 0; i < s->n_tables; i++)
	{
		sqlpilot_crdb_table_free(&s->tables[i]);
		if (s->col_kinds)
			free(s->col_kinds[i]);
	}
	free(s->tables);
	free(s->col_kinds);
	free(s->links);
	memset(s, 0, sizeof(*s));
}
