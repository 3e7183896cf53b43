/* The workbook a unit downloads for a period, laid out: its tasks, last period's status, the
 * meta sheet (made very hidden, and the structure locked, by template_lock.c); the data comes
 * from template_data.c. */
#include "template.h"
#include "template_data.h"
#include "calendar.h"
#include "utf8.h"
#include "util.h"
#include "vntext.h"
#include "workbook.h"
#include "xlsxw.h"
#include "xmltext.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* A workbook is a few tens of kilobytes; anything near this is a fault. */

/* Rows of the report sheet (0-based): the title block, the header row, the first task. */
enum {
	ROW_UNIT = 0,
	ROW_TITLE = 1,
	ROW_PERIOD = 2,
	ROW_DEADLINE = 3,
	ROW_GUIDE = 4,
	ROW_HEADER = 5,
	ROW_FIRST_TASK = 6,
};

/* Column widths in characters, summing to what fits A4 landscape at about 80 %. */
static const double column_widths[WB_NCOLS] = {
	[WB_COL_STT] = 5,
	[WB_COL_CODE] = 10,
	[WB_COL_TITLE] = 40,
	[WB_COL_DEADLINE] = 12,
	[WB_COL_STATUS] = 14,
	[WB_COL_PROGRESS] = 8,
	[WB_COL_COMPLETED] = 11,
	[WB_COL_RESULT] = 30,
	[WB_COL_DIFFICULTIES] = 20,
	[WB_COL_PROPOSALS] = 20,
	[WB_COL_NOTE] = 12,
};

#define COLOR_LOCKED 0xF2F2F2
#define COLOR_DEADLINE 0xC00000

/* The period's title with its dates: "Tuần 48 năm 2026 (23/11/2026 - 29/11/2026)". */
static char *period_title(const struct period_info *pi)
{
	char title[160];
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "Kỳ %s", pi->id);
	cal_day first, last;
	if (pi->period.kind == PERIOD_WEEKLY || period_bounds(&pi->period, &first, &last) != 0)
		return xstrdup(title);	/* weekly titles carry their dates already */
	char a[CAL_DATE_BUF], b[CAL_DATE_BUF];
	cal_format_date_vi(first, a);
	cal_format_date_vi(last, b);
	return xasprintf("%s (%s - %s)", title, a, b);
}

/* ---- writing ---- */

/* The formats of the workbook, all in Times New Roman. */
struct formats {
	lxw_format *unit, *title, *period, *deadline, *guide, *header;
	lxw_format *task_center, *task_text, *task_date;
	lxw_format *in_text, *in_center, *in_number, *in_date;
	lxw_format *rich_plain, *rich_note, *column;
	lxw_format *g_title, *g_sub, *g_label, *g_input, *g_note;
	lxw_format *meta;
};

/* A workbook being written: the kit's workbook (and its first failure) and the formats. */
struct writer {
	struct xlsxw x;
	struct formats f;
};

/* Keeps the first libxlsxwriter failure and what it was about. */
static void check(struct writer *w, lxw_error e, const char *what)
{
	xlsxw_keep(&w->x, e, what);
}

/* A new format in the workbooks' font. */
static lxw_format *new_format(struct writer *w, double size, bool bold, bool italic)
{
	return xlsxw_format(w->x.wb, size, bold, italic);
}

/* Text centred across and down its cell. */
static lxw_format *centred(struct writer *w, double size, bool bold, bool italic)
{
	return xlsxw_format_centred(w->x.wb, size, bold, italic, LXW_ALIGN_VERTICAL_CENTER);
}

/* A bordered table cell: locked cells grey, input cells white and unlocked. */
static lxw_format *cell_format(struct writer *w, bool input, uint8_t align, const char *num)
{
	lxw_format *f = xlsxw_format_cell(w->x.wb, false, align, num);
	if (input)
		format_set_unlocked(f);
	else
		format_set_bg_color(f, COLOR_LOCKED);
	return f;
}

