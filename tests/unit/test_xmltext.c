/* Tests of the text rule (xmltext.c), its U+FFFD mapping, and the well-formedness check of
 * written workbooks (xlsxw_check, and as they are written: ooxml_tail.c), with the
 * consolidated writer fed texts outside the rule. */
#include "consol.h"
#include "ooxml.h"
#include "utf8.h"
#include "util.h"
#include "xlsxw.h"
#include "xmltext.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>

#include "consolidate_fixture.c"

/* One case of the rule: the bytes, and the first character outside it (index 0: none). */
struct rule_case {
	const char *what;
	const char *s;
	size_t len;
	size_t index;		/* 1-based position of the first bad character, 0 when valid */
	long cp;		/* its code point, -1 for a byte that starts no UTF-8 character */
};

#define CASE(what, lit, index, cp) { what, lit, sizeof(lit) - 1, index, cp }

static const struct rule_case rule_cases[] = {
	CASE("empty", "", 0, 0),
	CASE("Vietnamese", "Nghị quyết 57: chuyển đổi số", 0, 0),
	CASE("tab, LF, CR", "a\tb\nc\r\nd", 0, 0),
	CASE("emoji (4 bytes)", "ok \xF0\x9F\x98\x80", 0, 0),
	CASE("U+FFFD itself", "\xEF\xBF\xBD", 0, 0),
	CASE("U+FEFF (BOM) is a character", "\xEF\xBB\xBFx", 0, 0),
	CASE("U+E000 private use", "\xEE\x80\x80", 0, 0),
	CASE("U+10FFFF", "\xF4\x8F\xBF\xBF", 0, 0),
	CASE("U+FFFF", "ab\xEF\xBF\xBF", 3, 0xFFFF),
	CASE("U+FFFE", "\xEF\xBF\xBE", 1, 0xFFFE),
	CASE("U+0001", "x\x01", 2, 0x01),
	CASE("U+000B vertical tab", "\x0B", 1, 0x0B),
	CASE("U+001F", "ấ\x1F", 2, 0x1F),
	CASE("NUL", "a\0b", 2, 0),
	CASE("DEL", "\x7F", 1, 0x7F),
	CASE("C1 U+0085", "\xC2\x85", 1, 0x85),
	CASE("C1 U+009F", "\xC2\x9F", 1, 0x9F),
	CASE("U+00A0 is fine", "\xC2\xA0", 0, 0),
	CASE("surrogate U+D800", "\xED\xA0\x80", 1, -1),
	CASE("overlong '/'", "\xE0\x80\xAF", 1, -1),
	CASE("cut sequence", "\xF0\x9F\x98", 1, -1),
	CASE("lone continuation", "ab\x80", 3, -1),
	CASE("above U+10FFFF", "\xF4\x90\x80\x80", 1, -1),
	CASE("0xC0", "\xC0\x80", 1, -1),
};

