/*
 * validate.c — PostgreSQL validation of generated statements, and the
 * throwaway server datagen starts when it is given no connection string.
 *
 * A schema and all its statements usually take one round trip: one libpq
 * pipeline with the DDL, the statements and ROLLBACK (fast_pass); only when
 * something is rejected does a slower path with savepoints judge what the
 * error skipped (careful_pass).  The server keeps nothing.
 */
#include "../validate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"
#include "sql_lex.h"

/* Copies the first line of a libpq/server message into out, trimming "ERROR:  ". */
static void
first_line(const char *msg, char *out, size_t cap)
{
	size_t		n = 0;

	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	while (msg[n] && msg[n] != '\n' && n + 1 < cap)
	{
		out[n] = msg[n];
		n++;
	}
	out[n] = '\0';
}

/* True when path exists. */
static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Sleeps for ms milliseconds. */
static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* nftw callback: removes one entry (children come first with FTW_DEPTH). */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	remove(path);
	return 0;
}

/* Appends the last lines of a log file to err (best effort), to explain a failed start. */
static void
append_log_tail(const char *path, char *err, size_t errlen)
{
	char		buf[4096];
	FILE	   *f = fopen(path, "r");
	long		size;
	size_t		n;
	size_t		used = strlen(err);

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > 600 ? size - 600 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (used + 2 < errlen)
		snprintf(err + used, errlen - used, ": %s", buf);
	/* Keep it on one line. */
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/*
 * Runs argv in a child as user pw (NULL: ourselves) with stdout and stderr
 * appended to logpath.  When pdeath, the child gets SIGQUIT if we die.
 * Returns the child's pid, or -1.
 */
static pid_t
spawn_as(char *const argv[], const struct passwd *pw, const char *logpath, bool pdeath)
{
	pid_t		parent = getpid();
	pid_t		pid = fork();

	if (pid != 0)
		return pid;
	{
		int			fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int			devnull = open("/dev/null", O_RDONLY);

		if (fd >= 0)
		{
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (devnull >= 0)
		{
			dup2(devnull, 0);
			close(devnull);
		}
	}
	/* Keep the terminal's ^C for datagen, which stops the server itself. */
	setsid();
	if (pw && (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0))
		_exit(126);
	/* After setuid: a change of credentials clears the parent-death signal. */
	if (pdeath)
	{
		prctl(PR_SET_PDEATHSIG, SIGQUIT);
		if (getppid() != parent)
			_exit(1);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* True when the process whose pid is the first number in path is alive. */
static bool
pid_file_alive(const char *path)
{
	FILE	   *f = fopen(path, "r");
	long		pid = 0;

	if (!f)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM);
}

/*
 * Removes the directories of throwaway servers whose owner was killed
 * (SIGKILL leaves no chance to clean up): owner and postmaster both gone.
 */
static void
remove_stale_servers(const char *base)
{
	DIR		   *d = opendir(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		dir[512],
					owner[600],
					postmaster[600];

		if (strncmp(e->d_name, "sqlpilot-pg-", 12) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		snprintf(owner, sizeof(owner), "%s/owner.pid", dir);
		snprintf(postmaster, sizeof(postmaster), "%s/data/postmaster.pid", dir);
		if (!file_exists(owner) || pid_file_alive(owner) || pid_file_alive(postmaster))
			continue;
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
}

/* Creates the temporary directory, runs initdb, starts postgres and waits for it. */
int
datagen_server_start(DatagenServer *srv, char *err, size_t errlen)
{
	const struct passwd *pw = NULL;
	const char *tmp = getenv("TMPDIR");
	char		datadir[300],
				initlog[300],
				serverlog[300],
				sockopt[300];
	pid_t		pid;
	int			status;
	struct statvfs vfs;

	memset(srv, 0, sizeof(*srv));
	if (geteuid() == 0)
	{
		pw = getpwnam("postgres");
		if (!pw)
		{
			snprintf(err, errlen, "initdb refuses to run as root and there is no \"postgres\" user: "
					 "pass a server with --pg CONNINFO");
			return -1;
		}
	}
	/*
	 * Memory-backed when possible (creating and dropping relation files is
	 * much of the cost), if it has room for the cluster and its WAL (a
	 * container's /dev/shm is often only 64 MB).
	 */
	if (access("/dev/shm", W_OK) == 0 && statvfs("/dev/shm", &vfs) == 0 &&
		(double) vfs.f_bavail * vfs.f_frsize >= 1024.0 * 1024 * 1024)
		tmp = "/dev/shm";
	else if (!tmp || !*tmp)
		tmp = "/tmp";
	remove_stale_servers(tmp);
	snprintf(srv->dir, sizeof(srv->dir), "%s/sqlpilot-pg-XXXXXX", tmp);
	if (!mkdtemp(srv->dir))
	{
		snprintf(err, errlen, "cannot create a temporary directory for PostgreSQL in \"%s\": %s",
				 tmp, strerror(errno));
		srv->dir[0] = '\0';
		return -1;
	}
	{
		char		owner[300];
		FILE	   *f;

		snprintf(owner, sizeof(owner), "%s/owner.pid", srv->dir);
		f = fopen(owner, "w");
		if (f)
		{
			fprintf(f, "%d\n", (int) getpid());
			fclose(f);
		}
	}
	if (pw && chown(srv->dir, pw->pw_uid, pw->pw_gid) != 0)
	{
		snprintf(err, errlen, "cannot hand \"%s\" to the postgres user: %s", srv->dir, strerror(errno));
		datagen_server_stop(srv);
		return -1;
	}
	snprintf(datadir, sizeof(datadir), "%s/data", srv->dir);
	snprintf(initlog, sizeof(initlog), "%s/initdb.log", srv->dir);
	snprintf(serverlog, sizeof(serverlog), "%s/server.log", srv->dir);

	{
		char	   *argv[] = {DATAGEN_PG_BINDIR "/initdb", "-D", datadir, "-A", "trust",
			"-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", NULL};

		pid = spawn_as(argv, pw, initlog, false);
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		{
			snprintf(err, errlen, "initdb failed (log %s)", initlog);
			append_log_tail(initlog, err, errlen);
			datagen_server_stop(srv);
			return -1;
		}
	}

	snprintf(sockopt, sizeof(sockopt), "unix_socket_directories=%s", srv->dir);
	{
		char	   *argv[] = {DATAGEN_PG_BINDIR "/postgres", "-D", datadir,
			"-c", "listen_addresses=", "-c", sockopt,
			"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
			"-c", "wal_level=minimal", "-c", "max_wal_senders=0",
			"-c", "log_min_messages=fatal", "-c", "log_min_error_statement=panic",
			"-c", "max_connections=20", "-c", "shared_buffers=32MB", "-c", "max_wal_size=256MB",
			"-c", "min_wal_size=32MB", NULL};

		pid = spawn_as(argv, pw, serverlog, true);
	}
	if (pid < 0)
	{
		snprintf(err, errlen, "cannot start postgres: %s", strerror(errno));
		datagen_server_stop(srv);
		return -1;
	}
	srv->pid = pid;
	snprintf(srv->conninfo, sizeof(srv->conninfo), "host=%s port=5432 user=postgres dbname=postgres",
			 srv->dir);

	/* Wait for it to accept connections (it takes well under a second here). */
	for (int i = 0; i < 600; i++)
	{
		if (PQping(srv->conninfo) == PQPING_OK)
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
		{
			srv->pid = 0;
			snprintf(err, errlen, "postgres exited during startup (log %s)", serverlog);
			append_log_tail(serverlog, err, errlen);
			datagen_server_stop(srv);
			return -1;
		}
		sleep_ms(50);
	}
	snprintf(err, errlen, "postgres did not accept connections within 30 s (log %s)", serverlog);
	datagen_server_stop(srv);
	return -1;
}

/* Fast shutdown (SIGINT), escalating to SIGKILL after 10 s; then removes the directory. */
void
datagen_server_stop(DatagenServer *srv)
{
	if (srv->pid > 0)
	{
		int			status;
		bool		gone = false;

		kill(srv->pid, SIGINT);
		for (int i = 0; i < 200 && !gone; i++)
		{
			if (waitpid(srv->pid, &status, WNOHANG) != 0)
				gone = true;
			else
				sleep_ms(50);
		}
		if (!gone)
		{
			kill(srv->pid, SIGKILL);
			waitpid(srv->pid, &status, 0);
		}
		srv->pid = 0;
	}
	if (srv->dir[0])
	{
		nftw(srv->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		srv->dir[0] = '\0';
	}
}

/* Connects with a 10 s connect timeout (unless conninfo sets one) and names the scratch schema. */
int
datagen_validator_open(DatagenValidator *v, const char *conninfo, char *err, size_t errlen)
{
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {"10", "sqlpilot-datagen", conninfo, NULL};
	static int	counter = 0;
	PGresult   *res;

	memset(v, 0, sizeof(*v));
	v->conn = PQconnectdbParams(keys, vals, 1);
	if (!v->conn || PQstatus(v->conn) != CONNECTION_OK)
	{
		char		line[400];

		first_line(v->conn ? PQerrorMessage(v->conn) : "out of memory", line, sizeof(line));
		snprintf(err, errlen, "cannot connect to PostgreSQL (\"%s\"): %s", conninfo, line);
		PQfinish(v->conn);
		v->conn = NULL;
		return -1;
	}
	/* Quiet NOTICEs (e.g. from CASCADE); keep statement timeouts away from DDL bursts. */
	res = PQexec(v->conn, "SET client_min_messages = warning; SET statement_timeout = '60s'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		char		line[400];

		first_line(PQerrorMessage(v->conn), line, sizeof(line));
		snprintf(err, errlen, "cannot set up the PostgreSQL session: %s", line);
		PQclear(res);
		datagen_validator_close(v);
		return -1;
	}
	PQclear(res);
	snprintf(v->scratch, sizeof(v->scratch), "sqlpilot_scratch_%d_%d", (int) getpid(), counter++);
	return 0;
}

/* Closes the connection. */
void
datagen_validator_close(DatagenValidator *v)
{
	if (v->conn)
		PQfinish(v->conn);
	v->conn = NULL;
}

/* The scratch schema's name. */
const char *
datagen_validator_scratch(const DatagenValidator *v)
{
	return v->scratch;
}

/* See validate.h: the schema names are swapped for the scratch schema while rendering. */
char *
datagen_validator_ddl(const DatagenValidator *v, SqlpilotTable *tables, int n_tables)
{
	char	  **saved = malloc(sizeof(char *) * (n_tables + 1));
	char	  **saved_ref;
	int			n_fk = 0,
				j = 0;
	char	   *ddl;

	for (int i = 0; i < n_tables; i++)
		n_fk += tables[i].n_fkeys;
	saved_ref = malloc(sizeof(char *) * (n_fk + 1));
	if (!saved || !saved_ref)
	{
		free(saved);
		free(saved_ref);
		return NULL;
	}
	for (int i = 0; i < n_tables; i++)
	{
		saved[i] = tables[i].schema;
		tables[i].schema = (char *) v->scratch;
		for (int f = 0; f < tables[i].n_fkeys; f++)
		{
			saved_ref[j++] = tables[i].fkeys[f].ref_schema;
			tables[i].fkeys[f].ref_schema = NULL;
		}
	}
	ddl = sqlpilot_schema_render(tables, n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
	j = 0;
	for (int i = 0; i < n_tables; i++)
	{
		tables[i].schema = saved[i];
		for (int f = 0; f < tables[i].n_fkeys; f++)
			tables[i].fkeys[f].ref_schema = saved_ref[j++];
	}
	free(saved);
	free(saved_ref);
	return ddl;
}

/* See validate.h. */
int
datagen_validate_statements(DatagenValidator *v, DatagenSchema *s, const DatagenStatement *st,
							int n, bool *ok, char **msgs, char *err, size_t errlen)
{
	const char **sqls = malloc(sizeof(char *) * (n + 1));
	bool	   *execute = malloc(sizeof(bool) * (n + 1));
	char	   *ddl = datagen_validator_ddl(v, s->tables, s->n_tables);
	int			rc = -1;

	if (!sqls || !execute || !ddl)
		snprintf(err, errlen, "out of memory validating the statements of a schema");
	else
	{
		for (int i = 0; i < n; i++)
		{
			sqls[i] = st[i].pg_sql ? st[i].pg_sql : st[i].sql;
			execute[i] = st[i].kind == DATAGEN_TRUNCATE;
		}
		rc = datagen_validate(v, ddl, sqls, execute, n, ok, msgs, err, errlen);
	}
	free(ddl);
	free(sqls);
	free(execute);
	return rc;
}

/* Reports a lost or broken connection in err and returns -1. */
static int
connection_failed(DatagenValidator *v, const char *what, char *err, size_t errlen)
{
	char		line[400];

	first_line(PQerrorMessage(v->conn), line, sizeof(line));
	snprintf(err, errlen, "PostgreSQL connection failed while %s: %s", what,
			 line[0] ? line : "server closed the connection");
	return -1;
}

/*
 * Reads the results of one pipelined command up to its terminating NULL.
 * Returns its status (the first result's); msg gets the error's first line.
 */
static int
read_command(PGconn *conn, char *msg, size_t cap, bool *lost)
{
	PGresult   *res = PQgetResult(conn);
	int			status;

	if (!res)
	{
		*lost = true;
		return PGRES_FATAL_ERROR;
	}
	status = PQresultStatus(res);
	if (status == PGRES_FATAL_ERROR && msg)
		first_line(PQresultErrorMessage(res), msg, cap);
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	return status;
}

/* Reads the PGRES_PIPELINE_SYNC that ends a sync group. */
static bool
read_sync(PGconn *conn)
{
	PGresult   *res = PQgetResult(conn);
	bool		ok = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;

	PQclear(res);
	return ok;
}

/* Verdicts while a schema's statements are being judged. */
#define V_UNKNOWN 0
#define V_OK 1
#define V_REJECTED 2

/* Sends "BEGIN; CREATE SCHEMA; SET LOCAL search_path; ddl" as one simple query.  0, 1 (DDL rejected) or -1. */
static int
load_ddl(DatagenValidator *v, const char *ddl, char *err, size_t errlen)
{
	size_t		cap = strlen(ddl) + 2 * sizeof(v->scratch) + 128;
	char	   *q = malloc(cap);
	PGresult   *res;
	char		line[400];

	if (!q)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(q, cap, "BEGIN; CREATE SCHEMA %s; SET LOCAL search_path = %s; %s",
			 v->scratch, v->scratch, ddl);
	res = PQexec(v->conn, q);
	free(q);
	if (PQstatus(v->conn) != CONNECTION_OK)
	{
		PQclear(res);
		return connection_failed(v, "loading a schema", err, errlen);
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		return 0;
	}
	first_line(PQresultErrorMessage(res), line, sizeof(line));
	snprintf(err, errlen, "schema rejected: %s", line);
	PQclear(res);
	res = PQexec(v->conn, "ROLLBACK");
	PQclear(res);
	if (PQstatus(v->conn) != CONNECTION_OK)
		return connection_failed(v, "rolling back a schema", err, errlen);
	return 1;
}

/*
 * Reads one pipelined statement's result into verdict[i]: accepted, or
 * rejected with the server's message when trusted (the transaction was
 * healthy), else left unknown (skipped after an earlier error).
 */
static void
read_verdict(PGconn *conn, int i, bool trusted, char *verdict, char **msgs, bool *lost)
{
	char		line[400] = "";
	int			status = read_command(conn, line, sizeof(line), lost);

	if (*lost)
		return;
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		verdict[i] = V_OK;
	else if (status == PGRES_FATAL_ERROR && trusted)
	{
		verdict[i] = V_REJECTED;
		if (msgs)
			msgs[i] = strdup(line[0] ? line : "rejected");
	}
}

/*
 * True when sql starts (after spaces and opening parentheses) with one of the
 * words of list, case-insensitively.
 */
static bool
starts_with_word(const char *sql, const char *const *list)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' || *sql == '(')
		sql++;
	for (int i = 0; list[i]; i++)
	{
		size_t		n = strlen(list[i]);

		if (strncasecmp(sql, list[i], n) == 0 && !sqlpilot_lex_ident_cont((unsigned char) sql[n]))
			return true;
	}
	return false;
}

/*
 * Rejects up front what PREPARE would refuse without looking (a Parse
 * message accepts utility statements unanalysed) and anything but TRUNCATE
 * where a statement is to be executed.
 */
static void
precheck(const char *const *sqls, const bool *execute, int n, char *verdict, char **msgs)
{
	static const char *const preparable[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH",
	"TABLE", "MERGE", NULL};
	static const char *const truncate[] = {"TRUNCATE", NULL};

	for (int i = 0; i < n; i++)
	{
		bool		fine = starts_with_word(sqls[i], execute[i] ? truncate : preparable);

		if (fine)
			continue;
		verdict[i] = V_REJECTED;
		if (msgs)
			msgs[i] = strdup(execute[i] ? "only TRUNCATE is executed" :
							 "PREPARE accepts only SELECT, INSERT, UPDATE, DELETE, VALUES, TABLE, WITH and MERGE");
	}
}

/* Appends the statement sql[a..b) (spaces trimmed, empty ones skipped) to *v; false when out of memory. */
static bool
add_statement(const char *a, const char *b, char ***v, int *n, int *cap)
{
	while (a < b && isspace((unsigned char) *a))
		a++;
	while (b > a && isspace((unsigned char) b[-1]))
		b--;
	if (b == a)
		return true;
	if (*n == *cap)
	{
		char	  **nv = realloc(*v, sizeof(char *) * (*cap * 2));

		if (!nv)
			return false;
		*v = nv;
		*cap *= 2;
	}
	(*v)[*n] = strndup(a, b - a);
	if (!(*v)[*n])
		return false;
	(*n)++;
	return true;
}

/*
 * Splits SQL text into its statements at the ';' tokens of core/sql_lex.c
 * (so never inside quotes, dollar quotes or comments) as malloc'd strings;
 * returns how many, or -1 when out of memory.
 */
static int
split_statements(const char *sql, char ***out)
{
	int			n = 0,
				cap = 16;
	char	  **v = malloc(sizeof(char *) * cap);
	SqlpilotLexToken *tok = NULL;
	size_t		len = strlen(sql);
	size_t		ntok = sqlpilot_lex_all(sql, len, true, &tok);
	size_t		start = 0;
	bool		fine = v != NULL && ntok != (size_t) -1;

	*out = NULL;
	for (size_t i = 0; fine && i < ntok; i++)
	{
		if (tok[i].kind != SQLPILOT_TOK_PUNCT || sql[tok[i].start] != ';')
			continue;
		fine = add_statement(sql + start, sql + tok[i].start, &v, &n, &cap);
		start = tok[i].end;
	}
	if (fine)
		fine = add_statement(sql + start, sql + len, &v, &n, &cap);
	free(tok);
	if (fine)
	{
		*out = v;
		return n;
	}
	for (int k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return -1;
}

/*
 * Sends a Parse of each statement still unjudged that is prepared (not
 * executed), as one sync group when there is one; true when there was.
 */
static bool
send_parses(PGconn *conn, const char *const *sqls, const bool *execute, int n,
			const char *verdict, bool *lost)
{
	bool		any = false;

	for (int i = 0; i < n; i++)
		if (!execute[i] && verdict[i] == V_UNKNOWN)
		{
			*lost |= !PQsendPrepare(conn, "", sqls[i], 0, NULL);
			any = true;
		}
	if (any)
		*lost |= !PQpipelineSync(conn);
	return any;
}

/*
 * The fast path: the whole schema in one round trip.  One pipeline carries
 * BEGIN, CREATE SCHEMA, SET LOCAL search_path, each DDL statement and each
 * TRUNCATE (run in the transaction that created the tables, so PostgreSQL
 * truncates the new, empty files in place) in a first sync group, every
 * Parse in a second, ROLLBACK in a third.  An error skips the rest of its
 * group, so statements after a rejected one stay unjudged (verdict unknown)
 * for the careful path.  Returns 0, 1 when the DDL failed (to be confirmed
 * by the careful path), or -1 when the connection failed.
 */
static int
fast_pass(DatagenValidator *v, const char *ddl, const char *const *sqls, const bool *execute,
		  int n, char *verdict, char **msgs, char *err, size_t errlen)
{
	PGconn	   *conn = v->conn;
	char		head[256];
	char	  **parts;
	int			n_parts = split_statements(ddl, &parts);
	bool		lost = false,
				setup_ok = true,
				group_ok = true,
				more_parses = false;

	if (n_parts < 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!PQenterPipelineMode(conn))
	{
		for (int k = 0; k < n_parts; k++)
			free(parts[k]);
		free(parts);
		return connection_failed(v, "entering pipeline mode", err, errlen);
	}
	lost |= !PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
	snprintf(head, sizeof(head), "CREATE SCHEMA %s", v->scratch);
	lost |= !PQsendQueryParams(conn, head, 0, NULL, NULL, NULL, NULL, 0);
	snprintf(head, sizeof(head), "SET LOCAL search_path = %s", v->scratch);
	lost |= !PQsendQueryParams(conn, head, 0, NULL, NULL, NULL, NULL, 0);
	for (int k = 0; k < n_parts; k++)
		lost |= !PQsendQueryParams(conn, parts[k], 0, NULL, NULL, NULL, NULL, 0);
	for (int i = 0; i < n; i++)
		if (execute[i] && verdict[i] == V_UNKNOWN)
			lost |= !PQsendQueryParams(conn, sqls[i], 0, NULL, NULL, NULL, NULL, 0);
	lost |= !PQpipelineSync(conn);
	more_parses = send_parses(conn, sqls, execute, n, verdict, &lost);
	lost |= !PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0);
	lost |= !PQpipelineSync(conn);

	/* Group 1: set-up and DDL must all succeed; then the TRUNCATEs. */
	for (int k = 0; k < 3 + n_parts && !lost; k++)
	{
		char		line[400] = "";

		if (read_command(conn, line, sizeof(line), &lost) != PGRES_COMMAND_OK && setup_ok && !lost)
		{
			setup_ok = false;
			snprintf(err, errlen, "schema rejected: %s", line[0] ? line : "DDL skipped");
		}
	}
	for (int i = 0; i < n && !lost; i++)
		if (execute[i] && verdict[i] == V_UNKNOWN)
		{
			read_verdict(conn, i, setup_ok && group_ok, verdict, msgs, &lost);
			group_ok &= verdict[i] == V_OK;
		}
	lost |= !lost && !read_sync(conn);
	/* Group 2: the Parses, trusted only in a healthy transaction. */
	if (more_parses)
	{
		bool		healthy = setup_ok && group_ok;

		for (int i = 0; i < n && !lost; i++)
			if (!execute[i] && verdict[i] == V_UNKNOWN)
			{
				read_verdict(conn, i, healthy, verdict, msgs, &lost);
				healthy &= verdict[i] == V_OK;
			}
		lost |= !lost && !read_sync(conn);
	}
	/* Group 3: ROLLBACK. */
	lost |= !lost && read_command(conn, NULL, 0, &lost) != PGRES_COMMAND_OK;
	lost |= !lost && !read_sync(conn);
	for (int k = 0; k < n_parts; k++)
		free(parts[k]);
	free(parts);
	if (lost || !PQexitPipelineMode(conn))
		return connection_failed(v, "validating statements", err, errlen);
	/* When the DDL failed nothing was judged: every error after it was untrusted. */
	return setup_ok ? 0 : 1;
}

/*
 * The careful path, for what the fast path left unjudged: the DDL as one
 * simple query, the TRUNCATEs, SAVEPOINT v, then every Parse in one sync
 * group; after a rejected Parse, ROLLBACK TO v and resend the rest; after a
 * rejected TRUNCATE, start over with the statements still unjudged.
 */
static int
careful_pass(DatagenValidator *v, const char *ddl, const char *const *sqls, const bool *execute,
			 int n, char *verdict, char **msgs, char *err, size_t errlen)
{
	PGconn	   *conn = v->conn;
	bool		lost = false;
	int			rc = 0;

	for (;;)
	{
		bool		savepoint_ok;
		bool		more_parses = false;
		PGresult   *res;

		rc = load_ddl(v, ddl, err, errlen);
		if (rc != 0)
			break;
		if (!PQenterPipelineMode(conn))
		{
			rc = connection_failed(v, "entering pipeline mode", err, errlen);
			break;
		}
		/* Group 1: the TRUNCATEs still unjudged, then the savepoint.  Group 2: every Parse. */
		for (int i = 0; i < n; i++)
			if (execute[i] && verdict[i] == V_UNKNOWN)
				lost |= !PQsendQueryParams(conn, sqls[i], 0, NULL, NULL, NULL, NULL, 0);
		lost |= !PQsendQueryParams(conn, "SAVEPOINT v", 0, NULL, NULL, NULL, NULL, 0);
		lost |= !PQpipelineSync(conn);
		more_parses = send_parses(conn, sqls, execute, n, verdict, &lost);

		for (int i = 0; i < n && !lost; i++)
			if (execute[i] && verdict[i] == V_UNKNOWN)
				read_verdict(conn, i, true, verdict, msgs, &lost);
		savepoint_ok = !lost && read_command(conn, NULL, 0, &lost) == PGRES_COMMAND_OK;
		lost |= !lost && !read_sync(conn);
		if (more_parses)
		{
			for (int i = 0; i < n && !lost; i++)
				if (!execute[i] && verdict[i] == V_UNKNOWN)
					read_verdict(conn, i, savepoint_ok, verdict, msgs, &lost);
			lost |= !lost && !read_sync(conn);
		}

		/* Resend the Parses an error skipped, each round after ROLLBACK TO v. */
		while (savepoint_ok && !lost)
		{
			more_parses = false;
			for (int i = 0; i < n && !lost; i++)
				if (!execute[i] && verdict[i] == V_UNKNOWN)
				{
					if (!more_parses)
						lost |= !PQsendQueryParams(conn, "ROLLBACK TO SAVEPOINT v", 0, NULL, NULL,
												   NULL, NULL, 0);
					lost |= !PQsendPrepare(conn, "", sqls[i], 0, NULL);
					more_parses = true;
				}
			if (!more_parses)
				break;
			lost |= !PQpipelineSync(conn);
			lost |= !lost && read_command(conn, NULL, 0, &lost) != PGRES_COMMAND_OK;
			for (int i = 0; i < n && !lost; i++)
				if (!execute[i] && verdict[i] == V_UNKNOWN)
					read_verdict(conn, i, true, verdict, msgs, &lost);
			lost |= !lost && !read_sync(conn);
		}
		if (lost || !PQexitPipelineMode(conn))
		{
			rc = connection_failed(v, "validating statements", err, errlen);
			break;
		}
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			rc = connection_failed(v, "rolling back", err, errlen);
			break;
		}
		{
			bool		done = true;

			for (int i = 0; i < n; i++)
				done &= verdict[i] != V_UNKNOWN;
			if (done)
				break;
		}
		/* A TRUNCATE was rejected: go again for the statements its error skipped. */
	}
	return rc;
}

/* Judges every statement: the fast path, then the careful one for anything left (see above). */
int
datagen_validate(DatagenValidator *v, const char *ddl,
				 const char *const *sqls, const bool *execute, int n,
				 bool *ok, char **msgs, char *err, size_t errlen)
{
	char	   *verdict = calloc(n + 1, 1);
	int			rc;
	bool		done = true;

	for (int i = 0; i < n; i++)
	{
		ok[i] = false;
		if (msgs)
			msgs[i] = NULL;
	}
	if (!verdict)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	precheck(sqls, execute, n, verdict, msgs);
	rc = fast_pass(v, ddl, sqls, execute, n, verdict, msgs, err, errlen);
	for (int i = 0; i < n; i++)
		done &= verdict[i] != V_UNKNOWN;
	/* A DDL error is confirmed with the DDL sent whole, as PostgreSQL's own client would. */
	if (rc == 1 || (rc == 0 && !done))
		rc = careful_pass(v, ddl, sqls, execute, n, verdict, msgs, err, errlen);
	for (int i = 0; i < n; i++)
	{
		ok[i] = rc == 0 && verdict[i] == V_OK;
		if (rc != 0 && msgs)
		{
			free(msgs[i]);
			msgs[i] = NULL;
		}
	}
	free(verdict);
	return rc;
}
