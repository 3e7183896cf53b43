/* Streaming, bounded reader of .xlsx workbooks (libzip for the container, expat for the XML). */
#include "xlsx_read.h"

#include "util.h"
#include "xlsx_scan.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* Separates a namespace URI from a local name in expat's names; never legal in XML 1.0. */
#define NS_SEP '\x01'
/* Bytes inflated and handed to expat at a time. */
#define CHUNK (256 * 1024)
/* Files up to this size are read whole when opened by path. */
#define SMALL_FILE (1u << 20)
/* Bounds that keep a broken part from costing unbounded memory. */
#define MAX_RELS 10000
#define MAX_XFS (1u << 20)
#define MAX_NUMFMTS 65536
#define MAX_ROW 1048576u
#define MAX_COL 16384u

static const char NS_MAIN[] = XLSX_NS_MAIN_URI;
static const char NS_MAIN_STRICT[] = XLSX_NS_STRICT_URI;

static const unsigned char OLE_MAGIC[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

/* A relationship of a .rels part, its target resolved to a zip entry name. */
struct rel {
	char *id;
	char *type;		/* the last segment of the Type URI, e.g. "worksheet" */
	char *target;		/* NULL for an external target */
};

struct rels {
	struct rel *v;
	size_t n, cap;
};

/* A sheet as listed by the workbook. */
struct sheet {
	char *name;
	char *part;
	enum xlsx_sheet_state state;
	enum xlsx_sheet_kind kind;
};

/* A custom number format: its id and whether it shows a date or time. */
struct numfmt {
	uint32_t id;
	bool date;
};

struct xlsx {
	struct xlsx_limits lim;
	zip_t *zip;
	uint64_t total_inflated;
	bool date1904;
	struct sheet *sheets;
	size_t nsheets;
	/* The shared-string table: NUL-separated texts and the offset of each. */
	struct strbuf sst;
	uint32_t *sst_off;
	size_t sst_n, sst_cap;
	/* One byte per cell format (cellXfs): 1 if it shows a date. */
	uint8_t *xf_date;
	size_t nxf;
	struct strbuf val;	/* the text of the cell being read, reused */
	struct xlsx_scan *scan;	/* the fast XML scanner, made on first use and reused */
	size_t fallbacks;	/* parts it gave up to expat */
	char detail[320];
};

struct parse;

/* How one kind of part is read: its XML handlers (shared by the scanner and expat), and how to
 * forget what the scanner reported before it gave the part up to expat. */
struct part_ops {
	struct xlsx_xml_handlers xml;
	void (*reset)(struct parse *ps);
};

/* The state shared by every part parser. */
struct parse {
	struct xlsx *x;
	XML_Parser p;		/* NULL while the scanner reads */
	const struct part_ops *ops;
	const char *part;
	enum xlsx_error err;
	struct xlsx_attr *atts;	/* expat's attributes, converted for the handlers */
	size_t atts_cap;
};

/* Fills limits with the defaults. */
void xlsx_limits_default(struct xlsx_limits *limits)
{
	limits->max_file_size = 64ull << 20;
	limits->max_entries = 1000;
	limits->max_entry_size = 256ull << 20;
	limits->max_total_size = 1ull << 30;
	limits->max_ratio = 100;
	limits->ratio_min_size = 1ull << 20;
	limits->max_shared_strings = 1000000;
	limits->max_shared_bytes = 64ull << 20;
	limits->max_sheets = 1000;
	limits->expat_only = false;
}

static const struct {
	const char *code;
	const char *message;
} errors[XLSX_ERR_COUNT] = {
	[XLSX_OK] = { "ok", "Đọc tệp thành công" },
	[XLSX_ERR_IO] = { "xlsx_io",
		"Không đọc được tệp: hãy gửi lại tệp" },
	[XLSX_ERR_FILE_TOO_LARGE] = { "xlsx_file_too_large",
		"Tệp quá lớn: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_NOT_XLSX] = { "xlsx_not_xlsx",
		"Tệp không phải là bảng tính Excel (.xlsx): hãy mở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại" },
	[XLSX_ERR_XLS] = { "xlsx_xls",
		"Đây là tệp .xls (Excel 97-2003): hãy lưu lại dưới dạng .xlsx" },
	[XLSX_ERR_ENCRYPTED] = { "xlsx_encrypted",
		"Tệp được mã hoá bằng mật khẩu: hãy bỏ mật khẩu rồi gửi lại" },
	[XLSX_ERR_ODS] = { "xlsx_ods",
		"Đây là tệp OpenDocument (.ods): hãy lưu lại dưới dạng .xlsx (Excel 2007-365) rồi gửi lại" },
	[XLSX_ERR_XLSB] = { "xlsx_xlsb",
		"Đây là tệp .xlsb (bảng tính nhị phân của Excel): hãy lưu lại dưới dạng .xlsx rồi gửi lại" },
	[XLSX_ERR_CORRUPT] = { "xlsx_corrupt",
		"Tệp .xlsx bị hỏng: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_NO_WORKBOOK] = { "xlsx_no_workbook",
		"Tệp nén không chứa bảng tính Excel: hãy gửi đúng tệp .xlsx của báo cáo" },
	[XLSX_ERR_BAD_XML] = { "xlsx_bad_xml",
		"Nội dung tệp .xlsx bị hỏng: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_DTD] = { "xlsx_dtd",
		"Tệp chứa khai báo DTD, điều mà tệp .xlsx thật không bao giờ có: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_TOO_MANY_ENTRIES] = { "xlsx_too_many_entries",
		"Tệp chứa quá nhiều thành phần: hãy xoá các trang tính, hình ảnh và đối tượng không cần thiết rồi gửi lại" },
	[XLSX_ERR_ENTRY_TOO_LARGE] = { "xlsx_entry_too_large",
		"Một trang tính hoặc thành phần của tệp quá lớn: hãy xoá dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_COMPRESSION_RATIO] = { "xlsx_compression_ratio",
		"Tệp bị nén bất thường và có thể gây hại: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_TOTAL_TOO_LARGE] = { "xlsx_total_too_large",
		"Dữ liệu trong tệp quá lớn: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_SST_TOO_LARGE] = { "xlsx_shared_strings_too_large",
		"Tệp chứa quá nhiều văn bản: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_NO_SUCH_SHEET] = { "xlsx_no_such_sheet",
		"Không tìm thấy trang tính cần đọc trong tệp: hãy dùng đúng mẫu báo cáo" },
	[XLSX_ERR_STOPPED] = { "xlsx_stopped",
		"Đã dừng đọc tệp" },
};

/* The English name of an error for logs and JSON. */
const char *xlsx_error_code(enum xlsx_error err)
{
	if ((unsigned)err >= XLSX_ERR_COUNT)
		return "xlsx_unknown";
	return errors[err].code;
}

/* The Vietnamese message for the user. */
const char *xlsx_error_message(enum xlsx_error err)
{
	if ((unsigned)err >= XLSX_ERR_COUNT)
		return "Lỗi không xác định khi đọc tệp .xlsx: hãy gửi lại tệp";
	return errors[err].message;
}

/* Records an English explanation of a failure and returns err. */
static enum xlsx_error __attribute__((format(printf, 3, 4)))
fail(struct xlsx *x, enum xlsx_error err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(x->detail, sizeof x->detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		x->detail[0] = '\0';
	return err;
}

/* Records a failure from inside an expat handler and stops the parser. */
static void __attribute__((format(printf, 3, 4)))
parse_fail(struct parse *ps, enum xlsx_error err, const char *fmt, ...)
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
static const char *attr_get(const struct xlsx_attr *atts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (atts[i].ns == XLSX_NS_NONE && strcmp(atts[i].local, name) == 0)
			return atts[i].value;
	return NULL;
}

/* Resolves a relationship target against the part that holds it, into a zip entry name. */
static char *part_resolve(const char *source, const char *target)
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
static zip_int64_t part_locate(struct xlsx *x, const char *name)
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
	parse_fail(ps, XLSX_ERR_DTD, "%s: document type declaration", ps->part);
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
		parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
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
		parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
}

/* Passes character data from expat to the part's handler. */
static void expat_text(void *ud, const XML_Char *s, int len)
{
	struct parse *ps = ud;
	if (ps->err != XLSX_OK || ps->ops->xml.text == NULL)
		return;
	if (!ps->ops->xml.text(ps, s, (size_t)len) && ps->err == XLSX_OK)
		parse_fail(ps, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
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
		return fail(x, XLSX_ERR_CORRUPT, "%s: %s", part, zip_strerror(x->zip));
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return fail(x, XLSX_ERR_ENCRYPTED, "%s: zip entry is encrypted", part);
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
		return fail(x, XLSX_ERR_CORRUPT, "%s: %s", part, zip_strerror(x->zip));
	return XLSX_OK;
}

/* Inflates up to e->chunk more bytes into buf, counting and bounding them; *got is 0 at the
 * end of the entry. */
static enum xlsx_error entry_read(struct xlsx *x, struct entry *e, void *buf, size_t *got)
{
	zip_int64_t n = zip_fread(e->zf, buf, (zip_uint64_t)e->chunk);
	if (n < 0)
		return fail(x, XLSX_ERR_CORRUPT, "%s: %s", e->part, zip_file_strerror(e->zf));
	*got = (size_t)n;
	e->inflated += (uint64_t)n;
	x->total_inflated += (uint64_t)n;
	if (e->inflated > x->lim.max_entry_size)
		return fail(x, XLSX_ERR_ENTRY_TOO_LARGE, "%s: inflates past %llu bytes", e->part,
			    (unsigned long long)x->lim.max_entry_size);
	uint64_t allowed;
	if (__builtin_mul_overflow(x->lim.max_ratio, e->comp, &allowed))
		allowed = UINT64_MAX;
	if (e->inflated > x->lim.ratio_min_size && e->inflated > allowed)
		return fail(x, XLSX_ERR_COMPRESSION_RATIO, "%s: %llu bytes inflated from %llu",
			    e->part, (unsigned long long)e->inflated, (unsigned long long)e->comp);
	if (x->total_inflated > x->lim.max_total_size)
		return fail(x, XLSX_ERR_TOTAL_TOO_LARGE, "%s: workbook inflates past %llu bytes",
			    e->part, (unsigned long long)x->lim.max_total_size);
	return XLSX_OK;
}

/* Closes an entry; rc is what reading it gave, kept unless closing fails. */
static enum xlsx_error entry_close(struct xlsx *x, struct entry *e, enum xlsx_error rc)
{
	if (zip_fclose(e->zf) != 0 && rc == XLSX_OK)
		rc = fail(x, XLSX_ERR_CORRUPT, "%s: cannot close zip entry", e->part);
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
		return entry_close(x, &e, fail(x, XLSX_ERR_IO, "%s: cannot create XML parser",
					       ps->part));
	ps->p = p;
	XML_SetUserData(p, ps);
	XML_SetElementHandler(p, expat_start, expat_end);
	XML_SetCharacterDataHandler(p, expat_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	for (;;) {
		void *buf = XML_GetBuffer(p, (int)e.chunk);
		if (buf == NULL) {
			rc = fail(x, XLSX_ERR_IO, "%s: XML parser out of memory", ps->part);
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
				rc = fail(x, XLSX_ERR_BAD_XML, "%s: line %lu: %s", ps->part,
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
				fail(x, XLSX_ERR_STOPPED, "%s: stopped", ps->part);
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
static enum xlsx_error part_parse(struct xlsx *x, const char *name, struct parse *ps, bool *missing,
				  const struct part_ops *ops)
{
	ps->part = name;
	zip_int64_t idx = part_locate(x, name);
	if (missing != NULL)
		*missing = idx < 0;
	if (idx < 0)
		return fail(x, XLSX_ERR_CORRUPT, "%s: part is missing", name);
	return part_parse_index(x, idx, ps, ops);
}

/* --- Relationships and content types ------------------------------------------------------ */

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
	const char *id = attr_get(atts, natts, "Id");
	const char *type = attr_get(atts, natts, "Type");
	const char *target = attr_get(atts, natts, "Target");
	const char *mode = attr_get(atts, natts, "TargetMode");
	if (id == NULL || type == NULL || target == NULL)
		return true;
	struct rels *r = rp->rels;
	if (r->n >= MAX_RELS) {
		parse_fail(&rp->base, XLSX_ERR_CORRUPT, "%s: too many relationships", rp->base.part);
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
		part_resolve(rp->source, target);
	return true;
}

/* Frees a relationship list. */
static void rels_free(struct rels *r)
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
	rels_free(((struct rels_parse *)ps)->rels);
}

static const struct part_ops RELS_OPS = { { rels_start, NULL, NULL }, rels_reset };

/* Reads the relationships of part source; a missing .rels part gives an empty list. */
static enum xlsx_error rels_read(struct xlsx *x, const char *source, struct rels *out)
{
	char *path = source[0] ? rels_path(source) : xstrdup("_rels/.rels");
	struct rels_parse rp = { .rels = out, .source = source };
	bool missing;
	enum xlsx_error rc = part_parse(x, path, &rp.base, &missing, &RELS_OPS);
	if (rc != XLSX_OK && missing)
		rc = XLSX_OK;
	free(path);
	return rc;
}

/* The first internal relationship of the given type, or NULL. */
static const struct rel *rels_find_type(const struct rels *r, const char *type)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].target != NULL && strcmp(r->v[i].type, type) == 0)
			return &r->v[i];
	return NULL;
}

/* The relationship with the given id, or NULL. */
static const struct rel *rels_find_id(const struct rels *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

struct ctypes_parse {
	struct parse base;
	char *workbook;
};

/* Finds the workbook part among the <Override> elements of [Content_Types].xml. */
static bool ctypes_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			 size_t natts)
{
	struct ctypes_parse *cp = ud;
	if (cp->workbook != NULL || ns == XLSX_NS_SML || strcmp(local, "Override") != 0)
		return true;
	const char *pn = attr_get(atts, natts, "PartName");
	const char *ct = attr_get(atts, natts, "ContentType");
	if (pn == NULL || ct == NULL)
		return true;
	if (str_has_suffix(ct, ".main+xml") &&
	    (strstr(ct, "spreadsheetml") != NULL || strstr(ct, "ms-excel") != NULL))
		cp->workbook = part_resolve("", pn);
	else if (strcmp(ct, "application/vnd.ms-excel.sheet.binary.macroEnabled.main") == 0)
		cp->workbook = part_resolve("", pn);
	return true;
}

/* Forgets the workbook part found so far. */
static void ctypes_reset(struct parse *ps)
{
	struct ctypes_parse *cp = (struct ctypes_parse *)ps;
	free(cp->workbook);
	cp->workbook = NULL;
}

static const struct part_ops CTYPES_OPS = { { ctypes_start, NULL, NULL }, ctypes_reset };

/* --- Workbook ----------------------------------------------------------------------------- */

struct wb_sheet {
	char *name;
	char *rid;
	enum xlsx_sheet_state state;
};

struct workbook_parse {
	struct parse base;
	struct wb_sheet *v;
	size_t n, cap;
};

/* True for the xsd:boolean true values. */
static bool xsd_true(const char *s)
{
	return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

/* Collects <workbookPr date1904> and each <sheet>. */
static bool workbook_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			   size_t natts)
{
	struct workbook_parse *wp = ud;
	struct xlsx *x = wp->base.x;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "workbookPr") == 0) {
		x->date1904 = xsd_true(attr_get(atts, natts, "date1904"));
	} else if (strcmp(local, "sheet") == 0) {
		const char *sname = attr_get(atts, natts, "name");
		const char *state = attr_get(atts, natts, "state");
		const char *rid = NULL;
		for (size_t i = 0; i < natts; i++)
			if (atts[i].ns != XLSX_NS_NONE && strcmp(atts[i].local, "id") == 0)
				rid = atts[i].value;
		if (wp->n >= x->lim.max_sheets) {
			parse_fail(&wp->base, XLSX_ERR_CORRUPT, "%s: more than %llu sheets",
				   wp->base.part, (unsigned long long)x->lim.max_sheets);
			return false;
		}
		if (wp->n == wp->cap) {
			wp->cap = wp->cap ? 2 * wp->cap : 8;
			wp->v = xrealloc(wp->v, wp->cap * sizeof *wp->v);
		}
		struct wb_sheet *s = &wp->v[wp->n++];
		s->name = xstrdup(sname ? sname : "");
		s->rid = rid ? xstrdup(rid) : NULL;
		s->state = XLSX_VISIBLE;
		if (state != NULL && strcmp(state, "hidden") == 0)
			s->state = XLSX_HIDDEN;
		else if (state != NULL && strcmp(state, "veryHidden") == 0)
			s->state = XLSX_VERY_HIDDEN;
	}
	return true;
}

/* Forgets the sheets and date system read so far. */
static void workbook_reset(struct parse *ps)
{
	struct workbook_parse *wp = (struct workbook_parse *)ps;
	for (size_t i = 0; i < wp->n; i++) {
		free(wp->v[i].name);
		free(wp->v[i].rid);
	}
	wp->n = 0;
	ps->x->date1904 = false;
}

static const struct part_ops WORKBOOK_OPS = { { workbook_start, NULL, NULL }, workbook_reset };

/* --- Styles ------------------------------------------------------------------------------- */

/* True if a number format code shows a date or time: it has d, m, y, h or s outside quoted
 * text, escapes, fill and padding characters and brackets other than elapsed [h], [m], [s]. */
static bool format_is_date(const char *code)
{
	for (const char *p = code; *p; p++) {
		switch (*p) {
		case ';':
			return false;	/* only the first section (positive numbers) counts */
		case '"': {
			const char *q = strchr(p + 1, '"');
			if (q == NULL)
				return false;
			p = q;
			break;
		}
		case '\\':
		case '_':
		case '*':
			if (p[1] == '\0')
				return false;
			p++;
			break;
		case '[': {
			const char *q = strchr(p + 1, ']');
			if (q == NULL)
				return false;
			size_t n = (size_t)(q - p - 1);
			char c = (char)(p[1] | 0x20);
			if (n >= 1 && n <= 2 && (c == 'h' || c == 'm' || c == 's') &&
			    (n == 1 || (p[2] | 0x20) == c))
				return true;
			p = q;
			break;
		}
		case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
		case 'h': case 'H': case 's': case 'S':
			return true;
		default:
			break;
		}
	}
	return false;
}

/* True for the built-in number formats that show dates and times. */
static bool builtin_is_date(uint32_t id)
{
	return (id >= 14 && id <= 22) || (id >= 45 && id <= 47);
}

struct styles_parse {
	struct parse base;
	int in_numfmts, in_cellxfs;
	struct numfmt *fmts;
	size_t nfmts, capfmts;
	uint32_t *xf_fmt;
	size_t nxf, capxf;
};

/* Parses an unsigned decimal attribute; false if it is absent or malformed. */
static bool parse_u32(const char *s, uint32_t *out)
{
	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0')
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Collects custom number formats and the number format of each cell format. */
static bool styles_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			 size_t natts)
{
	struct styles_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "numFmts") == 0) {
		sp->in_numfmts++;
	} else if (strcmp(local, "cellXfs") == 0) {
		sp->in_cellxfs++;
	} else if (sp->in_numfmts && strcmp(local, "numFmt") == 0) {
		uint32_t id;
		const char *code = attr_get(atts, natts, "formatCode");
		if (!parse_u32(attr_get(atts, natts, "numFmtId"), &id) || code == NULL)
			return true;
		if (sp->nfmts >= MAX_NUMFMTS)
			return true;
		if (sp->nfmts == sp->capfmts) {
			sp->capfmts = sp->capfmts ? 2 * sp->capfmts : 16;
			sp->fmts = xrealloc(sp->fmts, sp->capfmts * sizeof *sp->fmts);
		}
		sp->fmts[sp->nfmts].id = id;
		sp->fmts[sp->nfmts].date = format_is_date(code);
		sp->nfmts++;
	} else if (sp->in_cellxfs && strcmp(local, "xf") == 0) {
		uint32_t id;
		if (!parse_u32(attr_get(atts, natts, "numFmtId"), &id))
			id = 0;
		if (sp->nxf >= MAX_XFS)
			return true;
		if (sp->nxf == sp->capxf) {
			sp->capxf = sp->capxf ? 2 * sp->capxf : 64;
			sp->xf_fmt = xrealloc(sp->xf_fmt, sp->capxf * sizeof *sp->xf_fmt);
		}
		sp->xf_fmt[sp->nxf++] = id;
	}
	return true;
}

