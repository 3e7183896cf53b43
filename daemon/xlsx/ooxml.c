/* What the writers of Office Open XML packages (the workbooks, the .docx draft) share: the
 * well-formedness check of every XML part of a written package (expat), and reading back a
 * package built in memory by libzip. */
#include "ooxml.h"
#include "util.h"

#include <expat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

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
					 OOXML_CHECK_MAX_INFLATED);
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

/* Checks that every XML part of a package is well-formed, [Content_Types].xml and main
 * among them. */
int ooxml_check(const void *data, size_t len, const char *main, char **err)
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
	zip_uint64_t budget = OOXML_CHECK_MAX_INFLATED;
	zip_int64_t n = zip_get_num_entries(z, 0);
	bool types = false, found = false;
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
		found |= strcmp(name, main) == 0;
		rc = check_part(z, (zip_uint64_t)i, name, &budget, err);
	}
	if (rc == 0 && (!types || !found)) {
		*err = xasprintf("%s is missing", types ? main : "[Content_Types].xml");
		rc = -1;
	}
	zip_discard(z);		/* read only: nothing to write; frees the source too */
	return rc;
}

/* Reads everything a (closed) source holds into a new buffer. */
int ooxml_source_take(zip_source_t *src, size_t max, unsigned char **out, size_t *len)
{
	zip_stat_t st;
	if (zip_source_stat(src, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > max ||
	    zip_source_open(src) != 0)
		return -1;
	unsigned char *buf = xmalloc((size_t)st.size ? (size_t)st.size : 1);
	zip_int64_t got = zip_source_read(src, buf, st.size);
	int closed = zip_source_close(src);
	if (closed != 0 || got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)st.size;
	return 0;
}