/* Creates every format the workbook uses. */
static void make_formats(struct writer *w)
{
	struct formats *f = &w->f;
	f->column = new_format(w, 12, false, false);
	f->unit = new_format(w, 12, true, false);
	format_set_align(f->unit, LXW_ALIGN_VERTICAL_CENTER);
	f->title = centred(w, 14, true, false);
	format_set_text_wrap(f->title);
	f->period = centred(w, 12, true, false);
	f->deadline = centred(w, 12, true, true);
	format_set_font_color(f->deadline, COLOR_DEADLINE);
	f->guide = new_format(w, 11, false, true);
	format_set_align(f->guide, LXW_ALIGN_LEFT);
	format_set_align(f->guide, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f->guide);
	f->header = centred(w, 12, true, false);
	format_set_text_wrap(f->header);
	format_set_border(f->header, LXW_BORDER_THIN);
	format_set_bg_color(f->header, XLSXW_COLOR_HEADER);
	f->task_center = cell_format(w, false, LXW_ALIGN_CENTER, NULL);
	f->task_text = cell_format(w, false, LXW_ALIGN_LEFT, NULL);
	f->task_date = cell_format(w, false, LXW_ALIGN_CENTER, "dd/mm/yyyy");
	f->in_text = cell_format(w, true, LXW_ALIGN_LEFT, NULL);
	f->in_center = cell_format(w, true, LXW_ALIGN_CENTER, NULL);
	f->in_number = cell_format(w, true, LXW_ALIGN_CENTER, "0");
	f->in_date = cell_format(w, true, LXW_ALIGN_CENTER, "dd/mm/yyyy");
	f->rich_plain = new_format(w, 12, false, false);
	f->rich_note = new_format(w, 11, false, true);
	f->g_title = centred(w, 14, true, false);
	format_set_text_wrap(f->g_title);
	f->g_sub = centred(w, 12, false, true);
	format_set_text_wrap(f->g_sub);
	f->g_label = new_format(w, 12, true, false);
	format_set_align(f->g_label, LXW_ALIGN_LEFT);
	format_set_align(f->g_label, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f->g_label);
	format_set_border(f->g_label, LXW_BORDER_THIN);
	format_set_bg_color(f->g_label, XLSXW_COLOR_HEADER);
	f->g_input = cell_format(w, true, LXW_ALIGN_LEFT, NULL);
	f->g_note = f->guide;
	f->meta = new_format(w, 11, false, false);
}

/* Writes an instant's local date as an Excel date (whole day). */
static void write_day(struct writer *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		      cal_day day, lxw_format *f, const char *what)
{
	int y, m, d;
	cal_to_ymd(day, &y, &m, &d);
	lxw_datetime dt = { .year = y, .month = m, .day = d };
	check(w, worksheet_write_datetime(ws, row, col, &dt, f), what);
}

/* Page set-up shared by the visible sheets: A4 landscape, one page wide, page numbers. */
static void page_setup(struct writer *w, lxw_worksheet *ws, const struct tpl_data *d)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "&L&\"" XLSXW_FONT ",Italic\"&9");
	xlsxw_hf_text(&sb, d->unit_code);
	strbuf_adds(&sb, " - ");
	xlsxw_hf_text(&sb, d->pi->series->name);
	strbuf_adds(&sb, " - ");
	xlsxw_hf_text(&sb, d->pi->id);
	strbuf_adds(&sb, "&R&\"" XLSXW_FONT ",Regular\"&9Trang &P/&N");
	struct xlsxw_page page = {
		.left = 0.4, .right = 0.4, .top = 0.5, .bottom = 0.6, .centre = true,
		.footer = strbuf_str(&sb),
	};
	xlsxw_page_setup(&w->x, ws, &page);
	strbuf_free(&sb);
}

/*
 * Whether the period's reason sentence is about the units' deadline. A period keeps one
 * reason, and a shift of the consolidation deadline alone (a half-year's +10d on a Sunday)
 * says nothing to units; a shift names the day it moved to, so it is theirs if it names
 * their deadline's day. Overrides concern both deadlines.
 */
static bool reason_for_units(const struct period_info *pi)
{
	if (pi->reason == NULL || pi->reason_code == NULL || pi->skipped)
		return false;
	if (strcmp(pi->reason_code, "overridden") == 0)
		return true;
	cal_day day;
	char vi[CAL_DATE_BUF];
	if (cal_day_of_time(pi->unit_deadline, &day, NULL) != 0)
		return false;
	cal_format_date_vi(day, vi);
	return strstr(pi->reason, vi) != NULL;
}

