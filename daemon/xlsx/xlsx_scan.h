/* A fast, bounded XML scanner for .xlsx parts: the well-formed subset writers produce, else expat. */
#ifndef BAOCAO_XLSX_SCAN_H
#define BAOCAO_XLSX_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* The SpreadsheetML namespaces: transitional and Strict OOXML. */
#define XLSX_NS_MAIN_URI "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define XLSX_NS_STRICT_URI "http://purl.oclc.org/ooxml/spreadsheetml/main"

/* The namespace of an element or attribute, as far as the reader cares. */
enum xlsx_ns {
	XLSX_NS_OTHER = -1,	/* any other namespace (xml: included) */
	XLSX_NS_NONE = 0,	/* no namespace: unprefixed attributes, elements without a default */
	XLSX_NS_SML = 1,	/* SpreadsheetML, transitional or Strict */
};

/* An attribute: its namespace, local name and value (entities decoded, white space normalised
 * as XML requires). The strings are NUL-terminated and valid only during the call. */
struct xlsx_attr {
	int ns;
	const char *local;
	const char *value;
};

/* What a parse reports, in document order; each returns false to stop the parse. The same
 * handlers serve expat (through an adapter) and the scanner. Any of them may be NULL. */
struct xlsx_xml_handlers {
	bool (*start)(void *ud, int ns, const char *local, const struct xlsx_attr *atts, size_t n);
	bool (*end)(void *ud, int ns, const char *local);
	bool (*text)(void *ud, const char *s, size_t len);
};

/* How a call to xlsx_scan_parse() ended. */
enum xlsx_scan_status {
	XLSX_SCAN_OK,		/* all given bytes are consumed, or kept for the next call */
	XLSX_SCAN_STOPPED,	/* a handler returned false */
	XLSX_SCAN_FALLBACK,	/* something outside the scanner's subset, or not well-formed:
				 * the part must be parsed again from its start by expat */
};

struct xlsx_scan;

/* A new scanner; reuse it for part after part with xlsx_scan_start(). */
struct xlsx_scan *xlsx_scan_new(void);
/* Frees a scanner; NULL is allowed. */
void xlsx_scan_free(struct xlsx_scan *sc);
/* Starts a new document with the given handlers, keeping the memory of earlier ones. */
void xlsx_scan_start(struct xlsx_scan *sc, const struct xlsx_xml_handlers *h, void *ud);
/* Room for n more bytes of the document, to be filled and passed to xlsx_scan_parse(); NULL
 * if an unfinished token would grow past the scanner's bound (then fall back to expat). */
char *xlsx_scan_buffer(struct xlsx_scan *sc, size_t n);
/* Scans n more bytes written into the buffer; final is true (with n == 0 or not) once the
 * document has no more bytes. */
enum xlsx_scan_status xlsx_scan_parse(struct xlsx_scan *sc, size_t n, bool final);

#endif
