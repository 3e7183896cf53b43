/* The coordinator's board as a one-sheet workbook (GET .../status?format=xlsx). */
#include "board_xlsx.h"
#include "unit_groups.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"
#include "xlsxw.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FONT "Times New Roman"
#define HEADER_ROW 3
#define NCOLS 9
#define CELL_MAX 32767		/* characters of a cell (Excel's limit) */

static const char *const headers[NCOLS] = {
	"STT", "Mã đơn vị", "Tên đơn vị", "Nhóm", "Tình trạng", "Thời điểm nhận", "Phiên bản",
	"Số nhiệm vụ", "Nhận xét của điều phối viên",
};
static const double widths[NCOLS] = { 6, 16, 42, 22, 18, 18, 10, 11, 45 };

/* A writer's state: the workbook and the first failure. */
struct board_w {
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *title, *plain, *head, *cell, *num;
	lxw_error err;
	const char *what;
};

/* Keeps the first libxlsxwriter failure. */
static void check(struct board_w *w, lxw_error e, const char *what)
{
	if (e != LXW_NO_ERROR && w->err == LXW_NO_ERROR) {
		w->err = e;
		w->what = what;
	}
}

/* A format in Times New Roman. */
static lxw_format *format(struct board_w *w, double size, bool bold, bool border)
{
	lxw_format *f = workbook_add_format(w->wb);
	format_set_font_name(f, FONT);
	format_set_font_size(f, size);
	if (bold)
		format_set_bold(f);
	if (border) {
		format_set_border(f, LXW_BORDER_THIN);
		format_set_text_wrap(f);
		format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
	}
	return f;
}

/* Writes text (blank for NULL or ""), anything outside the text rule as U+FFFD, cut to the
 * cell limit on a character boundary. */
static void text(struct board_w *w, lxw_row_t row, lxw_col_t col, const char *raw,
		 lxw_format *f)
{
	if (raw == NULL || raw[0] == '\0') {
		check(w, worksheet_write_blank(w->ws, row, col, f), "blank cell");
		return;
	}
	char *s = xmltext_clean(raw);
	size_t n = strlen(s);
	if (n <= CELL_MAX) {
		check(w, worksheet_write_string(w->ws, row, col, s, f), "text cell");
		free(s);
		return;
	}
	size_t keep = utf8_cut(s, n, CELL_MAX - 4);	/* a comment is far shorter */
	char *cut = xasprintf("%.*s…", (int)keep, s);
	check(w, worksheet_write_string(w->ws, row, col, cut, f), "text cell");
	free(cut);
	free(s);
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
	size_t counts[4] = { 0 };
	static const char *const keys[4] = { "on_time", "late", "missing", "returned" };
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			counts[k] += strcmp(rows[i].state, keys[k]) == 0;
	char *title = xasprintf("Tình hình gửi báo cáo: %s, %s", t->series_title, t->period_title);
	text(w, 0, 0, title, w->title);
	free(title);
	char *line = xasprintf("Đến %s: %zu đơn vị phải báo cáo; %zu đúng hạn, %zu gửi muộn, "
			       "%zu chưa gửi, %zu trả lại chờ bổ sung.", t->made_at, n, counts[0],
			       counts[1], counts[2], counts[3]);
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
		text(w, row, 4, state_name(u->state), w->cell);
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
	char *dir = xlsxw_tmpdir("board", err);
	if (dir == NULL)
		return -1;
	char *path = xasprintf("%s/board.xlsx", dir);
	lxw_workbook_options opts = { .constant_memory = LXW_TRUE, .tmpdir = dir };
	struct board_w w = { .wb = workbook_new_opt(path, &opts), .err = LXW_NO_ERROR };
	int rc = -1;
	if (w.wb == NULL) {
		*err = xasprintf("board: libxlsxwriter cannot start a workbook in %s", dir);
		goto out;
	}
	w.ws = workbook_add_worksheet(w.wb, "Tình hình gửi báo cáo");
	if (w.ws == NULL) {
		check(&w, LXW_ERROR_MEMORY_MALLOC_FAILED, "worksheet");
	} else {
		w.title = format(&w, 14, true, false);
		w.plain = format(&w, 12, false, false);
		w.head = format(&w, 12, true, true);
		format_set_bg_color(w.head, 0xE7E9EE);
		w.cell = format(&w, 12, false, true);
		w.num = format(&w, 12, false, true);
		format_set_align(w.num, LXW_ALIGN_RIGHT);
		worksheet_set_landscape(w.ws);
		worksheet_set_paper(w.ws, 9);	/* A4 */
		worksheet_fit_to_pages(w.ws, 1, 0);
		check(&w, worksheet_repeat_rows(w.ws, HEADER_ROW, HEADER_ROW), "repeated header");
		worksheet_freeze_panes(w.ws, HEADER_ROW + 1, 0);
		write_top(&w, t, rows, n);
		write_rows(&w, rows, n);
		if (n > 0)
			check(&w, worksheet_autofilter(w.ws, HEADER_ROW, 0,
						       (lxw_row_t)(HEADER_ROW + n), NCOLS - 1),
			      "filter");
	}
	lxw_error closed = xlsxw_close(w.wb);
	if (w.err != LXW_NO_ERROR) {
		*err = xasprintf("board: writing the %s: %s", w.what, lxw_strerror(w.err));
		goto out;
	}
	if (closed != LXW_NO_ERROR) {
		*err = xasprintf("board: closing the workbook in %s: %s", dir, lxw_strerror(closed));
		goto out;
	}
	char *bytes;
	if (file_read_all(path, BOARD_XLSX_MAX, &bytes, len) != 0) {
		*err = xasprintf("board: cannot read back %s: %s", path, strerror(errno));
		goto out;
	}
	*data = (unsigned char *)bytes;
	char *why = NULL;
	if (xlsxw_check(*data, *len, &why) != 0) {
		*err = xasprintf("board: the written workbook is not well-formed: %s", why);
		free(why);
		free(*data);
		*data = NULL;
		*len = 0;
		goto out;
	}
	rc = 0;
out:
	if (unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "warning: board: cannot remove %s: %s\n", path, strerror(errno));
	xlsxw_tmpdir_remove(dir, "board");
	free(path);
	free(dir);
	return rc;
}
