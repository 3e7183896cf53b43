/* The toolkit of the consolidated workbook's sheets: cells, formats, the frame of every sheet
 * (the document header of Nghị định 30/2020 or Hướng dẫn 36-HD/VPTW, print settings) and the
 * document's properties. */
#include "consol_xlsx.h"
#include "calendar.h"
#include "utf8.h"
#include "util.h"
#include "xlsxw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLOR_UNIT 0xEDEDED

/* Margins of Nghị định 30/2020, Phụ lục I (inches): left 30 mm, right 15 mm, top and bottom
 * 20 mm; the footer 8 mm from the edge. */
#define MARGIN_LEFT (30 / 25.4)
#define MARGIN_RIGHT (15 / 25.4)
#define MARGIN_TOP (20 / 25.4)
#define MARGIN_BOTTOM (20 / 25.4)
#define MARGIN_FOOTER (8 / 25.4)

/* Rows of the document header, the same on every sheet. */
enum {
	ROW_BODIES = 0,		/* parent body | national title (party: "ĐẢNG CỘNG SẢN VIỆT NAM") */
	ROW_ISSUER = 1,		/* issuing body | motto */
	ROW_RULE = 2,		/* the short lines (state), "*" (party) */
	ROW_NUMBER = 3,		/* number | place and date */
	ROW_GAP = 4,
	ROW_DOCTYPE = 5,	/* "BÁO CÁO" */
	ROW_SUBJECT = 6,
	ROW_EDITION = 7,
	ROW_AFTER = 8,
	ROW_FIRST_FREE = 9,
};

#define NATIONAL_TITLE "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#define MOTTO "Độc lập - Tự do - Hạnh phúc"
#define PARTY_TITLE "ĐẢNG CỘNG SẢN VIỆT NAM"

/* A black pixel (PNG): stretched, it draws the lines under the issuing body and the motto. */
static const unsigned char pixel_png[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
	0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
	0x00, 0x3a, 0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
	0xda, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xe5, 0x27, 0xde, 0xfc, 0x00,
	0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

/* ---- small helpers ---- */

/* Keeps the first libxlsxwriter failure and what it was about. */
void consol_xlsx_check(struct consol_xlsx *w, lxw_error e, const char *what)
{
	xlsxw_keep(&w->x, e, what);
}

/* The text as a cell may hold it. */
const char *consol_xlsx_text(struct consol_xlsx *w, const char *s)
{
	return xlsxw_text(&w->x, s);
}

/* Writes text, cut to the cell limit; NULL or "" gives a formatted blank. */
void consol_xlsx_str(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     const char *s, lxw_format *f, const char *what)
{
	xlsxw_str(&w->x, ws, row, col, s, f, what);
}

/* Writes a number. */
void consol_xlsx_num(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     double v, lxw_format *f, const char *what)
{
	xlsxw_num(&w->x, ws, row, col, v, f, what);
}

/* Writes a share as a fraction, or a blank when there is nothing to share. */
void consol_xlsx_ratio(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		       unsigned part, unsigned whole, lxw_format *f, const char *what)
{
	if (whole == 0)
		consol_xlsx_check(w, worksheet_write_blank(ws, row, col, f), what);
	else
		consol_xlsx_num(w, ws, row, col, (double)part / whole, f, what);
}

/*
 * Merges columns of a row around the text. worksheet_merge_range() ignores the result of
 * writing its first cell, so the text is cut to the cell limit here.
 */
void consol_xlsx_merge(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
		       lxw_col_t first, lxw_col_t last, const char *s, lxw_format *f,
		       const char *what)
{
	if (first == last) {
		consol_xlsx_str(w, ws, row, first, s, f, what);
		return;
	}
	consol_xlsx_check(w, worksheet_merge_range(ws, row, first, row, last,
						   consol_xlsx_text(w, s ? s : ""), f), what);
}

/* Sets a row's height. */
void consol_xlsx_height(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, double points)
{
	xlsxw_height(&w->x, ws, row, points);
}

/*
 * Lines of wrapped text, words wrapped whole. A column `chars` wide is 7 * chars pixels, less
 * the cell's margins; Vietnamese text in Times New Roman averages about 0.37 em a
 * character (measured in LibreOffice's PDF; 0.38 to be safe), ASCII capitals about 0.7 em and
 * digits 0.5 em (codes such as "X-THACH-HA"). Callers give bold text a larger size.
 */
unsigned consol_xlsx_lines(const char *s, double chars, double points)
{
	if (s == NULL)
		return 1;
	double em = points * 96 / 72, cap = (7 * chars - 6) / (0.38 * em);
	if (cap < 1)
		cap = 1;
	unsigned lines = 1;
	double line = 0, word = 0;	/* widths of the line and of the word being read */
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\0') {
			if (word > 0) {
				if (line > 0 && line + 1 + word <= cap) {
					line += 1 + word;
				} else {
					if (line > 0)
						lines++;
					/* a word longer than a line breaks where it must */
					while (word > cap) {
						lines++;
						word -= cap;
					}
					line = word;
				}
				word = 0;
			}
			if (*p == '\0')
				break;
			if (*p == '\n') {
				lines++;
				line = 0;
			}
		} else if (*p >= 'A' && *p <= 'Z') {
			word += 0.7 / 0.38;
		} else if (*p >= '0' && *p <= '9') {
			word += 0.5 / 0.38;
		} else if (!utf8_continuation(*p)) {
			word += 1;
		}
	}
	return lines;
}

