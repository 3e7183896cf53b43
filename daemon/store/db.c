/* Database connections: one per worker, re-established with backoff, failures logged once. */
#include "db.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 250

struct db {
	char *conninfo;
	char *options;		/* "-c TimeZone=..." */
	char *time_zone;
	PGconn *conn;
	const struct config *applied;	/* the settings the session was last set from */
	long long next_attempt;	/* monotonic ms */
	long long backoff;	/* ms */
	bool lost;
	char *last_error;
};

/* Set while the database is known to be unavailable, so that the failure is logged once. */
static atomic_bool db_down;

/* Creates a holder; nothing is connected yet. */
struct db *db_new(const char *conninfo, const char *time_zone)
{
	struct db *db = xcalloc(1, sizeof *db);
	db->conninfo = xstrdup(conninfo);
	db->options = xasprintf("-c TimeZone=%s", time_zone);
	db->time_zone = xstrdup(time_zone);
	db->last_error = xstrdup("");
	return db;
}

/* Closes the connection and frees the holder. */
void db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->options);
	free(db->time_zone);
	free(db->last_error);
	free(db);
}

/* Whether libpq reads conninfo as a whole connection string (else it is a database name). */
static bool conninfo_expanded(const char *conninfo)
{
	return strchr(conninfo, '=') != NULL || strncmp(conninfo, "postgresql://", 13) == 0 ||
	       strncmp(conninfo, "postgres://", 11) == 0;
}

char *db_conninfo_shown(const char *conninfo)
{
	if (!conninfo_expanded(conninfo))
		return xasprintf("dbname=%s", conninfo);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	PQfreemem(perr);
	if (opts == NULL)
		return xstrdup("a connection string that does not parse");
	static const char *const shown[] = { "host", "hostaddr", "port", "dbname", "user",
					     "target_session_attrs" };
	struct strbuf sb = STRBUF_INIT;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		for (size_t i = 0; i < nitems(shown); i++)
			if (o->val && o->val[0] && strcmp(o->keyword, shown[i]) == 0)
				strbuf_addf(&sb, "%s%s=%s", sb.len ? " " : "", o->keyword, o->val);
	PQconninfoFree(opts);
	if (sb.len == 0)
		strbuf_adds(&sb, "libpq's defaults");
	return strbuf_detach(&sb);
}

/* A libpq message about a connection made from conninfo, safe to log: the password masked
 * wherever it occurs, and nothing of a connection string that does not parse (libpq quotes
 * pieces of it). A new string. */
static char *conn_message(const char *conninfo, const char *msg)
{
	if (!conninfo_expanded(conninfo))
		return xstrdup(msg);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	PQfreemem(perr);
	if (opts == NULL)
		return xstrdup("database.conninfo is not a valid libpq connection string (check its "
			       "key=value pairs, quoting or URI encoding)");
	const char *password = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			password = o->val;
	struct strbuf sb = STRBUF_INIT;
	size_t plen = password ? strlen(password) : 0;
	for (const char *m = msg; *m;) {
		const char *hit = plen ? strstr(m, password) : NULL;
		if (hit == NULL) {
			strbuf_adds(&sb, m);
			break;
		}
		strbuf_add(&sb, m, (size_t)(hit - m));
		strbuf_adds(&sb, "********");
		m = hit + plen;
	}
	PQconninfoFree(opts);
	char *out = xstrdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return out;
}

/* Keeps the message of the latest failure, trimmed to one line. */
static void db_set_error(struct db *db, const char *msg)
{
	free(db->last_error);
	db->last_error = str_trim(xstrdup(msg ? msg : ""));
}

/* Opens a connection with our session defaults; the caller checks PQstatus. With several
 * hosts (host=a,b), libpq tries them in order and, by our default target_session_attrs, keeps
 * only a server that accepts writes: after a failover, the new primary. */
static PGconn *db_open(const char *conninfo, const char *options)
{
	/* Later entries win, so the configured conninfo overrides our defaults. */
	const char *keys[] = { "connect_timeout", "application_name", "target_session_attrs",
			       "options", "dbname", NULL };
	const char *vals[] = { "5", "baocaod", "read-write", options, conninfo, NULL };
	return PQconnectdbParams(keys, vals, 1);
}

/* Set on this thread when a statement was refused because the server is read-only (SQLSTATE
 * 25006): a standby reached by mistake, or an old primary demoted or fenced. */
static __thread bool read_only_seen;

/* Whether the server of conn is read-only for us: it refused a write, or says it is a standby
 * or that its transactions are read-only by default (reported by PostgreSQL 14 and later). */
