/* Reading a workbook upload: the report sheet's rows, the meta sheet, the general sheet. */
#include "intake.h"
#include "intake_check.h"
#include "util.h"
#include "workbook.h"
#include "xlsx_read.h"
#include "xmltext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 200000

struct cellv {
	uint32_t row, col;
	enum xlsx_type type;
	char *text;
	char *nul;		/* a text with NUL bytes (_x0000_), which text ends at: its refusal */
	double num;
	bool boolean;
	struct xlsx_datetime dt;
};

struct grid {
	struct cellv *v;
	size_t n;
	bool overflow;
};

/* Reader callback: keeps a copy of each cell. */
static bool grid_collect(const struct xlsx_cell *c, void *arg)
{
	struct grid *g = arg;
	if (g->n >= MAX_CELLS) {
		g->overflow = true;
		return false;
	}
	if ((g->n & (g->n - 1)) == 0)	/* grow at powers of two */
		g->v = xrealloc(g->v, (g->n ? g->n * 2 : 64) * sizeof *g->v);
	struct cellv *v = &g->v[g->n++];
	memset(v, 0, sizeof *v);
	v->row = c->row;
	v->col = c->col;
	v->type = c->type;
	v->num = c->num;
	v->boolean = c->boolean;
	v->dt = c->dt;
	if (c->type == XLSX_STRING || c->type == XLSX_ERROR)
		v->text = xstrndup(c->str, c->len);
	if (c->type == XLSX_STRING && memchr(c->str, '\0', c->len) != NULL)
		v->nul = xmltext_refusal(NULL, c->str, c->len);
	return true;
}

/* Frees a grid. */
static void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].text);
		free(g->v[i].nul);
	}
	free(g->v);
	memset(g, 0, sizeof *g);
}

/* Reads one sheet into a grid; returns the reader's result. */
static enum xlsx_error grid_read(struct xlsx *x, size_t sheet, struct grid *g)
{
	memset(g, 0, sizeof *g);
	return xlsx_sheet_read(x, sheet, grid_collect, g);
}

/* A cell's value as text (new string): numbers shortest, dates dd/mm/yyyy. */
static char *cell_text(const struct cellv *c)
{
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		return xstrdup(c->text);
	case XLSX_BOOL:
		return xstrdup(c->boolean ? "TRUE" : "FALSE");
	case XLSX_DATE:
		return xasprintf("%02d/%02d/%04d", c->dt.day, c->dt.month, c->dt.year);
	case XLSX_NUMBER: {
		char buf[40];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, c->num);
			if (strtod(buf, NULL) == c->num)
				break;
		}
		return xstrdup(buf);
	}
	}
	return xstrdup("");
}

/* Folded text of a cell, for matching titles; never NULL. */
static char *cell_folded(const struct cellv *c)
{
	char *t = cell_text(c);
	char *f = task_fold(t);
	free(t);
	return f ? f : xstrdup("");
}

/* Parses a whole number 0..999 written as text, allowing a trailing '%'. */
static bool parse_progress_text(const char *s, double *out)
{
	char *t = str_trim(xstrdup(s));
	size_t n = strlen(t);
	if (n > 0 && t[n - 1] == '%') {
		t[--n] = '\0';
		str_trim(t);
		n = strlen(t);
	}
	bool ok = n > 0 && n <= 3;
	for (size_t i = 0; ok && i < n; i++)
		ok = t[i] >= '0' && t[i] <= '9';
	if (ok)
		*out = atof(t);
	free(t);
	return ok;
}

/* Parses a date written as text: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd. */
static bool parse_date_text(const char *s, cal_day *out)
{
	int a, b, c, n = 0;
	char sep1, sep2;
	char *t = str_trim(xstrdup(s));
	bool ok = false;
	if (sscanf(t, "%d%c%d%c%d%n", &a, &sep1, &b, &sep2, &c, &n) == 5 && t[n] == '\0' &&
	    sep1 == sep2 && (sep1 == '/' || sep1 == '-' || sep1 == '.')) {
		if (a > 31 && sep1 == '-' && cal_ymd_valid(a, b, c)) {
			*out = cal_from_ymd(a, b, c);
			ok = true;
		} else if (c >= 1900 && cal_ymd_valid(c, b, a)) {
			*out = cal_from_ymd(c, b, a);
			ok = true;
		}
	}
	free(t);
	return ok;
}

