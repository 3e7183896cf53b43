/* The writer kit of .docx documents: the body written as WordprocessingML text, the fixed
 * parts, and the package zipped in memory with libzip. */
#include "docxw.h"
#include "ooxml.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define REL_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

/* A4 in twips. */
#define A4_WIDTH 11906
#define A4_HEIGHT 16838

void docxw_init(struct docxw *d)
{
	*d = (struct docxw){ .body = STRBUF_INIT };
}

void docxw_free(struct docxw *d)
{
	strbuf_free(&d->body);
}

/* ---- the body ---- */

/* Starts a paragraph with its properties. */
void docxw_p_begin(struct docxw *d, const struct docxw_para *p)
{
	static const char *const jc[] = { "left", "center", "right", "both" };
	struct docxw_para none = { 0 };
	if (p == NULL)
		p = &none;
	struct strbuf *b = &d->body;
	strbuf_adds(b, "<w:p><w:pPr>");
	if (p->keep_next)
		strbuf_adds(b, "<w:keepNext/>");
	strbuf_addf(b, "<w:spacing w:before=\"%d\" w:after=\"%d\" w:line=\"%d\" "
		    "w:lineRule=\"auto\"/>", p->before, p->after, p->line > 0 ? p->line : 240);
	if (p->left || p->right || p->first_line)
		strbuf_addf(b, "<w:ind w:left=\"%d\" w:right=\"%d\" w:firstLine=\"%d\"/>", p->left,
			    p->right, p->first_line);
	strbuf_addf(b, "<w:jc w:val=\"%s\"/></w:pPr>",
		    (unsigned)p->align < nitems(jc) ? jc[p->align] : "left");
}

/* Appends one run's text: tabs and line breaks as elements, the rest escaped. */
static void run_text(struct strbuf *b, const char *s)
{
	size_t n = strlen(s), run = 0;
	strbuf_adds(b, "<w:t xml:space=\"preserve\">");
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '\0';
		if (c != '\0' && c != '\n' && c != '\t' && c != '\r')
			continue;
		xmltext_escape_add(b, s + run, i - run);
		run = i + 1;
		if (c == '\n')
			strbuf_adds(b, "</w:t><w:br/><w:t xml:space=\"preserve\">");
		else if (c == '\t')
			strbuf_adds(b, "</w:t><w:tab/><w:t xml:space=\"preserve\">");
	}
	strbuf_adds(b, "</w:t>");
}

/* Appends a run of text to the open paragraph. */
void docxw_run(struct docxw *d, const char *text, unsigned flags, double points)
{
	if (text == NULL)
		return;
	struct strbuf *b = &d->body;
	strbuf_adds(b, "<w:r>");
	if (flags != 0 || points > 0) {
		strbuf_adds(b, "<w:rPr>");
		if (flags & DOCXW_BOLD)
			strbuf_adds(b, "<w:b/><w:bCs/>");
		if (flags & DOCXW_ITALIC)
			strbuf_adds(b, "<w:i/><w:iCs/>");
		if (points > 0) {
			int half = (int)(points * 2 + 0.5);
			strbuf_addf(b, "<w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>", half, half);
		}
		/* After the size: Word reads rPr's children in the schema's order. */
		if (flags & DOCXW_UNDERLINE)
			strbuf_adds(b, "<w:u w:val=\"single\"/>");
		strbuf_adds(b, "</w:rPr>");
	}
	run_text(b, text);
	strbuf_adds(b, "</w:r>");
}

void docxw_p_end(struct docxw *d)
{
	strbuf_adds(&d->body, "</w:p>");
}

/* A paragraph of one run. */
void docxw_p(struct docxw *d, const struct docxw_para *p, const char *text, unsigned flags,
	     double points)
{
	docxw_p_begin(d, p);
	docxw_run(d, text, flags, points);
	docxw_p_end(d);
}

/* A line: the top border of an empty paragraph 2 points high. */
void docxw_rule(struct docxw *d, int left, int right, int before)
{
	strbuf_addf(&d->body,
		    "<w:p><w:pPr><w:pBdr><w:top w:val=\"single\" w:sz=\"6\" w:space=\"0\" "
		    "w:color=\"000000\"/></w:pBdr><w:spacing w:before=\"%d\" w:after=\"0\" "
		    "w:line=\"40\" w:lineRule=\"exact\"/><w:ind w:left=\"%d\" w:right=\"%d\"/>"
		    "<w:rPr><w:sz w:val=\"4\"/></w:rPr></w:pPr></w:p>", before, left, right);
}