static bool db_read_only(PGconn *conn)
{
	const char *hot = PQparameterStatus(conn, "in_hot_standby");
	const char *ro = PQparameterStatus(conn, "default_transaction_read_only");
	return read_only_seen || (hot && strcmp(hot, "on") == 0) || (ro && strcmp(ro, "on") == 0);
}

/* Forgets the backoff (see db.h). */
void db_backoff_clear(struct db *db)
{
	db->backoff = 0;
	db->next_attempt = 0;
}

/* Records a failed or lost connection and schedules the next attempt. */
static void db_mark_down(struct db *db)
{
	const struct config *cfg = config_current();
	long long cap = cfg ? cfg->reconnect_max : 10000;
	db->backoff = db->backoff ? db->backoff * 2 : BACKOFF_MIN_MS;
	if (db->backoff > cap)
		db->backoff = cap;
	db->next_attempt = clock_mono_ms() + db->backoff;
	db->lost = true;
	if (!atomic_exchange(&db_down, true))
		log_warn("db", "database unavailable: %s (retrying every %lld ms at most)",
			 db->last_error, cap);
	else
		log_debug("db", "connection attempt failed: %s", db->last_error);
}

/* Each thread's count of connections made: a cached statement belongs to one of them. */
static __thread unsigned conn_generation;

/* Sets the session's time zone and statement timeout (a conninfo "options=" may have
 * replaced ours, and a reload may have changed the timeout). Returns false on failure. */
static bool db_session_settings(struct db *db, const struct config *cfg)
{
	char timeout[32];
	snprintf(timeout, sizeof timeout, "%lld", cfg ? cfg->statement_timeout : 30000);
	const char *p[] = { db->time_zone, timeout };
	PGresult *r = PQexecParams(db->conn, "SELECT set_config('TimeZone', $1, false), "
				   "set_config('statement_timeout', $2, false)", 2, NULL, p, NULL,
				   NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (ok)
		db->applied = cfg;	/* only when they were: a failure is tried again */
	else
		db_set_error(db, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
	PQclear(r);
	return ok;
}

/* Whether the connection is idle, outside any transaction; a connection left inside one (a
 * path that forgot to end it) is rolled back, and one in an unknown state is closed. */
static bool db_idle(struct db *db)
{
	PGTransactionStatusType ts = PQtransactionStatus(db->conn);
	if (ts == PQTRANS_IDLE)
		return true;
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		log_error("db", "a connection was handed back inside a transaction; rolling it back");
		PGresult *r = PQexec(db->conn, "ROLLBACK");
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK &&
			  PQtransactionStatus(db->conn) == PQTRANS_IDLE;
		PQclear(r);
		if (ok)
			return true;
	} else {
		log_error("db", "a connection was handed back busy or in an unknown state; "
			  "closing it");
	}
	PQfinish(db->conn);
	db->conn = NULL;
	return false;
}

/* Returns a working connection, or NULL while the database is unavailable. */
PGconn *db_conn(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK && db_read_only(db->conn)) {
		/* Lost to us: the next connection looks for the read-write server. */
		db_set_error(db, "the server became read-only (a standby, or a primary demoted)");
		db->lost = true;
		if (!atomic_exchange(&db_down, true))
			log_warn("db", "database connection lost: %s; looking for the primary",
				 db->last_error);
	} else if (db->conn && PQstatus(db->conn) == CONNECTION_OK && db_idle(db)) {
		const struct config *cfg = config_current();
		if (cfg != db->applied && !db_session_settings(db, cfg))
			log_warn("db", "cannot apply the session settings: %s", db->last_error);
		return db->conn;
	}
	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	/* Back off while the database is down; once another worker has reached it again, try
	 * at once rather than fail requests until this worker's delay is over. */
	if (db->next_attempt && clock_mono_ms() < db->next_attempt && atomic_load(&db_down)) {
		db->lost = true;
		return NULL;
	}
	PGconn *c = db_open(db->conninfo, db->options);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		char *msg = conn_message(db->conninfo, c ? PQerrorMessage(c) : "out of memory");
		db_set_error(db, msg);
		free(msg);
		if (c)
			PQfinish(c);
		db_mark_down(db);
		return NULL;
	}
	db->conn = c;
	conn_generation++;
	read_only_seen = false;
	if (db_read_only(c)) {	/* target_session_attrs=any in the conninfo, and a standby */
		db_set_error(db, "the server is read-only (a standby?): baocaod needs the primary; "
			     "list every host in database.conninfo and leave target_session_attrs "
			     "at read-write");
		PQfinish(c);
		db->conn = NULL;
		db_mark_down(db);
		return NULL;
	}
	if (!db_session_settings(db, config_current())) {
		log_warn("db", "cannot apply the session settings: %s", db->last_error);
		PQfinish(c);
		db->conn = NULL;
		db_mark_down(db);
		return NULL;
	}
	if (db->lost)	/* a connection made again after a failed or lost one */
		metrics_count(MC_DB_RECONNECTS);
	db->backoff = 0;
	db->next_attempt = 0;
	db->lost = false;
	if (atomic_exchange(&db_down, false))
		log_info("db", "database connection restored");
	return c;
}

