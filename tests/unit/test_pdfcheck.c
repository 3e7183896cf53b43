/* Tests of the PDF structure check (pdfcheck.c) over plain and hostile files: headers, ends,
 * trailers, active content in names, #xx escapes, object streams and decompression bombs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdfcheck.h"
#include "util.h"

#define TAIL "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R >>\n" \
	     "startxref\n9\n%%EOF\n"
#define HEAD "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"

/* Checks a string as a file. */
static enum pdfcheck_result check(const char *s)
{
	return pdfcheck((const unsigned char *)s, strlen(s));
}

/* One case: a file and the answer expected. */
struct pdf_case {
	const char *what;
	const char *pdf;
	enum pdfcheck_result want;
};

/* Whole files as text. */
static void test_cases(void **state)
{
	static const struct pdf_case cases[] = {
		{ "a plain PDF", HEAD "1 0 obj << /Type /Catalog >> endobj\n" TAIL, PDFCHECK_OK },
		{ "PDF 2.0", "%PDF-2.0\n1 0 obj << >> endobj\n" TAIL, PDFCHECK_OK },
		{ "empty", "", PDFCHECK_NOT_PDF },
		{ "a workbook", "PK\x03\x04 not a pdf at all %%EOF", PDFCHECK_NOT_PDF },
		{ "header only", "%PDF-", PDFCHECK_NOT_PDF },
		{ "PDF-3", "%PDF-3.0\n" TAIL, PDFCHECK_NOT_PDF },
		{ "no %%EOF", HEAD "1 0 obj << >> endobj\ntrailer << >>\n", PDFCHECK_TRUNCATED },
		{ "no trailer", HEAD "1 0 obj << >> endobj\nstartxref\n9\n%%EOF\n",
		  PDFCHECK_TRUNCATED },
		{ "xref stream", HEAD "1 0 obj << /Type /XRef /Size 1 >> stream\nxx\nendstream "
		  "endobj\nstartxref\n9\n%%EOF\n", PDFCHECK_OK },
		{ "JavaScript action", HEAD "1 0 obj << /OpenAction << /S /JavaScript "
		  "/JS (app.alert(1)) >> >> endobj\n" TAIL, PDFCHECK_JAVASCRIPT },
		{ "JS alone", HEAD "1 0 obj <</AA<</O<</JS 2 0 R>>>>>> endobj\n" TAIL,
		  PDFCHECK_JAVASCRIPT },
		{ "escaped JavaScript", HEAD "1 0 obj << /S /Java#53cript >> endobj\n" TAIL,
		  PDFCHECK_JAVASCRIPT },
		{ "escaped JS, lower hex", HEAD "1 0 obj << /#4a#53 (x) >> endobj\n" TAIL,
		  PDFCHECK_JAVASCRIPT },
		{ "embedded file", HEAD "1 0 obj << /Type /EmbeddedFile >> endobj\n" TAIL,
		  PDFCHECK_EMBEDDED_FILE },
		{ "embedded files tree", HEAD "1 0 obj << /Names << /EmbeddedFiles 2 0 R >> >> "
		  "endobj\n" TAIL, PDFCHECK_EMBEDDED_FILE },
		{ "escaped embedded", HEAD "1 0 obj << /Embedded#46ile 3 0 R >> endobj\n" TAIL,
		  PDFCHECK_EMBEDDED_FILE },
		{ "launch", HEAD "1 0 obj << /S /Launch /F (cmd.exe) >> endobj\n" TAIL,
		  PDFCHECK_LAUNCH },
		{ "escaped launch", HEAD "1 0 obj << /S /L#61unch >> endobj\n" TAIL,
		  PDFCHECK_LAUNCH },
		{ "a longer name is not JS", HEAD "1 0 obj << /JSX 1 /JavaScripts 2 >> endobj\n"
		  TAIL, PDFCHECK_OK },
		{ "JS bytes in stream data", HEAD "1 0 obj << /Length 4 >> stream\n/JS \nendstream"
		  " endobj\n" TAIL, PDFCHECK_OK },
		{ "JavaScript in stream data", HEAD "1 0 obj << /Length 12 >> stream\n/JavaScript "
		  "\nendstream endobj\n" TAIL, PDFCHECK_JAVASCRIPT },
		{ "unfiltered object stream", HEAD "1 0 obj << /Type /ObjStm /N 1 /First 4 >> "
		  "stream\n2 0 << /JS (x) >>\nendstream endobj\n" TAIL, PDFCHECK_JAVASCRIPT },
		{ "object stream, other filter", HEAD "1 0 obj << /Type /ObjStm /Filter "
		  "/ASCIIHexDecode >> stream\n41\nendstream endobj\n" TAIL, PDFCHECK_UNREADABLE },
		{ "broken Flate object stream", HEAD "1 0 obj << /Type /ObjStm /Filter /FlateDecode"
		  " >> stream\nnot zlib\nendstream endobj\n" TAIL, PDFCHECK_UNREADABLE },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		enum pdfcheck_result r = check(cases[i].pdf);
		if (r != cases[i].want)
			fail_msg("%s: %s, expected %s", cases[i].what, pdfcheck_code(r),
				 pdfcheck_code(cases[i].want));
	}
}