/* The guidance line under the deadline. */
static char *guide_text(const struct tpl_data *d)
{
	struct strbuf sb = STRBUF_INIT;
	if (reason_for_units(d->pi)) {
		xmltext_clean_add(&sb, d->pi->reason, strlen(d->pi->reason));
		strbuf_addc(&sb, ' ');
	}
	if (d->ntasks == 0) {
		strbuf_addf(&sb, "Đơn vị chưa có nhiệm vụ nào trong danh mục của báo cáo này; hãy ghi "
			    "nội dung ở trang “%s”.", WB_GENERAL_SHEET);
		return strbuf_detach(&sb);
	}
	strbuf_addf(&sb, "Cách điền: chỉ điền các ô nền trắng, từ cột “%s” đến cột “%s”; các cột "
		    "của nhiệm vụ đã được khoá. “%s” chọn trong danh sách; “%s” là số nguyên từ 0 "
		    "đến 100; “%s” ghi dạng dd/mm/yyyy khi đã hoàn thành. Không đổi tên cột, không "
		    "thêm hoặc xoá dòng. Khó khăn, kiến nghị chung ghi ở trang “%s”.",
		    wb_column_titles[WB_COL_STATUS], wb_column_titles[WB_COL_NOTE],
		    wb_column_titles[WB_COL_STATUS], wb_column_titles[WB_COL_PROGRESS],
		    wb_column_titles[WB_COL_COMPLETED], WB_GENERAL_SHEET);
	if (d->carried > 0)
		strbuf_addf(&sb, " Tình trạng, tiến độ và ngày hoàn thành đã được điền sẵn theo báo "
			    "cáo kỳ %s của đơn vị: chỉ sửa những gì đã thay đổi.", d->carried_from);
	return strbuf_detach(&sb);
}

/* The title block above the header row. */
static void write_title_block(struct writer *w, lxw_worksheet *ws, const struct tpl_data *d)
{
	const struct formats *f = &w->f;
	lxw_col_t last = WB_NCOLS - 1;
	char *unit = xasprintf("Đơn vị báo cáo: %s (mã %s)", d->unit_name, d->unit_code);
	check(w, worksheet_merge_range(ws, ROW_UNIT, 0, ROW_UNIT, last, unit, f->unit), "unit");
	free(unit);
	check(w, worksheet_set_row(ws, ROW_UNIT, 20, NULL), "unit row");

	char *title = vn_upper(d->pi->series->title);
	check(w, worksheet_merge_range(ws, ROW_TITLE, 0, ROW_TITLE, last, title, f->title),
	      "title");
	check(w, worksheet_set_row(ws, ROW_TITLE, utf8_length(title) > 120 ? 40 : 24, NULL),
	      "title row");
	free(title);

	char *pt = period_title(d->pi);
	char *period = xasprintf("Kỳ báo cáo: %s", pt);
	free(pt);
	check(w, worksheet_merge_range(ws, ROW_PERIOD, 0, ROW_PERIOD, last, period, f->period),
	      "period");
	free(period);
	check(w, worksheet_set_row(ws, ROW_PERIOD, 20, NULL), "period row");

	char when[CAL_VI_LONG_BUF] = "";
	if (cal_format_vi_long(d->pi->unit_deadline, when, sizeof when) != 0)
		snprintf(when, sizeof when, "(chưa ấn định)");
	char *deadline = xasprintf("Hạn gửi: %s", when);
	check(w, worksheet_merge_range(ws, ROW_DEADLINE, 0, ROW_DEADLINE, last, deadline,
				       f->deadline), "deadline");
	free(deadline);
	check(w, worksheet_set_row(ws, ROW_DEADLINE, 20, NULL), "deadline row");

	char *guide = guide_text(d);
	check(w, worksheet_merge_range(ws, ROW_GUIDE, 0, ROW_GUIDE, last, guide, f->guide),
	      "guide");
	/* About 170 characters of 11 pt italic fit on a line of the merged row. */
	double lines = (double)(utf8_length(guide) / 160 + 1);
	check(w, worksheet_set_row(ws, ROW_GUIDE, 15 * lines + 4, NULL), "guide row");
	free(guide);
}

