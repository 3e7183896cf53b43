/* Files written so that a reader never sees half of one: a temporary file in the same folder,
 * fsync, rename, fsync of the folder. */
#ifndef BAOCAO_FILEIO_H
#define BAOCAO_FILEIO_H

#include <stddef.h>

/* Makes dir and its missing parents with mode 0750; 0 or -1 with errno set. */
int file_make_dirs(const char *dir);
/*
 * Writes data as dir/name (dir made when missing) through a temporary file ".name.XXXXXX" in
 * the same folder; an existing file of that name is replaced. Returns 0, or -1 with *detail
 * (new string) naming the step and the file.
 */
int file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
		      char **detail);

#endif
