/* A fast, bounded XML scanner for .xlsx parts: the well-formed subset writers produce, else expat. */
#include "xlsx_scan.h"
#include "utf8.h"

#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The scanner reads the XML that spreadsheet programs write (UTF-8, namespaces, the five
 * predefined entities and character references, comments, processing instructions, CDATA) and
 * reports it exactly as namespace-aware expat would. It never decides that a document is
 * broken: whatever it does not accept (another encoding, a DTD, a name outside ASCII, anything
 * not well-formed, a token past its bounds) makes it ask for a fallback, and the caller parses
 * the part again with expat, which then reports the error or reads what the scanner would not.
 * So it must never accept what expat refuses; it may refuse what expat accepts.
 *
 * Bytes are scanned in place in one buffer that ends with a NUL sentinel (a NUL is never valid
 * XML, so every inner loop stops at the end without a bounds check). Character data is decoded
 * and handed on as it comes; a tag, comment, PI or CDATA section is handled whole, and one left
 * unfinished at the end of the bytes given stays in the buffer for the next call.
 */

/* The most bytes an unfinished token may keep in the buffer. */
#define MAX_CARRY (1u << 20)
/* Deeper documents, elements with more attributes, longer names or more namespace declarations
 * in force go to expat: the scanner's memory stays a few megabytes whatever the part holds. */
#define MAX_DEPTH 4096
#define MAX_ATTS 64
#define MAX_NAME 1024
#define MAX_BINDS 1024
/* Digits of a character reference (leading zeros count). */
#define MAX_REF_DIGITS 16

#define URI_XML "http://www.w3.org/XML/1998/namespace"
#define URI_XMLNS "http://www.w3.org/2000/xmlns/"

/* What the scanning functions return. */
enum { R_OK, R_NEED, R_FALLBACK, R_STOP };

/* Where the scanner is in the document. */
enum where { W_PROLOG, W_ROOT, W_EPILOG };

/* Classes of bytes in character data. */
enum { T_PLAIN, T_LT, T_AMP, T_RSQB, T_CR, T_NUL, T_BAD, T_UTF8 };

static const uint8_t TEXT_CLASS[256] = {
	[0x00] = T_NUL, [0x01 ... 0x08] = T_BAD, [0x0B ... 0x0C] = T_BAD, [0x0D] = T_CR,
	[0x0E ... 0x1F] = T_BAD, ['<'] = T_LT, ['&'] = T_AMP, [']'] = T_RSQB,
	[0x80 ... 0xC1] = T_BAD, [0xC2 ... 0xF4] = T_UTF8, [0xF5 ... 0xFF] = T_BAD,
};

/* Classes of bytes in attribute values. */
enum { A_PLAIN, A_QUOTE, A_AMP, A_WS, A_NUL, A_BAD, A_UTF8 };

static const uint8_t ATTR_CLASS[256] = {
	[0x00] = A_NUL, [0x01 ... 0x08] = A_BAD, [0x09 ... 0x0A] = A_WS, [0x0B ... 0x0C] = A_BAD,
	[0x0D] = A_WS, [0x0E ... 0x1F] = A_BAD, ['"'] = A_QUOTE, ['\''] = A_QUOTE, ['&'] = A_AMP,
	['<'] = A_BAD, [0x80 ... 0xC1] = A_BAD, [0xC2 ... 0xF4] = A_UTF8, [0xF5 ... 0xFF] = A_BAD,
};

/* Names: 1 for a byte that may start one, 2 for one that may only follow. Only ASCII names
 * are accepted; others go to expat. */
