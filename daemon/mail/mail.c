/* Composing one e-mail: headers (RFC 5322, RFC 2047 words) and a MIME body in base64. */
#include "mail.h"
#include "utf8.h"
#include "util.h"
#include "vntext.h"
#include "xmltext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest header line we write, CRLF not counted (RFC 5322 2.1.1). */
#define LINE_MAX_HEADER 78
/* Longest encoded-word (RFC 2047 2). */
#define WORD_MAX 75
/* Longest base64 body line (RFC 2045 6.8). */
#define LINE_MAX_BASE64 76
/* The frame of an encoded-word: "=?UTF-8?B?" and "?=". */
#define WORD_PREFIX "=?UTF-8?B?"
#define WORD_FRAME (sizeof WORD_PREFIX - 1 + 2)
/* Longest ASCII fallback file name: ' filename="' and '";' around it fill a line. */
#define FALLBACK_MAX (LINE_MAX_HEADER - 13)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 of n bytes, without line breaks. */
static void base64_add(struct strbuf *out, const unsigned char *p, size_t n)
{
	strbuf_grow(out, (n + 2) / 3 * 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		strbuf_addc(out, b64_alphabet[(v >> 18) & 63]);
		strbuf_addc(out, b64_alphabet[(v >> 12) & 63]);
		strbuf_addc(out, i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=');
		strbuf_addc(out, i + 2 < n ? b64_alphabet[v & 63] : '=');
	}
}

/* Appends the base64 of n bytes as a body: lines of 76 characters, each ending in CRLF. */
static void base64_body(struct strbuf *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	const size_t chunk = LINE_MAX_BASE64 / 4 * 3;
	for (size_t i = 0; i < n; i += chunk) {
		base64_add(out, p + i, n - i < chunk ? n - i : chunk);
		strbuf_adds(out, "\r\n");
	}
}

/* True if the value can be written as it is: printable ASCII that no reader takes for an
 * encoded-word, short enough for one line after "name: ". */
static bool header_plain_ok(const char *name, const char *value)
{
	size_t n = strlen(value);
	if (strlen(name) + 2 + n > LINE_MAX_HEADER || strstr(value, "=?") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (value[i] < 0x20 || value[i] > 0x7E)
			return false;
	return true;
}

/* Appends value as encoded-words starting at column col of the current line, each word at
 * most 75 characters and whole UTF-8 characters, folding onto continuation lines so that no
 * line passes 78 characters; returns the column after the last word. */
static size_t header_words(struct strbuf *out, size_t col, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t left = strlen(value);
	for (;;) {
		size_t room = col < LINE_MAX_HEADER ? LINE_MAX_HEADER - col : 0;
		if (room > WORD_MAX)
			room = WORD_MAX;
		size_t max_bytes = room > WORD_FRAME ? (room - WORD_FRAME) / 4 * 3 : 0;
		size_t take = 0, after_space = 0;
		while (take < left) {
			size_t len = utf8_decode_loose(p + take, NULL);
			if (len == 0)
				len = 1;	/* a byte that starts no character goes alone */
			if (take + len > max_bytes)
				break;
			take += len;
			if (p[take - 1] == ' ')
				after_space = take;
		}
		/* A word that must be split ends after a space where one is near (see docs/mail.md). */
		if (take < left && after_space > take / 2)
			take = after_space;
		if (take == 0 && left > 0) {
			/* Not one character fits on this line (a long name before it). */
			strbuf_adds(out, "\r\n ");
			col = 1;
			continue;
		}
		strbuf_adds(out, WORD_PREFIX);
		base64_add(out, p, take);
		strbuf_adds(out, "?=");
		col += WORD_FRAME + (take + 2) / 3 * 4;
		p += take;
		left -= take;
		if (left == 0)
			return col;
		strbuf_adds(out, "\r\n ");
		col = 1;
	}
}

/* Appends "Name: value" as one header field, encoding and folding as needed. */
void mail_header_text(struct strbuf *out, const char *name, const char *value)
{
	strbuf_addf(out, "%s: ", name);
	if (header_plain_ok(name, value))
		strbuf_adds(out, value);
	else
		header_words(out, strlen(name) + 2, value);
	strbuf_adds(out, "\r\n");
}

/* Appends text without the control characters (CR, LF, ...) a header must not carry. */
static void add_no_controls(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7F)
			strbuf_addc(out, *s);
}

/* The address inside "Name <address>", or the text itself without angle brackets. */
char *mail_address(const char *from)
{
	const char *lt = strrchr(from, '<');
	const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	char *s = xstrdup(from);
	str_trim(s);
	return s;
}

/* The display name before "<address>" trimmed, or NULL when there is none (new string). */
static char *display_name(const char *from)
{
	const char *lt = strrchr(from, '<');
	if (lt == NULL)
		return NULL;
	char *name = xstrndup(from, (size_t)(lt - from));
	str_trim(name);
	size_t n = strlen(name);
	if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
		memmove(name, name + 1, n - 2);
		name[n - 2] = '\0';
	}
	if (name[0] == '\0') {
		free(name);
		return NULL;
	}
	return name;
}

