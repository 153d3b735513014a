/*
 * test_sql_lex.c — the SQL lexer of core/sql_lex.c on the hard cases of
 * PostgreSQL's rules (quotes and their escapes, dollar quotes, $ in names,
 * non-ASCII letters, nested comments, numbers, operators), unterminated
 * constructs, feeding byte by byte against whole, and 1 MB of random bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_lex.h"
#include "sql_words.h"
#include "tap.h"
#include "util.h"

static const char *const kind_names[] = {"id", "qid", "str", "dol", "num", "par", "op", "pun", "com"};

typedef struct Render
{
	const char *text;
	char		buf[4096];
	size_t		len;
} Render;

/* Appends a token as kind:text (with a '!' when unterminated) to the rendering. */
static void
render_add(void *arg, const SqlpilotLexToken *t)
{
	Render	   *r = arg;
	int			n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s%s:%.*s%s",
							 r->len ? " " : "", kind_names[t->kind],
							 (int) (t->end - t->start), r->text + t->start, t->closed ? "" : "!");

	if (n > 0 && r->len + n < sizeof(r->buf))
		r->len += n;
}

/* The tokens of s, fed whole, as one line; *in gets what the text ended inside. */
static const char *
lex_render(Render *r, const char *s, SqlpilotLexIn *in)
{
	SqlpilotLex lx;
	SqlpilotLexIn end;

	r->text = s;
	r->len = 0;
	r->buf[0] = '\0';
	sqlpilot_lex_init(&lx, 0, render_add, r);
	sqlpilot_lex_feed(&lx, s, strlen(s));
	end = sqlpilot_lex_finish(&lx);
	if (in)
		*in = end;
	return r->buf;
}

/* Checks that s lexes to want. */
static void
check(const char *s, const char *want)
{
	Render		r;
	const char *got = lex_render(&r, s, NULL);
	char		name[256];

	snprintf(name, sizeof(name), "%s", s);
	for (char *p = name; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!tap_ok(strcmp(got, want) == 0, "lex %s", name))
		tap_diag("got  %s\n# want %s", got, want);
}

/* Checks what s ends inside of. */
static void
check_in(const char *s, SqlpilotLexIn want, const char *name)
{
	Render		r;
	SqlpilotLexIn in;

	lex_render(&r, s, &in);
	tap_ok(in == want, "%s: ends inside %d (want %d)", name, in, want);
}

typedef struct Collect
{
	SqlpilotLexToken *v;
	size_t		n;
	size_t		cap;
} Collect;

/* Keeps every token (the callback of the piecewise tests). */
static void
collect_add(void *arg, const SqlpilotLexToken *t)
{
	Collect    *c = arg;

	if (c->n == c->cap)
	{
		c->cap = c->cap * 2 + 256;
		c->v = realloc(c->v, sizeof(*c->v) * c->cap);
		if (!c->v)
			abort();
	}
	c->v[c->n++] = *t;
}

/* Lexes s in pieces of step bytes (0: whole) into c. */
static void
lex_pieces(const char *s, size_t len, size_t step, Collect *c)
{
	SqlpilotLex lx;

	c->n = 0;
	sqlpilot_lex_init(&lx, 0, collect_add, c);
	if (step == 0)
		sqlpilot_lex_feed(&lx, s, len);
	else
		for (size_t i = 0; i < len; i += step)
			sqlpilot_lex_feed(&lx, s + i, len - i < step ? len - i : step);
	sqlpilot_lex_finish(&lx);
}

/* Whether two token lists are identical. */
static bool
same_tokens(const Collect *a, const Collect *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind != b->v[i].kind || a->v[i].start != b->v[i].start ||
			a->v[i].end != b->v[i].end || a->v[i].closed != b->v[i].closed)
			return false;
	return true;
}

/* Whether the tokens are in order and cover only bytes of the text. */
static bool
tokens_sane(const Collect *c, size_t len)
{
	size_t		prev = 0;

	for (size_t i = 0; i < c->n; i++)
	{
		if (c->v[i].start < prev || c->v[i].end <= c->v[i].start || c->v[i].end > len)
			return false;
		prev = c->v[i].end;
	}
	return true;
}

