/* The unit's document: storing a checked PDF with the unit's current version (the quota of
 * the period counts it), and reading it back. */
#include "documents.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "pdfsig.h"
#include "unit_groups.h"
#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificates [signatures] trusted_roots names, shared by the workers; the loop thread
 * replaces them on SIGHUP while a check may be running, hence the lock, which prefers the
 * writer so that a stream of uploads cannot keep a reload (and the loop) waiting. NULL: none. */
static pthread_rwlock_t trust_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static struct pdfsig_trust *trust;

/* Puts trusted certificates in force (taking them) and frees those they replace. */
void documents_trust_set(struct pdfsig_trust *t)
{
	if (pthread_rwlock_wrlock(&trust_lock) != 0)
		abort();
	struct pdfsig_trust *old = trust;
	trust = t;
	if (pthread_rwlock_unlock(&trust_lock) != 0)
		abort();
	pdfsig_trust_free(old);
}

/* Computes the signatures and their state at upload (pdfsig.c), judged at the upload's time
 * against the certificates in force: "unsigned" without a signature, else the first
 * signature's state. A file the checker cannot examine at all (pdfcheck.c let it through)
 * stays unchecked, logged. */
void document_signatures(const unsigned char *pdf, size_t len, time_t now,
			 struct document_signature_result *out)
{
	struct pdfsig_result r;
	char *err = NULL;
	if (pthread_rwlock_rdlock(&trust_lock) != 0)
		abort();
	int rc = pdfsig_verify(pdf, len, trust, now, &r, &err);
	if (pthread_rwlock_unlock(&trust_lock) != 0)
		abort();
	if (rc != 0) {
		log_warn("documents", "a document's signatures could not be examined: %s", err);
		free(err);
		out->signatures_json = xstrdup("[]");
		out->state = NULL;
		return;
	}
	out->signatures_json = pdfsig_result_json(&r);
	out->state = r.n == 0 ? "unsigned" : pdfsig_state_name(r.sigs[0].state);
	pdfsig_result_free(&r);
}

/* The work of one attach transaction. */
struct attach {
	const struct document_upload *up;
	struct document_stored *out;
	const char *state;
};

#define ATTACH_NO_VERSION 1
#define ATTACH_FULL 2

/* The body of the attach transaction: the lock of the unit's uploads, the current version,
 * the quota, the row, the version's link and the audit entry. */
static int attach_tx(PGconn *conn, void *arg, char **err)
{
	struct attach *a = arg;
	const struct document_upload *up = a->up;
	struct document_stored *out = a->out;
	char period[24], unit[24], account[24], nowbuf[24], size[24];
	snprintf(period, sizeof period, "%lld", up->period_id);
	snprintf(account, sizeof account, "%lld", up->who->account_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)up->now);
	snprintf(size, sizeof size, "%zu", up->len);

	const char *pu[] = { up->unit };
	PGresult *r = db_run(conn, "document", "SELECT id FROM unit WHERE code = $1", 1, pu, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ATTACH_NO_VERSION;
	}
	snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);

	/* The same lock as a report's upload: versions and documents come one at a time. */
	const char *pl[] = { period, unit, nowbuf };
	r = db_run(conn, "document",
	       "SELECT x.id, x.version, encode(d.sha256, 'hex'), "
	       "  (SELECT coalesce(sum(raw_size), 0) FROM submission "
	       "    WHERE period_id = $1::bigint AND unit_id = $2::bigint) + "
	       "  (SELECT coalesce(sum(size), 0) FROM submission_document "
	       "    WHERE period_id = $1::bigint AND unit_id = $2::bigint), "
	       "  (p.state = 'open' AND p.unit_deadline >= to_timestamp($3::bigint)) OR "
	       /* the unit's extension moves its deadline for the document too */
	       "  EXISTS (SELECT 1 FROM extension e WHERE e.period_id = p.id "
	       "    AND e.unit_id = $2::bigint AND e.until >= to_timestamp($3::bigint)) "
	       "FROM period p "
	       "CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended('submission:' "
	       "  || $1::bigint || ':' || $2::bigint, 0))) l "
	       "LEFT JOIN submission x ON x.period_id = p.id AND x.unit_id = $2::bigint "
	       "  AND NOT x.superseded "
	       "LEFT JOIN submission_document d ON d.id = x.document_id "
	       "WHERE p.id = $1::bigint FOR SHARE OF p",
	       3, pl, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return ATTACH_NO_VERSION;
	}
	char sub_id[24];
	snprintf(sub_id, sizeof sub_id, "%s", PQgetvalue(r, 0, 0));
	out->version = atoi(PQgetvalue(r, 0, 1));
	out->bytes = atoll(PQgetvalue(r, 0, 3));
	bool on_time = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
	if (!PQgetisnull(r, 0, 2) && strcmp(PQgetvalue(r, 0, 2), out->sha256) == 0) {
		out->repeated = true;
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if (up->max_bytes > 0 && out->bytes + (long long)up->len > up->max_bytes)
		return ATTACH_FULL;

	/* The PDF goes as a binary parameter: no hex copy of a large file. */
	const char *pi[] = { period, unit, (const char *)up->pdf, out->sha256, size, nowbuf,
			     account, up->on_behalf ? "t" : "f", on_time ? "t" : "f",
			     out->signatures_json, a->state, sub_id };
	int lengths[12] = { 0, 0, (int)up->len };
	int formats[12] = { 0, 0, 1 };
	r = db_query(conn,
	       "WITH d AS (INSERT INTO submission_document (period_id, unit_id, file, sha256, "
	       "  size, uploaded_at, uploaded_by, on_behalf, on_time, signatures, "
	       "  signature_state) "
	       "  VALUES ($1::bigint, $2::bigint, $3::bytea, decode($4, 'hex'), $5::bigint, "
	       "    to_timestamp($6::bigint), $7::bigint, $8::boolean, $9::boolean, $10::jsonb, "
	       "    $11) RETURNING id) "
	       "UPDATE submission x SET document_id = d.id FROM d WHERE x.id = $12::bigint",
	       12, pi, lengths, formats);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("document: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);

	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "unit", up->unit);
	json_kv_int(&j, "version", out->version);
	json_kv_string(&j, "sha256", out->sha256);
	json_kv_int(&j, "size", (long long)up->len);
	json_kv_bool(&j, "on_time", on_time);
	json_object_end(&j);
	struct audit_entry au = { up->who->account_id, up->who->login,
				  up->on_behalf ? "document_on_behalf" : "document",
				  "submission", sub_id, detail.data, up->remote_addr };
	int rc = audit_write(conn, &au, err);
	strbuf_free(&detail);
	return rc;
}

