/*
 * gen_literals.c — literals for the statement generator: values drawn
 * from the column's content kind (names, places, statuses, dates, amounts)
 * that fit its type, LIKE patterns, and the predicates and WHERE clauses
 * built from them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

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

/* ---- literals ---- */

/* A string pool for a column's kind and name hint. */
const char *
gen_word_for(GenCtx *c, const GenCol *col)
{
	if (col->n_allowed > 0)
		return col->allowed[gen_rand_int(c, 0, col->n_allowed - 1)];
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

	if (col->n_allowed > 0)
	{
		snprintf(buf, cap, "%s", col->allowed[gen_rand_int(c, 0, col->n_allowed - 1)]);
		return;
	}
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
			snprintf(buf, cap, "%s", gen_word_for(c, col));
			break;
		case DATAGEN_COL_CODE:
			if (col->hint == H_CURRENCY || col->hint == H_UNIT || col->hint == H_SIZE ||
				col->hint == H_LANGUAGE || col->hint == H_GRADE)
				snprintf(buf, cap, "%s", gen_word_for(c, col));
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
void
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
void
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
		case B_ARRAY:
			{
				/* text[]: tags, labels */
				int			k = gen_rand_int(c, 1, 3);

				gen_kw(c, "ARRAY[");
				for (int i = 0; i < k; i++)
				{
					if (i > 0)
						gen_put(c, ", ");
					gen_str_lit(c, gen_word_for(c, col), 0);
				}
				gen_put(c, "]");
			}
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
void
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
void
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
void
gen_like_pattern(GenCtx *c, const GenCol *col)
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
void
gen_predicate(GenCtx *c, int ti, const GenFrom *f, int op)
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
			gen_like_pattern(c, col);
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
				gen_put(c, " ");
				gen_kw(c, "AND ");	/* BETWEEN's AND stays on its line */
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
				gen_put(c, " ");
				gen_kw(c, "AND ");	/* BETWEEN's AND stays on its line */
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
int
gen_select_op(GenCtx *c)
{
	static const int w[] = {420, 232, 100, 82, 62, 53, 26, 21, 10};

	return gen_pick_weight(c, w, 9);
}

/* Appends " WHERE p [AND|OR p]" with npred predicates. */
void
gen_where(GenCtx *c, int ti, const GenFrom *f, int npred, int (*op) (GenCtx *))
{
	gen_kw(c, " WHERE ");
	for (int i = 0; i < npred; i++)
	{
		if (i > 0)
			gen_kw(c, gen_chance(c, 85) ? " AND " : " OR ");
		gen_predicate(c, ti, f, op(c));
	}
}