/* A table row of `lines` lines of 12 pt text with a little room above and below. */
double consol_xlsx_row_points(unsigned lines)
{
	return lines * 14.5 + 4;
}

/* The width of a span of columns. */
double consol_xlsx_span(const struct consol_layout *l, lxw_col_t first, lxw_col_t last)
{
	double sum = 0;
	for (lxw_col_t c = first; c <= last && c < l->ncols; c++)
		sum += l->widths[c];
	return sum;
}

/* The words of a unit's state. */
const char *consol_state_label_vi(enum consol_state state)
{
	switch (state) {
	case CONSOL_ON_TIME:
		return "Đúng hạn";
	case CONSOL_LATE:
		return "Nộp muộn";
	case CONSOL_MISSING:
		return "Chưa báo cáo";
	case CONSOL_RETURNED:
		return "Trả lại để bổ sung";
	}
	return "";
}

/* A group's title by its name. */
const char *consol_group_title(const struct consol_doc *doc, const char *group)
{
	for (size_t i = 0; i < doc->ngroups; i++)
		if (group && doc->groups[i].name && strcmp(doc->groups[i].name, group) == 0)
			return doc->groups[i].title ? doc->groups[i].title : group;
	return group ? group : "";
}

/* Whether a unit starts a new group in a list: the first listed, or its group differs from
 * the previous unit's. */
bool consol_new_group(const struct consol_unit *u, const char *previous, bool first)
{
	if (first)
		return true;
	if (u->group == NULL || previous == NULL)
		return u->group != previous;
	return strcmp(u->group, previous) != 0;
}

/* ---- formats ---- */

/* Text centred in its cell (the document header). */
static lxw_format *centred(struct consol_xlsx *w, double size, bool bold, bool italic,
			   uint8_t valign)
{
	return xlsxw_format_centred(w->x.wb, size, bold, italic, valign);
}

/* A bordered table cell, on a background colour unless bg is 0. */
static lxw_format *cell(struct consol_xlsx *w, bool bold, uint8_t align, const char *num,
			uint32_t bg)
{
	lxw_format *f = xlsxw_format_cell(w->x.wb, bold, align, num);
	if (bg)
		format_set_bg_color(f, bg);
	return f;
}

/*
 * Numbers every format now, in the order of the struct: libxlsxwriter numbers a format when a
 * row using it is first written, changing the workbook's table of formats, so two threads
 * writing sheets would race (and the numbers would follow the threads' order). Numbered here,
 * a format is only read afterwards; one with the same properties as an earlier one keeps no
 * number of its own and is looked up in that table each time, which only reads it.
 */
static void number_formats(struct consol_formats *f)
{
	lxw_format *const all[] = {
		f->parent, f->body, f->nation, f->motto, f->party, f->star, f->number, f->date,
		f->doctype, f->subject, f->edition, f->section, f->note, f->para, f->recv_title,
		f->recv_line, f->th, f->text, f->center, f->count, f->pct, f->mark, f->progress,
		f->group, f->unit, f->total, f->total_count, f->total_pct, f->column,
	};
	_Static_assert(sizeof all == sizeof *f, "every format of struct consol_formats is numbered");
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		(void)lxw_format_get_xf_index(all[i]);	/* a number, or 0 on out-of-memory */
}