/* True if a display name must be encoded: anything but printable ASCII, or "=?". */
static bool name_needs_words(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p > 0x7E)
			return true;
	return strstr(name, "=?") != NULL;
}

/* Appends "From: Name <address>" (the name quoted or as encoded-words), folded. */
static void header_from(struct strbuf *out, const char *from)
{
	char *name = display_name(from);
	char *addr = mail_address(from);
	strbuf_adds(out, "From: ");
	size_t col = 6;
	if (name != NULL && (name_needs_words(name) || col + strlen(name) + 2 > LINE_MAX_HEADER)) {
		col = header_words(out, col, name);
	} else if (name != NULL) {
		size_t start = out->len;
		strbuf_addc(out, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addc(out, '\\');
			strbuf_addc(out, *p);
		}
		strbuf_addc(out, '"');
		col += out->len - start;
	}
	if (name != NULL) {
		if (col + 3 + strlen(addr) > LINE_MAX_HEADER)
			strbuf_adds(out, "\r\n");
		strbuf_adds(out, " <");
		add_no_controls(out, addr);
		strbuf_addc(out, '>');
	} else {
		add_no_controls(out, addr);
	}
	strbuf_adds(out, "\r\n");
	free(name);
	free(addr);
}

/* Appends an address header "Name: address" with the address stripped of controls. */
static void header_address(struct strbuf *out, const char *name, const char *addr)
{
	strbuf_addf(out, "%s: ", name);
	add_no_controls(out, addr);
	strbuf_adds(out, "\r\n");
}

/* Appends "Date: ..." in Vietnam's time (UTC+7 all year, no summer time). */
static void header_date(struct strbuf *out, time_t date)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t local = date + 7 * 3600;
	struct tm tm;
	if (gmtime_r(&local, &tm) == NULL) {
		/* A time outside struct tm's years: the epoch is still a valid date. */
		local = 7 * 3600;
		if (gmtime_r(&local, &tm) == NULL)
			abort();
	}
	strbuf_addf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0700\r\n", days[tm.tm_wday],
		    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A boundary of one multipart level. It holds '_' and '.', which no base64 line has, and
 * every part is base64, so no line of the content can start with it. */
static void make_boundary(char *buf, size_t size, const char *kind, const struct mail_message *m)
{
	uint64_t h = 1469598103934665603u;	/* FNV-1a over the Message-ID */
	for (const unsigned char *p = (const unsigned char *)(m->message_id ? m->message_id : ""); *p; p++)
		h = (h ^ *p) * 1099511628211u;
	snprintf(buf, size, "=_baocao.%s.%016llx", kind, (unsigned long long)h);
}

/* Appends the base64 of text with every bare LF or bare CR made CRLF, in 76-character lines. */
static void text_body(struct strbuf *out, const char *text)
{
	struct strbuf crlf = STRBUF_INIT;
	for (const char *p = text; *p; p++) {
		if (*p == '\n' || (*p == '\r' && p[1] != '\n')) {
			strbuf_adds(&crlf, "\r\n");
		} else if (*p == '\r') {
			strbuf_adds(&crlf, "\r\n");
			p++;
		} else {
			strbuf_addc(&crlf, *p);
		}
	}
	base64_body(out, crlf.data != NULL ? crlf.data : "", crlf.len);
	strbuf_free(&crlf);
}

/* Appends one text part: its headers, a blank line and the body in base64. */
static void text_part(struct strbuf *out, const char *subtype, const char *text)
{
	strbuf_addf(out, "Content-Type: text/%s; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n", subtype);
	text_body(out, text);
}

/* Appends the text, or the text and the HTML as multipart/alternative. */
static void body_texts(struct strbuf *out, const struct mail_message *m)
{
	const char *text = m->text != NULL ? m->text : "";
	if (m->html == NULL) {
		text_part(out, "plain", text);
		return;
	}
	char b[64];
	make_boundary(b, sizeof b, "alt", m);
	strbuf_addf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", b);
	strbuf_addf(out, "--%s\r\n", b);
	text_part(out, "plain", text);
	strbuf_addf(out, "--%s\r\n", b);
	text_part(out, "html", m->html);
	strbuf_addf(out, "--%s--\r\n", b);
}

