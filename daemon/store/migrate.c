/* Schema migrations: schema/NNN_name.sql applied in order, each in one transaction, recorded. */
#include "migrate.h"
#include "db.h"
#include "build_config.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Any number; it only has to be the same for every migrating process. */
#define MIGRATE_LOCK_KEY "7215038817316110"
#define MIGRATE_MAX_SIZE (16 * 1024 * 1024)

struct migration {
	int version;
	char *file;
	char sha256[65];
};

/* Whether a file name has the form NNN_name.sql; gives NNN. */
static bool migration_name(const char *name, int *version)
{
	if (strlen(name) < 9 || !str_has_suffix(name, ".sql") || name[3] != '_')
		return false;
	for (int i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	for (const char *p = name + 4; p < name + strlen(name) - 4; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	*version = (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
	return true;
}

/* Orders migrations by version. */
static int migration_cmp(const void *a, const void *b)
{
	return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

/* Runs parameterless SQL that must succeed, setting *err if it does not. */
static bool exec_ok(PGconn *conn, const char *sql, char **err)
{
	return db_command(conn, sql, sql, err) == 0;
}

/* Hex SHA-256 of a buffer. */
static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)data, len);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* Lists the migration files of dir, sorted; returns the count or -1. */
static int migration_list(const char *dir, struct migration **out, char **err)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		*err = xasprintf("cannot open the schema folder %s: %s; set server.schema_dir",
				 dir, strerror(errno));
		return -1;
	}
	struct migration *list = NULL;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int v;
		if (!migration_name(e->d_name, &v))
			continue;
		for (int i = 0; i < n; i++) {
			if (list[i].version == v) {
				*err = xasprintf("%s: two migrations numbered %03d (%s and %s)", dir, v,
						 list[i].file, e->d_name);
				closedir(d);
				for (int k = 0; k < n; k++)
					free(list[k].file);
				free(list);
				return -1;
			}
		}
		list = xrealloc(list, (size_t)(n + 1) * sizeof *list);
		list[n].version = v;
		list[n].file = xstrdup(e->d_name);
		list[n].sha256[0] = '\0';
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(list, (size_t)n, sizeof *list, migration_cmp);
	*out = list;
	return n;
}

/* What one migration's transaction applies. */
struct apply {
	const char *dir;
	const struct migration *m;
	const char *sql;
};

