/* Tests of the CSV reader, the JSON writer and the JSON parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json.h"
#include "json_parse.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

/* Allocations counted while a parse runs: all bytes allocated (a realloc counts its whole new
 * size, as if copied) and the bytes still held, in the allocator's usable sizes. */
static struct {
	bool on;
	size_t total, live;
} counted;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

/* Counts a new or resized block. */
static void *count_alloc(void *p)
{
	if (counted.on && p != NULL) {
		size_t n = malloc_usable_size(p);
		counted.total += n;
		counted.live += n;
	}
	return p;
}

/* Counts a block given back. */
static void count_free(void *p)
{
	if (counted.on && p != NULL) {
		size_t n = malloc_usable_size(p);
		counted.live -= n < counted.live ? n : counted.live;
	}
}

/* malloc, counted. */
void *__wrap_malloc(size_t n)
{
	return count_alloc(__real_malloc(n));
}

/* calloc, counted. */
void *__wrap_calloc(size_t n, size_t size)
{
	return count_alloc(__real_calloc(n, size));
}

/* realloc, counted as a release and a new allocation. */
void *__wrap_realloc(void *p, size_t n)
{
	size_t old = counted.on && p != NULL ? malloc_usable_size(p) : 0;
	void *q = __real_realloc(p, n);
	if (q != NULL || n == 0)
		counted.live -= old < counted.live ? old : counted.live;
	return count_alloc(q);
}

/* free, counted. */
void __wrap_free(void *p)
{
	count_free(p);
	__real_free(p);
}

