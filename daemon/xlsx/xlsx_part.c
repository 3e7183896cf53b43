/* The parts of the package: names and lookup, bounded inflation, parsing, relationships. */
#include "xlsx_private.h"

#include "util.h"
#include "xlsx_scan.h"

#include <ctype.h>
#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* Separates a namespace URI from a local name in expat's names; never legal in XML 1.0. */
#define NS_SEP '\x01'
/* Bytes inflated and handed to expat at a time. */
#define CHUNK (256 * 1024)
/* Relationships of one part, at most: a broken part must not cost unbounded memory. */
#define MAX_RELS 10000

static const char NS_MAIN[] = XLSX_NS_MAIN_URI;
static const char NS_MAIN_STRICT[] = XLSX_NS_STRICT_URI;

/* Records a failure from inside an XML handler and stops the parser. */
void xlsx_parse_fail(struct parse *ps, enum xlsx_error err, const char *fmt, ...)
{
	if (ps->err != XLSX_OK)
		return;
	ps->err = err;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(ps->x->detail, sizeof ps->x->detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		ps->x->detail[0] = '\0';
	if (ps->p != NULL && XML_StopParser(ps->p, XML_FALSE) != XML_STATUS_OK) {
		/* Already finished: the error recorded above is still returned. */
		return;
	}
}

/* --- Names and paths ---------------------------------------------------------------------- */

/* Splits an expat name into its namespace and local part; returns 1 for the SpreadsheetML
 * namespace (transitional or strict), 0 for no namespace, -1 for any other. */
static int name_split(const char *name, const char **local)
{
	/* The common case first: one bounded comparison, no scan for the separator. */
	if (name[0] == 'h' && strncmp(name, NS_MAIN, sizeof NS_MAIN - 1) == 0 &&
	    name[sizeof NS_MAIN - 1] == NS_SEP) {
		*local = name + sizeof NS_MAIN;
		return 1;
	}
	const char *sep = strchr(name, NS_SEP);
	if (sep == NULL) {
		*local = name;
		return 0;
	}
	*local = sep + 1;
	size_t n = (size_t)(sep - name);
	if (n == sizeof NS_MAIN_STRICT - 1 && memcmp(name, NS_MAIN_STRICT, n) == 0)
		return 1;
	return -1;
}

/* The value of an unqualified attribute, or NULL. */
const char *xlsx_attr_get(const struct xlsx_attr *atts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (atts[i].ns == XLSX_NS_NONE && strcmp(atts[i].local, name) == 0)
			return atts[i].value;
	return NULL;
}

/* Resolves a relationship target against the part that holds it, into a zip entry name. */
char *xlsx_part_resolve(const char *source, const char *target)
{
	struct strbuf in = STRBUF_INIT;
	if (target[0] != '/' && target[0] != '\\') {
		const char *slash = strrchr(source, '/');
		if (slash != NULL)
			strbuf_add(&in, source, (size_t)(slash - source + 1));
	}
	strbuf_adds(&in, target);
	for (size_t i = 0; i < in.len; i++)
		if (in.data[i] == '\\')
			in.data[i] = '/';

	/* Rebuild the path segment by segment, dropping "." and empty ones, undoing "..". */
	struct strbuf out = STRBUF_INIT;
	strbuf_grow(&out, in.len + 1);
	const char *p = in.data, *end = in.data + in.len;
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		if (q == NULL)
			q = end;
		size_t n = (size_t)(q - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last = out.len ? memrchr(out.data, '/', out.len) : NULL;
			out.len = last ? (size_t)(last - out.data) : 0;
			out.data[out.len] = '\0';
		} else {
			if (out.len)
				strbuf_addc(&out, '/');
			strbuf_add(&out, p, n);
		}
		p = q + 1;
	}
	strbuf_free(&in);
	return strbuf_detach(&out);
}

/* The name of the .rels part that holds the relationships of part. */
static char *rels_path(const char *part)
{
	const char *slash = strrchr(part, '/');
	if (slash == NULL)
		return xasprintf("_rels/%s.rels", part);
	return xasprintf("%.*s/_rels/%s.rels", (int)(slash - part), part, slash + 1);
}

/* Decodes %XX escapes of a part name in place; returns true if anything changed. */
static bool percent_decode(char *s)
{
	bool changed = false;
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
			char hex[3] = { r[1], r[2], '\0' };
			*w++ = (char)strtol(hex, NULL, 16);
			r += 2;
			changed = true;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return changed;
}

