/* A small, bounded JSON parser into a tree, for request bodies and saved receipts. */
#ifndef BAOCAO_JSON_PARSE_H
#define BAOCAO_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

/* A value; ordered so that it takes 48 bytes. */
struct jv {
	double number;
	char *string;		/* JV_STRING: UTF-8, NUL-terminated (NUL escapes refused) */
	size_t len;		/* JV_STRING: bytes in string; JV_ARRAY / JV_OBJECT: members; else 0 */
	struct jv *items;	/* JV_ARRAY values, JV_OBJECT values */
	char **keys;		/* JV_OBJECT keys */
	enum jv_type type;
	bool boolean;
	bool integral;		/* the number was written without fraction or exponent */
};

/*
 * Parses text (at most len bytes) into a tree. Refuses depth over 32, more than 256 keys in an
 * object or 100,000 items in an array, invalid UTF-8, lone surrogates, duplicate keys and
 * trailing garbage. Work and memory are in proportion to len: the tree takes at most 24 bytes
 * per byte of text and the allocator's overhead (a value is 48 bytes, every value after the
 * first takes 2 bytes of text or more, and a string's buffer is no longer than its text), and
 * arrays grow by doubling. Returns the tree or NULL with *err set to an English message with
 * the byte offset.
 */
struct jv *jv_parse(const char *text, size_t len, char **err);
/* Frees a tree; NULL is allowed. */
void jv_free(struct jv *v);
/* The member of an object, or NULL when absent or v is not an object. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* The string of a member, or NULL when absent or not a string. */
const char *jv_get_string(const struct jv *v, const char *key);

#endif
