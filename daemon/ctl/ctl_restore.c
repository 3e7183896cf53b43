/* baocaoctl restore: a backup folder checked against its manifest, restored into an empty
 * database with pg_restore, its keys put back into data_dir, then migrated forward. */
#include "ctl.h"
#include "ctl_archive.h"
#include "fileio.h"
#include "clock.h"
#include "json_parse.h"
#include "migrate.h"
#include "util.h"
#include "build_config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESTORE_USAGE "usage: baocaoctl restore DIR [--force] [--config-to FILE]"
#define MANIFEST_MAX (1 << 20)

/* What the manifest says, checked. */
struct restore {
	struct ctl *ctl;
	const char *dir;
	bool force;
	const char *config_to;
	long long schema_version;
	char baocao_version[64];
	bool has[8];		/* which of the known files the backup holds */
	bool dropped;		/* --force emptied the database */
	uid_t uid;		/* the keys' owner: server.user when run as root */
	gid_t gid;
};

/* The files a backup may hold, by the index of has[]. */
static const char *const known_files[] = { ARCHIVE_DUMP, ARCHIVE_CONFIG, "receipt.key",
					   "workbook.key", NULL };

/* Seconds since a monotonic start. */
static double since(long long start_ms)
{
	return (double)(clock_mono_ms() - start_ms) / 1000.0;
}

/* The index of a file name among known_files, or -1. */
static int known_index(const char *name)
{
	for (int i = 0; known_files[i]; i++)
		if (strcmp(known_files[i], name) == 0)
			return i;
	return -1;
}

/* Checks one file entry of the manifest against the file in the folder. */
static bool check_file(struct restore *rs, const struct jv *f)
{
	const char *name = jv_get_string(f, "name");
	const char *sha = jv_get_string(f, "sha256");
	const struct jv *size = jv_get(f, "size");
	int k = name ? known_index(name) : -1;
	if (k < 0 || sha == NULL || size == NULL || size->type != JV_NUMBER || !size->integral ||
	    rs->has[k]) {
		fprintf(stderr, "error: %s/%s: an entry of files that is not one of a backup's "
			"(%s); this manifest was not written by baocaoctl backup: use another "
			"backup\n", rs->dir, ARCHIVE_MANIFEST, name ? name : "no name");
		return false;
	}
	char *path = xasprintf("%s/%s", rs->dir, name);
	char hex[65];
	long long got;
	bool ok = false;
	if (ctl_file_sha256(path, hex, &got) != 0)
		fprintf(stderr, "error: %s is missing or unreadable (%s): the backup is "
			"incomplete; use another backup\n", path, strerror(errno));
	else if (size->number < 0 || size->number > 9007199254740992.0 ||
		 got != (long long)size->number)
		fprintf(stderr, "error: %s has %lld bytes, the manifest says %lld: the file is "
			"damaged; use another backup\n", path, got,
			size->number >= 0 && size->number <= 9007199254740992.0
			? (long long)size->number : -1LL);
	else if (strcmp(hex, sha) != 0)
		fprintf(stderr, "error: %s does not match its SHA-256 in the manifest: the file is "
			"damaged; use another backup\n", path);
	else
		ok = true;
	free(path);
	rs->has[k] = ok;
	return ok;
}