/* Creates every format of the workbook. */
void consol_xlsx_formats(struct consol_xlsx *w)
{
	struct consol_formats *f = &w->f;
	f->column = xlsxw_format(w->x.wb, 12, false, false);
	f->parent = centred(w, 13, false, false, LXW_ALIGN_VERTICAL_BOTTOM);
	f->body = centred(w, 13, true, false, LXW_ALIGN_VERTICAL_BOTTOM);
	f->nation = centred(w, 13, true, false, LXW_ALIGN_VERTICAL_BOTTOM);
	f->motto = centred(w, 14, true, false, LXW_ALIGN_VERTICAL_BOTTOM);
	f->party = centred(w, 15, true, false, LXW_ALIGN_VERTICAL_BOTTOM);
	format_set_underline(f->party, LXW_UNDERLINE_SINGLE);
	f->star = centred(w, 13, false, false, LXW_ALIGN_VERTICAL_TOP);
	f->number = centred(w, 13, false, false, LXW_ALIGN_VERTICAL_CENTER);
	f->date = centred(w, 14, false, true, LXW_ALIGN_VERTICAL_CENTER);
	f->doctype = centred(w, 14, true, false, LXW_ALIGN_VERTICAL_BOTTOM);
	f->subject = centred(w, 14, true, false, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f->subject);
	f->edition = centred(w, 12, false, true, LXW_ALIGN_VERTICAL_CENTER);
	format_set_text_wrap(f->edition);
	f->section = xlsxw_format(w->x.wb, 13, true, false);
	format_set_align(f->section, LXW_ALIGN_VERTICAL_BOTTOM);
	f->note = xlsxw_format(w->x.wb, 12, false, true);
	format_set_align(f->note, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f->note);
	f->para = xlsxw_format(w->x.wb, 13, false, false);
	format_set_align(f->para, LXW_ALIGN_JUSTIFY);
	format_set_align(f->para, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(f->para);
	f->recv_title = xlsxw_format(w->x.wb, 12, true, true);
	f->recv_line = xlsxw_format(w->x.wb, 11, false, false);
	f->th = cell(w, true, LXW_ALIGN_CENTER, NULL, XLSXW_COLOR_HEADER);
	format_set_align(f->th, LXW_ALIGN_VERTICAL_CENTER);
	f->text = cell(w, false, LXW_ALIGN_LEFT, NULL, 0);
	format_set_indent(f->text, CONSOL_INDENT);
	f->center = cell(w, false, LXW_ALIGN_CENTER, NULL, 0);
	f->count = cell(w, false, LXW_ALIGN_CENTER, "#,##0", 0);
	f->pct = cell(w, false, LXW_ALIGN_CENTER, "0.0%", 0);
	f->mark = cell(w, false, LXW_ALIGN_CENTER, NULL, 0);
	f->progress = cell(w, false, LXW_ALIGN_CENTER, "0", 0);
	f->group = cell(w, true, LXW_ALIGN_LEFT, NULL, 0);
	format_set_indent(f->group, CONSOL_INDENT);
	f->unit = cell(w, true, LXW_ALIGN_LEFT, NULL, COLOR_UNIT);
	format_set_indent(f->unit, CONSOL_INDENT);
	f->total = cell(w, true, LXW_ALIGN_LEFT, NULL, 0);
	format_set_indent(f->total, CONSOL_INDENT);
	f->total_count = cell(w, true, LXW_ALIGN_CENTER, "#,##0", 0);
	f->total_pct = cell(w, true, LXW_ALIGN_CENTER, "0.0%", 0);
	number_formats(f);
}

/* A writer for another thread writing other sheets of the same workbook: its own scratch
 * texts and first failure, the same workbook, document and formats. */
void consol_xlsx_fork(const struct consol_xlsx *w, struct consol_xlsx *other)
{
	*other = (struct consol_xlsx){
		.x = { .wb = w->x.wb, .who = w->x.who, .err = LXW_NO_ERROR },
		.doc = w->doc,
		.f = w->f,
	};
}

/* Takes back a forked writer: its first failure if w has none, then its scratch freed. */
void consol_xlsx_join(struct consol_xlsx *w, struct consol_xlsx *other)
{
	xlsxw_keep(&w->x, other->x.err, other->x.what);
	strbuf_free(&other->line);
	strbuf_free(&other->x.clean);
	strbuf_free(&other->x.cut);
}

/* ---- the document header ---- */

/* The width in pixels libxlsxwriter gives a column `chars` wide (Calibri 11's 7-pixel digit). */
static double column_pixels(double chars)
{
	return chars < 1 ? (double)(unsigned)(chars * 12 + 0.5)
			 : (double)(unsigned)(chars * 7 + 0.5) + 5;
}

/* The pixels from the sheet's left edge to column c. */
static double left_pixels(const struct consol_layout *l, lxw_col_t c)
{
	double x = 0;
	for (lxw_col_t i = 0; i < c && i < l->ncols; i++)
		x += column_pixels(l->widths[i]);
	return x;
}

/*
 * The printed width of a line of Times New Roman in pixels at 96 dpi, estimated from its
 * letters: capitals about 0.72 em (bold) or 0.68 em, small letters 0.5 em, spaces 0.25 em.
 */
static double text_pixels(const char *s, double points, bool bold)
{
	double em = points * 96 / 72, w = 0;
	bool caps = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			caps = false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (utf8_continuation(*p))
			continue;
		if (*p == ' ')
			w += 0.25;
		else if (*p == '-' || *p == '.' || *p == ',' || *p == ':')
			w += 0.33;
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= 0x80 && caps))
			w += bold ? 0.72 : 0.68;
		else
			w += 0.5;
	}
	return w * em;
}