/* Marks a connection that a failed statement showed to be broken as lost. It is closed by
 * the next db_conn(), not here: the caller may still hold it, and a closed PGconn is freed
 * memory, whereas a broken one only answers "no connection to the server". */
void db_check_failure(struct db *db, const PGresult *res)
{
	if (db->conn == NULL)
		return;
	db_set_error(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
	if (PQstatus(db->conn) == CONNECTION_BAD || db_read_only(db->conn)) {
		if (db->last_error[0] == '\0')
			db_set_error(db, PQerrorMessage(db->conn));
		db->backoff = 0;
		db->next_attempt = 0;	/* try again at once: the server may have restarted */
		db->lost = true;
		if (!atomic_exchange(&db_down, true))
			log_warn("db", "database connection lost: %s", db->last_error);
	} else {
		db->lost = false;
	}
}

/* Whether the latest failure was about the connection. */
bool db_connection_lost(struct db *db)
{
	return db->lost;
}

/* The latest error message. */
const char *db_last_error(struct db *db)
{
	return db->last_error;
}

/* Whether the database is known to be down. */
bool db_is_down(void)
{
	return atomic_load(&db_down);
}

/* Whether a result is a success. */
bool db_ok(const PGresult *res)
{
	if (res == NULL)
		return false;
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs one statement; NULL on failure, with the connection checked. */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params)
{
	PGconn *c = db_conn(db);
	if (c == NULL)
		return NULL;
	PGresult *res = db_query(c, sql, nparams, params, NULL, NULL);
	if (db_ok(res))
		return res;
	db_check_failure(db, res);
	if (!db->lost)
		log_error("db", "statement failed: %s", db->last_error);
	PQclear(res);
	return NULL;
}

/* Connects once for a command-line tool. */
PGconn *db_connect_once(const char *conninfo, const char *time_zone, char **err)
{
	char *options = xasprintf("-c TimeZone=%s", time_zone);
	PGconn *c = db_open(conninfo, options);
	free(options);
	if (c == NULL) {
		*err = xstrdup("out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		*err = str_trim(conn_message(conninfo, PQerrorMessage(c)));
		PQfinish(c);
		return NULL;
	}
	conn_generation++;
	return c;
}

/* What the current request on this thread has seen of its connection. */
static __thread unsigned long request_ok;	/* statements that succeeded */
static __thread bool request_broken;		/* a statement found the connection broken */

/* Forgets what the previous request on this thread saw. */
void db_request_start(void)
{
	request_ok = 0;
	request_broken = false;
}

/* Whether the request met a broken connection before any statement of it succeeded. */
bool db_request_retryable(void)
{
	return request_broken && request_ok == 0;
}

/* Notes the outcome of one statement for the request running on this thread. */
static void request_note(PGconn *conn, const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		request_ok++;
		return;
	}
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "25006") == 0)	/* read_only_sql_transaction */
		read_only_seen = true;
	if (PQstatus(conn) == CONNECTION_BAD || read_only_seen)
		request_broken = true;
}

#define STMT_CACHE 96

/* A statement prepared on this thread's connection. Its key is its text, compared whole: a
 * text is never taken for another, wherever either is stored. */
struct stmt {
	char *sql;		/* a copy of the text: the key */
	uint64_t hash;		/* of the text, compared first */
	const PGconn *conn;
	int backend;		/* PQbackendPID */
	unsigned generation;	/* conn_generation: a new connection at a reused address */
	char name[16];		/* the server's name for it, unique on this thread */
};

/* Each thread has its own connection, so its own cache; its texts are freed when the thread
 * ends (stmt_cache_free, through a thread-specific key set at the first statement). */