/* Starts a table without borders. */
void docxw_table_begin(struct docxw *d, const int *widths, size_t n, int outdent)
{
	struct strbuf *b = &d->body;
	int total = 0;
	for (size_t i = 0; i < n; i++)
		total += widths[i];
	strbuf_addf(b, "<w:tbl><w:tblPr><w:tblW w:w=\"%d\" w:type=\"dxa\"/>"
		    "<w:tblInd w:w=\"%d\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/>"
		    "<w:tblCellMar><w:left w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"0\" "
		    "w:type=\"dxa\"/></w:tblCellMar><w:tblLook w:val=\"0000\"/></w:tblPr>"
		    "<w:tblGrid>", total, -outdent);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(b, "<w:gridCol w:w=\"%d\"/>", widths[i]);
	strbuf_adds(b, "</w:tblGrid>");
}

void docxw_row_begin(struct docxw *d)
{
	strbuf_adds(&d->body, "<w:tr><w:trPr><w:cantSplit/></w:trPr>");
}

void docxw_cell_begin(struct docxw *d, int width)
{
	strbuf_addf(&d->body, "<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/></w:tcPr>", width);
}

void docxw_cell_end(struct docxw *d)
{
	strbuf_adds(&d->body, "</w:tc>");
}

void docxw_row_end(struct docxw *d)
{
	strbuf_adds(&d->body, "</w:tr>");
}

void docxw_table_end(struct docxw *d)
{
	strbuf_adds(&d->body, "</w:tbl>");
}

/* A text's width: Times New Roman's advance widths, averaged by kind of character. */
int docxw_text_width(const char *s, double points, bool bold)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	double em = 0;		/* in em */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			len = 1;
			cp = '?';
		}
		i += len;
		if (cp == ' ')
			em += 0.25;
		else if (cp == '-' || cp == '.' || cp == ',' || cp == ':')
			em += 0.3;
		else if (cp == 'M' || cp == 'W' || cp == 0x0110 /* Đ */)
			em += 0.85;
		else if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE) ||
			 (cp >= 0x1EA0 && cp <= 0x1EF9 && cp % 2 == 0) || cp == 0x01A0 ||
			 cp == 0x01AF)
			em += 0.7;	/* capitals, Vietnamese ones included (even code points) */
		else
			em += 0.47;
	}
	return (int)(em * points * 20.0 * (bold ? 1.05 : 1.0) + 0.5);
}

/* ---- the package ---- */

/* The parts written as they are, but for the page numbers' header. */
static const char content_types[] = XML_DECL
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Default Extension=\"rels\" "
	"ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/word/document.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
	"<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
	"<Override PartName=\"/word/settings.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
	"<Override PartName=\"/word/header1.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>"
	"<Override PartName=\"/docProps/core.xml\" "
	"ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
	"<Override PartName=\"/docProps/app.xml\" "
	"ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
	"</Types>";

static const char package_rels[] = XML_DECL
	"<Relationships xmlns=\"" NS_PKG_REL "\">"
	"<Relationship Id=\"rId1\" Type=\"" REL_TYPE "officeDocument\" "
	"Target=\"word/document.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/"
	"relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" REL_TYPE "extended-properties\" "
	"Target=\"docProps/app.xml\"/>"
	"</Relationships>";

static const char document_rels[] = XML_DECL
	"<Relationships xmlns=\"" NS_PKG_REL "\">"
	"<Relationship Id=\"rId1\" Type=\"" REL_TYPE "styles\" Target=\"styles.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"" REL_TYPE "settings\" Target=\"settings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" REL_TYPE "header\" Target=\"header1.xml\"/>"
	"</Relationships>";

static const char settings[] = XML_DECL
	"<w:settings xmlns:w=\"" NS_W "\">"
	"<w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"720\"/>"
	"<w:characterSpacingControl w:val=\"doNotCompress\"/>"
	"<w:compat><w:compatSetting w:name=\"compatibilityMode\" "
	"w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>"
	"<w:themeFontLang w:val=\"vi-VN\"/>"
	"</w:settings>";