/* Finds a cell of a row in a row-major grid slice [from, to). */
static const struct cellv *row_cell(const struct grid *g, size_t from, size_t to, int col)
{
	for (size_t i = from; i < to; i++)
		if ((int)g->v[i].col == col)
			return &g->v[i];
	return NULL;
}

/* Whether a cell is absent or holds only white space. */
static bool cell_blank(const struct cellv *c)
{
	if (c == NULL)
		return true;
	if (c->type != XLSX_STRING)
		return false;
	for (const char *p = c->text; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

/* Finds the header row: returns its index range start in the grid and fills cols; -1 if none. */
static long find_header(const struct grid *g, int cols[WB_NCOLS], uint32_t *header_row)
{
	char *titles[WB_NCOLS];
	for (int k = 0; k < WB_NCOLS; k++) {
		titles[k] = task_fold(wb_column_titles[k]);
		if (titles[k] == NULL)
			titles[k] = xstrdup(wb_column_titles[k]);
	}
	long found = -1;
	size_t i = 0;
	while (i < g->n && found < 0) {
		size_t j = i;
		while (j < g->n && g->v[j].row == g->v[i].row)
			j++;
		int tmp[WB_NCOLS] = { 0 };
		int matched = 0;
		for (size_t k = i; k < j; k++) {
			if (g->v[k].type != XLSX_STRING)
				continue;
			char *f = cell_folded(&g->v[k]);
			for (int t = 0; t < WB_NCOLS; t++) {
				if (tmp[t] == 0 && strcmp(f, titles[t]) == 0) {
					tmp[t] = (int)g->v[k].col;
					matched++;
					break;
				}
			}
			free(f);
		}
		if (tmp[WB_COL_CODE] && tmp[WB_COL_STATUS] && matched >= 4) {
			memcpy(cols, tmp, sizeof tmp);
			*header_row = g->v[i].row;
			found = (long)j;
		}
		i = j;
	}
	for (int k = 0; k < WB_NCOLS; k++)
		free(titles[k]);
	return found;
}

/* Reads the report rows after the header. */
static void read_rows(struct intake_context *ctx, const char *sheet, const struct grid *g,
		      size_t start, const int cols[WB_NCOLS], bool date1904,
		      struct intake_report *out, struct intake_errors *e)
{
	static const enum wb_column inputs[] = { WB_COL_STATUS, WB_COL_PROGRESS, WB_COL_COMPLETED,
						 WB_COL_RESULT, WB_COL_DIFFICULTIES,
						 WB_COL_PROPOSALS, WB_COL_NOTE };
	size_t i = start;
	while (i < g->n) {
		size_t j = i;
		while (j < g->n && g->v[j].row == g->v[i].row)
			j++;
		struct loc l = { .json = false, .sheet = sheet, .row = g->v[i].row };
		memcpy(l.col, cols, sizeof l.col);
		const struct cellv *c[WB_NCOLS] = { 0 };
		for (int k = 0; k < WB_NCOLS; k++)
			if (cols[k])
				c[k] = row_cell(g, i, j, cols[k]);
		bool has_input = false;
		for (size_t k = 0; k < nitems(inputs); k++) {
			const struct cellv *v = c[inputs[k]];
			if (v && v->type == XLSX_ERROR)
				intake_err_at(e, &l, inputs[k], "Ô chứa lỗi công thức (%s): hãy sửa hoặc xoá "
				       "công thức.", v->text);
			if (v && v->nul != NULL)
				intake_err_at(e, &l, inputs[k], "%s", v->nul);
			has_input |= !cell_blank(v);
		}
		if (cell_blank(c[WB_COL_CODE])) {
			if (has_input)
				intake_err_add(e, sheet, NULL, NULL, "Dòng %u có nội dung nhưng không có mã nhiệm "
					"vụ: hãy ghi lại mã nhiệm vụ hoặc xoá dòng này.", l.row);
			i = j;
			continue;
		}
		char *text[WB_NCOLS] = { 0 };
		for (int k = 0; k < WB_NCOLS; k++)
			text[k] = c[k] && c[k]->type != XLSX_ERROR ? cell_text(c[k]) : xstrdup("");
		struct raw_item raw = { .code = text[WB_COL_CODE], .status = text[WB_COL_STATUS],
					.result = text[WB_COL_RESULT],
					.difficulties = text[WB_COL_DIFFICULTIES],
					.proposals = text[WB_COL_PROPOSALS], .note = text[WB_COL_NOTE],
					.date_text = text[WB_COL_COMPLETED] };
		const struct cellv *pc = c[WB_COL_PROGRESS];
		if (!cell_blank(pc) && pc->type != XLSX_ERROR) {
			raw.progress_given = true;
			if (pc->type == XLSX_NUMBER) {
				raw.progress = pc->num;
				/* Whole, tested without converting: a cell may hold 1E+300. */
				raw.progress_ok = isfinite(pc->num) && pc->num == floor(pc->num);
			} else if (pc->type == XLSX_STRING) {
				raw.progress_ok = parse_progress_text(pc->text, &raw.progress);
			}
		}
		const struct cellv *dc = c[WB_COL_COMPLETED];
		if (!cell_blank(dc) && dc->type != XLSX_ERROR) {
			raw.date_given = true;
			struct xlsx_datetime dt;
			if (dc->type == XLSX_DATE) {
				dt = dc->dt;
				raw.date_ok = cal_ymd_valid(dt.year, dt.month, dt.day);
			} else if (dc->type == XLSX_NUMBER && dc->num >= 1 && dc->num < 2958466 &&
				   xlsx_serial_to_datetime(dc->num, date1904, &dt)) {
				raw.date_ok = cal_ymd_valid(dt.year, dt.month, dt.day);
			} else if (dc->type == XLSX_STRING) {
				raw.date_ok = parse_date_text(dc->text, &raw.date);
				dt.year = 0;
			}
			if (raw.date_ok && dc->type != XLSX_STRING)
				raw.date = cal_from_ymd(dt.year, dt.month, dt.day);
		}
		intake_check_item(ctx, &raw, &l, out, e);
		for (int k = 0; k < WB_NCOLS; k++)
			free(text[k]);
		i = j;
	}
}

/* The five values of the meta sheet (WB_META_UNIT, ..., WB_META_MAC, in that order; NULL
 * when absent, else new strings) and the cells they are in; the reader's result. */
static enum xlsx_error meta_values(struct xlsx *x, size_t sheet, char *val[5],
				   char ref[5][XLSX_REF_MAX])
{
	static const char *const keys[5] = { WB_META_UNIT, WB_META_SERIES, WB_META_PERIOD,
					     WB_META_VERSION, WB_META_MAC };
	for (int k = 0; k < 5; k++) {
		val[k] = NULL;
		ref[k][0] = '\0';
	}
	struct grid g;
	enum xlsx_error rc = grid_read(x, sheet, &g);
	if (rc != XLSX_OK) {
		grid_free(&g);
		return rc;
	}
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].col != 1 || g.v[i].type != XLSX_STRING)
			continue;
		size_t end = i + 1;
		while (end < g.n && g.v[end].row == g.v[i].row)
			end++;
		for (int k = 0; k < 5; k++) {
			if (val[k] != NULL || strcmp(g.v[i].text, keys[k]) != 0)
				continue;
			const struct cellv *b = row_cell(&g, i, end, 2);
			if (b) {
				val[k] = cell_text(b);
				xlsx_ref_format(b->row, 2, ref[k]);
			}
		}
	}
	grid_free(&g);
	return XLSX_OK;
}

