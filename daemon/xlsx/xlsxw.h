/* The writer kit of the three workbooks (the unit's workbook, the consolidated workbook, the
 * coordinator's board): a workbook in a private temporary folder, its formats, its page
 * set-up, closing and reading it back, and the well-formedness check of what was written. */
#ifndef BAOCAO_XLSXW_H
#define BAOCAO_XLSXW_H

#include "ooxml.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <xlsxwriter.h>

/* The font of every workbook we write. */
#define XLSXW_FONT "Times New Roman"
/* The grey of table header rows. */
#define XLSXW_COLOR_HEADER 0xD9D9D9
/* Excel's longest cell text, in UTF-16 units. */
#define XLSXW_CELL_MAX 32767
/* Excel's tallest row, in points. */
#define XLSXW_ROW_MAX_POINTS 409

/* ---- the workbook (xlsxw.c) ---- */

/* A workbook being written in its private temporary folder, and its first failure. */
struct xlsxw {
	lxw_workbook *wb;	/* NULL once closed */
	const char *who;	/* the writer as logs name it: "template", "consolidate", ... */
	char *dir;		/* the private folder */
	char *path;		/* the workbook's file in it */
	lxw_error err;		/* the first libxlsxwriter failure */
	const char *what;	/* what was being written then */
	struct strbuf clean;	/* a text with U+FFFD for what breaks the text rule (reused) */
	struct strbuf cut;	/* a text cut to the cell limit (reused) */
};

/*
 * Starts a workbook named file in a private folder "$TMPDIR/baocao-WHO-XXXXXX" (/tmp without
 * TMPDIR), which also holds libxlsxwriter's temporary files; constant_memory writes rows to
 * them as they come. Returns 0, or -1 with *err (English). Either way xlsxw_remove() ends it.
 */
int xlsxw_open(struct xlsxw *w, const char *who, const char *file, bool constant_memory,
	       char **err);
/* Keeps the first libxlsxwriter failure and what it was about. */
void xlsxw_keep(struct xlsxw *w, lxw_error e, const char *what);
/*
 * Closes the workbook (always: it is written and freed whatever happens) and reads the file
 * back into *data (free it) and *len, at most max bytes. Returns 0, or -1 with *err naming
 * the first failure kept, the closing's or the reading's.
 */
int xlsxw_close_read(struct xlsxw *w, size_t max, unsigned char **data, size_t *len,
		     char **err);
/* Closes the workbook if still open, removes its file and folder (failures are warnings),
 * frees what the writer holds. */
void xlsxw_remove(struct xlsxw *w);
/* The document's properties; texts may be NULL (left out). */
struct xlsxw_props {
	const char *title, *subject, *company, *keywords, *comments;
	time_t created;		/* 0 or less: 2000-01-01 */
};
/* Sets the document's properties, author "baocao", every text with anything outside the
 * text rule as U+FFFD. A fixed creation time makes the same inputs give the same bytes (the
 * library would read the clock for 0). */
void xlsxw_properties(struct xlsxw *w, const struct xlsxw_props *p);
/* workbook_close(), one thread at a time: it writes and frees the workbook whatever happens. */
lxw_error xlsxw_close(lxw_workbook *wb);

/*
 * Checks a workbook before it is stored or sent: ooxml_check() with xl/workbook.xml, a zip
 * whose every XML part (*.xml, *.rels, *.vml) is well-formed XML for expat, inflating at most
 * OOXML_CHECK_MAX_INFLATED in all. Bytes this process found well-formed before (the last 16,
 * known by their SHA-256) are not parsed again. Returns 0, or -1 with *err (English, naming
 * the part, line and expat's reason).
 */
int xlsxw_check(const void *data, size_t len, char **err);

/* What xlsxw_verify() asks of a written workbook read back with our own reader. */
struct xlsxw_expect {
	const char *const *sheets;	/* the sheets' names, in order; NULL for any */
	size_t nsheets;
	bool cells;			/* every sheet's cells read */
};

/* xlsxw_verify()'s result when an XML part is not well-formed. */
#define XLSXW_MALFORMED (-2)

/*
 * Checks a written workbook: xlsxw_check(), then, with expect, opened by our own reader
 * (libxlsxwriter does not check every write of its temporary files: a full disk shows as a
 * zip without its central directory or without its parts) as expect says. Returns 0,
 * XLSXW_MALFORMED or -1, with *err (English, starting with who).
 */
int xlsxw_verify(const char *who, const void *data, size_t len,
		 const struct xlsxw_expect *expect, char **err);

/* ---- formats and cells (xlsxw_format.c) ---- */

/* A new format in XLSXW_FONT; dies on out-of-memory, as xmalloc does. */
lxw_format *xlsxw_format(lxw_workbook *wb, double size, bool bold, bool italic);
/* A format centred across its cell, vertically as valign (LXW_ALIGN_VERTICAL_*). */
lxw_format *xlsxw_format_centred(lxw_workbook *wb, double size, bool bold, bool italic,
				 uint8_t valign);
/* A bordered table cell of 12 pt text: thin borders, wrapped, at the top, aligned as align
 * (LXW_ALIGN_NONE: as the value goes), with the number format num (or none). */
lxw_format *xlsxw_format_cell(lxw_workbook *wb, bool bold, uint8_t align, const char *num);

/* The text as a cell may hold it: anything outside the text rule (xmltext.h) as U+FFFD, at
 * most XLSXW_CELL_MAX UTF-16 units, cut on a character boundary and ended by "…" when
 * longer. Valid until the next call. */
const char *xlsxw_text(struct xlsxw *w, const char *s);
/* Writes text as xlsxw_text() gives it (NULL or "" gives a formatted blank cell). */
void xlsxw_str(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
	       const char *s, lxw_format *f, const char *what);
/* Writes a number. */
void xlsxw_num(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, double v,
	       lxw_format *f, const char *what);
/* Sets a row's height in points (at most XLSXW_ROW_MAX_POINTS). */
void xlsxw_height(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t row, double points);

/* ---- page set-up (xlsxw_page.c) ---- */

/* How a sheet prints, besides A4 landscape one page wide. */
struct xlsxw_page {
	double left, right, top, bottom;	/* margins in inches; all 0: the library's */
	bool centre;		/* centred horizontally on the page */
	const char *footer;	/* the footer in Excel's codes (xlsxw_hf_text()), or NULL */
	double footer_margin;	/* inches from the paper's edge; 0: the library's */
};

/* Sets a sheet's paper (A4), orientation (landscape), scaling (one page wide), margins and
 * footer. */
void xlsxw_page_setup(struct xlsxw *w, lxw_worksheet *ws, const struct xlsxw_page *p);
/* Repeats rows first..last at the top of every printed page. */
void xlsxw_print_titles(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t first, lxw_row_t last);
/* Prints rows 0..last_row, columns 0..last_col. */
void xlsxw_print_area(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t last_row,
		      lxw_col_t last_col);
/* Appends text to a header or footer, '&' doubled so that it is not read as a code, anything
 * outside the text rule as U+FFFD. */
void xlsxw_hf_text(struct strbuf *sb, const char *text);

#endif
