/* What the workbook writers share around libxlsxwriter: private folders, closing. */
#include "xlsxw.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates the private temporary folder of one workbook. */
char *xlsxw_tmpdir(const char *who, char **err)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	char *dir = xasprintf("%s/baocao-%s-XXXXXX", base, who);
	if (mkdtemp(dir) == NULL) {
		*err = xasprintf("%s: cannot create a temporary folder in %s: %s", who, base,
				 strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/* Removes a private temporary folder and whatever is left in it. */
void xlsxw_tmpdir_remove(const char *dir, const char *who)
{
	DIR *dh = opendir(dir);
	if (dh != NULL) {
		struct dirent *de;
		while ((de = readdir(dh)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char *path = xasprintf("%s/%s", dir, de->d_name);
			if (unlink(path) != 0 && errno != ENOENT)
				fprintf(stderr, "warning: %s: cannot remove %s: %s\n", who, path,
					strerror(errno));
			free(path);
		}
		if (closedir(dh) != 0)
			fprintf(stderr, "warning: %s: closedir %s: %s\n", who, dir, strerror(errno));
	}
	if (rmdir(dir) != 0 && errno != ENOENT)
		fprintf(stderr, "warning: %s: cannot remove %s: %s\n", who, dir, strerror(errno));
}

/*
 * Serialises workbook_close(): libxlsxwriter 1.1 formats the document's dates with gmtime(),
 * whose result is shared by all threads. A lock, not state: it guards a library call.
 */
static pthread_mutex_t close_lock = PTHREAD_MUTEX_INITIALIZER;

/* Closes (writes and frees) a workbook, one thread at a time. */
lxw_error xlsxw_close(lxw_workbook *wb)
{
	/* A default mutex fails only when memory is corrupt: a broken invariant. */
	if (pthread_mutex_lock(&close_lock) != 0)
		abort();
	lxw_error e = workbook_close(wb);
	if (pthread_mutex_unlock(&close_lock) != 0)
		abort();
	return e;
}