/* Reads the meta sheet and checks that the workbook is this unit's, series' and period's. */
static void check_meta(struct intake_context *ctx, struct xlsx *x, size_t sheet,
		       struct intake_errors *e)
{
	char *val[5];
	char ref[5][XLSX_REF_MAX];
	if (meta_values(x, sheet, val, ref) != XLSX_OK) {
		intake_err_add(e, WB_META_SHEET, NULL, NULL, "Không đọc được phần nhận dạng ẩn của biểu mẫu: "
			"hãy tải biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
		return;
	}
	const char *ms = WB_META_SHEET;
	if (!val[0] || !val[1] || !val[2] || !val[3] || !val[4]) {
		/* Present but incomplete: someone removed part of it; a program that drops hidden
		 * sheets drops all of it, and that is accepted. */
		intake_err_add(e, ms, NULL, NULL, "Phần nhận dạng ẩn của biểu mẫu không đầy đủ: hãy tải "
			"biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
	} else if (atoi(val[3]) != WB_TEMPLATE_VERSION) {
		intake_err_add(e, ms, ref[3], NULL, "Biểu mẫu này thuộc phiên bản %s, không còn được hỗ trợ: "
			"hãy tải biểu mẫu mới của kỳ %s và nhập lại.", val[3], ctx->period->id);
	} else if (!wb_mac_ok(ctx->mac_key, val[0], val[1], val[2], atoi(val[3]), val[4])) {
		intake_err_add(e, ms, ref[4], NULL, "Phần nhận dạng ẩn của biểu mẫu đã bị sửa đổi: hãy tải "
			"biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
	} else {
		if (strcmp(val[0], ctx->unit_code) != 0) {
			char *other = ctx->other_unit_name ? ctx->other_unit_name(ctx->unit_name_arg, val[0]) : NULL;
			intake_err_add(e, ms, ref[0], NULL, "Biểu mẫu này là của %s (%s), không phải của %s "
				"(%s): hãy tải và gửi biểu mẫu của đơn vị mình.",
				other ? other : val[0], val[0], ctx->unit_name, ctx->unit_code);
			free(other);
		}
		if (strcmp(val[1], ctx->series->name) != 0)
			intake_err_add(e, ms, ref[1], NULL, "Biểu mẫu này thuộc loại báo cáo %s, không phải "
				"%s: hãy tải đúng biểu mẫu.", val[1], ctx->series->name);
		if (strcmp(val[2], ctx->period->id) != 0)
			intake_err_add(e, ms, ref[2], NULL, "Biểu mẫu này dành cho kỳ %s, nhưng đang gửi cho "
				"kỳ %s: hãy tải biểu mẫu của kỳ %s.", val[2], ctx->period->id,
				ctx->period->id);
	}
	for (int k = 0; k < 5; k++)
		free(val[k]);
}

/* Reads the general difficulties and proposals sheet. */
static void read_general(struct intake_context *ctx, struct xlsx *x, size_t sheet,
			 struct intake_report *out, struct intake_errors *e)
{
	struct grid g;
	if (grid_read(x, sheet, &g) != XLSX_OK) {
		intake_err_add(e, WB_GENERAL_SHEET, NULL, NULL, "Không đọc được trang %s: hãy lưu lại tệp "
			"rồi gửi lại.", WB_GENERAL_SHEET);
		grid_free(&g);
		return;
	}
	char *labels[2] = { task_fold(WB_GENERAL_DIFFICULTIES), task_fold(WB_GENERAL_PROPOSALS) };
	char **dest[2] = { &out->general_difficulties, &out->general_proposals };
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].col != 1)
			continue;
		char *f = cell_folded(&g.v[i]);
		for (int k = 0; k < 2; k++) {
			if (labels[k] == NULL || strcmp(f, labels[k]) != 0 || *dest[k])
				continue;
			const struct cellv *b = row_cell(&g, i, g.n, 2);
			struct loc l = { .json = false, .sheet = WB_GENERAL_SHEET, .row = g.v[i].row };
			l.col[WB_COL_RESULT] = 2;
			if (b && b->row == g.v[i].row && b->nul != NULL)
				intake_err_at(e, &l, WB_COL_RESULT, "%s", b->nul);
			char *t = b && b->row == g.v[i].row ? cell_text(b) : xstrdup("");
			intake_take_text(ctx, t, dest[k], &l, WB_COL_RESULT, e);
			free(t);
		}
		free(f);
	}
	free(labels[0]);
	free(labels[1]);
	grid_free(&g);
}

