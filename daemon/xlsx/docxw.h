/* The writer kit of .docx documents (the consolidated report's draft): paragraphs, runs and
 * tables without borders appended to the body of word/document.xml as XML text, then the
 * package (its fixed parts, the styles in Times New Roman, an A4 page) zipped in memory with
 * libzip and checked. */
#ifndef BAOCAO_DOCXW_H
#define BAOCAO_DOCXW_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The font of every document we write. */
#define DOCXW_FONT "Times New Roman"
/* Millimetres in twips (the unit of WordprocessingML's lengths: 1/20 point). */
#define DOCXW_MM(mm) ((int)((mm) * 1440.0 / 25.4 + 0.5))
/* Points in twips. */
#define DOCXW_PT(pt) ((int)((pt) * 20.0 + 0.5))
/* The package's media type. */
#define DOCXW_CONTENT_TYPE \
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"

enum docxw_align { DOCXW_LEFT, DOCXW_CENTER, DOCXW_RIGHT, DOCXW_BOTH };

/* A run's look (docxw_run's flags). */
#define DOCXW_BOLD 1u
#define DOCXW_ITALIC 2u
#define DOCXW_UNDERLINE 4u

/* A document being written: the body's XML so far. */
struct docxw {
	struct strbuf body;
};

/* A paragraph's layout; lengths in twips. */
struct docxw_para {
	enum docxw_align align;
	int left, right;	/* indents */
	int first_line;		/* the first line's indent */
	int before, after;	/* space above and below */
	int line;		/* line spacing in 240ths of a line; 0: single */
	bool keep_next;		/* on the same page as the next paragraph */
};

/* Starts an empty document. */
void docxw_init(struct docxw *d);
/* Frees what the document holds. */
void docxw_free(struct docxw *d);

/* Starts a paragraph (p NULL: left, no indent, no space). */
void docxw_p_begin(struct docxw *d, const struct docxw_para *p);
/* Appends a run of text to the open paragraph: flags DOCXW_*, size in points (0: the body
 * text's); LF as a line break, tab as a tab, CR left out, anything else outside the text rule
 * (xmltext.h) as U+FFFD, and the XML specials escaped. NULL writes nothing. */
void docxw_run(struct docxw *d, const char *text, unsigned flags, double points);
/* Ends the open paragraph. */
void docxw_p_end(struct docxw *d);
/* A paragraph of one run. */
void docxw_p(struct docxw *d, const struct docxw_para *p, const char *text, unsigned flags,
	     double points);
/* A solid horizontal line, as a paragraph of almost no height whose top border runs between
 * the indents left and right (twips) of the column it is in, before twips below the text
 * above. */
void docxw_rule(struct docxw *d, int left, int right, int before);

/* Starts a table without borders or cell margins, its columns widths[0..n) twips, shifted
 * left of the text's edge by outdent twips (the header's blocks reach into the margin). */
void docxw_table_begin(struct docxw *d, const int *widths, size_t n, int outdent);
void docxw_row_begin(struct docxw *d);
/* Starts a cell of width twips; it must hold at least one paragraph before its end. */
void docxw_cell_begin(struct docxw *d, int width);
void docxw_cell_end(struct docxw *d);
void docxw_row_end(struct docxw *d);
void docxw_table_end(struct docxw *d);

/* The width of a text in twips, roughly, in DOCXW_FONT (capitals wider, bold a little wider):
 * for the length of the rules under the header's texts. */
int docxw_text_width(const char *s, double points, bool bold);

/* The page: A4 portrait, the margins in twips. */
struct docxw_page {
	int top, bottom, left, right;
	int header;		/* the page number's distance from the paper's top edge */
	bool page_numbers;	/* the number centred at the top of every page but the first */
};

/* The document's properties (docProps/core.xml); texts may be NULL. */
struct docxw_props {
	const char *title, *subject;
	time_t created;		/* 0 or less: 2000-01-01 */
};

/* The largest package docxw_finish() returns. */
#define DOCXW_FILE_MAX (64u << 20)

/*
 * Ends the document: the body's section (page, margins, page numbers), the fixed parts
 * ([Content_Types].xml, the relationships, styles with the body text in DOCXW_FONT of
 * points, settings, core and app properties), zipped in memory with fixed dates (the same
 * document gives the same bytes), then checked (ooxml_check). Returns 0 with *data (free it)
 * and *len, or -1 with *err (English, starting with who).
 */
int docxw_finish(struct docxw *d, const char *who, const struct docxw_page *pg,
		 const struct docxw_props *pr, double points, unsigned char **data, size_t *len,
		 char **err);

#endif