/* The title cell of a task; cooperating units see "phối hợp" and who leads. */
static void write_task_title(struct writer *w, lxw_worksheet *ws, lxw_row_t row,
			     const struct tpl_task *t)
{
	const struct formats *f = &w->f;
	if (t->lead) {
		check(w, worksheet_write_string(ws, row, WB_COL_TITLE, t->title, f->task_text),
		      "task title");
		return;
	}
	char *note = t->leads[0] ? xasprintf("\n(phối hợp; chủ trì: %s)", t->leads)
				 : xstrdup("\n(phối hợp)");
	lxw_rich_string_tuple plain = { .format = f->rich_plain, .string = t->title };
	lxw_rich_string_tuple coop = { .format = f->rich_note, .string = note };
	lxw_rich_string_tuple *parts[] = { &plain, &coop, NULL };
	check(w, worksheet_write_rich_string(ws, row, WB_COL_TITLE, parts, f->task_text),
	      "task title");
	free(note);
}

/* Characters of 12 pt Times New Roman that a line of the title column holds, a little less
 * than fit, and of the 11 pt note under a cooperating unit's title. */
#define TITLE_LINE_CHARS 45
#define NOTE_LINE_CHARS 50
/* Height of a line of 12 pt text, in points; task rows get at least two, room to write. */
#define LINE_POINTS 15.75

/*
 * A task row's height. Rows are given their height because LibreOffice does not fit rows to
 * wrapped text when it opens a workbook; people may still resize rows (the protection allows
 * it) when what they write needs more room.
 */
static double task_row_height(const struct tpl_task *t)
{
	size_t lines = (utf8_length(t->title) + TITLE_LINE_CHARS - 1) / TITLE_LINE_CHARS;
	if (!t->lead)	/* "(phối hợp; chủ trì: ...)" on lines of its own */
		lines += (utf8_length(t->leads) + 20 + NOTE_LINE_CHARS - 1) / NOTE_LINE_CHARS;
	return (double)(lines > 2 ? lines : 2) * LINE_POINTS + 3;
}

/* One task row: the locked task columns, then the input cells, some carried forward. */
static void write_task(struct writer *w, lxw_worksheet *ws, lxw_row_t row, size_t i,
		       const struct tpl_task *t)
{
	const struct formats *f = &w->f;
	check(w, worksheet_write_number(ws, row, WB_COL_STT, (double)(i + 1), f->task_center),
	      "STT");
	check(w, worksheet_write_string(ws, row, WB_COL_CODE, t->code, f->task_center),
	      "task code");
	write_task_title(w, ws, row, t);
	if (t->has_deadline)
		write_day(w, ws, row, WB_COL_DEADLINE, t->deadline, f->task_date, "deadline");
	else
		check(w, worksheet_write_string(ws, row, WB_COL_DEADLINE, "Thường xuyên",
						f->task_center), "deadline");
	if (t->status)
		check(w, worksheet_write_string(ws, row, WB_COL_STATUS, t->status, f->in_center),
		      "status");
	else
		check(w, worksheet_write_blank(ws, row, WB_COL_STATUS, f->in_center), "status");
	if (t->progress >= 0)
		check(w, worksheet_write_number(ws, row, WB_COL_PROGRESS, t->progress,
						f->in_number), "progress");
	else
		check(w, worksheet_write_blank(ws, row, WB_COL_PROGRESS, f->in_number), "progress");
	if (t->has_completed)
		write_day(w, ws, row, WB_COL_COMPLETED, t->completed, f->in_date, "completed");
	else
		check(w, worksheet_write_blank(ws, row, WB_COL_COMPLETED, f->in_date), "completed");
	for (int col = WB_COL_RESULT; col <= WB_COL_NOTE; col++)
		check(w, worksheet_write_blank(ws, row, (lxw_col_t)col, f->in_text), "input");
	check(w, worksheet_set_row(ws, row, task_row_height(t), NULL), "task row");
}

