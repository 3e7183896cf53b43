/* A small, bounded JSON parser into a tree, for request bodies and saved receipts. */
#include "json_parse.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JV_MAX_DEPTH 32
#define JV_MAX_KEYS 256		/* per object: the duplicate check is linear */
#define JV_MAX_ITEMS 100000	/* per array */

_Static_assert(sizeof(struct jv) <= 48, "json_parse.h promises values of 48 bytes at most");

struct jp {
	const char *s;
	size_t len, pos;
	char *err;
};

/* Records the first error with its offset. */
static void jp_fail(struct jp *p, const char *what)
{
	if (p->err == NULL)
		p->err = xasprintf("%s at byte %zu", what, p->pos);
}

/* Skips white space. */
static void jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* Consumes a literal word. */
static bool jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return true;
	}
	jp_fail(p, "unexpected token");
	return false;
}

/* Reads four hex digits. */
static int jp_hex4(struct jp *p)
{
	if (p->len - p->pos < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos + (size_t)i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	p->pos += 4;
	return v;
}

/* Reads the code point of a \u escape after its 'u', joining a surrogate pair; -1 on error. */
static int jp_escape_u(struct jp *p)
{
	int cp = jp_hex4(p);
	if (cp < 0) {
		jp_fail(p, "bad \\u escape");
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		int lo = -1;
		if (p->len - p->pos >= 2 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
			p->pos += 2;
			lo = jp_hex4(p);
		}
		if (lo < 0xdc00 || lo > 0xdfff) {
			jp_fail(p, "lone surrogate");
			return -1;
		}
		return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
		jp_fail(p, cp ? "lone surrogate" : "NUL in string");
		return -1;
	}
	return cp;
}

/*
 * Reads a string after its opening quote. Every escape is at least as long as the UTF-8 it
 * stands for, so a buffer the size of the raw text holds the result: one allocation, no larger
 * than the input it comes from.
 */
static char *jp_string(struct jp *p, size_t *outlen)
{
	size_t end = p->pos;
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	char *out = xmalloc((end < p->len ? end : p->len) - p->pos + 1);
	size_t n = 0, run = p->pos;
	for (;;) {
		if (p->pos >= p->len) {
			jp_fail(p, "unterminated string");
			goto fail;
		}
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c >= 0x20 && c != '"' && c != '\\') {
			p->pos++;
			continue;
		}
		if (c < 0x20) {
			jp_fail(p, "control character in string");
			goto fail;
		}
		memcpy(out + n, p->s + run, p->pos - run);
		n += p->pos - run;
		p->pos++;
		if (c == '"')
			break;
		if (p->pos >= p->len) {
			jp_fail(p, "unterminated escape");
			goto fail;
		}
		char e = p->s[p->pos++];
		switch (e) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			int cp = jp_escape_u(p);
			if (cp < 0)
				goto fail;
			n += utf8_encode(out + n, (uint32_t)cp);
			break;
		}
		default:
			jp_fail(p, "bad escape");
			goto fail;
		}
		run = p->pos;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
fail:
	free(out);
	return NULL;
}

static bool jp_value(struct jp *p, struct jv *out, int depth);

/* Reads a number. */
static bool jp_number(struct jp *p, struct jv *out)
{
	size_t start = p->pos;
	bool integral = true;
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	} else {
		jp_fail(p, "bad number");
		return false;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integral = false;
		p->pos++;
		size_t d = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d) {
			jp_fail(p, "bad number");
			return false;
		}
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integral = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		size_t d = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d) {
			jp_fail(p, "bad number");
			return false;
		}
	}
	char buf[64];
	size_t n = p->pos - start;
	if (n >= sizeof buf) {
		jp_fail(p, "number too long");
		return false;
	}
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	errno = 0;
	out->number = strtod(buf, NULL);
	if (!isfinite(out->number)) {
		jp_fail(p, "number out of range");
		return false;
	}
	out->type = JV_NUMBER;
	out->integral = integral;
	return true;
}

/* Makes room for one more member of a container, doubling its arrays (keys too for an object)
 * as they fill, up to max members: reading n members copies fewer than 2n in all. */
static void jp_reserve(struct jv *v, size_t *cap, size_t max)
{
	if (v->len < *cap)
		return;
	*cap = *cap ? *cap * 2 : 1;
	if (*cap > max)
		*cap = max;
	v->items = xrealloc(v->items, *cap * sizeof *v->items);
	if (v->type == JV_OBJECT)
		v->keys = xrealloc(v->keys, *cap * sizeof *v->keys);
}

