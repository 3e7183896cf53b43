/* The consolidated report's life in a period: the cut-off snapshot and its draft, the final
 * versions and their delivery through the outbox, and fetching any of them. */
#include "consolidation.h"
#include "consol_document.h"
#include "xlsxw.h"
#include "attachment.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "outbox.h"
#include "outbox_queue.h"
#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void consolidation_file_free(struct consolidation_file *f)
{
	free(f->data);
	free(f->filename);
	memset(f, 0, sizeof *f);
}

/* "tong-hop-nq57-weekly-2026-W50-chinh-thuc-v2.xlsx" (new string). */
static char *file_name(const struct period_info *pi, enum consol_edition edition, int version)
{
	const char *what = edition == CONSOL_LIVE ? "truc-tiep" :
			   edition == CONSOL_CUTOFF ? "du-thao-khoa-so" : "chinh-thuc";
	if (edition == CONSOL_FINAL)
		return xasprintf("tong-hop-%s-%s-%s-v%d.xlsx", pi->series->name, pi->id, what,
				 version);
	return xasprintf("tong-hop-%s-%s-%s.xlsx", pi->series->name, pi->id, what);
}

/* consolidation_build(), the workbook's check left to the caller when !check. */
static int build(PGconn *conn, const struct period_info *pi, const struct consol_entries *e,
		 const struct consol_meta *meta, struct consolidation_file *out, bool check,
		 char **err)
{
	memset(out, 0, sizeof *out);
	struct consol_doc doc;
	struct consol_feed *feed;
	if (consol_load(conn, pi, e, meta, &doc, &feed, err) != 0)
		return -1;
	/* The items are read a batch of units at a time while the workbook is written. */
	struct consol_batches batches;
	consol_feed_batches(feed, &batches);
	consol_totals(&doc, &out->totals);
	int rc = check ? consol_write_xlsx_batched(&doc, &batches, &out->data, &out->len, err)
		       : consol_write_xlsx_unchecked(&doc, &batches, &out->data, &out->len, err);
	consol_feed_free(feed);
	consol_doc_free(&doc);
	if (rc != 0)
		return rc == CONSOL_INVALID ? CONSOL_INVALID : -1;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, out->data, out->len);
	sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
	out->filename = file_name(pi, meta->edition, meta->version);
	out->version = meta->version;
	return 0;
}

int consolidation_build(PGconn *conn, const struct period_info *pi,
			const struct consol_entries *e, const struct consol_meta *meta,
			struct consolidation_file *out, char **err)
{
	return build(conn, pi, e, meta, out, true, err);
}

/* Keeps a built workbook: its file (as an attachment the outbox can send), the consolidation
 * row and its entries. Returns the consolidation's id and sets *attachment, or -1. */