/* An ASCII stand-in for a UTF-8 file name, for readers without RFC 2231 (new string). */
char *mail_ascii_filename(const char *filename)
{
	char *s = vn_ascii(filename);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p > 0x7E || strchr("\"\\/%*;", *p) != NULL)
			*p = '_';
	if (s[0] == '\0') {
		free(s);
		s = xstrdup("attachment");
	}
	return s;
}

/* True for the characters RFC 2231 lets stand as themselves in an extended value. */
static bool attr_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       strchr("!#$&+-.^_`|~", c) != NULL;
}

/* The length of the next character of a percent-encoded UTF-8 value, "%E1%BA%A7" for one
 * character of three bytes, so that a continuation never splits a character (at most left). */
static size_t enc_unit(const char *e, size_t left)
{
	if (e[0] != '%' || left < 3)
		return 1;
	unsigned byte = 0;
	if (sscanf(e + 1, "%2x", &byte) != 1)
		return 1;
	size_t n = 3 * utf8_lead_length((unsigned char)byte);
	return n < left ? n : left;
}

/* Appends the Content-Disposition of an attachment: an ASCII filename and the UTF-8 name as
 * filename* (RFC 2231), split into filename*0*, filename*1*, ... when one line cannot hold it. */
static void header_disposition(struct strbuf *out, const char *filename)
{
	char *ascii = mail_ascii_filename(filename);
	struct strbuf enc = STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)filename; *p; p++) {
		if (attr_char(*p))
			strbuf_addc(&enc, (char)*p);
		else
			strbuf_addf(&enc, "%%%02X", *p);
	}
	const char *e = strbuf_str(&enc);
	size_t n = strlen(ascii);
	if (n > FALLBACK_MAX) {
		/* Too long for its line: the stem is shortened, an extension of up to 10 kept. */
		const char *dot = strrchr(ascii, '.');
		size_t ext = dot != NULL && strlen(dot) <= 10 ? strlen(dot) : 0;
		memmove(ascii + FALLBACK_MAX - ext, ascii + n - ext, ext + 1);
	}
	/* filename* comes first: readers that know both take the first (Python's email does). */
	strbuf_adds(out, "Content-Disposition: attachment;\r\n");
	if (strlen(" filename*=UTF-8''") + enc.len + 1 <= LINE_MAX_HEADER) {
		strbuf_addf(out, " filename*=UTF-8''%s;\r\n", e);
	} else {
		size_t at = 0;
		for (int i = 0; at < enc.len; i++) {
			size_t start = out->len;
			strbuf_addf(out, " filename*%d*=%s", i, i == 0 ? "UTF-8''" : "");
			size_t room = LINE_MAX_HEADER - 1 - (out->len - start);
			size_t take = 0;
			while (at + take < enc.len) {
				size_t len = enc_unit(e + at + take, enc.len - at - take);
				if (take + len > room && take > 0)
					break;
				take += len;
			}
			strbuf_add(out, e + at, take);
			at += take;
			strbuf_adds(out, ";\r\n");
		}
	}
	strbuf_addf(out, " filename=\"%s\"\r\n", ascii);
	strbuf_free(&enc);
	free(ascii);
}

/* Appends one attachment part's headers; its body (the base64 of its bytes) is not written
 * here but where *body says, at the end of the text so far (see struct mail_text). */
static void attachment_part(struct strbuf *out, const struct mail_attachment *a, size_t *body)
{
	const char *type = a->content_type != NULL && a->content_type[0] ? a->content_type
									: "application/octet-stream";
	/* The .xlsx type alone nearly fills a line: a long one starts on a continuation line. */
	strbuf_adds(out, strlen("Content-Type: ") + strlen(type) > LINE_MAX_HEADER ? "Content-Type:\r\n "
										       : "Content-Type: ");
	add_no_controls(out, type);
	strbuf_adds(out, "\r\nContent-Transfer-Encoding: base64\r\n");
	header_disposition(out, a->filename != NULL ? a->filename : "attachment");
	strbuf_adds(out, "\r\n");
	*body = out->len;
}

/*
 * A message composed but for its attachments' bodies: the text of everything else (headers,
 * texts, part headers, boundaries), and for attachment i the offset body[i] in that text where
 * the base64 of its bytes goes. The text is small; the attachments' bytes stay the caller's,
 * encoded when the message is written out (mail_format) or read (mail_reader).
 */
struct mail_text {
	struct strbuf text;
	size_t *body;
};

