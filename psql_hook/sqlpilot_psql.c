/*
 * sqlpilot_psql.c — an LD_PRELOAD library that adds SQLPilot's candidates to
 * psql's TAB completion (started by the sqlpilot-psql launcher).
 *
 * psql has no plugin API, but Debian's psql links GNU readline dynamically and
 * sets rl_attempted_completion_function before it calls rl_initialize() and
 * its first readline().  This library interposes:
 *   rl_initialize(), readline()    to chain HookCompletion() in front of
 *                                  psql's completion, register the
 *                                  "sqlpilot-complete" command for ~/.inputrc,
 *                                  keep the earlier lines of the statement
 *                                  being typed and see \set SQLPILOT_...;
 *   PQconnectdbParams() & co.,     to learn psql's connection;
 *   PQfinish(), PQreset()
 *   PQexec(), PQsendQuery()        to notice DDL run in this psql.
 * On TAB psql's completion runs first; then the model's candidates are added.
 *
 * Client mode (the default): the model runs here, in the psql process (the
 * core, linked in), on the schema read over psql's connection by the client
 * room (client/catalog.c) only while the session is idle, in an implicit
 * transaction of its own with its own statement timeout, cached, read again
 * when it is older than SQLPILOT_PSQL_REFRESH_S or after DDL in this psql.
 * Nothing of the typed text is sent.  While psql waits at its prompt the
 * model is loaded, the schema read (when the cache needs it) and run through
 * the model, so the first TAB only completes.  The model file is \set SQLPILOT_MODEL,
 * else $SQLPILOT_MODEL, else sqlpilot_default.model beside the library, else
 * the extension's installed default model; a missing or bad file is said
 * once and TAB is psql's own.
 *
 * Server mode (\set SQLPILOT_MODE server or SQLPILOT_PSQL_MODE=server): if
 * the connection is idle (or in a transaction block, inside a savepoint that
 * is always rolled back and released), the extension's
 * sqlpilot_completions(prefix, n), called by the schema-qualified name found
 * in pg_extension, is asked.
 *
 * Every query the hook sends names pg_catalog's functions and operators, and
 * is bounded by a budget: past it the query is cancelled (from a thread:
 * PQcancel itself can wait forever) and waited for one more budget, then
 * given up; psql's candidates are shown alone.  A given-up query is read
 * before psql next uses the connection.  Backslash commands, failed
 * transactions and statements that may hold a secret (the word password, the
 * cursor in a literal or comment) get no model candidates.  Errors are said
 * once on stderr and otherwise ignored.  In a process that never calls
 * readline() (psql -c, wrappers) the library does nothing.
 *
 * Settings (environment): SQLPILOT_PSQL_MODE (client or server),
 * SQLPILOT_MODEL, SQLPILOT_PSQL_TIMEOUT_MS (default 300), SQLPILOT_PSQL_N
 * (completions asked for, default 5), SQLPILOT_PSQL_REFRESH_S (default 60).
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <readline/readline.h>

#include "candidates.h"
#include "pq.h"
#include "session.h"
#include "sql_lex.h"

/* The functions psql calls that this library interposes: the only symbols it exports. */
#define HOOK_EXPORT __attribute__((visibility("default")))

#define HOOK_DEFAULT_TIMEOUT_MS 300
#define HOOK_MIN_TIMEOUT_MS 10
#define HOOK_MAX_TIMEOUT_MS 60000
#define HOOK_DEFAULT_N 5
#define HOOK_MAX_N 16
#define HOOK_DEFAULT_REFRESH_S 60
#define HOOK_MAX_REFRESH_S 86400
#define HOOK_MODEL_FILE "sqlpilot_default.model"
#define HOOK_MAX_CONNS 16
#define HOOK_SAVEPOINT "sqlpilot_psql"
#define HOOK_RELEASE "ROLLBACK TO SAVEPOINT " HOOK_SAVEPOINT "; RELEASE SAVEPOINT " HOOK_SAVEPOINT
#define HOOK_TEXTOID 25			/* pg_type OIDs of the completion query's parameters */
#define HOOK_INT4OID 23

/*
 * Where the extension is: its schema, quoted.  Every name and operator is
 * pg_catalog's whatever the session's search_path.
 */
#define HOOK_EXT_QUERY \
	"SELECT pg_catalog.quote_ident(n.nspname)" \
	" FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n" \
	" ON n.oid OPERATOR(pg_catalog.=) e.extnamespace" \
	" WHERE e.extname OPERATOR(pg_catalog.=) 'sqlpilot'::pg_catalog.name"

typedef PGconn *(*ConnectParamsFn) (const char *const *, const char *const *, int);
typedef PGconn *(*ConnectFn) (const char *);
typedef PGconn *(*SetdbLoginFn) (const char *, const char *, const char *,
								 const char *, const char *, const char *,
								 const char *);
typedef void (*FinishFn) (PGconn *);	/* PQfinish, PQreset */
typedef char *(*ReadlineFn) (const char *);
typedef PGresult *(*ExecFn) (PGconn *, const char *);
typedef int (*SendQueryFn) (PGconn *, const char *);
typedef int (*RlInitializeFn) (void);

/* A growable byte buffer (always NUL-terminated when data != NULL). */
typedef struct HookBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} HookBuf;

/* One of the model's candidates: text to append to the statement, and its kind. */
typedef struct HookItem
{
	char	   *text;			/* malloc'd */
	SqlpilotCandidateKind kind;
} HookItem;

/* Where the statement being typed starts, as found by ScanStatement(). */
typedef struct StmtScan
{
	size_t		start;			/* offset of the unfinished statement */
	long		backslash;		/* offset of a backslash command, or -1 */
	bool		resets;			/* that command sends or clears the buffer */
	bool		open;			/* the text ends inside a string literal or a comment */
} StmtScan;

/* Whether a connection's database has the sqlpilot extension. */
typedef enum ExtState
{
	EXT_UNKNOWN,				/* not asked yet (or to be asked again) */
	EXT_ABSENT,
	EXT_PRESENT
} ExtState;