/* A solid line `len` pixels long centred on x, at the top of a row. */
static void rule(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, double x, double len)
{
	lxw_image_options opt = {
		.x_offset = (int32_t)(x - len / 2 + 0.5),
		.y_offset = 4,
		.x_scale = len,
		.y_scale = 1.33,	/* 1 pt */
		.object_position = LXW_OBJECT_MOVE_DONT_SIZE,
		.decorative = LXW_TRUE,
	};
	consol_xlsx_check(w, worksheet_insert_image_buffer_opt(ws, row, 0, pixel_png,
							       sizeof pixel_png, &opt), "line");
}

/* The edition's line: draft at the cut-off, live figures, official, supplement. */
static char *edition_text(const struct consol_doc *doc)
{
	const char *at = doc->built_at_text ? doc->built_at_text : "";
	switch (doc->edition) {
	case CONSOL_CUTOFF:
		return xasprintf("Bản dự thảo tại thời điểm khóa sổ %s", at);
	case CONSOL_LIVE:
		return xasprintf("Số liệu trực tiếp tại %s (chưa khóa sổ, chưa phê duyệt)", at);
	case CONSOL_FINAL:
		break;
	}
	if (doc->version > 1)	/* version 2 is the first supplement */
		return xasprintf("Bản bổ sung lần %d (số liệu tại %s)", doc->version - 1, at);
	return xasprintf("Bản chính thức (số liệu tại %s)", at);
}

/* The document header: the two blocks, "BÁO CÁO", the subject, the edition. */
static void write_header(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	lxw_col_t split = l->split, last = l->ncols - 1;
	bool party = doc->header == CONSOL_HEADER_PARTY;

	consol_xlsx_merge(w, ws, ROW_BODIES, 0, split - 1, doc->parent_body, f->parent, "parent");
	consol_xlsx_merge(w, ws, ROW_BODIES, split, last, party ? PARTY_TITLE : NATIONAL_TITLE,
			  party ? f->party : f->nation, "national title");
	consol_xlsx_height(w, ws, ROW_BODIES, party ? 21 : 18);
	consol_xlsx_merge(w, ws, ROW_ISSUER, 0, split - 1, doc->issuing_body, f->body, "body");
	if (!party)
		consol_xlsx_merge(w, ws, ROW_ISSUER, split, last, MOTTO, f->motto, "motto");
	consol_xlsx_height(w, ws, ROW_ISSUER, 19);
	if (party) {
		consol_xlsx_merge(w, ws, ROW_RULE, 0, split - 1, "*", f->star, "star");
		consol_xlsx_height(w, ws, ROW_RULE, 17);
	} else {
		/* The issuing body's line is 2/5 of its width; the motto's as long as the motto. */
		double left = left_pixels(l, split), right = left_pixels(l, l->ncols) - left;
		double body = text_pixels(doc->issuing_body ? doc->issuing_body : "", 13, true);
		rule(w, ws, ROW_RULE, left / 2, body * 0.4 < left / 2 ? body * 0.4 : left / 2);
		rule(w, ws, ROW_RULE, left + right / 2, text_pixels(MOTTO, 14, true));
		consol_xlsx_height(w, ws, ROW_RULE, 10);
	}
	char *number = consol_number_text(doc), *date = consol_place_date(doc);
	consol_xlsx_merge(w, ws, ROW_NUMBER, 0, split - 1, number, f->number, "number");
	consol_xlsx_merge(w, ws, ROW_NUMBER, split, last, date, f->date, "date");
	consol_xlsx_height(w, ws, ROW_NUMBER, 21);
	free(number);
	free(date);
	consol_xlsx_height(w, ws, ROW_GAP, 10);

	consol_xlsx_merge(w, ws, ROW_DOCTYPE, 0, last, "BÁO CÁO", f->doctype, "document type");
	consol_xlsx_height(w, ws, ROW_DOCTYPE, 21);
	double width = consol_xlsx_span(l, 0, last);
	consol_xlsx_merge(w, ws, ROW_SUBJECT, 0, last, doc->subject, f->subject, "subject");
	consol_xlsx_height(w, ws, ROW_SUBJECT,
			   19.0 * consol_xlsx_lines(doc->subject, width, 15));	/* bold */
	char *edition = edition_text(doc);
	consol_xlsx_merge(w, ws, ROW_EDITION, 0, last, edition, f->edition, "edition");
	consol_xlsx_height(w, ws, ROW_EDITION, 18);
	free(edition);
	consol_xlsx_height(w, ws, ROW_AFTER, 8);
}

