/* One strict reading of an HTTP/1.x request head, exactly as evhttp will read it: the request
 * line, header lines without control bytes or folding, one Content-Length of digits; and the
 * head written again for evhttp, as it came or in place of a refused one. */
#include "http_head.h"
#include "http_message.h"
#include "log.h"
#include "util.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether c may be part of a token (a method or a header name, RFC 9110). */
static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Whether a header name of n bytes is name (case-insensitive). */
static bool name_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* The next line of a head, without its line end (LF, or CR LF as evhttp reads it); false
 * at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl ? nl : end;
	*line = *p;
	*len = (size_t)(e - *p);
	if (nl && *len && e[-1] == '\r')
		(*len)--;
	*p = nl ? nl + 1 : end;
	return true;
}

/* Reads a request line "METHOD TARGET HTTP/1.x"; false unless it is exactly that, without a
 * control byte or a blank too many. */
static bool request_line(struct http_head *h, const char *l, size_t n)
{
	const char *end = l + n;
	const char *sp1 = memchr(l, ' ', n);
	if (sp1 == NULL || sp1 == l || (size_t)(sp1 - l) >= sizeof h->method)
		return false;
	for (const char *p = l; p < sp1; p++)
		if (!tchar((unsigned char)*p))
			return false;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(end - t));
	if (sp2 == NULL || sp2 == t)
		return false;
	const char *v = sp2 + 1;
	if (end - v != 8 || memcmp(v, "HTTP/1.", 7) != 0 || (v[7] != '0' && v[7] != '1'))
		return false;
	for (const char *p = t; p < sp2; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	memcpy(h->method, l, (size_t)(sp1 - l));
	h->method[sp1 - l] = '\0';
	const char *pt = t;
	if (sp2 - t > 8 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
		pt = t + (t[4] == ':' ? 7 : 8);	/* absolute form: from the path */
		pt = memchr(pt, '/', (size_t)(sp2 - pt));
		if (pt == NULL)
			pt = sp2;
	}
	size_t pl = 0;
	while (pt + pl < sp2 && pt[pl] != '?' && pt[pl] != '#')
		pl++;
	if (pl < sizeof h->path) {	/* a longer one matches no route: the smallest limit */
		memcpy(h->path, pt, pl);
		h->path[pl] = '\0';
	}
	return true;
}

/* Adds a header to a request's list (its values as evhttp keeps them). */
static void rq_header(struct http_request *rq, const char *name, size_t nn, const char *v,
		      size_t vn)
{
	rq->headers = xrealloc(rq->headers, (rq->nheaders + 1) * sizeof *rq->headers);
	rq->headers[rq->nheaders].name = xstrndup(name, nn);
	rq->headers[rq->nheaders].value = xstrndup(v, vn);
	rq->nheaders++;
}

/* Reads one header line; false if it is malformed or ambiguous. With rq, copies it there. */
static bool header_line(struct http_head *h, const char *l, size_t n, struct http_request *rq)
{
	if (n == 0 || l[0] == ' ' || l[0] == '\t')
		return false;	/* obsolete line folding: another reader may join it otherwise */
	const char *colon = memchr(l, ':', n);
	if (colon == NULL || colon == l)
		return false;
	for (const char *p = l; p < colon; p++)
		if (!tchar((unsigned char)*p))
			return false;	/* a blank before the colon, a NUL, a control byte */
	const char *v = colon + 1, *ve = l + n;
	for (const char *p = v; p < ve; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return false;	/* a NUL, a lone CR or another control byte */
	}
	size_t nn = (size_t)(colon - l);
	if (rq) {	/* as evhttp keeps it: leading spaces and trailing blanks dropped */
		const char *a = v, *b = ve;
		while (a < b && *a == ' ')
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		rq_header(rq, l, nn, a, (size_t)(b - a));
	}
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (name_is(l, nn, "Content-Length")) {
		if (h->content_lengths++ > 0 || v == ve)
			return false;	/* twice (even alike), or empty */
		while (ve - v > 1 && *v == '0')
			v++;	/* leading zeros: the same number for every reader */
		if (ve - v > 15)
			return false;	/* absurd */
		long long x = 0;
		for (const char *p = v; p < ve; p++) {
			if (*p < '0' || *p > '9')
				return false;	/* a sign, a list, anything but digits */
			x = x * 10 + (*p - '0');
		}
		h->length = x;
	} else if (name_is(l, nn, "Transfer-Encoding")) {
		h->transfer_encoding = true;
	} else if (name_is(l, nn, "Authorization") || name_is(l, nn, "Cookie")) {
		h->credentials = true;
	}
	return true;
}

/* Reads a complete head into h; with rq, its headers too. */
void http_head_read(const char *text, size_t n, struct http_head *h, struct http_request *rq)
{
	memset(h, 0, sizeof *h);
	const char *p = text, *end = text + n, *l;
	size_t len;
	bool first = true;
	while (next_line(&p, end, &l, &len)) {
		if (len == 0) {
			if (first)
				continue;	/* blank lines before the request line */
			break;
		}
		if (first) {
			h->bad |= !request_line(h, l, len);
			first = false;
			continue;
		}
		if (++h->headers > HTTP_HEAD_MAX_LINES)
			h->bad = true;
		else
			h->bad |= !header_line(h, l, len, rq);
		if (h->bad)
			break;
	}
}

/* Whether a header line (without line end) should go into a refused head: a well-formed
 * one that says nothing of a body or of the guard. */
static bool line_kept(const char *l, size_t n)
{
	struct http_head scratch;
	memset(&scratch, 0, sizeof scratch);
	if (!header_line(&scratch, l, n, NULL))
		return false;
	size_t nn = (size_t)((const char *)memchr(l, ':', n) - l);
	return !name_is(l, nn, "Content-Length") && !name_is(l, nn, "Expect") &&
	       !name_is(l, nn, "Transfer-Encoding") && !name_is(l, nn, HTTP_GUARD_HEADER);
}

/* Writes a head in place of a refused one: its body announced as empty and the guard's mark
 * of the refusal, so that evhttp hands the request on at once and the dispatcher answers it
 * with that status. */
void http_head_refused(struct evbuffer *out, const struct http_head *h, const char *text,
		       size_t n, int status, const char *mark)
{
	bool known = h->method[0] && h->path[0] == '/';
	if (evbuffer_add_printf(out, "%s %s HTTP/1.1\r\n", known ? h->method : "GET",
				known ? h->path : "/") < 0)
		fatal("http", "out of memory");
	const char *p = text, *end = text + n, *l;
	size_t len;
	bool first = true;
	while (next_line(&p, end, &l, &len)) {
		if (len == 0) {
			if (first)
				continue;
			break;
		}
		if (!first && line_kept(l, len) &&
		    (evbuffer_add(out, l, len) != 0 || evbuffer_add(out, "\r\n", 2) != 0))
			fatal("http", "out of memory");
		first = false;
	}
	if (evbuffer_add_printf(out, "Content-Length: 0\r\n%s: %s %d\r\n\r\n", HTTP_GUARD_HEADER,
				mark, status) < 0)
		fatal("http", "out of memory");
}

/* Writes the head as it came, less any header of the guard's name a client sent. */
void http_head_passed(struct evbuffer *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t glen = strlen(HTTP_GUARD_HEADER);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		bool ours = n > glen && p[glen] == ':' && strncasecmp(p, HTTP_GUARD_HEADER, glen) == 0;
		if (!ours && evbuffer_add(out, p, n) != 0)
			fatal("http", "out of memory");
		p += n;
	}
}