/* Composes the message, whose texts follow the text rule, but for the attachments' bodies. */
static void format_clean(const struct mail_message *m, struct strbuf *out, size_t *body)
{
	header_date(out, m->date);
	header_address(out, "Message-ID", m->message_id != NULL ? m->message_id : "");
	header_from(out, m->from != NULL ? m->from : "");
	header_address(out, "To", m->to != NULL ? m->to : "");
	if (m->reply_to != NULL && m->reply_to[0] != '\0')
		header_address(out, "Reply-To", m->reply_to);
	mail_header_text(out, "Subject", m->subject != NULL ? m->subject : "");
	strbuf_adds(out, "MIME-Version: 1.0\r\n");
	if (m->nattachments == 0) {
		body_texts(out, m);
		return;
	}
	char b[64];
	make_boundary(b, sizeof b, "mixed", m);
	strbuf_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", b);
	strbuf_addf(out, "--%s\r\n", b);
	body_texts(out, m);
	for (size_t i = 0; i < m->nattachments; i++) {
		strbuf_addf(out, "--%s\r\n", b);
		attachment_part(out, &m->attachments[i], &body[i]);
	}
	strbuf_addf(out, "--%s--\r\n", b);
}

/* Composes the message but for its attachments' bodies into t, the texts of m with anything
 * outside the text rule (xmltext.h) as U+FFFD. */
static void compose(const struct mail_message *orig, struct mail_text *t)
{
	struct mail_message clean = *orig;
	char *subject = xmltext_clean(orig->subject), *text = xmltext_clean(orig->text);
	char *html = orig->html != NULL ? xmltext_clean(orig->html) : NULL;
	char *from = orig->from != NULL ? xmltext_clean(orig->from) : NULL;
	clean.subject = subject;
	clean.text = text;
	clean.html = html;
	clean.from = from;
	struct mail_attachment *atts = NULL;
	char **names = NULL;
	if (orig->nattachments > 0) {
		atts = xcalloc(orig->nattachments, sizeof *atts);
		names = xcalloc(orig->nattachments, sizeof *names);
		for (size_t i = 0; i < orig->nattachments; i++) {
			atts[i] = orig->attachments[i];
			if (atts[i].filename != NULL)
				atts[i].filename = names[i] = xmltext_clean(atts[i].filename);
		}
		clean.attachments = atts;
	}
	t->text = (struct strbuf)STRBUF_INIT;
	t->body = xcalloc(orig->nattachments ? orig->nattachments : 1, sizeof *t->body);
	format_clean(&clean, &t->text, t->body);
	for (size_t i = 0; i < orig->nattachments; i++)
		free(names[i]);
	free(names);
	free(atts);
	free(subject);
	free(text);
	free(html);
	free(from);
}

/* The bytes of an attachment as the body encodes them (none when it has no data). */
static const unsigned char *att_bytes(const struct mail_attachment *a, size_t *len)
{
	*len = a->data != NULL ? a->len : 0;
	return a->data != NULL ? a->data : (const unsigned char *)"";
}

/* Appends the whole message (headers and MIME body, CRLF line ends) to out, in one piece. */
void mail_format(const struct mail_message *m, struct strbuf *out)
{
	struct mail_text t;
	compose(m, &t);
	size_t at = 0;
	for (size_t i = 0; i < m->nattachments; i++) {
		strbuf_add(out, t.text.data + at, t.body[i] - at);
		at = t.body[i];
		size_t len;
		const unsigned char *p = att_bytes(&m->attachments[i], &len);
		base64_body(out, p, len);
	}
	strbuf_add(out, t.text.data != NULL ? t.text.data + at : "", t.text.len - at);
	strbuf_free(&t.text);
	free(t.body);
}

/* A message read a piece at a time: the composed text, the attachments encoded as they come. */
struct mail_reader {
	struct mail_text t;
	const struct mail_attachment *atts;
	size_t natts;
	size_t part;		/* the attachment whose body comes next; natts: the end */
	size_t text_at;		/* bytes of the text read */
	size_t data_at;		/* bytes of attachment part encoded */
	char line[LINE_MAX_BASE64 + 2];	/* a line too long for the caller's buffer */
	size_t line_len, line_at;
	size_t size;
};

/* The length of n bytes in base64 as a body: 4 per 3 bytes, a CRLF per 57. */
static size_t base64_body_size(size_t n)
{
	const size_t chunk = LINE_MAX_BASE64 / 4 * 3;
	return (n + 2) / 3 * 4 + (n + chunk - 1) / chunk * 2;
}

