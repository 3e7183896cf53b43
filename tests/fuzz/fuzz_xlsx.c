/* libFuzzer target: the .xlsx reader must refuse or read any bytes without crashing or leaking,
 * and its fast XML scanner must read them exactly as expat does. */
#include "util.h"
#include "xlsx_compare.h"
#include "xlsx_read.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Separates the XML parts of an input that is not itself a zip. */
static const char PART_SEP[] = "\n#PART#\n";

static const char *const PART_NAMES[] = {
	"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
	"xl/_rels/workbook.xml.rels", "_rels/.rels",
};

static const char *const DEFAULT_PARTS[] = {
	NULL, NULL, NULL,
	"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
	"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/styles\" Target=\"styles.xml\"/></Relationships>",
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>",
};

/* Appends a little-endian integer. */
static void le(struct strbuf *sb, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		strbuf_addc(sb, (char)(v >> (8 * i)));
}

/* Builds a stored (uncompressed) zip of the workbook parts found in the input, so that the XML
 * parsers are fuzzed directly rather than behind inflate and CRC checks. */
static void zip_from_parts(const char *in, size_t n, struct strbuf *z)
{
	struct strbuf cd = STRBUF_INIT;
	uint16_t count = 0;
	const char *p = in, *end = in + n;
	for (size_t i = 0; i < sizeof PART_NAMES / sizeof *PART_NAMES; i++) {
		const char *data = DEFAULT_PARTS[i];
		size_t len = data ? strlen(data) : 0;
		if (p != NULL && p <= end) {
			const char *q = memmem(p, (size_t)(end - p), PART_SEP, sizeof PART_SEP - 1);
			data = p;
			len = (size_t)((q ? q : end) - p);
			p = q ? q + sizeof PART_SEP - 1 : NULL;
		}
		if (data == NULL)
			continue;
		uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)len);
		uint32_t off = (uint32_t)z->len;
		size_t nl = strlen(PART_NAMES[i]);
		le(z, 0x04034b50, 4); le(z, 20, 2); le(z, 0, 2); le(z, 0, 2); le(z, 0, 4);
		le(z, crc, 4); le(z, (uint32_t)len, 4); le(z, (uint32_t)len, 4); le(z, (uint32_t)nl, 2);
		le(z, 0, 2);
		strbuf_add(z, PART_NAMES[i], nl);
		strbuf_add(z, data, len);
		le(&cd, 0x02014b50, 4); le(&cd, 20, 2); le(&cd, 20, 2); le(&cd, 0, 2); le(&cd, 0, 2);
		le(&cd, 0, 4); le(&cd, crc, 4); le(&cd, (uint32_t)len, 4); le(&cd, (uint32_t)len, 4);
		le(&cd, (uint32_t)nl, 2); le(&cd, 0, 2); le(&cd, 0, 2); le(&cd, 0, 2); le(&cd, 0, 2);
		le(&cd, 0, 4); le(&cd, off, 4);
		strbuf_add(&cd, PART_NAMES[i], nl);
		count++;
	}
	uint32_t cd_off = (uint32_t)z->len;
	strbuf_add(z, cd.data, cd.len);
	le(z, 0x06054b50, 4); le(z, 0, 2); le(z, 0, 2); le(z, count, 2); le(z, count, 2);
	le(z, (uint32_t)cd.len, 4); le(z, cd_off, 4); le(z, 0, 2);
	strbuf_free(&cd);
}

/* Touches every byte of a cell so that the sanitizers see any bad pointer or length. */
static bool touch(const struct xlsx_cell *c, void *arg)
{
	unsigned *sum = arg;
	for (size_t i = 0; c->str != NULL && i < c->len; i++)
		*sum += (unsigned char)c->str[i];
	*sum += c->row + c->col + (unsigned)c->type;
	return true;
}

/* Crashes, so that libFuzzer keeps the input, if the scanner and expat differ. */
static void check(char *diff, const char *what)
{
	if (diff == NULL)
		return;
	fprintf(stderr, "%s: the scanner and expat differ:\n%s\n", what, diff);
	abort();
}

/* Scans each XML part of a non-zip input whole and in pieces of a size the input chooses: what
 * the scanner accepts, expat must accept and report the same way. */
static void scan_parts(const char *in, size_t n)
{
	uint32_t piece = (uint32_t)crc32(0, (const Bytef *)in, (uInt)n) % 61 + 1;
	const char *p = in, *end = in + n;
	while (p != NULL) {
		const char *q = memmem(p, (size_t)(end - p), PART_SEP, sizeof PART_SEP - 1);
		size_t len = (size_t)((q ? q : end) - p);
		check(xlsx_compare_xml(p, len, 0, NULL), "XML part, whole");
		check(xlsx_compare_xml(p, len, piece, NULL), "XML part, in pieces");
		p = q ? q + sizeof PART_SEP - 1 : NULL;
	}
}

/* Opens the input (a zip, an OLE file, anything) or the zip built from its parts; reads all,
 * through the scanner and through expat alone, which must give the same. */
static void run(const void *data, size_t size)
{
	struct xlsx_limits lim;
	xlsx_limits_default(&lim);
	/* Keep each input well under a second. */
	lim.max_entry_size = 8u << 20;
	lim.max_total_size = 32u << 20;
	check(xlsx_compare(NULL, data, size, &lim, NULL), "workbook");
	struct xlsx *x;
	char *detail = NULL;
	if (xlsx_open_memory(data, size, &lim, &x, &detail) != XLSX_OK) {
		free(detail);
		return;
	}
	unsigned sum = 0;
	for (size_t i = 0; i < xlsx_sheet_count(x); i++) {
		if (xlsx_sheet_read(x, i, touch, &sum) != XLSX_OK && xlsx_detail(x)[0] == '\0')
			abort();	/* every failure must explain itself */
		sum += (unsigned)strlen(xlsx_sheet_name(x, i));
	}
	xlsx_close(x);
}

/* One input: a zip or OLE file as given, or XML parts to zip. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 2 && (memcmp(data, "PK", 2) == 0 || data[0] == 0xD0)) {
		run(data, size);
		return 0;
	}
	scan_parts((const char *)data, size);
	struct strbuf z = STRBUF_INIT;
	zip_from_parts((const char *)data, size, &z);
	run(z.data, z.len);
	strbuf_free(&z);
	return 0;
}