/* Reads and checks the manifest and every file it lists. */
static bool check_backup(struct restore *rs)
{
	size_t dlen = strlen(rs->dir);
	while (dlen > 1 && rs->dir[dlen - 1] == '/')
		dlen--;
	if (dlen >= strlen(ARCHIVE_PARTIAL) &&
	    strncmp(rs->dir + dlen - strlen(ARCHIVE_PARTIAL), ARCHIVE_PARTIAL,
		    strlen(ARCHIVE_PARTIAL)) == 0) {
		fprintf(stderr, "error: %s is a backup that did not finish (.partial); use a "
			"complete one (a folder named baocao-YYYYMMDDTHHMMSSZ)\n", rs->dir);
		return false;
	}
	char *path = xasprintf("%s/%s", rs->dir, ARCHIVE_MANIFEST);
	char *text = NULL;
	size_t len = 0;
	if (file_read_all(path, MANIFEST_MAX, &text, &len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n  a backup writes its manifest last: "
			"without one the backup is incomplete or this is not a backup folder; use "
			"another backup\n", path, strerror(errno));
		free(path);
		return false;
	}
	char *err = NULL;
	struct jv *m = jv_parse(text, len, &err);
	free(text);
	const struct jv *files = m ? jv_get(m, "files") : NULL;
	const struct jv *format = m ? jv_get(m, "format") : NULL;
	const struct jv *schema = m ? jv_get(m, "schema_version") : NULL;
	const char *version = m ? jv_get_string(m, "baocao_version") : NULL;
	if (m == NULL || files == NULL || files->type != JV_ARRAY || format == NULL ||
	    format->type != JV_NUMBER || schema == NULL || schema->type != JV_NUMBER ||
	    !schema->integral || schema->number < 0 || schema->number > 999 || version == NULL) {
		fprintf(stderr, "error: %s is not a backup's manifest%s%s; use another backup\n",
			path, err ? ": " : "", err ? err : "");
		free(err);
		jv_free(m);
		free(path);
		return false;
	}
	bool ok = true;
	if (format->number != ARCHIVE_FORMAT) {
		fprintf(stderr, "error: %s is of format %g; this baocao (%s) reads format %d: "
			"install the baocao that made the backup (%s) or a newer one\n", path,
			format->number, BAOCAO_VERSION, ARCHIVE_FORMAT, version);
		ok = false;
	}
	rs->schema_version = (long long)schema->number;
	snprintf(rs->baocao_version, sizeof rs->baocao_version, "%s", version);
	printf("checking %zu files of the backup made by baocao %s (schema version %lld, %s) ...\n",
	       files->len, version, rs->schema_version,
	       jv_get_string(m, "created_at") ? jv_get_string(m, "created_at") : "no time");
	for (size_t i = 0; ok && i < files->len; i++)
		ok = check_file(rs, &files->items[i]);
	if (ok && !rs->has[0]) {
		fprintf(stderr, "error: %s lists no %s: not a backup of the database; use another "
			"backup\n", path, ARCHIVE_DUMP);
		ok = false;
	}
	jv_free(m);
	free(path);
	return ok;
}

/* Refuses a backup of a schema newer than this installation's migrations. */
static bool check_schema(struct restore *rs)
{
	char *err = NULL;
	long long known = migrate_newest(rs->ctl->cfg.schema_dir, &err);
	if (known < 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return false;
	}
	if (rs->schema_version > known) {
		fprintf(stderr, "error: the backup's schema is version %lld (baocao %s); this "
			"baocao (%s) knows versions up to %lld\n  install baocao %s or newer, then "
			"restore\n", rs->schema_version, rs->baocao_version, BAOCAO_VERSION, known,
			rs->baocao_version);
		return false;
	}
	return true;
}

/* An object that belongs to an extension (dropped with it, never on its own). */
#define NOT_OF_EXTENSION(catalog, oid)                                                     \
	" AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '" catalog "'::regclass" \
	" AND d.objid = " oid " AND d.deptype = 'e')"

/* Objects of schema public, as the statements that drop them: tables first (their own
 * sequences go with them), then what is left; an extension's own objects are not counted. */
static const char drop_sql[] =
	"SELECT stmt FROM ("
	" SELECT CASE c.relkind WHEN 'S' THEN 2 ELSE 1 END AS o,"
	"  format('DROP %s IF EXISTS public.%I CASCADE', CASE c.relkind"
	"  WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'"
	"  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.relname) AS stmt"
	" FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
	"  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')" NOT_OF_EXTENSION("pg_class", "c.oid")
	" UNION ALL SELECT 3, format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)"
	" FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace"
	NOT_OF_EXTENSION("pg_proc", "p.oid")
	" UNION ALL SELECT 4, format('DROP %s IF EXISTS public.%I CASCADE', CASE t.typtype"
	"  WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.typname)"
	" FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace"
	"  AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND"
	"   (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))"
	NOT_OF_EXTENSION("pg_type", "t.oid")
	") x ORDER BY o, stmt";

/* Whether the database holds objects of baocao (schema public); with --force, drops them.
 * Refuses while a baocaod is connected. */
