/*
 * sql_lex.h — one SQL lexer with PostgreSQL 15's rules, fed in pieces of any
 * size (down to one byte): unquoted identifiers ([A-Za-z_\x80-\xff] then
 * also digits and '$'), "quoted" identifiers with "", string literals '...'
 * with '', E'...' with backslash escapes, B'', X'', N'', $tag$...$tag$ dollar
 * quotes, -- and nested block comments, numbers (1, 1.5, .5, 1e-3),
 * operators (the longest run of operator characters, with PostgreSQL's rule
 * on a trailing + or -), punctuation, and parameters ($1).  Tokens are
 * reported through a callback once their end is known (which may take one or
 * two bytes of look-ahead); sqlpilot_lex_finish reports the last one and
 * says whether the text ends inside an unterminated construct.  Linear time,
 * no allocation.
 */
#ifndef SQLPILOT_SQL_LEX_H
#define SQLPILOT_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>

typedef enum SqlpilotLexKind
{
	SQLPILOT_TOK_IDENT,			/* unquoted identifier or keyword */
	SQLPILOT_TOK_QIDENT,		/* "quoted" identifier */
	SQLPILOT_TOK_STRING,		/* '...', E'...', B'...', X'...', N'...' */
	SQLPILOT_TOK_DOLLAR,		/* $tag$...$tag$ */
	SQLPILOT_TOK_NUMBER,
	SQLPILOT_TOK_PARAM,			/* $1 */
	SQLPILOT_TOK_OP,			/* operator: + <= <> != || ->> ... */
	SQLPILOT_TOK_PUNCT,			/* , ( ) [ ] ; . : :: := and any other byte */
	SQLPILOT_TOK_COMMENT		/* -- to end of line, or a block comment */
} SqlpilotLexKind;

/* One token: its byte span in the whole text fed so far. */
typedef struct SqlpilotLexToken
{
	SqlpilotLexKind kind;
	size_t		start;
	size_t		end;
	bool		closed;			/* false: a quote or comment the text ends inside */
} SqlpilotLexToken;

/* What the text fed so far ends inside of. */
typedef enum SqlpilotLexIn
{
	SQLPILOT_IN_NOTHING,		/* between tokens (or just after a closing quote) */
	SQLPILOT_IN_IDENT,
	SQLPILOT_IN_QIDENT,
	SQLPILOT_IN_STRING,
	SQLPILOT_IN_DOLLAR,
	SQLPILOT_IN_LINE_COMMENT,
	SQLPILOT_IN_BLOCK_COMMENT,
	SQLPILOT_IN_NUMBER,
	SQLPILOT_IN_PARAM,
	SQLPILOT_IN_OP,
	SQLPILOT_IN_PUNCT			/* a '.', ':' or '$' whose token is not yet known */
} SqlpilotLexIn;

typedef void (*SqlpilotLexEmit) (void *arg, const SqlpilotLexToken *tok);

/* Longest dollar-quote tag kept, the '$'s included (PostgreSQL's NAMEDATALEN). */
#define SQLPILOT_LEX_TAG_MAX 64
/* Longest operator kept whole (longer runs are cut there). */
#define SQLPILOT_LEX_OP_MAX 64

/* The lexer's state; fields are private to sql_lex.c. */
typedef struct SqlpilotLex
{
	int			state;
	size_t		pos;			/* bytes fed so far (plus the base offset) */
	size_t		start;			/* where the pending token starts */
	size_t		mark;			/* number: where its 'e' is */
	int			depth;			/* nesting of block comments */
	bool		star;			/* block comment: the last byte was '*' */
	bool		slash;			/* block comment: the last byte was '/' */
	bool		first_e;		/* identifier: a single e/E so far */
	bool		first_bxn;		/* identifier: a single b/x/n so far */
	int			tag_len;
	int			tag_match;		/* dollar quote: bytes of the closing tag seen */
	char		tag[SQLPILOT_LEX_TAG_MAX];
	int			op_len;
	char		op[SQLPILOT_LEX_OP_MAX];
	SqlpilotLexEmit emit;
	void	   *arg;
} SqlpilotLex;

/* Starts a lexer; offsets it reports begin at base.  emit may be NULL. */
void		sqlpilot_lex_init(SqlpilotLex *lx, size_t base, SqlpilotLexEmit emit, void *arg);

/* Feeds the next len bytes of the text. */
void		sqlpilot_lex_feed(SqlpilotLex *lx, const char *s, size_t len);

/*
 * Ends the text: reports the pending token (closed false when it is an
 * unterminated quote, dollar quote or block comment) and returns what the
 * text ended inside of, as sqlpilot_lex_in would have.
 */
SqlpilotLexIn sqlpilot_lex_finish(SqlpilotLex *lx);

/* What the text fed so far ends inside of. */
SqlpilotLexIn sqlpilot_lex_in(const SqlpilotLex *lx);

/* Where the pending (not yet reported) token starts; meaningless at SQLPILOT_IN_NOTHING. */
size_t		sqlpilot_lex_pending_start(const SqlpilotLex *lx);

/*
 * Lexes a whole text into a malloc'd array (comments left out unless
 * comments); returns the count and sets *out, or returns (size_t) -1 when
 * out of memory.
 */
size_t		sqlpilot_lex_all(const char *s, size_t len, bool comments,
							 SqlpilotLexToken **out);

/*
 * The name an identifier token means: unquoted ones folded to lower case
 * (ASCII only, as PostgreSQL does), quoted ones without their quotes and
 * with "" made ".  Writes at most cap - 1 bytes and a '\0' into out (text
 * is the whole text the offsets refer to); returns the full length.
 */
size_t		sqlpilot_lex_ident_value(const char *text, const SqlpilotLexToken *t,
									 char *out, size_t cap);

/* Whether c may start an unquoted identifier (bytes >= 0x80 are letters to PostgreSQL). */
bool		sqlpilot_lex_ident_start(unsigned char c);

/* Whether c may continue an unquoted identifier. */
bool		sqlpilot_lex_ident_cont(unsigned char c);

#endif							/* SQLPILOT_SQL_LEX_H */