/* Collects records as "line:field|field|..." lines. */
static int collect(void *arg, char **fields, int n, int line)
{
	struct strbuf *sb = arg;
	strbuf_addf(sb, "%d:", line);
	for (int i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s", i ? "|" : "", fields[i]);
	strbuf_addc(sb, '\n');
	return 0;
}

static void test_csv_cases(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n" },
		{ "a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n" },
		{ "a,b\n1,2", "1:a|b\n2:1|2\n" },
		{ "\xEF\xBB\xBF" "code,name\n", "1:code|name\n" },
		{ "x,\"Sở Văn hóa, Thể thao\",y\n", "1:x|Sở Văn hóa, Thể thao|y\n" },
		{ "\"say \"\"hi\"\"\",2\n", "1:say \"hi\"|2\n" },
		{ "\"two\nlines\",b\nnext,c\n", "1:two\nlines|b\n3:next|c\n" },
		{ "a,,\n", "1:a||\n" },
		{ "a\n\n\nb\n", "1:a\n4:b\n" },
		{ "\"\",x\n", "1:|x\n" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		int line = 0;
		int rc = csv_parse(cases[i].in, strlen(cases[i].in), collect, &sb, &line);
		assert_int_equal(rc, 0);
		if (strcmp(strbuf_str(&sb), cases[i].out) != 0)
			fail_msg("case %zu: got [%s] expected [%s]", i, strbuf_str(&sb), cases[i].out);
		strbuf_free(&sb);
	}
}

static void test_csv_errors(void **state)
{
	static const struct {
		const char *in;
		int line;
	} cases[] = {
		{ "a,b\n\"open,c\n", 2 },
		{ "a,b\nx\"y,c\n", 2 },
		{ "a\n\"q\"x,c\n", 2 },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		int line = 0;
		assert_int_equal(csv_parse(cases[i].in, strlen(cases[i].in), collect, &sb, &line), -1);
		assert_int_equal(line, cases[i].line);
		strbuf_free(&sb);
	}
}

/* The readings of the flags, each against the default one. */
static void test_csv_flags(void **state)
{
	static const struct {
		unsigned flags;
		const char *in, *out;	/* out NULL: malformed */
		int line;		/* the line of the error */
	} cases[] = {
		{ 0, "a,say \"hi\"\n", NULL, 1 },
		{ CSV_QUOTE_IN_FIELD, "a,say \"hi\"\n", "1:a|say \"hi\"\n", 0 },
		{ CSV_QUOTE_IN_FIELD, "a, \"b,c\"\n", "1:a| \"b|c\"\n", 0 },
		{ CSV_QUOTE_IN_FIELD, "\"a\"b\n", NULL, 1 },
		{ 0, "\"two\nlines\",b\nnext,c\n", "1:two\nlines|b\n3:next|c\n", 0 },
		{ CSV_RECORD_LINES, "\"two\nlines\",b\n\nnext,c\n", "1:two\nlines|b\n3:next|c\n", 0 },
		{ CSV_RECORD_LINES, "\"two\nlines\"\n\"x\"y\n", NULL, 2 },
		{ CSV_RECORD_LINES, "a\n\"open\nstill\n", NULL, 2 },
		{ 0, "a\n\"\"\nb\n", "1:a\n3:b\n", 0 },
		{ CSV_QUOTED_EMPTY, "a\n\"\"\n\nb\n", "1:a\n2:\n4:b\n", 0 },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		int line = 0;
		int rc = csv_parse_flags(cases[i].in, strlen(cases[i].in), cases[i].flags, collect,
					 &sb, &line);
		if (cases[i].out == NULL) {
			assert_int_equal(rc, -1);
			if (line != cases[i].line)
				fail_msg("case %zu: error on line %d, expected %d", i, line,
					 cases[i].line);
		} else {
			assert_int_equal(rc, 0);
			if (strcmp(strbuf_str(&sb), cases[i].out) != 0)
				fail_msg("case %zu: got [%s] expected [%s]", i, strbuf_str(&sb),
					 cases[i].out);
		}
		strbuf_free(&sb);
	}
}

/* Stops at the second record. */
static int stop_second(void *arg, char **fields, int n, int line)
{
	return line == 2 ? 7 : 0;
}

static void test_csv_stop(void **state)
{
	int line;
	assert_int_equal(csv_parse("a\nb\nc\n", 6, stop_second, NULL, &line), 7);
}

static void test_json_writer(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_kv_string(&j, "s", "Hà Tĩnh \"q\" \\ \n\t\x01");
	json_kv_int(&j, "i", -42);
	json_kv_bool(&j, "b", true);
	json_key(&j, "n");
	json_null(&j);
	json_key(&j, "a");
	json_array_begin(&j);
	json_double(&j, 1.5);
	json_double(&j, 0.1);
	json_double(&j, 1e300 * 1e300);
	json_array_begin(&j);
	json_array_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	assert_string_equal(strbuf_str(&sb),
			    "{\"s\":\"Hà Tĩnh \\\"q\\\" \\\\ \\n\\t\\u0001\",\"i\":-42,\"b\":true,"
			    "\"n\":null,\"a\":[1.5,0.1,null,[],{}]}");
	strbuf_free(&sb);
}

static void test_str_trim(void **state)
{
	/* Nothing to strip: nothing is written, so read-only strings are safe. */
	assert_string_equal(str_trim((char *)""), "");
	assert_string_equal(str_trim((char *)"ok"), "ok");
	char buf[] = " \t hai bên \r\n";
	assert_string_equal(str_trim(buf), "hai bên");
	char blank[] = " \n";
	assert_string_equal(str_trim(blank), "");
}

static void test_utf8(void **state)
{
	assert_true(xmltext_valid("Nghị quyết 57", strlen("Nghị quyết 57")));
	assert_false(xmltext_valid("\xC3\x28", 2));
	assert_false(xmltext_valid("\xE0\x80\xAF", 3));	/* overlong */
	assert_false(xmltext_valid("\xED\xA0\x80", 3));	/* surrogate */
	assert_false(xmltext_valid("a\0b", 3));
	assert_false(xmltext_valid("\xF0\x9F\x98", 3));	/* truncated */
	assert_true(xmltext_valid("\xF0\x9F\x98\x80", 4));
	/* A server's answer cut in a character, with bytes of another encoding and controls. */
	char answer[] = "L\xE1\xBB\x97i m\xC3\xA1y ch\xE1\xBB\xa7\r\n\xE9t\xE1\xBB";
	assert_string_equal(utf8_scrub(answer), "Lỗi máy chủ  ?t??");
	assert_true(xmltext_valid(answer, strlen(answer)));
}

static void test_json_parse_valid(void **state)
{
	const char *doc = " {\"items\":[{\"task\":\"NQ57-01\",\"progress\":40,\"done\":true,"
			  "\"x\":null,\"f\":-1.5e2}],\"general\":{\"proposals\":\"Đề xuất \\u0110\\n\\ud83d\\ude00\"}} ";
	char *err = NULL;
	struct jv *v = jv_parse(doc, strlen(doc), &err);
	if (v == NULL)
		fail_msg("%s", err);
	const struct jv *items = jv_get(v, "items");
	assert_non_null(items);
	assert_int_equal(items->type, JV_ARRAY);
	assert_int_equal(items->len, 1);
	const struct jv *it = &items->items[0];
	assert_string_equal(jv_get_string(it, "task"), "NQ57-01");
	assert_true(jv_get(it, "progress")->integral);
	assert_true(jv_get(it, "progress")->number == 40);
	assert_true(jv_get(it, "done")->boolean);
	assert_int_equal(jv_get(it, "x")->type, JV_NULL);
	assert_false(jv_get(it, "f")->integral);
	assert_true(jv_get(it, "f")->number == -150);
	assert_null(jv_get_string(it, "progress"));
	assert_null(jv_get(it, "missing"));
	const struct jv *proposals = jv_get(jv_get(v, "general"), "proposals");
	assert_string_equal(proposals->string, "Đề xuất Đ\n\xF0\x9F\x98\x80");
	assert_int_equal(proposals->len, strlen(proposals->string));
	assert_int_equal(jv_get(it, "task")->len, 7);
	assert_int_equal(jv_get(it, "progress")->len, 0);
	jv_free(v);
}

static void test_json_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1,\"a\":2}", "01", "1.", "-",
		"\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"a\nb\"", "tru", "nul",
		"[1] 2", "\"\xC3\x28\"", "1e999", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	for (size_t i = 0; i < nitems(bad); i++) {
		char *err = NULL;
		struct jv *v = jv_parse(bad[i], strlen(bad[i]), &err);
		if (v != NULL)
			fail_msg("accepted invalid JSON #%zu: %s", i, bad[i]);
		assert_non_null(err);
		free(err);
	}
}

