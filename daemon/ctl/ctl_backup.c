/* baocaoctl backup: the database (pg_dump -Fc), the keys of data_dir, the configuration and a
 * manifest with every file's size and SHA-256 in one folder written whole; older backups
 * beyond --keep removed. */
#include "ctl.h"
#include "ctl_archive.h"
#include "clock.h"
#include "fileio.h"
#include "json.h"
#include "util.h"
#include "build_config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_USAGE "usage: baocaoctl backup [--output DIR] [--keep N]"
/* A .partial folder older than this was left by a backup that died. */
#define PARTIAL_MAX_AGE (24 * 3600)

/* One backup being written. */
struct backup {
	struct ctl *ctl;
	char *dir;		/* where backups go */
	char *name;		/* baocao-YYYYMMDDTHHMMSSZ */
	char *partial;		/* dir/name.partial */
	const char *files[8];	/* names written, in order */
	int nfiles;
	char server_version[64];
	char schema_version[16];
	long long start_ms;	/* when the command started, for the total time */
};

/* Seconds since a monotonic start, for the progress lines. */
static double since(long long start_ms)
{
	return (double)(clock_mono_ms() - start_ms) / 1000.0;
}

/* Whether name is baocao-YYYYMMDDTHHMMSSZ followed by suffix exactly. */
static bool backup_name(const char *name, const char *suffix)
{
	static const char shape[] = "DDDDDDDDTDDDDDDZ";
	size_t plen = strlen(ARCHIVE_PREFIX);
	if (strncmp(name, ARCHIVE_PREFIX, plen) != 0 ||
	    strlen(name) != plen + strlen(shape) + strlen(suffix) ||
	    strcmp(name + plen + strlen(shape), suffix) != 0)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		char c = name[plen + i];
		if (shape[i] == 'D' ? (c < '0' || c > '9') : c != shape[i])
			return false;
	}
	return true;
}

/* Removes a backup folder: its plain files, then the folder; anything else in it (a folder, a
 * device) is left, and so is the folder, with a warning. */
static bool remove_backup(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "warning: cannot open %s to remove it: %s\n", path,
			strerror(errno));
		return false;
	}
	bool ok = true;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *f = xasprintf("%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(f, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) ||
		    unlink(f) != 0) {
			fprintf(stderr, "warning: %s is not a file baocaoctl wrote, or cannot be "
				"removed; %s stays\n", f, path);
			ok = false;
		}
		free(f);
	}
	closedir(d);
	if (ok && rmdir(path) != 0) {
		fprintf(stderr, "warning: cannot remove %s: %s\n", path, strerror(errno));
		ok = false;
	}
	return ok;
}

/* Orders names (the time in them sorts as text). */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes partial backups of dir older than a day and, when keep is not 0, keeps the newest
 * keep complete ones (named so and holding a manifest), the one just written (just) always
 * among them whatever the clock did; nothing else in dir is touched. */
static void prune(const char *dir, long keep, const char *just)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "warning: cannot list %s to remove old backups: %s\n", dir,
			strerror(errno));
		return;
	}
	char **complete = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		bool is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		if (is_dir && backup_name(e->d_name, "")) {
			char *manifest = xasprintf("%s/%s", path, ARCHIVE_MANIFEST);
			struct stat ms;
			if (lstat(manifest, &ms) == 0 && S_ISREG(ms.st_mode)) {
				complete = xrealloc(complete, (n + 1) * sizeof *complete);
				complete[n++] = xstrdup(e->d_name);
			}
			free(manifest);
		} else if (is_dir && backup_name(e->d_name, ARCHIVE_PARTIAL) &&
			   st.st_mtime < now - PARTIAL_MAX_AGE) {
			if (remove_backup(path))
				printf("removed %s, left by a backup that did not finish\n", path);
		}
		free(path);
	}
	closedir(d);
	if (n > 1)
		qsort(complete, n, sizeof *complete, name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (keep > 0 && (long)(n - i) > keep && strcmp(complete[i], just) != 0) {
			char *path = xasprintf("%s/%s", dir, complete[i]);
			if (remove_backup(path))
				printf("removed %s (--keep %ld)\n", path, keep);
			free(path);
		}
		free(complete[i]);
	}
	free(complete);
}