static __thread struct stmt stmt_cache[STMT_CACHE];
static __thread int stmt_count;
static __thread unsigned stmt_serial;
static __thread bool stmt_cache_owned;
static pthread_key_t stmt_cache_key;
static pthread_once_t stmt_cache_once = PTHREAD_ONCE_INIT;
static int stmt_cache_key_rc;

/* At a thread's end: frees the texts of its cache (arg is its stmt_cache). */
static void stmt_cache_free(void *arg)
{
	struct stmt *cache = arg;
	for (int i = 0; i < STMT_CACHE; i++) {
		free(cache[i].sql);
		cache[i].sql = NULL;
	}
}

/* Once per process: the key whose destructor frees a thread's cache. */
static void stmt_cache_key_make(void)
{
	stmt_cache_key_rc = pthread_key_create(&stmt_cache_key, stmt_cache_free);
}

/* Makes sure this thread's cache is freed when the thread ends. */
static void stmt_cache_own(void)
{
	if (stmt_cache_owned)
		return;
	int rc = pthread_once(&stmt_cache_once, stmt_cache_key_make);
	if (rc == 0)
		rc = stmt_cache_key_rc;
	if (rc == 0)
		rc = pthread_setspecific(stmt_cache_key, stmt_cache);
	if (rc != 0)	/* the cache works all the same; its texts outlive the thread */
		log_error("db", "cannot have the prepared-statement cache freed at the thread's "
			  "end: %s", strerror(rc));
	stmt_cache_owned = true;
}

/* FNV-1a of a statement's text. */
static uint64_t stmt_hash(const char *sql)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* Prepares sql under a new name in a cache slot; returns NULL or the failed result. */
static PGresult *stmt_prepare(PGconn *conn, struct stmt *st, const char *sql, uint64_t hash,
			      int nparams, int backend)
{
	free(st->sql);
	st->sql = NULL;
	snprintf(st->name, sizeof st->name, "bc%u", ++stmt_serial);
	PGresult *r = PQprepare(conn, st->name, sql, nparams, NULL);
	if (r == NULL)		/* out of memory or no connection: a failed result all the same */
		r = PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return r;
	PQclear(r);
	st->sql = xstrdup(sql);
	st->hash = hash;
	st->conn = conn;
	st->backend = backend;
	st->generation = conn_generation;
	return NULL;
}

/* This thread's prepared statement of sql on conn, or NULL. */
static struct stmt *stmt_find(PGconn *conn, const char *sql)
{
	int backend = PQbackendPID(conn);
	uint64_t hash = stmt_hash(sql);
	for (int i = 0; i < stmt_count; i++) {
		struct stmt *c = &stmt_cache[i];
		if (c->sql && c->hash == hash && c->conn == conn && c->backend == backend &&
		    c->generation == conn_generation && strcmp(c->sql, sql) == 0)
			return c;
	}
	return NULL;
}

/* Prepares sql in a slot of this thread's cache; NULL with *failed (the failed result). */
static struct stmt *stmt_new(PGconn *conn, const char *sql, int nparams, PGresult **failed)
{
	stmt_cache_own();
	int slot = stmt_count < STMT_CACHE ? stmt_count++ : (int)(stmt_serial % STMT_CACHE);
	struct stmt *st = &stmt_cache[slot];
	*failed = stmt_prepare(conn, st, sql, stmt_hash(sql), nparams, PQbackendPID(conn));
	return *failed ? NULL : st;
}

/* Runs a statement prepared once per connection, the result in text (0) or binary (1). */
static PGresult *query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		       const int *lengths, const int *formats, int result_format)
{
	int backend = PQbackendPID(conn);
	uint64_t hash = stmt_hash(sql);
	struct stmt *st = stmt_find(conn, sql);
	if (st == NULL) {
		PGresult *failed = NULL;
		st = stmt_new(conn, sql, nparams, &failed);
		if (st == NULL) {
			request_note(conn, failed);
			return failed;	/* the caller sees the failure as the statement's */
		}
	}
	PGresult *r = PQexecPrepared(conn, st->name, nparams, params, lengths, formats,
				     result_format);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "26000") == 0 && PQtransactionStatus(conn) == PQTRANS_IDLE) {
		/* The server forgot it (DISCARD ALL, a pooler): prepare again, once. */
		PQclear(r);
		PGresult *failed = stmt_prepare(conn, st, sql, hash, nparams, backend);
		if (failed) {
			request_note(conn, failed);
			return failed;
		}
		r = PQexecPrepared(conn, st->name, nparams, params, lengths, formats,
				   result_format);
	}
	request_note(conn, r);
	return r;
}

