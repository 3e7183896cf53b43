/* The coordinator's board as a one-sheet workbook (GET .../status?format=xlsx). */
#include "board_xlsx.h"
#include "unit_groups.h"
#include "utf8.h"
#include "util.h"
#include "xlsxw.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_ROW 3
#define NCOLS 9
#define COLOR_HEADER 0xE7E9EE

static const char *const headers[NCOLS] = {
	"STT", "Mã đơn vị", "Tên đơn vị", "Nhóm", "Tình trạng", "Thời điểm nhận", "Phiên bản",
	"Số nhiệm vụ", "Nhận xét của điều phối viên",
};
/* Wide enough for the longest codes of the example (P-NAM-HONG-LINH) and the headers on one line. */
static const double widths[NCOLS] = { 6, 20, 42, 22, 18, 18, 10, 13, 45 };

/* A writer's state: the workbook, its sheet and formats. */
struct board_w {
	struct xlsxw x;
	lxw_worksheet *ws;
	lxw_format *title, *plain, *head, *cell, *num;
};

/* Keeps the first libxlsxwriter failure. */
static void check(struct board_w *w, lxw_error e, const char *what)
{
	xlsxw_keep(&w->x, e, what);
}

/* Writes text (blank for NULL or ""), anything outside the text rule as U+FFFD, cut to the
 * cell limit on a character boundary. */
static void text(struct board_w *w, lxw_row_t row, lxw_col_t col, const char *raw,
		 lxw_format *f)
{
	xlsxw_str(&w->x, w->ws, row, col, raw, f, "text cell");
}

/* The formats, in Times New Roman. */
static void make_formats(struct board_w *w)
{
	w->title = xlsxw_format(w->x.wb, 14, true, false);
	w->plain = xlsxw_format(w->x.wb, 12, false, false);
	w->head = xlsxw_format_cell(w->x.wb, true, LXW_ALIGN_NONE, NULL);
	format_set_bg_color(w->head, COLOR_HEADER);
	w->cell = xlsxw_format_cell(w->x.wb, false, LXW_ALIGN_NONE, NULL);
	w->num = xlsxw_format_cell(w->x.wb, false, LXW_ALIGN_NONE, NULL);
	format_set_align(w->num, LXW_ALIGN_RIGHT);
}

/* The Vietnamese name of a unit's state on the board. */
static const char *state_name(const char *s)
{
	if (strcmp(s, "on_time") == 0)
		return "Đúng hạn";
	if (strcmp(s, "late") == 0)
		return "Gửi muộn";
	if (strcmp(s, "returned") == 0)
		return "Trả lại, chờ bổ sung";
	if (strcmp(s, "no_document") == 0)
		return "Thiếu văn bản";
	return "Chưa gửi";
}

/* "09:05 11/12/2026" from "2026-12-11T09:05:00+07" (the time as the database wrote it). */
static void short_time(const char *iso, char *buf, size_t size)
{
	if (iso == NULL || strlen(iso) < 16 || iso[10] != 'T') {
		snprintf(buf, size, "%s", iso ? iso : "");
		return;
	}
	snprintf(buf, size, "%.5s %.2s/%.2s/%.4s", iso + 11, iso + 8, iso + 5, iso);
}

/* The title, the counts and the header row. */
static void write_top(struct board_w *w, const struct board_title *t, const struct board_row *rows,
		      size_t n)
{
	size_t counts[5] = { 0 };
	static const char *const keys[5] = { "on_time", "late", "missing", "returned",
					     "no_document" };
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 5; k++)
			counts[k] += strcmp(rows[i].state, keys[k]) == 0;
	char *title = xasprintf("Tình hình gửi báo cáo: %s, %s", t->series_title, t->period_title);
	text(w, 0, 0, title, w->title);
	free(title);
	char *line = counts[4] ?
		xasprintf("Đến %s: %zu đơn vị phải báo cáo; %zu đúng hạn, %zu gửi muộn, %zu chưa "
			  "gửi, %zu trả lại chờ bổ sung, %zu thiếu văn bản.", t->made_at, n,
			  counts[0], counts[1], counts[2], counts[3], counts[4]) :
		xasprintf("Đến %s: %zu đơn vị phải báo cáo; %zu đúng hạn, %zu gửi muộn, %zu chưa "
			  "gửi, %zu trả lại chờ bổ sung.", t->made_at, n, counts[0], counts[1],
			  counts[2], counts[3]);
	text(w, 1, 0, line, w->plain);
	free(line);
	for (lxw_col_t c = 0; c < NCOLS; c++) {
		check(w, worksheet_set_column(w->ws, c, c, widths[c], NULL), "column width");
		text(w, HEADER_ROW, c, headers[c], w->head);
	}
}

/* Every unit, one row each. */
static void write_rows(struct board_w *w, const struct board_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct board_row *u = &rows[i];
		lxw_row_t row = (lxw_row_t)(HEADER_ROW + 1 + i);
		char when[32];
		short_time(u->received_at, when, sizeof when);
		check(w, worksheet_write_number(w->ws, row, 0, (double)(i + 1), w->num), "number");
		text(w, row, 1, u->code, w->cell);
		text(w, row, 2, u->name, w->cell);
		text(w, row, 3, unit_group_short_title(u->group), w->cell);
		text(w, row, 4, u->extended ? "Đúng hạn (gia hạn)" : state_name(u->state), w->cell);
		text(w, row, 5, when, w->cell);
		if (u->received_at) {
			check(w, worksheet_write_number(w->ws, row, 6, (double)u->version, w->num),
			      "number");
			check(w, worksheet_write_number(w->ws, row, 7, (double)u->items, w->num),
			      "number");
		} else {
			text(w, row, 6, NULL, w->cell);
			text(w, row, 7, NULL, w->cell);
		}
		text(w, row, 8, u->comment, w->cell);
	}
}

/* Writes the board's workbook and reads it back. */
int board_xlsx_write(const struct board_title *t, const struct board_row *rows, size_t n,
		     unsigned char **data, size_t *len, char **err)
{
	*data = NULL;
	*len = 0;
	struct board_w w = { 0 };
	int rc = -1;
	if (xlsxw_open(&w.x, "board", "board.xlsx", true, err) != 0)
		goto out;
	w.ws = workbook_add_worksheet(w.x.wb, "Tình hình gửi báo cáo");
	if (w.ws == NULL) {
		check(&w, LXW_ERROR_MEMORY_MALLOC_FAILED, "worksheet");
	} else {
		make_formats(&w);
		struct xlsxw_page page = { 0 };	/* the library's margins, no footer */
		xlsxw_page_setup(&w.x, w.ws, &page);
		xlsxw_print_titles(&w.x, w.ws, HEADER_ROW, HEADER_ROW);
		worksheet_freeze_panes(w.ws, HEADER_ROW + 1, 0);
		write_top(&w, t, rows, n);
		write_rows(&w, rows, n);
		if (n > 0)
			check(&w, worksheet_autofilter(w.ws, HEADER_ROW, 0,
						       (lxw_row_t)(HEADER_ROW + n), NCOLS - 1),
			      "filter");
	}
	if (xlsxw_close_read(&w.x, BOARD_XLSX_MAX, data, len, err) != 0)
		goto out;
	rc = xlsxw_verify("board", *data, *len, NULL, err) == 0 ? 0 : -1;
	if (rc != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
out:
	xlsxw_remove(&w.x);
	return rc;
}
