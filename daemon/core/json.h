/* A small streaming JSON writer onto a strbuf. */
#ifndef BAOCAO_JSON_H
#define BAOCAO_JSON_H

#include "util.h"

#include <stdbool.h>

#define JSON_MAX_DEPTH 32

struct json {
	struct strbuf *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, struct strbuf *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_int(struct json *j, long long v);
/* A value that is valid JSON already, written as it is. */
void json_raw(struct json *j, const char *text);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* key + value shorthands */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, long long v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Appends s as a quoted, escaped JSON string. */
void json_quote(struct strbuf *sb, const char *s);

#endif