/* Builds HEAD, a stream object of the given dictionary with the deflated bytes of obj, and
 * TAIL. */
static unsigned char *stream_pdf(const char *dict, const unsigned char *obj, size_t objlen,
				 size_t *len)
{
	uLongf zlen = compressBound(objlen);
	unsigned char *z = malloc(zlen);
	assert_non_null(z);
	assert_int_equal(compress2(z, &zlen, obj, objlen, 9), Z_OK);
	char *a = xasprintf("%s1 0 obj %s stream\n", HEAD, dict);
	const char *b = "\nendstream endobj\n" TAIL;
	*len = strlen(a) + zlen + strlen(b);
	unsigned char *pdf = malloc(*len);
	assert_non_null(pdf);
	memcpy(pdf, a, strlen(a));
	memcpy(pdf + strlen(a), z, zlen);
	memcpy(pdf + strlen(a) + zlen, b, strlen(b));
	free(z);
	free(a);
	return pdf;
}

/* An object stream, its type name escaped. */
static unsigned char *objstm_pdf(const unsigned char *obj, size_t objlen, size_t *len)
{
	return stream_pdf("<< /Type /Obj#53tm /Filter /Flate#44ecode >>", obj, objlen, len);
}

/* JavaScript hidden in a compressed object stream (its type name escaped) is found. */
static void test_objstm_hidden(void **state)
{
	const char *obj = "2 0 3 0 << /S /JavaScript /JS (app.alert(1)) >> << /Type /Catalog >>";
	size_t len;
	unsigned char *pdf = objstm_pdf((const unsigned char *)obj, strlen(obj), &len);
	assert_int_equal(pdfcheck(pdf, len), PDFCHECK_JAVASCRIPT);
	free(pdf);
	const char *clean = "2 0 << /Type /Catalog /Pages 3 0 R >>";
	pdf = objstm_pdf((const unsigned char *)clean, strlen(clean), &len);
	assert_int_equal(pdfcheck(pdf, len), PDFCHECK_OK);
	free(pdf);
}

/* An object stream whose type is not written out (an indirect /Type, or none but /N and
 * /First) is still opened; one whose filter is an indirect reference cannot be read, so it is
 * refused rather than passed unseen. A Flate content or image stream is not opened. */