/* Gives back the unused end of a finished container's arrays; returns true. */
static bool jp_fit(struct jv *v, size_t cap)
{
	if (v->len == 0 || v->len == cap)
		return true;
	v->items = xrealloc(v->items, v->len * sizeof *v->items);
	if (v->type == JV_OBJECT)
		v->keys = xrealloc(v->keys, v->len * sizeof *v->keys);
	return true;
}

/* Reads an array after its '['. */
static bool jp_array(struct jp *p, struct jv *out, int depth)
{
	out->type = JV_ARRAY;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return true;
	}
	size_t cap = 0;
	for (;;) {
		if (out->len >= JV_MAX_ITEMS) {
			jp_fail(p, "too many array items");
			return false;
		}
		jp_reserve(out, &cap, JV_MAX_ITEMS);
		memset(&out->items[out->len], 0, sizeof *out->items);
		out->len++;
		if (!jp_value(p, &out->items[out->len - 1], depth + 1))
			return false;
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return jp_fit(out, cap);
		}
		jp_fail(p, "expected ',' or ']'");
		return false;
	}
}

/* Reads an object after its '{'. */
static bool jp_object(struct jp *p, struct jv *out, int depth)
{
	out->type = JV_OBJECT;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return true;
	}
	size_t cap = 0;
	for (;;) {
		jp_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			jp_fail(p, "expected a key");
			return false;
		}
		if (out->len >= JV_MAX_KEYS) {
			jp_fail(p, "too many keys in one object");
			return false;
		}
		p->pos++;
		size_t klen;
		char *key = jp_string(p, &klen);
		if (key == NULL)
			return false;
		for (size_t i = 0; i < out->len; i++) {
			if (strcmp(out->keys[i], key) == 0) {
				free(key);
				jp_fail(p, "duplicate key");
				return false;
			}
		}
		jp_reserve(out, &cap, JV_MAX_KEYS);
		memset(&out->items[out->len], 0, sizeof *out->items);
		out->keys[out->len] = key;
		out->len++;
		jp_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			jp_fail(p, "expected ':'");
			return false;
		}
		p->pos++;
		if (!jp_value(p, &out->items[out->len - 1], depth + 1))
			return false;
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return jp_fit(out, cap);
		}
		jp_fail(p, "expected ',' or '}'");
		return false;
	}
}

/* Reads any value. */
static bool jp_value(struct jp *p, struct jv *out, int depth)
{
	if (depth > JV_MAX_DEPTH) {
		jp_fail(p, "nested too deeply");
		return false;
	}
	jp_ws(p);
	if (p->pos >= p->len) {
		jp_fail(p, "unexpected end");
		return false;
	}
	char c = p->s[p->pos];
	switch (c) {
	case '{': p->pos++; return jp_object(p, out, depth);
	case '[': p->pos++; return jp_array(p, out, depth);
	case '"':
		p->pos++;
		out->type = JV_STRING;
		out->string = jp_string(p, &out->len);
		return out->string != NULL;
	case 't': out->type = JV_BOOL; out->boolean = true; return jp_word(p, "true");
	case 'f': out->type = JV_BOOL; out->boolean = false; return jp_word(p, "false");
	case 'n': out->type = JV_NULL; return jp_word(p, "null");
	default: return jp_number(p, out);
	}
}

/* Frees the members of a value. */
static void jv_clear(struct jv *v)
{
	free(v->string);
	for (size_t i = 0; v->items != NULL && i < v->len; i++) {
		jv_clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

/* Parses a document. */
struct jv *jv_parse(const char *text, size_t len, char **err)
{
	struct jp p = { text, len, 0, NULL };
	struct jv *v = xcalloc(1, sizeof *v);
	/* Valid UTF-8 overall, so every string is too (escapes only add valid sequences). */
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)text[i] >= 0x80) {
			const unsigned char *u = (const unsigned char *)text;
			size_t j = i;
			while (j < len && u[j] >= 0x80)
				j++;
			if (!utf8_valid(text + i, j - i)) {
				p.pos = i;
				jp_fail(&p, "invalid UTF-8");
				goto fail;
			}
			i = j - 1;
		}
	}
	if (!jp_value(&p, v, 0))
		goto fail;
	jp_ws(&p);
	if (p.pos != len) {
		jp_fail(&p, "trailing characters");
		goto fail;
	}
	return v;
fail:
	*err = p.err ? p.err : xstrdup("invalid JSON");
	jv_free(v);
	return NULL;
}

/* Frees a tree. */
void jv_free(struct jv *v)
{
	if (v == NULL)
		return;
	jv_clear(v);
	free(v);
}

/* An object's member. */
const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (v == NULL || v->type != JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

/* An object's string member. */
const char *jv_get_string(const struct jv *v, const char *key)
{
	const struct jv *m = jv_get(v, key);
	return m && m->type == JV_STRING ? m->string : NULL;
}