/* Stores a checked PDF as the document of the unit's current version. */
enum document_result documents_attach(PGconn *conn, const struct document_upload *up,
				      struct document_stored *out, char **err)
{
	memset(out, 0, sizeof *out);
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, up->pdf, up->len);
	sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
	out->size = (long long)up->len;
	struct document_signature_result sig;
	document_signatures(up->pdf, up->len, up->now, &sig);
	out->signatures_json = sig.signatures_json;
	struct attach a = { up, out, sig.state };
	int rc = db_tx(conn, attach_tx, &a, err);
	switch (rc) {
	case 0:
		return DOCUMENT_OK;
	case ATTACH_NO_VERSION:
		return DOCUMENT_NO_VERSION;
	case ATTACH_FULL:
		return DOCUMENT_PERIOD_FULL;
	default:
		return DOCUMENT_DB;
	}
}

/* The document of the unit's version in force or of a given version, in binary format. */
PGresult *documents_file(PGconn *conn, long long period_id, const char *unit,
			 const char *version, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, unit, version };
	PGresult *r = db_query_binary(conn,
		"SELECT d.file, s.version, d.file_removed_at IS NOT NULL, d.id IS NULL, "
		"  s.superseded "
		"FROM submission s JOIN unit u ON u.id = s.unit_id "
		"LEFT JOIN submission_document d ON d.id = s.document_id "
		"WHERE s.period_id = $1 AND u.code = $2 AND "
		"  CASE WHEN $3::text IS NULL THEN NOT s.superseded "
		"       ELSE s.version::text = $3::text END", 3, p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("document query: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The document of a version, without its bytes. */
PGresult *documents_of_submission(PGconn *conn, long long submission_id, char **err)
{
	char sub[24];
	snprintf(sub, sizeof sub, "%lld", submission_id);
	const char *p[] = { sub };
	return db_run(conn, "document query",
		"SELECT encode(d.sha256, 'hex'), d.size, "
		"  to_char(d.uploaded_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), d.signatures::text, "
		"  d.signature_state, d.on_time, d.file IS NOT NULL "
		"FROM submission s JOIN submission_document d ON d.id = s.document_id "
		"WHERE s.id = $1::bigint", 1, p, err);
}

/* The documents of a period's versions in force, without their bytes. */
PGresult *documents_of_period(PGconn *conn, long long period_id, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period };
	return db_run(conn, "period documents query",
		"SELECT u.code, s.version, encode(d.sha256, 'hex'), d.size, "
		"  to_char(d.uploaded_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), d.on_time, "
		"  d.file IS NOT NULL, " DOCUMENT_STATE_SQL("d") ", d.signatures::text, "
		"  " DOCUMENT_LINE_SQL("d") " "
		"FROM submission s JOIN unit u ON u.id = s.unit_id "
		"JOIN submission_document d ON d.id = s.document_id "
		"WHERE s.period_id = $1::bigint AND NOT s.superseded "
		"ORDER BY " UNIT_ORDER_BY("u"), 1, p, err);
}