/* One of psql's connections and what the hook knows about it. */
typedef struct HookConn
{
	PGconn	   *conn;
	ExtState	ext;
	char	   *call;			/* EXT_PRESENT: the schema-qualified completion query */
	bool		busy;			/* a query of ours was given up and has not ended yet */
	bool		release;		/* when it ends, our savepoint must be rolled back to and released */
} HookConn;

/* psql's connections, oldest first; the newest healthy one is used. */
static HookConn hook_conns[HOOK_MAX_CONNS];
static int	hook_nconns = 0;

/* psql's completion function, which ours calls first. */
static rl_completion_func_t *psql_completion = NULL;
static bool hook_defun_done = false;

/* Earlier lines of the statement being typed, each ending with '\n'. */
static HookBuf hook_stmt;
/* True while inside the real readline(); still true on entry means psql longjmp'd out (Ctrl-C). */
static bool hook_in_readline = false;

/* The last answer, reused when TAB is pressed again on the same prefix of one line. */
static PGconn *cache_conn = NULL;
static char *cache_prefix = NULL;
static HookItem *cache_items = NULL;
static int	cache_n = 0;

static char *hook_last_said = NULL;
static int	hook_timeout_ms = HOOK_DEFAULT_TIMEOUT_MS;
static int	hook_n = HOOK_DEFAULT_N;
static int	hook_refresh_ms = HOOK_DEFAULT_REFRESH_S * 1000;

/* Where the completions come from: the model in this process, or the extension. */
typedef enum HookMode
{
	MODE_CLIENT,
	MODE_SERVER
} HookMode;

static HookMode hook_mode = MODE_CLIENT;

/* Client mode: the model and the cached schema, and the model file they came from. */
static SqlpilotClient hook_client;
static char *hook_model_set = NULL;	/* \set SQLPILOT_MODEL, malloc'd */
static char *hook_model_tried = NULL;	/* the path last loaded (or failed), malloc'd */

