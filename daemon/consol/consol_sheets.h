/* Private to the consolidated workbook's writer: the sheets that consol_write.c calls, written
 * by consol_sheets.c and consol_annex.c with the toolkit of consol_xlsx.h. */
#ifndef BAOCAO_CONSOL_SHEETS_H
#define BAOCAO_CONSOL_SHEETS_H

#include "consol_xlsx.h"

#include <stddef.h>
#include <xlsxwriter.h>

/* One sheet listing items by unit, being written. */
struct consol_list {
	lxw_worksheet *ws;
	const struct consol_layout *l;
	lxw_row_t row;		/* the next row */
	lxw_row_t header;	/* the table's header row */
	const char *group;	/* the group of the last unit listed */
	size_t listed;		/* units listed */
};

/* The sheets listing items ("Chi tiết", "Chậm tiến độ", "Kiến nghị"), written side by side a
 * run of units at a time (constant-memory mode keeps one open row per sheet). */
struct consol_lists {
	struct consol_list detail, behind, proposals;
};

/* Starts the three sheets: frame and table header. */
void consol_lists_begin(struct consol_xlsx *w, struct consol_lists *ls, lxw_worksheet *detail,
			lxw_worksheet *behind, lxw_worksheet *proposals);
/* Units in one call from which "Chi tiết" is written on a thread of its own. */
#define CONSOL_THREAD_UNITS 16
/* Writes the rows of units [from, to), whose items are in memory. */
void consol_lists_units(struct consol_xlsx *w, struct consol_lists *ls, size_t from, size_t to);
/* Ends the three sheets (a note where nothing was listed). */
void consol_lists_end(struct consol_xlsx *w, struct consol_lists *ls);

/* The other sheets (consol_sheets.c and consol_annex.c): none reads items. */
void consol_sheet_summary(struct consol_xlsx *w, lxw_worksheet *ws);
void consol_sheet_missing(struct consol_xlsx *w, lxw_worksheet *ws);
void consol_sheet_assessment(struct consol_xlsx *w, lxw_worksheet *ws);
void consol_sheet_timeliness(struct consol_xlsx *w, lxw_worksheet *ws);

#endif