/* The index of a part in the zip: by exact name, any case, %-decoded, or with backslashes. */
zip_int64_t xlsx_part_locate(struct xlsx *x, const char *name)
{
	zip_int64_t i = zip_name_locate(x->zip, name, 0);
	if (i < 0)
		i = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
	if (i < 0 && strchr(name, '%') != NULL) {
		char *dec = xstrdup(name);
		if (percent_decode(dec))
			i = zip_name_locate(x->zip, dec, ZIP_FL_NOCASE);
		free(dec);
	}
	if (i < 0 && strchr(name, '/') != NULL) {
		/* Some writers store entry names with Windows separators. */
		char *win = xstrdup(name);
		for (char *c = win; *c; c++)
			if (*c == '/')
				*c = '\\';
		i = zip_name_locate(x->zip, win, ZIP_FL_NOCASE);
		free(win);
	}
	return i;
}

/* --- Reading parts ------------------------------------------------------------------------ */

/* Refuses a document type declaration: OOXML never has one, and it is how entity bombs start. */
static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
		       int has_internal_subset)
{
	struct parse *ps = ud;
	xlsx_parse_fail(ps, XLSX_ERR_DTD, "%s: document type declaration", ps->part);
}

/* Passes an element's start from expat to the part's handler, names split, attributes
 * converted. */
static void expat_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parse *ps = ud;
	if (ps->err != XLSX_OK || ps->ops->xml.start == NULL)
		return;
	size_t n = 0;
	while (atts[2 * n] != NULL)
		n++;
	if (n > ps->atts_cap) {
		ps->atts_cap = n;
		ps->atts = xrealloc(ps->atts, n * sizeof *ps->atts);
	}
	for (size_t i = 0; i < n; i++) {
		ps->atts[i].ns = name_split(atts[2 * i], &ps->atts[i].local);
		ps->atts[i].value = atts[2 * i + 1];
	}
	const char *local;
	int ns = name_split(name, &local);
	if (!ps->ops->xml.start(ps, ns, local, ps->atts, n) && ps->err == XLSX_OK)
		xlsx_parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
}

/* Passes an element's end from expat to the part's handler. */
static void expat_end(void *ud, const XML_Char *name)
{
	struct parse *ps = ud;
	if (ps->err != XLSX_OK || ps->ops->xml.end == NULL)
		return;
	const char *local;
	int ns = name_split(name, &local);
	if (!ps->ops->xml.end(ps, ns, local) && ps->err == XLSX_OK)
		xlsx_parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
}

/* Passes character data from expat to the part's handler. */
static void expat_text(void *ud, const XML_Char *s, int len)
{
	struct parse *ps = ud;
	if (ps->err != XLSX_OK || ps->ops->xml.text == NULL)
		return;
	if (!ps->ops->xml.text(ps, s, (size_t)len) && ps->err == XLSX_OK)
		xlsx_parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
}

/* An entry being inflated: the bytes it has given, and what they are checked against. */
struct entry {
	zip_file_t *zf;
	const char *part;
	uint64_t comp;		/* compressed size, for the ratio */
	uint64_t inflated;
	size_t chunk;		/* bytes to ask for at a time */
};

/* Opens entry idx for reading; refuses an encrypted one. */
static enum xlsx_error entry_open(struct xlsx *x, zip_int64_t idx, const char *part,
				  struct entry *e)
{
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) != 0)
		return xlsx_fail(x, XLSX_ERR_CORRUPT, "%s: %s", part, zip_strerror(x->zip));
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return xlsx_fail(x, XLSX_ERR_ENCRYPTED, "%s: zip entry is encrypted", part);
	e->part = part;
	e->comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
	e->inflated = 0;
	/* The header's size only sizes the buffer (small parts need no big one); the bytes are
	 * counted whatever it says. */
	e->chunk = CHUNK;
	if ((st.valid & ZIP_STAT_SIZE) && st.size + 1 < (uint64_t)CHUNK)
		e->chunk = st.size + 1 < 4096 ? 4096 : (size_t)st.size + 1;
	e->zf = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
	if (e->zf == NULL)
		return xlsx_fail(x, XLSX_ERR_CORRUPT, "%s: %s", part, zip_strerror(x->zip));
	return XLSX_OK;
}

/* Inflates up to e->chunk more bytes into buf, counting and bounding them; *got is 0 at the
 * end of the entry. */
