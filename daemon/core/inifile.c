/* Reading INI files with libinih, with the file and line of every error. */
#include "inifile.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inifile_state {
	FILE *f;
	int line;
	const char *path;
	inifile_key_fn fn;
	void *arg;
	char *err;
};

/* inih reader: one line at a time, so the line number is known in the handler. */
static char *inifile_reader(char *str, int num, void *stream)
{
	struct inifile_state *st = stream;
	char *r = fgets(str, num, st->f);
	if (r != NULL)
		st->line++;
	return r;
}

/* inih handler: passes one key on, keeping the first error. */
static int inifile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct inifile_state *st = user;
	if (st->err)
		return 0;
	char *why = NULL;
	if (st->fn(st->arg, section, name, value, st->line, &why) != 0) {
		st->err = xasprintf("%s:%d: %s", st->path, st->line, why ? why : "invalid");
		free(why);
		return 0;
	}
	return 1;
}

/* inih's settings are globals of the library: set once, before any thread reads them
 * (the main thread on SIGHUP and a worker re-reading the series both parse). */
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static void inifile_settings(void)
{
	/* Lines of any sensible length, and stop at the first error. */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = 8192;
	ini_stop_on_first_error = true;
}

/* Parses an open stream named origin. */
static int inifile_stream(FILE *f, const char *origin, inifile_key_fn fn, void *arg, char **err)
{
	struct inifile_state st = { f, 0, origin, fn, arg, NULL };
	int once = pthread_once(&settings_once, inifile_settings);
	if (once != 0) {
		*err = xasprintf("%s: cannot set up the INI reader: %s", origin, strerror(once));
		return -1;
	}
	int rc = ini_parse_stream(inifile_reader, &st, inifile_handler, &st);
	if (st.err == NULL && rc != 0)
		st.err = xasprintf("%s:%d: syntax error (expected [section] or key = value)", origin,
				   rc);
	if (st.err) {
		*err = st.err;
		return -1;
	}
	return 0;
}

/* Reads a whole file. */
int inifile_read(const char *path, inifile_key_fn fn, void *arg, char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*err = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	int rc = inifile_stream(f, path, fn, arg, err);
	fclose(f);
	return rc;
}

/* Reads INI text held in memory. */
int inifile_read_text(const char *text, const char *origin, inifile_key_fn fn, void *arg,
		      char **err)
{
	size_t len = strlen(text);
	FILE *f = fmemopen((void *)text, len ? len : 1, "r");
	if (f == NULL) {
		*err = xasprintf("%s: cannot read: %s", origin, strerror(errno));
		return -1;
	}
	int rc = len ? inifile_stream(f, origin, fn, arg, err) : 0;
	fclose(f);
	return rc;
}
