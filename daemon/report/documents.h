/* The unit's document: the official PDF sent with a version of its report ("bằng văn bản"),
 * stored, carried to later versions, read back. */
#ifndef BAOCAO_DOCUMENTS_H
#define BAOCAO_DOCUMENTS_H

#include "auth.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What the signature check makes of a document at upload: the JSON array stored in
 * submission_document.signatures (allocated) and the first signature's state (a static string,
 * or NULL while unchecked). */
struct document_signature_result {
	char *signatures_json;
	const char *state;
};
/* Computes both values for a document uploaded at now; the only place they come from. */
void document_signatures(const unsigned char *pdf, size_t len, time_t now,
			 struct document_signature_result *out);
struct pdfsig_trust;
/* Puts the certificates of [signatures] trusted_roots in force for the checks to come
 * (taking them; NULL: none trusted), freeing those before. Any thread. */
void documents_trust_set(struct pdfsig_trust *t);

/* One document to attach to the unit's current version. */
struct document_upload {
	long long period_id;
	const char *unit;		/* the unit's code */
	const struct principal *who;
	bool on_behalf;
	const unsigned char *pdf;
	size_t len;
	time_t now;
	const char *remote_addr;
	long long max_bytes;		/* the unit's bytes for the period (0: no limit) */
};

/* What came of it. */
struct document_stored {
	int version;			/* the version it now goes with */
	char sha256[65];
	long long size;
	bool repeated;			/* the same file was the current version's already */
	long long bytes;		/* the unit's bytes in the period before it (quota) */
	char *signatures_json;		/* as stored; free it */
};

enum document_result {
	DOCUMENT_OK,
	DOCUMENT_NO_VERSION,		/* the unit has no report for the period yet */
	DOCUMENT_PERIOD_FULL,		/* past max_bytes */
	DOCUMENT_DB,
};

/* Stores a checked PDF as the document of the unit's current version. */
enum document_result documents_attach(PGconn *conn, const struct document_upload *up,
				      struct document_stored *out, char **err);

/* The document of the unit's version in force (version NULL) or of that version, in binary
 * format: file (bytea, NULL once removed), version (int4), removed (bool), whether the
 * version exists with no document (bool), superseded (bool: a later version replaced it).
 * No row: no such version. */
PGresult *documents_file(PGconn *conn, long long period_id, const char *unit,
			 const char *version, char **err);

/* The document of a version (no row: none): sha256 (hex), size, uploaded_at (RFC 3339),
 * signatures (JSON text), signature_state (NULL: unchecked), on_time, kept (file not
 * removed). */
PGresult *documents_of_submission(PGconn *conn, long long submission_id, char **err);

/* The SQL for a document's state on the board, from a submission_document row d (LEFT
 * JOINed: NULL when none): missing, unchecked, or the signature check's state. */
#define DOCUMENT_STATE_SQL(d) \
	"CASE WHEN " d ".id IS NULL THEN 'missing' WHEN " d ".signature_state IS NULL " \
	"THEN 'unchecked' ELSE " d ".signature_state END"

/* The SQL for a document's signature line as pdfsig_summary_vi() writes it, from its stored
 * signatures ("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, 10 giờ 42 ngày 04/12/2026", "Không
 * có chữ ký số", "2 chữ ký số: ...; ..."), or "Không có văn bản" when d (LEFT JOINed) is NULL. */
#define DOCUMENT_LINE_SQL(d) \
	"CASE WHEN " d ".id IS NULL THEN 'Không có văn bản' " \
	"WHEN " d ".signature_state IS NULL THEN 'Chưa kiểm tra được chữ ký số' " \
	"ELSE (SELECT CASE count(*) WHEN 0 THEN 'Không có chữ ký số' " \
	"  WHEN 1 THEN min(e.v ->> 'message') " \
	"  ELSE count(*) || ' chữ ký số: ' || string_agg(e.v ->> 'message', '; ' ORDER BY e.n) " \
	"  END FROM jsonb_array_elements(" d ".signatures) WITH ORDINALITY AS e(v, n)) END"

/* The documents of the versions in force of a period, one row per unit that has one, in
 * the board's order: unit code, version, sha256 (hex), size, uploaded_at (RFC 3339),
 * on_time, kept (file not removed), state (DOCUMENT_STATE_SQL), signatures (JSON text), the
 * signature line (DOCUMENT_LINE_SQL). One query for the whole period. */
PGresult *documents_of_period(PGconn *conn, long long period_id, char **err);

#endif