static enum xlsx_error entry_read(struct xlsx *x, struct entry *e, void *buf, size_t *got)
{
	zip_int64_t n = zip_fread(e->zf, buf, (zip_uint64_t)e->chunk);
	if (n < 0)
		return xlsx_fail(x, XLSX_ERR_CORRUPT, "%s: %s", e->part, zip_file_strerror(e->zf));
	*got = (size_t)n;
	e->inflated += (uint64_t)n;
	x->total_inflated += (uint64_t)n;
	if (e->inflated > x->lim.max_entry_size)
		return xlsx_fail(x, XLSX_ERR_ENTRY_TOO_LARGE, "%s: inflates past %llu bytes",
				 e->part, (unsigned long long)x->lim.max_entry_size);
	uint64_t allowed;
	if (__builtin_mul_overflow(x->lim.max_ratio, e->comp, &allowed))
		allowed = UINT64_MAX;
	if (e->inflated > x->lim.ratio_min_size && e->inflated > allowed)
		return xlsx_fail(x, XLSX_ERR_COMPRESSION_RATIO, "%s: %llu bytes inflated from %llu",
				 e->part, (unsigned long long)e->inflated,
				 (unsigned long long)e->comp);
	if (x->total_inflated > x->lim.max_total_size)
		return xlsx_fail(x, XLSX_ERR_TOTAL_TOO_LARGE,
				 "%s: workbook inflates past %llu bytes", e->part,
				 (unsigned long long)x->lim.max_total_size);
	return XLSX_OK;
}

/* Closes an entry; rc is what reading it gave, kept unless closing fails. */
static enum xlsx_error entry_close(struct xlsx *x, struct entry *e, enum xlsx_error rc)
{
	if (zip_fclose(e->zf) != 0 && rc == XLSX_OK)
		rc = xlsx_fail(x, XLSX_ERR_CORRUPT, "%s: cannot close zip entry", e->part);
	e->zf = NULL;
	return rc;
}

