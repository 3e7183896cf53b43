/* Writing the consolidated workbook: its sheets in order, the lists fed a batch of units at a
 * time, in a private temporary folder, then read back and checked. */
#include "consol_sheets.h"
#include "consol_xlsx.h"
#include "util.h"
#include "xlsxw.h"

#include <stdlib.h>

/* The sheets in the workbook's order. */
enum { SH_SUMMARY, SH_DETAIL, SH_BEHIND, SH_PROPOSALS, SH_MISSING, SH_ASSESSMENT,
       SH_TIMELINESS, NSHEETS };
static const char *const sheet_names[NSHEETS] = {
	CONSOL_SHEET_SUMMARY, CONSOL_SHEET_DETAIL, CONSOL_SHEET_BEHIND, CONSOL_SHEET_PROPOSALS,
	CONSOL_SHEET_MISSING, CONSOL_SHEET_ASSESSMENT, CONSOL_SHEET_TIMELINESS,
};

/* The items, a batch of units at a time, into the sheets that list them. 0, or -1 with *err
 * when a batch cannot be read. */
static int write_lists(struct consol_xlsx *w, lxw_worksheet **ws, const struct consol_batches *b,
		       char **err)
{
	struct consol_lists ls;
	consol_lists_begin(w, &ls, ws[SH_DETAIL], ws[SH_BEHIND], ws[SH_PROPOSALS]);
	size_t n = w->doc->nunits;
	for (size_t from = 0, to; from < n && w->x.err == LXW_NO_ERROR; from = to) {
		to = n;
		if (b != NULL && b->fill(b->ctx, from, &to, err) != 0)
			return -1;
		if (to <= from || to > n)	/* a broken source would loop forever */
			to = n;
		consol_lists_units(w, &ls, from, to);
		if (b != NULL)
			b->drop(b->ctx, from, to);
	}
	consol_lists_end(w, &ls);
	return 0;
}

/*
 * Adds and writes every sheet. Constant-memory mode writes each sheet's rows top to bottom,
 * but sheets may be written side by side: the three lists of items are written together, a
 * batch of units at a time ("Chi tiết" on a thread of its own beside the other two). The
 * formats are numbered before any sheet: the same document, the same bytes, however it is
 * fed.
 */
static int write_sheets(struct consol_xlsx *w, const struct consol_batches *b, char **err)
{
	lxw_worksheet *ws[NSHEETS];
	for (size_t i = 0; i < NSHEETS; i++) {
		/* Sheet names: at most 31 characters, none of []:*?/\ (checked, not assumed). */
		lxw_error e = workbook_validate_sheet_name(w->x.wb, sheet_names[i]);
		consol_xlsx_check(w, e, "sheet name");
		ws[i] = e == LXW_NO_ERROR ? workbook_add_worksheet(w->x.wb, sheet_names[i]) : NULL;
		if (ws[i] == NULL) {
			consol_xlsx_check(w, LXW_ERROR_MEMORY_MALLOC_FAILED, "worksheets");
			return 0;
		}
	}
	consol_sheet_summary(w, ws[SH_SUMMARY]);
	if (w->x.err == LXW_NO_ERROR && write_lists(w, ws, b, err) != 0)
		return -1;
	if (w->x.err == LXW_NO_ERROR)
		consol_sheet_missing(w, ws[SH_MISSING]);
	if (w->x.err == LXW_NO_ERROR)
		consol_sheet_assessment(w, ws[SH_ASSESSMENT]);
	if (w->x.err == LXW_NO_ERROR)
		consol_sheet_timeliness(w, ws[SH_TIMELINESS]);
	worksheet_activate(ws[SH_SUMMARY]);
	return 0;
}

/* Writes the workbook of a document holding every item. */
int consol_write_xlsx(const struct consol_doc *doc, unsigned char **data, size_t *len,
		      char **err)
{
	return consol_write_xlsx_batched(doc, NULL, data, len, err);
}

/*
 * Writes the workbook into a private temporary folder and reads it back. Constant memory:
 * rows go to the temporary folder as they are written, so ~120,000 items cost no more memory
 * than a few.
 */
int consol_write_xlsx_unchecked(const struct consol_doc *doc, const struct consol_batches *b,
				unsigned char **data, size_t *len, char **err)
{
	*data = NULL;
	*len = 0;
	struct consol_xlsx w = { .doc = doc };
	int rc = -1;
	if (xlsxw_open(&w.x, "consolidate", "consolidated.xlsx", true, err) != 0)
		goto out;
	consol_xlsx_formats(&w);
	int fed = write_sheets(&w, b, err);
	consol_xlsx_properties(&w);
	if (fed != 0)	/* *err says which batch; the workbook is closed unread */
		goto out;
	rc = xlsxw_close_read(&w.x, CONSOL_FILE_MAX, data, len, err);
out:
	xlsxw_remove(&w.x);
	strbuf_free(&w.line);
	return rc;
}

/*
 * The file read back is checked: every XML part well-formed for expat (a text the writer let
 * through would make the file one no reader opens), then with our own reader its sheets, as
 * named.
 */
int consol_check_xlsx(const unsigned char *data, size_t len, char **err)
{
	struct xlsxw_expect expect = { .sheets = sheet_names, .nsheets = NSHEETS };
	int rc = xlsxw_verify("consolidate", data, len, &expect, err);
	return rc == 0 ? 0 : rc == XLSXW_MALFORMED ? CONSOL_INVALID : -1;
}

/* Writes the workbook, reads it back and checks it. */
int consol_write_xlsx_batched(const struct consol_doc *doc, const struct consol_batches *b,
			      unsigned char **data, size_t *len, char **err)
{
	int rc = consol_write_xlsx_unchecked(doc, b, data, len, err);
	if (rc == 0)
		rc = consol_check_xlsx(*data, *len, err);
	if (rc != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return rc;
}
