/* What baocaoctl's commands share: the database connection, input files, transactions, tables
 * printed for people, the audit entry and the announcement of changes, files written whole. */
#include "ctl.h"
#include "audit.h"
#include "db.h"
#include "notify.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Connects with conninfo as the system user name (its effective uid and gid, which peer
 * authentication sees), then becomes root again; NULL after printing why not. */
PGconn *ctl_connect_as(const char *user, const char *conninfo, const char *time_zone)
{
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "error: there is no system user '%s'%s\n", user,
			strcmp(user, "postgres") == 0
			? "; install PostgreSQL (apt-get install postgresql) or name a server's "
			  "admin connection with --pg-admin"
			: "; reinstall the baocao package (it creates the user) or create it: "
			  "adduser --system --group baocao");
		return NULL;
	}
	if (setegid(pw->pw_gid) != 0 || seteuid(pw->pw_uid) != 0) {
		fprintf(stderr, "error: cannot act as the user %s: %s\n", user, strerror(errno));
		if (seteuid(0) != 0 || setegid(0) != 0)
			abort();
		return NULL;
	}
	char *err = NULL;
	PGconn *db = db_connect_once(conninfo, time_zone, &err);
	/* Root again: nothing may run as the other user past this point. */
	if (seteuid(0) != 0 || setegid(0) != 0)
		abort();
	if (db == NULL) {
		char *shown = db_conninfo_shown(conninfo);
		fprintf(stderr, "error: cannot connect to PostgreSQL as %s (%s): %s\n", user,
			shown, err);
		free(shown);
		free(err);
	}
	return db;
}

/* Whether baocaoctl acts towards PostgreSQL as server.user: when run as root and a user other
 * than root is set. */
bool ctl_acts_as_user(const struct ctl *ctl)
{
	const char *user = ctl->cfg.user;
	return geteuid() == 0 && user != NULL && *user != '\0' && strcmp(user, "root") != 0;
}

/* Becomes [server] user for good when run as root (see ctl.h); true when done or not needed. */
bool ctl_become_user(struct ctl *ctl)
{
	if (!ctl_acts_as_user(ctl))
		return true;
	struct passwd *pw = getpwnam(ctl->cfg.user);
	if (pw == NULL) {
		fprintf(stderr, "error: [server] user: there is no system user '%s'; create it or "
			"name another in %s\n", ctl->cfg.user, ctl->config_path);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "error: cannot become the user %s: %s\n", pw->pw_name,
			strerror(errno));
		return false;
	}
	if (setuid(0) == 0)
		abort();	/* root regained: never go on */
	printf("running as %s, the [server] user of %s\n", pw->pw_name, ctl->config_path);
	return true;
}

/* Opens the database connection on first use. As root it connects as server.user, the
 * daemon's own identity, so that `sudo baocaoctl ...` passes PostgreSQL's peer authentication
 * as the daemon does. */
PGconn *ctl_db(struct ctl *ctl)
{
	if (ctl->db)
		return ctl->db;
	if (ctl_acts_as_user(ctl)) {
		ctl->db = ctl_connect_as(ctl->cfg.user, ctl->cfg.conninfo, ctl->cfg.time_zone);
		if (ctl->db == NULL)
			fprintf(stderr, "  check [database] conninfo and [server] user in %s and that "
				"PostgreSQL is running\n", ctl->config_path);
		return ctl->db;
	}
	char *err = NULL;
	ctl->db = db_connect_once(ctl->cfg.conninfo, ctl->cfg.time_zone, &err);
	if (ctl->db == NULL) {
		fprintf(stderr, "error: cannot connect to the database: %s\n"
			"  check [database] conninfo in %s and that PostgreSQL is running\n",
			err, ctl->config_path);
		free(err);
	}
	return ctl->db;
}

/* Reads an input file and opens the database. */
int ctl_load_input(struct ctl *ctl, const char *path, size_t max, char **data, size_t *len,
		   PGconn **db)
{
	if (file_read_all(path, max, data, len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return CTL_USER;
	}
	*db = ctl_db(ctl);
	if (*db == NULL) {
		free(*data);
		*data = NULL;
		return CTL_USER;
	}
	return CTL_OK;
}

/* Runs a statement and prints its error. */
PGresult *ctl_query(PGconn *db, const char *sql, int n, const char *const *params)
{
	char *err = NULL;
	PGresult *r = db_run(db, "error", sql, n, params, &err);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
	}
	return r;
}