/* The identifier values of names, quoted and not. */
static void
test_values(void)
{
	const char *s = "Foo \"a\"\"B\" CAFÉ \"open";
	SqlpilotLexToken *t;
	size_t		n = sqlpilot_lex_all(s, strlen(s), false, &t);
	char		v[64];

	if (!tap_ok(n == 4, "4 names in %s", s))
		return;
	sqlpilot_lex_ident_value(s, &t[0], v, sizeof(v));
	tap_ok(strcmp(v, "foo") == 0, "unquoted names fold to lower case (%s)", v);
	sqlpilot_lex_ident_value(s, &t[1], v, sizeof(v));
	tap_ok(strcmp(v, "a\"B") == 0, "quoted names keep case and unescape \"\" (%s)", v);
	sqlpilot_lex_ident_value(s, &t[2], v, sizeof(v));
	tap_ok(strcmp(v, "caf\xc3\x89") == 0, "folding is ASCII only, as PostgreSQL's (%s)", v);
	sqlpilot_lex_ident_value(s, &t[3], v, sizeof(v));
	tap_ok(strcmp(v, "open") == 0 && !t[3].closed, "an unterminated quoted name keeps its text (%s)", v);
	tap_ok(sqlpilot_lex_ident_value(s, &t[0], v, 2) == 3 && strcmp(v, "f") == 0,
		   "a short buffer truncates and the full length is returned");
	free(t);
}

/* Byte-by-byte and odd-sized pieces give the tokens of the whole text. */
static void
test_pieces(void)
{
	const char *s = "SELECT \"a\"\"b\", E'it\\'s', $fn$ a $ b $f$ $fn$, $1, x$y, café, 1.5e-3, .5, 1e-x, "
		"a::int, j->>'k' /* a /* b */ c */ -- end\nFROM t WHERE a <= -1 AND b<>2 OR c!=3 || 'x''y' "
		"$$ $ $$ 'open";
	Collect		whole = {0},
				part = {0};
	bool		all_same = true;

	lex_pieces(s, strlen(s), 0, &whole);
	for (size_t step = 1; step <= 7; step++)
	{
		lex_pieces(s, strlen(s), step, &part);
		if (!same_tokens(&whole, &part))
		{
			tap_diag("pieces of %zu bytes differ", step);
			all_same = false;
		}
	}
	tap_ok(all_same && whole.n > 40, "pieces of 1..7 bytes give the %zu tokens of the whole text", whole.n);
	free(whole.v);
	free(part.v);
}

/* Random bytes: terminates, and the tokens are ordered spans of the text, same in pieces. */
static void
test_random(void)
{
	size_t		len = 1 << 20;
	char	   *s = malloc(len);
	uint64_t	rng = 42;
	Collect		whole = {0},
				part = {0};

	for (size_t i = 0; i < len; i++)
		s[i] = (char) sqlpilot_rng_below(&rng, 256);
	lex_pieces(s, len, 0, &whole);
	tap_ok(whole.n > 0 && tokens_sane(&whole, len), "1 MB of random bytes: %zu ordered tokens", whole.n);
	lex_pieces(s, len, 4093, &part);
	tap_ok(same_tokens(&whole, &part), "1 MB of random bytes in 4093-byte pieces: the same tokens");

	/* random bytes drawn from SQL's special characters hit every state */
	for (size_t i = 0; i < len; i++)
		s[i] = "'\"$e1.-/*\\ a_x:<>=!|\n"[sqlpilot_rng_below(&rng, 22)];
	lex_pieces(s, len, 0, &whole);
	lex_pieces(s, len, 1, &part);
	tap_ok(tokens_sane(&whole, len) && same_tokens(&whole, &part),
		   "1 MB of SQL punctuation: ordered tokens, the same byte by byte (%zu)", whole.n);
	free(whole.v);
	free(part.v);
	free(s);
}

/* The identifier scanner of core/sql_words.c on the lexer. */
static void
test_sql_words(void)
{
	const char *s = "SELECT s . \"T\"\"x\" /* c */ . col, x$y, café, 'str' 0x1F FROM $1 $f$ a.b $f$ -- z\n\"open";
	const char *want[] = {"select", "s", "T\"x", "col", "x$y", "café", "x1f", "from", "open"};
	size_t		pos = 0;
	size_t		n = 0;
	bool		right = true;
	SqlpilotSqlIdent id;
	size_t		keep;

	while (sqlpilot_sql_next_ident(s, strlen(s), &pos, &id))
	{
		if (n >= sizeof(want) / sizeof(want[0]) || strcmp(id.name, want[n]) != 0)
		{
			tap_diag("identifier %zu: %s", n, id.name);
			right = false;
		}
		n++;
	}
	tap_ok(right && n == sizeof(want) / sizeof(want[0]) && pos == strlen(s),
		   "sql_next_ident finds the %zu names, $ and non-ASCII bytes included", n);
	pos = 0;
	sqlpilot_sql_next_ident(s, strlen(s), &pos, &id);
	sqlpilot_sql_next_ident(s, strlen(s), &pos, &id);
	tap_ok(!id.dot_before && id.dot_after, "s: a dot after it, past spaces");
	sqlpilot_sql_next_ident(s, strlen(s), &pos, &id);
	tap_ok(id.dot_before && id.dot_after && id.quoted && id.closed, "\"T\"\"x\": dots on both sides past a comment");
	sqlpilot_sql_next_ident(s, strlen(s), &pos, &id);
	tap_ok(id.dot_before && !id.dot_after, "col: a dot before it");
	while (sqlpilot_sql_next_ident(s, strlen(s), &pos, &id))
		;
	tap_ok(id.quoted && !id.closed, "an unterminated quoted name is reported open");
	keep = sqlpilot_sql_keywords_only("SELECT * FR", 11, "OM x$y WHERE", 12);
	tap_ok(keep == 3, "keywords_only stops at the name x$y (%zu)", keep);
	keep = sqlpilot_sql_keywords_only("SELECT ", 7, "1 FROM café", 13);
	tap_ok(keep == 7, "keywords_only stops at the name café (%zu)", keep);
}