/* The body of one migration's transaction: its SQL, then its row in schema_migration. */
static int apply_tx(PGconn *conn, void *arg, char **err)
{
	struct apply *a = arg;
	char *why = NULL;
	if (db_command(conn, "migration", a->sql, &why) != 0) {
		*err = xasprintf("%s/%s failed, nothing of it was applied: %s", a->dir, a->m->file,
				 why);
		free(why);
		return -1;
	}
	char version[16];
	snprintf(version, sizeof version, "%d", a->m->version);
	const char *params[] = { version, a->m->file, a->m->sha256 };
	PGresult *r = db_run(conn, "migration", "INSERT INTO schema_migration (version, name, "
			     "sha256) VALUES ($1, $2, $3)", 3, params, &why);
	if (r == NULL) {
		*err = xasprintf("cannot record %s: %s", a->m->file, why);
		free(why);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Looks for migrations the database has applied and list (the schema folder's) does not
 * have: 0 when there is none, 1 with *err saying what to do, -1 when it cannot be read. */
static int newer_check(PGconn *conn, const char *dir, const struct migration *list, int n,
		       char **err)
{
	PGresult *r = db_run(conn, "cannot look for schema_migration", "SELECT "
			     "to_regclass('schema_migration') IS NOT NULL", 0, NULL, err);
	if (r == NULL)
		return -1;
	bool exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return 0;	/* nothing applied yet */
	r = db_run(conn, "cannot read schema_migration", "SELECT version, name FROM "
		   "schema_migration ORDER BY version DESC", 0, NULL, err);
	if (r == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		int v = atoi(PQgetvalue(r, i, 0));
		bool known = false;
		for (int k = 0; k < n && !known; k++)
			known = list[k].version == v;
		if (known)
			continue;
		*err = xasprintf("the database's schema is newer than this baocao (%s) knows: it "
				 "has applied migration %03d (%s), and the newest in %s is %03d "
				 "(%s); a newer baocao migrated it. Install that baocao (or a later "
				 "one) on this machine, or restore a backup made with baocao %s "
				 "(baocaoctl restore); nothing was changed",
				 BAOCAO_VERSION, v, PQgetvalue(r, i, 1), dir,
				 n > 0 ? list[n - 1].version : 0, n > 0 ? list[n - 1].file : "none",
				 BAOCAO_VERSION);
		rc = 1;
	}
	PQclear(r);
	return rc;
}

/* Applies one migration in its own transaction. */
static bool migration_apply(PGconn *conn, const char *dir, struct migration *m, const char *sql,
			    char **err)
{
	struct apply a = { dir, m, sql };
	return db_tx(conn, apply_tx, &a, err) == 0;
}
/* Applies what is pending, under an advisory lock so that two processes never both do. */
int migrate_run(PGconn *conn, const char *dir, FILE *progress, char **err)
{
	struct migration *list = NULL;
	int n = migration_list(dir, &list, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		*err = xasprintf("no migrations (NNN_name.sql) in %s; set server.schema_dir", dir);
		free(list);
		return -1;
	}
	int applied = -1;
	if (!exec_ok(conn, "SET client_min_messages = warning", err) ||
	    !exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err))
		goto out;
	/* Never down: a schema a newer baocao migrated is left as it is. */
	if (newer_check(conn, dir, list, n, err) != 0)
		goto unlock;
	if (!exec_ok(conn, "CREATE TABLE IF NOT EXISTS schema_migration ("
		     "version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, "
		     "applied_at timestamptz NOT NULL DEFAULT now())", err))
		goto unlock;

	applied = 0;
	for (int i = 0; i < n; i++) {
		struct migration *m = &list[i];
		char *path = xasprintf("%s/%s", dir, m->file);
		char *sql = NULL;
		size_t len = 0;
		int rc = file_read_all(path, MIGRATE_MAX_SIZE, &sql, &len);
		free(path);
		if (rc != 0) {
			*err = xasprintf("cannot read %s/%s: %s", dir, m->file, strerror(errno));
			applied = -1;
			break;
		}
		sha256_hex(sql, len, m->sha256);

		char version[16];
		snprintf(version, sizeof version, "%d", m->version);
		const char *params[] = { version };
		PGresult *r = db_run(conn, "cannot read schema_migration", "SELECT name, sha256 "
				     "FROM schema_migration WHERE version = $1", 1, params, err);
		if (r == NULL) {
			free(sql);
			applied = -1;
			break;
		}
		if (PQntuples(r) == 1) {
			if (strcmp(PQgetvalue(r, 0, 1), m->sha256) != 0 && progress)
				fprintf(progress, "warning: %s changed after it was applied; "
					"changes belong in a new migration\n", m->file);
			PQclear(r);
			free(sql);
			continue;
		}
		PQclear(r);
		if (progress)
			fprintf(progress, "applying %s\n", m->file);
		bool ok = migration_apply(conn, dir, m, sql, err);
		free(sql);
		if (!ok) {
			applied = -1;
			break;
		}
		applied++;
	}
unlock:;
	char *unlock_err = NULL;
	if (!exec_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", &unlock_err)) {
		if (applied >= 0) {
			*err = unlock_err;
			applied = -1;
		} else {
			free(unlock_err);
		}
	}
out:
	for (int i = 0; i < n; i++)
		free(list[i].file);
	free(list);
	return applied;
}

/* The newest migration applied. */
int migrate_version(struct db *db, char *buf, size_t size)
{
	PGresult *res = db_exec(db, "SELECT max(version) FROM schema_migration", 0, NULL);
	if (res == NULL)
		return -1;
	snprintf(buf, size, "%s", PQgetisnull(res, 0, 0) ? "0" : PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Whether the database's schema is one this schema folder knows (see migrate.h). */
int migrate_check(PGconn *conn, const char *dir, char **err)
{
	struct migration *list = NULL;
	int n = migration_list(dir, &list, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		*err = xasprintf("no migrations (NNN_name.sql) in %s; set server.schema_dir", dir);
		free(list);
		return -1;
	}
	int rc = newer_check(conn, dir, list, n, err);
	for (int i = 0; i < n; i++)
		free(list[i].file);
	free(list);
	return rc;
}

/* The newest migration of a schema folder (see migrate.h). */
int migrate_newest(const char *dir, char **err)
{
	struct migration *list = NULL;
	int n = migration_list(dir, &list, err);
	if (n < 0)
		return -1;
	int newest = n > 0 ? list[n - 1].version : 0;
	for (int i = 0; i < n; i++)
		free(list[i].file);
	free(list);
	return newest;
}
