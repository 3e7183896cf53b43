/* Files written so that a reader never sees half of one: a temporary file in the same folder,
 * fsync, rename, fsync of the folder. */
#ifndef BAOCAO_FILEIO_H
#define BAOCAO_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Makes dir and its missing parents with mode 0750; 0 or -1 with errno set. */
int file_make_dirs(const char *dir);
/*
 * Writes data as dir/name through a temporary file ".name.XXXXXX" in the same folder, with the
 * given mode; an existing file of that name is replaced. make_dir: dir (and its parents) is
 * made when missing; otherwise a missing dir is an error (a share that is not mounted must not
 * be filled on the local disk). Returns 0, or -1 with *detail (new string) naming the step and
 * the file, and errno set.
 */
int file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode, bool make_dir, char **detail);
/* What file_write_atomic_from() writes: up to n next bytes into buf, their count; 0 at the end. */
typedef size_t (*file_fill_fn)(void *arg, void *buf, size_t n);
/* file_write_atomic() with the bytes from fill, a piece at a time, instead of one buffer. */
int file_write_atomic_from(const char *dir, const char *name, file_fill_fn fill, void *arg,
			   mode_t mode, bool make_dir, char **detail);

#endif