/*
 * Sends a statement prepared once per connection without waiting for its result (text
 * parameters, text result); db_receive() and db_received() take the result. 0, or -1 with
 * *err.
 */
int db_send(PGconn *conn, const char *what, const char *sql, int nparams,
	    const char *const *params, char **err)
{
	struct stmt *st = stmt_find(conn, sql);
	if (st == NULL) {
		PGresult *failed = NULL;
		st = stmt_new(conn, sql, nparams, &failed);
		if (st == NULL) {
			request_note(conn, failed);
			*err = xasprintf("%s: %s", what, str_trim(PQresultErrorMessage(failed)));
			PQclear(failed);
			return -1;
		}
	}
	if (PQsendQueryPrepared(conn, st->name, nparams, params, NULL, NULL, 0) == 0) {
		*err = xasprintf("%s: %s", what, str_trim(PQerrorMessage(conn)));
		return -1;
	}
	return 0;
}

/* What db_send() sent, as it came: to be given to db_received(). */
PGresult *db_receive(PGconn *conn)
{
	PGresult *r = PQgetResult(conn);
	for (PGresult *more; (more = PQgetResult(conn)) != NULL;)
		PQclear(more);		/* one statement: nothing more is expected */
	if (r == NULL)
		r = PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
	return r;
}

/*
 * Checks a result db_receive() took, on the thread that sent it, with the same sql and params
 * (kept by the caller): a statement the server forgot is run again at once, as db_query()
 * would. The result, or NULL with *err (English) as db_run() gives it.
 */
PGresult *db_received(PGconn *conn, PGresult *r, const char *what, const char *sql,
		      int nparams, const char *const *params, char **err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (state && strcmp(state, "26000") == 0 && PQtransactionStatus(conn) == PQTRANS_IDLE) {
		PQclear(r);
		return db_run(conn, what, sql, nparams, params, err);
	}
	request_note(conn, r);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		char *msg = PQresultErrorMessage(r);
		*err = xasprintf("%s: %s", what, str_trim(msg[0] ? msg : PQerrorMessage(conn)));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Takes and drops what db_send() sent, when its result is no longer wanted. */
void db_discard(PGconn *conn)
{
	for (PGresult *r; (r = PQgetResult(conn)) != NULL;)
		PQclear(r);
}

/* Runs a statement prepared once per connection. */
PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		   const int *lengths, const int *formats)
{
	return query(conn, sql, nparams, params, lengths, formats, 0);
}

/* As db_query, the result in binary format. */
PGresult *db_query_binary(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	return query(conn, sql, nparams, params, NULL, NULL, 1);
}

/* Runs a statement that must succeed. */
PGresult *db_run(PGconn *conn, const char *what, const char *sql, int nparams,
		 const char *const *params, char **err)
{
	PGresult *r = db_query(conn, sql, nparams, params, NULL, NULL);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		*err = xasprintf("%s: %s", what, str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Runs parameterless SQL text that must succeed. */
int db_command(PGconn *conn, const char *what, const char *sql, char **err)
{
	PGresult *r = PQexec(conn, sql);
	request_note(conn, r);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		*err = xasprintf("%s: %s", what, r ? str_trim(PQresultErrorMessage(r))
						  : str_trim(PQerrorMessage(conn)));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Runs fn inside a transaction that is always ended. */
int db_tx(PGconn *conn, db_tx_fn fn, void *arg, char **err)
{
	if (db_command(conn, "BEGIN", "BEGIN", err) != 0)
		return DB_TX_FAILED;
	int rc = fn(conn, arg, err);
	if (rc == 0) {
		/* A transaction that failed answers COMMIT with "ROLLBACK": not a commit. */
		PGresult *r = PQexec(conn, "COMMIT");
		request_note(conn, r);
		bool committed = PQresultStatus(r) == PGRES_COMMAND_OK &&
				 strcmp(PQcmdStatus(r), "COMMIT") == 0;
		if (!committed)
			*err = xasprintf("COMMIT: %s", r && PQresultErrorMessage(r)[0] ?
					 str_trim(PQresultErrorMessage(r)) :
					 "the transaction had failed and was rolled back");
		PQclear(r);
		if (committed)
			return 0;
		rc = DB_TX_FAILED;
	}
	if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(conn, "ROLLBACK");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)	/* db_conn closes it if still open */
			log_warn("db", "rollback failed: %s", r ? str_trim(PQresultErrorMessage(r))
								 : "no result");
		PQclear(r);
	}
	return rc;
}
