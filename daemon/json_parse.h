/* A small, bounded JSON parser into a tree, for request bodies and saved receipts. */
#ifndef BAOCAO_JSON_PARSE_H
#define BAOCAO_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	bool boolean;
	double number;
	bool integral;		/* the number was written without fraction or exponent */
	char *string;		/* JV_STRING: UTF-8, NUL-terminated (NUL escapes refused) */
	size_t len;		/* JV_ARRAY / JV_OBJECT: number of members; 0 otherwise */
	struct jv *items;	/* JV_ARRAY values, JV_OBJECT values */
	char **keys;		/* JV_OBJECT keys */
};

/*
 * Parses text (at most len bytes) into a tree. Refuses depth over 32, more than 256 keys in an
 * object or 100,000 items in an array, invalid UTF-8, lone
 * surrogates, duplicate keys and trailing garbage. Returns the tree or NULL with *err set
 * to an English message with the byte offset.
 */
struct jv *jv_parse(const char *text, size_t len, char **err);
void jv_free(struct jv *v);
/* The member of an object, or NULL when absent or v is not an object. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* The string of a member, or NULL when absent or not a string. */
const char *jv_get_string(const struct jv *v, const char *key);

#endif