/* Tracks the end of <numFmts> and <cellXfs>. */
static bool styles_end(void *ud, int ns, const char *local)
{
	struct styles_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "numFmts") == 0 && sp->in_numfmts > 0)
		sp->in_numfmts--;
	else if (strcmp(local, "cellXfs") == 0 && sp->in_cellxfs > 0)
		sp->in_cellxfs--;
	return true;
}

/* Forgets the formats read so far. */
static void styles_reset(struct parse *ps)
{
	struct styles_parse *sp = (struct styles_parse *)ps;
	sp->in_numfmts = sp->in_cellxfs = 0;
	sp->nfmts = sp->nxf = 0;
}

static const struct part_ops STYLES_OPS = { { styles_start, styles_end, NULL }, styles_reset };

/* Reads styles.xml into the table of cell formats that show dates. */
static enum xlsx_error styles_read(struct xlsx *x, const char *part)
{
	struct styles_parse sp = { 0 };
	bool missing;
	enum xlsx_error rc = part_parse(x, part, &sp.base, &missing, &STYLES_OPS);
	if (rc == XLSX_OK) {
		x->nxf = sp.nxf;
		x->xf_date = xcalloc(sp.nxf ? sp.nxf : 1, 1);
		for (size_t i = 0; i < sp.nxf; i++) {
			bool date = builtin_is_date(sp.xf_fmt[i]);
			/* A custom format overrides a built-in one with the same id; the last one wins. */
			for (size_t j = sp.nfmts; j-- > 0;) {
				if (sp.fmts[j].id == sp.xf_fmt[i]) {
					date = sp.fmts[j].date;
					break;
				}
			}
			x->xf_date[i] = date;
		}
	} else if (missing) {
		rc = XLSX_OK;	/* no styles: no dates */
	}
	free(sp.fmts);
	free(sp.xf_fmt);
	return rc;
}

