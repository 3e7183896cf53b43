/* A small streaming JSON writer onto a strbuf. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starts writing JSON into out. */
void json_init(struct json *j, struct strbuf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
	j->first[0] = true;
}

/* Writes the comma that separates a value from the one before it. */
static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		strbuf_addc(j->out, ',');
	j->first[j->depth] = false;
}

/* Opens a nested object or array. */
static void json_open(struct json *j, char c)
{
	json_sep(j);
	strbuf_addc(j->out, c);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

/* Closes a nested object or array. */
static void json_close(struct json *j, char c)
{
	strbuf_addc(j->out, c);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j) { json_open(j, '{'); }
void json_object_end(struct json *j) { json_close(j, '}'); }
void json_array_begin(struct json *j) { json_open(j, '['); }
void json_array_end(struct json *j) { json_close(j, ']'); }

/* Writes an object key; the next value belongs to it. */
void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_quote(j->out, key);
	strbuf_addc(j->out, ':');
	j->after_key = true;
}

/* Writes a string value; NULL writes null. */
void json_string(struct json *j, const char *s)
{
	json_sep(j);
	if (s == NULL)
		strbuf_adds(j->out, "null");
	else
		json_quote(j->out, s);
}

/* Writes a value that is JSON already (e.g. made by PostgreSQL's json functions). */
void json_raw(struct json *j, const char *text)
{
	json_sep(j);
	strbuf_adds(j->out, text);
}

/* Writes an integer value. */
void json_int(struct json *j, long long v)
{
	json_sep(j);
	strbuf_addf(j->out, "%lld", v);
}

/* Writes a number that reads back to the same double; non-finite values become null. */
void json_double(struct json *j, double v)
{
	json_sep(j);
	if (!isfinite(v)) {
		strbuf_adds(j->out, "null");
		return;
	}
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_adds(j->out, buf);
}

/* Writes true or false. */
void json_bool(struct json *j, bool v)
{
	json_sep(j);
	strbuf_adds(j->out, v ? "true" : "false");
}

/* Writes null. */
void json_null(struct json *j)
{
	json_sep(j);
	strbuf_adds(j->out, "null");
}

void json_kv_string(struct json *j, const char *key, const char *s) { json_key(j, key); json_string(j, s); }
void json_kv_int(struct json *j, const char *key, long long v) { json_key(j, key); json_int(j, v); }
void json_kv_bool(struct json *j, const char *key, bool v) { json_key(j, key); json_bool(j, v); }

/* Appends a JSON string literal, escaping quotes, backslashes and control characters. */
void json_quote(struct strbuf *sb, const char *s)
{
	strbuf_addc(sb, '"');
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': strbuf_adds(sb, "\\\""); break;
		case '\\': strbuf_adds(sb, "\\\\"); break;
		case '\n': strbuf_adds(sb, "\\n"); break;
		case '\r': strbuf_adds(sb, "\\r"); break;
		case '\t': strbuf_adds(sb, "\\t"); break;
		default: strbuf_addf(sb, "\\u%04x", c); break;
		}
	}
	strbuf_add(sb, run, (size_t)(s - run));
	strbuf_addc(sb, '"');
}
