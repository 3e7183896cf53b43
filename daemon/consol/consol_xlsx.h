/* Private to the consolidated workbook's writer: the toolkit of its sheets (consol_sheets.c,
 * consol_annex.c), on the writer kit (xlsxw.h): formats, cells, the frame every sheet gets
 * (document header, print settings) and the document's properties. */
#ifndef BAOCAO_CONSOLIDATE_XLSX_H
#define BAOCAO_CONSOLIDATE_XLSX_H

#include "consol.h"
#include "util.h"
#include "xlsxw.h"

#include <stdbool.h>
#include <stddef.h>
#include <xlsxwriter.h>

/* The formats, each created once for the whole workbook, all in Times New Roman. */
struct consol_formats {
	/* the document header */
	lxw_format *parent, *body, *nation, *motto, *party, *star, *number, *date;
	lxw_format *doctype, *subject, *edition;
	/* text outside tables */
	lxw_format *section, *note, *para, *recv_title, *recv_line;
	/* tables */
	lxw_format *th, *text, *center, *count, *pct, *mark, *progress;
	lxw_format *group, *unit, *total, *total_count, *total_pct;
	lxw_format *column;
};

/* The workbook being written. */
struct consol_xlsx {
	struct xlsxw x;		/* the workbook, its temporary folder and its first failure */
	const struct consol_doc *doc;
	struct consol_formats f;
	struct strbuf line;	/* a line being composed (reused) */
};

/* A sheet's columns: widths in characters; the document header's left block (issuing body,
 * number) spans columns [0, split), the right block (national title, date) the others. */
struct consol_layout {
	const double *widths;
	lxw_col_t ncols;
	lxw_col_t split;
};

/* Creates every format of the workbook (once, before any sheet). */
void consol_xlsx_formats(struct consol_xlsx *w);
/* A writer for another thread that writes other sheets of w's workbook (consol_xlsx_formats()
 * numbered every format, so writing cells changes nothing the sheets share). */
void consol_xlsx_fork(const struct consol_xlsx *w, struct consol_xlsx *other);
/* After the other thread has ended: its first failure kept in w, its scratch freed. */
void consol_xlsx_join(struct consol_xlsx *w, struct consol_xlsx *other);
/* Sets the document's fixed properties: the same document gives the same bytes. */
void consol_xlsx_properties(struct consol_xlsx *w);

/* Keeps the first libxlsxwriter failure and what it was about (xlsxw_keep()). */
void consol_xlsx_check(struct consol_xlsx *w, lxw_error e, const char *what);
/* The text as a cell may hold it (xlsxw_text()). Valid until the next call. */
const char *consol_xlsx_text(struct consol_xlsx *w, const char *s);
/* Writes text (NULL or "" gives a formatted blank cell; xlsxw_str()). */
void consol_xlsx_str(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     const char *s, lxw_format *f, const char *what);
/* Writes a number. */
void consol_xlsx_num(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     double v, lxw_format *f, const char *what);
/* Writes part / whole as a fraction (shown as a percentage), or a blank when whole is 0. */
void consol_xlsx_ratio(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		       unsigned part, unsigned whole, lxw_format *f, const char *what);
/* Merges columns first..last of a row around the text (one column: a plain cell). */
void consol_xlsx_merge(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
		       lxw_col_t first, lxw_col_t last, const char *s, lxw_format *f,
		       const char *what);
/* Sets a row's height in points. */
void consol_xlsx_height(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, double points);
/* The indent of left-aligned table text (its level, and the column characters it takes): the
 * text does not touch the border. */
#define CONSOL_INDENT 1
#define CONSOL_INDENT_CHARS 1.5

/* Lines that wrapped text takes in a column span `chars` wide (in column-width characters) at
 * a font size; explicit line breaks count. At least 1. Indented text: chars less
 * CONSOL_INDENT_CHARS. */
unsigned consol_xlsx_lines(const char *s, double chars, double points);
/* The height in points of a table row whose tallest cell takes `lines` lines of 12 pt. */
double consol_xlsx_row_points(unsigned lines);
/* The width in characters of columns first..last of a layout. */
double consol_xlsx_span(const struct consol_layout *l, lxw_col_t first, lxw_col_t last);

/*
 * Sets a sheet's columns and print settings and writes the document header (bodies, number,
 * place and date, "BÁO CÁO", the subject, the edition). Returns the first free row.
 */
lxw_row_t consol_xlsx_frame(struct consol_xlsx *w, lxw_worksheet *ws,
			    const struct consol_layout *l);
/* Ends a sheet: the table header rows repeated on each printed page (first_header to
 * last_header, or none when first_header > last_header), the print area up to last_row. */
void consol_xlsx_finish(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			lxw_row_t first_header, lxw_row_t last_header, lxw_row_t last_row);
/* A table's header row: one title per column of the layout. */
void consol_xlsx_table_header(struct consol_xlsx *w, lxw_worksheet *ws,
			      const struct consol_layout *l, lxw_row_t row,
			      const char *const *titles);

/* The unit's state in words: "Đúng hạn", "Nộp muộn", "Chưa báo cáo", "Trả lại để bổ sung". */
const char *consol_state_label_vi(enum consol_state state);
/* The title of a unit group ("Sở, ban, ngành"), or its name when the document lacks it. */
const char *consol_group_title(const struct consol_doc *doc, const char *group);

/* Whether a unit starts a new group in a list: the first listed, or another group than the
 * previous unit's (previous). */
bool consol_new_group(const struct consol_unit *u, const char *previous, bool first);

#endif