/* Parses text, counting what the parser allocates; fails the test on a refusal. */
static struct jv *parse_counted(const struct strbuf *text)
{
	char *err = NULL;
	counted.total = counted.live = 0;
	counted.on = true;
	struct jv *v = jv_parse(text->data, text->len, &err);
	counted.on = false;
	if (v == NULL)
		fail_msg("refused: %s", err);
	return v;
}

/* Fails unless what one parse allocated in all is in proportion to its text. */
static void assert_work_bounded(const struct strbuf *text)
{
	struct jv *v = parse_counted(text);
	if (counted.total > 128 * text->len + 256)
		fail_msg("%zu bytes allocated to read %zu bytes", counted.total, text->len);
	jv_free(v);
}

/* Fails unless the tree of a parse takes at most 32 bytes per byte of text. */
static void assert_tree_bounded(const struct strbuf *text)
{
	struct jv *v = parse_counted(text);
	if (counted.live > 32 * text->len + 256)
		fail_msg("a tree of %zu bytes from %zu bytes", counted.live, text->len);
	jv_free(v);
}

/* Builds "[item,item,...]" of n items, or with keys "{"k0":item,...}". */
static void json_repeat(struct strbuf *sb, bool object, size_t n, const char *item)
{
	strbuf_reset(sb);
	strbuf_addc(sb, object ? '{' : '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addc(sb, ',');
		if (object)
			strbuf_addf(sb, "\"k%zu\":", i);
		strbuf_adds(sb, item);
	}
	strbuf_addc(sb, object ? '}' : ']');
}

/* Arrays and objects grow by doubling: members added one at a time made the work quadratic
 * (256 keys took 2 MB of allocations, 100,000 items about 280 GB). */
static void test_json_parse_work_bounded(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_repeat(&sb, true, 256, "0");
	assert_work_bounded(&sb);
	json_repeat(&sb, false, 100000, "0");
	assert_work_bounded(&sb);
	json_repeat(&sb, false, 100000, "[]");
	assert_work_bounded(&sb);
	json_repeat(&sb, false, 20000, "[1,[2,[3,[4]]]]");
	assert_work_bounded(&sb);
	strbuf_free(&sb);
}

/* A string takes no more than its text: every string took a buffer of at least 64 bytes, so
 * that an array of empty strings took 43 bytes per byte of text. */
static void test_json_parse_tree_bounded(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_repeat(&sb, false, 30000, "\"\"");
	assert_tree_bounded(&sb);
	json_repeat(&sb, true, 256, "\"\"");
	assert_tree_bounded(&sb);
	json_repeat(&sb, false, 30000, "\"\\u0041\\ud83d\\ude00\"");
	assert_tree_bounded(&sb);
	json_repeat(&sb, false, 30000, "0");
	assert_tree_bounded(&sb);
	json_repeat(&sb, false, 10000, "[[[[[[0]]]]]]");
	assert_tree_bounded(&sb);
	strbuf_free(&sb);
}

/* The documented limits hold exactly: 256 keys, 100,000 items, 32 levels. */
static void test_json_parse_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const struct { bool object; size_t n; const char *item; bool ok; } cases[] = {
		{ true, 256, "0", true }, { true, 257, "0", false },
		{ false, 100000, "0", true }, { false, 100001, "0", false },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		json_repeat(&sb, cases[i].object, cases[i].n, cases[i].item);
		char *err = NULL;
		struct jv *v = jv_parse(sb.data, sb.len, &err);
		if ((v != NULL) != cases[i].ok)
			fail_msg("case %zu: %s", i, err ? err : "accepted");
		if (v != NULL)
			assert_int_equal(v->len, cases[i].n);
		jv_free(v);
		free(err);
	}
	for (int depth = 32; depth <= 34; depth++) {
		strbuf_reset(&sb);
		for (int i = 0; i < depth; i++)
			strbuf_addc(&sb, '[');
		strbuf_addc(&sb, '0');
		for (int i = 0; i < depth; i++)
			strbuf_addc(&sb, ']');
		char *err = NULL;
		struct jv *v = jv_parse(sb.data, sb.len, &err);
		if ((v != NULL) != (depth <= 32))
			fail_msg("depth %d: %s", depth, err ? err : "accepted");
		jv_free(v);
		free(err);
	}
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cases),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_stop),
		cmocka_unit_test(test_csv_flags),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_parse_valid),
		cmocka_unit_test(test_json_parse_invalid),
		cmocka_unit_test(test_json_parse_work_bounded),
		cmocka_unit_test(test_json_parse_tree_bounded),
		cmocka_unit_test(test_json_parse_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
