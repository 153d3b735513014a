/*
 * validate.c — PostgreSQL validation of generated statements, and the
 * throwaway server datagen starts when it is given no connection string.
 *
 * Per schema the client sends two messages' worth of traffic:
 *   1. one simple query: BEGIN; CREATE SCHEMA scratch; SET LOCAL search_path;
 *      the DDL; SAVEPOINT v
 *   2. one pipeline: for each statement [ROLLBACK TO SAVEPOINT v,] Parse (or
 *      execute, for TRUNCATE), Sync; then ROLLBACK, Sync.
 * A failing statement aborts the transaction only until the ROLLBACK TO at
 * the head of the next sync group, so every statement is judged alone.
 */
#include "validate.h"

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

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
	snprintf(srv->dir, sizeof(srv->dir), "%s/sqlpilot-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(srv->dir))
	{
		snprintf(err, errlen, "cannot create a temporary directory for PostgreSQL in \"%s\": %s",
				 tmp && *tmp ? tmp : "/tmp", strerror(errno));
		srv->dir[0] = '\0';
		return -1;
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
			"-c", "max_connections=20", NULL};

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

/* Loads the DDL and checks every statement; see validate.h. */
int
datagen_validate(DatagenValidator *v, const char *ddl,
				 const char *const *sqls, const bool *execute, int n,
				 bool *ok, char **msgs, char *err, size_t errlen)
{
	PGconn	   *conn = v->conn;
	size_t		ddl_len = strlen(ddl);
	size_t		cap = ddl_len + 2 * sizeof(v->scratch) + 128;
	char	   *head = malloc(cap);
	PGresult   *res;
	bool		lost = false;
	char		line[400];

	for (int i = 0; i < n; i++)
	{
		ok[i] = false;
		if (msgs)
			msgs[i] = NULL;
	}
	if (!head)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(head, cap, "BEGIN; CREATE SCHEMA %s; SET LOCAL search_path = %s; %s;\nSAVEPOINT v",
			 v->scratch, v->scratch, ddl);
	res = PQexec(conn, head);
	free(head);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		PQclear(res);
		return connection_failed(v, "loading a schema", err, errlen);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		first_line(PQresultErrorMessage(res), line, sizeof(line));
		snprintf(err, errlen, "schema rejected: %s", line);
		PQclear(res);
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
			return connection_failed(v, "rolling back a schema", err, errlen);
		return 1;
	}
	PQclear(res);

	if (!PQenterPipelineMode(conn))
		return connection_failed(v, "entering pipeline mode", err, errlen);
	for (int i = 0; i < n; i++)
	{
		int			sent = 1;

		if (i > 0)
			sent &= PQsendQueryParams(conn, "ROLLBACK TO SAVEPOINT v", 0, NULL, NULL, NULL, NULL, 0);
		if (execute[i])
			sent &= PQsendQueryParams(conn, sqls[i], 0, NULL, NULL, NULL, NULL, 0);
		else
			sent &= PQsendPrepare(conn, "", sqls[i], 0, NULL);
		sent &= PQpipelineSync(conn);
		if (!sent)
			return connection_failed(v, "sending statements", err, errlen);
	}
	if (!PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(conn))
		return connection_failed(v, "sending statements", err, errlen);

	for (int i = 0; i < n && !lost; i++)
	{
		int			status;

		if (i > 0 && read_command(conn, NULL, 0, &lost) != PGRES_COMMAND_OK)
			lost = true;
		line[0] = '\0';
		status = read_command(conn, line, sizeof(line), &lost);
		ok[i] = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
		if (!ok[i] && msgs)
			msgs[i] = strdup(line[0] ? line : "rejected");
		if (!lost && !read_sync(conn))
			lost = true;
	}
	if (!lost && read_command(conn, NULL, 0, &lost) != PGRES_COMMAND_OK)
		lost = true;
	if (!lost && !read_sync(conn))
		lost = true;
	if (lost)
	{
		for (int i = 0; i < n; i++)
		{
			ok[i] = false;
			if (msgs)
			{
				free(msgs[i]);
				msgs[i] = NULL;
			}
		}
		return connection_failed(v, "validating statements", err, errlen);
	}
	if (!PQexitPipelineMode(conn))
		return connection_failed(v, "leaving pipeline mode", err, errlen);
	return 0;
}
