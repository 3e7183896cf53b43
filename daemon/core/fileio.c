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

/* Writes dir/name through a temporary file in the same folder. */
int file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
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
	if (rc == 0 && (step = "write", write_all(fd, data, len) < 0))
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