/* Drop-down of statuses, whole numbers 0-100 and dates on the task rows' input columns. */
static void write_validations(struct writer *w, lxw_worksheet *ws, lxw_row_t first,
			      lxw_row_t last)
{
	char *statuses[] = { WB_STATUS_DONE, WB_STATUS_IN_PROGRESS, WB_STATUS_NOT_STARTED, NULL };
	lxw_data_validation status = {
		.validate = LXW_VALIDATION_TYPE_LIST,
		.value_list = statuses,
		.input_title = "Tình trạng",
		.input_message = "Chọn trong danh sách: " WB_STATUS_DONE ", " WB_STATUS_IN_PROGRESS
				 " hoặc " WB_STATUS_NOT_STARTED ".",
		.error_title = "Tình trạng không hợp lệ",
		.error_message = "Hãy chọn một trong ba tình trạng: " WB_STATUS_DONE ", "
				 WB_STATUS_IN_PROGRESS " hoặc " WB_STATUS_NOT_STARTED ".",
	};
	check(w, worksheet_data_validation_range(ws, first, WB_COL_STATUS, last, WB_COL_STATUS,
						 &status), "status validation");
	lxw_data_validation progress = {
		.validate = LXW_VALIDATION_TYPE_INTEGER,
		.criteria = LXW_VALIDATION_CRITERIA_BETWEEN,
		.minimum_number = 0,
		.maximum_number = 100,
		.input_title = "Tiến độ (%)",
		.input_message = "Nhập số nguyên từ 0 đến 100, không kèm dấu %. Ví dụ: 40.",
		.error_title = "Tiến độ không hợp lệ",
		.error_message = "Tiến độ phải là số nguyên từ 0 đến 100 (ví dụ 40). Hãy nhập lại.",
	};
	check(w, worksheet_data_validation_range(ws, first, WB_COL_PROGRESS, last,
						 WB_COL_PROGRESS, &progress), "progress validation");
	lxw_data_validation date = {
		.validate = LXW_VALIDATION_TYPE_DATE,
		.criteria = LXW_VALIDATION_CRITERIA_BETWEEN,
		.minimum_datetime = { .year = 2000, .month = 1, .day = 1 },
		.maximum_datetime = { .year = 2099, .month = 12, .day = 31 },
		.input_title = "Ngày hoàn thành",
		.input_message = "Chỉ ghi khi tình trạng là “" WB_STATUS_DONE "”: ngày dạng "
				 "dd/mm/yyyy, ví dụ 20/11/2026.",
		.error_title = "Ngày không hợp lệ",
		.error_message = "Hãy nhập một ngày dạng dd/mm/yyyy, ví dụ 20/11/2026.",
	};
	check(w, worksheet_data_validation_range(ws, first, WB_COL_COMPLETED, last,
						 WB_COL_COMPLETED, &date), "date validation");
}

/* The "Báo cáo" sheet. */
static void write_report_sheet(struct writer *w, lxw_worksheet *ws, const struct tpl_data *d)
{
	const struct formats *f = &w->f;
	for (int col = 0; col < WB_NCOLS; col++)
		check(w, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col,
					      column_widths[col], f->column), "column width");
	write_title_block(w, ws, d);
	for (int col = 0; col < WB_NCOLS; col++)
		check(w, worksheet_write_string(ws, ROW_HEADER, (lxw_col_t)col,
						wb_column_titles[col], f->header), "header");
	check(w, worksheet_set_row(ws, ROW_HEADER, 33, NULL), "header row");
	for (size_t i = 0; i < d->ntasks; i++)
		write_task(w, ws, (lxw_row_t)(ROW_FIRST_TASK + i), i, &d->tasks[i]);
	lxw_row_t last = (lxw_row_t)(ROW_FIRST_TASK + (d->ntasks ? d->ntasks - 1 : 0));
	if (d->ntasks > 0)
		write_validations(w, ws, ROW_FIRST_TASK, last);

	worksheet_freeze_panes(ws, ROW_FIRST_TASK, 0);
	page_setup(w, ws, d);
	xlsxw_print_titles(&w->x, ws, ROW_HEADER, ROW_HEADER);
	xlsxw_print_area(&w->x, ws, d->ntasks ? last : ROW_HEADER, WB_NCOLS - 1);
	/* No password: the protection keeps the layout, not secrets. Rows and columns may be
	 * resized so that long text can be read. */
	lxw_protection prot = { .format_columns = 1, .format_rows = 1 };
	worksheet_protect(ws, NULL, &prot);
}

