/* The workbook of the writer kit: a private temporary folder, closing and reading the file
 * back, and the check that every XML part of a written workbook is well-formed (expat, by
 * ooxml_check). */
#include "xlsxw.h"
#include "ooxml.h"
#include "util.h"
#include "xlsx_read.h"
#include "xmltext.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates the private temporary folder of one workbook. */
static char *tmpdir_make(const char *who, char **err)
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
static void tmpdir_remove(const char *dir, const char *who)
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

/* Starts a workbook in a private temporary folder. */
int xlsxw_open(struct xlsxw *w, const char *who, const char *file, bool constant_memory,
	       char **err)
{
	*w = (struct xlsxw){ .who = who, .err = LXW_NO_ERROR };
	w->dir = tmpdir_make(who, err);
	if (w->dir == NULL)
		return -1;
	w->path = xasprintf("%s/%s", w->dir, file);
	lxw_workbook_options opts = {
		.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE,
		.tmpdir = w->dir,
	};
	w->wb = workbook_new_opt(w->path, &opts);
	if (w->wb == NULL) {
		*err = xasprintf("%s: libxlsxwriter cannot start a workbook in %s", who, w->dir);
		return -1;
	}
	return 0;
}

/* Keeps the first libxlsxwriter failure and what it was about. */
void xlsxw_keep(struct xlsxw *w, lxw_error e, const char *what)
{
	if (e != LXW_NO_ERROR && w->err == LXW_NO_ERROR) {
		w->err = e;
		w->what = what;
	}
}

/* A text of the properties as a cell would hold it, or NULL. */
static char *prop_text(const char *s)
{
	return s != NULL ? xmltext_clean(s) : NULL;
}

/* Sets the document's fixed properties. */
void xlsxw_properties(struct xlsxw *w, const struct xlsxw_props *p)
{
	char author[] = "baocao";
	lxw_doc_properties props = {
		.title = prop_text(p->title),
		.subject = prop_text(p->subject),
		.author = author,
		.company = prop_text(p->company),
		.keywords = prop_text(p->keywords),
		.comments = prop_text(p->comments),
		.created = p->created > 0 ? p->created : 946684800,	/* 2000-01-01 */
	};
	xlsxw_keep(w, workbook_set_properties(w->wb, &props), "properties");
	free(props.title);
	free(props.subject);
	free(props.company);
	free(props.keywords);
	free(props.comments);
}

static int close_read(struct xlsxw *w, lxw_error closed, size_t max, unsigned char **data,
		      size_t *len, char **err);
static void checked_add(const void *data, size_t len);

/* Closes the workbook and reads its file back. */
int xlsxw_close_read(struct xlsxw *w, size_t max, unsigned char **data, size_t *len,
		     char **err)
{
	*data = NULL;
	*len = 0;
	/* The XML parts are checked as libxlsxwriter writes them, on another core (ooxml_tail.c);
	 * what passes is remembered, and xlsxw_check() of these bytes does not parse it again. */
	struct ooxml_tail *tail = ooxml_tail_start(w->path);
	lxw_error closed = xlsxw_close(w->wb);	/* always: it also frees the workbook */
	w->wb = NULL;
	ooxml_tail_stop(tail);
	int rc = close_read(w, closed, max, data, len, err);
	char *why = NULL;
	if (rc == 0 && tail != NULL &&
	    ooxml_tail_check(tail, *data, *len, "xl/workbook.xml", &why) == 0)
		checked_add(*data, *len);
	free(why);	/* xlsxw_check() will find it again, and say it */
	ooxml_tail_free(tail);
	return rc;
}

/* xlsxw_close_read() once the workbook is closed (closed: libxlsxwriter's answer). */
static int close_read(struct xlsxw *w, lxw_error closed, size_t max, unsigned char **data,
		      size_t *len, char **err)
{
	if (w->err != LXW_NO_ERROR) {
		*err = xasprintf("%s: writing the %s: %s", w->who, w->what, lxw_strerror(w->err));
		return -1;
	}
	if (closed != LXW_NO_ERROR) {
		*err = xasprintf("%s: closing the workbook in %s: %s", w->who, w->dir,
				 lxw_strerror(closed));
		return -1;
	}
	char *bytes;
	if (file_read_all(w->path, max, &bytes, len) != 0) {
		*err = errno == EFBIG
			? xasprintf("%s: the workbook is larger than %zu bytes", w->who, max)
			: xasprintf("%s: cannot read back %s: %s", w->who, w->path,
				    strerror(errno));
		*len = 0;
		return -1;
	}
	*data = (unsigned char *)bytes;
	return 0;
}

