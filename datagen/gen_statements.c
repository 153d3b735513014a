/*
 * gen_statements.c — SQL statements over a generated schema.
 *
 * The mix and shapes follow shared/reference-sql-stats.md: a third SELECT, a
 * third INSERT, then UPDATE, DELETE and TRUNCATE; each statement is either
 * "simple" or "complex" (joins along links, GROUP BY/HAVING, subqueries, CTEs,
 * CASE, date and string functions, upserts, INSERT ... SELECT, RETURNING).
 * Every statement is valid PostgreSQL 15 against the schema (CockroachDB
 * UPSERT carries a PostgreSQL rewrite in pg_sql); literals are drawn from the
 * column's content kind and fit its type (VARCHAR length, NUMERIC precision).
 * Identifiers are written through gen_text_ident, which records where each
 * table, column and alias sits, so renaming works on the structure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_internal.h"
#include "util.h"

/* Base types the generator distinguishes. */
typedef enum GenBase
{
	B_INT, B_BIGINT, B_SMALLINT, B_NUMERIC, B_FLOAT, B_VARCHAR, B_TEXT, B_CHAR,
	B_BOOL, B_DATE, B_TS, B_TSTZ, B_TIME, B_UUID, B_JSON, B_INTERVAL, B_BYTEA, B_OTHER
} GenBase;

/* Column roles used to pick columns for a clause. */
#define C_EQ	0x001			/* sensible in col = literal */
#define C_ORD	0x002			/* ordered: numbers, dates */
#define C_STR	0x004			/* LIKE-able text */
#define C_IN	0x008			/* low cardinality: IN lists */
#define C_NULL	0x010			/* nullable */
#define C_GROUP 0x020			/* GROUP BY candidate */
#define C_NUM	0x040			/* aggregatable number */
#define C_ATTR	0x080			/* not a key column */
#define C_SET	0x100			/* may be assigned in UPDATE */
#define C_DATE	0x200			/* date or timestamp */
#define C_PK	0x400			/* the primary key column */
#define C_SORT	0x800			/* good ORDER BY key */

/* Value hints from the column name, refining the kind's pool. */
typedef enum GenHint
{
	H_NONE, H_PRIORITY, H_METHOD, H_GENDER, H_CURRENCY, H_COLOR, H_SIZE,
	H_LANGUAGE, H_UNIT, H_DAY, H_TIER, H_GRADE, H_RATING, H_PERCENT, H_AGE
} GenHint;

typedef struct GenCol
{
	const char *name;
	int			kind;
	int			base;
	int			len;			/* VARCHAR/CHAR length, 0 = none */
	int			prec;			/* NUMERIC precision, 0 = none */
	int			scale;
	int			hint;
	int			roles;
	bool		auto_value;		/* serial or default-generated key: INSERT may omit it */
	bool		has_default;
} GenCol;

typedef struct GenTab
{
	int			n_cols;
	GenCol	   *cols;
	int			pk;				/* column index of a single-column primary key, or -1 */
	bool		referenced;		/* a declared foreign key points here */
} GenTab;

/* Generation state for one datagen_statements_generate call. */
typedef struct GenCtx
{
	const DatagenSchema *s;
	GenTab	   *tabs;
	uint64_t	rng;
	GenText    *t;
} GenCtx;

/* A FROM item with how its columns are qualified. */
typedef struct GenFrom
{
	int			table;
	int			alias_slot;		/* -1: qualify by table name */
	char		alias[8];
} GenFrom;

