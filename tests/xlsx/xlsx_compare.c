/* Reads a workbook through the fast scanner and through expat alone, and compares what each gives. */
#include "xlsx_compare.h"

#include "util.h"
#include "xlsx_scan.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

/* Appends bytes, escaping all but printable ASCII, so that every byte shows. */
static void add_escaped(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			strbuf_addc(sb, (char)c);
		else
			strbuf_addf(sb, "\\x%02x", c);
	}
}

/* Appends one cell with every field the reader fills. */
static bool dump_cell(const struct xlsx_cell *c, void *arg)
{
	struct strbuf *sb = arg;
	strbuf_addf(sb, "cell %u %u %c ", (unsigned)c->row, (unsigned)c->col, (char)c->type);
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		strbuf_addf(sb, "%zu \"", c->len);
		add_escaped(sb, c->str, c->len);
		strbuf_addc(sb, '"');
		if (c->str[c->len] != '\0')
			strbuf_adds(sb, " unterminated");
		break;
	case XLSX_BOOL:
		strbuf_addf(sb, "%d %a", c->boolean, c->num);
		break;
	case XLSX_NUMBER:
		strbuf_addf(sb, "%a", c->num);
		break;
	case XLSX_DATE:
		strbuf_addf(sb, "%a %04d-%02d-%02dT%02d:%02d:%02d.%03d", c->num, c->dt.year,
			    c->dt.month, c->dt.day, c->dt.hour, c->dt.minute, c->dt.second, c->dt.msec);
		break;
	}
	strbuf_addc(sb, '\n');
	return true;
}

/* The canonical text of what the reader gives. */
char *xlsx_compare_dump(const char *path, const void *data, size_t len,
			const struct xlsx_limits *lim, size_t *fallbacks)
{
	struct strbuf sb = STRBUF_INIT;
	struct xlsx *x;
	char *detail = NULL;
	if (fallbacks != NULL)
		*fallbacks = 0;
	enum xlsx_error rc = path != NULL ? xlsx_open_file(path, lim, &x, &detail) :
		xlsx_open_memory(data, len, lim, &x, &detail);
	strbuf_addf(&sb, "open %s \"", xlsx_error_code(rc));
	if (detail != NULL)
		add_escaped(&sb, detail, strlen(detail));
	strbuf_adds(&sb, "\"\n");
	free(detail);
	if (rc != XLSX_OK)
		return strbuf_detach(&sb);
	strbuf_addf(&sb, "date1904 %d\n", xlsx_date1904(x));
	size_t n = xlsx_sheet_count(x);
	for (size_t i = 0; i < n; i++) {
		const char *name = xlsx_sheet_name(x, i);
		strbuf_addf(&sb, "sheet %zu %s %d \"", i,
			    xlsx_sheet_state_name(xlsx_sheet_state(x, i)), (int)xlsx_sheet_kind(x, i));
		add_escaped(&sb, name, strlen(name));
		strbuf_adds(&sb, "\"\n");
	}
	for (size_t i = 0; i < n; i++) {
		rc = xlsx_sheet_read(x, i, dump_cell, &sb);
		strbuf_addf(&sb, "read %zu %s \"", i, xlsx_error_code(rc));
		add_escaped(&sb, xlsx_detail(x), strlen(xlsx_detail(x)));
		strbuf_adds(&sb, "\"\n");
	}
	if (fallbacks != NULL)
		*fallbacks = xlsx_fallbacks(x);
	xlsx_close(x);
	return strbuf_detach(&sb);
}

/* The line of s that starts at offset off. */
static char *line_at(const char *s, size_t off)
{
	const char *start = s + off, *end = strchr(start, '\n');
	return xstrndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* Dumps with the scanner and with expat alone, and compares. */
char *xlsx_compare(const char *path, const void *data, size_t len, const struct xlsx_limits *lim,
		   size_t *fallbacks)
{
	struct xlsx_limits l;
	if (lim != NULL)
		l = *lim;
	else
		xlsx_limits_default(&l);
	l.expat_only = false;
	char *fast = xlsx_compare_dump(path, data, len, &l, fallbacks);
	l.expat_only = true;
	char *slow = xlsx_compare_dump(path, data, len, &l, NULL);
	char *diff = NULL;
	if (strcmp(fast, slow) != 0) {
		size_t i = 0, line = 0;
		while (fast[i] == slow[i])
			i++;
		while (line < i && fast[i - line - 1] != '\n')
			line++;
		char *a = line_at(fast, i - line), *b = line_at(slow, i - line);
		diff = xasprintf("scanner: %s\nexpat:   %s", a, b);
		free(a);
		free(b);
	}
	free(slow);
	free(fast);
	return diff;
}

/* What a parser reported, as text: one line per element start or end, text runs merged. */
struct events {
	struct strbuf out;
	struct strbuf text;	/* character data not yet written */
	XML_Parser p;
	bool dtd;
};

/* Writes the pending character data as one line. */
static void events_flush(struct events *ev)
{
	if (ev->text.len == 0)
		return;
	strbuf_adds(&ev->out, "text \"");
	add_escaped(&ev->out, ev->text.data, ev->text.len);
	strbuf_adds(&ev->out, "\"\n");
	strbuf_reset(&ev->text);
}

/* Records an element start. */
static bool ev_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts, size_t n)
{
	struct events *ev = ud;
	events_flush(ev);
	strbuf_addf(&ev->out, "start %d %s", ns, local);
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&ev->out, " %d:%s=\"", atts[i].ns, atts[i].local);
		add_escaped(&ev->out, atts[i].value, strlen(atts[i].value));
		strbuf_addc(&ev->out, '"');
	}
	strbuf_addc(&ev->out, '\n');
	return true;
}

