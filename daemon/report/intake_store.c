/* Storing a checked report: the new version, its items, the audit entry, the receipt and its
 * mail, in one transaction; receipts signed and verified. */
#include "intake.h"
#include "audit.h"
#include "db.h"
#include "outbox_queue.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The canonical text a receipt's signature covers. */
char *intake_receipt_text(const struct intake_receipt *r)
{
	/* In UTC, so that the text does not depend on the verifier's time zone. */
	char when[40];
	struct tm tm;
	time_t t = r->received_at;
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "%lld", (long long)r->received_at);
	return xasprintf("baocao receipt v1\nsubmission: %lld\nseries: %s\nperiod: %s\nunit: %s\n"
			 "version: %d\nreceived_at: %s\nsha256: %s\non_time: %s\nitems: %zu\n",
			 r->submission, r->series, r->period, r->unit, r->version, when,
			 r->sha256, r->on_time ? "true" : "false", r->items);
}

/* Signs a receipt with the server's key. */
static void receipt_sign(struct intake_receipt *r, const struct keys *keys)
{
	char *text = intake_receipt_text(r);
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const unsigned char *)text, strlen(text), keys->sign_sk);
	sodium_bin2base64(r->signature, sizeof r->signature, sig, sizeof sig,
			  sodium_base64_VARIANT_ORIGINAL);
	free(text);
}

/* Checks a receipt's signature. */
bool intake_receipt_verify(const struct intake_receipt *r,
			   const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	unsigned char sig[crypto_sign_BYTES];
	size_t len = 0;
	if (sodium_base642bin(sig, sizeof sig, r->signature, strlen(r->signature), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof sig)
		return false;
	char *text = intake_receipt_text(r);
	bool ok = crypto_sign_verify_detached(sig, (const unsigned char *)text, strlen(text),
					      pk) == 0;
	free(text);
	return ok;
}

/* Writes a receipt as JSON. */
void intake_receipt_json(struct json *j, const struct intake_receipt *r)
{
	json_object_begin(j);
	intake_receipt_members(j, r);
	json_object_end(j);
}

/* Writes a receipt's members into an object the caller opened. */
void intake_receipt_members(struct json *j, const struct intake_receipt *r)
{
	char when[40];
	json_kv_int(j, "submission", r->submission);
	json_kv_int(j, "version", r->version);
	json_key(j, "received_at");
	if (cal_format_rfc3339(r->received_at, when, sizeof when) == 0)
		json_string(j, when);
	else
		json_null(j);
	json_kv_string(j, "sha256", r->sha256);
	json_kv_bool(j, "on_time", r->on_time);
	/* on time by the unit's extension: its until; null otherwise */
	json_key(j, "extended_until");
	if (r->extended_until != 0 && cal_format_rfc3339(r->extended_until, when, sizeof when) == 0)
		json_string(j, when);
	else
		json_null(j);
	json_kv_int(j, "items", (long long)r->items);
	json_kv_string(j, "series", r->series);
	json_kv_string(j, "period", r->period);
	json_kv_string(j, "unit", r->unit);
	json_kv_string(j, "signature", r->signature);
}

/* The receipt mail's subject and body (new strings). */
static void receipt_mail(const struct intake_context *ctx, const struct intake_receipt *r,
			 char **subject, char **body)
{
	char when[96], deadline[96];
	if (cal_format_vi_long(r->received_at, when, sizeof when) != 0)
		snprintf(when, sizeof when, "%lld", (long long)r->received_at);
	/* On time by an extension: the unit's own deadline, and said so. */
	time_t due = r->extended_until ? r->extended_until : ctx->period->unit_deadline;
	if (cal_format_vi_long(due, deadline, sizeof deadline) != 0)
		snprintf(deadline, sizeof deadline, "-");
	const char *ontime = r->extended_until ? "có (trong hạn được gia hạn)" :
			     r->on_time ? "có" : "không (gửi muộn)";
	*subject = xasprintf("Biên nhận báo cáo %s kỳ %s - %s", ctx->series->name, r->period,
			     ctx->unit_name);
	*body = xasprintf(
		"Hệ thống baocao đã nhận báo cáo của %s.\n\n"
		"Loại báo cáo: %s\nKỳ báo cáo: %s\nLần gửi: %d\nThời điểm nhận: %s\n"
		"Hạn gửi: %s\nĐúng hạn: %s\nSố nhiệm vụ: %zu\nSHA-256: %s\n\n"
		"Biên nhận có chữ ký số của máy chủ; có thể kiểm tra bằng lệnh "
		"baocaoctl receipt verify.\nChữ ký: %s\n",
		ctx->unit_name, ctx->series->title, r->period, r->version, when, deadline,
		ontime, r->items, r->sha256, r->signature);
}

/* Reads the stored receipt of a submission row (id, version, received, sha, on_time, items). */
static void receipt_from_row(PGresult *r, int row, const struct intake_context *ctx,
			     struct intake_receipt *out)
{
	memset(out, 0, sizeof *out);
	out->submission = atoll(PQgetvalue(r, row, 0));
	out->version = atoi(PQgetvalue(r, row, 1));
	out->received_at = (time_t)atoll(PQgetvalue(r, row, 2));
	snprintf(out->sha256, sizeof out->sha256, "%s", PQgetvalue(r, row, 3));
	out->on_time = strcmp(PQgetvalue(r, row, 4), "t") == 0;
	out->items = (size_t)atoll(PQgetvalue(r, row, 5));
	snprintf(out->signature, sizeof out->signature, "%s", PQgetvalue(r, row, 6));
	snprintf(out->series, sizeof out->series, "%s", ctx->series->name);
	snprintf(out->period, sizeof out->period, "%s", ctx->period->id);
	snprintf(out->unit, sizeof out->unit, "%s", ctx->unit_code);
}

/* The report's items as a JSON array of records, for jsonb_to_recordset. */
static void items_json(const struct intake_report *report, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_array_begin(&j);
	for (size_t i = 0; i < report->nitems; i++) {
		const struct intake_item *it = &report->items[i];
		char done[11];
		json_object_begin(&j);
		json_kv_int(&j, "task_id", it->task_id);
		json_kv_string(&j, "status", task_state_code(it->state));
		json_key(&j, "progress");
		if (it->progress >= 0)
			json_int(&j, it->progress);
		else
			json_null(&j);
		json_key(&j, "completed_on");
		if (it->has_completed) {
			cal_format_date(it->completed_on, done);
			json_string(&j, done);
		} else {
			json_null(&j);
		}
		json_kv_string(&j, "result", it->result);
		json_kv_string(&j, "difficulties", it->difficulties);
		json_kv_string(&j, "proposals", it->proposals);
		json_kv_string(&j, "note", it->note);
		json_object_end(&j);
	}
	json_array_end(&j);
}

/* The audit entry's detail of a stored submission. */
static char *audit_detail(const struct intake_context *ctx, const struct intake_receipt *r,
			  const char *channel)
{
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "series", ctx->series->name);
	json_kv_string(&j, "period", ctx->period->id);
	json_kv_string(&j, "unit", ctx->unit_code);
	json_kv_int(&j, "version", r->version);
	json_kv_bool(&j, "on_time", r->on_time);
	json_kv_string(&j, "channel", channel);
	json_kv_string(&j, "sha256", r->sha256);
	json_object_end(&j);
	return strbuf_detach(&detail);
}