/* The page number, centred, 13 pt. */
static const char header1[] = XML_DECL
	"<w:hdr xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\">"
	"<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>"
	"<w:r><w:rPr><w:sz w:val=\"26\"/></w:rPr><w:fldChar w:fldCharType=\"begin\"/></w:r>"
	"<w:r><w:rPr><w:sz w:val=\"26\"/></w:rPr><w:instrText xml:space=\"preserve\"> PAGE "
	"</w:instrText></w:r>"
	"<w:r><w:rPr><w:sz w:val=\"26\"/></w:rPr><w:fldChar w:fldCharType=\"separate\"/></w:r>"
	"<w:r><w:rPr><w:sz w:val=\"26\"/></w:rPr><w:t>2</w:t></w:r>"
	"<w:r><w:rPr><w:sz w:val=\"26\"/></w:rPr><w:fldChar w:fldCharType=\"end\"/></w:r>"
	"</w:p></w:hdr>";

static const char app[] = XML_DECL
	"<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"extended-properties\"><Application>baocao</Application></Properties>";

/* word/styles.xml: the defaults (the font, its size, Vietnamese), Normal and the table's. */
static char *styles_xml(double points)
{
	int half = (int)(points * 2 + 0.5);
	return xasprintf(XML_DECL
		"<w:styles xmlns:w=\"" NS_W "\">"
		"<w:docDefaults><w:rPrDefault><w:rPr>"
		"<w:rFonts w:ascii=\"" DOCXW_FONT "\" w:hAnsi=\"" DOCXW_FONT "\" "
		"w:eastAsia=\"" DOCXW_FONT "\" w:cs=\"" DOCXW_FONT "\"/>"
		"<w:color w:val=\"000000\"/><w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>"
		"<w:lang w:val=\"vi-VN\" w:eastAsia=\"vi-VN\" w:bidi=\"ar-SA\"/>"
		"</w:rPr></w:rPrDefault>"
		"<w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" "
		"w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>"
		"<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">"
		"<w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
		"<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\">"
		"<w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/>"
		"<w:semiHidden/></w:style>"
		"<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\">"
		"<w:name w:val=\"Normal Table\"/><w:semiHidden/><w:tblPr><w:tblInd w:w=\"0\" "
		"w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"0\" "
		"w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"0\" "
		"w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>"
		"<w:style w:type=\"numbering\" w:default=\"1\" w:styleId=\"NoList\">"
		"<w:name w:val=\"No List\"/><w:semiHidden/></w:style>"
		"</w:styles>", half, half);
}

/* docProps/core.xml: title, subject, author and the fixed dates. */
static char *core_xml(const struct docxw_props *pr)
{
	time_t t = pr->created > 0 ? pr->created : 946684800;	/* 2000-01-01 */
	struct tm tm;
	char when[32];
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ",
						  &tm) == 0)
		snprintf(when, sizeof when, "2000-01-01T00:00:00Z");
	struct strbuf b = STRBUF_INIT;
	strbuf_adds(&b, XML_DECL
		"<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
		"metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		"xmlns:dcterms=\"http://purl.org/dc/terms/\" "
		"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>");
	if (pr->title)
		xmltext_escape_add(&b, pr->title, strlen(pr->title));
	strbuf_adds(&b, "</dc:title><dc:subject>");
	if (pr->subject)
		xmltext_escape_add(&b, pr->subject, strlen(pr->subject));
	strbuf_addf(&b, "</dc:subject><dc:creator>baocao</dc:creator>"
		    "<dc:language>vi-VN</dc:language>"
		    "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%s</dcterms:created>"
		    "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%s</dcterms:modified>"
		    "</cp:coreProperties>", when, when);
	return strbuf_detach(&b);
}