/* --- Text --------------------------------------------------------------------------------- */

/* Writes code point c as UTF-8 at w; returns the number of bytes. */
static size_t utf8_put(char *w, uint32_t c)
{
	if (c < 0x80) {
		w[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		w[0] = (char)(0xC0 | (c >> 6));
		w[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		w[0] = (char)(0xE0 | (c >> 12));
		w[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		w[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	w[0] = (char)(0xF0 | (c >> 18));
	w[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	w[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	w[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* The value of an _xHHHH_ escape at s (which has at least 7 bytes left), or -1. */
static long escape_at(const char *s)
{
	if (s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return -1;
	long v = 0;
	for (int i = 2; i < 6; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Replaces the _xHHHH_ escapes of OOXML strings in place; returns the new length. */
static size_t xstring_unescape(char *s, size_t n)
{
	char *first = memchr(s, '_', n);
	if (first == NULL)
		return n;
	char *w = first;
	const char *r = first, *end = s + n;
	while (r < end) {
		long c = (end - r >= 7) ? escape_at(r) : -1;
		if (c < 0) {
			*w++ = *r++;
			continue;
		}
		r += 7;
		if (c >= 0xD800 && c <= 0xDBFF) {
			long lo = (end - r >= 7) ? escape_at(r) : -1;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				r += 7;
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			c = 0xFFFD;
		}
		w += utf8_put(w, (uint32_t)c);
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* --- Shared strings ----------------------------------------------------------------------- */

struct sst_parse {
	struct parse base;
	bool in_si;
	int in_t, in_rph;
	struct strbuf text;
};

/* Tracks <si>, its <t> and skipped <rPh> phonetic runs. */
static bool sst_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
		      size_t natts)
{
	struct sst_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "si") == 0) {
		sp->in_si = true;
		sp->in_t = sp->in_rph = 0;
		strbuf_reset(&sp->text);
	} else if (sp->in_si && strcmp(local, "t") == 0) {
		sp->in_t++;
	} else if (sp->in_si && strcmp(local, "rPh") == 0) {
		sp->in_rph++;
	}
	return true;
}

/* Collects the text of <t> elements outside phonetic runs. */
static bool sst_text(void *ud, const char *s, size_t len)
{
	struct sst_parse *sp = ud;
	if (!sp->in_t || sp->in_rph)
		return true;
	struct xlsx *x = sp->base.x;
	if (x->sst.len + sp->text.len + len > x->lim.max_shared_bytes) {
		parse_fail(&sp->base, XLSX_ERR_SST_TOO_LARGE, "%s: more than %llu bytes of text",
			   sp->base.part, (unsigned long long)x->lim.max_shared_bytes);
		return false;
	}
	strbuf_add(&sp->text, s, len);
	return true;
}

/* Stores each finished <si> in the table. */
static bool sst_end(void *ud, int ns, const char *local)
{
	struct sst_parse *sp = ud;
	struct xlsx *x = sp->base.x;
	if (ns == XLSX_NS_OTHER || !sp->in_si)
		return true;
	if (strcmp(local, "t") == 0 && sp->in_t > 0) {
		sp->in_t--;
	} else if (strcmp(local, "rPh") == 0 && sp->in_rph > 0) {
		sp->in_rph--;
	} else if (strcmp(local, "si") == 0) {
		sp->in_si = false;
		if (x->sst_n >= x->lim.max_shared_strings) {
			parse_fail(&sp->base, XLSX_ERR_SST_TOO_LARGE, "%s: more than %llu strings",
				   sp->base.part, (unsigned long long)x->lim.max_shared_strings);
			return false;
		}
		size_t n = sp->text.len ? xstring_unescape(sp->text.data, sp->text.len) : 0;
		if (x->sst_n == x->sst_cap) {
			x->sst_cap = x->sst_cap ? 2 * x->sst_cap : 256;
			x->sst_off = xrealloc(x->sst_off, x->sst_cap * sizeof *x->sst_off);
		}
		x->sst_off[x->sst_n++] = (uint32_t)x->sst.len;
		strbuf_add(&x->sst, sp->text.data ? sp->text.data : "", n);
		strbuf_addc(&x->sst, '\0');
	}
	return true;
}

/* Forgets the strings read so far (the table is read once, so it empties it). */
static void sst_reset(struct parse *ps)
{
	struct sst_parse *sp = (struct sst_parse *)ps;
	sp->in_si = false;
	sp->in_t = sp->in_rph = 0;
	strbuf_reset(&sp->text);
	ps->x->sst_n = 0;
	strbuf_reset(&ps->x->sst);
}

static const struct part_ops SST_OPS = { { sst_start, sst_end, sst_text }, sst_reset };

/* Reads the shared-string table. */
static enum xlsx_error sst_read(struct xlsx *x, const char *part)
{
	struct sst_parse sp = { 0 };
	bool missing;
	enum xlsx_error rc = part_parse(x, part, &sp.base, &missing, &SST_OPS);
	if (rc != XLSX_OK && missing)
		rc = XLSX_OK;
	strbuf_free(&sp.text);
	return rc;
}

/* --- Values ------------------------------------------------------------------------------- */

static const double POW10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* True for the white space XML and Python's float() allow around a number. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses a decimal number exactly as strtod() would (correctly rounded); s is NUL-terminated.
 * Numbers whose digits make an integer of at most 2^53 with a power of ten up to 22 take an exact
 * fast path (Clinger's: both are exact doubles, so one operation rounds correctly); others go to
 * strtod(). Rejects anything else. */
static bool parse_number(const char *s, double *out)
{
	while (is_space(*s))
		s++;
	const char *start = s;
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	uint64_t mant = 0;
	int digits = 0, scale = 0;
	bool any = false;
	for (; *s >= '0' && *s <= '9'; s++, any = true) {
		if (mant == 0 && *s == '0')
			continue;
		if (digits < 19)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else
			scale++;
		digits++;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, any = true) {
			if (mant == 0 && *s == '0') {
				scale--;
				continue;
			}
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				scale--;
			}
			digits++;
		}
	}
	if (!any)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		bool eneg = false;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		if (*s < '0' || *s > '9')
			return false;
		int e = 0;
		for (; *s >= '0' && *s <= '9'; s++)
			if (e < 100000)
				e = e * 10 + (*s - '0');
		scale += eneg ? -e : e;
	}
	const char *end = s;
	while (is_space(*s))
		s++;
	if (*s != '\0')
		return false;

	double v;
	if (mant == 0) {
		v = 0.0;
	} else if (digits <= 19 && mant <= (1ull << 53) && scale >= -22 && scale <= 22) {
		/* Both the mantissa and the power of ten are exact doubles: one correct rounding. */
		v = scale < 0 ? (double)mant / POW10[-scale] : (double)mant * POW10[scale];
	} else {
		char tmp[128];
		size_t n = (size_t)(end - start);
		char *heap = NULL, *q = tmp;
		if (n >= sizeof tmp)
			q = heap = xmalloc(n + 1);
		memcpy(q, start, n);
		q[n] = '\0';
		errno = 0;
		v = strtod(q, NULL);
		free(heap);
		if (!isfinite(v))
			return false;
		return *out = v, true;
	}
	*out = neg ? -v : v;
	return true;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* The civil date of a count of days from 1970-01-01. */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long yy = (long long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* Converts a date serial to a date and time, rounded to the millisecond. Serials in [0, 1) are
 * times of day on the epoch's day 0 (1899-12-30 or 1904-01-01); in the 1900 system serials
 * 1 to 59 are shifted a day for the fake 1900-02-29 (serial 60, shown as 1900-02-28). */
bool xlsx_serial_to_datetime(double v, bool date1904, struct xlsx_datetime *out)
{
	if (!(v > -800000.0 && v < 3000000.0))
		return false;
	double day = floor(v);
	double ms = nearbyint((v - day) * 86400.0 * 1000.0);
	long long d = (long long)day;
	long long base;
	if (date1904) {
		base = days_from_civil(1904, 1, 1);
	} else {
		base = days_from_civil(1899, 12, 30);
		if (v >= 1 && v < 60)
			d += 1;
	}
	long long total = (base + d) * 86400000LL + (long long)ms;
	long long days = total >= 0 ? total / 86400000LL : -((-total + 86399999LL) / 86400000LL);
	long long rem = total - days * 86400000LL;
	int y, m, dd;
	civil_from_days(days, &y, &m, &dd);
	if (y < 1 || y > 9999)
		return false;
	out->year = y;
	out->month = m;
	out->day = dd;
	out->hour = (int)(rem / 3600000);
	out->minute = (int)(rem / 60000 % 60);
	out->second = (int)(rem / 1000 % 60);
	out->msec = (int)(rem % 1000);
	return true;
}

/* The serial of a date and time in the workbook's date system. */
static double datetime_to_serial(const struct xlsx_datetime *dt, bool date1904)
{
	long long days = days_from_civil(dt->year, (unsigned)dt->month, (unsigned)dt->day);
	double serial;
	if (date1904) {
		serial = (double)(days - days_from_civil(1904, 1, 1));
	} else {
		serial = (double)(days - days_from_civil(1899, 12, 30));
		if (serial >= 2 && serial <= 60)
			serial -= 1;
	}
	double frac = (dt->hour * 3600000.0 + dt->minute * 60000.0 + dt->second * 1000.0 + dt->msec) /
		86400000.0;
	return serial + frac;
}

/* Reads exactly n digits at *p as a number; advances *p. */
static bool digits_n(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Parses an ISO 8601 date, date-time or time (t="d" cells); a time alone falls on the epoch's
 * day 0. Any zone suffix is ignored: the value is the local time as written. */
static bool parse_iso8601(const char *s, bool date1904, struct xlsx_datetime *dt)
{
	memset(dt, 0, sizeof *dt);
	while (is_space(*s))
		s++;
	const char *p = s;
	bool have_date = false;
	if (digits_n(&p, 4, &dt->year) && *p == '-') {
		p++;
		if (!digits_n(&p, 2, &dt->month) || *p++ != '-' || !digits_n(&p, 2, &dt->day))
			return false;
		have_date = true;
		if (*p == 'T' || *p == ' ')
			p++;
	} else {
		p = s;
		if (date1904) {
			dt->year = 1904, dt->month = 1, dt->day = 1;
		} else {
			dt->year = 1899, dt->month = 12, dt->day = 30;
		}
	}
	const char *t = p;
	if (digits_n(&p, 2, &dt->hour) && *p == ':') {
		p++;
		if (!digits_n(&p, 2, &dt->minute))
			return false;
		if (*p == ':') {
			p++;
			if (!digits_n(&p, 2, &dt->second))
				return false;
			if (*p == '.' || *p == ',') {
				int scale = 100;
				for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
					dt->msec += (*p - '0') * scale;
			}
		}
	} else {
		p = t;
		if (!have_date)
			return false;
	}
	if (dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->hour > 23 || dt->minute > 59 ||
	    dt->second > 59)
		return false;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (dt->year % 4 == 0 && dt->year % 100 != 0) || dt->year % 400 == 0;
	if (dt->day > mdays[dt->month - 1] || (dt->month == 2 && dt->day == 29 && !leap))
		return false;
	return dt->year >= 1;
}

/* Parses an A1-style reference; false if malformed or outside the sheet's bounds. */
static bool parse_ref(const char *s, uint32_t *row, uint32_t *col)
{
	uint32_t c = 0, r = 0;
	if (*s == '$')
		s++;
	const char *start = s;
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
		c = c * 26 + (uint32_t)((*s | 0x20) - 'a' + 1);
		if (c > MAX_COL)
			return false;
	}
	if (s == start || s - start > 3)
		return false;
	if (*s == '$')
		s++;
	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		r = r * 10 + (uint32_t)(*s - '0');
		if (r > MAX_ROW)
			return false;
	}
	if (*s != '\0')
		return false;
	*row = r;
	*col = c;
	return true;
}

/* Writes the A1-style reference of a cell. */
size_t xlsx_ref_format(uint32_t row, uint32_t col, char buf[XLSX_REF_MAX])
{
	char letters[8];
	size_t n = 0;
	if (col > MAX_COL)
		col = MAX_COL;
	if (row > MAX_ROW)
		row = MAX_ROW;
	while (col > 0 && n < sizeof letters) {
		col--;
		letters[n++] = (char)('A' + col % 26);
		col /= 26;
	}
	size_t len = 0;
	while (n > 0)
		buf[len++] = letters[--n];
	int k = snprintf(buf + len, XLSX_REF_MAX - len, "%u", (unsigned)row);
	return len + (k > 0 ? (size_t)k : 0);
}

/* --- Worksheets --------------------------------------------------------------------------- */

/* How the t attribute of a cell says to read its value. */
enum ctype { CT_NUMBER, CT_SHARED, CT_STR, CT_INLINE, CT_BOOL, CT_ERROR, CT_DATE, CT_OTHER };

struct sheet_parse {
	struct parse base;
	xlsx_cell_fn fn;
	void *arg;
	bool in_data, in_cell, in_v, in_is, have_value;
	int in_t, in_rph;
	uint32_t row, col;		/* the current row; the last cell's column */
	uint32_t cell_row, cell_col;
	uint32_t style;
	enum ctype ctype;
	uint64_t delivered;	/* cells given to fn */
	uint64_t skip;		/* cells to read again without giving them (after a fallback) */
};

/* The kind of cell value a t attribute names. */
static enum ctype ctype_of(const char *t)
{
	if (t == NULL)
		return CT_NUMBER;
	switch (t[0]) {
	case 'n':
		return t[1] == '\0' ? CT_NUMBER : CT_OTHER;
	case 's':
		return t[1] == '\0' ? CT_SHARED : strcmp(t, "str") == 0 ? CT_STR : CT_OTHER;
	case 'b':
		return t[1] == '\0' ? CT_BOOL : CT_OTHER;
	case 'e':
		return t[1] == '\0' ? CT_ERROR : CT_OTHER;
	case 'd':
		return t[1] == '\0' ? CT_DATE : CT_OTHER;
	case 'i':
		return strcmp(t, "inlineStr") == 0 ? CT_INLINE : CT_OTHER;
	default:
		return CT_OTHER;
	}
}

/* Starts rows, cells and the elements that hold a cell's value. */
static bool sheet_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			size_t natts)
{
	struct sheet_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (sp->in_cell) {
		if (local[0] == 'v' && local[1] == '\0') {
			sp->in_v = true;
			if (sp->ctype != CT_INLINE) {
				sp->have_value = true;
				strbuf_reset(&sp->base.x->val);
			}
		} else if (strcmp(local, "is") == 0) {
			sp->in_is = true;
			if (sp->ctype == CT_INLINE) {
				sp->have_value = true;
				strbuf_reset(&sp->base.x->val);
			}
		} else if (sp->in_is && local[0] == 't' && local[1] == '\0') {
			sp->in_t++;
		} else if (sp->in_is && strcmp(local, "rPh") == 0) {
			sp->in_rph++;
		}
		return true;
	}
	if (!sp->in_data) {
		if (strcmp(local, "sheetData") == 0)
			sp->in_data = true;
		return true;
	}
	if (local[0] == 'c' && local[1] == '\0') {
		const char *r = NULL, *t = NULL, *s = NULL;
		for (size_t i = 0; i < natts; i++) {
			const char *a = atts[i].local;
			if (atts[i].ns != XLSX_NS_NONE || a[1] != '\0')
				continue;
			switch (a[0]) {
			case 'r': r = atts[i].value; break;
			case 't': t = atts[i].value; break;
			case 's': s = atts[i].value; break;
			default: break;
			}
		}
		if (r != NULL) {
			if (!parse_ref(r, &sp->cell_row, &sp->cell_col)) {
				parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: bad cell reference \"%.20s\"",
					   sp->base.part, r);
				return false;
			}
		} else {
			if (sp->col >= MAX_COL || sp->row == 0) {
				parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: cell outside the sheet",
					   sp->base.part);
				return false;
			}
			sp->cell_row = sp->row;
			sp->cell_col = sp->col + 1;
		}
		sp->col = sp->cell_col;
		if (s == NULL || !parse_u32(s, &sp->style))
			sp->style = 0;
		sp->ctype = ctype_of(t);
		sp->in_cell = true;
		sp->in_v = sp->in_is = sp->have_value = false;
		sp->in_t = sp->in_rph = 0;
	} else if (strcmp(local, "row") == 0) {
		const char *r = attr_get(atts, natts, "r");
		uint32_t n;
		if (r != NULL) {
			if (!parse_u32(r, &n) || n == 0 || n > MAX_ROW) {
				parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: bad row number \"%.20s\"",
					   sp->base.part, r);
				return false;
			}
			sp->row = n;
		} else {
			if (sp->row >= MAX_ROW) {
				parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: row outside the sheet",
					   sp->base.part);
				return false;
			}
			sp->row++;
		}
		sp->col = 0;
	}
	return true;
}

/* Collects the text of <v>, or of the <t> of an inline string outside phonetic runs. */
static bool sheet_text(void *ud, const char *s, size_t len)
{
	struct sheet_parse *sp = ud;
	if (!sp->in_cell)
		return true;
	bool inl = sp->ctype == CT_INLINE;
	if ((inl && sp->in_t && !sp->in_rph) || (!inl && sp->in_v)) {
		struct strbuf *val = &sp->base.x->val;
		if (val->len + len > sp->base.x->lim.max_entry_size) {
			parse_fail(&sp->base, XLSX_ERR_ENTRY_TOO_LARGE, "%s: cell too large",
				   sp->base.part);
			return false;
		}
		strbuf_add(val, s, len);
	}
	return true;
}

/* Turns a finished cell into an xlsx_cell and gives it to the callback. */
static void sheet_cell(struct sheet_parse *sp)
{
	struct xlsx *x = sp->base.x;
	struct xlsx_cell c;
	char *v = x->val.data ? x->val.data : (char *)"";
	size_t vlen = x->val.len;
	if (!sp->have_value || (vlen == 0 && sp->ctype != CT_INLINE))
		return;
	memset(&c, 0, sizeof c);
	c.row = sp->cell_row;
	c.col = sp->cell_col;
	char ref[XLSX_REF_MAX];
	switch (sp->ctype) {
	case CT_NUMBER:
		if (!parse_number(v, &c.num)) {
			xlsx_ref_format(c.row, c.col, ref);
			parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: %s: bad number \"%.40s\"",
				   sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_NUMBER;
		if (sp->style < x->nxf && x->xf_date[sp->style] &&
		    xlsx_serial_to_datetime(c.num, x->date1904, &c.dt))
			c.type = XLSX_DATE;
		break;
	case CT_SHARED: {
		uint32_t i;
		if (!parse_u32(v, &i) || i >= x->sst_n) {
			xlsx_ref_format(c.row, c.col, ref);
			parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: %s: bad shared string \"%.40s\"",
				   sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_STRING;
		c.str = x->sst.data + x->sst_off[i];
		c.len = (i + 1 < x->sst_n ? x->sst_off[i + 1] : x->sst.len) - x->sst_off[i] - 1;
		break;
	}
	case CT_BOOL: {
		uint32_t b;
		if (parse_u32(v, &b))
			c.boolean = b != 0;
		else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			c.boolean = v[0] == 't';
		else {
			xlsx_ref_format(c.row, c.col, ref);
			parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: %s: bad boolean \"%.40s\"",
				   sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_BOOL;
		c.num = c.boolean;
		break;
	}
	case CT_ERROR:
		c.type = XLSX_ERROR;
		c.str = v;
		c.len = vlen;
		break;
	case CT_DATE:
		if (parse_iso8601(v, x->date1904, &c.dt)) {
			c.type = XLSX_DATE;
			c.num = datetime_to_serial(&c.dt, x->date1904);
			break;
		}
		/* A date that does not parse is kept as the text it is. */
		c.type = XLSX_STRING;
		c.str = v;
		c.len = vlen;
		break;
	case CT_STR:
	case CT_INLINE:
	case CT_OTHER:
		c.type = XLSX_STRING;
		c.len = xstring_unescape(v, vlen);
		c.str = v;
		break;
	}
	if (sp->skip > 0) {
		/* Given before the scanner gave the part up to expat. */
		sp->skip--;
		return;
	}
	sp->delivered++;
	if (!sp->fn(&c, sp->arg))
		parse_fail(&sp->base, XLSX_ERR_STOPPED, "%s: stopped by the caller", sp->base.part);
}

/* Ends values, cells and the sheet data. */
static bool sheet_end(void *ud, int ns, const char *local)
{
	struct sheet_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (sp->in_cell) {
		if (local[0] == 'c' && local[1] == '\0') {
			sp->in_cell = false;
			sheet_cell(sp);
		} else if (local[0] == 'v' && local[1] == '\0') {
			sp->in_v = false;
		} else if (strcmp(local, "is") == 0) {
			sp->in_is = false;
		} else if (local[0] == 't' && local[1] == '\0' && sp->in_t > 0) {
			sp->in_t--;
		} else if (strcmp(local, "rPh") == 0 && sp->in_rph > 0) {
			sp->in_rph--;
		}
	} else if (strcmp(local, "sheetData") == 0) {
		sp->in_data = false;
	}
	return sp->base.err == XLSX_OK;
}

/* Starts the sheet again for expat: the cells already given are read again, not given. */
static void sheet_reset(struct parse *ps)
{
	struct sheet_parse *sp = (struct sheet_parse *)ps;
	sp->in_data = sp->in_cell = sp->in_v = sp->in_is = sp->have_value = false;
	sp->in_t = sp->in_rph = 0;
	sp->row = sp->col = sp->cell_row = sp->cell_col = sp->style = 0;
	sp->ctype = CT_NUMBER;
	sp->skip = sp->delivered;
	sp->delivered = 0;
	strbuf_reset(&ps->x->val);
}

static const struct part_ops SHEET_OPS = { { sheet_start, sheet_end, sheet_text }, sheet_reset };

/* Streams the cells of sheet i to fn. */
enum xlsx_error xlsx_sheet_read(struct xlsx *x, size_t i, xlsx_cell_fn fn, void *arg)
{
	x->detail[0] = '\0';
	if (i >= x->nsheets)
		return fail(x, XLSX_ERR_NO_SUCH_SHEET, "no sheet %zu (of %zu)", i, x->nsheets);
	struct sheet_parse sp = { .fn = fn, .arg = arg };
	return part_parse(x, x->sheets[i].part, &sp.base, NULL, &SHEET_OPS);
}

/* --- Opening ------------------------------------------------------------------------------ */

/* True if the bytes hold needle. */
static bool mem_has(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

/* Tells an encrypted OOXML package from an .xls: both are OLE compound files. */
static enum xlsx_error ole_classify(struct xlsx *x, const void *data, size_t len)
{
	static const char enc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
	static const char info[] = "E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o\0";
	if (mem_has(data, len, enc, sizeof enc - 1) || mem_has(data, len, info, sizeof info - 1))
		return fail(x, XLSX_ERR_ENCRYPTED, "OLE compound file with an EncryptedPackage");
	return fail(x, XLSX_ERR_XLS, "OLE compound file (Excel 97-2003 or other)");
}

/* Refuses an OpenDocument spreadsheet sent as .xlsx. */
static enum xlsx_error ods_check(struct xlsx *x)
{
	zip_int64_t i = zip_name_locate(x->zip, "mimetype", 0);
	if (i >= 0) {
		char buf[64] = { 0 };
		zip_file_t *zf = zip_fopen_index(x->zip, (zip_uint64_t)i, 0);
		if (zf != NULL) {
			zip_int64_t n = zip_fread(zf, buf, sizeof buf - 1);
			if (zip_fclose(zf) == 0 && n > 0 &&
			    str_has_prefix(buf, "application/vnd.oasis.opendocument"))
				return fail(x, XLSX_ERR_ODS, "OpenDocument package (%.50s)", buf);
		}
	}
	if (zip_name_locate(x->zip, "[Content_Types].xml", ZIP_FL_NOCASE) < 0 &&
	    zip_name_locate(x->zip, "content.xml", 0) >= 0 &&
	    zip_name_locate(x->zip, "META-INF/manifest.xml", 0) >= 0)
		return fail(x, XLSX_ERR_ODS, "OpenDocument package without mimetype");
	return XLSX_OK;
}

/* Finds the workbook part: from _rels/.rels, else from [Content_Types].xml. */
static enum xlsx_error workbook_locate(struct xlsx *x, char **out)
{
	struct rels root = { 0 };
	enum xlsx_error rc = rels_read(x, "", &root);
	if (rc != XLSX_OK) {
		rels_free(&root);
		return rc;
	}
	const struct rel *r = rels_find_type(&root, "officeDocument");
	*out = r ? xstrdup(r->target) : NULL;
	rels_free(&root);
	if (*out != NULL && part_locate(x, *out) >= 0)
		return XLSX_OK;
	free(*out);
	*out = NULL;

	struct ctypes_parse cp = { 0 };
	bool missing;
	rc = part_parse(x, "[Content_Types].xml", &cp.base, &missing, &CTYPES_OPS);
	if (rc != XLSX_OK && !missing) {
		free(cp.workbook);
		return rc;
	}
	if (cp.workbook == NULL || part_locate(x, cp.workbook) < 0) {
		free(cp.workbook);
		return fail(x, XLSX_ERR_NO_WORKBOOK, "no workbook part");
	}
	*out = cp.workbook;
	return XLSX_OK;
}

/* Reads the workbook: its sheets, date system, styles and shared strings. */
static enum xlsx_error workbook_load(struct xlsx *x)
{
	char *wbpart = NULL;
	enum xlsx_error rc = workbook_locate(x, &wbpart);
	if (rc != XLSX_OK)
		return rc;
	if (str_has_suffix(wbpart, ".bin")) {
		rc = fail(x, XLSX_ERR_XLSB, "binary workbook part %s", wbpart);
		free(wbpart);
		return rc;
	}
	struct rels rels = { 0 };
	struct workbook_parse wp = { 0 };
	rc = rels_read(x, wbpart, &rels);
	if (rc == XLSX_OK)
		rc = part_parse(x, wbpart, &wp.base, NULL, &WORKBOOK_OPS);

	/* Resolve each sheet to its part through the workbook's relationships. */
	if (rc == XLSX_OK) {
		x->sheets = xcalloc(wp.n ? wp.n : 1, sizeof *x->sheets);
		for (size_t i = 0; i < wp.n && rc == XLSX_OK; i++) {
			const struct rel *r = wp.v[i].rid ? rels_find_id(&rels, wp.v[i].rid) : NULL;
			if (r == NULL || r->target == NULL) {
				rc = fail(x, XLSX_ERR_CORRUPT, "sheet \"%.60s\" has no relationship",
					  wp.v[i].name);
				break;
			}
			if (part_locate(x, r->target) < 0) {
				rc = fail(x, XLSX_ERR_CORRUPT, "sheet \"%.60s\": part %.100s is missing",
					  wp.v[i].name, r->target);
				break;
			}
			struct sheet *s = &x->sheets[x->nsheets++];
			s->name = xstrdup(wp.v[i].name);
			s->part = xstrdup(r->target);
			s->state = wp.v[i].state;
			if (strcmp(r->type, "worksheet") == 0)
				s->kind = XLSX_WORKSHEET;
			else if (strcmp(r->type, "chartsheet") == 0)
				s->kind = XLSX_CHARTSHEET;
			else
				s->kind = XLSX_OTHERSHEET;
		}
	}
	for (size_t i = 0; i < wp.n; i++) {
		free(wp.v[i].name);
		free(wp.v[i].rid);
	}
	free(wp.v);

	const struct rel *r;
	if (rc == XLSX_OK && (r = rels_find_type(&rels, "styles")) != NULL)
		rc = styles_read(x, r->target);
	if (rc == XLSX_OK && (r = rels_find_type(&rels, "sharedStrings")) != NULL)
		rc = sst_read(x, r->target);
	rels_free(&rels);
	free(wbpart);
	return rc;
}

/* Opens the zip from a libzip source (which it takes) and loads the workbook. */
static enum xlsx_error open_source(struct xlsx *x, zip_source_t *src)
{
	zip_error_t ze;
	zip_error_init(&ze);
	x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (x->zip == NULL) {
		enum xlsx_error rc = fail(x, XLSX_ERR_CORRUPT, "zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		zip_source_free(src);
		return rc;
	}
	zip_error_fini(&ze);
	zip_int64_t n = zip_get_num_entries(x->zip, 0);
	if (n < 0 || (uint64_t)n > x->lim.max_entries)
		return fail(x, XLSX_ERR_TOO_MANY_ENTRIES, "zip has %lld entries",
			    (long long)n);
	enum xlsx_error rc = ods_check(x);
	if (rc != XLSX_OK)
		return rc;
	return workbook_load(x);
}

/* A new handle with the given limits. */
static struct xlsx *xlsx_new(const struct xlsx_limits *limits)
{
	struct xlsx *x = xcalloc(1, sizeof *x);
	if (limits != NULL)
		x->lim = *limits;
	else
		xlsx_limits_default(&x->lim);
	/* Offsets into the shared-string text are 32-bit. */
	if (x->lim.max_shared_bytes > UINT32_MAX - 1)
		x->lim.max_shared_bytes = UINT32_MAX - 1;
	return x;
}

/* Finishes an open: returns the handle, or frees it and reports the failure. */
static enum xlsx_error open_finish(struct xlsx *x, enum xlsx_error rc, struct xlsx **out,
				   char **detail)
{
	if (rc == XLSX_OK) {
		x->detail[0] = '\0';
		*out = x;
		if (detail != NULL)
			*detail = NULL;
		return XLSX_OK;
	}
	if (detail != NULL)
		*detail = xstrdup(x->detail[0] ? x->detail : xlsx_error_code(rc));
	xlsx_close(x);
	*out = NULL;
	return rc;
}

/* Opens a workbook held in memory. */
enum xlsx_error xlsx_open_memory(const void *data, size_t len, const struct xlsx_limits *limits,
				 struct xlsx **out, char **detail)
{
	struct xlsx *x = xlsx_new(limits);
	enum xlsx_error rc;
	if (len >= sizeof OLE_MAGIC && memcmp(data, OLE_MAGIC, sizeof OLE_MAGIC) == 0) {
		rc = ole_classify(x, data, len);
	} else if (len < 4 || memcmp(data, "PK", 2) != 0) {
		rc = fail(x, XLSX_ERR_NOT_XLSX, "not a zip file");
	} else {
		zip_error_t ze;
		zip_error_init(&ze);
		zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
		if (src == NULL)
			rc = fail(x, XLSX_ERR_IO, "zip source: %s", zip_error_strerror(&ze));
		else
			rc = open_source(x, src);
		zip_error_fini(&ze);
	}
	return open_finish(x, rc, out, detail);
}

/* Reads up to size bytes of fd into a new buffer; false (errno set) on a read error. */
static bool fd_read_small(int fd, size_t size, char **out, size_t *len)
{
	char *buf = xmalloc(size ? size : 1);
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return false;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return true;
}

/* Opens a workbook file. A small file is read whole at once (fewer system calls than libzip's
 * seeks and reads, part after part); a larger one is read through libzip as needed. */
enum xlsx_error xlsx_open_file(const char *path, const struct xlsx_limits *limits,
			       struct xlsx **out, char **detail)
{
	struct xlsx *x = xlsx_new(limits);
	enum xlsx_error rc = XLSX_OK;
	char *small = NULL;
	size_t small_len = 0;
	unsigned char magic[8] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = fail(x, XLSX_ERR_IO, "%s: not a regular file", path);
	} else if ((uint64_t)st.st_size > x->lim.max_file_size) {
		rc = fail(x, XLSX_ERR_FILE_TOO_LARGE, "%s: %lld bytes", path, (long long)st.st_size);
	} else {
		ssize_t n = pread(fd, magic, sizeof magic, 0);
		if (n < 0)
			rc = fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
		else if (n == (ssize_t)sizeof magic && memcmp(magic, OLE_MAGIC, sizeof magic) == 0) {
			char *data;
			size_t len;
			if (file_read_all(path, (size_t)x->lim.max_file_size, &data, &len) != 0)
				rc = fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
			else {
				rc = ole_classify(x, data, len);
				free(data);
			}
		} else if (n < 4 || memcmp(magic, "PK", 2) != 0) {
			rc = fail(x, XLSX_ERR_NOT_XLSX, "%s: not a zip file", path);
		} else if ((uint64_t)st.st_size <= SMALL_FILE &&
			   !fd_read_small(fd, (size_t)st.st_size, &small, &small_len)) {
			rc = fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
		}
	}
	if (fd >= 0 && close(fd) != 0 && rc == XLSX_OK)
		rc = fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
	if (rc == XLSX_OK) {
		zip_error_t ze;
		zip_error_init(&ze);
		/* libzip frees the small file's bytes with the source. */
		zip_source_t *src = small != NULL ?
			zip_source_buffer_create(small, small_len, 1, &ze) :
			zip_source_file_create(path, 0, -1, &ze);
		if (src == NULL)
			rc = fail(x, XLSX_ERR_IO, "%s: %s", path, zip_error_strerror(&ze));
		else
			rc = open_source(x, src);
		if (src != NULL)
			small = NULL;
		zip_error_fini(&ze);
	}
	free(small);
	return open_finish(x, rc, out, detail);
}

/* Frees the handle. */
void xlsx_close(struct xlsx *x)
{
	if (x == NULL)
		return;
	if (x->zip != NULL)
		zip_discard(x->zip);
	for (size_t i = 0; i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].part);
	}
	free(x->sheets);
	strbuf_free(&x->sst);
	free(x->sst_off);
	free(x->xf_date);
	strbuf_free(&x->val);
	xlsx_scan_free(x->scan);
	free(x);
}

/* --- Accessors ---------------------------------------------------------------------------- */

/* True for the 1904 date system. */
bool xlsx_date1904(const struct xlsx *x)
{
	return x->date1904;
}

/* The number of sheets. */
size_t xlsx_sheet_count(const struct xlsx *x)
{
	return x->nsheets;
}

/* The name of sheet i. */
const char *xlsx_sheet_name(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].name : NULL;
}

/* The state of sheet i. */
enum xlsx_sheet_state xlsx_sheet_state(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].state : XLSX_VISIBLE;
}

/* The kind of sheet i. */
enum xlsx_sheet_kind xlsx_sheet_kind(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].kind : XLSX_WORKSHEET;
}

/* The name OOXML gives a sheet state. */
const char *xlsx_sheet_state_name(enum xlsx_sheet_state state)
{
	switch (state) {
	case XLSX_HIDDEN:
		return "hidden";
	case XLSX_VERY_HIDDEN:
		return "veryHidden";
	case XLSX_VISIBLE:
	default:
		return "visible";
	}
}

/* The detail of the last failure. */
const char *xlsx_detail(const struct xlsx *x)
{
	return x->detail;
}

/* Parts the scanner gave up to expat. */
size_t xlsx_fallbacks(const struct xlsx *x)
{
	return x->fallbacks;
}