static const char *const first_names[] = {
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
	"David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
	"Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
	"Anthony", "Sandra", "Mark", "Emily", "Kevin", "Olivia", "Brian", "Sophia",
	"Wei", "Priya", "Ahmed", "Yuki", "Lucas", "Elena", "Omar", "Grace"
};
static const char *const last_names[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor",
	"Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
	"Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
	"Baker", "Adams", "Nelson", "Chen", "Patel", "Kim", "Nguyen", "Singh"
};
static const char *const cities[] = {
	"New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Seattle", "Boston",
	"Denver", "Austin", "Miami", "Atlanta", "Portland", "San Diego", "Dallas",
	"London", "Paris", "Berlin", "Madrid", "Toronto", "Sydney", "Tokyo", "Dublin",
	"Amsterdam", "Chicago", "Vancouver", "Singapore", "Mumbai", "Lisbon", "Oslo", "Zurich"
};
static const char *const countries[] = {
	"USA", "Canada", "United Kingdom", "Germany", "France", "Spain", "Italy", "Japan",
	"Australia", "India", "Brazil", "Mexico", "Netherlands", "Sweden", "Ireland", "Norway"
};
static const char *const streets[] = {
	"Main St", "Oak Avenue", "Maple Drive", "Elm Street", "Park Road", "Pine Lane",
	"Cedar Court", "Lake View Blvd", "Sunset Blvd", "High Street", "Market St", "River Road"
};
static const char *const domains[] = {
	"example.com", "gmail.com", "yahoo.com", "outlook.com", "company.com", "mail.com"
};
static const char *const statuses[] = {
	"active", "inactive", "pending", "completed", "cancelled", "shipped", "delivered",
	"approved", "rejected", "open", "closed", "in_progress", "paid", "failed", "draft",
	"scheduled", "confirmed", "on_hold"
};
static const char *const categories[] = {
	"standard", "premium", "basic", "online", "retail", "internal", "external",
	"general", "special", "regular", "seasonal", "express", "wholesale", "corporate",
	"personal", "emergency", "routine", "maintenance", "training", "sports"
};
static const char *const titles[] = {
	"Annual Report", "Summer Sale", "Starter Kit", "Deluxe Package", "Project Alpha",
	"Wireless Mouse", "Blue Widget", "Gold Plan", "Spring Collection", "Team Meeting",
	"Quarterly Review", "Basic Bundle", "Premium Service", "City Tour", "Morning Session",
	"Classic Edition", "Office Chair", "Travel Guide", "Data Migration", "Welcome Pack",
	"North Branch", "Green Valley", "Main Hall", "Sunrise Special", "Holiday Offer",
	"Standard Room", "Night Shift", "Intro Course", "Family Pass", "Silver Package"
};
static const char *const sentences[] = {
	"Customer requested a follow-up call", "Delivered on time", "Needs review",
	"Great service, very satisfied", "Updated after inspection", "Handle with care",
	"Pending approval from manager", "Second notice sent", "Initial setup completed",
	"Requires additional documents", "Scheduled for next week", "Resolved by support team",
	"Minor damage reported", "Excellent quality", "Payment received in full",
	"Awaiting customer response", "Priority handling requested", "No issues found",
	"Customer asked to reschedule the delivery to next Monday",
	"Item arrived with minor scratches on the side panel",
	"Please call before arriving at the front desk",
	"Follow up with the supplier about the missing invoice",
	"Approved by the regional manager after the second review",
	"High quality product with fast shipping and great support",
	"Requested an extension because of the holiday schedule",
	"Transferred from the downtown branch last month",
	"Monthly maintenance check completed without any issues",
	"Discount applied for returning customers this quarter"
};
static const char *const words_priority[] = {"low", "medium", "high", "critical", "urgent", "normal"};
static const char *const words_method[] = {"credit_card", "paypal", "cash", "bank_transfer", "debit_card", "check"};
static const char *const words_gender[] = {"female", "male", "other", "F", "M"};
static const char *const words_currency[] = {"USD", "EUR", "GBP", "JPY", "CAD"};
static const char *const words_color[] = {"red", "blue", "black", "white", "green", "silver", "gray"};
static const char *const words_size[] = {"S", "M", "L", "XL", "small", "large"};
static const char *const words_language[] = {"en", "es", "fr", "de", "English", "Spanish"};
static const char *const words_unit[] = {"kg", "pcs", "ml", "box", "liter", "unit"};
static const char *const words_day[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const words_tier[] = {"gold", "silver", "bronze", "platinum", "basic", "premium"};
static const char *const words_grade[] = {"A", "B", "C", "A+", "B-", "pass"};
static const char *const json_values[] = {
	"{\"source\": \"web\"}", "{\"theme\": \"dark\", \"notifications\": true}",
	"{\"tags\": [\"new\", \"sale\"]}", "{\"version\": 2}", "{\"priority\": \"high\"}",
	"{\"color\": \"blue\", \"size\": \"M\"}"
};
static const char *const durations[] = {"1 hour", "30 minutes", "2 days", "1 week", "3 months", "45 minutes"};
static const char *const cte_names[] = {"recent", "filtered", "top_items", "summary", "active_rows", "stats"};

#define N_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* ---- the text builder ---- */

/* Empties a text for reuse. */
void
gen_text_reset(GenText *t)
{
	t->len = 0;
	t->n_ids = 0;
	t->lower_kw = false;
	if (t->data)
		t->data[0] = '\0';
}

/* Frees a text's buffers. */
void
gen_text_free(GenText *t)
{
	free(t->data);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

/* Appends n bytes (allocation failure leaves the text short, never corrupt). */
void
gen_text_put(GenText *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap)
	{
		size_t		cap = t->cap ? t->cap * 2 : 512;
		char	   *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->data, cap);
		if (!p)
			return;
		t->data = p;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

/* Appends a NUL-terminated string. */
void
gen_text_str(GenText *t, const char *s)
{
	gen_text_put(t, s, strlen(s));
}

/* Appends an identifier (quoted when needed) and records its span. */
void
gen_text_ident(GenText *t, const char *name, int what, int table, int column)
{
	char		buf[160];
	size_t		n = sqlpilot_schema_quote_ident(name, true, buf, sizeof(buf));

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (t->n_ids == t->cap_ids)
	{
		int			cap = t->cap_ids ? t->cap_ids * 2 : 32;
		DatagenIdent *p = realloc(t->ids, (size_t) cap * sizeof(DatagenIdent));

		if (!p)
			return;
		t->ids = p;
		t->cap_ids = cap;
	}
	t->ids[t->n_ids].off = (uint32_t) t->len;
	t->ids[t->n_ids].len = (uint16_t) n;
	t->ids[t->n_ids].what = (uint8_t) what;
	t->ids[t->n_ids].table = (uint8_t) table;
	t->ids[t->n_ids].column = (uint16_t) column;
	t->n_ids++;
	gen_text_put(t, buf, n);
}

/* ---- small helpers ---- */

/* True with probability pct percent (fractions allowed). */
static bool
gen_chance(GenCtx *c, double pct)
{
	return sqlpilot_rng_float(&c->rng) * 100.0f < pct;
}

/* Uniform integer in [lo, hi]. */
static int
gen_rand_int(GenCtx *c, int lo, int hi)
{
	return lo + (int) sqlpilot_rng_below(&c->rng, (uint64_t) (hi - lo + 1));
}

/* Picks an index from integer weights. */
static int
gen_pick_weight(GenCtx *c, const int *w, int n)
{
	int			total = 0;
	int			r;

	for (int i = 0; i < n; i++)
		total += w[i];
	r = gen_rand_int(c, 0, total - 1);
	for (int i = 0; i < n; i++)
	{
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

/* Appends text. */
static void
gen_put(GenCtx *c, const char *s)
{
	gen_text_str(c->t, s);
}

/* Appends a keyword (lower case in the rare lower-case statements). */
static void
gen_kw(GenCtx *c, const char *kw)
{
	char		buf[64];
	size_t		n = strlen(kw);

	if (!c->t->lower_kw || n >= sizeof(buf))
	{
		gen_text_put(c->t, kw, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (char) tolower((unsigned char) kw[i]);
	gen_text_put(c->t, buf, n);
}

/* Appends a table name. */
static void
gen_tbl(GenCtx *c, int ti)
{
	gen_text_ident(c->t, c->s->tables[ti].name, DATAGEN_IDENT_TABLE, ti, 0);
}

/* Appends a bare column name. */
static void
gen_col(GenCtx *c, int ti, int ci)
{
	gen_text_ident(c->t, c->s->tables[ti].columns[ci].name, DATAGEN_IDENT_COLUMN, ti, ci);
}

/* Appends a column qualified by its FROM item (alias or table name), or bare when f is NULL. */
static void
gen_qcol(GenCtx *c, const GenFrom *f, int ci)
{
	if (f)
	{
		if (f->alias_slot >= 0)
			gen_text_ident(c->t, f->alias, DATAGEN_IDENT_ALIAS, f->table, f->alias_slot);
		else
			gen_tbl(c, f->table);
		gen_put(c, ".");
		gen_col(c, f->table, ci);
	}
}

/* Appends a column, qualified when f is given. */
static void
gen_fcol(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	if (f)
		gen_qcol(c, f, ci);
	else
		gen_col(c, ti, ci);
}

/* Appends an SQL string literal, doubling quotes, cut to max characters (0 = no limit). */
static void
gen_str_lit(GenCtx *c, const char *s, int max)
{
	char		buf[300];
	size_t		n = 0;
	size_t		limit = max > 0 ? (size_t) max : 250;

	buf[n++] = '\'';
	for (size_t i = 0; s[i] && i < limit && n < sizeof(buf) - 3; i++)
	{
		if (s[i] == '\'')
			buf[n++] = '\'';
		buf[n++] = s[i];
	}
	/* a cut must not leave a trailing space */
	while (n > 1 && buf[n - 1] == ' ')
		n--;
	buf[n++] = '\'';
	gen_text_put(c->t, buf, n);
}

/* ---- schema analysis ---- */

/* Parses a format_type spelling into base, length, precision and scale. */
static void
parse_type(const char *type, GenCol *col)
{
	const char *paren = strchr(type, '(');

	col->len = 0;
	col->prec = 0;
	col->scale = 0;
	if (strchr(type, '['))
		col->base = B_OTHER;
	else if (strcmp(type, "integer") == 0)
		col->base = B_INT;
	else if (strcmp(type, "bigint") == 0)
		col->base = B_BIGINT;
	else if (strcmp(type, "smallint") == 0)
		col->base = B_SMALLINT;
	else if (strncmp(type, "numeric", 7) == 0)
	{
		col->base = B_NUMERIC;
		if (paren)
			sscanf(paren, "(%d,%d)", &col->prec, &col->scale);
	}
	else if (strcmp(type, "double precision") == 0 || strcmp(type, "real") == 0)
		col->base = B_FLOAT;
	else if (strncmp(type, "character varying", 17) == 0)
	{
		col->base = B_VARCHAR;
		if (paren)
			col->len = atoi(paren + 1);
	}
	else if (strncmp(type, "character", 9) == 0)
	{
		col->base = B_CHAR;
		col->len = paren ? atoi(paren + 1) : 1;
	}
	else if (strcmp(type, "text") == 0)
		col->base = B_TEXT;
	else if (strcmp(type, "boolean") == 0)
		col->base = B_BOOL;
	else if (strcmp(type, "date") == 0)
		col->base = B_DATE;
	else if (strncmp(type, "timestamp", 9) == 0)
		col->base = strstr(type, "with time zone") && !strstr(type, "without") ? B_TSTZ : B_TS;
	else if (strncmp(type, "time", 4) == 0)
		col->base = B_TIME;
	else if (strcmp(type, "uuid") == 0)
		col->base = B_UUID;
	else if (strncmp(type, "json", 4) == 0)
		col->base = B_JSON;
	else if (strncmp(type, "interval", 8) == 0)
		col->base = B_INTERVAL;
	else if (strcmp(type, "bytea") == 0)
		col->base = B_BYTEA;
	else
		col->base = B_OTHER;
}

/* Guesses a content kind from the type (schemas given without kinds). */
static int
guess_kind(const GenCol *col, const char *name)
{
	switch (col->base)
	{
		case B_INT:
		case B_BIGINT:
		case B_SMALLINT:
			return strstr(name, "id") ? DATAGEN_COL_ID : DATAGEN_COL_COUNT;
		case B_NUMERIC:
		case B_FLOAT:
			return DATAGEN_COL_MONEY;
		case B_BOOL:
			return DATAGEN_COL_BOOL;
		case B_DATE:
			return DATAGEN_COL_DATE;
		case B_TS:
		case B_TSTZ:
			return DATAGEN_COL_TIMESTAMP;
		case B_TIME:
			return DATAGEN_COL_TIME;
		case B_UUID:
			return DATAGEN_COL_UUID;
		case B_JSON:
			return DATAGEN_COL_JSON;
		case B_INTERVAL:
			return DATAGEN_COL_DURATION;
		case B_BYTEA:
			return DATAGEN_COL_BYTES;
		default:
			return strstr(name, "email") ? DATAGEN_COL_EMAIL : DATAGEN_COL_TITLE;
	}
}

/* The value hint a column name suggests. */
static int
name_hint(const char *name)
{
	static const struct
	{
		const char *part;
		int			hint;
	}			hints[] = {
		{"priority", H_PRIORITY}, {"severity", H_PRIORITY}, {"risk", H_PRIORITY},
		{"likelihood", H_PRIORITY}, {"impact", H_PRIORITY}, {"method", H_METHOD},
		{"payment_type", H_METHOD}, {"gender", H_GENDER}, {"currency", H_CURRENCY},
		{"color", H_COLOR}, {"size", H_SIZE}, {"language", H_LANGUAGE}, {"unit", H_UNIT},
		{"day", H_DAY}, {"tier", H_TIER}, {"level", H_TIER}, {"grade", H_GRADE},
		{"rating", H_RATING}, {"stars", H_RATING}, {"score", H_RATING},
		{"percent", H_PERCENT}, {"rate", H_PERCENT}
	};

	size_t		n = strlen(name);

	if (strncmp(name, "age_", 4) == 0 || (n >= 4 && strcmp(name + n - 4, "_age") == 0) ||
		strcmp(name, "age") == 0)
		return H_AGE;
	for (int i = 0; i < N_OF(hints); i++)
		if (strstr(name, hints[i].part))
			return hints[i].hint;
	return H_NONE;
}

/* Computes the clause roles of a column. */
static int
column_roles(const GenCol *col, bool is_pk, bool not_null)
{
	int			r = 0;
	bool		number = col->base == B_INT || col->base == B_BIGINT || col->base == B_SMALLINT ||
		col->base == B_NUMERIC || col->base == B_FLOAT;
	bool		text = col->base == B_VARCHAR || col->base == B_TEXT || col->base == B_CHAR;

	if (col->base == B_JSON || col->base == B_BYTEA || col->base == B_OTHER)
		return is_pk ? C_PK : 0;
	if (is_pk)
		r |= C_PK | C_EQ;
	if (col->kind != DATAGEN_COL_ID)
		r |= C_ATTR | C_SET;
	if (!not_null && !is_pk)
		r |= C_NULL;
	switch (col->kind)
	{
		case DATAGEN_COL_ID:
			r |= C_EQ | C_IN;
			if (!is_pk)
				r |= C_GROUP;
			break;
		case DATAGEN_COL_STATUS:
		case DATAGEN_COL_CATEGORY:
		case DATAGEN_COL_CITY:
		case DATAGEN_COL_COUNTRY:
			r |= C_EQ | C_IN | C_GROUP | C_STR;
			break;
		case DATAGEN_COL_BOOL:
			r |= C_EQ | C_GROUP;
			break;
		case DATAGEN_COL_FIRST_NAME:
		case DATAGEN_COL_LAST_NAME:
		case DATAGEN_COL_PERSON:
		case DATAGEN_COL_TITLE:
		case DATAGEN_COL_EMAIL:
		case DATAGEN_COL_CODE:
			r |= C_EQ | C_STR | C_SORT;
			break;
		case DATAGEN_COL_TEXT:
		case DATAGEN_COL_ADDRESS:
		case DATAGEN_COL_URL:
			r |= C_STR;
			break;
		case DATAGEN_COL_PHONE:
			r |= C_EQ;
			break;
		case DATAGEN_COL_YEAR:
			r |= C_EQ | C_ORD | C_GROUP | C_SORT;
			break;
		default:
			break;
	}
	if (number && col->kind != DATAGEN_COL_ID && col->kind != DATAGEN_COL_YEAR)
		r |= C_ORD | C_NUM | C_SORT | C_EQ;
	if (col->base == B_DATE)
		r |= C_ORD | C_DATE | C_SORT | C_EQ;
	if (col->base == B_TS || col->base == B_TSTZ)
		r |= C_ORD | C_DATE | C_SORT;
	if (col->base == B_TIME)
		r |= C_ORD | C_SORT;
	if (!text)
		r &= ~C_STR;
	return r;
}

/* Builds the per-table column descriptions. */
static void
analyze_schema(GenCtx *c)
{
	const DatagenSchema *s = c->s;

	c->tabs = calloc((size_t) s->n_tables, sizeof(GenTab));
	for (int ti = 0; ti < s->n_tables; ti++)
	{
		const SqlpilotTable *t = &s->tables[ti];
		GenTab	   *g = &c->tabs[ti];

		g->n_cols = t->n_columns;
		g->cols = calloc((size_t) t->n_columns, sizeof(GenCol));
		g->pk = -1;
		for (int i = 0; i < t->n_indexes; i++)
			if (t->indexes[i].primary && t->indexes[i].n_cols == 1)
				for (int k = 0; k < t->n_columns; k++)
					if (strcmp(t->columns[k].name, t->indexes[i].cols[0]) == 0)
						g->pk = k;
		for (int k = 0; k < t->n_columns; k++)
		{
			GenCol	   *col = &g->cols[k];
			const SqlpilotColumn *sc = &t->columns[k];

			col->name = sc->name;
			parse_type(sc->type, col);
			col->kind = s->col_kinds ? s->col_kinds[ti][k] : guess_kind(col, sc->name);
			col->hint = name_hint(sc->name);
			col->has_default = sc->default_expr != NULL;
			col->auto_value = k == g->pk && sc->default_expr != NULL;
			col->roles = column_roles(col, k == g->pk, sc->not_null);
		}
		for (int k = 0; k < t->n_fkeys; k++)
			for (int o = 0; o < s->n_tables; o++)
				if (strcmp(t->fkeys[k].ref_table, s->tables[o].name) == 0)
					c->tabs[o].referenced = true;
	}
}

/* A random column of table ti having all role bits in need; -1 when none. */
static int
gen_pick_col(GenCtx *c, int ti, int need)
{
	const GenTab *g = &c->tabs[ti];
	int			n = 0;
	int			pick;

	for (int k = 0; k < g->n_cols; k++)
		if ((g->cols[k].roles & need) == need)
			n++;
	if (n == 0)
		return -1;
	pick = gen_rand_int(c, 0, n - 1);
	for (int k = 0; k < g->n_cols; k++)
		if ((g->cols[k].roles & need) == need && pick-- == 0)
			return k;
	return -1;
}

/* ---- literals ---- */

/* A string pool for a column's kind and name hint. */
static const char *
word_for(GenCtx *c, const GenCol *col)
{
	switch (col->hint)
	{
		case H_PRIORITY:
			return words_priority[gen_rand_int(c, 0, N_OF(words_priority) - 1)];
		case H_METHOD:
			return words_method[gen_rand_int(c, 0, N_OF(words_method) - 1)];
		case H_GENDER:
			return words_gender[gen_rand_int(c, 0, N_OF(words_gender) - 1)];
		case H_CURRENCY:
			return words_currency[gen_rand_int(c, 0, N_OF(words_currency) - 1)];
		case H_COLOR:
			return words_color[gen_rand_int(c, 0, N_OF(words_color) - 1)];
		case H_SIZE:
			return words_size[gen_rand_int(c, 0, N_OF(words_size) - 1)];
		case H_LANGUAGE:
			return words_language[gen_rand_int(c, 0, N_OF(words_language) - 1)];
		case H_UNIT:
			return words_unit[gen_rand_int(c, 0, N_OF(words_unit) - 1)];
		case H_DAY:
			return words_day[gen_rand_int(c, 0, N_OF(words_day) - 1)];
		case H_TIER:
			return words_tier[gen_rand_int(c, 0, N_OF(words_tier) - 1)];
		case H_GRADE:
			return words_grade[gen_rand_int(c, 0, N_OF(words_grade) - 1)];
		default:
			break;
	}
	return col->kind == DATAGEN_COL_STATUS ? statuses[gen_rand_int(c, 0, N_OF(statuses) - 1)]
		: categories[gen_rand_int(c, 0, N_OF(categories) - 1)];
}

/* Writes the text of a string-kind value (no quotes) into buf. */
static void
string_value(GenCtx *c, const GenCol *col, char *buf, size_t cap)
{
	const char *fn = first_names[gen_rand_int(c, 0, N_OF(first_names) - 1)];
	const char *ln = last_names[gen_rand_int(c, 0, N_OF(last_names) - 1)];

	switch (col->kind)
	{
		case DATAGEN_COL_FIRST_NAME:
			snprintf(buf, cap, "%s", fn);
			break;
		case DATAGEN_COL_LAST_NAME:
			snprintf(buf, cap, "%s", ln);
			break;
		case DATAGEN_COL_PERSON:
			snprintf(buf, cap, "%s %s", fn, ln);
			break;
		case DATAGEN_COL_EMAIL:
			if (gen_chance(c, 30))
			{
				int			num = gen_rand_int(c, 1, 99);

				snprintf(buf, cap, "%c%s%d@%s", fn[0], ln, num, domains[gen_rand_int(c, 0, N_OF(domains) - 1)]);
			}
			else
				snprintf(buf, cap, "%s.%s@%s", fn, ln, domains[gen_rand_int(c, 0, N_OF(domains) - 1)]);
			for (char *p = buf; *p; p++)
				*p = (char) tolower((unsigned char) *p);
			break;
		case DATAGEN_COL_PHONE:
			if (gen_chance(c, 60))
				snprintf(buf, cap, "555-%04d", gen_rand_int(c, 100, 9999));
			else
			{
				int			area = gen_rand_int(c, 100, 999);

				snprintf(buf, cap, "+1-555-%03d-%04d", area, gen_rand_int(c, 0, 9999));
			}
			break;
		case DATAGEN_COL_ADDRESS:
			{
				int			number = gen_rand_int(c, 1, 999);

				snprintf(buf, cap, "%d %s", number, streets[gen_rand_int(c, 0, N_OF(streets) - 1)]);
			}
			break;
		case DATAGEN_COL_CITY:
			snprintf(buf, cap, "%s", cities[gen_rand_int(c, 0, N_OF(cities) - 1)]);
			break;
		case DATAGEN_COL_COUNTRY:
			snprintf(buf, cap, "%s", countries[gen_rand_int(c, 0, N_OF(countries) - 1)]);
			break;
		case DATAGEN_COL_URL:
			{
				const char *domain = domains[gen_rand_int(c, 0, 1) * 4];
				const char *path = gen_chance(c, 50) ? "page" : "item";

				snprintf(buf, cap, "https://www.%s/%s-%d", domain, path, gen_rand_int(c, 1, 999));
			}
			break;
		case DATAGEN_COL_TEXT:
			snprintf(buf, cap, "%s", sentences[gen_rand_int(c, 0, N_OF(sentences) - 1)]);
			break;
		case DATAGEN_COL_STATUS:
		case DATAGEN_COL_CATEGORY:
			snprintf(buf, cap, "%s", word_for(c, col));
			break;
		case DATAGEN_COL_CODE:
			if (col->hint == H_CURRENCY || col->hint == H_UNIT || col->hint == H_SIZE ||
				col->hint == H_LANGUAGE || col->hint == H_GRADE)
				snprintf(buf, cap, "%s", word_for(c, col));
			else if (gen_chance(c, 50))
			{
				char		l[3];

				for (int i = 0; i < 3; i++)
					l[i] = (char) ('A' + gen_rand_int(c, 0, 25));
				snprintf(buf, cap, "%c%c%c-%d", l[0], l[1], l[2], gen_rand_int(c, 100, 9999));
			}
			else
			{
				char		l = (char) ('A' + gen_rand_int(c, 0, 25));

				snprintf(buf, cap, "%c%d", l, gen_rand_int(c, 1000, 99999));
			}
			break;
		default:
			snprintf(buf, cap, "%s", titles[gen_rand_int(c, 0, N_OF(titles) - 1)]);
			break;
	}
}

/* Appends a date literal text (quoted), year in [2019, 2025]. */
static void
date_lit(GenCtx *c)
{
	char		buf[32];

	int			y = gen_rand_int(c, 2019, 2025);
	int			m = gen_rand_int(c, 1, 12);

	snprintf(buf, sizeof(buf), "'%d-%02d-%02d'", y, m, gen_rand_int(c, 1, 28));
	gen_put(c, buf);
}

/* Appends an integer in [lo, hi]. */
static void
gen_int_lit(GenCtx *c, int lo, int hi)
{
	char		buf[24];

	snprintf(buf, sizeof(buf), "%d", gen_rand_int(c, lo, hi));
	gen_put(c, buf);
}

/* The largest integer part a NUMERIC(p,s) column holds (capped). */
static double
numeric_max(const GenCol *col)
{
	double		m = 1;

	if (col->base != B_NUMERIC || col->prec == 0)
		return 1e9;
	for (int i = 0; i < col->prec - col->scale && i < 9; i++)
		m *= 10;
	return m - 1;
}

/* Appends a decimal number fitting the column, from [lo, hi]. */
static void
dec_lit(GenCtx *c, const GenCol *col, double lo, double hi, int decimals)
{
	char		buf[48];
	double		max = numeric_max(col);
	double		v;

	if (hi > max)
		hi = max;
	if (lo > hi)
		lo = 0;
	v = lo + (hi - lo) * sqlpilot_rng_float(&c->rng);
	if (col->base == B_NUMERIC && col->prec > 0 && decimals > col->scale)
		decimals = col->scale;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	gen_put(c, buf);
}

/* Appends a literal that fits the column's type and suits its kind. */
static void
gen_lit(GenCtx *c, const GenCol *col)
{
	char		buf[160];

	switch (col->base)
	{
		case B_INT:
		case B_BIGINT:
		case B_SMALLINT:
			switch (col->kind)
			{
				case DATAGEN_COL_QUANTITY:
					gen_int_lit(c, 1, gen_chance(c, 70) ? 20 : 500);
					return;
				case DATAGEN_COL_YEAR:
					gen_int_lit(c, 1990, 2025);
					return;
				case DATAGEN_COL_ID:
					gen_int_lit(c, 1, gen_chance(c, 80) ? 50 : 2000);
					return;
				default:
					if (col->hint == H_RATING)
						gen_int_lit(c, 1, 5);
					else if (col->hint == H_AGE)
						gen_int_lit(c, 18, 75);
					else
						gen_int_lit(c, 1, gen_chance(c, 60) ? 100 : 5000);
					return;
			}
		case B_NUMERIC:
		case B_FLOAT:
			switch (col->kind)
			{
				case DATAGEN_COL_RATE:
					dec_lit(c, col, 0.5, 40.0, 2);
					return;
				case DATAGEN_COL_GEO:
					dec_lit(c, col, -80.0, 80.0, 4);
					return;
				case DATAGEN_COL_SCORE:
					if (col->hint == H_RATING)
						dec_lit(c, col, 1.0, 5.0, 1);
					else
						dec_lit(c, col, 1.0, 200.0, col->base == B_FLOAT ? 1 : 2);
					return;
				default:
					dec_lit(c, col, 5.0, gen_chance(c, 70) ? 500.0 : 5000.0, 2);
					return;
			}
		case B_BOOL:
			gen_put(c, gen_chance(c, 55) ? "TRUE" : "FALSE");
			return;
		case B_DATE:
			date_lit(c);
			return;
		case B_TS:
		case B_TSTZ:
			{
				/* arguments drawn in order: C leaves argument evaluation order open */
				int			v[5] = {gen_rand_int(c, 2019, 2025), 0, 0, 0, 0};

				v[1] = gen_rand_int(c, 1, 12);
				v[2] = gen_rand_int(c, 1, 28);
				v[3] = gen_rand_int(c, 0, 23);
				v[4] = gen_rand_int(c, 0, 3) * 15;
				snprintf(buf, sizeof(buf), "'%d-%02d-%02d %02d:%02d:00'", v[0], v[1], v[2], v[3], v[4]);
			}
			gen_put(c, buf);
			return;
		case B_TIME:
			{
				int			h = gen_rand_int(c, 6, 21);

				snprintf(buf, sizeof(buf), "'%02d:%02d:00'", h, gen_rand_int(c, 0, 3) * 15);
			}
			gen_put(c, buf);
			return;
		case B_UUID:
			{
				/* a version-4 UUID from two draws, fields sliced out in order */
				uint64_t	a = sqlpilot_rng_next(&c->rng);
				uint64_t	b = sqlpilot_rng_next(&c->rng);

				snprintf(buf, sizeof(buf), "'%08x-%04x-4%03x-%04x-%012llx'",
						 (unsigned) (a >> 32), (unsigned) ((a >> 16) & 0xffff), (unsigned) (a & 0xfff),
						 (unsigned) (0x8000 | (b >> 50)), (unsigned long long) (b & 0xffffffffffffULL));
			}
			gen_put(c, buf);
			return;
		case B_JSON:
			gen_str_lit(c, json_values[gen_rand_int(c, 0, N_OF(json_values) - 1)], 0);
			return;
		case B_INTERVAL:
			gen_str_lit(c, durations[gen_rand_int(c, 0, N_OF(durations) - 1)], 0);
			return;
		case B_BYTEA:
			snprintf(buf, sizeof(buf), "'\\x%08x'", (unsigned) sqlpilot_rng_next(&c->rng));
			gen_put(c, buf);
			return;
		case B_VARCHAR:
		case B_CHAR:
		case B_TEXT:
			string_value(c, col, buf, sizeof(buf));
			gen_str_lit(c, buf, col->len);
			return;
		default:
			gen_put(c, "NULL");
			return;
	}
}

/*
 * Appends a literal for a comparison: people compare timestamps with plain
 * dates and amounts with round numbers.
 */
static void
gen_pred_lit(GenCtx *c, const GenCol *col)
{
	if ((col->base == B_TS || col->base == B_TSTZ) && gen_chance(c, 95))
		date_lit(c);
	else if ((col->base == B_NUMERIC || col->base == B_FLOAT) && col->kind == DATAGEN_COL_MONEY && gen_chance(c, 80))
	{
		int			v = gen_rand_int(c, 1, 100) * 10;
		double		max = numeric_max(col);
		char		buf[24];

		if (v > max)
			v = max >= 1 ? gen_rand_int(c, 1, (int) max) : 0;
		snprintf(buf, sizeof(buf), "%d", v);
		gen_put(c, buf);
	}
	else
		gen_lit(c, col);
}

/* Appends a value for INSERT/UPDATE: mostly a literal, sometimes NOW() or NULL. */
static void
gen_value(GenCtx *c, const GenCol *col)
{
	if ((col->base == B_TS || col->base == B_TSTZ) && gen_chance(c, 1.5))
	{
		gen_kw(c, gen_chance(c, 60) ? "NOW()" : "CURRENT_TIMESTAMP");
		return;
	}
	if ((col->roles & C_NULL) && gen_chance(c, 0.15))
	{
		gen_kw(c, "NULL");
		return;
	}
	gen_lit(c, col);
}

/* Appends a LIKE pattern suiting the column. */
static void
like_pattern(GenCtx *c, const GenCol *col)
{
	char		buf[160];
	char		pat[170];

	string_value(c, col, buf, sizeof(buf));
	if (col->kind == DATAGEN_COL_EMAIL)
		snprintf(pat, sizeof(pat), "%%@%s", strchr(buf, '@') ? strchr(buf, '@') + 1 : "example.com");
	else if (col->kind == DATAGEN_COL_CODE && strchr(buf, '-'))
		snprintf(pat, sizeof(pat), "%.*s%%", (int) (strchr(buf, '-') - buf + 1), buf);
	else
	{
		int			form = gen_rand_int(c, 0, 2);
		size_t		n = strlen(buf);

		if (form == 0 || n < 4)
			snprintf(pat, sizeof(pat), "%c%%", buf[0]);
		else if (form == 1)
			snprintf(pat, sizeof(pat), "%.*s%%", (int) (n < 5 ? n : 5), buf);
		else
		{
			const char *sp = strrchr(buf, ' ');

			snprintf(pat, sizeof(pat), "%%%.*s%%", 4, sp ? sp + 1 : buf + 1);
		}
	}
	gen_str_lit(c, pat, 0);
}

/* ---- predicates ---- */

/* Appends one predicate on table ti (qualified through f when given). */
static void
predicate(GenCtx *c, int ti, const GenFrom *f, int op)
{
	/* op: 0 '=', 1 '>', 2 LIKE, 3 BETWEEN, 4 '<', 5 '>=', 6 IN, 7 IS [NOT] NULL, 8 '<=' */
	static const int need[] = {C_EQ, C_ORD, C_STR, C_ORD, C_ORD, C_ORD, C_IN, C_NULL, C_ORD};
	int			ci = gen_pick_col(c, ti, need[op]);
	const GenCol *col;

	/* comparisons: numbers a bit more often than dates */
	if (need[op] == C_ORD && gen_chance(c, 55) && gen_pick_col(c, ti, C_NUM) >= 0)
		ci = gen_pick_col(c, ti, C_NUM);
	/* an operator the table cannot take: try another non-'=' one first */
	for (int tries = 0; ci < 0 && op != 0 && tries < 2; tries++)
	{
		op = tries == 0 ? 1 : 3;
		ci = gen_pick_col(c, ti, need[op]);
	}
	if (ci < 0)
	{
		op = 0;
		ci = gen_pick_col(c, ti, C_EQ);
		if (ci < 0)
			ci = 0;
	}
	col = &c->tabs[ti].cols[ci];
	gen_fcol(c, f, ti, ci);
	switch (op)
	{
		case 1:
		case 4:
		case 5:
		case 8:
			gen_put(c, op == 1 ? " > " : op == 4 ? " < " : op == 5 ? " >= " : " <= ");
			gen_pred_lit(c, col);
			break;
		case 2:
			gen_kw(c, gen_chance(c, 2) ? " ILIKE " : " LIKE ");
			like_pattern(c, col);
			break;
		case 3:
			gen_kw(c, " BETWEEN ");
			if (col->base == B_DATE || col->base == B_TS || col->base == B_TSTZ)
			{
				int			y = gen_rand_int(c, 2019, 2025);
				int			m = gen_rand_int(c, 1, 6);
				char		buf[64];

				snprintf(buf, sizeof(buf), "'%d-%02d-01'", y, m);
				gen_put(c, buf);
				gen_kw(c, " AND ");
				snprintf(buf, sizeof(buf), "'%d-%02d-%02d'", y, m + gen_rand_int(c, 0, 6), 28);
				gen_put(c, buf);
			}
			else if (col->base == B_TIME)
			{
				gen_kw(c, "'09:00:00' AND '17:00:00'");
			}
			else
			{
				double		max = numeric_max(col);
				int			lo = col->hint == H_RATING ? gen_rand_int(c, 1, 3) : gen_rand_int(c, 1, 10) * 10;
				int			hi = col->hint == H_RATING ? lo + gen_rand_int(c, 1, 2) : lo + gen_rand_int(c, 1, 10) * 50;
				char		buf[64];

				if (hi > max)
				{
					lo = 0;
					hi = (int) max;
				}
				snprintf(buf, sizeof(buf), "%d", lo);
				gen_put(c, buf);
				gen_kw(c, " AND ");
				snprintf(buf, sizeof(buf), "%d", hi);
				gen_put(c, buf);
			}
			break;
		case 6:
			{
				int			n = gen_rand_int(c, 2, 4);

				gen_kw(c, gen_chance(c, 6) ? " NOT IN (" : " IN (");
				for (int i = 0; i < n; i++)
				{
					if (i > 0)
						gen_put(c, ", ");
					gen_pred_lit(c, col);
				}
				gen_put(c, ")");
			}
			break;
		case 7:
			gen_kw(c, gen_chance(c, 75) ? " IS NOT NULL" : " IS NULL");
			break;
		default:
			gen_put(c, " = ");
			gen_pred_lit(c, col);
			break;
	}
}

/* Picks a SELECT WHERE operator with the reference frequencies. */
static int
gen_select_op(GenCtx *c)
{
	static const int w[] = {420, 232, 100, 82, 62, 53, 26, 21, 10};

	return gen_pick_weight(c, w, 9);
}

/* Appends " WHERE p [AND|OR p]" with npred predicates. */
static void
gen_where(GenCtx *c, int ti, const GenFrom *f, int npred, int (*op) (GenCtx *))
{
	gen_kw(c, " WHERE ");
	for (int i = 0; i < npred; i++)
	{
		if (i > 0)
			gen_kw(c, gen_chance(c, 85) ? " AND " : " OR ");
		predicate(c, ti, f, op(c));
	}
}

/* ---- SELECT ---- */

/* Appends " ORDER BY col dir". */
static void
order_by(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	int			r = gen_rand_int(c, 0, 99);

	gen_kw(c, " ORDER BY ");
	gen_fcol(c, f, ti, ci);
	if (r < 66)
		gen_kw(c, " DESC");
	else if (r < 96)
		gen_kw(c, " ASC");
}

/* Appends " LIMIT n" with the reference values (and a rare OFFSET). */
static void
limit_clause(GenCtx *c)
{
	static const int vals[] = {5, 10, 3, 20, 7, 1, 50};
	static const int w[] = {527, 356, 97, 7, 3, 2, 8};
	char		buf[48];

	snprintf(buf, sizeof(buf), " LIMIT %d", vals[gen_pick_weight(c, w, 7)]);
	gen_kw(c, buf);
	if (gen_chance(c, 5))
	{
		snprintf(buf, sizeof(buf), " OFFSET %d", gen_rand_int(c, 1, 4) * 5);
		gen_kw(c, buf);
	}
}

/* Number of select-list items: 1-6 with the reference shares (given no star). */
static int
list_size(GenCtx *c)
{
	static const int w[] = {3, 50, 37, 8, 2};
	int			k = gen_pick_weight(c, w, 5);

	return k == 4 ? gen_rand_int(c, 5, 6) : k + 1;
}

/* Picks up to n distinct select-list columns of table ti into out; returns the count. */
static int
list_cols(GenCtx *c, int ti, int n, int *out)
{
	const GenTab *g = &c->tabs[ti];
	int			k = 0;
	bool		used[64] = {false};

	/* the key first now and then, as people write it */
	if (g->pk >= 0 && n >= 3 && gen_chance(c, 30))
	{
		out[k++] = g->pk;
		used[g->pk] = true;
	}
	for (int tries = 0; k < n && tries < 40; tries++)
	{
		int			ci = gen_rand_int(c, 0, g->n_cols - 1);

		if (ci >= 64 || used[ci] || (g->cols[ci].kind == DATAGEN_COL_ID && gen_chance(c, 70)))
			continue;
		used[ci] = true;
		out[k++] = ci;
	}
	if (k == 0)
		out[k++] = 0;
	return k;
}

/* A simple or complex single-table SELECT. */
static void
select_one(GenCtx *c, int ti, bool complex)
{
	bool		star = gen_chance(c, complex ? 22 : 40);
	bool		distinct = !star && gen_chance(c, complex ? 3.5 : 1.0);
	bool		has_json = false;
	bool		where = gen_chance(c, complex ? 74 : 58);
	bool		order = gen_chance(c, complex ? 47 : 30);
	int			cols[8];
	int			n = 0;
	int			func = complex ? gen_rand_int(c, 0, 399) : 400;

	gen_kw(c, "SELECT ");
	if (distinct)
		gen_kw(c, "DISTINCT ");
	if (star)
		gen_put(c, "*");
	else
	{
		n = list_cols(c, ti, list_size(c), cols);
		for (int i = 0; i < n; i++)
			has_json |= c->tabs[ti].cols[cols[i]].base == B_JSON;
		if (distinct && has_json)
		{
			/* json has no equality operator: no DISTINCT over it */
			c->t->len -= strlen("DISTINCT ");
			distinct = false;
		}
		for (int i = 0; i < n; i++)
		{
			const GenCol *col = &c->tabs[ti].cols[cols[i]];

			if (i > 0)
				gen_put(c, ", ");
			/* rare expressions: string and date functions, CASE */
			if (func < 3 && col->base == B_VARCHAR && !distinct)
			{
				gen_kw(c, func == 0 ? "UPPER(" : func == 1 ? "LOWER(" : "LENGTH(");
				gen_col(c, ti, cols[i]);
				gen_put(c, ") ");
				gen_kw(c, "AS ");
				gen_put(c, func == 0 ? "upper_value" : func == 1 ? "lower_value" : "value_length");
				func = 400;
				continue;
			}
			if (func < 6 && (col->base == B_DATE || col->base == B_TS) && !distinct)
			{
				gen_kw(c, func == 3 ? "EXTRACT(YEAR FROM " : "DATE_TRUNC('month', ");
				gen_col(c, ti, cols[i]);
				gen_put(c, ") ");
				gen_kw(c, "AS ");
				gen_put(c, func == 3 ? "year" : "month");
				func = 400;
				continue;
			}
			if (func < 8 && (col->roles & C_NUM) && !distinct)
			{
				gen_kw(c, "CASE WHEN ");
				gen_col(c, ti, cols[i]);
				gen_put(c, " > ");
				gen_lit(c, col);
				gen_kw(c, " THEN ");
				gen_put(c, "'high'");
				gen_kw(c, " ELSE ");
				gen_put(c, "'low'");
				gen_kw(c, " END AS ");
				gen_put(c, "level");
				func = 400;
				continue;
			}
			gen_col(c, ti, cols[i]);
			if (gen_chance(c, 2))
			{
				gen_kw(c, " AS ");
				gen_put(c, col->name);
				gen_put(c, "_value");
			}
		}
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	if (where)
	{
		static const int np_w[] = {89, 11};

		if (complex && gen_chance(c, 2))
		{
			/* recent rows by a date function */
			int			ci = gen_pick_col(c, ti, C_DATE);

			if (ci >= 0)
			{
				gen_kw(c, " WHERE ");
				gen_col(c, ti, ci);
				gen_put(c, " >= ");
				gen_kw(c, gen_chance(c, 50) ? "CURRENT_DATE - INTERVAL '30 days'" : "NOW() - INTERVAL '7 days'");
				where = false;
			}
		}
		if (where)
			gen_where(c, ti, NULL, 1 + gen_pick_weight(c, np_w, 2), gen_select_op);
	}
	if (order)
	{
		int			ci;

		if (distinct)
			ci = cols[gen_rand_int(c, 0, n - 1)];
		else
		{
			ci = gen_pick_col(c, ti, C_SORT);
			if (ci < 0)
				ci = 0;
		}
		order_by(c, NULL, ti, ci);
	}
	if (gen_chance(c, complex ? 6 : 1.5))
		limit_clause(c);
}

/* An aggregate: which function (0 COUNT(*), 1 COUNT(col), 2 COUNT(DISTINCT), 3 SUM, 4 AVG, 5 MAX, 6 MIN) and column. */
typedef struct GenAgg
{
	int			fn;
	int			col;
} GenAgg;

/* Picks an aggregate over table ti with the reference frequencies. */
static GenAgg
pick_agg(GenCtx *c, int ti)
{
	static const int w[] = {19, 8, 1, 17, 20, 14, 4};
	GenAgg		a;

	a.fn = gen_pick_weight(c, w, 7);
	a.col = gen_pick_col(c, ti, C_NUM);
	if (a.col < 0 && a.fn >= 3)
		a.fn = gen_chance(c, 65) ? 0 : 1;
	if (a.fn == 1 || a.fn == 2)
		a.col = c->tabs[ti].pk >= 0 ? c->tabs[ti].pk : 0;
	return a;
}

/* Appends the aggregate call (through f when given); returns a fitting alias. */
static const char *
write_agg(GenCtx *c, int ti, const GenFrom *f, GenAgg a)
{
	static const char *const fn[] = {"COUNT(*)", "COUNT(", "COUNT(DISTINCT ", "SUM(", "AVG(", "MAX(", "MIN("};
	static const char *const alias[] = {"total", "count", "distinct_count", "total_amount", "average", "max_value", "min_value"};

	gen_kw(c, fn[a.fn]);
	if (a.fn > 0)
	{
		gen_fcol(c, f, ti, a.col);
		gen_put(c, ")");
	}
	return alias[a.fn];
}

/* Appends a threshold literal for a HAVING on aggregate a. */
static void
agg_threshold(GenCtx *c, int ti, GenAgg a)
{
	if (a.fn <= 2)
		gen_int_lit(c, 1, 10);
	else if (a.fn == 3)
		gen_int_lit(c, 10, 500);
	else
		gen_lit(c, &c->tabs[ti].cols[a.col]);
}

/* SELECT with aggregates: GROUP BY [HAVING] or a plain aggregate. */
static void
select_aggregate(GenCtx *c, int ti, bool complex, bool grouped)
{
	int			g = grouped ? gen_pick_col(c, ti, C_GROUP) : -1;
	GenAgg		a = pick_agg(c, ti);
	const char *alias;
	bool		as = gen_chance(c, 45);

	gen_kw(c, "SELECT ");
	if (g >= 0)
	{
		gen_col(c, ti, g);
		gen_put(c, ", ");
	}
	alias = write_agg(c, ti, NULL, a);
	if (as)
	{
		gen_kw(c, " AS ");
		gen_put(c, alias);
	}
	if (g < 0 && a.fn >= 3 && gen_chance(c, 25))
	{
		/* a second aggregate on the same column: MIN and MAX, SUM and AVG */
		GenAgg		b = a;

		b.fn = a.fn == 5 ? 6 : a.fn == 6 ? 5 : a.fn == 3 ? 4 : 3;
		gen_put(c, ", ");
		alias = write_agg(c, ti, NULL, b);
		if (as)
		{
			gen_kw(c, " AS ");
			gen_put(c, alias);
		}
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	if (gen_chance(c, complex ? 45 : 35))
		gen_where(c, ti, NULL, 1, gen_select_op);
	if (g >= 0)
	{
		gen_kw(c, " GROUP BY ");
		gen_col(c, ti, g);
		if (gen_chance(c, 55))
		{
			gen_kw(c, " HAVING ");
			write_agg(c, ti, NULL, a);
			gen_put(c, gen_chance(c, 80) ? " > " : " >= ");
			agg_threshold(c, ti, a);
		}
		if (gen_chance(c, 55))
		{
			gen_kw(c, " ORDER BY ");
			if (as)
				gen_put(c, alias);
			else
				gen_col(c, ti, g);
			gen_kw(c, gen_chance(c, 75) ? " DESC" : " ASC");
		}
	}
	if (gen_chance(c, complex ? 8 : 2))
		limit_clause(c);
}

/* Fills a FROM item for table ti; aliases for about a third of the joins. */
static void
from_item(GenCtx *c, GenFrom *f, int ti, int slot, bool aliases, GenFrom *others, int n_others)
{
	const char *name = c->s->tables[ti].name;

	f->table = ti;
	f->alias_slot = aliases ? slot : -1;
	f->alias[0] = (char) tolower((unsigned char) name[0]);
	f->alias[1] = '\0';
	/* an alias must differ from the other aliases and from every table name */
	for (int tries = 0; aliases && tries < 8; tries++)
	{
		bool		clash = false;

		for (int i = 0; i < n_others; i++)
			if (strcmp(others[i].alias, f->alias) == 0)
				clash = true;
		for (int i = 0; i < c->s->n_tables; i++)
			if (strcasecmp(c->s->tables[i].name, f->alias) == 0)
				clash = true;
		if (sqlpilot_schema_needs_quotes(f->alias, true))
			clash = true;
		if (!clash)
			break;
		snprintf(f->alias, sizeof(f->alias), "%c%d", tolower((unsigned char) name[0]), tries + 1);
	}
}

/* Appends "table [alias]". */
static void
from_text(GenCtx *c, const GenFrom *f)
{
	gen_tbl(c, f->table);
	if (f->alias_slot >= 0)
	{
		gen_put(c, " ");
		gen_text_ident(c->t, f->alias, DATAGEN_IDENT_ALIAS, f->table, f->alias_slot);
	}
}

/* Appends " JOIN b ON a.x = b.y" for link l, with a already in FROM. */
static void
join_text(GenCtx *c, const DatagenLink *l, const GenFrom *child, const GenFrom *parent, bool parent_new)
{
	static const int w[] = {73, 19, 8};
	int			j = gen_pick_weight(c, w, 3);

	gen_kw(c, j == 0 ? " JOIN " : j == 1 ? " INNER JOIN " : " LEFT JOIN ");
	from_text(c, parent_new ? parent : child);
	gen_kw(c, " ON ");
	gen_qcol(c, child, l->child_col);
	gen_put(c, " = ");
	gen_qcol(c, parent, l->parent_col);
}

/* True when (table, column) is among the first n picked pairs. */
static bool
is_listed(const int *tabs, const int *cols, int n, int table, int column)
{
	for (int i = 0; i < n; i++)
		if (tabs[i] == table && cols[i] == column)
			return true;
	return false;
}

/* A SELECT joining two or three tables along links. */
static void
select_join(GenCtx *c, bool complex)
{
	const DatagenSchema *s = c->s;
	const DatagenLink *l = &s->links[gen_rand_int(c, 0, s->n_links - 1)];
	const DatagenLink *l2 = NULL;
	GenFrom		from[3];
	bool		aliases = gen_chance(c, 35);
	bool		parent_first = gen_chance(c, 45);
	int			first;
	int			second;
	int			n_from = 2;
	int			grouped = complex && gen_chance(c, 22);

	/* a third table: another link touching either side */
	if (gen_chance(c, 20))
		for (int i = 0; i < s->n_links && !l2; i++)
		{
			const DatagenLink *o = &s->links[i];

			if (o == l)
				continue;
			if ((o->child == l->child || o->child == l->parent || o->parent == l->child ||
				 o->parent == l->parent) &&
				!((o->child == l->child || o->child == l->parent) &&
				  (o->parent == l->child || o->parent == l->parent)))
				l2 = o;
		}
	first = parent_first ? 1 : 0;
	second = 1 - first;
	from_item(c, &from[0], l->child, 0, aliases, NULL, 0);
	from_item(c, &from[1], l->parent, 1, aliases, from, 1);
	if (l2)
	{
		int			t3 = (l2->child == l->child || l2->child == l->parent) ? l2->parent : l2->child;

		from_item(c, &from[2], t3, 2, aliases, from, 2);
		n_from = 3;
	}
	gen_kw(c, "SELECT ");
	if (grouped)
	{
		const GenFrom *pf = &from[1];
		int			g = gen_pick_col(c, pf->table, C_SORT | C_STR);
		const char *alias;

		/* group by the parent's name or title, else a low-cardinality column */
		if (g < 0)
			g = gen_pick_col(c, pf->table, C_GROUP);
		if (g < 0)
			g = c->tabs[pf->table].pk >= 0 ? c->tabs[pf->table].pk : 0;
		gen_qcol(c, pf, g);
		gen_put(c, ", ");
		alias = write_agg(c, from[0].table, &from[0], pick_agg(c, from[0].table));
		gen_kw(c, " AS ");
		gen_put(c, alias);
		gen_kw(c, " FROM ");
		from_text(c, &from[first]);
		join_text(c, l, &from[0], &from[1], second == 1);
		if (gen_chance(c, 40))
			gen_where(c, from[0].table, &from[0], 1, gen_select_op);
		gen_kw(c, " GROUP BY ");
		gen_qcol(c, pf, g);
		if (gen_chance(c, 50))
		{
			gen_kw(c, " ORDER BY ");
			gen_put(c, alias);
			gen_kw(c, " DESC");
		}
		if (gen_chance(c, 10))
			limit_clause(c);
		return;
	}
	if (gen_chance(c, 8))
		gen_put(c, "*");
	else
	{
		int			n = list_size(c);
		int			picked_t[8];
		int			picked_c[8];

		if (n < 2)
			n = 2;
		int			listed = 0;

		for (int i = 0; i < n; i++)
		{
			const GenFrom *f = &from[i < n_from ? (i + first) % n_from : gen_rand_int(c, 0, n_from - 1)];
			int			ci;
			int			tries = 0;

			do
				ci = gen_rand_int(c, 0, c->tabs[f->table].n_cols - 1);
			while ((c->tabs[f->table].cols[ci].kind == DATAGEN_COL_ID ||
					is_listed(picked_t, picked_c, listed, f->table, ci)) && ++tries < 6);
			if (is_listed(picked_t, picked_c, listed, f->table, ci))
				continue;
			picked_t[listed] = f->table;
			picked_c[listed] = ci;
			if (listed++ > 0)
				gen_put(c, ", ");
			gen_qcol(c, f, ci);
		}
	}
	gen_kw(c, " FROM ");
	from_text(c, &from[first]);
	join_text(c, l, &from[0], &from[1], second == 1);
	if (l2)
	{
		const GenFrom *ch = &from[l2->child == from[2].table ? 2 : (l2->child == l->child ? 0 : 1)];
		const GenFrom *pa = &from[l2->parent == from[2].table ? 2 : (l2->parent == l->child ? 0 : 1)];

		join_text(c, l2, ch, pa, pa == &from[2]);
	}
	if (gen_chance(c, complex ? 75 : 55))
	{
		const GenFrom *f = &from[gen_rand_int(c, 0, n_from - 1)];
		static const int np_w[] = {85, 15};

		gen_where(c, f->table, f, 1 + gen_pick_weight(c, np_w, 2), gen_select_op);
	}
	if (gen_chance(c, complex ? 45 : 25))
	{
		const GenFrom *f = &from[gen_rand_int(c, 0, n_from - 1)];
		int			ci = gen_pick_col(c, f->table, C_SORT);

		if (ci >= 0)
			order_by(c, f, f->table, ci);
	}
	if (gen_chance(c, complex ? 7 : 2))
		limit_clause(c);
}

/* A SELECT with a subquery along a link: IN (SELECT ...) or EXISTS. */
static void
select_subquery(GenCtx *c)
{
	const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

	gen_kw(c, "SELECT * FROM ");
	gen_tbl(c, l->child);
	gen_kw(c, " WHERE ");
	gen_col(c, l->child, l->child_col);
	gen_kw(c, gen_chance(c, 85) ? " IN (SELECT " : " NOT IN (SELECT ");
	gen_col(c, l->parent, l->parent_col);
	gen_kw(c, " FROM ");
	gen_tbl(c, l->parent);
	gen_where(c, l->parent, NULL, 1, gen_select_op);
	gen_put(c, ")");
}

/* A SELECT through a CTE. */
static void
select_cte(GenCtx *c, int ti)
{
	const char *name = cte_names[gen_rand_int(c, 0, N_OF(cte_names) - 1)];
	int			cols[8];
	int			n = list_cols(c, ti, gen_rand_int(c, 2, 3), cols);

	gen_kw(c, "WITH ");
	gen_put(c, name);
	gen_kw(c, " AS (SELECT ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	gen_where(c, ti, NULL, 1, gen_select_op);
	gen_kw(c, ") SELECT ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_kw(c, " FROM ");
	gen_put(c, name);
	gen_kw(c, " ORDER BY ");
	gen_col(c, ti, cols[0]);
	if (gen_chance(c, 50))
		gen_kw(c, " DESC");
}

/* A SELECT with a window function. */
static void
select_window(GenCtx *c, int ti)
{
	int			num = gen_pick_col(c, ti, C_NUM);
	int			other = gen_pick_col(c, ti, C_SORT);

	if (num < 0 || other < 0)
	{
		select_one(c, ti, true);
		return;
	}
	gen_kw(c, "SELECT ");
	gen_col(c, ti, other);
	gen_put(c, ", ");
	gen_col(c, ti, num);
	gen_kw(c, gen_chance(c, 50) ? ", RANK() OVER (ORDER BY " : ", ROW_NUMBER() OVER (ORDER BY ");
	gen_col(c, ti, num);
	gen_kw(c, " DESC) AS ");
	gen_put(c, "rank_no");
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
}

/* Mostly a table with an aggregatable number (ti itself when it has one). */
static int
numeric_table(GenCtx *c, int ti)
{
	for (int tries = 0; tries < 4 && gen_pick_col(c, ti, C_NUM) < 0 && gen_chance(c, 80); tries++)
		ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	return ti;
}

/* One SELECT statement. */
static void
gen_select(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			r = gen_rand_int(c, 0, 9999);
	bool		links = c->s->n_links > 0;

	if (complex)
	{
		if (r < 2500 && links)
			select_join(c, true);
		else if (r < 2890)
			select_aggregate(c, numeric_table(c, ti), true, r < 2850);
		else if (r < 3000 && links)
			select_subquery(c);
		else if (r < 3040)
			select_cte(c, ti);
		else if (r < 3060)
			select_window(c, numeric_table(c, ti));
		else
			select_one(c, ti, true);
	}
	else
	{
		if (r < 460 && links)
			select_join(c, false);
		else if (r < 650)
			select_aggregate(c, numeric_table(c, ti), false, r < 610);
		else
			select_one(c, ti, false);
	}
}

/* ---- INSERT / UPSERT ---- */

/* Chooses the INSERT column list of table ti into out; returns its length. */
static int
insert_cols(GenCtx *c, int ti, int *out)
{
	const GenTab *g = &c->tabs[ti];
	int			n = 0;
	bool		omit_some = gen_chance(c, 11);

	for (int k = 0; k < g->n_cols; k++)
	{
		const GenCol *col = &g->cols[k];

		if (col->auto_value && gen_chance(c, 92))
			continue;
		if (omit_some && k != g->pk && (col->roles & C_NULL) && gen_chance(c, 40))
			continue;
		if (col->has_default && k != g->pk && gen_chance(c, 30))
			continue;
		if (col->base == B_OTHER)
			continue;
		out[n++] = k;
	}
	/* never an empty list: fall back to every column */
	for (int k = 0; n == 0 && k < g->n_cols; k++)
		if (g->cols[k].base != B_OTHER)
			out[n++] = k;
	return n;
}

/* Appends "(a, b, c)". */
static void
col_list(GenCtx *c, int ti, const int *cols, int n)
{
	gen_put(c, "(");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_put(c, ")");
}

/* Appends "(v1, v2, ...)" for the columns. */
static void
values_row(GenCtx *c, int ti, const int *cols, int n)
{
	gen_put(c, "(");
	for (int i = 0; i < n; i++)
	{
		const GenCol *col = &c->tabs[ti].cols[cols[i]];

		if (i > 0)
			gen_put(c, ", ");
		if (col->has_default && gen_chance(c, 2))
			gen_kw(c, "DEFAULT");
		else
			gen_value(c, col);
	}
	gen_put(c, ")");
}

/* One INSERT statement (plain, multi-row, INSERT ... SELECT, RETURNING). */
static void
gen_insert(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];
	int			cols[64];
	int			n = insert_cols(c, ti, cols);
	int			r = gen_rand_int(c, 0, 9999);

	if (complex && r < 40 && (g->pk < 0 || g->cols[g->pk].auto_value))
	{
		/* copy rows: INSERT ... SELECT from the same table, the key left to its default */
		int			m = 0;
		int			sel[64];

		for (int i = 0; i < n; i++)
			if (cols[i] != g->pk)
				sel[m++] = cols[i];
		if (m > 0)
		{
			gen_kw(c, "INSERT INTO ");
			gen_tbl(c, ti);
			gen_put(c, " ");
			col_list(c, ti, sel, m);
			gen_kw(c, " SELECT ");
			for (int i = 0; i < m; i++)
			{
				if (i > 0)
					gen_put(c, ", ");
				gen_col(c, ti, sel[i]);
			}
			gen_kw(c, " FROM ");
			gen_tbl(c, ti);
			gen_where(c, ti, NULL, 1, gen_select_op);
			return;
		}
	}
	gen_kw(c, "INSERT INTO ");
	gen_tbl(c, ti);
	if (!complex && r >= 9500 && n == g->n_cols)
	{
		/* no column list: every column, in table order (randomization keeps that order) */
		gen_kw(c, " VALUES ");
		values_row(c, ti, cols, n);
		return;
	}
	gen_put(c, " ");
	col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	values_row(c, ti, cols, n);
	if (complex && r >= 40 && r < 80)
	{
		int			rows = gen_rand_int(c, 1, 2);

		for (int i = 0; i < rows; i++)
		{
			gen_put(c, ", ");
			values_row(c, ti, cols, n);
		}
	}
	if (complex && r >= 120 && r < 180)
	{
		gen_kw(c, " RETURNING ");
		if (g->pk >= 0 && gen_chance(c, 70))
			gen_col(c, ti, g->pk);
		else
			gen_put(c, "*");
	}
}

/* The columns an ON CONFLICT target may name: the primary key or a unique column. */
static int
conflict_col(GenCtx *c, int ti)
{
	const SqlpilotTable *t = &c->s->tables[ti];

	if (c->tabs[ti].pk >= 0)
		return c->tabs[ti].pk;
	for (int i = 0; i < t->n_indexes; i++)
		if (t->indexes[i].unique && t->indexes[i].n_cols == 1)
			for (int k = 0; k < t->n_columns; k++)
				if (strcmp(t->columns[k].name, t->indexes[i].cols[0]) == 0)
					return k;
	return -1;
}

/* Appends " ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a, ..." or DO NOTHING. */
static void
on_conflict(GenCtx *c, int ti, const int *cols, int n, int key, bool nothing)
{
	int			done = 0;

	gen_kw(c, " ON CONFLICT ");
	if (key < 0)
	{
		gen_kw(c, "DO NOTHING");
		return;
	}
	gen_put(c, "(");
	gen_col(c, ti, key);
	gen_put(c, ")");
	if (nothing)
	{
		gen_kw(c, " DO NOTHING");
		return;
	}
	gen_kw(c, " DO UPDATE SET ");
	for (int i = 0; i < n && done < 2; i++)
	{
		if (cols[i] == key)
			continue;
		if (done > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
		gen_kw(c, " = EXCLUDED.");
		gen_col(c, ti, cols[i]);
		done++;
	}
	if (done == 0)
	{
		c->t->len -= strlen(" DO UPDATE SET ");
		c->t->data[c->t->len] = '\0';
		gen_kw(c, " DO NOTHING");
	}
}

/*
 * One upsert: PostgreSQL INSERT ... ON CONFLICT, or CockroachDB UPSERT with
 * its ON CONFLICT rewrite in *pg (written with the same values).
 */
static void
gen_upsert(GenCtx *c, GenText *pg)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			cols[64];
	int			n = 0;
	int			key = conflict_col(c, ti);
	bool		crdb = key >= 0 && key == c->tabs[ti].pk && gen_chance(c, 50);
	size_t		vstart;
	size_t		vlen;
	GenText    *main = c->t;

	for (int k = 0; k < c->tabs[ti].n_cols; k++)
		if (c->tabs[ti].cols[k].base != B_OTHER)
			cols[n++] = k;
	gen_kw(c, crdb ? "UPSERT INTO " : "INSERT INTO ");
	gen_tbl(c, ti);
	gen_put(c, " ");
	col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	vstart = main->len;
	values_row(c, ti, cols, n);
	vlen = main->len - vstart;
	if (!crdb)
	{
		on_conflict(c, ti, cols, n, key, gen_chance(c, 25));
		return;
	}
	/* the PostgreSQL form: same columns and values, ON CONFLICT on the key */
	c->t = pg;
	pg->lower_kw = main->lower_kw;
	gen_kw(c, "INSERT INTO ");
	gen_tbl(c, ti);
	gen_put(c, " ");
	col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	gen_text_put(pg, main->data + vstart, vlen);
	on_conflict(c, ti, cols, n, key, false);
	c->t = main;
}

/* ---- UPDATE / DELETE / TRUNCATE ---- */

/* The WHERE of an UPDATE or DELETE: mostly "pk = literal". */
static int
update_op(GenCtx *c)
{
	static const int w[] = {994, 3, 0, 1, 1, 1, 1, 1, 1};

	return gen_pick_weight(c, w, 9);
}

/* DELETE WHERE operators with the reference frequencies. */
static int
delete_op(GenCtx *c)
{
	static const int w[] = {779, 68, 6, 1, 127, 5, 5, 2, 7};

	return gen_pick_weight(c, w, 9);
}

/* One UPDATE statement. */
static void
gen_update(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];
	static const int simple_w[] = {40, 52, 7, 1};
	static const int complex_w[] = {20, 66, 12, 2};
	int			nset = 1 + gen_pick_weight(c, complex ? complex_w : simple_w, 4);
	int			done = 0;
	bool		used[64] = {false};

	gen_kw(c, "UPDATE ");
	gen_tbl(c, ti);
	gen_kw(c, " SET ");
	for (int tries = 0; done < nset && tries < 30; tries++)
	{
		int			ci = gen_pick_col(c, ti, C_SET);
		const GenCol *col;

		if (ci < 0 || ci >= 64 || used[ci])
			continue;
		used[ci] = true;
		col = &g->cols[ci];
		if (done > 0)
			gen_put(c, ", ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		if ((col->roles & C_NUM) && col->base != B_FLOAT && gen_chance(c, 3))
		{
			gen_col(c, ti, ci);
			if (col->kind == DATAGEN_COL_MONEY && gen_chance(c, 50))
				gen_put(c, " * 1.10");
			else
				gen_put(c, gen_chance(c, 60) ? " + 1" : " - 1");
		}
		else if ((col->base == B_TS || col->base == B_TSTZ) && gen_chance(c, 6))
			gen_kw(c, gen_chance(c, 60) ? "NOW()" : "CURRENT_TIMESTAMP");
		else
			gen_lit(c, col);
		done++;
	}
	if (done == 0)
	{
		/* no assignable column: set the first column to itself */
		gen_col(c, ti, 0);
		gen_put(c, " = ");
		gen_col(c, ti, 0);
	}
	if (gen_chance(c, 0.3))
		return;
	if (complex && c->s->n_links > 0 && gen_chance(c, 0.4))
	{
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

		if (l->child == ti)
		{
			gen_kw(c, " WHERE ");
			gen_col(c, ti, l->child_col);
			gen_kw(c, " IN (SELECT ");
			gen_col(c, l->parent, l->parent_col);
			gen_kw(c, " FROM ");
			gen_tbl(c, l->parent);
			gen_where(c, l->parent, NULL, 1, gen_select_op);
			gen_put(c, ")");
			return;
		}
	}
	if (gen_chance(c, 93))
	{
		/* col = literal, the key mostly */
		int			ci = g->pk >= 0 && gen_chance(c, 82) ? g->pk : gen_pick_col(c, ti, C_EQ);

		if (ci < 0)
			ci = 0;
		gen_kw(c, " WHERE ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		gen_pred_lit(c, &g->cols[ci]);
	}
	else
		gen_where(c, ti, NULL, gen_chance(c, 85) ? 2 : 1, update_op);
}

/* One DELETE statement. */
static void
gen_delete(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];

	if (complex && c->s->n_links > 0 && gen_chance(c, 2.5))
	{
		/* rows whose parent matches: a subquery along a link */
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

		gen_kw(c, "DELETE FROM ");
		gen_tbl(c, l->child);
		gen_kw(c, " WHERE ");
		gen_col(c, l->child, l->child_col);
		gen_kw(c, " IN (SELECT ");
		gen_col(c, l->parent, l->parent_col);
		gen_kw(c, " FROM ");
		gen_tbl(c, l->parent);
		gen_where(c, l->parent, NULL, 1, gen_select_op);
		gen_put(c, ")");
		return;
	}
	gen_kw(c, "DELETE FROM ");
	gen_tbl(c, ti);
	if (gen_chance(c, 53))
	{
		int			ci = g->pk >= 0 && gen_chance(c, 70) ? g->pk : gen_pick_col(c, ti, C_EQ);

		if (ci < 0)
			ci = 0;
		gen_kw(c, " WHERE ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		gen_pred_lit(c, &g->cols[ci]);
		return;
	}
	gen_where(c, ti, NULL, gen_chance(c, 66) ? 2 : 1, delete_op);
}

/* One TRUNCATE statement; CASCADE whenever a declared foreign key needs it. */
static void
gen_truncate(GenCtx *c, bool complex)
{
	int			n = c->s->n_tables;
	int			ti = gen_rand_int(c, 0, n - 1);
	bool		in_list[8] = {false};

	/* people mostly truncate leaf tables; a referenced one gets a second draw */
	for (int tries = 0; tries < 3 && c->tabs[ti].referenced && gen_chance(c, 75); tries++)
		ti = gen_rand_int(c, 0, n - 1);
	int			listed = 1;
	bool		cascade = false;

	gen_kw(c, gen_chance(c, 94) ? "TRUNCATE TABLE " : "TRUNCATE ");
	gen_tbl(c, ti);
	in_list[ti] = true;
	if (n > 1 && gen_chance(c, complex ? 12 : 2))
	{
		int			extra = gen_rand_int(c, 1, n - 1);

		for (int k = 0; k < n && listed <= extra; k++)
			if (!in_list[k])
			{
				gen_put(c, ", ");
				gen_tbl(c, k);
				in_list[k] = true;
				listed++;
			}
	}
	/* a table referenced from outside the list needs CASCADE */
	for (int k = 0; k < n; k++)
	{
		const SqlpilotTable *t = &c->s->tables[k];

		if (in_list[k])
			continue;
		for (int f = 0; f < t->n_fkeys; f++)
			for (int o = 0; o < n; o++)
				if (in_list[o] && strcmp(t->fkeys[f].ref_table, c->s->tables[o].name) == 0)
					cascade = true;
	}
	if (gen_chance(c, 0.8))
		gen_kw(c, " RESTART IDENTITY");
	if (cascade || gen_chance(c, 4))
		gen_kw(c, " CASCADE");
}

/* ---- driver ---- */

/* Copies a text's identifier spans into a malloc'd array. */
static DatagenIdent *
copy_ids(const GenText *t)
{
	DatagenIdent *ids;

	if (t->n_ids == 0)
		return NULL;
	ids = malloc((size_t) t->n_ids * sizeof(DatagenIdent));
	if (ids)
		memcpy(ids, t->ids, (size_t) t->n_ids * sizeof(DatagenIdent));
	return ids;
}

/* Frees the analysis. */
static void
free_tabs(GenCtx *c)
{
	for (int i = 0; i < c->s->n_tables; i++)
		free(c->tabs[i].cols);
	free(c->tabs);
}

/* See generate.h. */
int
datagen_statements_generate(const DatagenSchema *s, uint64_t seed,
							DatagenStatement *out, int n)
{
	/* statement kinds: select, insert, update, delete, truncate, upsert (per mille) */
	static const int kind_w[] = {3240, 3200, 1310, 1260, 950, 40};
	static const double semicolon[] = {84.8, 81.4, 86.9, 91.1, 90.4, 81.4};
	GenCtx		c = {0};
	GenText		text = {0};
	GenText		pg = {0};
	int			made = 0;

	if (!s || s->n_tables <= 0)
		return 0;
	c.s = s;
	c.rng = seed ^ 0xD1B54A32D192ED03ULL;
	sqlpilot_rng_next(&c.rng);
	c.t = &text;
	analyze_schema(&c);
	for (int i = 0; i < n; i++)
	{
		DatagenStatement *st = &out[i];
		int			kind = gen_pick_weight(&c, kind_w, 6);
		bool		complex = gen_chance(&c, 50);

		gen_text_reset(&text);
		gen_text_reset(&pg);
		text.lower_kw = gen_chance(&c, 0.3);
		switch (kind)
		{
			case DATAGEN_SELECT:
				gen_select(&c, complex);
				break;
			case DATAGEN_INSERT:
				gen_insert(&c, complex);
				break;
			case DATAGEN_UPDATE:
				gen_update(&c, complex);
				break;
			case DATAGEN_DELETE:
				gen_delete(&c, complex);
				break;
			case DATAGEN_TRUNCATE:
				gen_truncate(&c, complex);
				break;
			default:
				complex = true;
				gen_upsert(&c, &pg);
				break;
		}
		if (gen_chance(&c, semicolon[kind]))
		{
			gen_text_put(&text, ";", 1);
			if (pg.len > 0)
				gen_text_put(&pg, ";", 1);
		}
		memset(st, 0, sizeof(*st));
		st->kind = (DatagenKind) kind;
		st->complex = complex;
		st->sql = strndup(text.data ? text.data : "", text.len);
		st->n_idents = text.n_ids;
		st->idents = copy_ids(&text);
		if (pg.len > 0)
		{
			st->pg_sql = strndup(pg.data, pg.len);
			st->n_pg_idents = pg.n_ids;
			st->pg_idents = copy_ids(&pg);
		}
		made++;
	}
	free_tabs(&c);
	gen_text_free(&text);
	gen_text_free(&pg);
	return made;
}

/* See generate.h. */
void
datagen_statement_free(DatagenStatement *st)
{
	free(st->sql);
	free(st->pg_sql);
	free(st->idents);
	free(st->pg_idents);
	memset(st, 0, sizeof(*st));
}