/* Looks up the next definition of a symbol we interpose (libpq's or readline's). */
static void *
RealSymbol(const char *name)
{
	void	   *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
	{
		fprintf(stderr, "sqlpilot-psql: cannot find %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

/* Says msg on stderr unless it is what was said last (errors repeat on every TAB). */
static void
HookSay(const char *fmt,...)
{
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hook_last_said != NULL && strcmp(hook_last_said, msg) == 0)
		return;
	free(hook_last_said);
	hook_last_said = strdup(msg);
	fprintf(stderr, "\nsqlpilot-psql: %s\n", msg);
	/* readline must redraw the prompt below the message */
	rl_on_new_line();
}

/* Appends n bytes to b; false when out of memory. */
static bool
BufAppend(HookBuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;
		char	   *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p == NULL)
			return false;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

/* Keeps only bytes [from, to) of b. */
static void
BufKeep(HookBuf *b, size_t from, size_t to)
{
	if (b->data == NULL)
		return;
	memmove(b->data, b->data + from, to - from);
	b->len = to - from;
	b->data[b->len] = '\0';
}

/* True for characters that can continue an SQL identifier. */
static bool
IsIdentChar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || (unsigned char) c >= 0x80;
}

/* Length of a dollar-quote tag ("$$" or "$tag$") at s[i], or 0. */
static size_t
DollarTag(const char *s, size_t len, size_t i)
{
	size_t		j = i + 1;

	if (i > 0 && IsIdentChar(s[i - 1]))
		return 0;
	if (j < len && s[j] >= '0' && s[j] <= '9')
		return 0;
	while (j < len && IsIdentChar(s[j]) && s[j] != '$')
		j++;
	return (j < len && s[j] == '$') ? j - i + 1 : 0;
}

/* True when the backslash command at s[i] sends or clears the query buffer (\g…, \r, \reset, \watch). */
static bool
BackslashResets(const char *s, size_t len, size_t i)
{
	size_t		j = i + 1;
	size_t		n;

	while (j < len && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
		j++;
	n = j - i - 1;
	if (n >= 1 && s[i + 1] == 'g')
		return true;
	return (n == 1 && s[i + 1] == 'r') ||
		(n == 5 && strncmp(s + i + 1, "reset", 5) == 0) ||
		(n == 5 && strncmp(s + i + 1, "watch", 5) == 0);
}

/*
 * Finds where the unfinished statement in s starts, the way psql splits its
 * input: after the last ';' outside quotes, comments and parentheses.  Stops
 * at the first backslash command outside quotes (the rest of its line is its
 * arguments).
 */
static StmtScan
ScanStatement(const char *s, size_t len)
{
	StmtScan	r = {0, -1, false, false};
	int			depth = 0;
	size_t		i = 0;

	while (i < len)
	{
		char		c = s[i];

		if (c == '-' && i + 1 < len && s[i + 1] == '-')
		{
			while (i < len && s[i] != '\n')
				i++;
			r.open = i >= len;
		}
		else if (c == '/' && i + 1 < len && s[i + 1] == '*')
		{
			int			nest = 1;

			i += 2;
			while (i < len && nest > 0)
			{
				if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
				{
					nest++;
					i++;
				}
				else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/')
				{
					nest--;
					i++;
				}
				i++;
			}
			r.open = nest > 0;
		}
		else if (c == '\'' || c == '"')
		{
			bool		escapes = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
				(i < 2 || !IsIdentChar(s[i - 2]));

			i++;
			while (i < len)
			{
				if (escapes && s[i] == '\\')
					i++;
				else if (s[i] == c && i + 1 < len && s[i + 1] == c)
					i++;
				else if (s[i] == c)
					break;
				i++;
			}
			r.open = c == '\'' && i >= len;
			i++;
		}
		else if (c == '$' && DollarTag(s, len, i) > 0)
		{
			size_t		tag = DollarTag(s, len, i);
			const char *end = NULL;

			if (i + tag <= len)
				end = memmem(s + i + tag, len - i - tag, s + i, tag);
			r.open = end == NULL;
			i = end ? (size_t) (end - s) + tag : len;
		}
		else if (c == '\\' && i + 1 < len && s[i + 1] == ';')
			i += 2;
		else if (c == '\\')
		{
			r.backslash = (long) i;
			r.resets = BackslashResets(s, len, i);
			return r;
		}
		else
		{
			if (c == '(')
				depth++;
			else if (c == ')' && depth > 0)
				depth--;
			else if (c == ';' && depth == 0)
				r.start = i + 1;
			i++;
		}
	}
	return r;
}

/* Forgets the statement being typed. */
static void
StmtReset(void)
{
	BufKeep(&hook_stmt, 0, 0);
}

/* Adds a line psql read to the statement being typed, dropping finished statements. */
static void
StmtTrackLine(const char *line)
{
	StmtScan	sc;
	size_t		end;

	if (!BufAppend(&hook_stmt, line, strlen(line)))
	{
		StmtReset();
		return;
	}
	sc = ScanStatement(hook_stmt.data, hook_stmt.len);
	end = sc.backslash >= 0 ? (size_t) sc.backslash : hook_stmt.len;
	if (sc.backslash >= 0 && sc.resets)
		end = sc.start;
	while (sc.start < end && (hook_stmt.data[sc.start] == ' ' || hook_stmt.data[sc.start] == '\t' ||
							  hook_stmt.data[sc.start] == '\n'))
		sc.start++;
	BufKeep(&hook_stmt, sc.start, end);
	if (hook_stmt.len > 0 && !BufAppend(&hook_stmt, "\n", 1))
		StmtReset();
}

/*
 * The statement typed so far up to the cursor (earlier lines plus the
 * current line up to rl_point), malloc'd; NULL when there is nothing to
 * complete or it must not leave the terminal: the cursor is in a backslash
 * command, a string literal or a comment, or the statement holds the word
 * "password" anywhere (a password clause, a connection string).
 */
static char *
StmtPrefix(void)
{
	HookBuf		b = {NULL, 0, 0};
	StmtScan	sc;
	size_t		point = rl_point > 0 ? (size_t) rl_point : 0;
	const char *start;
	char	   *out;

	if (rl_line_buffer == NULL || point > strlen(rl_line_buffer))
		return NULL;
	if (!BufAppend(&b, hook_stmt.data ? hook_stmt.data : "", hook_stmt.len) ||
		!BufAppend(&b, rl_line_buffer, point))
	{
		free(b.data);
		return NULL;
	}
	sc = ScanStatement(b.data, b.len);
	start = b.data + sc.start;
	while (*start == ' ' || *start == '\t' || *start == '\n')
		start++;
	out = (sc.backslash >= 0 || sc.open || *start == '\0' || strcasestr(start, "password") != NULL) ?
		NULL : strdup(start);
	free(b.data);
	return out;
}

/* The newest of psql's connections that is healthy, or NULL. */
static HookConn *
CurrentConn(void)
{
	for (int i = hook_nconns - 1; i >= 0; i--)
		if (PQstatus(hook_conns[i].conn) == CONNECTION_OK)
			return &hook_conns[i];
	return NULL;
}

/* Forgets whether hc's database has the extension, so the next TAB asks again. */
static void
ExtForget(HookConn *hc)
{
	free(hc->call);
	hc->call = NULL;
	hc->ext = EXT_UNKNOWN;
}

/* Remembers a connection psql opened. */
static void
RememberConn(PGconn *conn)
{
	if (conn == NULL)
		return;
	if (hook_nconns == HOOK_MAX_CONNS)
	{
		ExtForget(&hook_conns[0]);
		memmove(hook_conns, hook_conns + 1, (HOOK_MAX_CONNS - 1) * sizeof(HookConn));
		hook_nconns--;
	}
	hook_conns[hook_nconns].conn = conn;
	hook_conns[hook_nconns].ext = EXT_UNKNOWN;
	hook_conns[hook_nconns].call = NULL;
	hook_conns[hook_nconns].busy = false;
	hook_conns[hook_nconns].release = false;
	hook_nconns++;
}

/* Frees n items and their array. */
static void
ItemsFree(HookItem *items, int n)
{
	for (int i = 0; i < n; i++)
		free(items[i].text);
	free(items);
}

/* Frees the cached answer. */
static void
CacheClear(void)
{
	ItemsFree(cache_items, cache_n);
	free(cache_prefix);
	cache_items = NULL;
	cache_prefix = NULL;
	cache_n = 0;
	cache_conn = NULL;
}

/* Forgets a connection psql closed. */
static void
ForgetConn(PGconn *conn)
{
	int			j = 0;

	for (int i = 0; i < hook_nconns; i++)
	{
		if (hook_conns[i].conn != conn)
			hook_conns[j++] = hook_conns[i];
		else
			ExtForget(&hook_conns[i]);
	}
	hook_nconns = j;
	if (cache_conn == conn)
		CacheClear();
}

/* Notice receiver that drops notices (ours must not reach the user's terminal). */
static void
QuietReceiver(void *arg, const PGresult *res)
{
}

/*
 * Sends sql (with its parameters, if any) on hc's connection and reads it
 * within deadline_ms.  Past it, a query we may cancel is cancelled and given
 * one more budget; a query still running then (or a savepoint command, never
 * cancelled, past its deadline) is given up: hc->busy, and it is read later
 * by SettleConn() before anything else is sent.  Returns the first result
 * for the caller to PQclear, or NULL.
 */
static PGresult *
RunQuery(HookConn *hc, const char *sql, int nparams, const Oid *types,
		 const char *const *values, double deadline_ms, bool cancel, bool *timed_out)
{
	PGresult   *first = NULL;
	int			n = 0;

	if (!(nparams > 0 ? PQsendQueryParams(hc->conn, sql, nparams, types, values, NULL, NULL, 0) :
		  PQsendQuery(hc->conn, sql)))
		return NULL;
	if (sqlpilot_pq_read(hc->conn, deadline_ms, NULL, &first, 1, &n))
		return first;
	*timed_out = true;
	if (cancel)
	{
		sqlpilot_pq_cancel(hc->conn);
		if (sqlpilot_pq_read(hc->conn, sqlpilot_pq_now_ms() + hook_timeout_ms, NULL, &first, 1, &n))
			return first;
	}
	hc->busy = true;
	return first;
}

/* Runs a savepoint command within one budget (never cancelled); false on any error or when given up. */
static bool
RunCommand(HookConn *hc, const char *sql)
{
	bool		timed_out = false;
	PGresult   *res = RunQuery(hc, sql, 0, NULL, NULL, sqlpilot_pq_now_ms() + hook_timeout_ms, false, &timed_out);
	bool		ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK && !timed_out;

	PQclear(res);
	return ok;
}

/*
 * Finishes what a given-up query left on hc's connection: reads its results,
 * then rolls back to and releases its savepoint.  Waits until deadline_ms (0:
 * as long as the server takes, Ctrl-C let in only while sleeping); true when
 * the connection is ours or psql's again.
 */
static bool
SettleConn(HookConn *hc, double deadline_ms)
{
	sigset_t	intr;
	sigset_t	old;
	bool		done = true;

	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	sigprocmask(SIG_BLOCK, &intr, &old);
	while (hc->busy && done)
	{
		int			n = 0;

		done = sqlpilot_pq_read(hc->conn, deadline_ms, deadline_ms > 0 ? NULL : &old, NULL, 0, &n);
		if (done)
			hc->busy = false;
		if (done && hc->release)
		{
			hc->release = false;
			hc->busy = PQsendQuery(hc->conn, HOOK_RELEASE) == 1;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return done;
}

/* True when hc's connection is free for the hook: no given-up query of ours or cancel request still pending. */
static bool
ConnFree(HookConn *hc)
{
	return SettleConn(hc, sqlpilot_pq_now_ms()) && sqlpilot_pq_cancels_running() == 0;
}

/*
 * Learns whether hc's database has the sqlpilot extension and, if so, the
 * query that calls its sqlpilot_completions() by schema-qualified name.
 * False, with why set, when the question itself got no answer.
 */
static bool
ExtLookup(HookConn *hc, double deadline_ms, bool *timed_out, char *why, size_t whylen)
{
	PGresult   *res = RunQuery(hc, HOOK_EXT_QUERY, 0, NULL, NULL, deadline_ms, true, timed_out);
	bool		ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && !*timed_out;

	if (!ok && *timed_out)
		snprintf(why, whylen, "the server did not answer within %d ms", hook_timeout_ms);
	else if (!ok)
		snprintf(why, whylen, "could not look for the sqlpilot extension: %s",
				 res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(hc->conn));
	else if (PQntuples(res) == 0)
		hc->ext = EXT_ABSENT;
	else if (asprintf(&hc->call,
					  "SELECT completion, kind FROM %s.sqlpilot_completions($1, $2) WHERE valid IS NOT FALSE",
					  PQgetvalue(res, 0, 0)) < 0)
	{
		hc->call = NULL;
		snprintf(why, whylen, "out of memory");
		ok = false;
	}
	else
		hc->ext = EXT_PRESENT;
	PQclear(res);
	return ok;
}

/*
 * Asks the server for completions of prefix: sets *items to a malloc'd array
 * of *n items in the order sqlpilot_completions() gives them (words,
 * clauses, then the best statement).  Returns false, having said why when
 * worth saying, when no answer could be had.  Sends nothing unless the
 * connection is idle or in an open (not failed) transaction block, and calls
 * sqlpilot_completions() only where the extension is installed.
 */
static bool
QueryCompletions(HookConn *hc, const char *prefix, HookItem **items, int *n)
{
	PGconn	   *conn = hc->conn;
	PGTransactionStatusType ts = PQtransactionStatus(conn);
	PQnoticeReceiver old_receiver;
	bool		savepoint = ts == PQTRANS_INTRANS;
	bool		timed_out = false;
	bool		ok = true;
	double		deadline = sqlpilot_pq_now_ms() + hook_timeout_ms;
	char		nbuf[16];
	const char *values[2];
	const Oid	types[2] = {HOOK_TEXTOID, HOOK_INT4OID};
	PGresult   *res;
	char		why[256] = "";

	*items = NULL;
	*n = 0;
	if (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS)
		return false;
	if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF || PQisBusy(conn))
		return false;
	old_receiver = PQsetNoticeReceiver(conn, QuietReceiver, NULL);
	if (savepoint && !RunCommand(hc, "SAVEPOINT " HOOK_SAVEPOINT))
	{
		/* given up: its savepoint is released once it ends; else cannot happen in a healthy transaction */
		hc->release = hc->busy;
		PQsetNoticeReceiver(conn, old_receiver, NULL);
		HookSay(hc->busy ? "the server did not answer; psql's own completion is used" :
				"could not set a savepoint; psql's own completion is used");
		return false;
	}

	if (hc->ext == EXT_UNKNOWN && !ExtLookup(hc, deadline, &timed_out, why, sizeof(why)))
		ok = false;
	else if (hc->ext == EXT_ABSENT)
	{
		snprintf(why, sizeof(why), "the sqlpilot extension is not installed in database \"%s\"",
				 PQdb(conn));
		ok = false;
	}
	else
	{
		snprintf(nbuf, sizeof(nbuf), "%d", hook_n);
		values[0] = prefix;
		values[1] = nbuf;
		res = RunQuery(hc, hc->call, 2, types, values, deadline, true, &timed_out);
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && !timed_out)
		{
			int			rows = PQntuples(res);

			*items = calloc(rows > 0 ? rows : 1, sizeof(HookItem));
			for (int i = 0; *items != NULL && i < rows; i++)
			{
				const char *kind = PQgetvalue(res, i, 1);

				if (PQgetisnull(res, i, 0) || ((*items)[*n].text = strdup(PQgetvalue(res, i, 0))) == NULL)
					continue;
				(*items)[(*n)++].kind = strcmp(kind, "word") == 0 ? SQLPILOT_CAND_WORD :
					strcmp(kind, "clause") == 0 ? SQLPILOT_CAND_CLAUSE : SQLPILOT_CAND_STATEMENT;
			}
		}
		else
		{
			const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

			ok = false;
			if (timed_out)
				snprintf(why, sizeof(why), "completion took longer than %d ms and was cancelled",
						 hook_timeout_ms);
			else if (res == NULL)
				snprintf(why, sizeof(why), "completion query failed: %s", PQerrorMessage(conn));
			else
			{
				snprintf(why, sizeof(why), "sqlpilot_completions() failed: %s",
						 msg ? msg : PQresultErrorMessage(res));
				/* the extension may have been dropped or moved: look again next time */
				ExtForget(hc);
			}
		}
		PQclear(res);
	}
	if (hc->busy)
	{
		snprintf(why, sizeof(why), "the server did not answer within %d ms, nor %d ms after a cancel",
				 hook_timeout_ms, hook_timeout_ms);
		ok = false;
		hc->release = savepoint;
	}
	else if (savepoint && !RunCommand(hc, HOOK_RELEASE))
	{
		snprintf(why, sizeof(why), "could not release the savepoint");
		hc->release = false;
	}
	PQsetNoticeReceiver(conn, old_receiver, NULL);
	if (!ok)
	{
		ItemsFree(*items, *n);
		*items = NULL;
		*n = 0;
	}
	if (why[0] != '\0')
		HookSay("%s; psql's own completion is used", why);
	return ok;
}

/*
 * The model file: \set SQLPILOT_MODEL, $SQLPILOT_MODEL, sqlpilot_default.model
 * beside this library, else the extension's default model under the same
 * prefix as the library (a staged DESTDIR install included).  Malloc'd.
 */
static char *
ModelPath(void)
{
	const char *env = getenv("SQLPILOT_MODEL");
	Dl_info		self;
	char	   *dir;
	char	   *slash;
	char	   *path = NULL;
	size_t		dl;
	size_t		pl = strlen(SQLPILOT_PKGLIBDIR);

	if (hook_model_set != NULL)
		return strdup(hook_model_set);
	if (env != NULL && env[0] != '\0')
		return strdup(env);
	if (!dladdr((void *) ModelPath, &self) || self.dli_fname == NULL ||
		(dir = strdup(self.dli_fname)) == NULL)
		return strdup(SQLPILOT_SHAREDIR "/extension/" HOOK_MODEL_FILE);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (asprintf(&path, "%s/%s", dir, HOOK_MODEL_FILE) >= 0 && access(path, R_OK) != 0)
	{
		free(path);
		path = NULL;
		dl = strlen(dir);
		/* <prefix>$pkglibdir/sqlpilot_psql.so: the model is <prefix>$sharedir/extension/... */
		if (dl >= pl && strcmp(dir + dl - pl, SQLPILOT_PKGLIBDIR) == 0)
			dir[dl - pl] = '\0';
		else
			dir[0] = '\0';
		if (asprintf(&path, "%s%s/extension/%s", dir, SQLPILOT_SHAREDIR, HOOK_MODEL_FILE) < 0)
			path = NULL;
	}
	free(dir);
	return path;
}

/*
 * Whether the model is loaded, loading it when its path changed (the first
 * TAB, or \set SQLPILOT_MODEL).  A missing or bad file is said once per path.
 */
static bool
ClientModelReady(void)
{
	char	   *path = ModelPath();
	char		err[512];

	if (path == NULL)
		return false;
	if (hook_model_tried != NULL && strcmp(hook_model_tried, path) == 0)
	{
		free(path);
		return hook_client.model_ok;
	}
	sqlpilot_client_close(&hook_client);
	free(hook_model_tried);
	hook_model_tried = path;
	if (sqlpilot_client_open(&hook_client, path, err, sizeof(err)) != 0)
	{
		HookSay("the model is not used: %s (set SQLPILOT_MODEL or \\set SQLPILOT_MODEL); TAB is psql's own", err);
		return false;
	}
	return true;
}

/*
 * Completions from the model in this process: reads the schema first when
 * the cache needs it and the session is idle (within the budget; a read
 * given up leaves hc busy), then completes with the schema cached, and makes
 * the completions into the candidates sqlpilot_completions() would list
 * (core/candidates.h: next words, next clauses, the best statement).
 * Nothing of prefix is sent.  False when the model is not usable.
 */
static bool
ClientCompletions(HookConn *hc, const char *prefix, HookItem **items, int *n)
{
	SqlpilotCompletion out[HOOK_MAX_N];
	SqlpilotCandidate cands[2 * HOOK_MAX_N + 1];
	const char *texts[HOOK_MAX_N];
	double		scores[HOOK_MAX_N];
	char		why[512];
	int			got,
				nc;

	*items = NULL;
	*n = 0;
	if (!ClientModelReady())
		return false;
	switch (sqlpilot_client_refresh(&hook_client, hc->conn, hook_refresh_ms, hook_timeout_ms,
									sqlpilot_pq_now_ms() + hook_timeout_ms, why, sizeof(why)))
	{
		case SQLPILOT_READ_GIVEN_UP:
			hc->busy = true;
			HookSay("reading the schema: %s; the cached schema is used", why);
			break;
		case SQLPILOT_READ_FAILED:
			HookSay("could not read the schema: %s; the cached schema is used", why);
			break;
		default:
			break;
	}
	got = sqlpilot_client_complete(&hook_client, prefix, hook_n, out, why, sizeof(why));
	if (got < 0)
	{
		HookSay("%s; psql's own completion is used", why);
		return false;
	}
	for (int i = 0; i < got; i++)
	{
		texts[i] = out[i].text;
		scores[i] = out[i].score;
	}
	nc = sqlpilot_candidates_build(texts, scores, got, prefix, strlen(prefix), cands,
								   2 * hook_n + 1);
	sqlpilot_completion_free(out, got);
	if (nc < 0)
		return false;
	*items = calloc(nc > 0 ? nc : 1, sizeof(HookItem));
	for (int i = 0; *items != NULL && i < nc; i++)
	{
		(*items)[i].text = cands[i].text;
		(*items)[i].kind = cands[i].kind;
		cands[i].text = NULL;
	}
	*n = *items != NULL ? nc : 0;
	sqlpilot_candidates_free(cands, nc);
	return *items != NULL;
}

/*
 * While psql waits at its prompt (client mode): loads the model, reads the
 * schema when the cache needs it and the session is idle, and runs the
 * schema through the model, so that TAB finds them ready.  Sends only the
 * catalog queries; nothing typed exists yet.
 */
static void
ClientPrepare(void)
{
	HookConn   *hc = CurrentConn();
	char		why[512];

	if (hook_mode != MODE_CLIENT || hc == NULL || !ConnFree(hc) || !ClientModelReady())
		return;
	switch (sqlpilot_client_refresh(&hook_client, hc->conn, hook_refresh_ms, hook_timeout_ms,
									sqlpilot_pq_now_ms() + hook_timeout_ms, why, sizeof(why)))
	{
		case SQLPILOT_READ_GIVEN_UP:
			hc->busy = true;
			HookSay("reading the schema: %s; the cached schema is used", why);
			return;
		case SQLPILOT_READ_FAILED:
			HookSay("could not read the schema: %s; the cached schema is used", why);
			return;
		default:
			break;
	}
	if (sqlpilot_client_warm(&hook_client, hook_n, why, sizeof(why)) != 0)
		HookSay("%s", why);
}

/* State of StmtMayChangeSchema's scan: the words of the current statement. */
typedef struct DdlScan
{
	const char *text;
	int			words;			/* identifiers seen in this statement */
	bool		set;			/* its first word is SET or RESET */
	bool		found;
} DdlScan;

/* Lexer callback: notes statements that start with a word that may change what the schema shows. */
static void
DdlToken(void *arg, const SqlpilotLexToken *t)
{
	static const char *const starts[] = {"create", "alter", "drop", "grant", "revoke", "comment",
	"import", "reassign", "security", "do", "call", NULL};
	DdlScan    *d = arg;
	char		word[32];

	if (t->kind == SQLPILOT_TOK_PUNCT && d->text[t->start] == ';')
	{
		d->words = 0;
		d->set = false;
		return;
	}
	if (t->kind != SQLPILOT_TOK_IDENT || d->words++ >= 3)
		return;
	sqlpilot_lex_ident_value(d->text, t, word, sizeof(word));
	for (int i = 0; d->words == 1 && starts[i] != NULL; i++)
		d->found = d->found || strcmp(word, starts[i]) == 0;
	if (d->words == 1)
		d->set = strcmp(word, "set") == 0 || strcmp(word, "reset") == 0;
	/* SET ROLE, SET search_path, SET SESSION AUTHORIZATION change what the role sees */
	else if (d->set)
		d->found = d->found || strcmp(word, "role") == 0 || strcmp(word, "search_path") == 0 ||
			strcmp(word, "authorization") == 0;
}

/*
 * Whether a query psql sends may change the tables the role sees: DDL,
 * GRANT/REVOKE, DO/CALL, or SET ROLE / search_path / SESSION AUTHORIZATION.
 */
static bool
StmtMayChangeSchema(const char *query)
{
	DdlScan		d = {query, 0, false, false};
	SqlpilotLex lx;

	if (query == NULL)
		return false;
	sqlpilot_lex_init(&lx, 0, DdlToken, &d);
	sqlpilot_lex_feed(&lx, query, strlen(query));
	sqlpilot_lex_finish(&lx);
	return d.found;
}

/* Notes a query psql sends: after DDL the schema is read again. */
static void
WatchQuery(const char *query)
{
	if (hook_client.model_ok && StmtMayChangeSchema(query))
		hook_client.stale = true;
}

/*
 * Follows \set / \unset SQLPILOT_MODEL and SQLPILOT_MODE typed at the prompt
 * (psql keeps its variables to itself; a psqlrc's are not seen).
 */
static void
WatchSetting(const char *line)
{
	char		cmd[8];
	char		name[32];
	char		value[4096] = "";
	size_t		len;

	if (sscanf(line, " \\%7s %31s %4095[^\n]", cmd, name, value) < 2 ||
		(strcmp(cmd, "set") != 0 && strcmp(cmd, "unset") != 0))
		return;
	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		value[--len] = '\0';
	if (len >= 2 && value[0] == '\'' && value[len - 1] == '\'')
	{
		memmove(value, value + 1, len - 2);
		value[len - 2] = '\0';
	}
	if (strcmp(name, "SQLPILOT_MODEL") == 0)
	{
		free(hook_model_set);
		hook_model_set = strcmp(cmd, "set") == 0 && value[0] != '\0' ? strdup(value) : NULL;
	}
	else if (strcmp(name, "SQLPILOT_MODE") == 0)
		hook_mode = strcmp(cmd, "set") == 0 && strcmp(value, "server") == 0 ?
			MODE_SERVER : MODE_CLIENT;
}

/*
 * The model's completions for the statement typed so far, from this process
 * or the server (cached per prefix and connection); false when there are
 * none to offer.
 */
static bool
ModelCompletions(HookItem **items, int *n)
{
	HookConn   *hc = CurrentConn();
	char	   *prefix;

	if (hc == NULL || !ConnFree(hc) || (prefix = StmtPrefix()) == NULL)
		return false;
	if (cache_prefix == NULL || cache_conn != hc->conn || strcmp(cache_prefix, prefix) != 0)
	{
		HookItem   *got;
		int			ngot;

		if (!(hook_mode == MODE_CLIENT ? ClientCompletions(hc, prefix, &got, &ngot) :
			  QueryCompletions(hc, prefix, &got, &ngot)))
		{
			free(prefix);
			return false;
		}
		CacheClear();
		cache_conn = hc->conn;
		cache_prefix = prefix;
		cache_items = got;
		cache_n = ngot;
	}
	else
		free(prefix);
	*items = cache_items;
	*n = cache_n;
	return cache_n > 0;
}

/* A malloc'd copy of the completion text c, on one line, without trailing blanks. */
static char *
CleanCompletion(const char *c, bool strip_leading)
{
	char	   *s;
	size_t		len;

	while (strip_leading && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r'))
		c++;
	s = strdup(c);
	if (s == NULL)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	return s;
}

/* Adds a malloc'd candidate to list unless it is already there (takes ownership). */
static void
AddCandidate(char ***list, int *n, int *cap, char *cand)
{
	if (cand == NULL)
		return;
	for (int i = 0; i < *n; i++)
		if (strcmp((*list)[i], cand) == 0)
		{
			free(cand);
			return;
		}
	if (*n == *cap)
	{
		int			newcap = *cap ? *cap * 2 : 16;
		char	  **p = realloc(*list, newcap * sizeof(char *));

		if (p == NULL)
		{
			free(cand);
			return;
		}
		*list = p;
		*cap = newcap;
	}
	(*list)[(*n)++] = cand;
}

/* text followed by the first n bytes of c, malloc'd. */
static char *
Concat(const char *text, const char *c, size_t n)
{
	size_t		tl = strlen(text);
	char	   *s = malloc(tl + n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, text, tl);
	memcpy(s + tl, c, n);
	s[tl + n] = '\0';
	return s;
}

/*
 * readline's attempted-completion function: psql's candidates first, then
 * the model's in their order: the short ones (next words, next clauses),
 * then the best whole statement.  Every candidate starts with text, as
 * readline expects.
 */
static char **
HookCompletion(const char *text, int start, int end)
{
	HookConn   *hc = CurrentConn();
	char	  **psql;
	HookItem   *items;
	int			nitems;
	char	  **list = NULL;
	int			n = 0;
	int			cap = 0;
	int			from_psql = 0;
	char	  **out;
	size_t		lcd;

	/* psql's completion queries the connection too, and would wait for our given-up query */
	if (hc != NULL && !SettleConn(hc, sqlpilot_pq_now_ms()))
	{
		HookSay("the server has not answered an earlier query; TAB offers nothing until it does");
		rl_attempted_completion_over = 1;
		return NULL;
	}
	psql = psql_completion ? psql_completion(text, start, end) : NULL;
	if (!ModelCompletions(&items, &nitems))
		return psql;

	/* psql's: {lcd, m1, m2, ..., NULL}, or {m, NULL}, or {"", NULL} for none */
	if (psql != NULL && psql[0] != NULL && psql[1] == NULL && psql[0][0] != '\0')
		AddCandidate(&list, &n, &cap, strdup(psql[0]));
	for (int i = 1; psql != NULL && psql[0] != NULL && psql[i] != NULL; i++)
		AddCandidate(&list, &n, &cap, strdup(psql[i]));
	from_psql = n;
	for (int i = 0; i < nitems; i++)
	{
		char	   *c = CleanCompletion(items[i].text, text[0] == '\0');

		if (c != NULL && c[0] != '\0')
			AddCandidate(&list, &n, &cap, Concat(text, c, strlen(c)));
		free(c);
	}
	if (n == from_psql)
	{
		for (int i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return psql;
	}

	out = malloc((n + 2) * sizeof(char *));
	if (out == NULL)
	{
		for (int i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return psql;
	}
	for (int i = 0; psql != NULL && psql[i] != NULL; i++)
		free(psql[i]);
	free(psql);
	if (n == 1)
	{
		out[0] = list[0];
		out[1] = NULL;
		/* a whole clause is complete as it is; a word gets psql's usual space */
		rl_completion_append_character = strchr(list[0], ' ') ? '\0' : ' ';
		free(list);
		return out;
	}
	lcd = strlen(list[0]);
	for (int i = 1; i < n; i++)
	{
		size_t		k = 0;

		while (k < lcd && list[i][k] == list[0][k])
			k++;
		lcd = k;
	}
	/* never shorten what the user typed (psql may change the case of keywords) */
	out[0] = lcd >= strlen(text) ? Concat("", list[0], lcd) : strdup(text);
	for (int i = 0; i < n; i++)
		out[i + 1] = list[i];
	out[n + 1] = NULL;
	free(list);
	return out;
}

/*
 * The "sqlpilot-complete" readline command: inserts the model's best
 * completion (its whole statement; the last candidate when there is none)
 * at the cursor.
 */
static int
HookCompleteCommand(int count, int key)
{
	HookItem   *items;
	int			nitems;
	int			best;
	char	   *c;
	bool		after_blank;

	if (!ModelCompletions(&items, &nitems))
	{
		rl_ding();
		return 0;
	}
	after_blank = rl_point == 0 || rl_line_buffer[rl_point - 1] == ' ' ||
		rl_line_buffer[rl_point - 1] == '\t';
	for (best = 0; best < nitems - 1 && items[best].kind != SQLPILOT_CAND_STATEMENT; best++)
		;
	c = CleanCompletion(items[best].text, after_blank);
	if (c == NULL || c[0] == '\0')
		rl_ding();
	else
		rl_insert_text(c);
	free(c);
	return 0;
}

/*
 * Removes this library from LD_PRELOAD, so the programs psql starts (pager,
 * editor, \!) run without it.  Done on psql's first readline call rather
 * than at load, so wrappers that exec psql (valgrind, env) still pass it on.
 */
static void
ForgetPreload(void)
{
	const char *preload = getenv("LD_PRELOAD");
	Dl_info		self;
	HookBuf		keep = {NULL, 0, 0};
	const char *p;

	if (preload == NULL || !dladdr((void *) ForgetPreload, &self) || self.dli_fname == NULL)
		return;
	for (p = preload; *p;)
	{
		size_t		n = strcspn(p, ": ");

		if (n > 0 && !(n == strlen(self.dli_fname) && strncmp(p, self.dli_fname, n) == 0))
		{
			if (keep.len > 0)
				BufAppend(&keep, ":", 1);
			BufAppend(&keep, p, n);
		}
		p += n;
		if (*p)
			p++;
	}
	if (keep.len > 0)
		setenv("LD_PRELOAD", keep.data, 1);
	else
		unsetenv("LD_PRELOAD");
	free(keep.data);
}

/*
 * Chains our completion in front of psql's; the first time, also registers
 * our readline command and leaves LD_PRELOAD (idempotent).
 */
static void
HookInstall(void)
{
	if (!hook_defun_done)
	{
		rl_add_defun("sqlpilot-complete", HookCompleteCommand, -1);
		ForgetPreload();
		hook_defun_done = true;
	}
	if (rl_attempted_completion_function != HookCompletion)
	{
		psql_completion = rl_attempted_completion_function;
		rl_attempted_completion_function = HookCompletion;
	}
}

/* Interposed rl_initialize(): psql calls it (reading ~/.inputrc) before its first readline(). */
HOOK_EXPORT int
rl_initialize(void)
{
	static RlInitializeFn real = NULL;

	if (real == NULL)
		real = (RlInitializeFn) RealSymbol("rl_initialize");
	HookInstall();
	return real();
}

/*
 * Before psql acts on line: a query of ours given up on a TAB must have ended
 * (psql's next query would fail with "another command is already in
 * progress").  Waits as long as psql would for its own query; Ctrl-C gives
 * up (psql drops the line).  \q needs no answer.
 */
static void
SettleForPsql(const char *line)
{
	line += strspn(line, " \t");
	if (strncmp(line, "\\q", 2) == 0)
		return;
	for (int i = 0; i < hook_nconns; i++)
		if (hook_conns[i].busy)
		{
			fprintf(stderr, "sqlpilot-psql: waiting for the server to end an earlier completion query (Ctrl-C gives up)\n");
			SettleConn(&hook_conns[i], 0);
		}
}

/* Interposed readline(): keeps the lines of the statement being typed. */
HOOK_EXPORT char *
readline(const char *prompt)
{
	static ReadlineFn real = NULL;
	char	   *line;

	if (real == NULL)
		real = (ReadlineFn) RealSymbol("readline");
	HookInstall();
	if (hook_in_readline)
		StmtReset();			/* psql left the last call by longjmp: Ctrl-C cleared its buffer */
	ClientPrepare();
	hook_in_readline = true;
	line = real(prompt);
	hook_in_readline = false;
	CacheClear();				/* the cache only serves repeated TABs on one line */
	if (line == NULL)
		StmtReset();
	else
	{
		SettleForPsql(line);
		WatchSetting(line);
		StmtTrackLine(line);
		/* CREATE/DROP/ALTER EXTENSION: look for the extension again */
		if (strcasestr(line, "extension") != NULL)
			for (int i = 0; i < hook_nconns; i++)
				ExtForget(&hook_conns[i]);
	}
	return line;
}

/* Interposed PQconnectdbParams(): psql's way to connect. */
HOOK_EXPORT PGconn *
PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
	static ConnectParamsFn real = NULL;
	PGconn	   *conn;

	if (real == NULL)
		real = (ConnectParamsFn) RealSymbol("PQconnectdbParams");
	conn = real(keywords, values, expand_dbname);
	RememberConn(conn);
	return conn;
}

/* Interposed PQconnectStartParams() (newer psql versions connect asynchronously). */
HOOK_EXPORT PGconn *
PQconnectStartParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
	static ConnectParamsFn real = NULL;
	PGconn	   *conn;

	if (real == NULL)
		real = (ConnectParamsFn) RealSymbol("PQconnectStartParams");
	conn = real(keywords, values, expand_dbname);
	RememberConn(conn);
	return conn;
}

/* Interposed PQconnectdb(). */
HOOK_EXPORT PGconn *
PQconnectdb(const char *conninfo)
{
	static ConnectFn real = NULL;
	PGconn	   *conn;

	if (real == NULL)
		real = (ConnectFn) RealSymbol("PQconnectdb");
	conn = real(conninfo);
	RememberConn(conn);
	return conn;
}

/* Interposed PQsetdbLogin() (PQsetdb is a macro for it). */
HOOK_EXPORT PGconn *
PQsetdbLogin(const char *host, const char *port, const char *options, const char *tty,
			 const char *dbname, const char *login, const char *pwd)
{
	static SetdbLoginFn real = NULL;
	PGconn	   *conn;

	if (real == NULL)
		real = (SetdbLoginFn) RealSymbol("PQsetdbLogin");
	conn = real(host, port, options, tty, dbname, login, pwd);
	RememberConn(conn);
	return conn;
}

/* Interposed PQreset(): the same PGconn is a new session, which is looked at afresh. */
HOOK_EXPORT void
PQreset(PGconn *conn)
{
	static FinishFn real = NULL;

	if (real == NULL)
		real = (FinishFn) RealSymbol("PQreset");
	for (int i = 0; i < hook_nconns; i++)
		if (hook_conns[i].conn == conn)
		{
			ExtForget(&hook_conns[i]);
			hook_conns[i].busy = false;
			hook_conns[i].release = false;
		}
	if (cache_conn == conn)
		CacheClear();
	sqlpilot_client_forget(&hook_client, conn);
	real(conn);
}

/* Interposed PQexec(): psql's internal queries and \i; DDL among them makes the schema be read again. */
HOOK_EXPORT PGresult *
PQexec(PGconn *conn, const char *query)
{
	static ExecFn real = NULL;

	if (real == NULL)
		real = (ExecFn) RealSymbol("PQexec");
	WatchQuery(query);
	return real(conn, query);
}

/* Interposed PQsendQuery(): how psql sends what the user types. */
HOOK_EXPORT int
PQsendQuery(PGconn *conn, const char *query)
{
	static SendQueryFn real = NULL;

	if (real == NULL)
		real = (SendQueryFn) RealSymbol("PQsendQuery");
	WatchQuery(query);
	return real(conn, query);
}

/* Interposed PQfinish(): the connection must not be used any more. */
HOOK_EXPORT void
PQfinish(PGconn *conn)
{
	static FinishFn real = NULL;

	if (real == NULL)
		real = (FinishFn) RealSymbol("PQfinish");
	ForgetConn(conn);
	sqlpilot_client_forget(&hook_client, conn);
	real(conn);
}

/* Load-time setup: reads the settings from the environment. */
__attribute__((constructor))
static void
HookLoad(void)
{
	const char *v;

	if ((v = getenv("SQLPILOT_PSQL_TIMEOUT_MS")) != NULL && atoi(v) > 0)
		hook_timeout_ms = atoi(v) < HOOK_MIN_TIMEOUT_MS ? HOOK_MIN_TIMEOUT_MS :
			atoi(v) > HOOK_MAX_TIMEOUT_MS ? HOOK_MAX_TIMEOUT_MS : atoi(v);
	if ((v = getenv("SQLPILOT_PSQL_N")) != NULL && atoi(v) > 0)
		hook_n = atoi(v) > HOOK_MAX_N ? HOOK_MAX_N : atoi(v);
	if ((v = getenv("SQLPILOT_PSQL_REFRESH_S")) != NULL && atoi(v) >= 0)
		hook_refresh_ms = (atoi(v) > HOOK_MAX_REFRESH_S ? HOOK_MAX_REFRESH_S : atoi(v)) * 1000;
	if ((v = getenv("SQLPILOT_PSQL_MODE")) != NULL && strcmp(v, "server") == 0)
		hook_mode = MODE_SERVER;
}