static bool empty_database(struct restore *rs, PGconn *db)
{
	PGresult *r = ctl_query(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
				"current_database() AND application_name = 'baocaod' AND pid <> "
				"pg_backend_pid()", 0, NULL);
	if (r == NULL)
		return false;
	long long daemons = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (daemons > 0) {
		fprintf(stderr, "error: %lld connection%s of baocaod use this database: stop every "
			"baocaod first (systemctl stop baocaod), then restore\n", daemons,
			daemons == 1 ? "" : "s");
		return false;
	}
	r = ctl_query(db, drop_sql, 0, NULL);
	if (r == NULL)
		return false;
	int n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return true;
	}
	char version[16] = "none";
	PGresult *v = ctl_query(db, "SELECT CASE WHEN to_regclass('public.schema_migration') IS "
				"NULL THEN 'none' END", 0, NULL);
	if (v != NULL && PQgetisnull(v, 0, 0)) {
		PQclear(v);
		v = ctl_query(db, "SELECT coalesce(max(version)::text, 'none') FROM "
			      "schema_migration", 0, NULL);
	}
	if (v != NULL) {
		snprintf(version, sizeof version, "%s", PQgetvalue(v, 0, 0));
		PQclear(v);
	}
	if (!rs->force) {
		fprintf(stderr, "error: the database is not empty: %d objects in schema public "
			"(schema version %s)\n  restore into a new database (createdb), or give "
			"--force to drop them all first (what the database holds now is lost)\n", n,
			version);
		PQclear(r);
		return false;
	}
	printf("--force: dropping the %d objects of schema public (schema version %s) ...\n", n,
	       version);
	bool ok = ctl_begin(db);
	PGresult *quiet = ok ? ctl_query(db, "SET LOCAL client_min_messages = warning", 0, NULL)
			     : NULL;
	ok = quiet != NULL;
	PQclear(quiet);
	for (int i = 0; ok && i < n; i++) {
		PGresult *d = ctl_query(db, PQgetvalue(r, i, 0), 0, NULL);
		ok = d != NULL;
		PQclear(d);
	}
	PQclear(r);
	if (ctl_finish(db, ok, CTL_INTERNAL) != CTL_OK) {
		fprintf(stderr, "  nothing was dropped\n");
		return false;
	}
	rs->dropped = true;
	return true;
}

/* Whether the keys in data_dir are missing or the backup's; with --force, others are kept
 * aside under a new name. */
static bool keys_free(struct restore *rs)
{
	bool ok = true;
	for (int i = 2; known_files[i]; i++) {
		if (!rs->has[i])
			continue;
		char *live = xasprintf("%s/%s", rs->ctl->cfg.data_dir, known_files[i]);
		char *saved = xasprintf("%s/%s", rs->dir, known_files[i]);
		char a[65], b[65];
		long long as, bs;
		if (ctl_file_sha256(live, a, &as) == 0 && ctl_file_sha256(saved, b, &bs) == 0 &&
		    strcmp(a, b) != 0 && !rs->force) {
			fprintf(stderr, "error: %s exists and is not the backup's: restoring "
				"would replace it\n  give --force to keep it aside (renamed) and "
				"restore the backup's\n", live);
			ok = false;
		}
		free(live);
		free(saved);
	}
	return ok;
}

/* The owner of restored keys: server.user when running as root, else whoever runs this. */
static bool key_owner(struct restore *rs)
{
	rs->uid = (uid_t)-1;
	rs->gid = (gid_t)-1;
	if (geteuid() != 0 || rs->ctl->cfg.user[0] == '\0')
		return true;
	struct passwd *pw = getpwnam(rs->ctl->cfg.user);
	if (pw == NULL) {
		fprintf(stderr, "error: [server] user: no such user '%s'; create it or name "
			"another in %s\n", rs->ctl->cfg.user, rs->ctl->config_path);
		return false;
	}
	rs->uid = pw->pw_uid;
	rs->gid = pw->pw_gid;
	return true;
}

