/* The writer kit's page set-up: A4 landscape one page wide, margins, footer, print titles and
 * print area. */
#include "xlsxw.h"
#include "util.h"
#include "xmltext.h"

#include <stdlib.h>

/* libxlsxwriter's paper code of A4. */
#define PAPER_A4 9

/* Paper, orientation, scaling, margins and footer of a sheet. */
void xlsxw_page_setup(struct xlsxw *w, lxw_worksheet *ws, const struct xlsxw_page *p)
{
	worksheet_set_landscape(ws);
	worksheet_set_paper(ws, PAPER_A4);
	worksheet_fit_to_pages(ws, 1, 0);
	if (p->left != 0 || p->right != 0 || p->top != 0 || p->bottom != 0)
		worksheet_set_margins(ws, p->left, p->right, p->top, p->bottom);
	if (p->centre)
		worksheet_center_horizontally(ws);
	if (p->footer != NULL) {
		lxw_header_footer_options opt = { .margin = p->footer_margin };
		xlsxw_keep(w, worksheet_set_footer_opt(ws, p->footer, &opt), "footer");
	}
}

/* Rows repeated at the top of every printed page. */
void xlsxw_print_titles(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t first, lxw_row_t last)
{
	xlsxw_keep(w, worksheet_repeat_rows(ws, first, last), "print titles");
}

/* The part of a sheet that prints. */
void xlsxw_print_area(struct xlsxw *w, lxw_worksheet *ws, lxw_row_t last_row,
		      lxw_col_t last_col)
{
	xlsxw_keep(w, worksheet_print_area(ws, 0, 0, last_row, last_col), "print area");
}

/* Appends text to a header or footer, '&' doubled, anything outside the text rule as
 * U+FFFD. */
void xlsxw_hf_text(struct strbuf *sb, const char *text)
{
	char *clean = xmltext_clean(text);
	for (const char *s = clean; *s; s++) {
		if (*s == '&')
			strbuf_addc(sb, '&');
		strbuf_addc(sb, *s);
	}
	free(clean);
}