/* The server's version and the schema's (the newest migration applied). */
static bool read_versions(struct backup *b, PGconn *db)
{
	const char *v = PQparameterStatus(db, "server_version");
	snprintf(b->server_version, sizeof b->server_version, "%s", v ? v : "unknown");
	PGresult *r = ctl_query(db, "SELECT coalesce(max(version), 0) FROM schema_migration", 0,
				NULL);
	if (r == NULL) {
		fprintf(stderr, "  the database has no baocao schema: run baocaoctl migrate "
			"first, or check [database] conninfo in %s\n", b->ctl->config_path);
		return false;
	}
	snprintf(b->schema_version, sizeof b->schema_version, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

/* Dumps the database into the partial folder with pg_dump -Fc. */
static bool dump_database(struct backup *b, PGconn *db)
{
	long long start = clock_mono_ms();
	char *pg_dump = ctl_pg_program(db, "pg_dump");
	if (pg_dump == NULL)
		return false;
	printf("dumping the database with %s ...\n", pg_dump);
	fflush(stdout);
	char *path = xasprintf("%s/%s", b->partial, ARCHIVE_DUMP);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "error: cannot create %s: %s\n", path, strerror(errno));
		free(path);
		free(pg_dump);
		return false;
	}
	const char *args[] = { "--format=custom", NULL };
	bool ok = ctl_pg_run(b->ctl, pg_dump, args, -1, fd) == 0;
	if (ok && fsync(fd) != 0) {
		fprintf(stderr, "error: cannot write %s to disk: %s\n", path, strerror(errno));
		ok = false;
	}
	if (close(fd) != 0 && ok) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		ok = false;
	}
	struct stat st;
	if (ok && stat(path, &st) == 0) {
		char size[32];
		printf("  %s: %s in %.1f s\n", ARCHIVE_DUMP,
		       ctl_human_size((long long)st.st_size, size, sizeof size), since(start));
	}
	if (!ok)
		fprintf(stderr, "  check that PostgreSQL runs and that the role of [database] "
			"conninfo may read every table (it owns them after baocaoctl setup)\n");
	free(path);
	free(pg_dump);
	if (ok)
		b->files[b->nfiles++] = ARCHIVE_DUMP;
	return ok;
}

/* Copies one file into the partial folder under name; a missing key is only warned about. */
static bool copy_in(struct backup *b, const char *src, const char *name, bool optional)
{
	char *dst = xasprintf("%s/%s", b->partial, name);
	bool ok = ctl_copy_file(src, dst, (uid_t)-1, (gid_t)-1) == 0;
	if (!ok && optional && errno == ENOENT) {
		printf("  %s: not there (the daemon makes it at its first start); not in this "
		       "backup\n", src);
		free(dst);
		return true;
	}
	if (!ok)
		fprintf(stderr, "error: cannot copy %s into %s: %s\n  check that the user running "
			"baocaoctl (baocao for the nightly timer) may read it\n", src, dst,
			strerror(errno));
	else
		b->files[b->nfiles++] = name;
	free(dst);
	return ok;
}

/* Writes manifest.json (through a temporary name): versions, time, every file's size and
 * SHA-256. */
static bool write_manifest(struct backup *b)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_kv_int(&j, "format", ARCHIVE_FORMAT);
	json_kv_string(&j, "baocao_version", BAOCAO_VERSION);
	json_kv_int(&j, "schema_version", atoll(b->schema_version));
	json_kv_string(&j, "postgresql_version", b->server_version);
	json_kv_int(&j, "postgresql_version_num", PQserverVersion(b->ctl->db));
	char when[32];
	json_kv_string(&j, "created_at", ctl_utc_now(false, when, sizeof when));
	json_key(&j, "files");
	json_array_begin(&j);
	bool ok = true;
	for (int i = 0; i < b->nfiles && ok; i++) {
		char *path = xasprintf("%s/%s", b->partial, b->files[i]);
		char hex[65];
		long long size;
		if (ctl_file_sha256(path, hex, &size) != 0) {
			fprintf(stderr, "error: cannot read %s back: %s\n", path, strerror(errno));
			ok = false;
		} else {
			json_object_begin(&j);
			json_kv_string(&j, "name", b->files[i]);
			json_kv_int(&j, "size", size);
			json_kv_string(&j, "sha256", hex);
			json_object_end(&j);
		}
		free(path);
	}
	json_array_end(&j);
	json_object_end(&j);
	strbuf_addc(&sb, '\n');
	char *tmp = xasprintf("%s/%s.tmp", b->partial, ARCHIVE_MANIFEST);
	char *dst = xasprintf("%s/%s", b->partial, ARCHIVE_MANIFEST);
	if (ok) {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		ok = fd >= 0 && write(fd, sb.data, sb.len) == (ssize_t)sb.len && fsync(fd) == 0;
		if (fd >= 0 && close(fd) != 0)
			ok = false;
		if (ok && rename(tmp, dst) != 0)
			ok = false;
		if (!ok)
			fprintf(stderr, "error: cannot write %s: %s\n", dst, strerror(errno));
	}
	free(tmp);
	free(dst);
	strbuf_free(&sb);
	return ok;
}

/* The whole folder's size. */
static long long folder_size(struct backup *b, const char *path)
{
	long long total = 0;
	for (int i = 0; i <= b->nfiles; i++) {
		const char *name = i < b->nfiles ? b->files[i] : ARCHIVE_MANIFEST;
		char *f = xasprintf("%s/%s", path, name);
		struct stat st;
		if (stat(f, &st) == 0)
			total += (long long)st.st_size;
		free(f);
	}
	return total;
}

