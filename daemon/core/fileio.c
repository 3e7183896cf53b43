/* Files written so that a reader never sees half of one. */
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes dir and its missing parents with mode 0750; 0 or -1 with errno set. */
int file_make_dirs(const char *dir)
{
	char *path = xstrdup(dir);
	int rc = 0;
	for (char *p = path + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	return rc;
}

/* Writes all n bytes to fd; 0 or -1 with errno set. */
static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Flushes the folder's entries to disk, so that a rename survives a crash; 0 or -1. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	if (close(fd) < 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
}

/* Copies everything fill gives into fd, 64 KiB at a time; 0 or -1 with errno. */
static int write_from(int fd, file_fill_fn fill, void *arg)
{
	enum { PIECE = 65536 };
	char *buf = xmalloc(PIECE);
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fill(arg, buf, PIECE)) > 0)
		rc = write_all(fd, buf, n);
	free(buf);
	return rc;
}

/* A source of one buffer, for file_write_atomic. */
struct mem_source {
	const char *data;
	size_t len, at;
};

/* file_fill_fn over a mem_source. */
static size_t fill_mem(void *arg, void *buf, size_t n)
{
	struct mem_source *m = arg;
	if (n > m->len - m->at)
		n = m->len - m->at;
	if (n == 0)
		return 0;
	memcpy(buf, m->data + m->at, n);
	m->at += n;
	return n;
}

/* Writes one buffer as dir/name, atomically (fileio.h). */
int file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode, bool make_dir, char **detail)
{
	struct mem_source m = { data, len, 0 };
	return file_write_atomic_from(dir, name, fill_mem, &m, mode, make_dir, detail);
}

/* Writes what fill gives as dir/name through a temporary file, fsync, rename, fsync of dir. */
int file_write_atomic_from(const char *dir, const char *name, file_fill_fn fill, void *arg,
			   mode_t mode, bool make_dir, char **detail)
{
	if (make_dir && file_make_dirs(dir) < 0) {
		*detail = xasprintf("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!make_dir) {
		struct stat st;
		int e = stat(dir, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
		if (e != 0) {
			*detail = xasprintf("the folder %s is not there (%s): it is not made here, in "
					    "case it is a share that is not mounted", dir, strerror(e));
			errno = e;
			return -1;
		}
	}
	char *final = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	const char *step = "mkstemp";
	int fd = mkstemp(tmp);
	int rc = fd < 0 ? -1 : 0;
	if (rc == 0 && (step = "fchmod", fchmod(fd, mode) < 0))
		rc = -1;
	if (rc == 0 && (step = "write", write_from(fd, fill, arg) < 0))
		rc = -1;
	if (rc == 0 && (step = "fsync", fsync(fd) < 0))
		rc = -1;
	if (fd >= 0) {
		int saved = errno;
		if (close(fd) < 0 && rc == 0) {
			step = "close";
			rc = -1;
			saved = errno;
		}
		errno = saved;
	}
	if (rc == 0 && (step = "rename", rename(tmp, final) < 0))
		rc = -1;
	if (rc == 0 && (step = "fsync of the folder", sync_dir(dir) < 0))
		rc = -1;
	if (rc < 0) {
		*detail = xasprintf("%s %s: %s", step, final, strerror(errno));
		/* Before the rename the temporary file is ours to remove; failing that is only noted. */
		if (fd >= 0 && strcmp(step, "fsync of the folder") != 0 && unlink(tmp) < 0 &&
		    errno != ENOENT) {
			char *d = xasprintf("%s; unlink %s: %s", *detail, tmp, strerror(errno));
			free(*detail);
			*detail = d;
		}
	}
	free(tmp);
	free(final);
	return rc;
}
