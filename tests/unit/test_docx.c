/* Tests of the .docx writer kit (docxw.c), the XML escaping it uses (xmltext_escape_add) and
 * the consolidated report's draft (consol_docx.c) fed hostile texts. */
#include "consol.h"
#include "docxw.h"
#include "ooxml.h"
#include "util.h"
#include "xmltext.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include <cmocka.h>

#include "consolidate_fixture.c"

/* The escaped form of a text (new string). */
static char *escaped(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	xmltext_escape_add(&sb, s, n);
	return strbuf_detach(&sb);
}

/* The XML specials become entities; controls, broken UTF-8 and non-characters U+FFFD;
 * Vietnamese, tab and LF stay. */
static void test_escape(void **state)
{
	static const struct { const char *in; size_t len; const char *out; } cases[] = {
		{ "", 0, "" },
		{ "Sở Nội vụ", sizeof "Sở Nội vụ" - 1, "Sở Nội vụ" },
		{ "<script>&\"'", 11, "&lt;script&gt;&amp;&quot;'" },
		{ "a]]>b", 5, "a]]&gt;b" },
		{ "x\x01y\x0Bz\x7F", 6, "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD" },
		{ "t\tl\n", 4, "t\tl\n" },
		{ "\xC3", 1, "\xEF\xBF\xBD" },
		{ "\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },	/* byte by byte */
		{ "\xEF\xBF\xBF<", 4, "\xEF\xBF\xBD&lt;" },
		{ "a\0b", 3, "a\xEF\xBF\xBD" "b" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = escaped(cases[i].in, cases[i].len);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

/* A run's LF is a line break, its tab a tab, its CR left out, the rest escaped. */
static void test_run(void **state)
{
	struct docxw d;
	docxw_init(&d);
	docxw_p_begin(&d, NULL);
	docxw_run(&d, "a<b\r\nc\td&", DOCXW_BOLD | DOCXW_ITALIC, 13);
	docxw_run(&d, NULL, 0, 0);
	docxw_p_end(&d);
	const char *xml = strbuf_str(&d.body);
	assert_non_null(strstr(xml, "<w:b/>"));
	assert_non_null(strstr(xml, "<w:i/>"));
	assert_non_null(strstr(xml, "<w:sz w:val=\"26\"/>"));
	assert_non_null(strstr(xml, ">a&lt;b</w:t><w:br/><w:t xml:space=\"preserve\">c</w:t>"
				    "<w:tab/><w:t xml:space=\"preserve\">d&amp;</w:t>"));
	assert_null(strchr(xml, '\r'));
	docxw_free(&d);
}

/* One part of a package (new string), or NULL. */
static char *part(const unsigned char *data, size_t len, const char *name)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	zip_error_fini(&ze);
	if (z == NULL) {
		zip_source_free(src);
		return NULL;
	}
	zip_stat_t st;
	char *out = NULL;
	if (zip_stat(z, name, 0, &st) == 0) {
		zip_file_t *f = zip_fopen(z, name, 0);
		out = xmalloc(st.size + 1);
		zip_int64_t got = f ? zip_fread(f, out, st.size) : -1;
		if (f)
			zip_fclose(f);
		if (got != (zip_int64_t)st.size) {
			free(out);
			out = NULL;
		} else {
			out[st.size] = '\0';
		}
	}
	zip_discard(z);
	return out;
}

/* Replaces a text of the fixture (freeing the old one). */
static void put(char **field, const char *text)
{
	free(*field);
	*field = xstrdup(text);
}

/* Writes the draft of doc; checks the package and returns word/document.xml. */
static char *draft_document(const struct consol_doc *doc)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char *err = NULL;
	if (consol_write_docx(doc, &data, &len, &err) != 0)
		fail_msg("%s", err);
	if (ooxml_check(data, len, "word/document.xml", &err) != 0)
		fail_msg("%s", err);
	static const char *const parts[] = {
		"[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels",
		"word/styles.xml", "word/settings.xml", "docProps/core.xml", "docProps/app.xml",
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		char *p = part(data, len, parts[i]);
		assert_non_null(p);
		free(p);
	}
	char *styles = part(data, len, "word/styles.xml");
	assert_non_null(strstr(styles, "w:ascii=\"Times New Roman\""));
	assert_non_null(strstr(styles, "<w:sz w:val=\"28\"/>"));
	free(styles);
	char *xml = part(data, len, "word/document.xml");
	assert_non_null(xml);
	/* The same document gives the same bytes. */
	unsigned char *again = NULL;
	size_t again_len = 0;
	assert_int_equal(consol_write_docx(doc, &again, &again_len, &err), 0);
	assert_true(again_len == len && memcmp(again, data, len) == 0);
	free(again);
	free(data);
	return xml;
}

/* The fixture's draft: the header, the counts, the lists, the foot, an A4 page with the
 * decree's margins. */
static void test_draft(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	put(&doc.signer_title, "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC");
	char *xml = draft_document(&doc);
	static const char *const texts[] = {
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", ">BÁO CÁO<",
		"I. TÌNH HÌNH GỬI BÁO CÁO", "II. KẾT QUẢ THỰC HIỆN THEO KHỐI ĐƠN VỊ",
		"III. KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ, ĐỀ XUẤT", "Nơi nhận:", "KT. GIÁM ĐỐC",
		"PHÓ GIÁM ĐỐC", "Các đơn vị chưa gửi báo cáo", "Sở Y tế", "- Lưu: VT",
		"<w:pgSz w:w=\"11906\" w:h=\"16838\"/>", "w:left=\"1701\"", "w:right=\"850\"",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (strstr(xml, texts[i]) == NULL)
			fail_msg("the draft does not hold %s", texts[i]);
	free(xml);
	consol_doc_free(&doc);
}

/* A Party body's header: "ĐẢNG CỘNG SẢN VIỆT NAM", no motto. */
static void test_draft_party(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_PARTY, CONSOL_CUTOFF, 0);
	char *xml = draft_document(&doc);
	assert_non_null(strstr(xml, "ĐẢNG CỘNG SẢN VIỆT NAM"));
	assert_null(strstr(xml, "Độc lập - Tự do"));
	assert_non_null(strstr(xml, ">GIÁM ĐỐC<"));	/* the default title */
	free(xml);
	consol_doc_free(&doc);
}

/* Hostile texts (XML specials, controls, broken UTF-8, a line of 10,000 characters) give a
 * well-formed draft that says them escaped. */
static void test_draft_hostile(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_LIVE, 0);
	struct consol_unit *u = &doc.units[0];
	put(&u->name, "Sở <b>Nội vụ</b> & \"Cộng\" \x01\x1B");
	char *long_text = xmalloc(10001);
	for (size_t i = 0; i < 10000; i++)
		long_text[i] = i % 97 == 0 ? '\x02' : i % 89 == 0 ? '<' : "Kết quả "[i % 8];
	long_text[10000] = '\0';
	put(&u->items[0].result, long_text);
	free(long_text);
	put(&u->items[1].proposals, "]]></w:t></w:r></w:p><w:p>\xC3");
	put(&u->general_difficulties, "\xEF\xBF\xBF\r\n\t<>");
	put(&doc.assessment, "Dòng 1 & <i>\n\nDòng 2\x7F");
	put(&doc.subject, "Tổng hợp\x1B <xấu>");
	put(&doc.recipients[0], "Văn phòng <Tỉnh ủy>");
	put(&doc.signer_title, "</w:t>&\\n\x01");
	char *xml = draft_document(&doc);
	assert_non_null(strstr(xml, "Sở &lt;b&gt;Nội vụ&lt;/b&gt; &amp; &quot;Cộng&quot; "
				    "\xEF\xBF\xBD\xEF\xBF\xBD"));
	assert_non_null(strstr(xml, "]]&gt;&lt;/w:t&gt;"));
	assert_non_null(strstr(xml, "Văn phòng &lt;Tỉnh ủy&gt;"));
	assert_null(strstr(xml, "<i>"));
	free(xml);
	consol_doc_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_draft),
		cmocka_unit_test(test_draft_party),
		cmocka_unit_test(test_draft_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