/* The reader's limits for an upload: a unit's weekly workbook is tens of KiB and inflates to
 * well under a MiB; these leave room for a hundredfold while bounding what one upload costs. */
void intake_xlsx_limits(struct xlsx_limits *l)
{
	xlsx_limits_default(l);
	l->max_file_size = 64ull << 20;
	l->max_entries = 200;
	l->max_entry_size = 32ull << 20;
	l->max_total_size = 64ull << 20;
	l->max_shared_strings = 200000;
	l->max_shared_bytes = 16ull << 20;
	l->max_sheets = 50;
}

/* Reads and checks a workbook upload. */
void intake_read_xlsx(struct intake_context *ctx, const void *data, size_t len,
		      struct intake_report *out, struct intake_errors *errs)
{
	memset(out, 0, sizeof *out);
	struct xlsx *x = NULL;
	char *detail = NULL;
	struct xlsx_limits limits;
	intake_xlsx_limits(&limits);
	enum xlsx_error rc = xlsx_open_memory(data, len, &limits, &x, &detail);
	free(detail);
	if (rc != XLSX_OK) {
		intake_err_add(errs, NULL, NULL, NULL, "%s", xlsx_error_message(rc));
		return;
	}
	size_t nsheets = xlsx_sheet_count(x);
	size_t report = (size_t)-1, general = (size_t)-1, meta = (size_t)-1;
	for (size_t i = 0; i < nsheets; i++) {
		const char *name = xlsx_sheet_name(x, i);
		if (xlsx_sheet_kind(x, i) != XLSX_WORKSHEET)
			continue;
		if (strcmp(name, WB_REPORT_SHEET) == 0 && report == (size_t)-1)
			report = i;
		else if (strcmp(name, WB_GENERAL_SHEET) == 0 && general == (size_t)-1)
			general = i;
		else if (strcmp(name, WB_META_SHEET) == 0 && meta == (size_t)-1)
			meta = i;
	}
	struct grid g = { 0 };
	int cols[WB_NCOLS] = { 0 };
	uint32_t header_row = 0;
	long start = -1;
	const char *sheet_name = WB_REPORT_SHEET;
	/* The report sheet by name, or else the first worksheet with the header row. */
	for (size_t pass = 0; pass <= nsheets && start < 0; pass++) {
		size_t i = pass == 0 ? report : pass - 1;
		if (i == (size_t)-1 || (pass > 0 && (i == report || i == meta || i == general ||
						     xlsx_sheet_kind(x, i) != XLSX_WORKSHEET)))
			continue;
		grid_free(&g);
		rc = grid_read(x, i, &g);
		if (rc != XLSX_OK && !(rc == XLSX_ERR_STOPPED && g.overflow)) {
			intake_err_add(errs, xlsx_sheet_name(x, i), NULL, NULL, "%s", xlsx_error_message(rc));
			goto out;
		}
		if (g.overflow) {
			intake_err_add(errs, xlsx_sheet_name(x, i), NULL, NULL, "Trang tính có quá nhiều ô "
				"(hơn %d): hãy chỉ giữ bảng báo cáo rồi gửi lại.", MAX_CELLS);
			goto out;
		}
		start = find_header(&g, cols, &header_row);
		if (start >= 0)
			sheet_name = xlsx_sheet_name(x, i);
	}
	if (start < 0) {
		intake_err_add(errs, WB_REPORT_SHEET, NULL, NULL, "Không tìm thấy dòng tiêu đề của bảng báo "
			"cáo (các cột “%s”, “%s”, ...): hãy dùng biểu mẫu tải từ hệ thống và không "
			"đổi tên các cột.", wb_column_titles[WB_COL_CODE],
			wb_column_titles[WB_COL_STATUS]);
		goto out;
	}
	static const enum wb_column required[] = { WB_COL_PROGRESS, WB_COL_COMPLETED,
						   WB_COL_RESULT };
	for (size_t k = 0; k < nitems(required); k++) {
		if (cols[required[k]] == 0)
			intake_err_add(errs, sheet_name, NULL, NULL, "Thiếu cột “%s” ở dòng tiêu đề %u: hãy "
				"thêm lại cột này hoặc tải biểu mẫu mới.",
				wb_column_titles[required[k]], header_row);
	}
	read_rows(ctx, sheet_name, &g, (size_t)start, cols, xlsx_date1904(x), out, errs);
	intake_check_missing(ctx, sheet_name, false, errs);
	if (general != (size_t)-1)
		read_general(ctx, x, general, out, errs);
	if (meta != (size_t)-1)
		check_meta(ctx, x, meta, errs);
out:
	grid_free(&g);
	xlsx_close(x);
}

