/* Tests of the .xlsx reader on small workbooks that each test builds itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "util.h"
#include "xlsx_read.h"
#include "xlsx_scan.h"

/* The comparison of the scanner with expat, shared with tests/xlsx/xlsx_diff.c and the fuzzer;
 * compiled in here because each unit test is built from one source file. */
#include "../xlsx/xlsx_compare.c"
#include "xmltext.h"

/* One file of a zip the test writes. */
struct entry {
	const char *name;
	const char *data;	/* NULL for a directory */
	size_t len;		/* 0: strlen(data) */
	bool store;		/* no compression */
};

/* Writes the entries into a zip with libzip and returns its bytes. */
static char *zip_build(const struct entry *e, size_t n, size_t *len)
{
	char path[] = "/tmp/baocao-test-xlsx-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	int err = 0;
	zip_t *za = zip_open(path, ZIP_TRUNCATE, &err);
	assert_non_null(za);
	for (size_t i = 0; i < n; i++) {
		if (e[i].data == NULL) {
			assert_true(zip_dir_add(za, e[i].name, ZIP_FL_ENC_UTF_8) >= 0);
			continue;
		}
		size_t l = e[i].len ? e[i].len : strlen(e[i].data);
		zip_source_t *src = zip_source_buffer(za, e[i].data, l, 0);
		assert_non_null(src);
		zip_int64_t idx = zip_file_add(za, e[i].name, src, ZIP_FL_ENC_UTF_8);
		assert_true(idx >= 0);
		assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx,
			e[i].store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0), 0);
	}
	assert_int_equal(zip_close(za), 0);
	char *data;
	assert_int_equal(file_read_all(path, 1u << 30, &data, len), 0);
	assert_int_equal(unlink(path), 0);
	return data;
}

