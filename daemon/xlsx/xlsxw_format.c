/* The writer kit's formats and cells: the workbooks' font, bordered table cells, and text
 * made fit for a cell. */
#include "xlsxw.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new format in the workbooks' font; dies on out-of-memory, as xmalloc does. */
lxw_format *xlsxw_format(lxw_workbook *wb, double size, bool bold, bool italic)
{
	lxw_format *f = workbook_add_format(wb);
	if (f == NULL) {
		fprintf(stderr, "fatal: out of memory (libxlsxwriter format)\n");
		abort();
	}
	format_set_font_name(f, XLSXW_FONT);
	format_set_font_size(f, size);
	if (bold)
		format_set_bold(f);
	if (italic)
		format_set_italic(f);
	return f;
}

/* Text centred in its cell. */
lxw_format *xlsxw_format_centred(lxw_workbook *wb, double size, bool bold, bool italic,
				 uint8_t valign)
{
	lxw_format *f = xlsxw_format(wb, size, bold, italic);
	format_set_align(f, LXW_ALIGN_CENTER);
	format_set_align(f, valign);
	return f;
}

/* A bordered table cell. */
lxw_format *xlsxw_format_cell(lxw_workbook *wb, bool bold, uint8_t align, const char *num)
{
	lxw_format *f = xlsxw_format(wb, 12, bold, false);
	format_set_border(f, LXW_BORDER_THIN);
	if (align != LXW_ALIGN_NONE)
		format_set_align(f, align);
	format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f);
	if (num)
		format_set_num_format(f, num);
	return f;
}

/* The text with anything outside the text rule as U+FFFD, cut to the cell limit on a
 * character boundary, with "…". */
const char *xlsxw_text(struct xlsxw *w, const char *s)
{
	size_t len = strlen(s);
	if (!xmltext_valid(s, len)) {	/* stored before the rule, or never checked */
		strbuf_reset(&w->clean);
		xmltext_clean_add(&w->clean, s, len);
		s = strbuf_str(&w->clean);
		len = w->clean.len;
	}
	/* A UTF-8 byte never stands for more than one UTF-16 unit. */
	if (len <= XLSXW_CELL_MAX)
		return s;
	size_t keep = utf8_cut_units(s, len, XLSXW_CELL_MAX - 1);	/* room for "…" (one unit) */
	strbuf_reset(&w->cut);
	strbuf_add(&w->cut, s, keep);
	strbuf_adds(&w->cut, "…");
	return strbuf_str(&w->cut);
}

/* Writes text, cut to the cell limit; NULL or "" gives a formatted blank. */
void xlsxw_str(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
	       const char *s, lxw_format *f, const char *what)
{
	if (s == NULL || s[0] == '\0')
		xlsxw_keep(w, worksheet_write_blank(ws, row, col, f), what);
	else
		xlsxw_keep(w, worksheet_write_string(ws, row, col, xlsxw_text(w, s), f), what);
}

/* Writes a number. */
void xlsxw_num(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, double v,
	       lxw_format *f, const char *what)
{
	xlsxw_keep(w, worksheet_write_number(ws, row, col, v, f), what);
}

/* Sets a row's height. */
void xlsxw_height(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, double points)
{
	if (points > XLSXW_ROW_MAX_POINTS)
		points = XLSXW_ROW_MAX_POINTS;
	xlsxw_keep(w, worksheet_set_row(ws, row, points, NULL), "row height");
}