static long long store(PGconn *conn, const struct period_info *pi, const char *kind,
		       const struct consol_meta *meta, long long approver,
		       const struct consol_entries *e, const struct consolidation_file *f,
		       long long *attachment, char **err)
{
	char period_id[24], version[16], built[24], approved_at[24], who[24];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(version, sizeof version, "%d", meta->version > 0 ? meta->version : 1);
	snprintf(built, sizeof built, "%lld", (long long)meta->built_at);
	snprintf(approved_at, sizeof approved_at, "%lld", (long long)meta->approved_at);
	snprintf(who, sizeof who, "%lld", approver);
	if (f->len > CONSOL_FILE_MAX) {
		*err = xasprintf("consolidation: a workbook of %zu bytes is more than the %u kept",
				 f->len, CONSOL_FILE_MAX);
		return -1;
	}
	*attachment = attachment_insert(conn, f->filename, CONSOL_CONTENT_TYPE, f->data, f->len,
					f->sha256, err);
	if (*attachment < 0)
		return -1;
	char att[24];
	snprintf(att, sizeof att, "%lld", *attachment);
	bool approved = approver > 0 || meta->automatic;
	const char *pc[] = { period_id, kind, version, built, att, f->sha256,
			     approver > 0 ? who : NULL, approved ? approved_at : NULL,
			     meta->automatic ? "t" : "f" };
	PGresult *r = db_run(conn, "consolidation",
		"INSERT INTO consolidation (period_id, kind, version, built_at, attachment_id, "
		"  sha256, assessment_id, approved_by, approved_at, automatic) "
		"VALUES ($1::bigint, $2, $3::int, to_timestamp($4::bigint), $5::bigint, "
		"  decode($6, 'hex'), (SELECT max(id) FROM assessment WHERE period_id = $1::bigint), "
		"  $7::bigint, to_timestamp($8::bigint), $9::boolean) RETURNING id", 9, pc, err);
	if (r == NULL)
		return -1;
	long long id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	struct strbuf units = STRBUF_INIT, subs = STRBUF_INIT, states = STRBUF_INIT;
	strbuf_addc(&units, '{');
	strbuf_addc(&subs, '{');
	strbuf_addc(&states, '{');
	for (size_t i = 0; i < e->n; i++) {
		const char *sep = i ? "," : "";
		strbuf_addf(&units, "%s%lld", sep, e->items[i].unit_id);
		if (e->items[i].submission_id)
			strbuf_addf(&subs, "%s%lld", sep, e->items[i].submission_id);
		else
			strbuf_addf(&subs, "%sNULL", sep);
		strbuf_addf(&states, "%s%s", sep, consol_state_code(e->items[i].state));
	}
	strbuf_addc(&units, '}');
	strbuf_addc(&subs, '}');
	strbuf_addc(&states, '}');
	char cid[24];
	snprintf(cid, sizeof cid, "%lld", id);
	const char *pe[] = { cid, units.data, subs.data, states.data };
	r = db_run(conn, "consolidation",
		"INSERT INTO consolidation_entry (consolidation_id, unit_id, submission_id, state) "
		"SELECT $1::bigint, u, s, st FROM unnest($2::bigint[], $3::bigint[], $4::text[]) "
		"  AS x(u, s, st)", 4, pe, err);
	strbuf_free(&units);
	strbuf_free(&subs);
	strbuf_free(&states);
	if (r == NULL)
		return -1;
	PQclear(r);
	return id;
}

/* "12 đơn vị đúng hạn, 2 nộp muộn, 1 chưa báo cáo, 0 trả lại" for mails. */
static char *totals_text(const struct consol_totals *t)
{
	return xasprintf("%u đơn vị phải báo cáo: %u gửi đúng hạn, %u gửi muộn, %u chưa gửi, "
			 "%u được trả lại để bổ sung.", t->expected, t->by_state[CONSOL_ON_TIME],
			 t->by_state[CONSOL_LATE], t->by_state[CONSOL_MISSING],
			 t->by_state[CONSOL_RETURNED]);
}

/* Locks the period's row for the rest of the transaction; its state in *state. */
static int lock_period(PGconn *conn, const struct period_info *pi, char state[16], char **err)
{
	char period_id[24];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	const char *p[] = { period_id };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT state FROM period WHERE id = $1::bigint FOR UPDATE", 1, p, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		*err = xasprintf("consolidation: period %s is not stored", pi->id);
		return -1;
	}
	snprintf(state, 16, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* The id of the period's consolidation of that kind and version (0: newest), or 0. */
static long long find(PGconn *conn, const struct period_info *pi, const char *kind, int version,
		      char **err)
{
	char period_id[24], v[16];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(v, sizeof v, "%d", version);
	const char *p[] = { period_id, kind, v };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT id FROM consolidation WHERE period_id = $1::bigint AND kind = $2 "
		"  AND ($3::int = 0 OR version = $3::int) ORDER BY version DESC LIMIT 1", 3, p, err);
	if (r == NULL)
		return -1;
	long long id = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return id;
}

/* ---- mails to the coordinators ---- */

/* Queues a copy of m to each coordinator of the consolidating unit (its code; NULL: none),
 * the key completed with the coordinator's login. Adds the rows queued to *queued; 0 or -1
 * with *err. */
static int queue_to_coordinators(PGconn *conn, const char *consolidator,
				 const struct outbox_message *m, int *queued, char **err)
{
	const char *p[] = { consolidator ? consolidator : "" };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT a.login, a.email FROM account a JOIN unit u ON u.id = a.unit_id "
		"WHERE u.code = $1 AND a.role = 'coordinator' AND NOT a.disabled ORDER BY a.login",
		1, p, err);
	if (r == NULL)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct outbox_message *each = xcalloc(n ? n : 1, sizeof *each);
	for (size_t i = 0; i < n; i++) {
		each[i] = *m;
		each[i].key.login = PQgetvalue(r, (int)i, 0);
		each[i].to = PQgetvalue(r, (int)i, 1);
	}
	int rc = outbox_queue(conn, each, n, queued, err);
	free(each);
	PQclear(r);
	return rc;
}

