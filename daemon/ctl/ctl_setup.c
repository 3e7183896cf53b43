/*
 * baocaoctl setup: makes a configured service from a fresh install. With PostgreSQL on the
 * same machine it creates the role and the database (connected as "postgres" through peer
 * authentication), writes the connection into the configuration, migrates, optionally loads
 * an example, and creates the first administrator. Running it again changes nothing.
 */
#include "ctl.h"
#include "accounts.h"
#include "auth.h"
#include "db.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where Debian's PostgreSQL listens; the package's configuration names it too. */
#define SETUP_PG_SOCKET "/var/run/postgresql"
/* The installed example data (dh_installexamples). */
#define SETUP_EXAMPLES_DIR "/usr/share/doc/baocao/examples"

struct setup_opts {
	const char *example, *admin, *admin_unit, *admin_email, *pg_admin, *role, *database;
};

/* Whether the query with one parameter returns a row; -1 after printing the error. */
static int exists(PGconn *db, const char *sql, const char *param)
{
	PGresult *r = ctl_query(db, sql, 1, &param);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

/* Runs "VERB <identifier> rest" (names cannot be bound as parameters); false after printing
 * the error. */
static bool run_ident(PGconn *db, const char *verb, const char *name, const char *rest)
{
	char *id = PQescapeIdentifier(db, name, strlen(name));
	if (id == NULL) {
		fprintf(stderr, "error: %s", PQerrorMessage(db));
		return false;
	}
	char *sql = xasprintf("%s %s %s", verb, id, rest);
	PQfreemem(id);
	PGresult *r = ctl_query(db, sql, 0, NULL);
	free(sql);
	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

/* Creates the role and the database it owns unless they exist. */
static int make_role_and_database(PGconn *admin, const struct setup_opts *o)
{
	int e = exists(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", o->role);
	if (e < 0)
		return CTL_INTERNAL;
	if (e) {
		printf("role %s exists\n", o->role);
	} else {
		if (!run_ident(admin, "CREATE ROLE", o->role, "LOGIN"))
			return CTL_INTERNAL;
		printf("created the role %s\n", o->role);
	}
	e = exists(admin, "SELECT 1 FROM pg_database WHERE datname = $1", o->database);
	if (e < 0)
		return CTL_INTERNAL;
	if (e) {
		printf("database %s exists\n", o->database);
		return CTL_OK;
	}
	char *id = PQescapeIdentifier(admin, o->role, strlen(o->role));
	if (id == NULL) {
		fprintf(stderr, "error: %s", PQerrorMessage(admin));
		return CTL_INTERNAL;
	}
	char *rest = xasprintf("OWNER %s ENCODING 'UTF8' TEMPLATE template0", id);
	PQfreemem(id);
	bool ok = run_ident(admin, "CREATE DATABASE", o->database, rest);
	free(rest);
	if (!ok)
		return CTL_INTERNAL;
	printf("created the database %s (owner %s)\n", o->database, o->role);
	return CTL_OK;
}

/* Sets a key of the configuration file unless it has that value already, then reads the
 * file again. */
static int set_key(struct ctl *ctl, const char *section, const char *key, const char *value,
		   const char *now)
{
	if (strcmp(now, value) == 0) {
		printf("%s: [%s] %s is set already\n", ctl->config_path, section, key);
		return CTL_OK;
	}
	if (ctl_conffile_set(ctl->config_path, section, key, value) != 0)
		return CTL_USER;
	printf("%s: [%s] %s = %s\n", ctl->config_path, section, key, value);
	config_free(&ctl->cfg);
	char *err = NULL;
	if (config_load(ctl->config_path, &ctl->cfg, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_USER;
	}
	return CTL_OK;
}

/* The folder of the example data: the installed one, or config/ of the checkout this
 * baocaoctl was built in. NULL after saying where it looked. */
static char *examples_dir(void)
{
	const char *probe = "ha-tinh-units.csv";
	char *p = xasprintf("%s/%s", SETUP_EXAMPLES_DIR, probe);
	bool found = access(p, R_OK) == 0;
	free(p);
	if (found)
		return xstrdup(SETUP_EXAMPLES_DIR);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (char *dir = dirname(exe); strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0;
		     dir = dirname(dir)) {
			p = xasprintf("%s/config/%s", dir, probe);
			found = access(p, R_OK) == 0;
			free(p);
			if (found)
				return xasprintf("%s/config", dir);
		}
	}
	fprintf(stderr, "error: the example data is not in %s (nor in a checkout's config/); "
		"reinstall the baocao package\n", SETUP_EXAMPLES_DIR);
	return NULL;
}

/* Copies a file unless the target exists; 0, or -1 after printing why. */
static int copy_new(const char *from, const char *to)
{
	if (access(to, F_OK) == 0)
		return 0;
	char *data;
	size_t len;
	if (file_read_all(from, 1024 * 1024, &data, &len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", from, strerror(errno));
		return -1;
	}
	int rc = ctl_write_file(to, (const unsigned char *)data, len);
	free(data);
	if (rc != 0 || chmod(to, 0644) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", to, strerror(errno));
		return -1;
	}
	printf("wrote %s\n", to);
	return 0;
}

/* Runs a ctl command with the arguments given (argv[0] first, NULL-terminated). */
static int run(struct ctl *ctl, int (*fn)(struct ctl *, int, char **), char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	optind = 0;	/* the command parses its own options with getopt */
	return fn(ctl, argc, argv);
}

/* Loads the Hà Tĩnh example (series, units, calendar, aliases, tasks) into an empty
 * database; a database with units keeps them and gets nothing. */
static int load_example(struct ctl *ctl, PGconn *db, const struct setup_opts *o)
{
	if (strcmp(o->example, "ha-tinh") != 0) {
		fprintf(stderr, "error: unknown example '%s'; the one there is: ha-tinh\n",
			o->example);
		return CTL_USER;
	}
	int e = exists(db, "SELECT 1 FROM unit LIMIT $1", "1");
	if (e < 0)
		return CTL_INTERNAL;
	if (e) {
		printf("the database has units already: the example is not loaded again\n");
		return CTL_OK;
	}
	char *dir = examples_dir();
	if (dir == NULL)
		return CTL_USER;
	int rc = CTL_OK;
	if (ctl->cfg.series_file[0] == '\0') {
		char *conf = xstrdup(ctl->config_path);
		char *series = xasprintf("%s/series.conf", dirname(conf));
		char *from = xasprintf("%s/series.conf", dir);
		if (copy_new(from, series) != 0)
			rc = CTL_USER;
		if (rc == CTL_OK)
			rc = set_key(ctl, "server", "series_file", series, ctl->cfg.series_file);
		free(from);
		free(series);
		free(conf);
	}
	char *units = xasprintf("%s/ha-tinh-units.csv", dir);
	char *calendar = xasprintf("%s/vn-calendar-2026.csv", dir);
	char *aliases = xasprintf("%s/unit-aliases.csv", dir);
	char *t282 = xasprintf("%s/tasks-282-khubnd.csv", dir);
	char *t57 = xasprintf("%s/tasks-nq57-weekly.csv", dir);
	char *steps[][7] = {
		{ "import", "units", units, NULL },
		{ "import", "calendar", calendar, NULL },
		{ "import", "aliases", aliases, NULL },
		{ "import", "tasks", "ngoai-vu-282-yearly", t282, "--source", "282/KH-UBND", NULL },
		{ "import", "tasks", "nq57-weekly", t57, "--source", "Thông báo số 15-TB/BCĐ",
		  NULL },
	};
	for (size_t i = 0; rc == CTL_OK && i < sizeof steps / sizeof steps[0]; i++)
		rc = run(ctl, ctl_import, steps[i]);
	free(units);
	free(calendar);
	free(aliases);
	free(t282);
	free(t57);
	free(dir);
	if (rc != CTL_OK)
		fprintf(stderr, "error: the example was not loaded whole; correct the above and "
			"run baocaoctl setup again\n");
	return rc;
}

/* Creates the first administrator with a generated password, shown once; an existing
 * account keeps its password. */
static int make_admin(struct ctl *ctl, PGconn *db, const struct setup_opts *o)
{
	int e = exists(db, "SELECT 1 FROM account WHERE login = $1", o->admin);
	if (e < 0)
		return CTL_INTERNAL;
	if (e) {
		printf("account %s exists; its password is unchanged (a new one: baocaoctl "
		       "account passwd --login %s)\n", o->admin, o->admin);
		return CTL_OK;
	}
	char *password = auth_password_generate();
	char *hash = password ? auth_password_hash(password) : NULL;
	if (hash == NULL) {
		fprintf(stderr, "error: cannot make a password (out of memory)\n");
		free(password);
		return CTL_INTERNAL;
	}
	char *email = o->admin_email ? xstrdup(o->admin_email)
				     : xasprintf("%s@localhost", o->admin);
	struct accounts_new a = { o->admin, "Quản trị hệ thống", email, o->admin_unit, "admin",
				  hash };
	struct audit_who who = { 0, ctl_actor(), NULL };
	char *err = NULL;
	int rc = CTL_OK;
	if (!ctl_begin(db)) {
		rc = CTL_INTERNAL;
	} else {
		enum accounts_result res = accounts_create(db, &a, &who, &err);
		rc = ctl_finish(db, res == ACCOUNTS_OK,
				res == ACCOUNTS_NO_UNIT ? CTL_USER : CTL_INTERNAL);
		if (res == ACCOUNTS_NO_UNIT)
			fprintf(stderr, "error: no unit with code '%s' for the administrator; "
				"import your units (baocaoctl import units FILE.csv) and run setup "
				"again with --admin-unit CODE, or load the example (--example "
				"ha-tinh)\n", o->admin_unit);
		else if (res != ACCOUNTS_OK)
			fprintf(stderr, "error: cannot create the account %s: %s\n", o->admin,
				err ? err : "see above");
	}
	if (rc == CTL_OK)
		printf("created the administrator %s (unit %s, %s)\npassword: %s\n"
		       "(shown only this once; keep it safe)\n", o->admin, o->admin_unit, email,
		       password);
	free(err);
	free(email);
	free(hash);
	free(password);
	return rc;
}

/* A role or database name that needs no quoting anywhere: [a-z_][a-z0-9_]*, at most 63. */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Reads the options; CTL_OK or CTL_USER after printing the usage. */
static int parse(int argc, char **argv, struct setup_opts *o)
{
	static const struct option longopts[] = {
		{ "example", required_argument, NULL, 'x' },
		{ "admin", required_argument, NULL, 'a' },
		{ "admin-unit", required_argument, NULL, 'u' },
		{ "admin-email", required_argument, NULL, 'e' },
		{ "pg-admin", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "database", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct setup_opts){ NULL, "quantri", "VPUBND", NULL, NULL, "baocao", "baocao" };
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'x': o->example = optarg; break;
		case 'a': o->admin = optarg; break;
		case 'u': o->admin_unit = optarg; break;
		case 'e': o->admin_email = optarg; break;
		case 'p': o->pg_admin = optarg; break;
		case 'r': o->role = optarg; break;
		case 'd': o->database = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	/* The names go into a connection string and the configuration as they are: plain ones
	 * only. */
	if (!plain_name(o->role) || !plain_name(o->database)) {
		fprintf(stderr, "error: --role and --database take a name of lower-case letters, "
			"digits and '_' (at most 63), such as baocao\n");
		return CTL_USER;
	}
	if (!o->pg_admin && (strcmp(o->role, "baocao") != 0)) {
		fprintf(stderr, "error: --role needs --pg-admin: peer authentication lets only "
			"the system user baocao in as the role baocao\n");
		return CTL_USER;
	}
	return CTL_OK;
usage:
	fprintf(stderr, "usage: baocaoctl setup [--example ha-tinh] [--admin LOGIN] "
		"[--admin-unit CODE] [--admin-email E]\n"
		"                       [--pg-admin CONNINFO [--role R] [--database D]]\n");
	return CTL_USER;
}

/* The value of one setting the connection was made with (as given: every host of a list),
 * or NULL; a new string. */
static char *conn_setting(PGconn *conn, const char *key)
{
	PQconninfoOption *opts = PQconninfo(conn);
	char *val = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, key) == 0 && o->val && o->val[0])
			val = xstrdup(o->val);
	PQconninfoFree(opts);
	return val;
}

/* The daemon's conninfo for the server admin is connected to: its socket folder or host
 * (with a port other than 5432); or, when --pg-admin listed several hosts (a primary and
 * its standbys), all of them with their ports and target_session_attrs, so that the daemon
 * finds the primary after a failover. A new string. */
static char *setup_conninfo(PGconn *admin, const struct setup_opts *o)
{
	char *hosts = conn_setting(admin, "host");
	if (hosts && strchr(hosts, ',')) {
		char *ports = conn_setting(admin, "port");
		char *attrs = conn_setting(admin, "target_session_attrs");
		char *c = xasprintf("host=%s%s%s target_session_attrs=%s dbname=%s user=%s", hosts,
				    ports ? " port=" : "", ports ? ports : "",
				    attrs ? attrs : "read-write", o->database, o->role);
		free(hosts);
		free(ports);
		free(attrs);
		return c;
	}
	free(hosts);
	const char *host = PQhost(admin), *port = PQport(admin);
	return xasprintf("host=%s%s%s dbname=%s user=%s", host ? host : SETUP_PG_SOCKET,
			 port && strcmp(port, "5432") != 0 ? " port=" : "",
			 port && strcmp(port, "5432") != 0 ? port : "", o->database, o->role);
}

/* baocaoctl setup */
int ctl_setup(struct ctl *ctl, int argc, char **argv)
{
	struct setup_opts o;
	if (parse(argc, argv, &o) != CTL_OK)
		return CTL_USER;
	if (!o.pg_admin && geteuid() != 0) {
		fprintf(stderr, "error: baocaoctl setup must run as root (sudo baocaoctl setup): "
			"it connects to PostgreSQL as the user postgres and writes %s\n",
			ctl->config_path);
		return CTL_USER;
	}
	/* As postgres over the local socket, in this process (the effective uid is what peer
	 * authentication sees): no shell, no quoting, libpq's own messages. */
	PGconn *admin = o.pg_admin ? NULL
		: ctl_connect_as("postgres", "host=" SETUP_PG_SOCKET " dbname=postgres",
			     ctl->cfg.time_zone);
	if (o.pg_admin) {
		char *err = NULL;
		admin = db_connect_once(o.pg_admin, ctl->cfg.time_zone, &err);
		if (admin == NULL) {
			fprintf(stderr, "error: cannot connect with --pg-admin: %s\n", err);
			free(err);
		}
	}
	if (admin == NULL) {
		fprintf(stderr, "  PostgreSQL must run on this machine (systemctl start "
			"postgresql)\n");
		return CTL_USER;
	}
	int rc = make_role_and_database(admin, &o);
	char *conninfo = setup_conninfo(admin, &o);
	PQfinish(admin);
	if (rc == CTL_OK)
		rc = set_key(ctl, "database", "conninfo", conninfo, ctl->cfg.conninfo);
	free(conninfo);
	if (rc != CTL_OK)
		return rc;
	if (!o.pg_admin) {
		ctl->db = ctl_connect_as("baocao", ctl->cfg.conninfo, ctl->cfg.time_zone);
		if (ctl->db == NULL)
			return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	rc = run(ctl, ctl_migrate, (char *[]){ "migrate", NULL });
	if (rc == CTL_OK && o.example)
		rc = load_example(ctl, db, &o);
	if (rc == CTL_OK)
		rc = make_admin(ctl, db, &o);
	if (rc != CTL_OK)
		return rc;
	printf("\nbaocao is set up. Next:\n"
	       "  1. read %s (public_url, mail, cookie_secure behind HTTPS)\n"
	       "  2. systemctl enable --now baocaod\n"
	       "  3. put nginx in front for HTTPS (docs/operations.md)\n"
	       "  4. log in at %s as %s and add the accounts\n",
	       ctl->config_path, ctl->cfg.public_url, o.admin);
	return CTL_OK;
}