/* Writes every part into the partial folder, the manifest last, then renames it. */
static bool backup_write(struct backup *b, PGconn *db, char **final)
{
	if (!dump_database(b, db))
		return false;
	printf("copying the keys of %s ...\n", b->ctl->cfg.data_dir);
	for (int i = 0; ctl_archive_keys[i]; i++) {
		char *src = xasprintf("%s/%s", b->ctl->cfg.data_dir, ctl_archive_keys[i]);
		bool ok = copy_in(b, src, ctl_archive_keys[i], true);
		free(src);
		if (!ok)
			return false;
	}
	printf("copying the configuration %s ...\n", b->ctl->config_path);
	if (!copy_in(b, b->ctl->config_path, ARCHIVE_CONFIG, false))
		return false;
	printf("writing the manifest ...\n");
	if (!write_manifest(b))
		return false;
	*final = xasprintf("%s/%s", b->dir, b->name);
	if (ctl_fsync_path(b->partial) != 0 || rename(b->partial, *final) != 0 ||
	    ctl_fsync_path(b->dir) != 0) {
		fprintf(stderr, "error: cannot rename %s to %s: %s\n", b->partial, *final,
			strerror(errno));
		return false;
	}
	char size[32];
	printf("backup done: %s (%s) in %.1f s\n", *final,
	       ctl_human_size(folder_size(b, *final), size, sizeof size), since(b->start_ms));
	return true;
}

/* Reads the options: --output DIR and --keep N. */
static bool backup_options(int argc, char **argv, const char **out, long *keep)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "keep", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;	/* a full restart of getopt, forgetting the "+" of main's call */
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c == 'o') {
			*out = optarg;
		} else if (c == 'k') {
			char *end;
			errno = 0;
			*keep = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || *keep < 1 || *keep > 100000) {
				fprintf(stderr, "error: --keep takes a number of backups, 1 or "
					"more\n");
				return false;
			}
		} else {
			fprintf(stderr, BACKUP_USAGE "\n");
			return false;
		}
	}
	if (optind != argc) {
		fprintf(stderr, BACKUP_USAGE "\n");
		return false;
	}
	return true;
}

/* baocaoctl backup [--output DIR] [--keep N]. */
int ctl_backup(struct ctl *ctl, int argc, char **argv)
{
	const char *out = NULL;
	long keep = 0;
	if (!backup_options(argc, argv, &out, &keep))
		return CTL_USER;
	/* As the owner of the backups: root never works in a folder another user may change. */
	if (!ctl_become_user(ctl))
		return CTL_USER;
	umask(077);
	struct backup b = { .ctl = ctl, .start_ms = clock_mono_ms() };
	b.dir = xstrdup(out ? out : ctl->cfg.backup_dir);
	PGconn *db = ctl_db(ctl);
	if (db == NULL || !read_versions(&b, db)) {
		free(b.dir);
		return CTL_USER;
	}
	printf("backup of the database on PostgreSQL %s, schema version %s\n", b.server_version,
	       b.schema_version);
	if (file_make_dirs(b.dir) != 0) {
		fprintf(stderr, "error: cannot create %s: %s\n  create it for the user running "
			"the backup ([server] user when started as root), or name another folder "
			"with --output or [backup] dir in %s\n",
			b.dir, strerror(errno), ctl->config_path);
		free(b.dir);
		return CTL_USER;
	}
	char stamp[32];
	ctl_utc_now(true, stamp, sizeof stamp);
	b.name = xasprintf("%s%s", ARCHIVE_PREFIX, stamp);
	b.partial = xasprintf("%s/%s%s", b.dir, b.name, ARCHIVE_PARTIAL);
	char *final = xasprintf("%s/%s", b.dir, b.name);
	struct stat st;
	bool taken = lstat(final, &st) == 0;
	if (taken || mkdir(b.partial, 0700) != 0) {
		fprintf(stderr, "error: cannot create %s: %s\n  another backup may be running (or "
			"ran this second): wait for it and try again\n", b.partial,
			taken ? "a backup of this second exists" : strerror(errno));
		free(final);
		free(b.partial);
		free(b.name);
		free(b.dir);
		return CTL_USER;
	}
	free(final);
	final = NULL;
	bool ok = backup_write(&b, db, &final);
	if (!ok) {
		if (remove_backup(b.partial))
			fprintf(stderr, "  the incomplete %s was removed; nothing else changed: "
				"correct the cause above and run the backup again\n", b.partial);
	} else {
		prune(b.dir, keep, b.name);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		ok = false;
	free(final);
	free(b.partial);
	free(b.name);
	free(b.dir);
	return ok ? CTL_OK : CTL_INTERNAL;
}