/* word/document.xml: the body so far and its section. */
static char *document_xml(struct docxw *d, const struct docxw_page *pg)
{
	struct strbuf b = STRBUF_INIT;
	strbuf_adds(&b, XML_DECL "<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\"><w:body>");
	strbuf_add(&b, d->body.data ? d->body.data : "", d->body.len);
	strbuf_adds(&b, "<w:sectPr>");
	if (pg->page_numbers)
		strbuf_adds(&b, "<w:headerReference w:type=\"default\" r:id=\"rId3\"/>");
	strbuf_addf(&b, "<w:pgSz w:w=\"%d\" w:h=\"%d\"/>"
		    "<w:pgMar w:top=\"%d\" w:right=\"%d\" w:bottom=\"%d\" w:left=\"%d\" "
		    "w:header=\"%d\" w:footer=\"%d\" w:gutter=\"0\"/>", A4_WIDTH, A4_HEIGHT,
		    pg->top, pg->right, pg->bottom, pg->left, pg->header > 0 ? pg->header : 567,
		    567);
	if (pg->page_numbers)
		strbuf_adds(&b, "<w:titlePg/>");
	strbuf_adds(&b, "</w:sectPr></w:body></w:document>");
	return strbuf_detach(&b);
}

/* Adds a part to the archive (text: it frees it, whatever happens) with a fixed date.
 * Returns 0, or -1 with *err. */
static int add_part(zip_t *za, const char *name, char *text, bool owned, time_t when,
		    char **err)
{
	zip_source_t *s = zip_source_buffer(za, text, strlen(text), owned ? 1 : 0);
	if (s == NULL) {
		if (owned)
			free(text);
		*err = xasprintf("%s: %s", name, zip_strerror(za));
		return -1;
	}
	zip_int64_t idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(s);
		*err = xasprintf("%s: %s", name, zip_strerror(za));
		return -1;
	}
	if (zip_file_set_mtime(za, (zip_uint64_t)idx, when, 0) != 0) {
		*err = xasprintf("%s: date: %s", name, zip_strerror(za));
		return -1;
	}
	return 0;
}

/* Ends the document and zips it. */
int docxw_finish(struct docxw *d, const char *who, const struct docxw_page *pg,
		 const struct docxw_props *pr, double points, unsigned char **data, size_t *len,
		 char **err)
{
	*data = NULL;
	*len = 0;
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	if (za == NULL) {
		*err = xasprintf("%s: cannot start the package: %s", who, zip_error_strerror(&ze));
		if (src != NULL)
			zip_source_free(src);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	zip_source_keep(src);	/* the archive is read from it after zip_close */
	/* Local noon of 1980-01-01, the first date a zip entry holds: the same bytes each time. */
	struct tm epoch = { .tm_year = 80, .tm_mon = 0, .tm_mday = 1, .tm_hour = 12,
			    .tm_isdst = -1 };
	time_t when = mktime(&epoch);
	char *why = NULL;
	struct { const char *name; char *text; bool owned; } parts[] = {
		{ "[Content_Types].xml", (char *)content_types, false },
		{ "_rels/.rels", (char *)package_rels, false },
		{ "word/document.xml", document_xml(d, pg), true },
		{ "word/_rels/document.xml.rels", (char *)document_rels, false },
		{ "word/styles.xml", styles_xml(points), true },
		{ "word/settings.xml", (char *)settings, false },
		{ "word/header1.xml", (char *)header1, false },
		{ "docProps/core.xml", core_xml(pr), true },
		{ "docProps/app.xml", (char *)app, false },
	};
	int rc = 0;
	for (size_t i = 0; i < nitems(parts); i++) {
		if (rc == 0)
			rc = add_part(za, parts[i].name, parts[i].text, parts[i].owned, when, &why);
		else if (parts[i].owned)
			free(parts[i].text);
	}
	if (rc == 0 && zip_close(za) != 0) {
		why = xasprintf("closing: %s", zip_strerror(za));
		rc = -1;
	}
	if (rc != 0)
		zip_discard(za);
	else if (ooxml_source_take(src, DOCXW_FILE_MAX, data, len) != 0) {
		why = xasprintf("the package is larger than %u bytes or cannot be read back",
				DOCXW_FILE_MAX);
		rc = -1;
	}
	zip_source_free(src);
	if (rc == 0 && ooxml_check(*data, *len, "word/document.xml", &why) != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
		rc = -1;
	}
	if (rc != 0) {
		*err = xasprintf("%s: %s", who, why ? why : "cannot write the document");
		free(why);
	}
	return rc;
}
