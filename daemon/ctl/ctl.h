/* baocaoctl: the admin tool's shared state and one entry point per command. */
#ifndef BAOCAO_CTL_H
#define BAOCAO_CTL_H

#include "config.h"

#include <libpq-fe.h>
#include <stdbool.h>

/* Exit codes: success, a mistake the user can correct, an internal failure. */
enum { CTL_OK = 0, CTL_USER = 1, CTL_INTERNAL = 2 };

struct ctl {
	const char *config_path;
	struct config cfg;
	PGconn *db;		/* opened on first use by ctl_db() */
};

/* Who is acting, for the audit log: "baocaoctl (user)". */
const char *ctl_actor(void);
/*
 * Reads an input file of at most max bytes and opens the database, printing what went wrong;
 * returns CTL_OK (free *data) or CTL_USER.
 */
int ctl_load_input(struct ctl *ctl, const char *path, size_t max, char **data, size_t *len,
		   PGconn **db);
/* Connects with conninfo as the system user (its effective uid and gid, which peer
 * authentication sees), then becomes root again; NULL after printing why not. Root only. */
PGconn *ctl_connect_as(const char *user, const char *conninfo, const char *time_zone);
/* Whether baocaoctl connects to PostgreSQL as server.user: run as root, with a user set. */
bool ctl_acts_as_user(const struct ctl *ctl);
/* Run as root with a user set, becomes that user for the rest of the run (every file then
 * read and written as that user, who owns data_dir and the backups): for the commands that
 * handle files in folders that user may change. Prints why not and returns false on failure. */
bool ctl_become_user(struct ctl *ctl);
/* The database connection of the configuration (as server.user when run as root); NULL after
 * printing why it failed. */
PGconn *ctl_db(struct ctl *ctl);
/* Runs a statement (in the current transaction, if any); prints the error and returns NULL
 * on failure. */
PGresult *ctl_query(PGconn *db, const char *sql, int n, const char *const *params);
/* Commits, or rolls back when ok is false; returns CTL_OK, fail_code, or CTL_INTERNAL when
 * the commit fails (printed). */
/* Prints a header and the first ncols columns of every row of r, aligned as a table; clears
 * r. CTL_OK, or CTL_INTERNAL when stdout cannot be written. */
int ctl_print_table(const char *const *header, int ncols, PGresult *r);
/* Whether id is a row ID; false after saying that lister shows the IDs of that kind. */
bool ctl_id_valid(const char *id, const char *kind, const char *lister);
/* Writes bytes to a file ("-" for standard output); 0 or -1 with errno set. A file this
 * created and could not write whole is removed; an existing one is never removed. */
int ctl_write_file(const char *path, const unsigned char *data, size_t len);
/* Tells running daemons that due times may have moved (they plan their jobs again at once);
 * a failure is only a warning: they plan every minute anyway. */
void ctl_announce(struct ctl *ctl);
/* Starts a transaction; false after printing why it cannot. */
bool ctl_begin(PGconn *db);
int ctl_finish(PGconn *db, bool ok, int fail_code);
struct keys;
/* Loads the server's keys from data_dir (as root, key files it creates go to server.user);
 * CTL_OK, or an exit code after printing why not. */
int ctl_load_keys(struct ctl *ctl, struct keys *k);
/* Writes an audit entry by ctl_actor() in the current transaction; false after printing why
 * not. detail_json may be NULL. */
bool ctl_audit(PGconn *db, const char *action, const char *object_type, const char *object_id,
	       const char *detail_json);

/* Commands: argv[0] is the command's own name. Each returns one of the exit codes. */
int ctl_migrate(struct ctl *ctl, int argc, char **argv);
int ctl_import(struct ctl *ctl, int argc, char **argv);
int ctl_account(struct ctl *ctl, int argc, char **argv);
int ctl_token(struct ctl *ctl, int argc, char **argv);
int ctl_outbox(struct ctl *ctl, int argc, char **argv);
/* "unit webhook-secret CODE [--generate]": sets a unit's webhook secret. */
int ctl_unit(struct ctl *ctl, int argc, char **argv);
int ctl_jobs(struct ctl *ctl, int argc, char **argv);
int ctl_xlsx(struct ctl *ctl, int argc, char **argv);
int ctl_series(struct ctl *ctl, int argc, char **argv);
int ctl_receipt(struct ctl *ctl, int argc, char **argv);
int ctl_setup(struct ctl *ctl, int argc, char **argv);
int ctl_backup(struct ctl *ctl, int argc, char **argv);
int ctl_restore(struct ctl *ctl, int argc, char **argv);
/* "pdf check FILE.pdf": the digital signatures of a PDF (reads the configuration itself, for
 * trusted_roots, unless given --trusted-roots). */
int ctl_pdf(struct ctl *ctl, int argc, char **argv);
/* Sets "key = value" in [section] of the configuration file at path, keeping every other
 * line (atomically, with the file's mode and owner); 0, or -1 after printing why. */
int ctl_conffile_set(const char *path, const char *section, const char *key,
		     const char *value);
/* Copies the series of the configuration into the database; quiet prints only errors. */
int ctl_series_sync(struct ctl *ctl, bool quiet);
/* Creates and refreshes the periods of every series (periods_sync). */
int ctl_periods_sync(struct ctl *ctl);
struct series_list;
struct series_def;
/* The series in the database; NULL after printing why not. */
const struct series_list *ctl_series_list(struct ctl *ctl);
/* A series of the database by name; NULL after printing the known ones. */
const struct series_def *ctl_find_series(struct ctl *ctl, const char *name);
int ctl_period(struct ctl *ctl, int argc, char **argv);
int ctl_calendar(struct ctl *ctl, int argc, char **argv);
int ctl_tasks(struct ctl *ctl, int argc, char **argv);
int ctl_template(struct ctl *ctl, int argc, char **argv);
int ctl_consolidate(struct ctl *ctl, int argc, char **argv);
/* "import tasks SERIES FILE" and "import aliases FILE" (argv[0] is "tasks" or "aliases"). */
int ctl_import_tasks(struct ctl *ctl, int argc, char **argv);
int ctl_import_aliases(struct ctl *ctl, int argc, char **argv);
/* "import calendar FILE.csv" (argv[0] is "calendar"). */
int ctl_import_calendar(struct ctl *ctl, int argc, char **argv);

#endif