static const uint8_t NAME_CLASS[256] = {
	['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1, ['0' ... '9'] = 2, ['.'] = 2, ['-'] = 2,
};

/* An attribute as found in a tag, before it is checked and decoded. */
struct raw_attr {
	char *name;
	size_t len;		/* of the qualified name */
	size_t plen;		/* of its prefix; 0 if none */
	char *val, *val_end;
	bool dirty;		/* has references or white space to normalise */
	int ns;
};

/* Qualified names up to this long are kept in the element itself, longer ones in an arena. */
#define SHORT_NAME 20

/* An open element. */
struct elem {
	size_t name_len;
	size_t name_off;		/* a long name's place in the names arena */
	char name[SHORT_NAME];		/* a short name */
	int ns;
	int prev_default;		/* the default namespace before it */
	size_t nbinds;			/* bindings in force before it */
};

/* A namespace declaration in force. */
struct binding {
	size_t off, len;	/* the prefix in the prefixes arena */
	int ns;
};

struct xlsx_scan {
	const struct xlsx_xml_handlers *h;
	void *ud;
	char *buf;
	size_t cap, pos, len;	/* unscanned bytes are buf[pos, len); buf[len] is NUL */
	size_t searched;	/* bytes from pos already searched for the end of an unfinished
				 * comment, PI or CDATA section (0 otherwise) */
	enum where where;
	bool at_start;		/* nothing scanned yet: a BOM or XML declaration may come */
	struct elem *stack;
	size_t depth, stack_cap;
	struct binding *binds;
	size_t nbinds, binds_cap;
	int default_ns;
	struct strbuf names, prefixes;
	struct raw_attr raw[MAX_ATTS];
	struct xlsx_attr out[MAX_ATTS];
};

/* A new scanner. */
struct xlsx_scan *xlsx_scan_new(void)
{
	struct xlsx_scan *sc = xcalloc(1, sizeof *sc);
	sc->cap = 4096;
	sc->buf = xmalloc(sc->cap);
	sc->buf[0] = '\0';
	return sc;
}

/* Frees a scanner. */
void xlsx_scan_free(struct xlsx_scan *sc)
{
	if (sc == NULL)
		return;
	free(sc->buf);
	free(sc->stack);
	free(sc->binds);
	strbuf_free(&sc->names);
	strbuf_free(&sc->prefixes);
	free(sc);
}

/* Starts a new document. */
void xlsx_scan_start(struct xlsx_scan *sc, const struct xlsx_xml_handlers *h, void *ud)
{
	sc->h = h;
	sc->ud = ud;
	sc->pos = sc->len = sc->searched = 0;
	sc->buf[0] = '\0';
	sc->where = W_PROLOG;
	sc->at_start = true;
	sc->depth = sc->nbinds = 0;
	sc->default_ns = XLSX_NS_NONE;
	strbuf_reset(&sc->names);
	strbuf_reset(&sc->prefixes);
}

/* Room for n more bytes after those kept. */
char *xlsx_scan_buffer(struct xlsx_scan *sc, size_t n)
{
	size_t keep = sc->len - sc->pos;
	if (keep > MAX_CARRY || n > SIZE_MAX / 2)
		return NULL;
	if (sc->pos > 0) {
		memmove(sc->buf, sc->buf + sc->pos, keep);
		sc->pos = 0;
		sc->len = keep;
	}
	if (keep + n + 1 > sc->cap) {
		size_t cap = sc->cap;
		while (cap < keep + n + 1)
			cap *= 2;
		char *nb = xmalloc(cap);
		memcpy(nb, sc->buf, keep);
		free(sc->buf);
		sc->buf = nb;
		sc->cap = cap;
	}
	return sc->buf + sc->len;
}

/* What to do with an unfinished token: wait for more bytes, or give up at the end. */
static int need(bool final)
{
	return final ? R_FALLBACK : R_NEED;
}

/* True for XML white space. */
static inline bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The length of the UTF-8 sequence at p (whose first byte is C2..F4) if it is a valid XML
 * character; 0 if it is not; -1 if it runs past end. Refuses overlong forms, surrogates, code
 * points past U+10FFFF and U+FFFE/U+FFFF, as expat does. */
static int utf8_len(const char *s, const char *end)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0], lo = 0x80, hi = 0xBF;
	int n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	for (int i = 1; i < n; i++) {
		if (s + i >= end)
			return -1;
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	if (c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
		return 0;
	return n;
}

/* True if [p, end) holds only characters XML allows (for comments and PIs). */
static bool chars_valid(const char *p, const char *end)
{
	while (p < end) {
		switch (TEXT_CLASS[(unsigned char)*p]) {
		case T_NUL:
		case T_BAD:
			return false;
		case T_UTF8: {
			int n = utf8_len(p, end);
			if (n <= 0)
				return false;
			p += n;
			break;
		}
		default:
			p++;
			break;
		}
	}
	return true;
}

/* True for a code point XML allows. */
static bool xml_char(uint32_t c)
{
	if (c < 0x20)
		return c == 0x9 || c == 0xA || c == 0xD;
	return (c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Reads the reference at p ('&'): returns its length and sets *cp, 0 if it is not one the
 * scanner accepts, -1 if it runs past end. */
static int entity(const char *p, const char *end, uint32_t *cp)
{
	const char *q = p + 1;
	if (q >= end)
		return -1;
	if (*q == '#') {
		q++;
		if (q >= end)
			return -1;
		bool hex = *q == 'x';
		if (hex)
			q++;
		uint32_t v = 0;
		int nd = 0;
		for (;; q++) {
			if (q >= end)
				return -1;
			int c = (unsigned char)*q, d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				d = (c | 0x20) - 'a' + 10;
			else
				break;
			if (++nd > MAX_REF_DIGITS)
				return 0;
			v = v * (hex ? 16 : 10) + (uint32_t)d;
			if (v > 0x10FFFF)
				return 0;
		}
		if (nd == 0 || *q != ';' || !xml_char(v))
			return 0;
		*cp = v;
		return (int)(q + 1 - p);
	}
	static const struct {
		char name[6];
		char c;
	} ents[] = { { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "quot;", '"' },
		     { "apos;", '\'' } };
	size_t n = 0;
	while (n < 5 && q + n < end && q[n] != ';' && q[n] != '\0')
		n++;
	if (n < 5 && q + n >= end)
		return -1;
	if (n == 5 || q[n] != ';')
		return 0;
	for (size_t i = 0; i < nitems(ents); i++) {
		if (strlen(ents[i].name) == n + 1 && memcmp(ents[i].name, q, n + 1) == 0) {
			*cp = (unsigned char)ents[i].c;
			return (int)(n + 2);
		}
	}
	return 0;
}

/* Reads a qualified name at *pp (ASCII, at most one colon, neither part empty), advancing
 * past it and setting *plen to the length of its prefix (0 if none). */
static int qname(char **pp, const char *end, size_t *plen)
{
	char *p = *pp, *start = p;
	*plen = 0;
	if (NAME_CLASS[(unsigned char)*p] != 1)
		return p >= end ? R_NEED : R_FALLBACK;
	while (NAME_CLASS[(unsigned char)*p])
		p++;
	if (*p == ':') {
		*plen = (size_t)(p - start);
		p++;
		if (NAME_CLASS[(unsigned char)*p] != 1)
			return p >= end ? R_NEED : R_FALLBACK;
		while (NAME_CLASS[(unsigned char)*p])
			p++;
		if (*p == ':')
			return R_FALLBACK;
	}
	if (p >= end)
		return R_NEED;
	*pp = p;
	return R_OK;
}

/* The class of a namespace URI; R_FALLBACK (as a negative sentinel) for the reserved ones. */
static int uri_class(const char *v, size_t n, bool *reserved)
{
	*reserved = (n == sizeof URI_XML - 1 && memcmp(v, URI_XML, n) == 0) ||
		(n == sizeof URI_XMLNS - 1 && memcmp(v, URI_XMLNS, n) == 0);
	if (n == 0)
		return XLSX_NS_NONE;
	if ((n == sizeof XLSX_NS_MAIN_URI - 1 && memcmp(v, XLSX_NS_MAIN_URI, n) == 0) ||
	    (n == sizeof XLSX_NS_STRICT_URI - 1 && memcmp(v, XLSX_NS_STRICT_URI, n) == 0))
		return XLSX_NS_SML;
	return XLSX_NS_OTHER;
}

/* The namespace bound to a prefix; false if it is unbound (or one expat would refuse). */
static bool prefix_ns(const struct xlsx_scan *sc, const char *p, size_t n, int *ns)
{
	if (n == 3 && memcmp(p, "xml", 3) == 0) {
		*ns = XLSX_NS_OTHER;
		return true;
	}
	for (size_t i = sc->nbinds; i-- > 0;) {
		const struct binding *b = &sc->binds[i];
		if (b->len == n && memcmp(sc->prefixes.data + b->off, p, n) == 0) {
			*ns = b->ns;
			return true;
		}
	}
	return false;
}

/* Records a namespace declaration of the element being opened (len 0: the default one); false
 * if too many are in force. */
static bool bind(struct xlsx_scan *sc, const char *prefix, size_t len, int ns)
{
	if (sc->nbinds == MAX_BINDS)
		return false;
	if (sc->nbinds == sc->binds_cap) {
		sc->binds_cap = sc->binds_cap ? 2 * sc->binds_cap : 16;
		sc->binds = xrealloc(sc->binds, sc->binds_cap * sizeof *sc->binds);
	}
	struct binding *b = &sc->binds[sc->nbinds++];
	b->off = sc->prefixes.len;
	b->len = len;
	b->ns = ns;
	strbuf_add(&sc->prefixes, prefix, len);
	if (len == 0)
		sc->default_ns = ns;
	return true;
}

/* Closes the innermost element: its declarations go out of scope. */
static void pop(struct xlsx_scan *sc)
{
	const struct elem *e = &sc->stack[--sc->depth];
	if (sc->nbinds > e->nbinds) {
		sc->prefixes.len = sc->binds[e->nbinds].off;
		sc->nbinds = e->nbinds;
	}
	sc->default_ns = e->prev_default;
	if (e->name_len > SHORT_NAME)
		sc->names.len = e->name_off;
	if (sc->depth == 0)
		sc->where = W_EPILOG;
}

/* Decodes an attribute value in place (references, white space to spaces); returns its end. */
static char *attr_decode(char *p, char *end)
{
	char *w = p;
	while (p < end) {
		char c = *p;
		if (c == '&') {
			uint32_t cp = 0;
			int n = entity(p, end, &cp);
			w += utf8_encode(w, cp);
			p += n > 0 ? n : 1;	/* always > 0: the value was checked */
		} else if (c == '\r') {
			*w++ = ' ';
			p += (p + 1 < end && p[1] == '\n') ? 2 : 1;
		} else if (c == '\n' || c == '\t') {
			*w++ = ' ';
			p++;
		} else {
			*w++ = c;
			p++;
		}
	}
	return w;
}

/* Scans one attribute value after its opening quote; sets *pp past the closing quote. */
static int attr_value(char **pp, const char *end, char quote, struct raw_attr *a)
{
	char *p = *pp;
	a->val = p;
	a->dirty = false;
	for (;;) {
		while (ATTR_CLASS[(unsigned char)*p] == A_PLAIN)
			p++;
		switch (ATTR_CLASS[(unsigned char)*p]) {
		case A_QUOTE:
			if (*p == quote) {
				a->val_end = p;
				*pp = p + 1;
				return R_OK;
			}
			p++;
			break;
		case A_WS:
			a->dirty = true;
			p++;
			break;
		case A_AMP: {
			uint32_t cp;
			int n = entity(p, end, &cp);
			if (n < 0)
				return R_NEED;
			if (n == 0)
				return R_FALLBACK;
			a->dirty = true;
			p += n;
			break;
		}
		case A_UTF8: {
			int n = utf8_len(p, end);
			if (n < 0)
				return R_NEED;
			if (n == 0)
				return R_FALLBACK;
			p += n;
			break;
		}
		case A_NUL:
			return p >= end ? R_NEED : R_FALLBACK;
		default:
			return R_FALLBACK;
		}
	}
}

/* Checks and resolves the attributes of a finished start tag; declares its namespaces. */
static int attrs_resolve(struct xlsx_scan *sc, size_t na, size_t *nout)
{
	for (size_t i = 0; i < na; i++) {
		struct raw_attr *a = &sc->raw[i];
		for (size_t j = 0; j < i; j++) {
			const struct raw_attr *b = &sc->raw[j];
			if (a->len == b->len && a->name[a->len - 1] == b->name[b->len - 1] &&
			    memcmp(a->name, b->name, a->len) == 0)
				return R_FALLBACK;	/* a duplicate attribute */
			/* Two prefixes may name one namespace: expat would refuse such a pair. */
			if (a->plen && b->plen && a->len - a->plen == b->len - b->plen &&
			    memcmp(a->name + a->plen, b->name + b->plen, a->len - a->plen) == 0)
				return R_FALLBACK;
		}
		if (a->dirty)
			a->val_end = attr_decode(a->val, a->val_end);
	}
	for (size_t i = 0; i < na; i++) {
		struct raw_attr *a = &sc->raw[i];
		bool reserved;
		if (a->plen == 0 && a->len == 5 && memcmp(a->name, "xmlns", 5) == 0) {
			int ns = uri_class(a->val, (size_t)(a->val_end - a->val), &reserved);
			if (reserved || !bind(sc, "", 0, ns))
				return R_FALLBACK;
			a->ns = 2;	/* a declaration, not an attribute */
		} else if (a->plen == 5 && memcmp(a->name, "xmlns", 5) == 0) {
			const char *pfx = a->name + 6;
			size_t n = a->len - 6;
			size_t vn = (size_t)(a->val_end - a->val);
			int ns = uri_class(a->val, vn, &reserved);
			if (reserved || vn == 0 || n > MAX_NAME || (n == 3 && memcmp(pfx, "xml", 3) == 0) ||
			    (n == 5 && memcmp(pfx, "xmlns", 5) == 0) || !bind(sc, pfx, n, ns))
				return R_FALLBACK;
			a->ns = 2;
		} else {
			a->ns = XLSX_NS_NONE;
		}
	}
	size_t n = 0;
	for (size_t i = 0; i < na; i++) {
		struct raw_attr *a = &sc->raw[i];
		if (a->ns == 2)
			continue;
		if (a->plen && !prefix_ns(sc, a->name, a->plen, &a->ns))
			return R_FALLBACK;
		a->name[a->len] = '\0';
		*a->val_end = '\0';
		sc->out[n].ns = a->ns;
		sc->out[n].local = a->plen ? a->name + a->plen + 1 : a->name;
		sc->out[n].value = a->val;
		n++;
	}
	*nout = n;
	return R_OK;
}

/* Scans a start tag at pos and reports it (and its end, if it is an empty-element tag). */
static int start_tag(struct xlsx_scan *sc, bool final)
{
	char *p = sc->buf + sc->pos + 1, *end = sc->buf + sc->len;
	if (sc->where == W_EPILOG)
		return R_FALLBACK;
	char *name = p;
	size_t plen;
	int r = qname(&p, end, &plen);
	if (r != R_OK)
		return r == R_NEED ? need(final) : r;
	size_t nlen = (size_t)(p - name);
	size_t na = 0;
	bool empty = false;
	for (;;) {
		bool ws = false;
		while (is_space(*p)) {
			p++;
			ws = true;
		}
		if (*p == '>') {
			p++;
			break;
		}
		if (*p == '/') {
			if (p + 1 >= end)
				return need(final);
			if (p[1] != '>')
				return R_FALLBACK;
			p += 2;
			empty = true;
			break;
		}
		if (p >= end)
			return need(final);
		if (!ws || na == MAX_ATTS)
			return R_FALLBACK;
		struct raw_attr *a = &sc->raw[na++];
		a->name = p;
		r = qname(&p, end, &a->plen);
		if (r != R_OK)
			return r == R_NEED ? need(final) : r;
		a->len = (size_t)(p - a->name);
		while (is_space(*p))
			p++;
		if (*p != '=')
			return p >= end ? need(final) : R_FALLBACK;
		p++;
		while (is_space(*p))
			p++;
		char quote = *p;
		if (quote != '"' && quote != '\'')
			return p >= end ? need(final) : R_FALLBACK;
		p++;
		r = attr_value(&p, end, quote, a);
		if (r != R_OK)
			return r == R_NEED ? need(final) : r;
	}

	/* The tag is whole: check it, then write NULs and decode inside it. */
	if (sc->depth == MAX_DEPTH || nlen > MAX_NAME)
		return R_FALLBACK;
	size_t nbinds = sc->nbinds;
	int prev_default = sc->default_ns;
	size_t nout;
	r = attrs_resolve(sc, na, &nout);
	if (r != R_OK)
		return r;
	int ns = sc->default_ns;
	if (plen && !prefix_ns(sc, name, plen, &ns))
		return R_FALLBACK;
	if (plen == 5 && memcmp(name, "xmlns", 5) == 0)
		return R_FALLBACK;
	if (sc->depth == sc->stack_cap) {
		sc->stack_cap = sc->stack_cap ? 2 * sc->stack_cap : 64;
		sc->stack = xrealloc(sc->stack, sc->stack_cap * sizeof *sc->stack);
	}
	struct elem *e = &sc->stack[sc->depth++];
	e->name_len = nlen;
	if (nlen <= SHORT_NAME) {
		memcpy(e->name, name, nlen);
	} else {
		e->name_off = sc->names.len;
		strbuf_add(&sc->names, name, nlen);
	}
	e->nbinds = nbinds;
	e->ns = ns;
	e->prev_default = prev_default;
	name[nlen] = '\0';
	const char *local = plen ? name + plen + 1 : name;
	sc->where = W_ROOT;
	sc->pos = (size_t)(p - sc->buf);
	if (sc->h->start != NULL && !sc->h->start(sc->ud, ns, local, sc->out, nout))
		return R_STOP;
	if (empty) {
		pop(sc);
		if (sc->h->end != NULL && !sc->h->end(sc->ud, ns, local))
			return R_STOP;
	}
	return R_OK;
}

/* Scans an end tag at pos and reports it. */
static int end_tag(struct xlsx_scan *sc, bool final)
{
	char *p = sc->buf + sc->pos + 2, *end = sc->buf + sc->len;
	char *name = p;
	size_t plen;
	int r = qname(&p, end, &plen);
	if (r != R_OK)
		return r == R_NEED ? need(final) : r;
	size_t nlen = (size_t)(p - name);
	while (is_space(*p))
		p++;
	if (*p != '>')
		return p >= end ? need(final) : R_FALLBACK;
	p++;
	if (sc->depth == 0)
		return R_FALLBACK;
	const struct elem *e = &sc->stack[sc->depth - 1];
	if (e->name_len != nlen)
		return R_FALLBACK;
	const char *open = nlen <= SHORT_NAME ? e->name : sc->names.data + e->name_off;
	for (size_t i = 0; i < nlen; i++)
		if (open[i] != name[i])
			return R_FALLBACK;
	int ns = e->ns;
	name[nlen] = '\0';
	pop(sc);
	sc->pos = (size_t)(p - sc->buf);
	if (sc->h->end != NULL && !sc->h->end(sc->ud, ns, plen ? name + plen + 1 : name))
		return R_STOP;
	return R_OK;
}

/*
 * Where to look for the end of the comment, PI or CDATA section at pos whose content starts at
 * p: past what earlier calls searched (less the longest end, "]]>", which may straddle the
 * edge), so that a long one fed a little at a time is searched once, not again at each call.
 */
static char *search_from(struct xlsx_scan *sc, char *p)
{
	char *known = sc->buf + sc->pos + (sc->searched > 3 ? sc->searched - 3 : 0);
	return known > p ? known : p;
}

/* The end of the construct at pos is not in the buffer yet: remember how far it was looked
 * for, and wait for more bytes (or give up at the end). */
static int need_end(struct xlsx_scan *sc, bool final)
{
	sc->searched = sc->len - sc->pos;
	return need(final);
}

/* Skips a comment at pos. */
static int comment(struct xlsx_scan *sc, bool final)
{
	char *p = sc->buf + sc->pos + 4, *end = sc->buf + sc->len, *from = search_from(sc, p);
	char *dd = from < end ? memmem(from, (size_t)(end - from), "--", 2) : NULL;
	if (dd == NULL || dd + 2 >= end)
		return need_end(sc, final);
	if (dd[2] != '>' || !chars_valid(p, dd))
		return R_FALLBACK;
	sc->pos = (size_t)(dd + 3 - sc->buf);
	sc->searched = 0;
	return R_OK;
}

/* Skips a processing instruction at pos (never one whose target starts with "xml"). */
static int pi(struct xlsx_scan *sc, bool final)
{
	char *p = sc->buf + sc->pos + 2, *end = sc->buf + sc->len, *target = p;
	if (NAME_CLASS[(unsigned char)*p] != 1)
		return p >= end ? need(final) : R_FALLBACK;
	while (NAME_CLASS[(unsigned char)*p])
		p++;
	if (p >= end)
		return need(final);
	if (p - target >= 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
	    (target[2] | 0x20) == 'l')
		return R_FALLBACK;
	char *from = search_from(sc, p);
	char *q = from < end ? memmem(from, (size_t)(end - from), "?>", 2) : NULL;
	if (q == NULL)
		return need_end(sc, final);
	if (q != p && (!is_space(*p) || !chars_valid(p, q)))
		return R_FALLBACK;
	sc->pos = (size_t)(q + 2 - sc->buf);
	sc->searched = 0;
	return R_OK;
}

/* Reports the text of a CDATA section at pos, line ends normalised. */
static int cdata(struct xlsx_scan *sc, bool final)
{
	char *p = sc->buf + sc->pos + 9, *end = sc->buf + sc->len;
	if (sc->where != W_ROOT)
		return R_FALLBACK;
	char *from = search_from(sc, p);
	char *q = from < end ? memmem(from, (size_t)(end - from), "]]>", 3) : NULL;
	if (q == NULL)
		return need_end(sc, final);
	sc->searched = 0;
	if (!chars_valid(p, q))
		return R_FALLBACK;
	char *w = p;
	for (char *r = p; r < q; r++) {
		if (*r != '\r')
			*w++ = *r;
		else if (r + 1 >= q || r[1] != '\n')
			*w++ = '\n';
	}
	sc->pos = (size_t)(q + 3 - sc->buf);
	if (w > p && sc->h->text != NULL && !sc->h->text(sc->ud, p, (size_t)(w - p)))
		return R_STOP;
	return R_OK;
}

/* Scans markup at pos: a tag, comment, PI or CDATA section. */
static int markup(struct xlsx_scan *sc, bool final)
{
	const char *p = sc->buf + sc->pos, *end = sc->buf + sc->len;
	if (end - p < 2)
		return need(final);
	switch (p[1]) {
	case '/':
		return end_tag(sc, final);
	case '?':
		return pi(sc, final);
	case '!': {
		static const char cd[] = "<![CDATA[";
		size_t n = (size_t)(end - p);
		if (n >= 4 && p[2] == '-' && p[3] == '-')
			return comment(sc, final);
		if (n >= sizeof cd - 1 && memcmp(p, cd, sizeof cd - 1) == 0)
			return cdata(sc, final);
		/* A prefix of either may still become one; anything else (a DTD) goes to expat. */
		if ((n < 4 && memcmp(p, "<!--", n) == 0) ||
		    (n < sizeof cd - 1 && memcmp(p, cd, n) == 0))
			return need(final);
		return R_FALLBACK;
	}
	default:
		return start_tag(sc, final);
	}
}

/* Scans character data at pos up to the next markup, reporting it decoded. */
static int text(struct xlsx_scan *sc, bool final)
{
	char *start = sc->buf + sc->pos, *p = start, *w = start, *end = sc->buf + sc->len;
	int r = R_OK;
	if (sc->where != W_ROOT) {
		/* Outside the root element only white space may appear, and it is not reported. */
		while (is_space(*p))
			p++;
		sc->pos = (size_t)(p - sc->buf);
		if (*p == '<')
			return R_OK;
		return p >= end ? R_NEED : R_FALLBACK;
	}
	for (;;) {
		char *q = p;
		while (TEXT_CLASS[(unsigned char)*q] == T_PLAIN)
			q++;
		if (w != p)
			memmove(w, p, (size_t)(q - p));
		w += q - p;
		p = q;
		int n;
		uint32_t cp;
		switch (TEXT_CLASS[(unsigned char)*p]) {
		case T_LT:
			goto done;
		case T_NUL:
			r = p >= end ? R_NEED : R_FALLBACK;
			goto done;
		case T_AMP:
			n = entity(p, end, &cp);
			if (n <= 0) {
				r = n < 0 ? R_NEED : R_FALLBACK;
				goto done;
			}
			w += utf8_encode(w, cp);
			p += n;
			break;
		case T_CR:
			if (p + 1 >= end) {
				r = R_NEED;
				goto done;
			}
			*w++ = '\n';
			p += p[1] == '\n' ? 2 : 1;
			break;
		case T_RSQB:
			if (p + 2 >= end) {
				r = R_NEED;
				goto done;
			}
			if (p[1] == ']' && p[2] == '>') {
				r = R_FALLBACK;
				goto done;
			}
			*w++ = *p++;
			break;
		case T_UTF8:
			n = utf8_len(p, end);
			if (n <= 0) {
				r = n < 0 ? R_NEED : R_FALLBACK;
				goto done;
			}
			if (w != p)
				memmove(w, p, (size_t)n);
			w += n;
			p += n;
			break;
		default:
			r = R_FALLBACK;
			goto done;
		}
	}
done:
	if (r == R_FALLBACK || (r == R_NEED && final))
		return R_FALLBACK;
	sc->pos = (size_t)(p - sc->buf);
	if (w > start && sc->h->text != NULL && !sc->h->text(sc->ud, start, (size_t)(w - start)))
		return R_STOP;
	return r;
}

/* Matches a literal at *pp within end, advancing past it. */
static bool lit(const char **pp, const char *end, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - *pp) < n || memcmp(*pp, s, n) != 0)
		return false;
	*pp += n;
	return true;
}

/* Skips XML white space; true if there was any. */
static bool skip_space(const char **pp, const char *end)
{
	const char *p = *pp;
	while (p < end && is_space(*p))
		p++;
	bool any = p != *pp;
	*pp = p;
	return any;
}

/* Reads ` name = "value"` of the XML declaration; false if it is not there as expected. */
static bool decl_attr(const char **pp, const char *end, const char *name, const char **v,
		      size_t *vlen)
{
	const char *p = *pp;
	if (!skip_space(&p, end) || !lit(&p, end, name))
		return false;
	skip_space(&p, end);
	if (!lit(&p, end, "="))
		return false;
	skip_space(&p, end);
	if (p >= end || (*p != '"' && *p != '\''))
		return false;
	char quote = *p++;
	const char *q = memchr(p, quote, (size_t)(end - p));
	if (q == NULL)
		return false;
	*v = p;
	*vlen = (size_t)(q - p);
	*pp = q + 1;
	return true;
}

#define DECL_MAX 256	/* bytes of an XML declaration, "<?xml" to "?>" */

/* Handles the start of the document: a UTF-8 byte order mark, then an XML declaration that
 * says version 1.0 and UTF-8 (any other encoding, or a longer declaration, goes to expat). */
static int doc_start(struct xlsx_scan *sc, bool final)
{
	const char *p = sc->buf + sc->pos, *end = sc->buf + sc->len;
	static const char bom[] = "\xEF\xBB\xBF";
	if (!final && end - p < 9)
		return R_NEED;	/* room for a BOM and "<?xml " */
	if (end - p >= 3 && memcmp(p, bom, 3) == 0)
		p += 3;
	if (end - p >= 6 && memcmp(p, "<?xml", 5) == 0 && is_space(p[5])) {
		/* A declaration this scanner accepts is short: look no further than DECL_MAX,
		 * so a part fed in small pieces is not searched again and again. */
		size_t avail = (size_t)(end - p);
		const char *q = memmem(p, avail < DECL_MAX ? avail : DECL_MAX, "?>", 2);
		if (q == NULL)
			return avail >= DECL_MAX ? R_FALLBACK : need(final);
		const char *v;
		size_t vlen;
		p += 5;
		if (!decl_attr(&p, q, "version", &v, &vlen) || vlen != 3 || memcmp(v, "1.0", 3) != 0)
			return R_FALLBACK;
		const char *save = p;
		if (decl_attr(&p, q, "encoding", &v, &vlen)) {
			if (vlen != 5 || strncasecmp(v, "utf-8", 5) != 0)
				return R_FALLBACK;
		} else {
			p = save;
		}
		save = p;
		if (decl_attr(&p, q, "standalone", &v, &vlen)) {
			if (!((vlen == 3 && memcmp(v, "yes", 3) == 0) ||
			      (vlen == 2 && memcmp(v, "no", 2) == 0)))
				return R_FALLBACK;
		} else {
			p = save;
		}
		skip_space(&p, q);
		if (p != q)
			return R_FALLBACK;
		p = q + 2;
	}
	sc->pos = (size_t)(p - sc->buf);
	sc->at_start = false;
	return R_OK;
}

/* Scans the bytes given so far. */
enum xlsx_scan_status xlsx_scan_parse(struct xlsx_scan *sc, size_t n, bool final)
{
	sc->len += n;
	sc->buf[sc->len] = '\0';
	int r = R_OK;
	if (sc->at_start)
		r = doc_start(sc, final);
	while (r == R_OK && sc->pos < sc->len) {
		if (sc->buf[sc->pos] == '<')
			r = markup(sc, final);
		else
			r = text(sc, final);
	}
	if (r == R_STOP)
		return XLSX_SCAN_STOPPED;
	if (r == R_FALLBACK)
		return XLSX_SCAN_FALLBACK;
	if (final && (sc->pos < sc->len || sc->where != W_EPILOG))
		return XLSX_SCAN_FALLBACK;
	return XLSX_SCAN_OK;
}