/* Records an element end. */
static bool ev_end(void *ud, int ns, const char *local)
{
	struct events *ev = ud;
	events_flush(ev);
	strbuf_addf(&ev->out, "end %d %s\n", ns, local);
	return true;
}

/* Records character data. */
static bool ev_text(void *ud, const char *s, size_t len)
{
	struct events *ev = ud;
	if (len == 0)
		strbuf_adds(&ev->out, "empty text\n");
	strbuf_add(&ev->text, s, len);
	return true;
}

/* The reader's view of an expat name: SpreadsheetML, no namespace or other. */
static int ns_of(const char *name, const char **local)
{
	const char *sep = strchr(name, '\x01');
	if (sep == NULL) {
		*local = name;
		return XLSX_NS_NONE;
	}
	*local = sep + 1;
	size_t n = (size_t)(sep - name);
	if ((n == strlen(XLSX_NS_MAIN_URI) && memcmp(name, XLSX_NS_MAIN_URI, n) == 0) ||
	    (n == strlen(XLSX_NS_STRICT_URI) && memcmp(name, XLSX_NS_STRICT_URI, n) == 0))
		return XLSX_NS_SML;
	return XLSX_NS_OTHER;
}

/* Records an element start from expat. */
static void ex_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	size_t n = 0;
	while (atts[2 * n] != NULL)
		n++;
	struct xlsx_attr *a = xcalloc(n ? n : 1, sizeof *a);
	for (size_t i = 0; i < n; i++) {
		a[i].ns = ns_of(atts[2 * i], &a[i].local);
		a[i].value = atts[2 * i + 1];
	}
	const char *local;
	int ns = ns_of(name, &local);
	ev_start(ud, ns, local, a, n);
	free(a);
}

/* Records an element end from expat. */
static void ex_end(void *ud, const XML_Char *name)
{
	const char *local;
	int ns = ns_of(name, &local);
	ev_end(ud, ns, local);
}

/* Records character data from expat. */
static void ex_text(void *ud, const XML_Char *s, int len)
{
	ev_text(ud, s, (size_t)len);
}

/* Stops expat at a document type declaration, as the reader does. */
static void ex_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal_subset)
{
	struct events *ev = ud;
	ev->dtd = true;
	if (XML_StopParser(ev->p, XML_FALSE) != XML_STATUS_OK)
		return;	/* already stopping */
}

/* Scans with the scanner and with expat and compares. */
char *xlsx_compare_xml(const char *doc, size_t len, size_t piece, bool *accepted)
{
	static const struct xlsx_xml_handlers h = { ev_start, ev_end, ev_text };
	struct events sev = { STRBUF_INIT, STRBUF_INIT, NULL, false };
	struct xlsx_scan *sc = xlsx_scan_new();
	xlsx_scan_start(sc, &h, &sev);
	if (piece == 0)
		piece = len ? len : 1;
	enum xlsx_scan_status st = XLSX_SCAN_OK;
	size_t off = 0;
	for (;;) {
		size_t n = len - off < piece ? len - off : piece;
		char *buf = xlsx_scan_buffer(sc, n);
		if (buf == NULL) {
			st = XLSX_SCAN_FALLBACK;
			break;
		}
		if (n > 0)
			memcpy(buf, doc + off, n);
		off += n;
		st = xlsx_scan_parse(sc, n, n == 0);
		if (st != XLSX_SCAN_OK || n == 0)
			break;
	}
	xlsx_scan_free(sc);
	events_flush(&sev);
	if (accepted != NULL)
		*accepted = st == XLSX_SCAN_OK;
	char *diff = NULL;
	if (st == XLSX_SCAN_STOPPED) {
		diff = xstrdup("the scanner stopped though no handler asked it to");
	} else if (st == XLSX_SCAN_OK) {
		struct events eev = { STRBUF_INIT, STRBUF_INIT, NULL, false };
		XML_Parser p = XML_ParserCreateNS(NULL, '\x01');
		if (p == NULL)
			abort();
		eev.p = p;
		XML_SetUserData(p, &eev);
		XML_SetElementHandler(p, ex_start, ex_end);
		XML_SetCharacterDataHandler(p, ex_text);
		XML_SetStartDoctypeDeclHandler(p, ex_doctype);
		enum XML_Status xs = XML_Parse(p, doc, (int)len, XML_TRUE);
		events_flush(&eev);
		if (xs != XML_STATUS_OK || eev.dtd) {
			diff = xasprintf("the scanner accepted what expat refuses: %s",
					 eev.dtd ? "a DTD" : XML_ErrorString(XML_GetErrorCode(p)));
		} else if (strcmp(strbuf_str(&sev.out), strbuf_str(&eev.out)) != 0) {
			const char *a = strbuf_str(&sev.out), *b = strbuf_str(&eev.out);
			size_t i = 0, line = 0;
			while (a[i] == b[i])
				i++;
			while (line < i && a[i - line - 1] != '\n')
				line++;
			char *la = line_at(a, i - line), *lb = line_at(b, i - line);
			diff = xasprintf("scanner: %s\nexpat:   %s", la, lb);
			free(la);
			free(lb);
		}
		XML_ParserFree(p);
		strbuf_free(&eev.out);
		strbuf_free(&eev.text);
	}
	strbuf_free(&sev.out);
	strbuf_free(&sev.text);
	return diff;
}