/* What one store transaction works with. */
struct store {
	const struct intake_context *ctx;
	const struct intake_report *report;
	const struct principal *who;
	bool on_behalf;
	const char *channel;
	const void *file;
	size_t file_len;
	struct intake_quota *quota;
	const char *remote_addr;
	time_t now;
	const struct keys *keys;
	struct intake_receipt *receipt;
	char sha[65];
};

/* The transaction's answers when the same file is already the current version, and when a
 * new version would pass the unit's quota for the period (nothing is written). */
#define STORE_REPEATED 1
#define STORE_TOO_MANY_VERSIONS 2
#define STORE_PERIOD_FULL 3

/* The body of the store transaction: locks, numbers, signs and writes one version. */
static int store_tx(PGconn *conn, void *arg, char **err)
{
	struct store *st = arg;
	const struct intake_context *ctx = st->ctx;
	struct intake_receipt *receipt = st->receipt;
	char period_id[24], unit_id[24], account_id[24], nowbuf[24];
	snprintf(period_id, sizeof period_id, "%lld", ctx->period->db_id);
	snprintf(unit_id, sizeof unit_id, "%lld", ctx->unit_id);
	snprintf(account_id, sizeof account_id, "%lld", st->who->account_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)st->now);

	/* One upload at a time per unit and period; the period's row is read under a share
	 * lock, so the cut-off (which changes its state) comes wholly before or after. */
	const char *pl[] = { period_id, unit_id };
	PGresult *r = db_run(conn, "intake",
	       "SELECT p.state, extract(epoch FROM p.unit_deadline)::bigint, "
	       "  pg_advisory_xact_lock(hashtextextended('submission:' || $1::bigint || ':' || "
	       "    $2::bigint, 0)), "
	       /* the unit's extension, read under the same lock as a grant's (FOR SHARE) */
	       "  (SELECT extract(epoch FROM e.until)::bigint FROM extension e "
	       "    WHERE e.period_id = p.id AND e.unit_id = $2::bigint FOR SHARE) "
	       "FROM period p WHERE p.id = $1::bigint FOR SHARE", 2, pl, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "skipped") == 0) {
		*err = xasprintf("intake: period %s is %s", ctx->period->id,
				 PQntuples(r) ? "skipped" : "gone");
		PQclear(r);
		return -1;
	}
	bool open = strcmp(PQgetvalue(r, 0, 0), "open") == 0;
	time_t deadline = (time_t)atoll(PQgetvalue(r, 0, 1));
	time_t until = PQgetisnull(r, 0, 3) ? 0 : (time_t)atoll(PQgetvalue(r, 0, 3));
	PQclear(r);

	/* The current version (if any), the next version number and the next id, the versions
	 * and bytes already stored (under the lock above: two uploads cannot both pass). */
	r = db_run(conn, "intake",
	       "SELECT s.id, s.version, extract(epoch FROM s.received_at)::bigint, "
	       "  encode(s.sha256, 'hex'), s.on_time, (SELECT count(*) FROM report_item i "
	       "  WHERE i.submission_id = s.id), s.receipt_signature, n.version, "
	       "  nextval(pg_get_serial_sequence('submission', 'id')), n.versions, n.bytes, "
	       "  extract(epoch FROM s.extended_until)::bigint "
	       "FROM (SELECT coalesce(max(version), 0) + 1 AS version, count(*) AS versions, "
	       "        coalesce(sum(raw_size), 0) + (SELECT coalesce(sum(size), 0) "
	       "          FROM submission_document WHERE period_id = $1 AND unit_id = $2) "
	       "          AS bytes FROM submission "
	       "      WHERE period_id = $1 AND unit_id = $2) n "
	       "LEFT JOIN submission s ON s.period_id = $1 AND s.unit_id = $2 AND NOT s.superseded",
	       2, pl, err);
	if (r == NULL)
		return -1;
	bool has_current = !PQgetisnull(r, 0, 0);
	if (has_current && strcmp(PQgetvalue(r, 0, 3), st->sha) == 0) {
		receipt_from_row(r, 0, ctx, receipt);
		if (!PQgetisnull(r, 0, 11))
			receipt->extended_until = (time_t)atoll(PQgetvalue(r, 0, 11));
		receipt->repeated = true;
		PQclear(r);
		return STORE_REPEATED;
	}
	/* An identical file is free (above); anything new counts against the quota. */
	long long versions = atoll(PQgetvalue(r, 0, 9)), bytes = atoll(PQgetvalue(r, 0, 10));
	st->quota->versions = versions;
	st->quota->bytes = bytes;
	if (st->quota->max_versions > 0 && versions >= st->quota->max_versions) {
		PQclear(r);
		return STORE_TOO_MANY_VERSIONS;
	}
	if (st->quota->max_bytes > 0 && bytes + (long long)st->file_len > st->quota->max_bytes) {
		PQclear(r);
		return STORE_PERIOD_FULL;
	}
	memset(receipt, 0, sizeof *receipt);
	receipt->version = atoi(PQgetvalue(r, 0, 7));
	receipt->submission = atoll(PQgetvalue(r, 0, 8));
	PQclear(r);
	receipt->received_at = st->now;
	snprintf(receipt->sha256, sizeof receipt->sha256, "%s", st->sha);
	/* Once the cut-off has run, whatever comes is late, whatever the clock says. */
	receipt->on_time = open && st->now <= deadline;
	/* An extension (schema/015_extension.sql) moves the unit's own deadline, whether or not
	 * the cut-off has run: a version by its until is on time, and says so. */
	if (!receipt->on_time && until > deadline && st->now <= until) {
		receipt->on_time = true;
		receipt->extended_until = until;
	}
	receipt->items = st->report->nitems;
	snprintf(receipt->series, sizeof receipt->series, "%s", ctx->series->name);
	snprintf(receipt->period, sizeof receipt->period, "%s", ctx->period->id);
	snprintf(receipt->unit, sizeof receipt->unit, "%s", ctx->unit_code);
	receipt_sign(receipt, st->keys);

	/* The current version steps aside first: at most one is current (a unique index). */
	if (has_current) {
		r = db_run(conn, "intake", "UPDATE submission SET superseded = true "
			   "WHERE period_id = $1 AND unit_id = $2 AND NOT superseded", 2, pl, err);
		if (r == NULL)
			return -1;
		PQclear(r);
	}
	char sub_id[24], version[16], raw_size[24], extended[24];
	snprintf(extended, sizeof extended, "%lld", (long long)receipt->extended_until);
	snprintf(sub_id, sizeof sub_id, "%lld", receipt->submission);
	snprintf(raw_size, sizeof raw_size, "%zu", st->file_len);
	snprintf(version, sizeof version, "%d", receipt->version);
	bool with_file = strcmp(st->channel, "xlsx") == 0;
	const struct intake_report *report = st->report;
	const char *ps[] = { sub_id, period_id, unit_id, version, nowbuf, account_id, st->channel,
			     with_file ? st->file : NULL, st->sha, receipt->on_time ? "t" : "f",
			     report->general_difficulties ? report->general_difficulties : "",
			     report->general_proposals ? report->general_proposals : "",
			     receipt->signature, st->on_behalf ? "t" : "f", raw_size,
			     receipt->extended_until ? extended : NULL };
	/* The file goes as a binary parameter: no hex copy of a large upload. */
	int lengths[16] = { 0, 0, 0, 0, 0, 0, 0, (int)st->file_len, 0, 0, 0, 0, 0, 0, 0, 0 };
	int formats[16] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	r = db_query(conn,
	       "INSERT INTO submission (id, period_id, unit_id, version, received_at, account_id, "
	       "  channel, file, sha256, on_time, general_difficulties, general_proposals, "
	       "  receipt_signature, on_behalf, raw_size, extended_until, document_id) "
	       "OVERRIDING SYSTEM VALUE "
	       "VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7, $8::bytea, "
	       "  decode($9, 'hex'), $10, $11, $12, $13, $14, $15, to_timestamp($16::bigint), "
	       /* the document of the version before goes on with this one (docs/intake.md) */
	       "  (SELECT b.document_id FROM submission b WHERE b.period_id = $2 "
	       "    AND b.unit_id = $3 AND b.version = $4::int - 1))", 16, ps, lengths, formats);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("intake: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);

	struct strbuf items = STRBUF_INIT;
	items_json(report, &items);
	const char *pi[] = { sub_id, items.data };
	r = db_run(conn, "intake",
	       "INSERT INTO report_item (submission_id, task_id, status, progress, "
	       "  completed_on, result, difficulties, proposals, note) "
	       "SELECT $1, x.task_id, x.status, x.progress, x.completed_on, x.result, "
	       "  x.difficulties, x.proposals, x.note "
	       "FROM jsonb_to_recordset($2::jsonb) AS x(task_id bigint, status text, "
	       "  progress smallint, completed_on date, result text, difficulties text, "
	       "  proposals text, note text)", 2, pi, err);
	strbuf_free(&items);
	if (r == NULL)
		return -1;
	PQclear(r);

	/* The audit entry and the receipt mail, to the account's address. */
	char *detail = audit_detail(ctx, receipt, st->channel);
	struct audit_entry au = { st->who->account_id, st->who->login,
				  st->on_behalf ? "submit_on_behalf" : "submit", "submission",
				  sub_id, detail, st->remote_addr };
	int rc = audit_write(conn, &au, err);
	free(detail);
	if (rc != 0)
		return -1;
	char *subject = NULL, *body = NULL;
	receipt_mail(ctx, receipt, &subject, &body);
	struct outbox_message m = {
		.key = { .kind = OUTBOX_RECEIPT, .submission = receipt->submission },
		.to_account = st->who->account_id, .subject = subject, .body = body,
		.queued_at = st->now,
	};
	rc = outbox_queue(conn, &m, 1, NULL, err);
	free(subject);
	free(body);
	return rc;
}

/* Stores a checked report, in as few round trips as the work allows. */
enum intake_result intake_store(PGconn *conn, const struct intake_context *ctx,
				const struct intake_report *report, const struct principal *who,
				bool on_behalf, const char *channel, const void *file,
				size_t file_len, struct intake_quota *quota,
				const char *remote_addr, time_t now,
				const struct keys *keys, struct intake_receipt *receipt, char **err)
{
	struct store st = { ctx, report, who, on_behalf, channel, file, file_len, quota,
			    remote_addr, now, keys, receipt, "" };
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, file, file_len);
	sodium_bin2hex(st.sha, sizeof st.sha, digest, sizeof digest);
	int rc = db_tx(conn, store_tx, &st, err);
	switch (rc) {
	case 0:
	case STORE_REPEATED:
		return INTAKE_OK;
	case STORE_TOO_MANY_VERSIONS:
		return INTAKE_TOO_MANY_VERSIONS;
	case STORE_PERIOD_FULL:
		return INTAKE_PERIOD_FULL;
	default:
		return INTAKE_DB;
	}
}
