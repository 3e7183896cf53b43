/* Database connections: one per worker, re-established with backoff, failures logged once. */
#ifndef BAOCAO_DB_H
#define BAOCAO_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

struct db;

/* A connection holder for one thread; it connects lazily. */
struct db *db_new(const char *conninfo, const char *time_zone);
void db_free(struct db *db);
/*
 * A usable connection, connecting or reconnecting if needed; NULL while the database is
 * unavailable (a new attempt is made only after the backoff delay). The server must accept
 * writes: target_session_attrs=read-write unless the conninfo says otherwise (with several
 * hosts, the primary is found after a failover), and a connection whose server has turned
 * read-only is replaced.
 */
PGconn *db_conn(struct db *db);
/* Tells the holder that a statement failed; a broken connection, or one to a server that
 * refused a write as read-only (SQLSTATE 25006), is marked lost and closed by the next
 * db_conn() (a PGconn the caller still holds stays valid until then). */
void db_check_failure(struct db *db, const PGresult *res);
/* Forgets the holder's backoff: its next db_conn() tries at once. For work that paces its own
 * retries (recurring.c): its attempts while the database is away must not make the next
 * request on this worker wait out a delay after the database is back. */
void db_backoff_clear(struct db *db);
/* Whether the last failure was a lost or refused connection (vs. an SQL error). */
bool db_connection_lost(struct db *db);
/* The latest connection error text, for logs. */
const char *db_last_error(struct db *db);
/* Whether any connection has reported the database as unavailable and none has recovered. */
bool db_is_down(void);

/* Runs a statement with text parameters; returns the result or NULL on failure (logged). */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params);
/* Whether a result is a success (command ok or tuples ok). */
bool db_ok(const PGresult *res);

/* The connection string as logs may show it: host, port, database and user only, never the
 * password or other settings. A new string. */
char *db_conninfo_shown(const char *conninfo);
/* Opens a connection for a one-off tool (baocaoctl); prints nothing. On failure *err holds
 * libpq's message with the password masked. */
PGconn *db_connect_once(const char *conninfo, const char *time_zone, char **err);


/*
 * Runs a statement as a prepared statement of this connection, preparing it on first use.
 * The statement's text is the key of a per-thread cache (compared whole, copied when cached):
 * the same text anywhere is one statement, and different texts never share one. lengths and
 * formats may be NULL (all text). Returns the result, to be checked and cleared by the
 * caller, as PQexecParams does.
 */
PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		   const int *lengths, const int *formats);

/* db_query with text parameters and the result in binary format (for bytea columns). */
PGresult *db_query_binary(PGconn *conn, const char *sql, int nparams, const char *const *params);

/*
 * db_query for statements that must succeed: returns the result, or NULL with *err set to
 * "<what>: <PostgreSQL's message>" (the failed result is cleared).
 */
PGresult *db_run(PGconn *conn, const char *what, const char *sql, int nparams,
		 const char *const *params, char **err);
/*
 * A statement sent ahead, to overlap the server's work with the caller's: db_send() sends it
 * (as db_run() would run it); db_receive() waits for its result and reads it whole, and may
 * run on another thread while the sender leaves the connection alone; db_received(), on the
 * sender's thread, checks it with the same sql and params (kept alive meanwhile) and gives it
 * as db_run() would. db_discard() drops a result unread. Nothing else may run on the
 * connection in between.
 */
int db_send(PGconn *conn, const char *what, const char *sql, int nparams,
	    const char *const *params, char **err);
PGresult *db_receive(PGconn *conn);
PGresult *db_received(PGconn *conn, PGresult *r, const char *what, const char *sql,
		      int nparams, const char *const *params, char **err);
void db_discard(PGconn *conn);
/*
 * Runs SQL text without parameters (one or several statements, e.g. a migration file) that
 * must succeed; returns 0, or -1 with *err set to "<what>: <message>".
 */
int db_command(PGconn *conn, const char *what, const char *sql, char **err);

/* The body of a transaction: returns 0 to commit, anything else to roll back. */
typedef int (*db_tx_fn)(PGconn *conn, void *arg, char **err);
/* What db_tx returns when BEGIN or COMMIT itself failed. */
#define DB_TX_FAILED (-1)
/*
 * Runs fn between BEGIN and COMMIT and always ends the transaction: a non-zero result of fn
 * rolls back and is returned as it is; DB_TX_FAILED (with *err) when BEGIN or COMMIT failed.
 * 0 means committed.
 */
int db_tx(PGconn *conn, db_tx_fn fn, void *arg, char **err);

/*
 * Per request on a worker thread: db_request_start() forgets the previous request, and
 * db_request_retryable() says whether this one found its connection broken before any of its
 * statements succeeded (so running it again on a new connection changes nothing twice).
 */
void db_request_start(void);
bool db_request_retryable(void);

#endif