/* Writes the base64 of n bytes (at most a line's 57) and CRLF at dst; returns its length. */
static size_t base64_line(char *dst, const unsigned char *p, size_t n)
{
	char *d = dst;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*d++ = b64_alphabet[(v >> 18) & 63];
		*d++ = b64_alphabet[(v >> 12) & 63];
		*d++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		*d++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	*d++ = '\r';
	*d++ = '\n';
	return (size_t)(d - dst);
}

/* Starts reading the message as mail_format writes it. */
struct mail_reader *mail_reader_new(const struct mail_message *m)
{
	struct mail_reader *r = xcalloc(1, sizeof *r);
	compose(m, &r->t);
	r->atts = m->attachments;
	r->natts = m->nattachments;
	r->size = r->t.text.len;
	for (size_t i = 0; i < r->natts; i++) {
		size_t len;
		att_bytes(&r->atts[i], &len);
		r->size += base64_body_size(len);
	}
	return r;
}

/* The message's length in bytes. */
size_t mail_reader_size(const struct mail_reader *r)
{
	return r->size;
}

/* Copies the next bytes of the message into buf; 0 at its end. */
size_t mail_reader_read(struct mail_reader *r, void *buf, size_t n)
{
	const size_t chunk = LINE_MAX_BASE64 / 4 * 3;
	char *out = buf;
	size_t got = 0;
	while (got < n) {
		if (r->line_at < r->line_len) {
			size_t k = r->line_len - r->line_at < n - got ? r->line_len - r->line_at
								      : n - got;
			memcpy(out + got, r->line + r->line_at, k);
			r->line_at += k;
			got += k;
			continue;
		}
		size_t end = r->part < r->natts ? r->t.body[r->part] : r->t.text.len;
		if (r->text_at < end) {
			size_t k = end - r->text_at < n - got ? end - r->text_at : n - got;
			memcpy(out + got, r->t.text.data + r->text_at, k);
			r->text_at += k;
			got += k;
			continue;
		}
		if (r->part == r->natts)
			break;
		size_t len;
		const unsigned char *p = att_bytes(&r->atts[r->part], &len);
		if (r->data_at == len) {
			r->part++;
			r->data_at = 0;
			continue;
		}
		size_t take = len - r->data_at < chunk ? len - r->data_at : chunk;
		if (n - got >= sizeof r->line) {	/* a whole line fits: straight into buf */
			got += base64_line(out + got, p + r->data_at, take);
		} else {
			r->line_len = base64_line(r->line, p + r->data_at, take);
			r->line_at = 0;
		}
		r->data_at += take;
	}
	return got;
}

/* Ends reading. */
void mail_reader_free(struct mail_reader *r)
{
	if (r == NULL)
		return;
	strbuf_free(&r->t.text);
	free(r->t.body);
	free(r);
}

/* True if s has a control character or one of the characters in bad. */
static bool has_bad_char(const char *s, const char *bad)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F || strchr(bad, *s) != NULL)
			return true;
	return false;
}

/* Checks that a message can be written; 0, or -1 with *detail. */
int mail_check(const struct mail_message *m, char **detail)
{
	const char *why = NULL;
	char *from = m->from != NULL ? mail_address(m->from) : NULL;
	if (from == NULL || from[0] == '\0' || has_bad_char(from, "<> ") || strchr(from, '@') == NULL)
		why = "the sender has no valid address";
	else if (m->to == NULL || m->to[0] == '\0' || has_bad_char(m->to, "<> ,") ||
		 strchr(m->to, '@') == NULL)
		why = "the recipient is not one valid address";
	else if (m->reply_to != NULL && m->reply_to[0] != '\0' && has_bad_char(m->reply_to, "<>"))
		why = "the reply-to address is not valid";
	else if (m->message_id == NULL || m->message_id[0] != '<' ||
		 m->message_id[strlen(m->message_id) - 1] != '>' || strlen(m->message_id) < 3 ||
		 has_bad_char(m->message_id, " "))
		why = "the Message-ID is not of the form <...>";
	else if (m->subject == NULL)
		why = "the subject is missing";
	else if (m->text == NULL)
		why = "the text is missing";
	/* Texts outside the text rule are written with U+FFFD (mail_format), not refused: a
	 * message made of what was stored before the rule still goes. */
	for (size_t i = 0; why == NULL && i < m->nattachments; i++) {
		const struct mail_attachment *a = &m->attachments[i];
		if (a->filename == NULL || a->filename[0] == '\0')
			why = "an attachment has no valid file name";
		else if (a->content_type != NULL && has_bad_char(a->content_type, " \"\\"))
			why = "an attachment has an invalid content type";
		else if (a->data == NULL && a->len > 0)
			why = "an attachment has no data";
	}
	free(from);
	if (why == NULL)
		return 0;
	*detail = xstrdup(why);
	return -1;
}
