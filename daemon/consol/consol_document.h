/* The consolidating unit's signed document (PDF) on a final version of the consolidated
 * report: uploaded for the version about to be approved or for a final version none of whose
 * deliveries has gone out, delivered with the workbook, read back. */
#ifndef BAOCAO_CONSOL_DOCUMENT_H
#define BAOCAO_CONSOL_DOCUMENT_H

#include "auth.h"
#include "periods.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CONSOL_DOCUMENT_TYPE "application/pdf"

/* One signed document to attach to final version `version` of a stored period. */
struct consol_document_upload {
	const struct period_info *pi;
	int version;
	const struct principal *who;
	const unsigned char *pdf;	/* checked by pdfcheck() already */
	size_t len;
	time_t now;
	const char *remote_addr;
	long long max_bytes;		/* the period's documents at most (0: no limit) */
};

/* What came of it. */
struct consol_document_stored {
	char sha256[65];
	long long size;
	bool repeated;			/* the same file was the version's already */
	bool approved;			/* the version is approved already (not delivered yet) */
	int next_version;		/* the version the next approval makes */
	char *signatures_json;		/* as stored; free it */
};

enum consol_document_result {
	CONSOL_DOCUMENT_OK,
	CONSOL_DOCUMENT_NO_VERSION,	/* neither a final version nor the next one */
	CONSOL_DOCUMENT_DELIVERED,	/* a delivery of the version has gone out */
	CONSOL_DOCUMENT_SENDING,	/* a delivery of the version is being sent right now */
	CONSOL_DOCUMENT_FULL,		/* past max_bytes */
	CONSOL_DOCUMENT_ATTEMPTED,	/* the approved version's document would be replaced, but
					 * a delivery of it has been tried or it is acknowledged */
	CONSOL_DOCUMENT_DB,
};

/* Stores the document of a version (replacing the one before, while allowed, and deleting
 * the replaced file once nothing names it); with an approved version its waiting deliveries
 * carry it from now on. */
enum consol_document_result consol_document_attach(PGconn *conn,
						   const struct consol_document_upload *up,
						   struct consol_document_stored *out, char **err);

/* The file of version `version`'s document, in binary format: data (bytea), filename (text).
 * approved_only: only a version approved already. No row: none. NULL with *err. */
PGresult *consol_document_file(PGconn *conn, long long period_id, int version,
			       bool approved_only, char **err);

/* The period's documents as a JSON array (new string): version, sha256, size, uploaded_at,
 * uploaded_by, signatures, state (the first signature's, unsigned or unchecked), approved (the
 * version exists), delivered (a delivery went out). approved_only: only approved versions'.
 * NULL with *err. */
char *consol_document_list_json(PGconn *conn, long long period_id, const char *series,
				bool approved_only, char **err);

/* The version the next approval of the period makes (1 + the newest final's), or -1. */
int consol_document_next_version(PGconn *conn, long long period_id, char **err);

/* Whether version `version` of the period has its document: 1, 0, or -1 with *err; *sha256
 * (65 bytes, may be NULL) gets its hash in hex. */
int consol_document_present(PGconn *conn, long long period_id, int version, char *sha256,
			    char **err);

/* Whether version `version` has a document other than the version before it (a correction
 * that brings the signed document corrects something): 1, 0, or -1 with *err. */
int consol_document_new_for(PGconn *conn, long long period_id, int version, char **err);

/* Inside the approval's transaction: every delivery row of final version `version` carries
 * the version's document as its second file, when there is one. 0 or -1 with *err. */
int consol_document_deliveries(PGconn *conn, const struct period_info *pi, int version,
			       char **err);

#endif