/* ---- the cut-off ---- */

struct cutoff_args {
	const struct period_info *pi;
	time_t now;
	char *outcome;
};

/* The check of a built workbook, on a thread of its own while the workbook is stored. */
struct check_job {
	const unsigned char *data;
	size_t len;
	int rc;
	char *err;
};

/* Runs a check_job (the thread's body). */
static void *check_job_run(void *arg)
{
	struct check_job *c = arg;
	c->rc = consol_check_xlsx(c->data, c->len, &c->err);
	return NULL;
}

/*
 * Stores the cut-off's workbook, built unchecked, while it is checked on another thread: the
 * check (expat over ~220 MB of XML at 4,000 units) and the COPY of the file overlap. The
 * transaction is the caller's: a workbook that fails the check makes this fail, and what was
 * stored is rolled back, so nothing malformed is kept or sent, as when the check came first.
 * 0, CONSOL_INVALID or -1, with *err.
 */
static int store_checked(PGconn *conn, const struct period_info *pi,
			 const struct consol_meta *meta, const struct consol_entries *e,
			 const struct consolidation_file *f, long long *attachment, char **err)
{
	struct check_job cj = { f->data, f->len, 0, NULL };
	pthread_t t;
	bool threaded = pthread_create(&t, NULL, check_job_run, &cj) == 0;
	if (!threaded)
		check_job_run(&cj);	/* no thread: the check first, as before */
	char *store_err = NULL;
	/* With a thread the store goes on at once (cj is the thread's until it is joined);
	 * without one, only after the check passed. */
	long long id = threaded || cj.rc == 0 ?
		store(conn, pi, "cutoff", meta, 0, e, f, attachment, &store_err) : 0;
	if (threaded && pthread_join(t, NULL) != 0)
		abort();	/* a joinable thread of ours: only a broken invariant fails */
	if (cj.rc != 0) {
		free(store_err);
		*err = cj.err;
		return cj.rc == CONSOL_INVALID ? CONSOL_INVALID : -1;
	}
	if (id < 0) {
		*err = store_err;
		return -1;
	}
	return 0;
}

/* The cut-off inside the caller's transaction (the period's row locked): 0, -1, or
 * CONSOL_INVALID when the draft is not well-formed (then nothing is kept). */
static int cutoff_in_tx(PGconn *conn, const struct period_info *pi, time_t now,
			char **outcome, char **err)
{
	long long existing = find(conn, pi, "cutoff", 1, err);
	if (existing < 0)
		return -1;
	if (existing > 0) {
		*outcome = xstrdup("cut off before: nothing to do");
		return 0;
	}
	struct consol_entries e;
	if (consol_entries_load(conn, pi->db_id, CONSOL_FROM_DEADLINE, 0, &e, err) != 0)
		return -1;
	struct consol_meta meta = { .edition = CONSOL_CUTOFF, .version = 1,
				    .built_at = pi->unit_deadline < now ? pi->unit_deadline : now,
				    .created = now };
	struct consolidation_file f;
	long long attachment = 0;
	int rc = build(conn, pi, &e, &meta, &f, false, err);
	if (rc == 0)
		rc = store_checked(conn, pi, &meta, &e, &f, &attachment, err);
	consol_entries_free(&e);
	free(f.data);		/* kept: the outbox reads it from there; size and hash stay */
	f.data = NULL;
	if (rc != 0) {
		consolidation_file_free(&f);
		return rc == CONSOL_INVALID ? CONSOL_INVALID : -1;	/* nothing stored */
	}
	char period_id[24], title[160], deadline[96];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "Kỳ %s", pi->id);
	if (cal_format_vi_long(pi->unit_deadline, deadline, sizeof deadline) != 0)
		snprintf(deadline, sizeof deadline, "%s", pi->id);
	char *counts = totals_text(&f.totals);
	char *subject = xasprintf("Dự thảo báo cáo tổng hợp: %s, %s", pi->series->title, title);
	char *body = xasprintf(
		"Hệ thống đã khóa sổ lúc %s và lập dự thảo báo cáo tổng hợp %s (tệp đính kèm).\n\n"
		"%s\n\n"
		"Báo cáo gửi sau thời điểm này vẫn được nhận và đánh dấu \"nộp muộn\". Xem bảng theo "
		"dõi, ghi nhận xét, đánh giá và phê duyệt tại %s\n\nHệ thống baocao\n",
		deadline, title, counts, config_current()->public_url);
	struct outbox_message draft = {
		.key = { .kind = OUTBOX_DRAFT_NOTICE, .series = pi->series->name,
			 .period = pi->id },
		.subject = subject, .body = body, .attachment = attachment, .queued_at = now,
		.expires_at = pi->consolidation_deadline,
	};
	int mails = 0;
	rc = queue_to_coordinators(conn, pi->series->consolidator, &draft, &mails, err);
	free(subject);
	free(body);
	if (rc != 0) {
		free(counts);
		consolidation_file_free(&f);
		return -1;
	}
	const char *ps[] = { period_id };
	PGresult *r = db_run(conn, "consolidation",
		"UPDATE period SET state = 'cut_off', updated_at = now() "
		"WHERE id = $1::bigint AND state = 'open'", 1, ps, err);
	if (r == NULL) {
		free(counts);
		consolidation_file_free(&f);
		return -1;
	}
	PQclear(r);
	char *detail = xasprintf("{\"series\":\"%s\",\"period\":\"%s\",\"sha256\":\"%s\"}",
				 pi->series->name, pi->id, f.sha256);
	struct audit_entry a = { 0, "baocaod", "cutoff", "period", period_id, detail, NULL };
	rc = audit_write(conn, &a, err);
	free(detail);
	if (rc == 0)
		*outcome = xasprintf("snapshot taken: %s; draft of %zu bytes queued to %d "
				     "coordinator%s", counts, f.len, mails, mails == 1 ? "" : "s");
	free(counts);
	consolidation_file_free(&f);
	return rc;
}