/* The "Kiến nghị chung" sheet: difficulties and proposals not tied to a task. */
static void write_general_sheet(struct writer *w, lxw_worksheet *ws, const struct tpl_data *d)
{
	const struct formats *f = &w->f;
	check(w, worksheet_set_column(ws, 0, 0, 30, f->column), "column width");
	check(w, worksheet_set_column(ws, 1, 1, 110, f->column), "column width");
	check(w, worksheet_merge_range(ws, 0, 0, 0, 1,
				       "KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ, ĐỀ XUẤT CHUNG",
				       f->g_title), "general title");
	check(w, worksheet_set_row(ws, 0, 24, NULL), "general title row");
	char *pt = period_title(d->pi);
	char *sub = xasprintf("%s (mã %s) - kỳ báo cáo: %s", d->unit_name, d->unit_code, pt);
	free(pt);
	check(w, worksheet_merge_range(ws, 1, 0, 1, 1, sub, f->g_sub), "general subtitle");
	free(sub);
	check(w, worksheet_set_row(ws, 1, 20, NULL), "general subtitle row");
	check(w, worksheet_write_string(ws, 2, 0, WB_GENERAL_DIFFICULTIES, f->g_label),
	      "general label");
	check(w, worksheet_write_blank(ws, 2, 1, f->g_input), "general input");
	check(w, worksheet_set_row(ws, 2, 160, NULL), "general row");
	check(w, worksheet_write_string(ws, 3, 0, WB_GENERAL_PROPOSALS, f->g_label),
	      "general label");
	check(w, worksheet_write_blank(ws, 3, 1, f->g_input), "general input");
	check(w, worksheet_set_row(ws, 3, 160, NULL), "general row");
	char *note = xasprintf("Ghi ở đây những khó khăn, kiến nghị không gắn với một nhiệm vụ cụ "
			       "thể; khó khăn, kiến nghị của từng nhiệm vụ ghi ở trang “%s”.",
			       WB_REPORT_SHEET);
	check(w, worksheet_merge_range(ws, 4, 0, 4, 1, note, f->g_note), "general note");
	free(note);
	check(w, worksheet_set_row(ws, 4, 20, NULL), "general note row");
	page_setup(w, ws, d);
	xlsxw_print_area(&w->x, ws, 4, 1);
	lxw_protection prot = { .format_columns = 1, .format_rows = 1 };
	worksheet_protect(ws, NULL, &prot);
}

/* The meta sheet: unit, series, period, version and their MAC, in workbook.h's order. */
static void write_meta_sheet(struct writer *w, lxw_worksheet *ws, const struct tpl_data *d)
{
	lxw_format *f = w->f.meta;
	check(w, worksheet_set_column(ws, 0, 0, 10, f), "column width");
	check(w, worksheet_set_column(ws, 1, 1, 70, f), "column width");
	const char *keys[] = { WB_META_UNIT, WB_META_SERIES, WB_META_PERIOD, WB_META_VERSION,
			       WB_META_MAC };
	for (lxw_row_t row = 0; row < 5; row++)
		check(w, worksheet_write_string(ws, row, 0, keys[row], f), "meta key");
	check(w, worksheet_write_string(ws, 0, 1, d->unit_code, f), "meta unit");
	check(w, worksheet_write_string(ws, 1, 1, d->pi->series->name, f), "meta series");
	check(w, worksheet_write_string(ws, 2, 1, d->pi->id, f), "meta period");
	check(w, worksheet_write_number(ws, 3, 1, WB_TEMPLATE_VERSION, f), "meta version");
	check(w, worksheet_write_string(ws, 4, 1, d->mac, f), "meta mac");
	worksheet_hide(ws);
}

/* The document's fixed properties, so that the same inputs give the same bytes. */
static void write_properties(struct writer *w, const struct tpl_data *d)
{
	char *pt = period_title(d->pi);
	char *title = xasprintf("%s - %s - %s", d->pi->series->title, pt, d->unit_name);
	char *keywords = xasprintf("baocao; %s; %s; %s", d->pi->series->name, d->pi->id,
				   d->unit_code);
	char *comments = xasprintf("Biểu mẫu phiên bản %d do hệ thống baocao tạo cho %s.",
				   WB_TEMPLATE_VERSION, d->unit_name);
	struct xlsxw_props props = {
		.title = title,
		.subject = d->pi->series->title,
		.keywords = keywords,
		.comments = comments,
		.created = d->pi->has_span ? d->pi->starts : d->pi->unit_deadline,
	};
	xlsxw_properties(&w->x, &props);
	free(pt);
	free(title);
	free(keywords);
	free(comments);
}

