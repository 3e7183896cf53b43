/* Tests of the consolidated report's workbook: totals, the same bytes twice, items given in
 * batches, what our reader finds in it, every edition and header, cut texts, an empty report,
 * the golden parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "consolidate_fixture.c"
#include "consol_xlsx.h"
#include "utf8.h"
#include "util.h"
#include "xlsx_read.h"
#include "xmltext.h"

/* The golden parts of the fixture's workbook (see write_golden). */
#define GOLDEN_DIR TEST_SOURCE_ROOT "/tests/unit/data/consolidated"

/* One cell read back. */
struct rcell {
	uint32_t row, col;
	enum xlsx_type type;
	char *str;
	double num;
};

/* The cells of one sheet. */
struct rsheet {
	struct rcell *cells;
	size_t n, cap;
};

/* Keeps a copy of every cell. */
static bool keep_cell(const struct xlsx_cell *c, void *arg)
{
	struct rsheet *s = arg;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->cells = xrealloc(s->cells, s->cap * sizeof *s->cells);
	}
	struct rcell *r = &s->cells[s->n++];
	r->row = c->row;
	r->col = c->col;
	r->type = c->type;
	r->str = c->type == XLSX_STRING ? xstrndup(c->str, c->len) : NULL;
	r->num = c->num;
	return true;
}

/* Frees the cells. */
static void rsheet_free(struct rsheet *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->cells[i].str);
	free(s->cells);
	memset(s, 0, sizeof *s);
}

/* A workbook read back: its sheets' names and cells. */
struct rbook {
	size_t nsheets;
	char *names[16];
	struct rsheet sheets[16];
};

/* Reads every sheet of a workbook in memory with our reader. */
static void rbook_read(const unsigned char *data, size_t len, struct rbook *b)
{
	memset(b, 0, sizeof *b);
	struct xlsx *x = NULL;
	char *detail = NULL;
	assert_int_equal(xlsx_open_memory(data, len, NULL, &x, &detail), XLSX_OK);
	b->nsheets = xlsx_sheet_count(x);
	assert_true(b->nsheets <= 16);
	for (size_t i = 0; i < b->nsheets; i++) {
		b->names[i] = xstrdup(xlsx_sheet_name(x, i));
		assert_int_equal(xlsx_sheet_read(x, i, keep_cell, &b->sheets[i]), XLSX_OK);
	}
	xlsx_close(x);
}

/* Frees what was read. */
static void rbook_free(struct rbook *b)
{
	for (size_t i = 0; i < b->nsheets; i++) {
		free(b->names[i]);
		rsheet_free(&b->sheets[i]);
	}
}

/* The cell at row, col (1-based), or NULL. */
static const struct rcell *cell_at(const struct rsheet *s, uint32_t row, uint32_t col)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->cells[i].row == row && s->cells[i].col == col)
			return &s->cells[i];
	return NULL;
}

/* The first string cell in column col equal to text, or NULL. */
static const struct rcell *find_in_col(const struct rsheet *s, uint32_t col, const char *text)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->cells[i].col == col && s->cells[i].str && strcmp(s->cells[i].str, text) == 0)
			return &s->cells[i];
	return NULL;
}

/* The first string cell holding text anywhere, or NULL. */
static const struct rcell *find_text(const struct rsheet *s, const char *text)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->cells[i].str && strstr(s->cells[i].str, text) != NULL)
			return &s->cells[i];
	return NULL;
}

/* How many string cells of column col equal text. */
static size_t count_in_col(const struct rsheet *s, uint32_t col, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->cells[i].col == col && s->cells[i].str && strcmp(s->cells[i].str, text) == 0;
	return n;
}

/* The number to the right of a label: column col of the label's row. */
static double number_right_of(const struct rsheet *s, const struct rcell *label, uint32_t col)
{
	assert_non_null(label);
	const struct rcell *c = cell_at(s, label->row, col);
	assert_non_null(c);
	assert_int_equal(c->type, XLSX_NUMBER);
	return c->num;
}

/* Writes a document and returns its bytes, failing the test on an error. */
static unsigned char *write_doc(const struct consol_doc *doc, size_t *len)
{
	unsigned char *data = NULL;
	char *err = NULL;
	int rc = consol_write_xlsx(doc, &data, len, &err);
	if (rc != 0)
		print_error("consol_write_xlsx: %s\n", err);
	assert_int_equal(rc, 0);
	assert_null(err);
	assert_non_null(data);
	return data;
}