static void test_objstm_disguised(void **state)
{
	const char *obj = "2 0 << /S /JavaScript /JS (app.alert(1)) >>";
	const unsigned char *o = (const unsigned char *)obj;
	static const struct {
		const char *dict;
		enum pdfcheck_result want;
	} cases[] = {
		{ "<< /Type 9 0 R /Filter /FlateDecode >>", PDFCHECK_JAVASCRIPT },
		{ "<</Type 9  0\nR/Filter/FlateDecode>>", PDFCHECK_JAVASCRIPT },
		{ "<< /N 1 /First 4 /Filter /FlateDecode /Length 9 0 R >>", PDFCHECK_JAVASCRIPT },
		{ "<< /Type /ObjStm /N 1 /First 4 /Filter 8 0 R >>", PDFCHECK_UNREADABLE },
		{ "<< /N 1 /First 4 /Filter [ 8 0 R ] >>", PDFCHECK_OK },
		{ "<< /Filter /FlateDecode /Length 9 0 R >>", PDFCHECK_OK },
		{ "<< /Type /XObject /Subtype /Image /N 3 /Filter /FlateDecode >>", PDFCHECK_OK },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t len;
		unsigned char *pdf = stream_pdf(cases[i].dict, o, strlen(obj), &len);
		enum pdfcheck_result r = pdfcheck(pdf, len);
		free(pdf);
		if (r != cases[i].want)
			fail_msg("%s: %s, expected %s", cases[i].dict, pdfcheck_code(r),
				 pdfcheck_code(cases[i].want));
	}
}

/* A decompression bomb (far more than PDFCHECK_INFLATE_MAX of zeros) is refused, not inflated. */
static void test_bomb(void **state)
{
	size_t n = (size_t)PDFCHECK_INFLATE_MAX + 1024 * 1024;
	unsigned char *zeros = calloc(1, n);
	assert_non_null(zeros);
	size_t len;
	unsigned char *pdf = objstm_pdf(zeros, n, &len);
	free(zeros);
	assert_true(len < 1024 * 1024);
	assert_int_equal(pdfcheck(pdf, len), PDFCHECK_UNREADABLE);
	free(pdf);
}

/* Up to 1024 bytes may come before the header; not more. */
static void test_leading_bytes(void **state)
{
	char *pdf = malloc(4096);
	assert_non_null(pdf);
	memset(pdf, 'x', 1024);
	strcpy(pdf + 1024, HEAD "1 0 obj << >> endobj\n" TAIL);
	assert_int_equal(check(pdf), PDFCHECK_OK);
	memset(pdf, 'x', 1025);
	strcpy(pdf + 1025, HEAD "1 0 obj << >> endobj\n" TAIL);
	assert_int_equal(check(pdf), PDFCHECK_NOT_PDF);
	free(pdf);
}

/* A name cut by the end of the file, a lone '#', and random bytes end without reading past. */
static void test_ragged(void **state)
{
	assert_int_equal(check(HEAD "/Java#5"), PDFCHECK_TRUNCATED);
	assert_int_equal(check(HEAD "/#"), PDFCHECK_TRUNCATED);
	assert_int_equal(check(HEAD "stream\n"), PDFCHECK_TRUNCATED);
	unsigned char *junk = malloc(65536);
	assert_non_null(junk);
	uint32_t x = 12345;
	for (size_t i = 0; i < 65536; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	memcpy(junk, HEAD, strlen(HEAD));
	memcpy(junk + 65536 - 7, "%%EOF\n", 6);
	enum pdfcheck_result r = pdfcheck(junk, 65536);
	assert_true(r == PDFCHECK_TRUNCATED || r == PDFCHECK_OK || r == PDFCHECK_UNREADABLE);
	free(junk);
}

/* Every answer has a code and a Vietnamese message. */
static void test_messages(void **state)
{
	for (int r = PDFCHECK_OK; r <= PDFCHECK_UNREADABLE; r++) {
		assert_non_null(pdfcheck_code((enum pdfcheck_result)r));
		assert_true(strlen(pdfcheck_message((enum pdfcheck_result)r)) > 10);
	}
	assert_non_null(strstr(pdfcheck_message(PDFCHECK_EMBEDDED_FILE),
			       "không có tệp đính kèm"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_objstm_hidden),
		cmocka_unit_test(test_objstm_disguised),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_leading_bytes),
		cmocka_unit_test(test_ragged),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