/* Says which unit, series and period a workbook is for, from its meta sheet. */
enum intake_identify intake_identify_xlsx(const void *data, size_t len,
					  const unsigned char *mac_key,
					  struct intake_identity *out, char **detail)
{
	memset(out, 0, sizeof *out);
	*detail = NULL;
	struct xlsx *x = NULL;
	char *why = NULL;
	struct xlsx_limits limits;
	intake_xlsx_limits(&limits);
	enum xlsx_error rc = xlsx_open_memory(data, len, &limits, &x, &why);
	free(why);
	if (rc != XLSX_OK) {
		*detail = xstrdup(xlsx_error_message(rc));
		return INTAKE_ID_UNREADABLE;
	}
	size_t meta = (size_t)-1;
	for (size_t i = 0; i < xlsx_sheet_count(x) && meta == (size_t)-1; i++)
		if (xlsx_sheet_kind(x, i) == XLSX_WORKSHEET &&
		    strcmp(xlsx_sheet_name(x, i), WB_META_SHEET) == 0)
			meta = i;
	if (meta == (size_t)-1) {
		xlsx_close(x);
		return INTAKE_ID_NONE;
	}
	char *val[5];
	char ref[5][XLSX_REF_MAX];
	rc = meta_values(x, meta, val, ref);
	xlsx_close(x);
	enum intake_identify result = INTAKE_ID_OK;
	if (rc != XLSX_OK) {
		*detail = xstrdup(xlsx_error_message(rc));
		result = INTAKE_ID_UNREADABLE;
	} else if (!val[0] || !val[1] || !val[2] || !val[3] || !val[4]) {
		result = INTAKE_ID_INCOMPLETE;
	} else if (atoi(val[3]) != WB_TEMPLATE_VERSION) {
		result = INTAKE_ID_OLD;
	} else if (strlen(val[0]) >= sizeof out->unit || strlen(val[1]) >= sizeof out->series ||
		   strlen(val[2]) >= sizeof out->period ||
		   !wb_mac_ok(mac_key, val[0], val[1], val[2], atoi(val[3]), val[4])) {
		result = INTAKE_ID_ALTERED;
	} else {
		snprintf(out->unit, sizeof out->unit, "%s", val[0]);
		snprintf(out->series, sizeof out->series, "%s", val[1]);
		snprintf(out->period, sizeof out->period, "%s", val[2]);
	}
	for (int k = 0; k < 5; k++)
		free(val[k]);
	return result;
}
