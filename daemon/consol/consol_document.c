/* The consolidating unit's signed document on a final version: stored as a mail attachment
 * (the deliveries send it as it is), named by consolidated_document, added to the deliveries
 * of its version, read back. */
#include "consol_document.h"

#include "attachment.h"
#include "audit.h"
#include "db.h"
#include "documents.h"
#include "json.h"
#include "outbox_queue.h"
#include "series.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results of the attach transaction besides 0 and -1. */
#define ATTACH_NO_VERSION 1
#define ATTACH_DELIVERED 2
#define ATTACH_SENDING 3
#define ATTACH_FULL 4
#define ATTACH_ATTEMPTED 5

/* The work of one attach transaction. */
struct attach {
	const struct consol_document_upload *up;
	struct consol_document_stored *out;
	const char *state;
};

/* "van-ban-tong-hop-nq57-weekly-2026-W49-v1.pdf" (new string): ASCII letters, digits, '-'
 * and '.' only. */
static char *document_name(const struct period_info *pi, int version)
{
	char *name = xasprintf("van-ban-tong-hop-%s-%s-v%d.pdf", pi->series->name, pi->id,
			       version);
	for (char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
			*c = '-';
	return name;
}

/* Whether the deliveries of an approved version allow a document now: 0 (none has gone out
 * nor is going, and, when the version has a document already, none has been tried and the
 * version is not acknowledged), ATTACH_DELIVERED, ATTACH_SENDING, ATTACH_ATTEMPTED, or -1.
 * The rows stay locked until the end of the transaction, so that the sender claims none of
 * them meanwhile. */
static int deliveries_waiting(PGconn *conn, const struct period_info *pi, const char *version,
			      bool replacing, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", pi->db_id);
	const char *p[] = { pi->series->name, pi->id, version, period };
	PGresult *r = db_run(conn, "consolidated document",
		"SELECT coalesce(bool_or(state = 'sent'), false) OR EXISTS (SELECT 1 FROM "
		"    consolidation WHERE period_id = $4::bigint AND kind = 'final' "
		"    AND version = $3::int AND acknowledged_at IS NOT NULL), "
		"  coalesce(bool_or(state = 'sending'), false), "
		"  coalesce(bool_or(attempts > 0 OR state <> 'queued'), false) "
		"FROM (SELECT state, attempts FROM outbox "
		"  WHERE kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND series = $1 AND period = $2 "
		"    AND version = $3::int AND channel <> 'webhook' FOR UPDATE) o", 4, p, err);
	if (r == NULL)
		return -1;
	int rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? ATTACH_DELIVERED :
		 strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? ATTACH_SENDING :
		 replacing && strcmp(PQgetvalue(r, 0, 2), "t") == 0 ? ATTACH_ATTEMPTED : 0;
	PQclear(r);
	return rc;
}

/* Deletes the attachment a replaced document was stored in, once nothing names it any more
 * (a delivery that went out with it keeps it). 0 or -1 with *err. */
static int drop_replaced(PGconn *conn, const char *attachment_id, char **err)
{
	const char *p[] = { attachment_id };
	PGresult *r = db_run(conn, "consolidated document",
		"DELETE FROM mail_attachment m WHERE m.id = $1::bigint "
		"  AND NOT EXISTS (SELECT 1 FROM consolidated_document WHERE attachment_id = m.id) "
		"  AND NOT EXISTS (SELECT 1 FROM outbox_attachment WHERE attachment_id = m.id) "
		"  AND NOT EXISTS (SELECT 1 FROM outbox WHERE attachment_id = m.id) "
		"  AND NOT EXISTS (SELECT 1 FROM consolidation WHERE attachment_id = m.id)", 1, p,
		err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* The body of the attach transaction: the period's lock (the approval's too), which version
 * may take a document, the bound, the file, the row, the deliveries waiting, the audit. */
static int attach_tx(PGconn *conn, void *arg, char **err)
{
	struct attach *a = arg;
	const struct consol_document_upload *up = a->up;
	struct consol_document_stored *out = a->out;
	char period[24], version[16], nowbuf[24], size[24], account[24];
	snprintf(period, sizeof period, "%lld", up->pi->db_id);
	snprintf(version, sizeof version, "%d", up->version);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)up->now);
	snprintf(size, sizeof size, "%zu", up->len);
	snprintf(account, sizeof account, "%lld", up->who->account_id);

	const char *pl[] = { period, version };
	PGresult *r = db_run(conn, "consolidated document",
		"SELECT (SELECT coalesce(max(version), 0) + 1 FROM consolidation "
		"    WHERE period_id = p.id AND kind = 'final'), "
		"  (SELECT encode(sha256, 'hex') FROM consolidated_document "
		"    WHERE period_id = p.id AND version = $2::int), "
		"  (SELECT coalesce(sum(size), 0) FROM consolidated_document "
		"    WHERE period_id = p.id AND version <> $2::int), "
		"  (SELECT attachment_id FROM consolidated_document "
		"    WHERE period_id = p.id AND version = $2::int) "
		"FROM period p WHERE p.id = $1::bigint FOR UPDATE", 2, pl, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ATTACH_NO_VERSION;
	}
	out->next_version = atoi(PQgetvalue(r, 0, 0));
	bool same = !PQgetisnull(r, 0, 1) && strcmp(PQgetvalue(r, 0, 1), out->sha256) == 0;
	long long bytes = atoll(PQgetvalue(r, 0, 2));
	char replaced[24] = "";
	if (!PQgetisnull(r, 0, 3))
		snprintf(replaced, sizeof replaced, "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	if (up->version < 1 || up->version > out->next_version)
		return ATTACH_NO_VERSION;
	out->approved = up->version < out->next_version;
	if (out->approved) {
		int rc = deliveries_waiting(conn, up->pi, version, replaced[0] != '\0', err);
		if (rc != 0)
			return rc;
	}
	if (same) {
		out->repeated = true;
		return 0;
	}
	if (up->max_bytes > 0 && bytes + (long long)up->len > up->max_bytes)
		return ATTACH_FULL;

	/* The file goes into the attachments the outbox sends, a piece at a time (attachment.h:
	 * as one parameter it would leave libpq's buffers of this connection at its size). */
	char *name = document_name(up->pi, up->version);
	long long att = attachment_insert(conn, name, CONSOL_DOCUMENT_TYPE, up->pdf, up->len,
					  out->sha256, err);
	free(name);
	if (att < 0)
		return -1;
	char attbuf[24];
	snprintf(attbuf, sizeof attbuf, "%lld", att);
	const char *pa[] = { attbuf, out->sha256, period, version, size, nowbuf, account,
			     out->signatures_json, a->state };
	r = db_query(conn,
		"INSERT INTO consolidated_document (period_id, version, attachment_id, sha256, size, "
		"  uploaded_at, uploaded_by, signatures, signature_state) "
		"VALUES ($3::bigint, $4::int, $1::bigint, decode($2, 'hex'), $5::bigint, "
		"  to_timestamp($6::bigint), nullif($7::bigint, 0), $8::jsonb, $9) "
		"ON CONFLICT (period_id, version) DO UPDATE SET "
		"  attachment_id = EXCLUDED.attachment_id, sha256 = EXCLUDED.sha256, "
		"  size = EXCLUDED.size, uploaded_at = EXCLUDED.uploaded_at, "
		"  uploaded_by = EXCLUDED.uploaded_by, signatures = EXCLUDED.signatures, "
		"  signature_state = EXCLUDED.signature_state", 9, pa, NULL, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("consolidated document: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (out->approved && consol_document_deliveries(conn, up->pi, up->version, err) != 0)
		return -1;
	if (replaced[0] != '\0' && drop_replaced(conn, replaced, err) != 0)
		return -1;

	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "series", up->pi->series->name);
	json_kv_string(&j, "period", up->pi->id);
	json_kv_int(&j, "version", up->version);
	json_kv_string(&j, "sha256", out->sha256);
	json_kv_int(&j, "size", (long long)up->len);
	json_kv_bool(&j, "approved", out->approved);
	json_object_end(&j);
	struct audit_entry au = { up->who->account_id, up->who->login, "consolidated_document",
				  "period", period, detail.data, up->remote_addr };
	int rc = audit_write(conn, &au, err);
	strbuf_free(&detail);
	return rc;
}

/* Stores the document of a version. */
enum consol_document_result consol_document_attach(PGconn *conn,
						   const struct consol_document_upload *up,
						   struct consol_document_stored *out, char **err)
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
	switch (db_tx(conn, attach_tx, &a, err)) {
	case 0:
		return CONSOL_DOCUMENT_OK;
	case ATTACH_NO_VERSION:
		return CONSOL_DOCUMENT_NO_VERSION;
	case ATTACH_DELIVERED:
		return CONSOL_DOCUMENT_DELIVERED;
	case ATTACH_SENDING:
		return CONSOL_DOCUMENT_SENDING;
	case ATTACH_FULL:
		return CONSOL_DOCUMENT_FULL;
	case ATTACH_ATTEMPTED:
		return CONSOL_DOCUMENT_ATTEMPTED;
	default:
		return CONSOL_DOCUMENT_DB;
	}
}

/* The file of a version's document. */
PGresult *consol_document_file(PGconn *conn, long long period_id, int version,
			       bool approved_only, char **err)
{
	char period[24], v[16];
	snprintf(period, sizeof period, "%lld", period_id);
	snprintf(v, sizeof v, "%d", version);
	const char *p[] = { period, v, approved_only ? "t" : "f" };
	PGresult *r = db_query_binary(conn,
		"SELECT a.data, a.filename FROM consolidated_document d "
		"JOIN mail_attachment a ON a.id = d.attachment_id "
		"WHERE d.period_id = $1::bigint AND d.version = $2::int AND (NOT $3::boolean OR "
		"  EXISTS (SELECT 1 FROM consolidation c WHERE c.period_id = d.period_id "
		"    AND c.kind = 'final' AND c.version = d.version))", 3, p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("consolidated document: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The period's documents as JSON. */
char *consol_document_list_json(PGconn *conn, long long period_id, const char *series,
				bool approved_only, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, series, approved_only ? "t" : "f" };
	PGresult *r = db_run(conn, "consolidated document",
		"SELECT coalesce(json_agg(json_build_object('version', d.version, "
		"  'sha256', encode(d.sha256, 'hex'), 'size', d.size, "
		"  'uploaded_at', to_char(d.uploaded_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
		"  'uploaded_by', coalesce(nullif(a.display_name, ''), a.login), "
		"  'signatures', d.signatures, 'state', coalesce(d.signature_state, 'unchecked'), "
		"  'approved', c.id IS NOT NULL, "
		"  'delivered', EXISTS (SELECT 1 FROM outbox o JOIN period pe ON pe.id = d.period_id "
		"    WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.series = $2 "
		"      AND o.period = pe.period_key AND o.version = d.version AND o.state = 'sent' "
		"      AND o.channel <> 'webhook')) "
		"  ORDER BY d.version)::text, '[]') "
		"FROM consolidated_document d LEFT JOIN account a ON a.id = d.uploaded_by "
		"LEFT JOIN consolidation c ON c.period_id = d.period_id AND c.kind = 'final' "
		"  AND c.version = d.version "
		"WHERE d.period_id = $1::bigint AND (NOT $3::boolean OR c.id IS NOT NULL)", 3, p, err);
	if (r == NULL)
		return NULL;
	char *json = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return json;
}

/* The version the next approval makes. */
int consol_document_next_version(PGconn *conn, long long period_id, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period };
	PGresult *r = db_run(conn, "consolidated document",
		"SELECT coalesce(max(version), 0) + 1 FROM consolidation "
		"WHERE period_id = $1::bigint AND kind = 'final'", 1, p, err);
	if (r == NULL)
		return -1;
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* Whether a version has its document. */
int consol_document_present(PGconn *conn, long long period_id, int version, char *sha256,
			    char **err)
{
	char period[24], v[16];
	snprintf(period, sizeof period, "%lld", period_id);
	snprintf(v, sizeof v, "%d", version);
	const char *p[] = { period, v };
	PGresult *r = db_run(conn, "consolidated document",
		"SELECT encode(sha256, 'hex') FROM consolidated_document "
		"WHERE period_id = $1::bigint AND version = $2::int", 2, p, err);
	if (r == NULL)
		return -1;
	int found = PQntuples(r) == 1;
	if (sha256 != NULL)
		snprintf(sha256, 65, "%s", found ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return found;
}

/* Adds the version's document to its deliveries. */
int consol_document_deliveries(PGconn *conn, const struct period_info *pi, int version,
			       char **err)
{
	char period[24], v[16];
	snprintf(period, sizeof period, "%lld", pi->db_id);
	snprintf(v, sizeof v, "%d", version);
	const char *p[] = { period, v, pi->series->name, pi->id };
	PGresult *r = db_run(conn, "consolidated document",
		"INSERT INTO outbox_attachment (outbox_id, attachment_id, position) "
		"SELECT o.id, d.attachment_id, 2 FROM consolidated_document d, outbox o "
		"WHERE d.period_id = $1::bigint AND d.version = $2::int "
		"  AND o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.series = $3 "
		"  AND o.period = $4 AND o.version = $2::int AND o.state <> 'sent' "
		"  AND o.channel <> 'webhook' "
		"ON CONFLICT (outbox_id, position) DO UPDATE SET "
		"  attachment_id = EXCLUDED.attachment_id", 4, p, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Whether a version brings a document the version before it had not. */
int consol_document_new_for(PGconn *conn, long long period_id, int version, char **err)
{
	char now_doc[65], then_doc[65];
	int has = consol_document_present(conn, period_id, version, now_doc, err);
	if (has <= 0)
		return has;
	if (consol_document_present(conn, period_id, version - 1, then_doc, err) < 0)
		return -1;
	return strcmp(now_doc, then_doc) != 0;
}