int
main(void)
{
	check("\"a\"\"b\"", "qid:\"a\"\"b\"");
	check("E'it\\'s' e'a''b'", "str:E'it\\'s' str:e'a''b'");
	check("'it''s' 'a' 'b'", "str:'it''s' str:'a' str:'b'");
	check("'a\\' x", "str:'a\\' id:x");
	check("B'101' X'1F' N'n' U'x'", "str:B'101' str:X'1F' str:N'n' id:U str:'x'");
	check("$fn$ a $ b $f$ $$ c $fn$ x", "dol:$fn$ a $ b $f$ $$ c $fn$ id:x");
	check("$$it's$$", "dol:$$it's$$");
	check("$1 + $23", "par:$1 op:+ par:$23");
	check("x$y a$1 $x y", "id:x$y id:a$1 pun:$ id:x id:y");
	check("café naïve_$ é", "id:café id:naïve_$ id:é");
	check("a /* x /* y */ z */ b", "id:a com:/* x /* y */ z */ id:b");
	check("a -- to the end\nb", "id:a com:-- to the end id:b");
	check("a::int b:=1 :x", "id:a pun::: id:int id:b pun::= num:1 pun:: id:x");
	check("j->>'k' j->'k' j#>>'{a}'", "id:j op:->> str:'k' id:j op:-> str:'k' id:j op:#>> str:'{a}'");
	check("a<=b a<>b a!=b a||b a>=b", "id:a op:<= id:b id:a op:<> id:b id:a op:!= id:b id:a op:|| id:b id:a op:>= id:b");
	check("1.5e-3 .5 1. 42 1e5 1E+2", "num:1.5e-3 num:.5 num:1. num:42 num:1e5 num:1E+2");
	check("1e-x 1ex 1.2.3", "num:1 id:e op:- id:x num:1 id:ex num:1.2 num:.3");
	check("a=-1 a<-b a@-1 a*-b", "id:a op:= op:- num:1 id:a op:< op:- id:b id:a op:@- num:1 id:a op:* op:- id:b");
	check("a-- c\n-b", "id:a com:-- c op:- id:b");
	check("a/*c*/+b 1/2", "id:a com:/*c*/ op:+ id:b num:1 op:/ num:2");
	check("f(a, b[1]); t.c", "id:f pun:( id:a pun:, id:b pun:[ num:1 pun:] pun:) pun:; id:t pun:. id:c");
	check("'open", "str:'open!");
	check("\"open", "qid:\"open!");
	check("/* open /* */", "com:/* open /* */!");
	check("$q$ open $q", "dol:$q$ open $q!");
	check("E'open\\'", "str:E'open\\'!");
	check("x -- ", "id:x com:-- ");
	check("$abc", "pun:$ id:abc");

	check_in("SELECT 'abc", SQLPILOT_IN_STRING, "open string");
	check_in("SELECT 'abc'", SQLPILOT_IN_NOTHING, "closed string");
	check_in("SELECT \"ab", SQLPILOT_IN_QIDENT, "open quoted name");
	check_in("SELECT $f$ab$", SQLPILOT_IN_DOLLAR, "open dollar quote");
	check_in("SELECT 1 -- x", SQLPILOT_IN_LINE_COMMENT, "line comment");
	check_in("SELECT 1 -- x\n", SQLPILOT_IN_NOTHING, "after a line comment");
	check_in("SELECT /* /* */", SQLPILOT_IN_BLOCK_COMMENT, "nested comment");
	check_in("SELECT na", SQLPILOT_IN_IDENT, "identifier");
	check_in("SELECT x$", SQLPILOT_IN_IDENT, "identifier ending in $");
	check_in("SELECT 1.5e", SQLPILOT_IN_NUMBER, "number");
	check_in("SELECT a <", SQLPILOT_IN_OP, "operator");
	check_in("SELECT a ", SQLPILOT_IN_NOTHING, "after a space");

	test_values();
	test_sql_words();
	test_pieces();
	test_random();
	return tap_done();
}