/* Inflates part idx through expat, counting and bounding the bytes. */
static enum xlsx_error part_expat(struct xlsx *x, zip_int64_t idx, struct parse *ps)
{
	struct entry e;
	enum xlsx_error rc = entry_open(x, idx, ps->part, &e);
	if (rc != XLSX_OK)
		return rc;
	XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
	if (p == NULL)
		return entry_close(x, &e, xlsx_fail(x, XLSX_ERR_IO, "%s: cannot create XML parser",
						    ps->part));
	ps->p = p;
	XML_SetUserData(p, ps);
	XML_SetElementHandler(p, expat_start, expat_end);
	XML_SetCharacterDataHandler(p, expat_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	for (;;) {
		void *buf = XML_GetBuffer(p, (int)e.chunk);
		if (buf == NULL) {
			rc = xlsx_fail(x, XLSX_ERR_IO, "%s: XML parser out of memory", ps->part);
			break;
		}
		size_t n;
		rc = entry_read(x, &e, buf, &n);
		if (rc != XLSX_OK)
			break;
		if (XML_ParseBuffer(p, (int)n, n == 0) != XML_STATUS_OK) {
			if (ps->err != XLSX_OK)
				rc = ps->err;
			else
				rc = xlsx_fail(x, XLSX_ERR_BAD_XML, "%s: line %lu: %s", ps->part,
					       (unsigned long)XML_GetCurrentLineNumber(p),
					       XML_ErrorString(XML_GetErrorCode(p)));
			break;
		}
		if (ps->err != XLSX_OK) {
			rc = ps->err;
			break;
		}
		if (n == 0)
			break;
	}
	XML_ParserFree(p);
	ps->p = NULL;
	return entry_close(x, &e, rc);
}

/*
 * Inflates part idx through the fast scanner. It returns only what expat would return too:
 * success, or a failure a handler found (a bad value, a limit of the shared strings, the
 * caller's stop). On anything else (a token outside the scanner's subset, XML that is not
 * well-formed, a zip or size failure) it sets *fallback, and the part is read again by expat,
 * which reports the failure its own way.
 */
static enum xlsx_error part_scan(struct xlsx *x, zip_int64_t idx, struct parse *ps,
				 bool *fallback)
{
	struct entry e;
	enum xlsx_error rc = entry_open(x, idx, ps->part, &e);
	if (rc != XLSX_OK) {
		*fallback = true;
		return rc;
	}
	if (x->scan == NULL)
		x->scan = xlsx_scan_new();
	xlsx_scan_start(x->scan, &ps->ops->xml, ps);
	bool stopped = false;
	for (;;) {
		char *buf = xlsx_scan_buffer(x->scan, e.chunk);
		if (buf == NULL) {
			*fallback = true;
			break;
		}
		size_t n;
		rc = entry_read(x, &e, buf, &n);
		if (rc != XLSX_OK)
			break;
		enum xlsx_scan_status st = xlsx_scan_parse(x->scan, n, n == 0);
		if (st == XLSX_SCAN_STOPPED) {
			stopped = true;
			rc = ps->err != XLSX_OK ? ps->err :
				xlsx_fail(x, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
			break;
		}
		if (st == XLSX_SCAN_FALLBACK) {
			*fallback = true;
			break;
		}
		if (n == 0)
			break;
	}
	rc = entry_close(x, &e, rc);
	if (rc != XLSX_OK && !stopped)
		*fallback = true;
	return rc;
}

/* Reads part idx with the scanner, or with expat if the scanner gives up on it (or the limits
 * ask for expat alone). */
static enum xlsx_error part_parse_index(struct xlsx *x, zip_int64_t idx, struct parse *ps,
					const struct part_ops *ops)
{
	ps->x = x;
	ps->ops = ops;
	ps->p = NULL;
	ps->err = XLSX_OK;
	enum xlsx_error rc;
	if (!x->lim.expat_only) {
		uint64_t total = x->total_inflated;
		bool fallback = false;
		rc = part_scan(x, idx, ps, &fallback);
		if (!fallback)
			goto out;
		/* Start again as if the scanner had never run. */
		x->fallbacks++;
		x->total_inflated = total;
		x->detail[0] = '\0';
		ps->err = XLSX_OK;
		ops->reset(ps);
	}
	rc = part_expat(x, idx, ps);
out:
	free(ps->atts);
	ps->atts = NULL;
	ps->atts_cap = 0;
	return rc;
}

/* Parses the part named name; a missing part is XLSX_ERR_CORRUPT with *missing set. */
enum xlsx_error xlsx_part_parse(struct xlsx *x, const char *name, struct parse *ps, bool *missing,
				const struct part_ops *ops)
{
	ps->part = name;
	zip_int64_t idx = xlsx_part_locate(x, name);
	if (missing != NULL)
		*missing = idx < 0;
	if (idx < 0)
		return xlsx_fail(x, XLSX_ERR_CORRUPT, "%s: part is missing", name);
	return part_parse_index(x, idx, ps, ops);
}

/* --- Relationships ------------------------------------------------------------------------ */

struct rels_parse {
	struct parse base;
	struct rels *rels;
	const char *source;	/* the part whose relationships these are */
};

/* Collects each <Relationship>. */
static bool rels_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
		       size_t natts)
{
	struct rels_parse *rp = ud;
	if (ns == XLSX_NS_SML || strcmp(local, "Relationship") != 0)
		return true;	/* a SpreadsheetML element is never a relationship */
	const char *id = xlsx_attr_get(atts, natts, "Id");
	const char *type = xlsx_attr_get(atts, natts, "Type");
	const char *target = xlsx_attr_get(atts, natts, "Target");
	const char *mode = xlsx_attr_get(atts, natts, "TargetMode");
	if (id == NULL || type == NULL || target == NULL)
		return true;
	struct rels *r = rp->rels;
	if (r->n >= MAX_RELS) {
		xlsx_parse_fail(&rp->base, XLSX_ERR_CORRUPT, "%s: too many relationships",
				rp->base.part);
		return false;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof *r->v);
	}
	const char *slash = strrchr(type, '/');
	struct rel *e = &r->v[r->n++];
	e->id = xstrdup(id);
	e->type = xstrdup(slash ? slash + 1 : type);
	e->target = (mode != NULL && strcmp(mode, "External") == 0) ? NULL :
		xlsx_part_resolve(rp->source, target);
	return true;
}

/* Frees a relationship list. */
void xlsx_rels_free(struct rels *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].type);
		free(r->v[i].target);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Forgets the relationships read so far. */
static void rels_reset(struct parse *ps)
{
	xlsx_rels_free(((struct rels_parse *)ps)->rels);
}

static const struct part_ops RELS_OPS = { { rels_start, NULL, NULL }, rels_reset };

/* Reads the relationships of part source; a missing .rels part gives an empty list. */
enum xlsx_error xlsx_rels_read(struct xlsx *x, const char *source, struct rels *out)
{
	char *path = source[0] ? rels_path(source) : xstrdup("_rels/.rels");
	struct rels_parse rp = { .rels = out, .source = source };
	bool missing;
	enum xlsx_error rc = xlsx_part_parse(x, path, &rp.base, &missing, &RELS_OPS);
	if (rc != XLSX_OK && missing)
		rc = XLSX_OK;
	free(path);
	return rc;
}

/* The first internal relationship of the given type, or NULL. */
const struct rel *xlsx_rels_find_type(const struct rels *r, const char *type)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].target != NULL && strcmp(r->v[i].type, type) == 0)
			return &r->v[i];
	return NULL;
}

/* The relationship with the given id, or NULL. */
const struct rel *xlsx_rels_find_id(const struct rels *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}