/* Whether id is a row ID (1 to 18 digits); otherwise says so, naming the command that lists
 * the IDs of that kind of row. */
bool ctl_id_valid(const char *id, const char *kind, const char *lister)
{
	size_t n = strlen(id);
	if (n > 0 && n <= 18 && strspn(id, "0123456789") == n)
		return true;
	fprintf(stderr, "error: '%s' is not a %s ID; the IDs are the numbers that %s shows\n", id,
		kind, lister);
	return false;
}

/* Starts a transaction, printing why it cannot. */
bool ctl_begin(PGconn *db)
{
	char *err = NULL;
	if (db_command(db, "error: BEGIN", "BEGIN", &err) == 0)
		return true;
	fprintf(stderr, "%s\n", err);
	free(err);
	return false;
}

/* Ends the current transaction: COMMIT when ok, ROLLBACK otherwise. */
int ctl_finish(PGconn *db, bool ok, int fail_code)
{
	char *err = NULL;
	if (db_command(db, ok ? "error: commit failed" : "error: rollback failed",
		       ok ? "COMMIT" : "ROLLBACK", &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return ok ? CTL_INTERNAL : fail_code;
	}
	return ok ? CTL_OK : fail_code;
}

/* Prints one row, each column as wide as its widest cell (characters, not bytes). */
static void table_row(const char *const *cells, const size_t *widths, int ncols)
{
	for (int c = 0; c < ncols; c++) {
		fputs(cells[c], stdout);
		for (size_t w = utf8_length(cells[c]); c < ncols - 1 && w < widths[c] + 2; w++)
			putchar(' ');
	}
	putchar('\n');
}

/* Prints a header and the first ncols columns of every row of r, aligned; clears r. */
int ctl_print_table(const char *const *header, int ncols, PGresult *r)
{
	size_t *widths = xcalloc((size_t)ncols, sizeof *widths);
	for (int c = 0; c < ncols; c++) {
		widths[c] = utf8_length(header[c]);
		for (int i = 0; i < PQntuples(r); i++)
			if (utf8_length(PQgetvalue(r, i, c)) > widths[c])
				widths[c] = utf8_length(PQgetvalue(r, i, c));
	}
	table_row(header, widths, ncols);
	const char **cells = xcalloc((size_t)ncols, sizeof *cells);
	for (int i = 0; i < PQntuples(r); i++) {
		for (int c = 0; c < ncols; c++)
			cells[c] = PQgetvalue(r, i, c);
		table_row(cells, widths, ncols);
	}
	free(cells);
	free(widths);
	PQclear(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "error: cannot write the list: %s\n", strerror(errno));
		return CTL_INTERNAL;
	}
	return CTL_OK;
}

/* Writes one audit entry for the person running baocaoctl. */
bool ctl_audit(PGconn *db, const char *action, const char *object_type, const char *object_id,
	       const char *detail_json)
{
	char *err = NULL;
	struct audit_entry e = { 0, ctl_actor(), action, object_type, object_id, detail_json, NULL };
	if (audit_write(db, &e, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return false;
	}
	return true;
}

/* Writes all bytes to a descriptor; returns 0 or -1 with errno set. */
static int write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Announces a change that may move due times to running daemons. */
void ctl_announce(struct ctl *ctl)
{
	char *err = NULL;
	if (ctl->db != NULL && notify_announce(ctl->db, &err) != 0) {
		fprintf(stderr, "warning: running daemons were not told at once (%s); they plan "
			"their jobs again within a minute\n", err);
		free(err);
	}
}

/*
 * Writes bytes to a file ("-" for standard output); returns 0 or -1 with errno set. A file
 * this command created and could not write whole is removed; an existing file (or device) is
 * never removed.
 */
int ctl_write_file(const char *path, const unsigned char *data, size_t len)
{
	if (strcmp(path, "-") == 0)
		return write_all(STDOUT_FILENO, data, len);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	bool created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);	/* never through a planted link */
	if (fd < 0)
		return -1;
	int rc = write_all(fd, data, len);
	int saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0 && created && unlink(path) != 0)
		fprintf(stderr, "warning: cannot remove the incomplete %s: %s\n", path,
			strerror(errno));
	errno = saved;
	return rc;
}

/* Who is acting, for the audit log. */
const char *ctl_actor(void)
{
	static char actor[96];
	const char *user = getenv("SUDO_USER");
	if (user == NULL)
		user = getenv("USER");
	snprintf(actor, sizeof actor, "baocaoctl (%s)", user ? user : "unknown");
	return actor;
}