/* Writes the workbook into a private temporary folder and reads it back. */
static enum template_result write_workbook(const struct tpl_data *d, unsigned char **data,
					   size_t *len, char **err)
{
	struct writer w = { 0 };
	enum template_result rc = TEMPLATE_FAILED;
	if (xlsxw_open(&w.x, "template", "workbook.xlsx", false, err) != 0)
		goto out;
	make_formats(&w);
	lxw_worksheet *report = workbook_add_worksheet(w.x.wb, WB_REPORT_SHEET);
	lxw_worksheet *general = workbook_add_worksheet(w.x.wb, WB_GENERAL_SHEET);
	lxw_worksheet *meta = workbook_add_worksheet(w.x.wb, WB_META_SHEET);
	if (report == NULL || general == NULL || meta == NULL) {
		check(&w, LXW_ERROR_MEMORY_MALLOC_FAILED, "worksheets");
	} else {
		write_report_sheet(&w, report, d);
		write_general_sheet(&w, general, d);
		write_meta_sheet(&w, meta, d);
		worksheet_activate(report);
		write_properties(&w, d);
	}
	if (xlsxw_close_read(&w.x, TEMPLATE_FILE_MAX, data, len, err) == 0)
		rc = TEMPLATE_OK;
out:
	xlsxw_remove(&w.x);
	return rc;
}

/* ---- the interface ---- */

/*
 * Checks the built workbook: every XML part well-formed (xlsxw_check), then read back with
 * our own reader: libxlsxwriter does not check every write of its temporary files, so a full
 * disk could otherwise give a truncated file.
 */
static enum template_result read_back(const unsigned char *data, size_t len, char **err)
{
	struct xlsxw_expect expect = { .cells = true };
	return xlsxw_verify("template", data, len, &expect, err) == 0 ? TEMPLATE_OK
								      : TEMPLATE_FAILED;
}

/* Builds the unit's workbook for the period. */
enum template_result template_build(PGconn *conn, const struct period_info *pi,
				    const char *unit_code,
				    const unsigned char mac_key[WB_MAC_KEY_BYTES],
				    struct template_file *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct tpl_data d = { .pi = pi, .unit_code = unit_code };
	enum template_result rc = template_data_unit(conn, &d, out, err);
	if (rc != TEMPLATE_OK)
		goto out;
	if (pi->skipped) {
		out->refusal = TEMPLATE_SKIPPED;
		*err = xasprintf("period %s of %s expects no report: %s", pi->id, pi->series->name,
				 pi->reason ? pi->reason : "no working day");
		rc = TEMPLATE_REFUSED;
		goto out;
	}
	if ((rc = template_data_carried(conn, &d, err)) != TEMPLATE_OK)
		goto out;
	wb_mac(mac_key, unit_code, pi->series->name, pi->id, WB_TEMPLATE_VERSION, d.mac);
	if ((rc = write_workbook(&d, &out->data, &out->len, err)) != TEMPLATE_OK ||
	    (rc = template_lock(&out->data, &out->len, err)) != TEMPLATE_OK ||
	    (rc = read_back(out->data, out->len, err)) != TEMPLATE_OK)
		goto out;
	out->tasks = d.ntasks;
	out->carried = d.carried;
out:
	if (rc != TEMPLATE_OK) {
		free(out->data);
		out->data = NULL;
		out->len = 0;
	}
	free(d.unit_name);
	template_data_free(&d);
	return rc;
}

/* Frees a built workbook. */
void template_file_free(struct template_file *f)
{
	free(f->data);
	free(f->unit_name);
	memset(f, 0, sizeof *f);
}

/* The ASCII file name. */
char *template_filename(const char *series, const char *period, const char *unit_code)
{
	char *name = xasprintf("bao-cao-%s-%s-%s.xlsx", series, period, unit_code);
	for (char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			*p = '-';
	}
	return name;
}

/* The UTF-8 file name for people. */
char *template_filename_vi(const char *period, const char *unit_name)
{
	char *name = xasprintf("Báo cáo %s - %s.xlsx", period, unit_name);
	for (char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7F || strchr("/\\:*?\"<>|", c) != NULL)
			*p = '-';
	}
	return name;
}
