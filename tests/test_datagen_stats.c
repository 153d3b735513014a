/*
 * test_datagen_stats.c — the lexer behind `sqlpilot datagen stats`
 * (datagen/pipeline/stats_features.c on core/sql_lex.c): PostgreSQL's
 * tokens, the other dialects' names and parameters, and the string kinds of
 * prefixed and dollar-quoted literals, and the feature tests of the rows
 * beyond the reference's list (the generator's wide share).
 */
#include <stdio.h>
#include <string.h>

#include "../datagen/pipeline/stats_features.h"
#include "tap.h"

/* Lexes s and renders the tokens as type:text, space-separated. */
static const char *
render(const char *s, char *buf, size_t cap)
{
	static const char *const names[] = {"w", "q", "s", "n", "p", "o"};
	Tok			t[64];
	int			n = stats_lex(s, t, 64);
	size_t		len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++)
		len += snprintf(buf + len, cap - len, "%s%s:%.*s", i ? " " : "", names[t[i].type], t[i].len, t[i].s);
	return buf;
}

/* Checks the rendering of s. */
static void
check(const char *s, const char *want)
{
	char		buf[1024];

	if (!tap_ok(strcmp(render(s, buf, sizeof(buf)), want) == 0, "stats_lex %s", s))
		tap_diag("got  %s\n# want %s", buf, want);
}

int
main(void)
{
	bool		f[N_FEATURES];
	Shape		sh;
	Tok			t[16];

	check("SELECT \"a\"\"b\", café, x$y FROM t", "w:SELECT q:\"a\"\"b\" o:, w:café o:, w:x$y w:FROM w:t");
	check("a /* x /* y */ z */ b -- c", "w:a w:b");
	check("E'it\\'s' $f$x;y$f$ 1.5e-3 $1", "s:'it\\'s' s:$f$x;y$f$ n:1.5e-3 p:$1");
	check("`my col` ? ?1 :name @v %s a::int", "q:`my col` p:? p:?1 p::name p:@v p:%s w:a o::: w:int");
	check("a<=b a->>'k' a=-1", "w:a o:<= w:b w:a o:->> s:'k' w:a o:= o:- n:1");

	stats_lex("f((a), b)", t, 16);
	tap_ok(t[0].depth == 0 && t[2].depth == 1 && t[3].depth == 2 && t[6].depth == 1,
		   "parenthesis depth before each token");

	stats_features("SELECT * FROM t WHERE d = E'2024-01-31'", 0, f, &sh);
	tap_ok(f[F_S_DATE] && !f[F_S_OTHER], "an E'' literal's kind is read from its text");
	stats_features("SELECT * FROM t WHERE d = $x$2024-01-31$x$", 0, f, &sh);
	tap_ok(f[F_S_DATE] && f[F_STRING], "a dollar-quoted literal's kind is read between its tags");
	stats_features("SELECT * FROM t WHERE d = $$$$", 0, f, &sh);
	tap_ok(f[F_S_EMPTY], "an empty dollar-quoted literal is empty");
	stats_features("SELECT * FROM t WHERE a = ? AND b = :b AND c = $1", 0, f, &sh);
	tap_ok(f[F_PARAM_QMARK] && f[F_PARAM_OTHER] && f[F_PARAM_DOLLAR], "?, :name and $1 parameters");

	/* the rows beyond the reference's list */
	stats_features("select a.x, ROW_NUMBER() OVER (PARTITION BY a.g ORDER BY a.d DESC) AS rn,\n"
				   "  LAG(a.v) OVER (ORDER BY a.d) FROM a JOIN b ON b.id = a.b_id JOIN c ON c.id = b.c_id\n"
				   "WHERE 'x' = ANY(a.tags) ORDER BY TO_CHAR(a.d, 'YYYY') NULLS LAST", 0, f, &sh);
	tap_ok(f[F_JOIN_2PLUS] && f[F_PARTITION_BY] && f[F_RANK_FN] && f[F_LAG_LEAD] && f[F_ANY_ARRAY] &&
		   f[F_TO_CHAR] && f[F_NULLS_ORDER] && f[F_LOWER_KW] && f[F_OVER],
		   "2+ JOINs, PARTITION BY, ROW_NUMBER, LAG, = ANY, TO_CHAR, NULLS LAST, lower-case keywords");
	stats_features("SELECT rank, nulls FROM t JOIN u ON u.id = t.id WHERE lag = 1 ORDER BY first", 0, f, &sh);
	tap_ok(!f[F_JOIN_2PLUS] && !f[F_RANK_FN] && !f[F_LAG_LEAD] && !f[F_NULLS_ORDER] && !f[F_LOWER_KW],
		   "column names rank, nulls, lag and one JOIN are none of them");
	return tap_done();
}
