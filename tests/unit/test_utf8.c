/* Tests of the UTF-8 module (utf8.c): strict and loose decoding, encoding, lengths, cuts at a
 * character boundary and scrubbing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"
#include "util.h"

/* One decoding case: the bytes, the length expected (0: none) and the code point. */
struct decode_case {
	const char *what;
	const char *s;
	size_t n;
	size_t len;
	uint32_t cp;
};

/* The strict decoder: well-formed characters only. */
static void test_decode(void **state)
{
	static const struct decode_case cases[] = {
		{ "ASCII", "A", 1, 1, 0x41 },
		{ "NUL", "\0", 1, 1, 0 },
		{ "two bytes", "\xC3\xA9", 2, 2, 0xE9 },
		{ "three bytes", "\xE1\xBB\x97", 3, 3, 0x1ED7 },
		{ "four bytes", "\xF0\x9F\x98\x80", 4, 4, 0x1F600 },
		{ "last scalar", "\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF },
		{ "overlong of two", "\xC0\x80", 2, 0, 0 },
		{ "overlong of three", "\xE0\x80\xAF", 3, 0, 0 },
		{ "overlong of four", "\xF0\x80\x80\x80", 4, 0, 0 },
		{ "surrogate", "\xED\xA0\x80", 3, 0, 0 },
		{ "above U+10FFFF", "\xF4\x90\x80\x80", 4, 0, 0 },
		{ "lead F5", "\xF5\x80\x80\x80", 4, 0, 0 },
		{ "lone continuation", "\x80", 1, 0, 0 },
		{ "cut by n", "\xC3\xA9", 1, 0, 0 },
		{ "bad continuation", "\xC3\x28", 2, 0, 0 },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		uint32_t cp = 0xDEAD;
		size_t len = utf8_decode((const unsigned char *)cases[i].s, cases[i].n, &cp);
		if (len != cases[i].len || (len > 0 && cp != cases[i].cp))
			fail_msg("%s: length %zu, U+%04X", cases[i].what, len, (unsigned)cp);
	}
}

/* The loose decoder: bit patterns only, overlong forms and surrogates pass, NUL stops. */
static void test_decode_loose(void **state)
{
	static const struct decode_case cases[] = {
		{ "ASCII", "a", 1, 1, 0x61 },
		{ "two bytes", "\xC3\xA9", 2, 2, 0xE9 },
		{ "three bytes", "\xE1\xBA\xA0", 3, 3, 0x1EA0 },
		{ "four bytes", "\xF0\x9F\x98\x80", 4, 4, 0x1F600 },
		{ "overlong NUL", "\xC0\x80", 2, 2, 0 },
		{ "surrogate", "\xED\xA0\x80", 3, 3, 0xD800 },
		{ "lead F7", "\xF7\xBF\xBF\xBF", 4, 4, 0x1FFFFF },
		{ "lead F8", "\xF8\x80\x80\x80\x80", 5, 0, 0 },
		{ "lone continuation", "\xBF", 1, 0, 0 },
		{ "cut by the end", "\xE1\xBA", 2, 0, 0 },
		{ "bad continuation", "\xC3" "A", 2, 0, 0 },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		uint32_t cp = 0xDEAD;
		size_t len = utf8_decode_loose((const unsigned char *)cases[i].s, &cp);
		if (len != cases[i].len || (len > 0 && cp != cases[i].cp))
			fail_msg("%s: length %zu, U+%04X", cases[i].what, len, (unsigned)cp);
		assert_int_equal(utf8_decode_loose((const unsigned char *)cases[i].s, NULL),
				 cases[i].len);
	}
}

/* Encoding gives the shortest form, which both decoders read back. */
static void test_encode(void **state)
{
	static const struct {
		uint32_t cp;
		const char *bytes;
	} cases[] = {
		{ 0x41, "A" }, { 0x7F, "\x7F" }, { 0x80, "\xC2\x80" }, { 0x7FF, "\xDF\xBF" },
		{ 0x800, "\xE0\xA0\x80" }, { 0x1EA0, "\xE1\xBA\xA0" }, { 0xFFFD, "\xEF\xBF\xBD" },
		{ 0x10000, "\xF0\x90\x80\x80" }, { 0x10FFFF, "\xF4\x8F\xBF\xBF" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		char w[UTF8_MAX + 1] = "";
		size_t n = utf8_encode(w, cases[i].cp);
		w[n] = '\0';
		assert_int_equal(n, strlen(cases[i].bytes));
		assert_memory_equal(w, cases[i].bytes, n);
		uint32_t back = 0, loose = 0;
		assert_int_equal(utf8_decode((const unsigned char *)w, n, &back), n);
		assert_int_equal(back, cases[i].cp);
		assert_int_equal(utf8_decode_loose((const unsigned char *)w, &loose), n);
		assert_int_equal(loose, cases[i].cp);
	}
}

/* Lead bytes, whole-text validity and the count of characters. */
static void test_lengths(void **state)
{
	assert_int_equal(utf8_lead_length('A'), 1);
	assert_int_equal(utf8_lead_length(0x80), 1);
	assert_int_equal(utf8_lead_length(0xBF), 1);
	assert_int_equal(utf8_lead_length(0xC3), 2);
	assert_int_equal(utf8_lead_length(0xE1), 3);
	assert_int_equal(utf8_lead_length(0xF0), 4);
	assert_int_equal(utf8_lead_length(0xFF), 4);
	assert_true(utf8_continuation(0x80));
	assert_true(utf8_continuation(0xBF));
	assert_false(utf8_continuation(0xC0));
	assert_false(utf8_continuation('a'));

	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("Hà Tĩnh", strlen("Hà Tĩnh")));
	assert_true(utf8_valid("\xEF\xBF\xBF\x01", 4));
	assert_true(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("\xED\xA0\x80", 3));
	assert_false(utf8_valid("\xC3", 1));
	assert_false(utf8_valid("ok\xFF", 3));

	assert_int_equal(utf8_length(""), 0);
	assert_int_equal(utf8_length("Hà Tĩnh"), 7);
	assert_int_equal(utf8_length("\xF0\x9F\x98\x80!"), 2);
	assert_int_equal(utf8_length("\xC3"), 1);	/* a cut character still counts */
}

/* Cuts by bytes and by UTF-16 units, both on a character boundary. */
static void test_cuts(void **state)
{
	static const char s[] = "a\xC3\xA9\xE1\xBB\x97x";	/* a é ỗ x: 1, 2, 3, 1 bytes */
	size_t n = strlen(s);
	assert_int_equal(utf8_cut(s, n, 100), n);
	assert_int_equal(utf8_cut(s, n, n), n);
	assert_int_equal(utf8_cut(s, n, 1), 1);
	assert_int_equal(utf8_cut(s, n, 2), 1);
	assert_int_equal(utf8_cut(s, n, 3), 3);
	assert_int_equal(utf8_cut(s, n, 5), 3);
	assert_int_equal(utf8_cut(s, n, 6), 6);
	assert_int_equal(utf8_cut(s, n, 0), 0);

	static const char e[] = "a\xF0\x9F\x98\x80" "b";	/* a 😀 b: 1, 2, 1 units */
	size_t m = strlen(e);
	assert_int_equal(utf8_cut_units(e, m, 0), 0);
	assert_int_equal(utf8_cut_units(e, m, 1), 1);
	assert_int_equal(utf8_cut_units(e, m, 2), 1);
	assert_int_equal(utf8_cut_units(e, m, 3), 5);
	assert_int_equal(utf8_cut_units(e, m, 4), 6);
	assert_int_equal(utf8_cut_units(s, n, 3), 6);
	assert_int_equal(utf8_cut_units(s, 2, 10), 1);	/* a character cut by len is left out */
}

/* Scrubbing: invalid bytes become '?', controls spaces, good characters stay. */
static void test_scrub(void **state)
{
	char answer[] = "L\xE1\xBB\x97i m\xC3\xA1y ch\xE1\xBB\xa7\r\n\xE9t\xE1\xBB";
	assert_string_equal(utf8_scrub(answer), "Lỗi máy chủ  ?t??");
	char more[] = "\x7F\xED\xA0\x80\tok\xF0\x9F\x98\x80";
	assert_string_equal(utf8_scrub(more), " ??? ok\xF0\x9F\x98\x80");
	char empty[] = "";
	assert_string_equal(utf8_scrub(empty), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_loose),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_scrub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