/* The totals count units by state and items by status. */
static void test_totals(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	struct consol_totals t;
	consol_totals(&doc, &t);
	assert_int_equal(t.expected, 8);
	assert_int_equal(t.by_state[CONSOL_ON_TIME], 3);
	assert_int_equal(t.by_state[CONSOL_LATE], 2);
	assert_int_equal(t.by_state[CONSOL_MISSING], 2);
	assert_int_equal(t.by_state[CONSOL_RETURNED], 1);
	assert_int_equal(t.by_status[TASK_DONE_ON_TIME], 3);
	assert_int_equal(t.by_status[TASK_DONE_LATE], 1);
	assert_int_equal(t.by_status[TASK_IN_PROGRESS_ON_TIME], 5);
	assert_int_equal(t.by_status[TASK_OVERDUE], 2);
	assert_int_equal(t.items, 11);
	consol_doc_free(&doc);
	consol_doc_free(&doc);	/* a freed document is empty: freeing it again is harmless */
	consol_totals(&doc, &t);
	assert_int_equal(t.expected, 0);
	assert_int_equal(t.items, 0);
}

/* The same document gives the same bytes, a second later too. */
static void test_deterministic(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	size_t a_len, b_len;
	unsigned char *a = write_doc(&doc, &a_len);
	sleep(1);	/* the clock must not show */
	unsigned char *b = write_doc(&doc, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(a);
	free(b);
	consol_doc_free(&doc);
}

/* A document whose items are handed over a few units at a time, as the loader does. */
struct stash {
	struct consol_doc *doc;
	struct consol_item **items;	/* each unit's items while out of the document */
	size_t step;			/* units a batch */
	size_t fail_at;			/* the batch starting there fails (0: none) */
	size_t filled, dropped;		/* units */
	bool out_of_order;		/* a batch did not follow the last one */
};

/* Gives units [from, from + step) their items back. */
static int stash_fill(void *ctx, size_t from, size_t *to, char **err)
{
	struct stash *s = ctx;
	if (s->fail_at && from == s->fail_at) {
		*err = xstrdup("consolidate: the database went away");
		return -1;
	}
	if (from != s->filled)
		s->out_of_order = true;
	*to = from + s->step < s->doc->nunits ? from + s->step : s->doc->nunits;
	for (size_t i = from; i < *to; i++) {
		assert_null(s->doc->units[i].items);
		s->doc->units[i].items = s->items[i];
	}
	s->filled = *to;
	return 0;
}

/* Takes them out again. */
static void stash_drop(void *ctx, size_t from, size_t to)
{
	struct stash *s = ctx;
	for (size_t i = from; i < to; i++)
		s->doc->units[i].items = NULL;
	s->dropped = to;
}

/* Takes every unit's items out of the document. */
static void stash_init(struct stash *s, struct consol_doc *doc, size_t step)
{
	memset(s, 0, sizeof *s);
	s->doc = doc;
	s->step = step;
	s->items = xcalloc(doc->nunits + 1, sizeof *s->items);
	for (size_t i = 0; i < doc->nunits; i++) {
		s->items[i] = doc->units[i].items;
		doc->units[i].items = NULL;
	}
}

/* Puts the items back where they belong, for consol_doc_free(). */
static void stash_restore(struct stash *s)
{
	for (size_t i = 0; i < s->doc->nunits; i++)
		s->doc->units[i].items = s->items[i];
	free(s->items);
}

/* Items handed over in batches of any size give the same bytes as a document holding them
 * all; every batch is taken back; a batch that cannot be read fails the workbook. */
static void test_batched(void **state)
{
	struct consol_doc docs[2];
	fixture_doc(&docs[0], CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	fixture_big(&docs[1], 37, 5);
	for (size_t d = 0; d < 2; d++) {
		struct consol_doc *doc = &docs[d];
		size_t whole_len;
		unsigned char *whole = write_doc(doc, &whole_len);
		static const size_t steps[] = { 1, 2, 7, 1000 };
		for (size_t k = 0; k < nitems(steps); k++) {
			struct stash s;
			stash_init(&s, doc, steps[k]);
			struct consol_batches b = { stash_fill, stash_drop, &s };
			unsigned char *data = NULL;
			size_t len = 0;
			char *err = NULL;
			int rc = consol_write_xlsx_batched(doc, &b, &data, &len, &err);
			if (rc != 0)
				print_error("consol_write_xlsx_batched: %s\n", err);
			assert_int_equal(rc, 0);
			assert_false(s.out_of_order);
			assert_int_equal(s.filled, doc->nunits);
			assert_int_equal(s.dropped, doc->nunits);
			assert_int_equal(len, whole_len);
			assert_memory_equal(data, whole, len);
			free(data);
			stash_restore(&s);
		}
		struct stash s;
		stash_init(&s, doc, 2);
		s.fail_at = 4;
		struct consol_batches b = { stash_fill, stash_drop, &s };
		unsigned char *data = NULL;
		size_t len = 0;
		char *err = NULL;
		assert_int_equal(consol_write_xlsx_batched(doc, &b, &data, &len, &err), -1);
		assert_null(data);
		assert_non_null(strstr(err, "database went away"));
		free(err);
		stash_restore(&s);
		free(whole);
		consol_doc_free(doc);
	}
}

/* The sheets' names are valid for Excel: at most 31 characters, none of []:*?/\ . */
static void test_sheet_names(void **state)
{
	const char *names[] = { CONSOL_SHEET_SUMMARY, CONSOL_SHEET_DETAIL, CONSOL_SHEET_BEHIND,
				CONSOL_SHEET_PROPOSALS, CONSOL_SHEET_MISSING,
				CONSOL_SHEET_ASSESSMENT, CONSOL_SHEET_TIMELINESS };
	for (size_t i = 0; i < nitems(names); i++) {
		assert_true(xmltext_valid(names[i], strlen(names[i])));
		assert_in_range(utf8_length(names[i]), 1, LXW_SHEETNAME_MAX);
		assert_null(strpbrk(names[i], "[]:*?/\\"));
		assert_true(names[i][0] != '\'');
	}
}

/* Our reader finds the sheets, the counts, every item once, the missing units, the text. */
static void test_read_back(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	size_t len;
	unsigned char *data = write_doc(&doc, &len);
	struct rbook b;
	rbook_read(data, len, &b);
	const char *names[] = { CONSOL_SHEET_SUMMARY, CONSOL_SHEET_DETAIL, CONSOL_SHEET_BEHIND,
				CONSOL_SHEET_PROPOSALS, CONSOL_SHEET_MISSING,
				CONSOL_SHEET_ASSESSMENT, CONSOL_SHEET_TIMELINESS };
	assert_int_equal(b.nsheets, nitems(names));
	for (size_t i = 0; i < nitems(names); i++)
		assert_string_equal(b.names[i], names[i]);

	/* Tổng hợp: the document header, the counts (numbers), one row per unit. */
	const struct rsheet *s = &b.sheets[0];
	assert_string_equal(cell_at(s, 1, 1)->str, "UBND TỈNH HÀ TĨNH");
	assert_string_equal(cell_at(s, 2, 1)->str, "SỞ KHOA HỌC VÀ CÔNG NGHỆ");
	assert_string_equal(cell_at(s, 1, 4)->str, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
	assert_string_equal(cell_at(s, 2, 4)->str, "Độc lập - Tự do - Hạnh phúc");
	assert_string_equal(cell_at(s, 4, 1)->str, "Số: ......./BC-SKHCN");
	assert_string_equal(cell_at(s, 4, 4)->str, "Hà Tĩnh, ngày 11 tháng 12 năm 2026");
	assert_string_equal(cell_at(s, 6, 1)->str, "BÁO CÁO");
	assert_string_equal(cell_at(s, 7, 1)->str, doc.subject);
	assert_string_equal(cell_at(s, 8, 1)->str,
			    "Bản chính thức (số liệu tại 11 giờ 00, ngày 11/12/2026)");
	assert_true(number_right_of(s, find_in_col(s, 1, "Số đơn vị phải báo cáo"), 3) == 8);
	assert_true(number_right_of(s, find_in_col(s, 1, "Đúng hạn"), 3) == 3);
	assert_true(number_right_of(s, find_in_col(s, 1, "Nộp muộn"), 3) == 2);
	assert_true(number_right_of(s, find_in_col(s, 1, "Chưa báo cáo"), 3) == 2);
	assert_true(number_right_of(s, find_in_col(s, 1, "Trả lại để bổ sung"), 3) == 1);
	assert_true(number_right_of(s, find_in_col(s, 1, "Nộp muộn"), 4) == 0.25);
	assert_true(number_right_of(s, find_in_col(s, 1, "Chưa hoàn thành quá hạn"), 3) == 2);
	assert_true(number_right_of(s, find_in_col(s, 1, "Tổng số"), 3) == 11);
	for (size_t i = 0; i < doc.nunits; i++) {
		const struct consol_unit *u = &doc.units[i];
		const struct rcell *name = find_in_col(s, 2, u->name);
		assert_non_null(name);
		assert_true(number_right_of(s, name, 1) == (double)(i + 1));
		assert_string_equal(cell_at(s, name->row, 3)->str, consol_state_label_vi(u->state));
		for (int k = 0; k < 4; k++)
			assert_true(number_right_of(s, name, 5 + k) == u->status_counts[k]);
		/* the document's line, beside the comment; nothing for a unit that sent nothing */
		const struct rcell *docline = cell_at(s, name->row, 11);
		if (u->version == 0)
			assert_true(docline == NULL || docline->str == NULL || !docline->str[0]);
		else
			assert_string_equal(docline->str, u->document);
	}
	assert_non_null(find_in_col(s, 11, "Văn bản, chữ ký số"));

	/* Chi tiết: every item once, under its unit's row; the late unit says so. */
	s = &b.sheets[1];
	for (size_t i = 0; i < doc.nunits; i++)
		for (size_t k = 0; k < doc.units[i].nitems; k++) {
			const struct consol_item *it = &doc.units[i].items[k];
			assert_int_equal(count_in_col(s, 2, it->task_code), 1);
			const struct rcell *code = find_in_col(s, 2, it->task_code);
			assert_string_equal(cell_at(s, code->row, 5)->str,
					    task_status_label_vi(it->status));
		}
	assert_non_null(find_in_col(s, 1, "Sở Tài chính (nộp muộn)"));
	assert_non_null(find_in_col(s, 1, "Sở Giáo dục và Đào tạo (trả lại để bổ sung)"));
	assert_null(find_in_col(s, 1, "Sở Y tế"));

	/* Chậm tiến độ: the overdue and behind items only. */
	s = &b.sheets[2];
	assert_int_equal(count_in_col(s, 2, "NQ57-03"), 1);
	assert_int_equal(count_in_col(s, 2, "NQ57-08"), 1);
	assert_int_equal(count_in_col(s, 2, "NQ57-09"), 1);
	assert_null(find_in_col(s, 2, "NQ57-01"));

	/* Kiến nghị: the items' and the units' general difficulties and proposals. */
	s = &b.sheets[3];
	assert_non_null(find_in_col(s, 4, "Thiếu máy quét tốc độ cao."));
	assert_non_null(find_in_col(s, 5, "Đề nghị tỉnh ưu tiên tuyển dụng kỹ sư công nghệ thông tin."));
	assert_null(find_in_col(s, 2, "NQ57-01"));

	/* Chưa báo cáo: the two missing units with their contacts. */
	s = &b.sheets[4];
	const struct rcell *syt = find_in_col(s, 2, "SYT");
	assert_non_null(syt);
	assert_string_equal(cell_at(s, syt->row, 5)->str,
			    "syt@hatinh.gov.vn; giamdoc.syt@hatinh.gov.vn");
	assert_string_equal(cell_at(s, syt->row, 4)->str, "Sở, ban, ngành");
	assert_non_null(find_in_col(s, 2, "X-THACH-HA"));
	assert_null(find_in_col(s, 2, "SNV"));

	/* Đánh giá: a row per paragraph, the approval, "Nơi nhận:". */
	s = &b.sheets[5];
	assert_non_null(find_in_col(s, 1, "Nhiệm vụ số hóa hồ sơ và kết nối cơ sở dữ liệu còn chậm "
				    "do thiếu thiết bị và hướng dẫn kỹ thuật."));
	assert_non_null(find_in_col(s, 1, "Phê duyệt: Nguyễn Văn Hùng, lúc 14 giờ 05, ngày "
				    "11/12/2026"));
	assert_non_null(find_in_col(s, 1, "Nơi nhận:"));
	assert_non_null(find_in_col(s, 1, "- Văn phòng Tỉnh ủy;"));
	assert_non_null(find_in_col(s, 1, "- Lưu: VT, SKHCN."));

	/* Chuyên cần: marks, counts and the rate as numbers (Sở Nội vụ: 5 on time of 6). */
	s = &b.sheets[6];
	const struct rcell *snv = find_in_col(s, 2, "Sở Nội vụ");
	assert_non_null(snv);
	assert_string_equal(cell_at(s, snv->row, 5)->str, "M");
	assert_true(number_right_of(s, snv, 9) == 5);
	assert_true(number_right_of(s, snv, 10) == 1);
	assert_true(number_right_of(s, snv, 11) == 0);
	assert_true(number_right_of(s, snv, 12) == 5.0 / 6);
	const struct rcell *sgd = find_in_col(s, 2, "Sở Giáo dục và Đào tạo");
	assert_null(cell_at(s, sgd->row, 3));	/* not required: no mark */
	assert_true(number_right_of(s, sgd, 12) == 3.0 / 4);
	assert_non_null(find_text(s, "Ký hiệu: Đ - nộp đúng hạn; M - nộp muộn; K - không nộp"));

	rbook_free(&b);
	free(data);
	consol_doc_free(&doc);
}

/* The edition's line, the party header's number, the approval, for each kind. */
static void test_editions(void **state)
{
	static const struct {
		enum consol_header header;
		enum consol_edition edition;
		int version;
		bool automatic;
		const char *edition_line, *number, *top_right, *approval;
	} cases[] = {
		{ CONSOL_HEADER_STATE, CONSOL_LIVE, 0, false,
		  "Số liệu trực tiếp tại 11 giờ 00, ngày 11/12/2026 (chưa khóa sổ, chưa phê duyệt)",
		  "Số: ......./BC-SKHCN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		  "Phê duyệt: Chưa phê duyệt" },
		{ CONSOL_HEADER_STATE, CONSOL_CUTOFF, 0, false,
		  "Bản dự thảo tại thời điểm khóa sổ 11 giờ 00, ngày 11/12/2026",
		  "Số: ......./BC-SKHCN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		  "Phê duyệt: Chưa phê duyệt" },
		{ CONSOL_HEADER_STATE, CONSOL_FINAL, 1, true,
		  "Bản chính thức (số liệu tại 11 giờ 00, ngày 11/12/2026)",
		  "Số: ......./BC-SKHCN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		  "Phê duyệt: Tự động (không có phê duyệt trước thời hạn)" },
		{ CONSOL_HEADER_PARTY, CONSOL_FINAL, 3, false,
		  "Bản bổ sung lần 2 (số liệu tại 11 giờ 00, ngày 11/12/2026)",
		  "Số 127-BC/VPTU", "ĐẢNG CỘNG SẢN VIỆT NAM",
		  "Phê duyệt: Nguyễn Văn Hùng, lúc 14 giờ 05, ngày 11/12/2026" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct consol_doc doc;
		fixture_doc(&doc, cases[i].header, cases[i].edition, cases[i].version);
		doc.automatic = cases[i].automatic;
		size_t len;
		unsigned char *data = write_doc(&doc, &len);
		struct rbook b;
		rbook_read(data, len, &b);
		for (size_t k = 0; k < b.nsheets; k++) {	/* every sheet prints as a document */
			const struct rsheet *s = &b.sheets[k];
			assert_string_equal(cell_at(s, 1, 1)->str, doc.parent_body);
			assert_string_equal(cell_at(s, 4, 1)->str, cases[i].number);
			assert_non_null(find_text(s, cases[i].top_right));
			assert_string_equal(cell_at(s, 8, 1)->str, cases[i].edition_line);
		}
		if (cases[i].header == CONSOL_HEADER_PARTY) {
			assert_string_equal(cell_at(&b.sheets[0], 3, 1)->str, "*");
			assert_null(find_text(&b.sheets[0], "Độc lập"));
		}
		assert_non_null(find_in_col(&b.sheets[5], 1, cases[i].approval));
		rbook_free(&b);
		free(data);
		consol_doc_free(&doc);
	}
}

/* Texts past Excel's 32,767 characters are cut on a character boundary with "…". */
static void test_long_text(void **state)
{
	struct strbuf ascii = STRBUF_INIT, vn = STRBUF_INIT;
	for (int i = 0; i < 32766; i++)
		strbuf_addc(&ascii, 'a');
	strbuf_adds(&ascii, "😀 and more");	/* two UTF-16 units: no room left for it */
	for (int i = 0; i < 40000; i++)
		strbuf_adds(&vn, "ế");

	struct consol_xlsx w = { 0 };
	const char *cut = consol_xlsx_text(&w, strbuf_str(&ascii));
	assert_int_equal(strlen(cut), 32766 + strlen("…"));
	assert_true(str_has_suffix(cut, "a…"));
	cut = consol_xlsx_text(&w, strbuf_str(&vn));
	assert_int_equal(utf8_length(cut), 32767);
	assert_true(str_has_suffix(cut, "ế…"));
	assert_true(xmltext_valid(cut, strlen(cut)));
	assert_string_equal(consol_xlsx_text(&w, "ngắn"), "ngắn");
	strbuf_free(&w.x.cut);

	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	free(doc.units[0].items[0].result);
	doc.units[0].items[0].result = strbuf_detach(&vn);
	free(doc.assessment);
	doc.assessment = strbuf_detach(&ascii);	/* a merged cell */
	free(doc.series_name);
	doc.series_name = xstrdup("a&b");	/* '&' in the footer */
	size_t len;
	unsigned char *data = write_doc(&doc, &len);
	struct rbook b;
	rbook_read(data, len, &b);
	const struct rcell *c = find_text(&b.sheets[1], "ếế…");
	assert_non_null(c);
	assert_int_equal(utf8_length(c->str), 32767);
	c = find_text(&b.sheets[5], "aa…");
	assert_non_null(c);
	assert_int_equal(utf8_length(c->str), 32767);
	rbook_free(&b);
	free(data);
	consol_doc_free(&doc);
}

/* A report with nothing in it: no units, groups or history, NULL and empty texts. */
static void test_empty(void **state)
{
	struct consol_doc doc = { .header = CONSOL_HEADER_STATE, .edition = CONSOL_LIVE,
				  .assessment = xstrdup(""), .created = FIXTURE_CREATED };
	size_t len;
	unsigned char *data = write_doc(&doc, &len);
	struct rbook b;
	rbook_read(data, len, &b);
	assert_int_equal(b.nsheets, 7);
	assert_non_null(find_text(&b.sheets[0], "Không có đơn vị nào phải báo cáo trong kỳ."));
	assert_non_null(find_text(&b.sheets[4], "Tất cả các đơn vị đã gửi báo cáo."));
	assert_non_null(find_text(&b.sheets[5], "(Chưa có đánh giá.)"));
	rbook_free(&b);
	free(data);
	consol_doc_free(&doc);

	/* A unit of no listed group, without items, emails or history. */
	struct consol_unit *u = xcalloc(1, sizeof *u);
	u->name = xstrdup("Đơn vị lẻ");
	u->state = CONSOL_ON_TIME;
	struct consol_doc one = { .units = u, .nunits = 1, .nhistory = 1,
				  .created = FIXTURE_CREATED };
	data = write_doc(&one, &len);
	rbook_read(data, len, &b);
	assert_non_null(find_text(&b.sheets[0], "Đơn vị lẻ"));
	assert_non_null(find_text(&b.sheets[1], "Đơn vị không có nhiệm vụ trong kỳ báo cáo."));
	rbook_free(&b);
	free(data);
	consol_doc_free(&one);
}

/* Line estimates: explicit breaks, wrapping by words, a word longer than a line. */
static void test_lines(void **state)
{
	assert_int_equal(consol_xlsx_lines(NULL, 10, 12), 1);
	assert_int_equal(consol_xlsx_lines("", 10, 12), 1);
	assert_int_equal(consol_xlsx_lines("a\nb\n\nc", 40, 12), 4);
	assert_int_equal(consol_xlsx_lines("Đúng hạn", 40, 12), 1);
	/* About 40 characters a line at 12 pt in a column 36 wide: 81 take two, or three in a
	 * column 30 wide; capitals and digits are wider. */
	assert_int_equal(consol_xlsx_lines("một hai ba bốn năm sáu bảy tám chín mười một hai ba "
					   "bốn năm sáu bảy tám chín mười", 36, 12), 2);
	assert_int_equal(consol_xlsx_lines("một hai ba bốn năm sáu bảy tám chín mười một hai ba "
					   "bốn năm sáu bảy tám chín mười", 30, 12), 3);
	assert_int_equal(consol_xlsx_lines("X-THACH-HA", 10, 12), 2);
	assert_int_equal(consol_xlsx_lines("x-thach-ha", 10, 12), 1);
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 100; i++)
		strbuf_addc(&sb, 'x');
	assert_int_equal(consol_xlsx_lines(strbuf_str(&sb), 36, 12), 3);	/* 40 a line */
	strbuf_free(&sb);
}

/* ---- the golden parts ---- */

/* An XML part with a line break between elements, so that differences show line by line. */
static char *normalise(const char *xml, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < len; i++) {
		strbuf_addc(&sb, xml[i]);
		if (xml[i] == '>' && i + 1 < len && xml[i + 1] == '<')
			strbuf_addc(&sb, '\n');
	}
	strbuf_addc(&sb, '\n');
	return strbuf_detach(&sb);
}

/* The golden file of a part, at the part's path under GOLDEN_DIR. */
static char *golden_path(const char *part)
{
	return xasprintf("%s/%s", GOLDEN_DIR, part);
}

/* Creates the folders of a path (for writing the golden files). */
static void make_parents(const char *path)
{
	char *dir = xstrdup(path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	free(dir);
}

/* Reads a zip entry whole. */
static char *zip_read(zip_t *za, zip_uint64_t i, size_t *len)
{
	zip_stat_t st;
	assert_int_equal(zip_stat_index(za, i, 0, &st), 0);
	char *buf = xmalloc(st.size + 1);
	zip_file_t *zf = zip_fopen_index(za, i, 0);
	assert_non_null(zf);
	assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
	assert_int_equal(zip_fclose(zf), 0);
	buf[st.size] = '\0';
	*len = st.size;
	return buf;
}

/* Writes a file, creating nothing but the file. */
static void write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/*
 * The fixture's workbook, part by part, against tests/unit/data/consolidated/: parts.txt lists
 * the zip's entries in order, each XML part is compared with one element a line, the picture
 * byte for byte. BAOCAO_REGENERATE_GOLDEN=1 writes the files instead (then review the diff).
 */
static void test_golden(void **state)
{
	struct consol_doc doc;
	fixture_doc(&doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	size_t len;
	unsigned char *data = write_doc(&doc, &len);
	const char *regen = getenv("BAOCAO_REGENERATE_GOLDEN");
	bool write = regen != NULL && strcmp(regen, "1") == 0;

	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	assert_non_null(src);
	zip_t *za = zip_open_from_source(src, ZIP_RDONLY, &ze);
	assert_non_null(za);
	struct strbuf parts = STRBUF_INIT;
	zip_int64_t n = zip_get_num_entries(za, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
		assert_non_null(name);
		strbuf_addf(&parts, "%s\n", name);
		size_t plen;
		char *part = zip_read(za, (zip_uint64_t)i, &plen);
		bool xml = str_has_suffix(name, ".xml") || str_has_suffix(name, ".rels");
		char *want = xml ? normalise(part, plen) : NULL;
		size_t want_len = xml ? strlen(want) : plen;
		const char *bytes = xml ? want : part;
		char *path = golden_path(name);
		if (write) {
			make_parents(path);
			write_file(path, bytes, want_len);
		} else {
			char *golden;
			size_t golden_len;
			if (file_read_all(path, 16u << 20, &golden, &golden_len) != 0)
				fail_msg("cannot read %s: %s", path, strerror(errno));
			if (golden_len != want_len || memcmp(golden, bytes, want_len) != 0)
				fail_msg("%s differs from %s (BAOCAO_REGENERATE_GOLDEN=1 rewrites it)",
					 name, path);
			free(golden);
		}
		free(path);
		free(want);
		free(part);
	}
	zip_close(za);	/* read-only: frees the source and the archive */
	char *list = xasprintf("%s/parts.txt", GOLDEN_DIR);
	if (write) {
		make_parents(list);
		write_file(list, strbuf_str(&parts), parts.len);
	} else {
		char *golden;
		size_t golden_len;
		assert_int_equal(file_read_all(list, 1u << 20, &golden, &golden_len), 0);
		assert_int_equal(golden_len, parts.len);
		assert_memory_equal(golden, parts.data, parts.len);
		free(golden);
	}
	free(list);
	strbuf_free(&parts);
	free(data);
	consol_doc_free(&doc);
}

/* Runs the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_sheet_names),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_batched),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_editions),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_golden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
