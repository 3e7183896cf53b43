/* libFuzzer target: the JSON parser must refuse or parse any bytes without crashing, leaking or
 * allocating out of proportion to the input, and every tree it gives must keep its bounds. */
#include "json.h"
#include "json_parse.h"
#include "util.h"

#include <math.h>
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bounds json_parse.h documents. */
#define MAX_DEPTH 32
#define MAX_KEYS 256
#define MAX_ITEMS 100000

/*
 * What one parse may allocate, in bytes per byte of input plus a little for tiny inputs: the tree
 * it leaves (json_parse.h: a 48-byte value per 2 bytes of text at most), the most it holds at
 * once (an array that doubles holds its old and new arrays together) and all it allocates
 * (doubling allocates twice what an array ends up with, giving back the rest copies it once
 * more, and the sanitizer's realloc always copies).
 */
#define TREE_PER_BYTE 24
#define PEAK_PER_BYTE 72
#define TOTAL_PER_BYTE 128
#define SLACK 256

/* Bytes allocated while the parser runs: all of them, those still held, and the most held. */
static struct {
	bool on;
	size_t total, live, peak;
} mem;

/* Counts an allocation made while the parser runs. */
static void on_malloc(const volatile void *ptr, size_t size)
{
	if (!mem.on)
		return;
	mem.total += size;
	mem.live += size;
	if (mem.live > mem.peak)
		mem.peak = mem.live;
}

/* Counts a release made while the parser runs. */
static void on_free(const volatile void *ptr)
{
	if (!mem.on || ptr == NULL)
		return;
	size_t n = __sanitizer_get_allocated_size((const void *)ptr);
	mem.live -= n < mem.live ? n : mem.live;
}

/* Installs the allocation hooks once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)) {
		fprintf(stderr, "fuzz_json: cannot install the allocation hooks\n");
		abort();
	}
	return 0;
}

/* Stops with a message, so that libFuzzer keeps the input. */
static void __attribute__((noreturn)) broken(const char *what, size_t a, size_t b)
{
	fprintf(stderr, "fuzz_json: %s (%zu, %zu)\n", what, a, b);
	abort();
}

/* True if s holds well-formed UTF-8 (shortest forms, no surrogates, nothing past U+10FFFF), by
 * the table of well-formed byte sequences in the Unicode standard (3.9, table 3-7). */
static bool utf8_well_formed(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t more;
		if (b <= 0x7f)
			more = 0;
		else if (b >= 0xc2 && b <= 0xdf)
			more = 1;
		else if (b >= 0xe0 && b <= 0xef)
			more = 2;
		else if (b >= 0xf0 && b <= 0xf4)
			more = 3;
		else
			return false;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		if (n - i <= more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			unsigned char c = s[i + k];
			if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xbf))
				return false;
		}
		i += more + 1;
	}
	return true;
}

/* Checks a string of the tree: present, well-formed UTF-8 and without NUL up to its length. */
static void check_string(const char *s, size_t len, const char *what)
{
	if (s == NULL)
		broken(what, 0, 0);
	size_t n = strlen(s);
	if (n != len)
		broken("a string holds NUL or its length is wrong", n, len);
	if (!utf8_well_formed((const unsigned char *)s, n))
		broken("a string is not well-formed UTF-8", n, 0);
}

/* Checks one value and everything under it against the documented bounds. */
static void walk(const struct jv *v, int depth, size_t *count)
{
	if (depth > MAX_DEPTH)
		broken("nested deeper than the bound", (size_t)depth, MAX_DEPTH);
	(*count)++;
	bool container = v->type == JV_ARRAY || v->type == JV_OBJECT;
	if (!container && v->type != JV_STRING && v->len != 0)
		broken("a scalar has members", v->len, 0);
	if (!container && (v->items != NULL || v->keys != NULL))
		broken("a scalar has member arrays", 0, 0);
	if (v->type != JV_STRING && v->string != NULL)
		broken("a value that is not a string has one", (size_t)v->type, 0);
	if (container && v->len > 0 && v->items == NULL)
		broken("members without an array", v->len, 0);
	switch (v->type) {
	case JV_NULL:
	case JV_BOOL:
		break;
	case JV_NUMBER:
		if (!isfinite(v->number))
			broken("a number is not finite", 0, 0);
		if (v->integral && v->number != floor(v->number))
			broken("an integral number has a fraction", 0, 0);
		break;
	case JV_STRING:
		check_string(v->string, v->len, "a string value is NULL");
		break;
	case JV_ARRAY:
		if (v->len > MAX_ITEMS)
			broken("an array over the bound", v->len, MAX_ITEMS);
		if (v->keys != NULL)
			broken("an array has keys", v->len, 0);
		for (size_t i = 0; i < v->len; i++)
			walk(&v->items[i], depth + 1, count);
		break;
	case JV_OBJECT:
		if (v->len > MAX_KEYS)
			broken("an object over the bound", v->len, MAX_KEYS);
		if (v->len > 0 && v->keys == NULL)
			broken("an object without keys", v->len, 0);
		for (size_t i = 0; i < v->len; i++) {
			const char *k = v->keys[i];
			check_string(k, k ? strlen(k) : 0, "a key is NULL");
			if (jv_get(v, k) != &v->items[i])
				broken("jv_get does not find a key's own member", i, v->len);
			const char *s = jv_get_string(v, k);
			if (s != (v->items[i].type == JV_STRING ? v->items[i].string : NULL))
				broken("jv_get_string disagrees with the member", i, v->len);
			walk(&v->items[i], depth + 1, count);
		}
		break;
	default:
		broken("unknown type", (size_t)v->type, 0);
	}
}

