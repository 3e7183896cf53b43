/* Reading INI files with libinih, with the file and line of every error. */
#ifndef BAOCAO_INIFILE_H
#define BAOCAO_INIFILE_H

/*
 * Called for each key; returns 0, or -1 with *why set (allocated) to say what is wrong with
 * the key. The line is the key's line in the file.
 */
typedef int (*inifile_key_fn)(void *arg, const char *section, const char *name,
			      const char *value, int line, char **why);

/*
 * Reads path, calling fn for each key, and stops at the first error. Returns 0, or -1 with
 * *err set to "FILE:LINE: message" (or "FILE: cannot open: ...").
 */
int inifile_read(const char *path, inifile_key_fn fn, void *arg, char **err);
/* As inifile_read, for text in memory; origin names it in errors. */
int inifile_read_text(const char *text, const char *origin, inifile_key_fn fn, void *arg,
		      char **err);

#endif
