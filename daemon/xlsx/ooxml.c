/* What the writers of Office Open XML packages (the workbooks, the .docx draft) share: the
 * well-formedness check of every XML part of a written package (expat), and reading back a
 * package built in memory by libzip. */
#include "ooxml.h"
#include "util.h"

#include <expat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* Packages whose XML parts inflate to more than this are checked on two threads (the big
 * consolidated workbook: 226 MB of XML at 4,000 units), each part whole on one of them. */
#define CHECK_SPLIT_BYTES (16u * 1024 * 1024)

/* Takes n bytes from what may still be inflated, shared by the threads of one check; false
 * when that is less than n. */
static bool budget_take(atomic_uint_least64_t *budget, zip_uint64_t n)
{
	uint_least64_t left = atomic_load(budget);
	do {
		if (n > left)
			return false;
	} while (!atomic_compare_exchange_weak(budget, &left, left - n));
	return true;
}

/* Parses one part of an open zip with expat; 0, or -1 with *err. *budget is what may still
 * be inflated. */
static int check_part(zip_t *z, zip_uint64_t i, const char *name, atomic_uint_least64_t *budget,
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
		if (!budget_take(budget, (zip_uint64_t)n)) {
			*err = xasprintf("%s: the parts inflate to more than %u bytes", name,
					 OOXML_CHECK_MAX_INFLATED);
			rc = -1;
			break;
		}
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

/* One thread's share of a check: the XML parts whose entries have its mark, in zip order;
 * the first that fails, and why. */
struct check_share {
	const void *data;
	size_t len;
	const unsigned char *owner;	/* per entry: 0 not XML, else the share checking it */
	unsigned char mark;
	zip_int64_t n;
	atomic_uint_least64_t *budget;
	zip_int64_t failed;		/* the entry that failed, or n */
	char *err;
};

/* Opens the package in data read-only; NULL with *err. */
static zip_t *open_package(const void *data, size_t len, char **err)
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
	}
	zip_error_fini(&ze);
	return z;
}

/* Checks one share's parts on an archive of its own (libzip's handles are not shared
 * between threads); stops at the first that fails. */
static void *check_share_run(void *arg)
{
	struct check_share *c = arg;
	c->failed = c->n;
	zip_t *z = open_package(c->data, c->len, &c->err);
	if (z == NULL) {
		c->failed = -1;
		return NULL;
	}
	for (zip_int64_t i = 0; i < c->n; i++) {
		if (c->owner[i] != c->mark)
			continue;
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		if (name == NULL || check_part(z, (zip_uint64_t)i, name, c->budget, &c->err) != 0) {
			if (name == NULL)
				c->err = xasprintf("entry %lld has no name", (long long)i);
			c->failed = i;
			break;
		}
	}
	zip_discard(z);		/* read only: nothing to write; frees the source too */
	return NULL;
}

/* Gives each XML part (owner 1) to share 1 or 2, largest first to the lighter share. */
static void share_parts(unsigned char *owner, const zip_uint64_t *size, zip_int64_t n)
{
	zip_uint64_t load[3] = { 0, 0, 0 };
	for (;;) {
		zip_int64_t big = -1;
		for (zip_int64_t i = 0; i < n; i++)
			if (owner[i] == 1 && (big < 0 || size[i] > size[big]))
				big = i;
		if (big < 0)
			break;
		unsigned char to = load[1] <= load[2] ? 1 : 2;
		owner[big] = (unsigned char)(to + 2);	/* placed: 3 or 4 for now */
		load[to] += size[big];
	}
	for (zip_int64_t i = 0; i < n; i++)
		if (owner[i] > 2)
			owner[i] = (unsigned char)(owner[i] - 2);
}

int ooxml_check(const void *data, size_t len, const char *main, char **err)
{
	return ooxml_check_except(data, len, main, NULL, 0, err);
}

/* Checks that every XML part of a package is well-formed, [Content_Types].xml and main
 * among them, but those done says were checked already; a large package on two threads, the
 * parts shared by size. */
int ooxml_check_except(const void *data, size_t len, const char *main, const bool *done,
		       size_t ndone, char **err)
{
	zip_t *z = open_package(data, len, err);
	if (z == NULL)
		return -1;
	zip_int64_t n = zip_get_num_entries(z, 0);
	if (n < 0 || (size_t)n != ndone)	/* not the entries done was made for */
		done = NULL;
	unsigned char *owner = xcalloc(n > 0 ? (size_t)n : 1, 1);
	zip_uint64_t *size = xcalloc(n > 0 ? (size_t)n : 1, sizeof *size), total = 0;
	bool types = false, found = false;
	int rc = 0;
	for (zip_int64_t i = 0; i < n; i++) {
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
		if (done != NULL && done[i])
			continue;
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
			size[i] = st.size;
		owner[i] = 1;
		total += size[i];
	}
	zip_discard(z);		/* read only: nothing to write; frees the source too */
	/* The sizes the directory tells only share the work; the budget counts what inflates. */
	bool split = rc == 0 && total > CHECK_SPLIT_BYTES;
	if (split)
		share_parts(owner, size, n);
	atomic_uint_least64_t budget = OOXML_CHECK_MAX_INFLATED;
	struct check_share share[2] = {
		{ data, len, owner, 1, n, &budget, n, NULL },
		{ data, len, owner, 2, n, &budget, n, NULL },
	};
	if (rc == 0) {
		pthread_t t;
		bool threaded = split && pthread_create(&t, NULL, check_share_run, &share[1]) == 0;
		check_share_run(&share[0]);
		if (split && !threaded)
			check_share_run(&share[1]);
		else if (threaded && pthread_join(t, NULL) != 0)
			abort();
		/* The failure first in zip order, as one thread going through them would find. */
		struct check_share *bad = share[0].failed <= share[1].failed ? &share[0]
								      : &share[1];
		if (bad->failed < n) {
			*err = bad->err;
			bad->err = NULL;
			rc = -1;
		}
		free(share[0].err);
		free(share[1].err);
	}
	free(owner);
	free(size);
	if (rc == 0 && (!types || !found)) {
		*err = xasprintf("%s is missing", types ? main : "[Content_Types].xml");
		rc = -1;
	}
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