/* Writes a tree out as JSON: strings by the project's writer, numbers as exactly as they read. */
static void write_tree(const struct jv *v, struct strbuf *out)
{
	switch (v->type) {
	case JV_NULL:
		strbuf_adds(out, "null");
		break;
	case JV_BOOL:
		strbuf_adds(out, v->boolean ? "true" : "false");
		break;
	case JV_NUMBER:
		strbuf_addf(out, "%.17g", v->number);
		break;
	case JV_STRING:
		json_quote(out, v->string);
		break;
	case JV_ARRAY:
	case JV_OBJECT:
		strbuf_addc(out, v->type == JV_ARRAY ? '[' : '{');
		for (size_t i = 0; i < v->len; i++) {
			if (i > 0)
				strbuf_addc(out, ',');
			if (v->type == JV_OBJECT) {
				json_quote(out, v->keys[i]);
				strbuf_addc(out, ':');
			}
			write_tree(&v->items[i], out);
		}
		strbuf_addc(out, v->type == JV_ARRAY ? ']' : '}');
		break;
	}
}

/* True if two trees hold the same values (a number's way of writing aside). */
static bool same(const struct jv *a, const struct jv *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	switch (a->type) {
	case JV_NULL:
		return true;
	case JV_BOOL:
		return a->boolean == b->boolean;
	case JV_NUMBER:
		return a->number == b->number && signbit(a->number) == signbit(b->number);
	case JV_STRING:
		return strcmp(a->string, b->string) == 0;
	case JV_ARRAY:
	case JV_OBJECT:
		for (size_t i = 0; i < a->len; i++) {
			if (a->type == JV_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
				return false;
			if (!same(&a->items[i], &b->items[i]))
				return false;
		}
		return true;
	}
	return false;
}

/* Checks that a refusal explains itself with an offset inside the input. */
static void check_refusal(const char *err, size_t size)
{
	if (err == NULL || err[0] == '\0')
		broken("a refusal without a message", 0, 0);
	const char *at = strstr(err, " at byte ");
	if (at == NULL)
		broken("a refusal without an offset", 0, 0);
	char *end;
	unsigned long long off = strtoull(at + 9, &end, 10);
	if (end == at + 9 || *end != '\0' || off > size)
		broken("a refusal's offset is outside the input", (size_t)off, size);
}

/* One input: parsed with its allocations counted, then checked, written out and read back. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	mem.total = mem.live = mem.peak = 0;
	mem.on = true;
	struct jv *v = jv_parse((const char *)data, size, &err);
	mem.on = false;
	if (mem.total > TOTAL_PER_BYTE * size + SLACK)
		broken("the parse allocated too much in all", mem.total, size);
	if (mem.peak > PEAK_PER_BYTE * size + SLACK)
		broken("the parse held too much at once", mem.peak, size);
	if (mem.live > TREE_PER_BYTE * size + SLACK)
		broken("the tree takes too much", mem.live, size);
	if (v == NULL) {
		check_refusal(err, size);
		free(err);
		return 0;
	}
	if (err != NULL)
		broken("a tree with an error message", 0, 0);
	size_t count = 0;
	walk(v, 0, &count);
	if (count > size)
		broken("more values than bytes", count, size);

	struct strbuf out = STRBUF_INIT;
	write_tree(v, &out);
	struct jv *again = jv_parse(out.data, out.len, &err);
	if (again == NULL) {
		fprintf(stderr, "fuzz_json: written out: %s\n", out.data);
		broken(err, out.len, 0);
	}
	if (!same(v, again))
		broken("the tree written out reads back otherwise", out.len, size);
	jv_free(again);
	strbuf_free(&out);
	jv_free(v);
	return 0;
}