/* Paper, orientation, margins, scaling and the footer with the page number. */
static void page_setup(struct consol_xlsx *w, lxw_worksheet *ws)
{
	/* Excel's header cannot leave out page 1 (as the decree puts the number top centre,
	 * not on the first page), so the page number goes to the footer, with the sheet's name
	 * and the report it belongs to. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "&L&\"" XLSXW_FONT ",Italic\"&9");
	xlsxw_hf_text(&sb, w->doc->series_name);
	strbuf_adds(&sb, " - ");
	xlsxw_hf_text(&sb, w->doc->period_key);
	strbuf_adds(&sb, " - &A&R&\"" XLSXW_FONT ",Regular\"&10Trang &P");
	struct xlsxw_page page = {
		.left = MARGIN_LEFT, .right = MARGIN_RIGHT, .top = MARGIN_TOP,
		.bottom = MARGIN_BOTTOM, .footer = strbuf_str(&sb), .footer_margin = MARGIN_FOOTER,
	};
	xlsxw_page_setup(&w->x, ws, &page);
	strbuf_free(&sb);
}

/* Columns, print settings and the document header of a sheet. */
lxw_row_t consol_xlsx_frame(struct consol_xlsx *w, lxw_worksheet *ws,
			    const struct consol_layout *l)
{
	for (lxw_col_t c = 0; c < l->ncols; c++)
		consol_xlsx_check(w, worksheet_set_column(ws, c, c, l->widths[c], w->f.column),
				  "column width");
	page_setup(w, ws);
	write_header(w, ws, l);
	return ROW_FIRST_FREE;
}

/* The table header repeated on printed pages, the print area. */
void consol_xlsx_finish(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			lxw_row_t first_header, lxw_row_t last_header, lxw_row_t last_row)
{
	/* No frozen panes: with the document header above it, the table's header is too far
	 * down for a pane to leave room on a small screen. */
	if (first_header <= last_header)
		xlsxw_print_titles(&w->x, ws, first_header, last_header);
	xlsxw_print_area(&w->x, ws, last_row, l->ncols - 1);
}

/* A table's header row, as tall as its longest title needs. */
void consol_xlsx_table_header(struct consol_xlsx *w, lxw_worksheet *ws,
			      const struct consol_layout *l, lxw_row_t row,
			      const char *const *titles)
{
	unsigned lines = 1;
	for (lxw_col_t c = 0; c < l->ncols; c++) {
		consol_xlsx_str(w, ws, row, c, titles[c], w->f.th, "table header");
		unsigned n = consol_xlsx_lines(titles[c], l->widths[c], 15);	/* bold, narrow */
		if (n > lines)
			lines = n;
	}
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(lines));
}

/* ---- the document ---- */

/* The document's fixed properties: the same document gives the same bytes. */
void consol_xlsx_properties(struct consol_xlsx *w)
{
	const struct consol_doc *doc = w->doc;
	char *keywords = xasprintf("baocao; %s; %s", doc->series_name ? doc->series_name : "",
				   doc->period_key ? doc->period_key : "");
	char *comments = edition_text(doc);
	struct xlsxw_props props = {
		.title = doc->subject ? doc->subject : "",
		.subject = "Báo cáo tổng hợp",
		.company = doc->issuing_body ? doc->issuing_body : "",
		.keywords = keywords,
		.comments = comments,
		.created = doc->created,
	};
	xlsxw_properties(&w->x, &props);
	free(keywords);
	free(comments);
}