static int cutoff_tx(PGconn *conn, void *arg, char **err)
{
	struct cutoff_args *a = arg;
	char state[16];
	if (lock_period(conn, a->pi, state, err) != 0)
		return -1;
	if (strcmp(state, "skipped") == 0) {
		a->outcome = xstrdup("the period is skipped: nothing to cut off");
		return 0;
	}
	return cutoff_in_tx(conn, a->pi, a->now, &a->outcome, err);
}

int consolidation_cutoff(PGconn *conn, const struct period_info *pi, time_t now,
			 char **outcome, char **err)
{
	struct cutoff_args a = { pi, now, NULL };
	if (db_tx(conn, cutoff_tx, &a, err) != 0) {
		free(a.outcome);
		return -1;
	}
	*outcome = a.outcome;
	return 0;
}

/* ---- final versions and their delivery ---- */

struct final_args {
	const struct period_info *pi;
	time_t now;
	const struct consolidation_approver *who;
	struct consolidation_file *file;
	int queued;
	enum consolidation_result result;
};

/* Queues a final version to the recipients: each address by mail, then the folder and the
 * URL of [report] when set. Returns the rows queued, or -1. */
static int queue_delivery(PGconn *conn, const struct period_info *pi, int version,
			  bool automatic, long long attachment, time_t now,
			  const struct consol_totals *t, char **err)
{
	const struct config *cfg = config_current();
	char title[160];
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "Kỳ %s", pi->id);
	int signed_doc = consol_document_present(conn, pi->db_id, version, NULL, err);
	if (signed_doc < 0)
		return -1;
	char *counts = totals_text(t);
	char *correction = version > 1 ? xasprintf(" (bổ sung lần %d)", version - 1) : xstrdup("");
	char *subject = xasprintf("Báo cáo tổng hợp%s: %s, %s", correction, pi->series->title,
				  title);
	char *body = xasprintf(
		"Kính gửi Quý cơ quan,\n\n"
		"Xin gửi kèm báo cáo tổng hợp %s, %s%s%s.\n%s\n%s\n\n%s"
		"Các phiên bản đã gửi có thể tải lại tại %s\n\nHệ thống baocao\n",
		pi->series->title, title, correction,
		signed_doc ? " (bảng tổng hợp và văn bản báo cáo đã ký số)" : "",
		version > 1 ? "Bản này thay thế bản đã gửi trước đó.\n" : "", counts,
		automatic ? "Báo cáo được gửi tự động khi đến hạn mà chưa được phê duyệt.\n\n" :
			    "",
		cfg->public_url);
	free(counts);
	free(correction);
	struct outbox_message base = {
		.key = { .kind = OUTBOX_FINAL_DELIVERY, .series = pi->series->name,
			 .period = pi->id, .version = version, .channel = OUTBOX_MAIL },
		.subject = subject, .attachment = attachment, .queued_at = now,
	};
	const char *pm[] = { pi->series->name };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT lower(regexp_replace(e, '^head:', '')) AS email, NULL AS hook "
		"  FROM series se JOIN series_recipient sr ON sr.series_id = se.id "
		"  JOIN unit u ON u.id = sr.unit_id, unnest(u.emails) e WHERE se.name = $1 "
		"UNION SELECT lower(a.email), NULL FROM series se "
		"  JOIN series_recipient sr ON sr.series_id = se.id "
		"  JOIN account a ON a.unit_id = sr.unit_id AND a.role = 'recipient' "
		"    AND NOT a.disabled WHERE se.name = $1 "
		"UNION SELECT NULL, u.code FROM series se JOIN series_recipient sr "
		"  ON sr.series_id = se.id JOIN unit u ON u.id = sr.unit_id "
		"  WHERE se.name = $1 AND u.webhook IS NOT NULL "
		"ORDER BY email, hook", 1, pm, err);
	if (r == NULL) {
		free(subject);
		free(body);
		return -1;
	}
	/* Each address by mail (a webhook unit: its notice), then the folder and URL when set. */
	size_t n = (size_t)PQntuples(r);
	struct outbox_message *m = xcalloc(n + 2, sizeof *m);
	for (size_t i = 0; i < n; i++) {
		m[i] = base;
		m[i].webhook_only = !PQgetisnull(r, (int)i, 1);
		m[i].key.unit = m[i].webhook_only ? PQgetvalue(r, (int)i, 1) : NULL;
		m[i].key.address = PQgetvalue(r, (int)i, 0);
		m[i].to = PQgetvalue(r, (int)i, 0);
		m[i].body = body;
	}
	const struct { enum outbox_channel channel; const char *to; } others[] = {
		{ OUTBOX_FOLDER, cfg->delivery_dir }, { OUTBOX_HTTP, cfg->delivery_url } };
	for (size_t i = 0; i < 2; i++) {
		if (others[i].to == NULL || others[i].to[0] == '\0')
			continue;
		m[n] = base;
		m[n].key.channel = others[i].channel;
		m[n].to = others[i].to;
		n++;
	}
	int queued = 0;
	int rc = outbox_queue(conn, m, n, &queued, err);
	free(m);
	PQclear(r);
	free(subject);
	free(body);
	return rc == 0 ? queued : -1;
}