/* Ends a workbook: closed if still open, its file and folder removed. */
void xlsxw_remove(struct xlsxw *w)
{
	/* Only after a failure: the workbook is abandoned, and closing it is what frees it;
	 * the failure that led here is the one reported. */
	if (w->wb != NULL && xlsxw_close(w->wb) != LXW_NO_ERROR)
		fprintf(stderr, "warning: %s: closing an abandoned workbook failed\n", w->who);
	w->wb = NULL;
	if (w->path != NULL && unlink(w->path) != 0 && errno != ENOENT)
		fprintf(stderr, "warning: %s: cannot remove %s: %s\n", w->who, w->path,
			strerror(errno));
	if (w->dir != NULL)
		tmpdir_remove(w->dir, w->who);
	free(w->path);
	free(w->dir);
	w->path = NULL;
	w->dir = NULL;
	strbuf_free(&w->clean);
	strbuf_free(&w->cut);
}

/* Workbooks this process found well-formed, by the SHA-256 of their bytes (the last few): the
 * cut-off's draft is checked as it is built, then by the outbox before it is sent, and the
 * same bytes need not be parsed twice (about a second of expat for 100 MB of XML). */
#define CHECKED_KEEP 16
static unsigned char checked[CHECKED_KEEP][crypto_hash_sha256_BYTES];
static size_t checked_next, checked_n;
static pthread_mutex_t checked_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether the bytes of this digest were found well-formed here; remembers them if add. */
static bool checked_before(const unsigned char *digest, bool add)
{
	bool found = false;
	if (pthread_mutex_lock(&checked_lock) != 0)
		abort();
	for (size_t i = 0; i < checked_n && !found; i++)
		found = memcmp(checked[i], digest, crypto_hash_sha256_BYTES) == 0;
	if (!found && add) {
		memcpy(checked[checked_next], digest, crypto_hash_sha256_BYTES);
		checked_next = (checked_next + 1) % CHECKED_KEEP;
		if (checked_n < CHECKED_KEEP)
			checked_n++;
	}
	if (pthread_mutex_unlock(&checked_lock) != 0)
		abort();
	return found;
}

/* Remembers bytes found well-formed (all their XML parts). */
static void checked_add(const void *data, size_t len)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, data, len);
	checked_before(digest, true);
}

/* Checks that every XML part of a workbook is well-formed, xl/workbook.xml among them; bytes
 * found so before in this process are not parsed again. */
int xlsxw_check(const void *data, size_t len, char **err)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, data, len);
	if (checked_before(digest, false))
		return 0;
	if (ooxml_check(data, len, "xl/workbook.xml", err) != 0)
		return -1;
	checked_before(digest, true);
	return 0;
}

/* Reader callback of xlsxw_verify(): every cell is fine. */
static bool read_cell(const struct xlsx_cell *cell, void *arg)
{
	return true;
}

/* Checks a written workbook: well-formed, then as our reader reads it. */
int xlsxw_verify(const char *who, const void *data, size_t len,
		 const struct xlsxw_expect *expect, char **err)
{
	char *why = NULL;
	if (xlsxw_check(data, len, &why) != 0) {
		*err = xasprintf("%s: the built workbook is not well-formed: %s", who, why);
		free(why);
		return XLSXW_MALFORMED;
	}
	if (expect == NULL)
		return 0;
	struct xlsx *x = NULL;
	char *detail = NULL;
	enum xlsx_error xe = xlsx_open_memory(data, len, NULL, &x, &detail);
	if (xe == XLSX_OK && expect->sheets != NULL) {
		int rc = 0;
		if (xlsx_sheet_count(x) != expect->nsheets) {
			*err = xasprintf("%s: the built workbook has %zu sheets, not %zu", who,
					 xlsx_sheet_count(x), expect->nsheets);
			rc = -1;
		}
		for (size_t i = 0; rc == 0 && i < expect->nsheets; i++)
			if (strcmp(xlsx_sheet_name(x, i), expect->sheets[i]) != 0) {
				*err = xasprintf("%s: the built workbook's sheet %zu is \"%s\", "
						 "not \"%s\"", who, i + 1, xlsx_sheet_name(x, i),
						 expect->sheets[i]);
				rc = -1;
			}
		if (rc != 0) {
			xlsx_close(x);
			return rc;
		}
	}
	for (size_t i = 0; xe == XLSX_OK && expect->cells && i < xlsx_sheet_count(x); i++)
		xe = xlsx_sheet_read(x, i, read_cell, NULL);
	if (xe != XLSX_OK) {
		*err = xasprintf("%s: the built workbook does not read back (%s%s%s); is the "
				 "temporary folder full?", who, xlsx_error_code(xe),
				 detail ? ": " : "", detail ? detail : "");
		free(detail);
		xlsx_close(x);
		return -1;
	}
	xlsx_close(x);
	return 0;
}
