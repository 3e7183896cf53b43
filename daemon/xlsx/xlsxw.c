/* What the workbook writers share around libxlsxwriter: private folders, closing, and the
 * check that every XML part of a written workbook is well-formed (expat). */
#include "xlsxw.h"
#include "util.h"

#include <stdbool.h>

#include <dirent.h>
#include <expat.h>
#include <zip.h>
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

/* Whether a part's name says it holds XML. */
static bool xml_part(const char *name)
{
	return str_has_suffix(name, ".xml") || str_has_suffix(name, ".rels") ||
	       str_has_suffix(name, ".vml");
}

/* Parses one part of an open zip with expat; 0, or -1 with *err. *budget is what may still
 * be inflated. */
static int check_part(zip_t *z, zip_uint64_t i, const char *name, zip_uint64_t *budget,
		      char **err)
{
	zip_file_t *zf = zip_fopen_index(z, i, 0);
	if (zf == NULL) {
		*err = xasprintf("%s: cannot open: %s", name, zip_strerror(z));
		return -1;
	}
	XML_Parser p = XML_ParserCreate(NULL);
	if (p == NULL)
		abort();	/* out of memory: xmalloc's rule */
	int rc = 0;
	for (;;) {
		void *buf = XML_GetBuffer(p, 65536);
		if (buf == NULL)
			abort();
		zip_int64_t n = zip_fread(zf, buf, 65536);
		if (n < 0) {
			*err = xasprintf("%s: cannot inflate: %s", name, zip_file_strerror(zf));
			rc = -1;
			break;
		}
		if ((zip_uint64_t)n > *budget) {
			*err = xasprintf("%s: the parts inflate to more than %u bytes", name,
					 XLSXW_CHECK_MAX_INFLATED);
			rc = -1;
			break;
		}
		*budget -= (zip_uint64_t)n;
		if (XML_ParseBuffer(p, (int)n, n == 0) != XML_STATUS_OK) {
			*err = xasprintf("%s: line %lu, column %lu: %s", name,
					 (unsigned long)XML_GetCurrentLineNumber(p),
					 (unsigned long)XML_GetCurrentColumnNumber(p) + 1,
					 XML_ErrorString(XML_GetErrorCode(p)));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
	}
	XML_ParserFree(p);
	if (zip_fclose(zf) != 0 && rc == 0) {
		*err = xasprintf("%s: cannot inflate", name);
		rc = -1;
	}
	return rc;
}

/* Checks that every XML part of a workbook is well-formed. */
int xlsxw_check(const void *data, size_t len, char **err)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	zip_t *z = src != NULL ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze)
			       : NULL;
	if (z == NULL) {
		*err = xasprintf("not a zip: %s", zip_error_strerror(&ze));
		if (src != NULL)
			zip_source_free(src);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	zip_uint64_t budget = XLSXW_CHECK_MAX_INFLATED;
	zip_int64_t n = zip_get_num_entries(z, 0);
	bool types = false, workbook = false;
	int rc = 0;
	for (zip_int64_t i = 0; rc == 0 && i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		if (name == NULL) {
			*err = xasprintf("entry %lld has no name", (long long)i);
			rc = -1;
			break;
		}
		if (!xml_part(name))
			continue;
		types |= strcmp(name, "[Content_Types].xml") == 0;
		workbook |= strcmp(name, "xl/workbook.xml") == 0;
		rc = check_part(z, (zip_uint64_t)i, name, &budget, err);
	}
	if (rc == 0 && (!types || !workbook)) {
		*err = xasprintf("%s is missing", types ? "xl/workbook.xml" : "[Content_Types].xml");
		rc = -1;
	}
	zip_discard(z);		/* read only: nothing to write; frees the source too */
	return rc;
}