/* Every case: valid or not, and where. */
static void test_rule_cases(void **state)
{
	for (size_t i = 0; i < nitems(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		struct xmltext_bad bad;
		bool found = xmltext_find(c->s, c->len, &bad);
		if (found != (c->index != 0) || xmltext_valid(c->s, c->len) != (c->index == 0))
			fail_msg("%s: expected %s", c->what, c->index ? "refused" : "accepted");
		if (found && (bad.index != c->index || bad.cp != c->cp))
			fail_msg("%s: found character %zu (%ld), expected %zu (%ld)", c->what,
				 bad.index, bad.cp, c->index, c->cp);
	}
}

/* The JSON parser's check: any well-formed UTF-8, the rule's characters or not. */
static void test_utf8_only(void **state)
{
	assert_true(utf8_valid("\xEF\xBF\xBF\x01", 4));
	assert_true(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("\xED\xA0\x80", 3));
	assert_false(utf8_valid("\xC3", 1));
}

/* The refusal names the place, the character and its position, and what to do. */
static void test_refusal(void **state)
{
	assert_null(xmltext_refusal("Trường “comment”", "Cần bổ sung", strlen("Cần bổ sung")));
	char *m = xmltext_refusal("Trường “comment”", "Cần\xEF\xBF\xBF", strlen("Cần\xEF\xBF\xBF"));
	assert_string_equal(m, "Trường “comment”: có ký tự không hợp lệ (U+FFFF, ký tự thứ 4); "
			    "hãy xoá ký tự đó rồi gửi lại.");
	free(m);
	m = xmltext_refusal(NULL, "\x01", 1);
	assert_string_equal(m, "Có ký tự không hợp lệ (U+0001, ký tự thứ 1); hãy xoá ký tự đó rồi "
			    "gửi lại.");
	free(m);
	m = xmltext_refusal(NULL, "a\xC3", 2);
	assert_non_null(strstr(m, "byte 0xC3 không phải UTF-8"));
	assert_true(xmltext_valid(m, strlen(m)));
	free(m);
	m = xmltext_file_problem("code,name\nA,ok\nB,x\xEF\xBF\xBE\n", 24);
	assert_string_equal(m, "dòng 3: có ký tự không hợp lệ (U+FFFE); hãy xoá ký tự đó rồi "
			    "nhập lại");
	free(m);
	assert_null(xmltext_file_problem("code,name\r\nA,Sở\r\n", 18));
}

/* Cleaning: each character outside the rule, each byte that starts none, becomes U+FFFD;
 * the result always follows the rule. */
static void test_clean(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "Sở Tài chính\n", "Sở Tài chính\n" },
		{ "a\xEF\xBF\xBF" "b", "a\xEF\xBF\xBD" "b" },
		{ "\x01\x02", "\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "x\xED\xA0\x80y", "x\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDy" },	/* 3 bytes, 3 marks */
		{ "\xC2\x85", "\xEF\xBF\xBD" },
		{ "end\xF0\x9F", "end\xEF\xBF\xBD\xEF\xBF\xBD" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		char *c = xmltext_clean(cases[i].in);
		assert_string_equal(c, cases[i].out);
		assert_true(xmltext_valid(c, strlen(c)));
		free(c);
	}
	char *c = xmltext_clean(NULL);
	assert_string_equal(c, "");
	free(c);
}

/* A zip in memory with the given parts (name, text), NULL-terminated; *len set. */
static unsigned char *make_zip(const char *const *parts, size_t *len)
{
	char path[] = "/tmp/baocao-test-xmltext-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	int zerr = 0;
	zip_t *z = zip_open(path, ZIP_TRUNCATE, &zerr);
	assert_non_null(z);
	for (size_t i = 0; parts[i] != NULL; i += 2) {
		zip_source_t *src = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
		assert_non_null(src);
		assert_true(zip_file_add(z, parts[i], src, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	char *data = NULL;
	assert_int_equal(file_read_all(path, 1 << 20, &data, len), 0);
	assert_int_equal(unlink(path), 0);
	return (unsigned char *)data;
}

#define TYPES "<?xml version=\"1.0\"?><Types xmlns=\"x\"/>"
#define WORKBOOK "<?xml version=\"1.0\"?><workbook><sheets/></workbook>"

/* The check refuses a workbook one of whose XML parts is not well-formed, naming the part. */
static void test_check_refuses_broken_parts(void **state)
{
	const char *good[] = { "[Content_Types].xml", TYPES, "xl/workbook.xml", WORKBOOK,
			       "xl/worksheets/sheet1.xml", "<worksheet><c>ok</c></worksheet>",
			       "docProps/thumb.jpeg", "\xFF\xD8 not XML, not checked", NULL };
	size_t len;
	unsigned char *zip = make_zip(good, &len);
	char *err = NULL;
	assert_int_equal(xlsxw_check(zip, len, &err), 0);
	free(zip);

	/* U+FFFF in a sheet, as the writer once wrote it: not well-formed */
	const char *bad[] = { "[Content_Types].xml", TYPES, "xl/workbook.xml", WORKBOOK,
			      "xl/worksheets/sheet2.xml",
			      "<worksheet>\n<c><is><t>a\xEF\xBF\xBF</t></is></c></worksheet>", NULL };
	zip = make_zip(bad, &len);
	assert_int_equal(xlsxw_check(zip, len, &err), -1);
	assert_non_null(strstr(err, "xl/worksheets/sheet2.xml: line 2"));
	free(err);
	free(zip);

	/* a control character, an unclosed element, a broken relationship part */
	const char *others[][2] = {
		{ "xl/sharedStrings.xml", "<sst><si><t>\x01</t></si></sst>" },
		{ "xl/styles.xml", "<styleSheet><fonts>" },
		{ "xl/_rels/workbook.xml.rels", "<Relationships><Relationship/></Relations>" },
	};
	for (size_t i = 0; i < nitems(others); i++) {
		const char *p[] = { "[Content_Types].xml", TYPES, "xl/workbook.xml", WORKBOOK,
				    others[i][0], others[i][1], NULL };
		zip = make_zip(p, &len);
		err = NULL;
		assert_int_equal(xlsxw_check(zip, len, &err), -1);
		assert_non_null(strstr(err, others[i][0]));
		free(err);
		free(zip);
	}

	/* parts missing; not a zip at all */
	const char *no_types[] = { "xl/workbook.xml", WORKBOOK, NULL };
	zip = make_zip(no_types, &len);
	assert_int_equal(xlsxw_check(zip, len, &err), -1);
	assert_non_null(strstr(err, "[Content_Types].xml"));
	free(err);
	free(zip);
	assert_int_equal(xlsxw_check("PK\3\4 truncated", 15, &err), -1);
	free(err);
}

/* A sheet of about 9 MB of XML (it compresses to little), broken at its very end if asked. */
static char *big_sheet(bool broken)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "<worksheet>");
	for (int i = 0; i < 1000000; i++)
		strbuf_adds(&sb, "<c>ok</c>");
	strbuf_adds(&sb, broken ? "<c></worksheet>" : "</worksheet>");
	return strbuf_detach(&sb);
}

/* A package of more than 16 MB of XML is checked on two threads: still every part, the
 * failure reported the one first in zip order (a large part on one thread fails after a small
 * one later in the zip has failed on the other); well-formed bytes checked again pass. */
static void test_check_large_package(void **state)
{
	char *good1 = big_sheet(false), *good2 = big_sheet(false), *bad2 = big_sheet(true);
	const char *good[] = { "[Content_Types].xml", TYPES, "xl/workbook.xml", WORKBOOK,
			       "xl/worksheets/sheet1.xml", good1, "xl/worksheets/sheet2.xml", good2,
			       "xl/worksheets/sheet3.xml", "<worksheet/>", NULL };
	size_t len;
	unsigned char *zip = make_zip(good, &len);
	char *err = NULL;
	assert_int_equal(xlsxw_check(zip, len, &err), 0);
	assert_int_equal(xlsxw_check(zip, len, &err), 0);	/* known: not parsed again */
	free(zip);
	const char *bad[] = { "[Content_Types].xml", TYPES, "xl/workbook.xml", WORKBOOK,
			      "xl/worksheets/sheet1.xml", good1, "xl/worksheets/sheet2.xml", bad2,
			      "xl/worksheets/sheet3.xml", "<worksheet>", NULL };
	zip = make_zip(bad, &len);
	assert_int_equal(xlsxw_check(zip, len, &err), -1);
	assert_non_null(strstr(err, "xl/worksheets/sheet2.xml: line 1"));
	free(err);
	free(zip);
	/* Only the small one broken, on whichever thread it went. */
	bad[7] = good2;
	zip = make_zip(bad, &len);
	err = NULL;
	assert_int_equal(xlsxw_check(zip, len, &err), -1);
	assert_non_null(strstr(err, "xl/worksheets/sheet3.xml"));
	free(err);
	free(zip);
	free(good1);
	free(good2);
	free(bad2);
}

/* Writes a zip with the given parts to path while a tail follows it; the tail, stopped, and
 * the file's bytes (*data, *len). */
static struct ooxml_tail *followed_zip(const char *path, const char *const *parts,
				       unsigned char **data, size_t *len)
{
	struct ooxml_tail *t = ooxml_tail_start(path);
	assert_non_null(t);
	int zerr = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(z);
	for (size_t i = 0; parts[i] != NULL; i += 2) {
		zip_source_t *src = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
		assert_non_null(src);
		assert_true(zip_file_add(z, parts[i], src, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	ooxml_tail_stop(t);
	char *bytes = NULL;
	assert_int_equal(file_read_all(path, 64 << 20, &bytes, len), 0);
	assert_int_equal(unlink(path), 0);
	*data = (unsigned char *)bytes;
	return t;
}

/* The check made as a package is written (ooxml_tail.c): what it followed and found
 * well-formed passes; a part broken as written is refused, named; bytes other than those it
 * followed (the same names and layout) are parsed whole, and refused when broken. */
static void test_tail_check(void **state)
{
	char path[] = "/tmp/baocao-test-tail-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(unlink(path), 0);	/* the writer creates it */
	char *big = big_sheet(false), *broken = big_sheet(true);
	/* The sheet first, as libxlsxwriter writes them: libzip stores the small parts (not
	 * deflated), where the tail stops following, leaving them to be parsed afterwards. */
	const char *good[] = { "xl/worksheets/sheet1.xml", big, "[Content_Types].xml", TYPES,
			       "xl/workbook.xml", WORKBOOK, NULL };
	const char *bad[] = { "xl/worksheets/sheet1.xml", broken, "[Content_Types].xml", TYPES,
			      "xl/workbook.xml", WORKBOOK, NULL };
	unsigned char *data;
	size_t len;
	char *err = NULL;
	struct ooxml_tail *t = followed_zip(path, good, &data, &len);
	assert_true(ooxml_tail_followed(t) >= 1);	/* the sheet at least, deflated */
	assert_int_equal(ooxml_tail_check(t, data, len, "xl/workbook.xml", &err), 0);
	size_t blen;
	unsigned char *other = make_zip(bad, &blen);
	assert_int_equal(ooxml_tail_check(t, other, blen, "xl/workbook.xml", &err), -1);
	assert_non_null(strstr(err, "xl/worksheets/sheet1.xml"));
	free(err);
	err = NULL;
	free(other);
	ooxml_tail_free(t);
	free(data);

	t = followed_zip(path, bad, &data, &len);
	assert_int_equal(ooxml_tail_check(t, data, len, "xl/workbook.xml", &err), -1);
	assert_non_null(strstr(err, "xl/worksheets/sheet1.xml: line 1"));
	free(err);
	ooxml_tail_free(t);
	free(data);
	free(big);
	free(broken);
}

/* Replaces a text of the fixture (freeing the old one). */
static void put(char **field, const char *text)
{
	free(*field);
	*field = xstrdup(text);
}

/* The consolidated writer fed texts outside the rule (stored before it) writes a workbook
 * whose every part is well-formed, with U+FFFD in their place. */
static void test_consolidated_maps_bad_text(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	struct consol_unit *u = &doc.units[0];
	put(&u->name, "Sở\xEF\xBF\xBF Nội vụ");
	put(&u->items[0].result, "Kết quả \xEF\xBF\xBE\x01\x0B\x7F\xC2\x85 hết");
	put(&u->items[1].proposals, "Kiến nghị \xED\xA0\x80 \xC3");
	put(&u->items[1].task_title, "\x02");
	put(&doc.assessment, "Đánh giá\xEF\xBF\xBF");
	put(&doc.subject, "Tổng hợp\x1B");
	unsigned char *data = NULL;
	size_t len = 0;
	char *err = NULL;
	int rc = consol_write_xlsx(&doc, &data, &len, &err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(xlsxw_check(data, len, &err), 0);
	free(data);
	consol_doc_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_cases),
		cmocka_unit_test(test_utf8_only),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_check_refuses_broken_parts),
		cmocka_unit_test(test_check_large_package),
		cmocka_unit_test(test_tail_check),
		cmocka_unit_test(test_consolidated_maps_bad_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
