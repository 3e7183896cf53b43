/* Tests of the CSV reader and the JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json.h"
#include "json_parse.h"
#include "util.h"

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
	assert_true(utf8_valid_text("Nghị quyết 57", strlen("Nghị quyết 57")));
	assert_false(utf8_valid_text("\xC3\x28", 2));
	assert_false(utf8_valid_text("\xE0\x80\xAF", 3));	/* overlong */
	assert_false(utf8_valid_text("\xED\xA0\x80", 3));	/* surrogate */
	assert_false(utf8_valid_text("a\0b", 3));
	assert_false(utf8_valid_text("\xF0\x9F\x98", 3));	/* truncated */
	assert_true(utf8_valid_text("\xF0\x9F\x98\x80", 4));
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
	assert_string_equal(jv_get_string(jv_get(v, "general"), "proposals"),
			    "Đề xuất Đ\n\xF0\x9F\x98\x80");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cases),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_stop),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_parse_valid),
		cmocka_unit_test(test_json_parse_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