static const char CT[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/xl/workbook.xml\" "
	"ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
	"</Types>";
static const char ROOT_RELS[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char WB_RELS[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId8\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
	"<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/styles\" Target=\"styles.xml\"/></Relationships>";
#define NS "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" " \
	"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
static const char WB[] =
	"<workbook " NS "><sheets><sheet name=\"Báo cáo\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
	"</workbook>";
static const char WB_1904[] =
	"<workbook " NS "><workbookPr date1904=\"true\"/><sheets>"
	"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char STYLES[] =
	"<styleSheet " NS "><numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/>"
	"</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
	"<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/></cellXfs>"
	"</styleSheet>";

/* Wraps rows in a worksheet. */
#define SHEET(rows) "<worksheet " NS "><sheetData>" rows "</sheetData></worksheet>"

/* The parts of a one-sheet workbook; NULL parts are left out. */
struct book {
	const char *workbook;
	const char *sheet;
	const char *sst;
	const char *styles;
};

/* Builds a one-sheet workbook in memory. */
static char *book_build(const struct book *b, size_t *len)
{
	struct entry e[8];
	size_t n = 0;
	e[n++] = (struct entry){ "[Content_Types].xml", CT, 0, false };
	e[n++] = (struct entry){ "_rels/.rels", ROOT_RELS, 0, false };
	e[n++] = (struct entry){ "xl/workbook.xml", b->workbook ? b->workbook : WB, 0, false };
	e[n++] = (struct entry){ "xl/_rels/workbook.xml.rels", WB_RELS, 0, false };
	e[n++] = (struct entry){ "xl/worksheets/sheet1.xml", b->sheet, 0, false };
	if (b->sst)
		e[n++] = (struct entry){ "xl/sharedStrings.xml", b->sst, 0, false };
	if (b->styles)
		e[n++] = (struct entry){ "xl/styles.xml", b->styles, 0, false };
	return zip_build(e, n, len);
}

/* Appends one cell to a strbuf as "A1 t value\n". */
static bool collect(const struct xlsx_cell *c, void *arg)
{
	struct strbuf *sb = arg;
	char ref[XLSX_REF_MAX];
	xlsx_ref_format(c->row, c->col, ref);
	strbuf_addf(sb, "%s %c ", ref, (char)c->type);
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		strbuf_add(sb, c->str, c->len);
		break;
	case XLSX_NUMBER:
		strbuf_addf(sb, "%.17g", c->num);
		break;
	case XLSX_BOOL:
		strbuf_adds(sb, c->boolean ? "true" : "false");
		break;
	case XLSX_DATE:
		strbuf_addf(sb, "%04d-%02d-%02dT%02d:%02d:%02d", c->dt.year, c->dt.month, c->dt.day,
			    c->dt.hour, c->dt.minute, c->dt.second);
		break;
	}
	strbuf_addc(sb, '\n');
	return true;
}

/* Checks that the scanner and expat alone read the bytes the same way; returns how many parts
 * the scanner gave up to expat. */
static size_t paths_agree(const char *data, size_t len, const struct xlsx_limits *lim)
{
	size_t fallbacks = 0;
	char *diff = xlsx_compare(NULL, data, len, lim, &fallbacks);
	if (diff != NULL)
		fail_msg("scanner and expat differ:\n%s", diff);
	return fallbacks;
}

/* Opens bytes and returns every cell of sheet 0 as text; fails the test on any error, or if the
 * scanner gave up a part or read it otherwise than expat. */
static char *read_all(const char *data, size_t len, const struct xlsx_limits *lim)
{
	assert_int_equal(paths_agree(data, len, lim), 0);
	struct xlsx *x;
	char *detail = NULL;
	enum xlsx_error rc = xlsx_open_memory(data, len, lim, &x, &detail);
	if (rc != XLSX_OK)
		fail_msg("open: %s: %s", xlsx_error_code(rc), detail);
	struct strbuf sb = STRBUF_INIT;
	rc = xlsx_sheet_read(x, 0, collect, &sb);
	if (rc != XLSX_OK)
		fail_msg("read: %s: %s", xlsx_error_code(rc), xlsx_detail(x));
	xlsx_close(x);
	return strbuf_detach(&sb);
}

/* Builds a workbook and checks the text of its cells. */
static void expect_cells(const struct book *b, const char *want)
{
	size_t len;
	char *data = book_build(b, &len);
	char *got = read_all(data, len, NULL);
	assert_string_equal(got, want);
	free(got);
	free(data);
}

/* Opens bytes and reads sheet 0, returning the first error (the same through both parsers). */
static enum xlsx_error read_err(const char *data, size_t len, const struct xlsx_limits *lim)
{
	paths_agree(data, len, lim);
	struct xlsx *x;
	char *detail = NULL;
	enum xlsx_error rc = xlsx_open_memory(data, len, lim, &x, &detail);
	if (rc != XLSX_OK) {
		assert_non_null(detail);
		free(detail);
		return rc;
	}
	assert_null(detail);
	struct strbuf sb = STRBUF_INIT;
	rc = xlsx_sheet_read(x, 0, collect, &sb);
	strbuf_free(&sb);
	xlsx_close(x);
	return rc;
}

/* Builds a workbook and checks the error reading it gives. */
static void expect_error(const struct book *b, const struct xlsx_limits *lim, enum xlsx_error want)
{
	size_t len;
	char *data = book_build(b, &len);
	assert_string_equal(xlsx_error_code(read_err(data, len, lim)), xlsx_error_code(want));
	free(data);
}

static const char SST3[] =
	"<sst " NS " count=\"3\" uniqueCount=\"3\">"
	"<si><t>Hà Nội</t></si><si/><si><r><rPr><b/></rPr><t>Tổng </t></r>"
	"<r><t xml:space=\"preserve\">cộng  </t></r><rPh sb=\"0\" eb=\"1\"><t>ソウ</t></rPh></si></sst>";

/* Every cell type: shared, inline, str, numbers, booleans, errors, ISO dates. */
static void test_cell_types(void **state)
{
	struct book b = { .sst = SST3, .sheet = SHEET(
		"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\"><v>1.5</v></c>"
		"<c r=\"C1\" t=\"b\"><v>1</v></c><c r=\"D1\" t=\"d\"><v>2026-11-20T00:00:00</v></c>"
		"<c r=\"E1\" t=\"e\"><v>#DIV/0!</v></c></row>"
		"<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\" t=\"n\"><v>-3E-2</v></c>"
		"<c r=\"C2\" t=\"b\"><v>0</v></c><c r=\"D2\" t=\"str\"><f>A1&amp;\"x\"</f><v>Hà Nộix</v></c>"
		"<c r=\"E2\" t=\"inlineStr\"><is><t>Đà</t><r><t> Nẵng</t></r><rPh><t>x</t></rPh></is></c>"
		"</row>"
		"<row r=\"3\"><c r=\"A3\" t=\"s\"><v>1</v></c><c r=\"B3\" s=\"0\"/><c r=\"C3\"><f>1+1</f></c>"
		"<c r=\"D3\"><v></v></c><c r=\"E3\" t=\"d\"><v>2026-02-03</v></c>"
		"<c r=\"F3\" t=\"d\"><v>13:45:10</v></c><c r=\"G3\"><f>2*3</f><v>6</v></c></row>")
	};
	expect_cells(&b,
		"A1 s Hà Nội\nB1 n 1.5\nC1 b true\nD1 d 2026-11-20T00:00:00\nE1 e #DIV/0!\n"
		"A2 s Tổng cộng  \nB2 n -0.029999999999999999\nC2 b false\nD2 s Hà Nộix\nE2 s Đà Nẵng\n"
		"A3 s \nE3 d 2026-02-03T00:00:00\nF3 d 1899-12-30T13:45:10\nG3 n 6\n");
}

/* Rows and cells without r= follow the one before them. */
static void test_missing_refs(void **state)
{
	struct book b = { .sheet = SHEET(
		"<row><c><v>1</v></c><c><v>2</v></c></row>"
		"<row r=\"5\"><c r=\"C5\"><v>3</v></c><c><v>4</v></c></row>"
		"<row><c><v>5</v></c><c r=\"$AA$6\"><v>6</v></c><c><v>7</v></c></row>")
	};
	expect_cells(&b, "A1 n 1\nB1 n 2\nC5 n 3\nD5 n 4\nA6 n 5\nAA6 n 6\nAB6 n 7\n");
}

/* Serials in the 1900 system, with its fake 1900-02-29, in date formats of every kind. */
static void test_dates_1900(void **state)
{
	struct book b = { .styles = STYLES, .sheet = SHEET(
		"<row r=\"1\"><c r=\"A1\" s=\"1\"><v>1</v></c><c r=\"B1\" s=\"1\"><v>59</v></c>"
		"<c r=\"C1\" s=\"1\"><v>60</v></c><c r=\"D1\" s=\"1\"><v>61</v></c>"
		"<c r=\"E1\" s=\"2\"><v>46346.75</v></c><c r=\"F1\" s=\"2\"><v>0.5</v></c>"
		"<c r=\"G1\" s=\"0\"><v>46346</v></c><c r=\"H1\" s=\"9\"><v>46346</v></c>"
		"<c r=\"I1\" s=\"1\"><v>46346.999999999</v></c><c r=\"J1\" s=\"1\"><v>1e300</v></c></row>")
	};
	expect_cells(&b, "A1 d 1900-01-01T00:00:00\nB1 d 1900-02-28T00:00:00\n"
		"C1 d 1900-02-28T00:00:00\nD1 d 1900-03-01T00:00:00\nE1 d 2026-11-20T18:00:00\n"
		"F1 d 1899-12-30T12:00:00\nG1 n 46346\nH1 n 46346\nI1 d 2026-11-21T00:00:00\n"
		"J1 n 1.0000000000000001e+300\n");
}

/* Serials in the 1904 system. */
static void test_dates_1904(void **state)
{
	struct book b = { .workbook = WB_1904, .styles = STYLES, .sheet = SHEET(
		"<row r=\"1\"><c r=\"A1\" s=\"1\"><v>0</v></c><c r=\"B1\" s=\"1\"><v>44884</v></c>"
		"<c r=\"C1\" t=\"d\"><v>2026-11-20T08:30:00Z</v></c></row>")
	};
	expect_cells(&b, "A1 d 1904-01-01T00:00:00\nB1 d 2026-11-20T00:00:00\n"
		"C1 d 2026-11-20T08:30:00\n");
}

/* Which number format codes show dates. */
static void test_date_formats(void **state)
{
	static const struct {
		const char *code;
		bool date;
	} cases[] = {
		{ "dd/mm/yyyy", true }, { "[$-42A]d mmmm yyyy", true }, { "h:mm AM/PM", true },
		{ "[h]:mm:ss", true }, { "[Red][<=100]yyyy-mm-dd", true }, { "mmm-yy", true },
		{ "0.00", false }, { "General", false }, { "#,##0 \"ngày\"", false },
		{ "\\d0", false }, { "[Red]0.00;[Blue]dd", false }, { "_(* #,##0_)", false },
		{ "0.00E+00", false }, { "@", false }, { "#,##0\\ \"₫\"", false },
		{ "[$₫-42A]#,##0", false }, { "0*d", false }, { "0_d", false },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct strbuf code = STRBUF_INIT;
		for (const char *p = cases[i].code; *p; p++) {
			if (*p == '"')
				strbuf_adds(&code, "&quot;");
			else if (*p == '&')
				strbuf_adds(&code, "&amp;");
			else if (*p == '<')
				strbuf_adds(&code, "&lt;");
			else
				strbuf_addc(&code, *p);
		}
		char *styles = xasprintf("<styleSheet " NS "><numFmts count=\"2\">"
			"<numFmt numFmtId=\"14\" formatCode=\"0.00\"/>"
			"<numFmt numFmtId=\"170\" formatCode=\"%s\"/></numFmts>"
			"<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"170\"/>"
			"<xf numFmtId=\"14\"/><xf numFmtId=\"47\"/></cellXfs>"
			"<dxfs><dxf><numFmt numFmtId=\"171\" formatCode=\"yyyy\"/></dxf></dxfs></styleSheet>",
			code.data);
		struct book b = { .styles = styles, .sheet = SHEET(
			"<row r=\"1\"><c r=\"A1\" s=\"1\"><v>46346</v></c><c r=\"B1\" s=\"2\"><v>1</v></c>"
			"<c r=\"C1\" s=\"3\"><v>0.25</v></c></row>") };
		size_t len;
		char *data = book_build(&b, &len);
		char *got = read_all(data, len, NULL);
		char *want = xasprintf("A1 %s\nB1 n 1\nC1 d 1899-12-30T06:00:00\n",
				       cases[i].date ? "d 2026-11-20T00:00:00" : "n 46346");
		if (strcmp(got, want) != 0)
			fail_msg("format %s: got %s", cases[i].code, got);
		free(want);
		free(got);
		free(data);
		strbuf_free(&code);
		free(styles);
	}
}

/* _xHHHH_ escapes in shared, inline and formula strings. */
static void test_escapes(void **state)
{
	struct book b = { .sst =
		"<sst " NS "><si><t>a_x000D_b</t></si><si><t>_x005F_x0041_</t></si>"
		"<si><t>_xD83D__xDE00_ _xD800_ _x00e9_ _x12G4_</t></si></sst>",
		.sheet = SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
			"<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"inlineStr\"><is><t>x_x0009_y</t></is></c>"
			"<c r=\"E1\" t=\"str\"><v>_x0031_</v></c></row>") };
	expect_cells(&b, "A1 s a\rb\nB1 s _x0041_\nC1 s 😀 \xEF\xBF\xBD é _x12G4_\nD1 s x\ty\nE1 s 1\n");
}

/* Any namespace prefix, and the Strict OOXML namespaces. */
static void test_namespaces(void **state)
{
	struct book b = { .sst = "<x:sst xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<x:si><x:t>một</x:t></x:si></x:sst>",
		.sheet = "<s:worksheet xmlns:s=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<s:sheetData><s:row r=\"1\"><s:c r=\"A1\" t=\"s\"><s:v>0</s:v></s:c>"
		"<s:c r=\"B1\" t=\"inlineStr\"><s:is><s:t>hai</s:t></s:is></s:c>"
		"<other:c xmlns:other=\"urn:other\" r=\"C1\"><other:v>9</other:v></other:c>"
		"</s:row></s:sheetData></s:worksheet>" };
	expect_cells(&b, "A1 s một\nB1 s hai\n");

	static const char strict_rels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"rId1\" Type=\"http://purl.oclc.org/ooxml/officeDocument/relationships/"
		"officeDocument\" Target=\"/xl/workbook.xml\"/></Relationships>";
	static const char strict_wbrels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"rId1\" Type=\"http://purl.oclc.org/ooxml/officeDocument/relationships/"
		"worksheet\" Target=\"/xl/worksheets/sheet1.xml\"/></Relationships>";
	static const char strict_wb[] =
		"<workbook xmlns=\"http://purl.oclc.org/ooxml/spreadsheetml/main\" "
		"xmlns:r=\"http://purl.oclc.org/ooxml/officeDocument/relationships\">"
		"<sheets><sheet name=\"Strict\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	static const char strict_sheet[] =
		"<worksheet xmlns=\"http://purl.oclc.org/ooxml/spreadsheetml/main\"><sheetData>"
		"<row r=\"2\"><c r=\"B2\"><v>42</v></c></row></sheetData></worksheet>";
	struct entry e[] = {
		{ "[Content_Types].xml", CT, 0, false }, { "_rels/.rels", strict_rels, 0, false },
		{ "xl/workbook.xml", strict_wb, 0, false },
		{ "xl/_rels/workbook.xml.rels", strict_wbrels, 0, false },
		{ "xl/worksheets/sheet1.xml", strict_sheet, 0, false },
	};
	size_t len;
	char *data = zip_build(e, nitems(e), &len);
	char *got = read_all(data, len, NULL);
	assert_string_equal(got, "B2 n 42\n");
	free(got);
	free(data);
}

/* Part names come from the relationships: relative, absolute, "..", any case, directories. */
static void test_relationships(void **state)
{
	static const char rels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"a\" Type=\"http://schemas.openxmlformats.org/package/2006/"
		"relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
		"<Relationship Id=\"b\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/officeDocument\" Target=\"./book/./main.xml\"/></Relationships>";
	static const char wbrels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"r1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/worksheet\" Target=\"../data/Tab%201.xml\"/>"
		"<Relationship Id=\"r2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/worksheet\" Target=\"/Data/second.XML\"/>"
		"<Relationship Id=\"r3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/chartsheet\" Target=\"chart.xml\"/>"
		"<Relationship Id=\"r4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/sharedStrings\" Target=\"strings.xml\"/>"
		"<Relationship Id=\"r5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/hyperlink\" Target=\"http://example.com/\" TargetMode=\"External\"/>"
		"</Relationships>";
	static const char wb[] =
		"<workbook " NS "><sheets><sheet name=\"Hai\" sheetId=\"2\" r:id=\"r2\"/>"
		"<sheet name=\"Một\" sheetId=\"1\" state=\"hidden\" r:id=\"r1\"/>"
		"<sheet name=\"Biểu đồ\" sheetId=\"3\" state=\"veryHidden\" r:id=\"r3\"/></sheets></workbook>";
	struct entry e[] = {
		{ "book/", NULL, 0, false }, { "data/", NULL, 0, false },
		{ "_rels/.rels", rels, 0, false }, { "book/main.xml", wb, 0, true },
		{ "book/_rels/main.xml.rels", wbrels, 0, false },
		{ "data/Tab 1.xml", SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"), 0, false },
		{ "data/second.xml", SHEET("<row r=\"3\"><c r=\"A3\"><v>3</v></c></row>"), 0, false },
		{ "book/chart.xml", "<chartsheet " NS "><drawing r:id=\"x\"/></chartsheet>", 0, false },
		{ "book/strings.xml", "<sst " NS "><si><t>một</t></si></sst>", 0, false },
	};
	size_t len;
	char *data = zip_build(e, nitems(e), &len);
	assert_int_equal(paths_agree(data, len, NULL), 0);
	struct xlsx *x;
	char *detail;
	assert_int_equal(xlsx_open_memory(data, len, NULL, &x, &detail), XLSX_OK);
	assert_int_equal(xlsx_sheet_count(x), 3);
	assert_string_equal(xlsx_sheet_name(x, 0), "Hai");
	assert_string_equal(xlsx_sheet_name(x, 1), "Một");
	assert_string_equal(xlsx_sheet_name(x, 2), "Biểu đồ");
	assert_null(xlsx_sheet_name(x, 3));
	assert_string_equal(xlsx_sheet_state_name(xlsx_sheet_state(x, 0)), "visible");
	assert_string_equal(xlsx_sheet_state_name(xlsx_sheet_state(x, 1)), "hidden");
	assert_string_equal(xlsx_sheet_state_name(xlsx_sheet_state(x, 2)), "veryHidden");
	assert_int_equal(xlsx_sheet_kind(x, 0), XLSX_WORKSHEET);
	assert_int_equal(xlsx_sheet_kind(x, 2), XLSX_CHARTSHEET);
	assert_false(xlsx_date1904(x));
	const char *want[] = { "A3 n 3\n", "A1 s một\n", "" };
	for (size_t i = 0; i < 3; i++) {
		struct strbuf sb = STRBUF_INIT;
		assert_int_equal(xlsx_sheet_read(x, i, collect, &sb), XLSX_OK);
		assert_string_equal(strbuf_str(&sb), want[i]);
		strbuf_free(&sb);
	}
	assert_int_equal(xlsx_sheet_read(x, 3, collect, NULL), XLSX_ERR_NO_SUCH_SHEET);
	xlsx_close(x);
	free(data);
}

/* A standard CRC-32 for the hand-written zip64 file. */
static uint32_t crc32_of(const char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* Appends little-endian integers. */
static void le(struct strbuf *sb, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		strbuf_addc(sb, (char)(v >> (8 * i)));
}

/* A zip64 archive written by hand: every size and offset is in zip64 extra fields. */
static void test_zip64(void **state)
{
	const struct entry e[] = {
		{ "[Content_Types].xml", CT, 0, true }, { "_rels/.rels", ROOT_RELS, 0, true },
		{ "xl/workbook.xml", WB, 0, true }, { "xl/_rels/workbook.xml.rels", WB_RELS, 0, true },
		{ "xl/worksheets/sheet1.xml", SHEET("<row r=\"1\"><c r=\"A1\"><v>64</v></c></row>"), 0, true },
	};
	struct strbuf z = STRBUF_INIT, cd = STRBUF_INIT;
	for (size_t i = 0; i < nitems(e); i++) {
		size_t nl = strlen(e[i].name), dl = strlen(e[i].data);
		uint32_t crc = crc32_of(e[i].data, dl);
		uint64_t off = z.len;
		le(&z, 0x04034b50, 4); le(&z, 45, 2); le(&z, 0, 2); le(&z, 0, 2); le(&z, 0, 4);
		le(&z, crc, 4); le(&z, 0xFFFFFFFF, 4); le(&z, 0xFFFFFFFF, 4); le(&z, nl, 2); le(&z, 20, 2);
		strbuf_add(&z, e[i].name, nl);
		le(&z, 1, 2); le(&z, 16, 2); le(&z, dl, 8); le(&z, dl, 8);
		strbuf_add(&z, e[i].data, dl);
		le(&cd, 0x02014b50, 4); le(&cd, 45, 2); le(&cd, 45, 2); le(&cd, 0, 2); le(&cd, 0, 2);
		le(&cd, 0, 4); le(&cd, crc, 4); le(&cd, 0xFFFFFFFF, 4); le(&cd, 0xFFFFFFFF, 4);
		le(&cd, nl, 2); le(&cd, 28, 2); le(&cd, 0, 2); le(&cd, 0, 2); le(&cd, 0, 2); le(&cd, 0, 4);
		le(&cd, 0xFFFFFFFF, 4);
		strbuf_add(&cd, e[i].name, nl);
		le(&cd, 1, 2); le(&cd, 24, 2); le(&cd, dl, 8); le(&cd, dl, 8); le(&cd, off, 8);
	}
	uint64_t cd_off = z.len;
	strbuf_add(&z, cd.data, cd.len);
	uint64_t eocd64 = z.len;
	le(&z, 0x06064b50, 4); le(&z, 44, 8); le(&z, 45, 2); le(&z, 45, 2); le(&z, 0, 4); le(&z, 0, 4);
	le(&z, nitems(e), 8); le(&z, nitems(e), 8); le(&z, cd.len, 8); le(&z, cd_off, 8);
	le(&z, 0x07064b50, 4); le(&z, 0, 4); le(&z, eocd64, 8); le(&z, 1, 4);
	le(&z, 0x06054b50, 4); le(&z, 0, 2); le(&z, 0, 2); le(&z, 0xFFFF, 2); le(&z, 0xFFFF, 2);
	le(&z, 0xFFFFFFFF, 4); le(&z, 0xFFFFFFFF, 4); le(&z, 0, 2);
	char *got = read_all(z.data, z.len, NULL);
	assert_string_equal(got, "A1 n 64\n");
	free(got);
	strbuf_free(&z);
	strbuf_free(&cd);
}

/* Numbers read back to the same double as a correctly rounded strtod(). */
static void test_numbers(void **state)
{
	static const char *const nums[] = {
		"0.1", "0.30000000000000004", "1.7976931348623157E308", "4.9406564584124654E-324",
		"2.2250738585072014E-308", "123456789012345678", "9007199254740993", "1E22", "1E23",
		"3.3333333333333298E-2", "-0", "  42 ", "1e-7", "000123.4500", "44197.999988425923",
		"8.5000000000000006E-2", "12345678901234567890123", ".5", "5.",
		"46055.04236111111", "0.7494033412887828", "9007199254740992", "9007199254740991.5",
		"0.9007199254740993", "4503599627370497.5", "1234567890123456789", "-0.0000000000000001",
		"7.2057594037927933E16", "1.7976931348623157E-300", "0.00000000000000000000001",
	};
	for (size_t i = 0; i < nitems(nums); i++) {
		char *sheet = xasprintf(SHEET("<row r=\"1\"><c r=\"A1\"><v>%s</v></c></row>"), nums[i]);
		struct book b = { .sheet = sheet };
		size_t len;
		char *data = book_build(&b, &len);
		char *got = read_all(data, len, NULL);
		char *want = xasprintf("A1 n %.17g\n", strtod(nums[i], NULL));
		if (strcmp(got, want) != 0)
			fail_msg("%s: got %s want %s", nums[i], got, want);
		free(want);
		free(got);
		free(data);
		free(sheet);
	}
}

/* Values that cannot be read are refused as a corrupt file. */
static void test_bad_values(void **state)
{
	static const char *const sheets[] = {
		SHEET("<row r=\"1\"><c r=\"A1\"><v>1.2.3</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"A1\"><v>1e999</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"A1\"><v>nan</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>7</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"A1\" t=\"b\"><v>yes</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>"),
		SHEET("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>"),
		SHEET("<row r=\"1048577\"><c><v>1</v></c></row>"),
		SHEET("<row r=\"x\"><c><v>1</v></c></row>"),
	};
	for (size_t i = 0; i < nitems(sheets); i++) {
		struct book b = { .sheet = sheets[i], .sst = SST3 };
		expect_error(&b, NULL, XLSX_ERR_CORRUPT);
	}
	struct book bad = { .sheet = "<worksheet><sheetData><row></sheetData></worksheet>" };
	expect_error(&bad, NULL, XLSX_ERR_BAD_XML);
}

/* Any document type declaration is refused before its entities are expanded. */
static void test_dtd(void **state)
{
	struct book b = { .sheet =
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
		"<worksheet " NS "><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lol2;</t>"
		"</is></c></row></sheetData></worksheet>" };
	expect_error(&b, NULL, XLSX_ERR_DTD);
	struct book w = { .workbook = "<!DOCTYPE workbook SYSTEM \"http://example.com/x.dtd\">"
		"<workbook " NS "/>", .sheet = SHEET("") };
	expect_error(&w, NULL, XLSX_ERR_DTD);
}

/* OLE files (.xls, encrypted packages) and other non-xlsx bytes are told apart. */
static void test_not_xlsx(void **state)
{
	char ole[2048] = { (char)0xD0, (char)0xCF, 0x11, (char)0xE0, (char)0xA1, (char)0xB1, 0x1A,
			   (char)0xE1 };
	static const char wbname[] = "W\0o\0r\0k\0b\0o\0o\0k\0";
	memcpy(ole + 1024, wbname, sizeof wbname);
	assert_int_equal(read_err(ole, sizeof ole, NULL), XLSX_ERR_XLS);
	static const char enc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
	memcpy(ole + 1500, enc, sizeof enc);
	assert_int_equal(read_err(ole, sizeof ole, NULL), XLSX_ERR_ENCRYPTED);
	assert_int_equal(read_err("", 0, NULL), XLSX_ERR_NOT_XLSX);
	assert_int_equal(read_err("Tên,Số\n", 10, NULL), XLSX_ERR_NOT_XLSX);
	assert_int_equal(read_err("PK\3\4 this is no zip at all", 27, NULL), XLSX_ERR_CORRUPT);

	struct entry ods[] = {
		{ "mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0, true },
		{ "content.xml", "<office:document-content/>", 0, false },
	};
	size_t len;
	char *data = zip_build(ods, nitems(ods), &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_ERR_ODS);
	free(data);

	struct entry none[] = { { "readme.txt", "hello", 0, false } };
	data = zip_build(none, nitems(none), &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_ERR_NO_WORKBOOK);
	free(data);

	static const char binrels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
		"relationships/officeDocument\" Target=\"xl/workbook.bin\"/></Relationships>";
	struct entry xlsb[] = { { "_rels/.rels", binrels, 0, false },
				{ "xl/workbook.bin", "\x83\x01", 0, false } };
	data = zip_build(xlsb, nitems(xlsb), &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_ERR_XLSB);
	free(data);
}

/* Zip bombs, oversized parts, too many entries and too many strings are refused. */
static void test_limits(void **state)
{
	/* A 20 MiB run of spaces deflates about 1000:1. */
	size_t big = 20u << 20;
	char *bomb = xmalloc(big);
	memset(bomb, ' ', big);
	memcpy(bomb, "<worksheet " NS ">", strlen("<worksheet " NS ">"));
	memcpy(bomb + big - 12, "</worksheet>", 12);
	struct entry e[] = {
		{ "[Content_Types].xml", CT, 0, false }, { "_rels/.rels", ROOT_RELS, 0, false },
		{ "xl/workbook.xml", WB, 0, false }, { "xl/_rels/workbook.xml.rels", WB_RELS, 0, false },
		{ "xl/worksheets/sheet1.xml", bomb, big, false },
	};
	size_t len;
	char *data = zip_build(e, nitems(e), &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_ERR_COMPRESSION_RATIO);
	struct xlsx_limits lim;
	xlsx_limits_default(&lim);
	lim.max_ratio = 10000;
	assert_int_equal(read_err(data, len, &lim), XLSX_OK);
	lim.max_entry_size = 1u << 20;
	assert_int_equal(read_err(data, len, &lim), XLSX_ERR_ENTRY_TOO_LARGE);
	xlsx_limits_default(&lim);
	lim.max_ratio = 10000;
	lim.max_total_size = 4u << 20;
	assert_int_equal(read_err(data, len, &lim), XLSX_ERR_TOTAL_TOO_LARGE);
	free(data);
	free(bomb);

	/* 1,001 entries, most of them directories. */
	struct entry *many = xcalloc(1001, sizeof *many);
	char (*names)[16] = xcalloc(1001, 16);
	memcpy(many, e, 4 * sizeof *many);
	many[4] = (struct entry){ "xl/worksheets/sheet1.xml", SHEET(""), 0, false };
	for (size_t i = 5; i < 1001; i++) {
		snprintf(names[i], 16, "d%zu/", i);
		many[i] = (struct entry){ names[i], NULL, 0, false };
	}
	data = zip_build(many, 1001, &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_ERR_TOO_MANY_ENTRIES);
	free(data);
	data = zip_build(many, 1000, &len);
	assert_int_equal(read_err(data, len, NULL), XLSX_OK);
	free(data);
	free(names);
	free(many);

	struct book b = { .sheet = SHEET(""), .sst = SST3 };
	xlsx_limits_default(&lim);
	lim.max_shared_strings = 2;
	expect_error(&b, &lim, XLSX_ERR_SST_TOO_LARGE);
	xlsx_limits_default(&lim);
	lim.max_shared_bytes = 10;
	expect_error(&b, &lim, XLSX_ERR_SST_TOO_LARGE);
	xlsx_limits_default(&lim);
	lim.max_shared_strings = 3;
	expect_error(&b, &lim, XLSX_OK);
}

/* Stops reading when the callback says so. */
static bool stop_after_one(const struct xlsx_cell *c, void *arg)
{
	(*(int *)arg)++;
	return false;
}

/* The callback can stop the reading; the handle stays usable. */
static void test_stop(void **state)
{
	struct book b = { .sheet = SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\"><v>2</v></c></row>") };
	size_t len;
	char *data = book_build(&b, &len);
	assert_int_equal(paths_agree(data, len, NULL), 0);
	struct xlsx *x;
	assert_int_equal(xlsx_open_memory(data, len, NULL, &x, NULL), XLSX_OK);
	int n = 0;
	assert_int_equal(xlsx_sheet_read(x, 0, stop_after_one, &n), XLSX_ERR_STOPPED);
	assert_int_equal(n, 1);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(xlsx_sheet_read(x, 0, collect, &sb), XLSX_OK);
	assert_string_equal(strbuf_str(&sb), "A1 n 1\nB1 n 2\n");
	strbuf_free(&sb);
	xlsx_close(x);
	free(data);
}

/* Opening a file gives what opening its bytes gives; a missing file is an I/O error. */
static void test_open_file(void **state)
{
	struct book b = { .sst = SST3, .sheet = SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>") };
	size_t len;
	char *data = book_build(&b, &len);
	char path[] = "/tmp/baocao-test-xlsx-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	size_t fallbacks = 1;
	char *diff = xlsx_compare(path, NULL, 0, NULL, &fallbacks);
	if (diff != NULL)
		fail_msg("scanner and expat differ:\n%s", diff);
	assert_int_equal(fallbacks, 0);
	struct xlsx *x;
	char *detail;
	assert_int_equal(xlsx_open_file(path, NULL, &x, &detail), XLSX_OK);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(xlsx_sheet_read(x, 0, collect, &sb), XLSX_OK);
	assert_string_equal(strbuf_str(&sb), "A1 s Hà Nội\n");
	strbuf_free(&sb);
	xlsx_close(x);
	struct xlsx_limits lim;
	xlsx_limits_default(&lim);
	lim.max_file_size = 100;
	assert_int_equal(xlsx_open_file(path, &lim, &x, &detail), XLSX_ERR_FILE_TOO_LARGE);
	assert_null(x);
	free(detail);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(xlsx_open_file(path, NULL, &x, &detail), XLSX_ERR_IO);
	free(detail);
	free(data);
}

struct thread_arg {
	const char *data;
	size_t len;
	char *got;
};

/* Reads a workbook in a thread of its own. */
static void *thread_read(void *p)
{
	struct thread_arg *a = p;
	for (int i = 0; i < 20; i++) {
		free(a->got);
		a->got = read_all(a->data, a->len, NULL);
	}
	return NULL;
}

/* Handles in different threads do not disturb each other. */
static void test_threads(void **state)
{
	struct book b = { .sst = SST3, .styles = STYLES, .sheet = SHEET(
		"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>2</v></c><c r=\"B1\" s=\"2\"><v>46346</v></c></row>") };
	size_t len;
	char *data = book_build(&b, &len);
	pthread_t t[4];
	struct thread_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ data, len, NULL };
		assert_int_equal(pthread_create(&t[i], NULL, thread_read, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_string_equal(a[i].got, "A1 s Tổng cộng  \nB1 d 2026-11-20T00:00:00\n");
		free(a[i].got);
	}
	free(data);
}

#define SML "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

/* XML the scanner must read exactly as expat does, split at every byte, and XML it must give up
 * to expat (where expat refuses it, or reads what the scanner does not). */
static void test_scanner(void **state)
{
	static const struct {
		const char *doc;
		bool accepted;
	} cases[] = {
		{ "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<worksheet xmlns=\""
		  SML "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData>"
		  "</worksheet>", true },
		{ "\xEF\xBB\xBF<?xml version = '1.0' encoding = 'utf-8' ?><worksheet/>", true },
		{ "\xEF\xBB\xBF<worksheet xmlns='" SML "'/>\n<!-- after -->\n<?pi after?>\n", true },
		{ "<x:worksheet xmlns:x=\"" SML "\"><x:sheetData><x:row><x:c t='inlineStr'><x:is>"
		  "<x:t xml:space=\"preserve\"> a &amp; b &lt;&gt;&quot;&apos; &#233;&#xE9;&#x1F600;"
		  "&#0000065;</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>", true },
		{ "<worksheet xmlns=\"http://purl.oclc.org/ooxml/spreadsheetml/main\"><sheetData>"
		  "<row><c><v>1</v></c></row></sheetData></worksheet>", true },
		{ "<worksheet xmlns=\"" SML "\" xmlns:r=\"urn:r\"><sheetData><row><c><v>1</v></c>"
		  "<c xmlns=\"urn:x\"><v>2</v></c><c xmlns=\"\"><v>3</v></c><r:c r:id=\"x\" r=\"B1\"/>"
		  "</row></sheetData><extLst><ext uri=\"{x}\" xmlns:x14=\"urn:x14\"><x14:a x14:b=\"1\""
		  " xmlns:y=\"urn:y\" y:c=\"2\"/></ext></extLst></worksheet>", true },
		{ "<w:worksheet xmlns:w=\"" SML "\" xmlns=\"urn:d\"><w:c r=\"A1\"\n\tt = 's' s=\"&#49;\""
		  " x='a\tb\r\nc\rd\ne&#9;f&#10;g&#13;h&lt;'><v>1</v></w:c></w:worksheet>", true },
		{ "<!-- c --><?pi data?><worksheet><!----><sheetData><?x?><row><c><v>1<!-- -x- -->2"
		  "<?y z?>3</v></c></row></sheetData></worksheet >", true },
		{ "<worksheet><v><![CDATA[1<&>]]>2<![CDATA[]]><![CDATA[a\r\nb\rc]]]]></v>"
		  "<t>]] ] ]x ]>&gt; a\r\nb\rc\r\r\nd</t></worksheet>", true },
		{ "<worksheet><row/><c r=\"B1\"/><v></v><t>Hà Nội, Đà Nẵng, 東京, 😀</t>"
		  "<a.b-c_d e.f-g_h=\"\"/></worksheet>", true },
		{ "<worksheet>\x7f\xc2\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf</worksheet>", true },

		/* Valid, but outside the scanner's subset: expat reads them. */
		{ "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><worksheet>\xe9</worksheet>", false },
		{ "<?xml version=\"1.1\"?><worksheet/>", false },
		{ "<worksheet><caf\xc3\xa9/></worksheet>", false },
		{ "<worksheet xmlns:p=\"urn:a\" xmlns:q=\"urn:b\" p:x=\"1\" q:x=\"2\"/>", false },
		{ "<worksheet xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"/>", false },
		{ "<?xml-stylesheet href=\"a\"?><worksheet/>", false },
		{ "<worksheet>&#x00000000000000041;</worksheet>", false },
		/* Not well-formed, or refused: expat says why. */
		{ "<!DOCTYPE worksheet><worksheet/>", false },
		{ "<worksheet><a></b></worksheet>", false },
		{ "<worksheet>]]></worksheet>", false },
		{ "<worksheet>\xc3</worksheet>", false },
		{ "<worksheet>\xed\xa0\x80</worksheet>", false },
		{ "<worksheet>\xef\xbf\xbe</worksheet>", false },
		{ "<worksheet>\x01</worksheet>", false },
		{ "<worksheet>&foo;</worksheet>", false },
		{ "<worksheet>&#0;</worksheet>", false },
		{ "<worksheet>&#xD800;</worksheet>", false },
		{ "<worksheet>&#X41;</worksheet>", false },
		{ "<worksheet>&amp</worksheet>", false },
		{ "<worksheet a=\"1\" a=\"2\"/>", false },
		{ "<worksheet a=\"1\"b=\"2\"/>", false },
		{ "<worksheet a=\"<\"/>", false },
		{ "<worksheet a=1/>", false },
		{ "<p:worksheet/>", false },
		{ "<worksheet xmlns:p=\"\"/>", false },
		{ "<worksheet xmlns=\"http://www.w3.org/2000/xmlns/\"/>", false },
		{ "<a:b:c xmlns:a=\"u\"/>", false },
		{ "<worksheet/>junk", false },
		{ "<worksheet/><worksheet/>", false },
		{ "text<worksheet/>", false },
		{ "", false },
		{ "   ", false },
		{ "<worksheet>", false },
		{ "<worksheet><c r=\"A1\"", false },
		{ " <?xml version=\"1.0\"?><worksheet/>", false },
		{ "<worksheet><?xml version=\"1.0\"?></worksheet>", false },
		{ "<worksheet><!-- a -- b --></worksheet>", false },
		{ "<worksheet><!-- a ---></worksheet>", false },
		{ "<worksheet/><![CDATA[x]]>", false },
		{ "<worksheet></ worksheet>", false },
		{ "<worksheet>x</worksheet>\0", false },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		const char *doc = cases[i].doc;
		size_t len = strlen(doc);
		if (i == nitems(cases) - 1)
			len++;	/* the NUL after the root */
		for (size_t piece = 0; piece <= len + 1; piece++) {
			bool accepted;
			char *diff = xlsx_compare_xml(doc, len, piece, &accepted);
			if (diff != NULL)
				fail_msg("case %zu, pieces of %zu: %s", i, piece, diff);
			if (accepted != cases[i].accepted)
				fail_msg("case %zu, pieces of %zu: the scanner %s it", i, piece,
					 accepted ? "accepted" : "gave up");
		}
	}
}

/* Past its bounds (depth, attributes, name length, declarations in force, unfinished token, the
 * length of the XML declaration), the scanner gives the document up to expat; just within them,
 * it reads it. */
static void test_scanner_bounds(void **state)
{
	for (int over = 0; over <= 1; over++) {
		struct strbuf doc[6] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
					 STRBUF_INIT, STRBUF_INIT };
		for (int i = 0; i < 4096 + over; i++)
			strbuf_adds(&doc[0], "<a>");
		for (int i = 0; i < 4096 + over; i++)
			strbuf_adds(&doc[0], "</a>");
		strbuf_adds(&doc[1], "<a");
		for (int i = 0; i < 64 + over; i++)
			strbuf_addf(&doc[1], " b%d='%d'", i, i);
		strbuf_adds(&doc[1], "/>");
		struct strbuf name = STRBUF_INIT;
		for (int i = 0; i < 1024 + over; i++)
			strbuf_addc(&name, "abcdefghijklmnopqrstuvwxyz"[i % 26]);
		strbuf_addf(&doc[2], "<%s>x</%s>", name.data, name.data);
		strbuf_free(&name);
		for (int i = 0; i < 1024 + over; i++)
			strbuf_addf(&doc[3], "<a xmlns:p%d='urn:%d'>", i, i);
		for (int i = 0; i < 1024 + over; i++)
			strbuf_adds(&doc[3], "</a>");
		strbuf_adds(&doc[4], "<a><!--");
		/* Kept unfinished past 1 MiB: the bound is checked before each read is added. */
		for (int i = 0; i < (1 << 20) / 8 - 16 + (1 << 16) * over; i++)
			strbuf_adds(&doc[4], " comment");
		strbuf_adds(&doc[4], "--></a>");
		/* An XML declaration of 256 bytes, "<?xml" to "?>", or one more. */
		strbuf_adds(&doc[5], "<?xml version=\"1.0\"");
		for (int i = 0; i < 256 - 21 + over; i++)
			strbuf_addc(&doc[5], ' ');
		strbuf_adds(&doc[5], "?><a/>");
		for (size_t d = 0; d < nitems(doc); d++) {
			/* Whole, and in reads of 256 KiB as the reader does. */
			for (size_t piece = 0; piece <= (256u << 10); piece += 256u << 10) {
				bool accepted;
				char *diff = xlsx_compare_xml(doc[d].data, doc[d].len, piece, &accepted);
				if (diff != NULL)
					fail_msg("document %zu: %s", d, diff);
				bool want = !over || (d == 4 && piece == 0);
				if (accepted != want)
					fail_msg("document %zu, %s the bound, pieces of %zu: the scanner %s it",
						 d, over ? "past" : "at", piece,
						 accepted ? "accepted" : "gave up");
			}
			strbuf_free(&doc[d]);
		}
	}
}

/* Parts the scanner gives up are read by expat, with the same cells and the same errors; cells
 * given before the scanner gave up are not given twice. */
static void test_fallback(void **state)
{
	static const struct {
		const char *sheet;
		enum xlsx_error err;
	} cases[] = {
		{ "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><worksheet " NS "><sheetData>"
		  "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>caf\xe9</t></is></c></row>"
		  "</sheetData></worksheet>", XLSX_OK },
		{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\"><v>2</v></c></row>"
			"<row r=\"2\"><caf\xc3\xa9/><c r=\"A2\"><v>3</v></c></row>"), XLSX_OK },
		{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\">"
			"<v>&bad;</v></c></row>"), XLSX_ERR_BAD_XML },
		{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\">"
			"<v>2</v></row>"), XLSX_ERR_BAD_XML },
		{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>") "<junk/>", XLSX_ERR_BAD_XML },
		{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\">"), XLSX_ERR_BAD_XML },
		{ "<!DOCTYPE x><worksheet " NS "/>", XLSX_ERR_DTD },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct book b = { .sheet = cases[i].sheet };
		size_t len;
		char *data = book_build(&b, &len);
		assert_int_equal(paths_agree(data, len, NULL), 1);
		assert_string_equal(xlsx_error_code(read_err(data, len, NULL)),
				    xlsx_error_code(cases[i].err));
		free(data);
	}
}

/* A sheet of several megabytes, so that every kind of token is cut between two reads; stored
 * without compression, so that the file is also too large to be read whole when opened by path. */
static void test_large_sheet(void **state)
{
	struct strbuf sh = STRBUF_INIT;
	strbuf_adds(&sh, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<x:worksheet xmlns:x=\"" SML
		    "\"><x:sheetData>");
	for (int r = 1; r <= 12000; r++) {
		strbuf_addf(&sh, "<x:row r=\"%d\" spans=\"1:6\">\r\n  <x:c r='A%d' t=\"inlineStr\">"
			    "<x:is><x:t xml:space=\"preserve\">Dòng %d &amp; &#x1F600;\r\n</x:t>"
			    "<x:r><x:t>&lt;<![CDATA[<b>]]></x:t></x:r></x:is></x:c><!-- %d -->", r, r, r, r);
		strbuf_addf(&sh, "<x:c r=\"B%d\"><x:f>A1&amp;\"x\"</x:f><x:v>%d.%d</x:v></x:c>"
			    "<?pi %d?><x:c t = \"b\" s=\"&#48;\"><x:v>%d</x:v></x:c><x:c/>"
			    "<x:c t=\"str\"><x:v>_x0041_ ]] ]></x:v></x:c></x:row>\n", r, r, r % 97, r,
			    r % 2);
	}
	strbuf_adds(&sh, "</x:sheetData></x:worksheet>");
	assert_true(sh.len > 3 * (256u << 10));
	struct entry e[] = {
		{ "[Content_Types].xml", CT, 0, false }, { "_rels/.rels", ROOT_RELS, 0, false },
		{ "xl/workbook.xml", WB, 0, false }, { "xl/_rels/workbook.xml.rels", WB_RELS, 0, false },
		{ "xl/worksheets/sheet1.xml", sh.data, 0, true },
	};
	size_t len;
	char *data = zip_build(e, nitems(e), &len);
	assert_true(len > (2u << 20));
	char path[] = "/tmp/baocao-test-xlsx-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	size_t fallbacks = 1;
	char *diff = xlsx_compare(path, NULL, 0, NULL, &fallbacks);
	if (diff != NULL)
		fail_msg("scanner and expat differ:\n%s", diff);
	assert_int_equal(fallbacks, 0);
	char *from_file = xlsx_compare_dump(path, NULL, 0, NULL, NULL);
	char *from_memory = xlsx_compare_dump(NULL, data, len, NULL, NULL);
	assert_string_equal(from_file, from_memory);
	free(from_file);
	free(from_memory);
	assert_int_equal(unlink(path), 0);
	char *got = read_all(data, len, NULL);
	assert_non_null(strstr(got, "A12000 s Dòng 12000 & 😀\n<<b>\nB12000 n 12000.690000000001\n"
				"C12000 b false\nE12000 s A ]] ]>\n"));
	free(got);
	free(data);
	strbuf_free(&sh);
}

/* Every error has its own code name and a Vietnamese message that says what to do. */
static void test_error_names(void **state)
{
	for (int i = 0; i < XLSX_ERR_COUNT; i++) {
		const char *code = xlsx_error_code((enum xlsx_error)i);
		const char *msg = xlsx_error_message((enum xlsx_error)i);
		assert_non_null(code);
		assert_true(i == 0 || str_has_prefix(code, "xlsx_"));
		assert_true(xmltext_valid(msg, strlen(msg)));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(code, xlsx_error_code((enum xlsx_error)j));
	}
	assert_string_equal(xlsx_error_code(XLSX_ERR_ENCRYPTED), "xlsx_encrypted");
	assert_string_equal(xlsx_error_message(XLSX_ERR_ENCRYPTED),
			    "Tệp được mã hoá bằng mật khẩu: hãy bỏ mật khẩu rồi gửi lại");
	assert_string_equal(xlsx_error_message(XLSX_ERR_XLS),
			    "Đây là tệp .xls (Excel 97-2003): hãy lưu lại dưới dạng .xlsx");
	assert_string_equal(xlsx_error_code((enum xlsx_error)999), "xlsx_unknown");
}

/* Serial conversion and references on their own. */
static void test_helpers(void **state)
{
	struct xlsx_datetime dt;
	assert_true(xlsx_serial_to_datetime(46346.5, false, &dt));
	assert_int_equal(dt.year, 2026);
	assert_int_equal(dt.hour, 12);
	assert_true(xlsx_serial_to_datetime(-1.25, false, &dt));
	assert_int_equal(dt.day, 28);
	assert_int_equal(dt.hour, 18);
	assert_false(xlsx_serial_to_datetime(3e6, false, &dt));
	assert_false(xlsx_serial_to_datetime(NAN, true, &dt));
	char ref[XLSX_REF_MAX];
	assert_int_equal(xlsx_ref_format(1, 1, ref), 2);
	assert_string_equal(ref, "A1");
	xlsx_ref_format(1048576, 16384, ref);
	assert_string_equal(ref, "XFD1048576");
	xlsx_ref_format(10, 27, ref);
	assert_string_equal(ref, "AA10");
	xlsx_ref_format(10, 702, ref);
	assert_string_equal(ref, "ZZ10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_types),
		cmocka_unit_test(test_missing_refs),
		cmocka_unit_test(test_dates_1900),
		cmocka_unit_test(test_dates_1904),
		cmocka_unit_test(test_date_formats),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_relationships),
		cmocka_unit_test(test_zip64),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_dtd),
		cmocka_unit_test(test_not_xlsx),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_scanner),
		cmocka_unit_test(test_scanner_bounds),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_large_sheet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
