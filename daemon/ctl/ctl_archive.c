/* What baocaoctl backup and restore share: PostgreSQL's own tools of the server's major version
 * run with the configured connection, files copied whole (fsynced) and their SHA-256. */
#include "ctl_archive.h"
#include "ctl.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The key files of data_dir (keys.c) a backup holds, and the configuration's copy. */
const char *const ctl_archive_keys[] = { "receipt.key", "workbook.key", NULL };

/* The major version of a server_version_num (150004 -> 15). */
static int pg_major(int num)
{
	return num / 10000;
}

/* Reads the first line a program prints on its standard output; NULL when it cannot run. */
static char *program_line(const char *path, const char *arg)
{
	int fds[2];
	if (pipe(fds) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char buf[256];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof buf - 1)
			break;
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/* The major version a "pg_dump (PostgreSQL) 15.4 (Debian ...)" line names; -1 if none. */
static int tool_major(const char *line)
{
	const char *p = strstr(line, ") ");
	return p ? atoi(p + 2) : -1;
}

/* Finds name in the folders of PATH; a new string or NULL. */
static char *on_path(const char *name)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		char *cand = xasprintf("%.*s/%s", (int)len, path, name);
		if (len > 0 && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* The program of the server's major version: PostgreSQL's folder of that version, or one on
 * PATH whose version is the server's or newer (older ones cannot read a newer server). */
char *ctl_pg_program(PGconn *db, const char *name)
{
	int major = pg_major(PQserverVersion(db));
	char *path = xasprintf("/usr/lib/postgresql/%d/bin/%s", major, name);
	if (access(path, X_OK) == 0)
		return path;
	free(path);
	path = on_path(name);
	char *line = path ? program_line(path, "--version") : NULL;
	if (line && tool_major(line) >= major) {
		free(line);
		return path;
	}
	fprintf(stderr, "error: no %s of PostgreSQL %d: not in /usr/lib/postgresql/%d/bin, and ",
		name, major, major);
	if (path == NULL)
		fprintf(stderr, "none on PATH\n");
	else if (line == NULL)
		fprintf(stderr, "%s --version failed\n", path);
	else
		fprintf(stderr, "%s is older (%s)\n", path, line);
	fprintf(stderr, "  install the client programs of the server's version (apt-get install "
		"postgresql-client-%d) and run this again\n", major);
	free(line);
	free(path);
	return NULL;
}

/* Appends key='value' to a connection string, quoted as libpq reads it. */
static void conninfo_add(struct strbuf *sb, const char *key, const char *value)
{
	if (sb->len > 0)
		strbuf_addc(sb, ' ');
	strbuf_addf(sb, "%s='", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '\'');
}

/* Runs a PostgreSQL tool on the configured database: the connection string without its
 * password as --dbname (a command line is visible to every user), the password in the
 * child's environment (PGPASSWORD), standard output into out_fd when it is not -1. */
int ctl_pg_run(struct ctl *ctl, const char *program, const char *const *args, int in_fd,
	       int out_fd)
{
	const char *conninfo = ctl->cfg.conninfo;
	struct passwd *pw = NULL;
	if (ctl_acts_as_user(ctl)) {
		pw = getpwnam(ctl->cfg.user);
		if (pw == NULL) {
			fprintf(stderr, "error: [server] user: there is no system user '%s'; create "
				"it or name another in %s\n", ctl->cfg.user, ctl->config_path);
			return -1;
		}
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (opts == NULL) {
		fprintf(stderr, "error: [database] conninfo does not parse: %s\n",
			perr ? perr : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	struct strbuf dbname = STRBUF_INIT;
	const char *password = NULL;
	bool attrs = false;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0)
			password = o->val;
		else
			conninfo_add(&dbname, o->keyword, o->val);
		if (strcmp(o->keyword, "target_session_attrs") == 0)
			attrs = true;
	}
	/* The primary of several hosts, as every connection of baocao asks (db.c). */
	if (!attrs)
		conninfo_add(&dbname, "target_session_attrs", "read-write");
	char *dbarg = xasprintf("--dbname=%s", strbuf_str(&dbname));
	size_t nargs = 0;
	while (args[nargs])
		nargs++;
	const char **argv = xcalloc(nargs + 4, sizeof *argv);
	argv[0] = program;
	for (size_t i = 0; i < nargs; i++)
		argv[1 + i] = args[i];
	argv[1 + nargs] = "--no-password";	/* never a prompt: a timer has nobody to answer */
	argv[2 + nargs] = dbarg;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		if (password && setenv("PGPASSWORD", password, 1) != 0)
			_exit(127);
		if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
			_exit(127);
		if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
			_exit(127);
		if (pw && (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
			   setuid(pw->pw_uid) != 0)) {
			fprintf(stderr, "error: cannot run %s as %s: %s\n", program, pw->pw_name,
				strerror(errno));
			_exit(127);
		}
		execv(program, (char *const *)argv);
		fprintf(stderr, "error: cannot run %s: %s\n", program, strerror(errno));
		_exit(127);
	}
	int saved = errno;
	free(argv);
	free(dbarg);
	strbuf_free(&dbname);
	PQconninfoFree(opts);
	if (pid < 0) {
		fprintf(stderr, "error: cannot start %s: %s\n", program, strerror(saved));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "error: waiting for %s: %s\n", program, strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "error: %s failed (exit status %d; its message is above)\n",
			program, WEXITSTATUS(status));
	else
		fprintf(stderr, "error: %s was killed by signal %d\n", program, WTERMSIG(status));
	return -1;
}

/* Size and hex SHA-256 of a file's bytes. */
int ctl_file_sha256(const char *path, char hex[65], long long *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	unsigned char buf[65536];
	long long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		total += n;
	}
	close(fd);
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	*size = total;
	return 0;
}

/* Flushes a file or folder to disk. */
int ctl_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Copies a file into a new one (mode 0600, never over an existing one), fsynced; given to
 * uid when it is not (uid_t)-1. */
int ctl_copy_file(const char *src, const char *dst, uid_t uid, gid_t gid)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		int saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	int rc = 0;
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = -1;
				break;
			}
			off += w;
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && fchmod(out, 0600) != 0)
		rc = -1;
	if (rc == 0 && uid != (uid_t)-1 && fchown(out, uid, gid) != 0)
		rc = -1;
	if (rc == 0 && fsync(out) != 0)
		rc = -1;
	int saved = errno;
	if (close(out) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	close(in);
	if (rc != 0)
		unlink(dst);
	errno = saved;
	return rc;
}

/* The current UTC time, compact (for folder names) or RFC 3339. */
const char *ctl_utc_now(bool compact, char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, size, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "unknown");
	return buf;
}

/* A size for people: "12.3 MiB". */
const char *ctl_human_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld bytes", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}