/* Whether a stored consolidation has the same entries and the same assessment as now: 1 yes,
 * 0 no, -1 with *err. */
static int same_as_stored(PGconn *conn, long long stored, const struct consol_entries *now,
			  char **err)
{
	struct consol_entries then;
	if (consol_entries_load(conn, 0, CONSOL_FROM_STORED, stored, &then, err) != 0)
		return -1;
	bool same = then.n == now->n;
	for (size_t i = 0; same && i < now->n; i++)	/* both ordered by unit id */
		same = then.items[i].unit_id == now->items[i].unit_id &&
		       then.items[i].submission_id == now->items[i].submission_id &&
		       then.items[i].state == now->items[i].state;
	consol_entries_free(&then);
	if (!same)
		return 0;
	char id[24];
	snprintf(id, sizeof id, "%lld", stored);
	const char *p[] = { id };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT c.assessment_id IS NOT DISTINCT FROM "
		"  (SELECT max(a.id) FROM assessment a WHERE a.period_id = c.period_id) "
		"FROM consolidation c WHERE c.id = $1::bigint", 1, p, err);
	if (r == NULL)
		return -1;
	same = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return same;
}

static int final_tx(PGconn *conn, void *arg, char **err)
{
	struct final_args *a = arg;
	const struct period_info *pi = a->pi;
	char state[16];
	if (lock_period(conn, pi, state, err) != 0)
		return -1;
	if (strcmp(state, "skipped") == 0 || pi->skipped) {
		a->result = CONSOLIDATION_REFUSED;
		*err = xasprintf("Kỳ %s không yêu cầu báo cáo nên không có báo cáo tổng hợp.", pi->id);
		return 1;
	}
	if (a->now < pi->unit_deadline) {
		char when[96];
		if (cal_format_vi_long(pi->unit_deadline, when, sizeof when) != 0)
			snprintf(when, sizeof when, "hạn gửi");
		a->result = CONSOLIDATION_REFUSED;
		*err = xasprintf("Chưa đến hạn khóa sổ (%s): các đơn vị còn đang gửi báo cáo. "
				 "Hãy phê duyệt sau thời điểm đó.", when);
		return 1;
	}
	if (a->who != NULL && pi->series->require_consolidated_document) {
		int next = consol_document_next_version(conn, pi->db_id, err);
		int has = next < 0 ? -1 : consol_document_present(conn, pi->db_id, next, NULL, err);
		if (has < 0)
			return -1;
		if (has == 0) {
			a->result = CONSOLIDATION_NO_DOCUMENT;
			*err = xasprintf("Chưa có văn bản báo cáo đã ký số cho bản số %d: loại báo cáo "
					 "này gửi kèm văn bản báo cáo tổng hợp đã ký số (PDF). Hãy tải "
					 "văn bản đã ký số lên cho bản số %d rồi phê duyệt.", next, next);
			return 1;
		}
	}
	/* A cut-off the job has not made yet (it runs late) is made first. */
	char *cut = NULL;
	int cut_rc = cutoff_in_tx(conn, pi, a->now, &cut, err);
	if (cut_rc != 0) {
		if (cut_rc == CONSOL_INVALID)
			a->result = CONSOLIDATION_INVALID;
		return -1;
	}
	free(cut);
	long long newest = find(conn, pi, "final", 0, err);
	if (newest < 0)
		return -1;
	if (a->who == NULL && newest > 0) {
		a->result = CONSOLIDATION_NONE;
		return 0;
	}
	char period_id[24];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	const char *pv[] = { period_id };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT coalesce(max(version), 0) + 1 FROM consolidation "
		"WHERE period_id = $1::bigint AND kind = 'final'", 1, pv, err);
	if (r == NULL)
		return -1;
	int version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	struct consol_entries e;
	if (consol_entries_load(conn, pi->db_id, CONSOL_FROM_NOW, 0, &e, err) != 0)
		return -1;
	if (newest > 0) {
		/* A correction must correct something: a double click sends nothing twice. */
		int same = same_as_stored(conn, newest, &e, err);
		if (same > 0) {	/* the signed document alone is a correction too */
			int fresh = consol_document_new_for(conn, pi->db_id, version, err);
			same = fresh < 0 ? -1 : !fresh;
		}
		if (same < 0) {
			consol_entries_free(&e);
			return -1;
		}
		if (same) {
			consol_entries_free(&e);
			a->result = CONSOLIDATION_UNCHANGED;
			*err = xasprintf("Không có gì thay đổi so với bản đã gửi (bản số %d): không có "
					 "báo cáo nào mới hay được sửa và đánh giá vẫn như cũ, nên không "
					 "gửi bản bổ sung. Hãy sửa đánh giá hoặc chờ đơn vị gửi lại rồi "
					 "phê duyệt.", version - 1);
			return 1;
		}
	}
	struct consol_meta meta = {
		.edition = CONSOL_FINAL, .version = version, .built_at = a->now, .created = a->now,
		.approved_by = a->who ? (a->who->display_name && a->who->display_name[0] ?
					 a->who->display_name : a->who->login) : NULL,
		.approved_at = a->now, .automatic = a->who == NULL,
	};
	long long attachment = 0;
	int rc = consolidation_build(conn, pi, &e, &meta, a->file, err);
	if (rc == 0 && store(conn, pi, "final", &meta, a->who ? a->who->account_id : 0, &e,
			     a->file, &attachment, err) < 0)
		rc = -1;
	consol_entries_free(&e);
	if (rc != 0) {
		if (rc == CONSOL_INVALID)	/* nothing stored, nothing queued */
			a->result = CONSOLIDATION_INVALID;
		return -1;
	}
	a->queued = queue_delivery(conn, pi, version, a->who == NULL, attachment, a->now,
				   &a->file->totals, err);
	if (a->queued < 0 || consol_document_deliveries(conn, pi, version, err) != 0)
		return -1;
	r = db_run(conn, "consolidation",
		"UPDATE period SET state = 'approved', updated_at = now() "
		"WHERE id = $1::bigint AND state <> 'approved'", 1, pv, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	char *detail = xasprintf("{\"series\":\"%s\",\"period\":\"%s\",\"version\":%d,"
				 "\"sha256\":\"%s\",\"deliveries\":%d}", pi->series->name, pi->id,
				 version, a->file->sha256, a->queued);
	struct audit_entry au = {
		a->who ? a->who->account_id : 0, a->who ? a->who->login : "baocaod",
		a->who ? (version > 1 ? "approve_correction" : "approve") : "deliver_automatic",
		"period", period_id, detail, a->who ? a->who->remote_addr : NULL,
	};
	rc = audit_write(conn, &au, err);
	free(detail);
	a->result = CONSOLIDATION_OK;
	return rc;
}