/* Restores the database from the dump with pg_restore in one transaction. */
static bool restore_database(struct restore *rs, PGconn *db)
{
	long long start = clock_mono_ms();
	char *pg_restore = ctl_pg_program(db, "pg_restore");
	if (pg_restore == NULL)
		return false;
	printf("restoring the database with %s ...\n", pg_restore);
	/* The dump comes in on standard input (a file still: pg_restore may seek in it), opened
	 * here, since pg_restore may run as server.user, who cannot read root's backup. */
	char *dump = xasprintf("%s/%s", rs->dir, ARCHIVE_DUMP);
	int fd = open(dump, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		fprintf(stderr, "error: cannot open %s: %s\n", dump, strerror(errno));
		free(dump);
		free(pg_restore);
		return false;
	}
	const char *args[] = { "--single-transaction", "--exit-on-error", "--no-owner",
			       "--no-privileges", NULL };
	bool ok = ctl_pg_run(rs->ctl, pg_restore, args, fd, -1) == 0;
	close(fd);
	if (ok)
		printf("  database restored in %.1f s\n", since(start));
	else
		fprintf(stderr, "  nothing of the backup was kept (one transaction); the database "
			"is %s\n  correct what pg_restore says above (a dump of a newer PostgreSQL "
			"needs that version's pg_restore) and restore again\n",
			rs->dropped ? "empty now (--force dropped what it held)" : "as before");
	free(dump);
	free(pg_restore);
	return ok;
}

/* Puts one key into data_dir: a temporary file, fsynced, renamed over; a different key there
 * (only with --force) is renamed aside first. */
static bool restore_key(struct restore *rs, const char *name)
{
	const char *dd = rs->ctl->cfg.data_dir;
	char *src = xasprintf("%s/%s", rs->dir, name);
	char *dst = xasprintf("%s/%s", dd, name);
	char *tmp = xasprintf("%s/.%s.restore.%ld", dd, name, (long)getpid());
	char a[65], b[65];
	long long as, bs;
	bool ok = true;
	if (ctl_file_sha256(dst, a, &as) == 0 && ctl_file_sha256(src, b, &bs) == 0 &&
	    strcmp(a, b) != 0) {
		char stamp[32];
		ctl_utc_now(true, stamp, sizeof stamp);
		char *aside = xasprintf("%s.replaced-%s", dst, stamp);
		if (rename(dst, aside) != 0) {
			fprintf(stderr, "error: cannot rename %s to %s: %s\n", dst, aside,
				strerror(errno));
			ok = false;
		} else {
			printf("  %s was another key: kept as %s\n", dst, aside);
		}
		free(aside);
	}
	if (ok && (unlink(tmp) != 0 && errno != ENOENT))
		ok = false;
	if (ok && (ctl_copy_file(src, tmp, rs->uid, rs->gid) != 0 || rename(tmp, dst) != 0)) {
		fprintf(stderr, "error: cannot write %s: %s\n", dst, strerror(errno));
		if (unlink(tmp) != 0 && errno != ENOENT)
			fprintf(stderr, "warning: cannot remove %s\n", tmp);
		ok = false;
	}
	if (ok)
		printf("  %s restored\n", dst);
	free(tmp);
	free(dst);
	free(src);
	return ok;
}

/* Restores the keys of the backup into data_dir (made when missing, for server.user). */
static bool restore_keys(struct restore *rs)
{
	const char *dd = rs->ctl->cfg.data_dir;
	printf("restoring the keys into %s ...\n", dd);
	if (mkdir(dd, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "error: cannot create %s: %s\n", dd, strerror(errno));
		return false;
	}
	struct stat st;
	if (rs->uid != (uid_t)-1 && stat(dd, &st) == 0 && st.st_uid != rs->uid &&
	    chown(dd, rs->uid, rs->gid) != 0) {
		fprintf(stderr, "error: cannot give %s to %s: %s\n", dd, rs->ctl->cfg.user,
			strerror(errno));
		return false;
	}
	for (int i = 2; known_files[i]; i++)
		if (rs->has[i] && !restore_key(rs, known_files[i]))
			return false;
	if (ctl_fsync_path(dd) != 0) {
		fprintf(stderr, "error: cannot write %s to disk: %s\n", dd, strerror(errno));
		return false;
	}
	return true;
}

