/* The structure check of a unit's document (PDF) at upload: a real PDF, whole, with nothing
 * active in it (JavaScript, embedded files, launch actions). Signatures are not its business. */
#ifndef BAOCAO_PDFCHECK_H
#define BAOCAO_PDFCHECK_H

#include <stddef.h>

enum pdfcheck_result {
	PDFCHECK_OK,
	PDFCHECK_NOT_PDF,	/* no %PDF-1.x / %PDF-2.x header in the first 1024 bytes */
	PDFCHECK_TRUNCATED,	/* no %%EOF near the end, or no trailer nor xref stream */
	PDFCHECK_JAVASCRIPT,	/* /JavaScript (anywhere) or /JS (outside stream data) */
	PDFCHECK_EMBEDDED_FILE,	/* /EmbeddedFile or /EmbeddedFiles */
	PDFCHECK_LAUNCH,	/* /Launch */
	PDFCHECK_ACTIVE,	/* /XFA forms, /SubmitForm, /ImportData, /GoToR, /GoToE, /RichMedia */
	PDFCHECK_UNREADABLE,	/* an object stream that cannot be inflated within the bounds */
};

/* Checks a PDF held whole in memory. Names are compared after their #xx escapes are decoded;
 * the objects of object streams (/ObjStm, Flate or unfiltered) are inflated and scanned too,
 * at most PDFCHECK_INFLATE_MAX bytes in all. */
enum pdfcheck_result pdfcheck(const unsigned char *pdf, size_t len);
/* The most bytes pdfcheck inflates out of object streams for one file. */
#define PDFCHECK_INFLATE_MAX (32u * 1024 * 1024)
/* A short English code for an answer and the logs: "not_pdf", "pdf_javascript", ... */
const char *pdfcheck_code(enum pdfcheck_result r);
/* What the person who sent the file reads, in Vietnamese, with what to do. */
const char *pdfcheck_message(enum pdfcheck_result r);

#endif