enum consolidation_result consolidation_finalize(PGconn *conn, const struct period_info *pi,
						 time_t now,
						 const struct consolidation_approver *who,
						 struct consolidation_file *file, int *queued,
						 char **err)
{
	memset(file, 0, sizeof *file);
	struct final_args a = { pi, now, who, file, 0, CONSOLIDATION_FAILED };
	int rc = db_tx(conn, final_tx, &a, err);
	free(file->data);	/* kept in the database; the caller needs its name and hash */
	file->data = NULL;
	if (rc != 0) {
		consolidation_file_free(file);
		return a.result == CONSOLIDATION_REFUSED || a.result == CONSOLIDATION_UNCHANGED ||
		       a.result == CONSOLIDATION_INVALID || a.result == CONSOLIDATION_NO_DOCUMENT ?
		       a.result : CONSOLIDATION_FAILED;
	}
	*queued = a.queued;
	return a.result;
}

/* ---- fetching ---- */

enum consolidation_result consolidation_get(PGconn *conn, const struct period_info *pi,
					    enum consol_edition edition, int version, time_t now,
					    struct consolidation_file *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (edition == CONSOL_LIVE) {
		if (pi->db_id <= 0)
			return CONSOLIDATION_NONE;
		struct consol_entries e;
		if (consol_entries_load(conn, pi->db_id, CONSOL_FROM_NOW, 0, &e, err) != 0)
			return CONSOLIDATION_FAILED;
		struct consol_meta meta = { .edition = CONSOL_LIVE, .built_at = now, .created = now };
		int rc = consolidation_build(conn, pi, &e, &meta, out, err);
		consol_entries_free(&e);
		return rc == 0 ? CONSOLIDATION_OK : rc == CONSOL_INVALID ? CONSOLIDATION_INVALID
								 : CONSOLIDATION_FAILED;
	}
	char period_id[24], v[16];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(v, sizeof v, "%d", edition == CONSOL_CUTOFF ? 1 : version);
	const char *p[] = { period_id, edition == CONSOL_CUTOFF ? "cutoff" : "final", v };
	PGresult *r = db_run(conn, "consolidation",
		"SELECT c.attachment_id, c.version, encode(c.sha256, 'hex') FROM consolidation c "
		"WHERE c.period_id = $1::bigint AND c.kind = $2 "
		"  AND ($3::int = 0 OR c.version = $3::int) ORDER BY c.version DESC LIMIT 1", 3, p,
		err);
	if (r == NULL)
		return CONSOLIDATION_FAILED;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return CONSOLIDATION_NONE;
	}
	/* The file is read in pieces into one buffer, which becomes out's. */
	struct attachment_file file;
	if (attachment_read(conn, PQgetvalue(r, 0, 0), &file, err) != 0) {
		PQclear(r);
		return CONSOLIDATION_FAILED;
	}
	out->data = file.data;
	out->len = file.len;
	file.data = NULL;
	attachment_file_free(&file);
	out->version = atoi(PQgetvalue(r, 0, 1));
	snprintf(out->sha256, sizeof out->sha256, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	out->filename = file_name(pi, edition, out->version);
	/* A file kept before the check existed is checked before it is given out again. */
	char *why = NULL;
	if (xlsxw_check(out->data, out->len, &why) != 0) {
		*err = xasprintf("consolidation: the kept %s workbook of %s %s (version %d) is not "
				 "well-formed: %s", edition == CONSOL_CUTOFF ? "cut-off" : "final",
				 pi->series->name, pi->id, out->version, why);
		free(why);
		consolidation_file_free(out);
		return CONSOLIDATION_INVALID;
	}
	return CONSOLIDATION_OK;
}