/* Writes the backup's configuration to a new file, never over one. */
static bool restore_config(struct restore *rs)
{
	if (rs->config_to == NULL) {
		if (rs->has[1])
			printf("the backup's configuration stays in %s/%s (--config-to FILE writes "
			       "a copy)\n", rs->dir, ARCHIVE_CONFIG);
		return true;
	}
	if (!rs->has[1]) {
		fprintf(stderr, "error: the backup holds no configuration for --config-to\n");
		return false;
	}
	char *src = xasprintf("%s/%s", rs->dir, ARCHIVE_CONFIG);
	bool ok = ctl_copy_file(src, rs->config_to, (uid_t)-1, (gid_t)-1) == 0;
	if (ok)
		printf("the backup's configuration written to %s (mode 0600): compare it with %s "
		       "and move what you need into place\n", rs->config_to, rs->ctl->config_path);
	else
		fprintf(stderr, "error: cannot write %s: %s (it must not exist yet)\n",
			rs->config_to, strerror(errno));
	free(src);
	return ok;
}

/* Reads DIR, --force and --config-to FILE. */
static bool restore_options(struct restore *rs, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "config-to", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;	/* a full restart of getopt, forgetting the "+" of main's call */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'f') {
			rs->force = true;
		} else if (c == 'c') {
			rs->config_to = optarg;
		} else {
			fprintf(stderr, RESTORE_USAGE "\n");
			return false;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, RESTORE_USAGE "\n");
		return false;
	}
	rs->dir = argv[optind];
	return true;
}

/* Run as root for [server] user: makes a missing data_dir (0750) and gives it to that user. */
static bool data_dir_for_user(struct ctl *ctl)
{
	const char *dd = ctl->cfg.data_dir;
	struct stat st;
	if (!ctl_acts_as_user(ctl) || lstat(dd, &st) == 0)
		return true;
	struct passwd *pw = getpwnam(ctl->cfg.user);
	if (pw == NULL) {
		fprintf(stderr, "error: [server] user: no such user '%s'; create it or name "
			"another in %s\n", ctl->cfg.user, ctl->config_path);
		return false;
	}
	if (file_make_dirs(dd) != 0 || chmod(dd, 0750) != 0 ||
	    lchown(dd, pw->pw_uid, pw->pw_gid) != 0) {
		fprintf(stderr, "error: cannot make %s for %s: %s\n  make it (owned by %s) or set "
			"[server] data_dir in %s\n", dd, pw->pw_name, strerror(errno), pw->pw_name,
			ctl->config_path);
		return false;
	}
	printf("made %s for %s\n", dd, pw->pw_name);
	return true;
}

/* baocaoctl restore DIR [--force] [--config-to FILE]. */
int ctl_restore(struct ctl *ctl, int argc, char **argv)
{
	struct restore rs = { .ctl = ctl };
	if (!restore_options(&rs, argc, argv))
		return CTL_USER;
	/* As the owner of data_dir and the backups: root never reads a backup folder that
	 * another user may change under it. A data_dir lost with the machine is made first,
	 * for that user, as the daemon makes it. */
	if (!data_dir_for_user(ctl) || !ctl_become_user(ctl))
		return CTL_USER;
	long long start = clock_mono_ms();
	umask(077);
	if (!check_backup(&rs) || !check_schema(&rs) || !key_owner(&rs))
		return CTL_USER;
	printf("  every file matches the manifest (%.1f s)\n", since(start));
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	if (!keys_free(&rs) || !empty_database(&rs, db))
		return CTL_USER;
	if (!restore_database(&rs, db))
		return CTL_INTERNAL;
	if (!restore_keys(&rs) || !restore_config(&rs)) {
		fprintf(stderr, "  the database is restored, the rest not: correct the cause "
			"above (run restore as root or as [server] user) and restore again with "
			"--force\n");
		return CTL_INTERNAL;
	}
	printf("migrating forward ...\n");
	char *err = NULL;
	int n = migrate_run(db, ctl->cfg.schema_dir, stdout, &err);
	if (n < 0) {
		fprintf(stderr, "error: %s\n  the data is restored; run baocaoctl migrate once the "
			"cause is fixed\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	printf("restore done: %s into the database, %d migration%s applied, in %.1f s\n", rs.dir,
	       n, n == 1 ? "" : "s", since(start));
	if (fflush(stdout) != 0 || ferror(stdout))
		return CTL_INTERNAL;
	return CTL_OK;
}
