/* The outbox's sender: claims due messages under a lease, sends them (SMTP, or .eml files in
 * the spool when no server is set), and records each outcome, with retries and expiry. */
#include "outbox.h"
#include "attachment.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "mail.h"
#include "outbox_queue.h"
#include "utf8.h"
#include "util.h"
#include "webhook.h"
#include "xlsxw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBOX_LEASE_S 300		/* how long a claimed message is this sender's */
#define OUTBOX_RETRY_MIN_S 300		/* a deferred message waits clamp(age, 5 min, 1 h) */
#define OUTBOX_RETRY_MAX_S 3600
#define OUTBOX_PASSWORD_MAX 4096

/* What became of one attempt, whatever the channel: the row's next state. */
enum outbox_outcome { OUTBOX_SENT, OUTBOX_DEFERRED, OUTBOX_FAILED };

/* The outcome of a mail's attempt. */
static enum outbox_outcome outcome_of_mail(enum mail_result r)
{
	switch (r) {
	case MAIL_SENT:
		return OUTBOX_SENT;
	case MAIL_TEMPORARY:
		return OUTBOX_DEFERRED;
	case MAIL_PERMANENT:
		break;
	}
	return OUTBOX_FAILED;
}

/* The outcome of a delivery's attempt (a folder, a URL). */
static enum outbox_outcome outcome_of_delivery(enum deliver_result r)
{
	switch (r) {
	case DELIVER_DONE:
		return OUTBOX_SENT;
	case DELIVER_TEMPORARY:
		return OUTBOX_DEFERRED;
	case DELIVER_PERMANENT:
		break;
	}
	return OUTBOX_FAILED;
}

/* An outcome as the log names it: "sent", "temporary" or "permanent". */
static const char *outcome_name(enum outbox_outcome o)
{
	static const char *const names[] = { [OUTBOX_SENT] = "sent",
					     [OUTBOX_DEFERRED] = "temporary",
					     [OUTBOX_FAILED] = "permanent" };
	return names[o];
}

/* The SMTP password, read from [mail] password_file (new string, "" when none). */
static char *smtp_password(const struct config *cfg, char **err)
{
	if (cfg->smtp_password_file[0] == '\0')
		return xstrdup("");
	char *text = NULL;
	size_t len = 0;
	if (file_read_all(cfg->smtp_password_file, OUTBOX_PASSWORD_MAX, &text, &len) != 0) {
		*err = xasprintf("cannot read [mail] password_file %s", cfg->smtp_password_file);
		return NULL;
	}
	return str_trim(text);
}

/* Marks messages whose lease ran out mid-send as unknown (they are sent again, with the same
 * Message-ID: a duplicate is better than a missed report) and expires those past their
 * business deadline. */
static int outbox_recover(PGconn *conn, const char *now, char **err)
{
	const char *p[] = { now };
	PGresult *r = db_run(conn, "outbox",
		"UPDATE outbox SET state = 'unknown', locked_by = NULL, lease_until = NULL, "
		"  next_attempt_at = to_timestamp($1::bigint), "
		"  last_error = 'the sender stopped while sending; sent again' "
		"WHERE state = 'sending' AND lease_until < to_timestamp($1::bigint)", 1, p, err);
	if (r == NULL)
		return -1;
	if (atoi(PQcmdTuples(r)) > 0)
		log_warn("outbox", "%s messages were left sending by a stopped sender; sending them "
			 "again", PQcmdTuples(r));
	PQclear(r);
	r = db_run(conn, "outbox",
		"UPDATE outbox SET state = 'expired', failed_at = to_timestamp($1::bigint) "
		"WHERE state IN ('queued', 'deferred', 'unknown') "
		"  AND expires_at < to_timestamp($1::bigint) RETURNING dedup_key", 1, p, err);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		log_warn("outbox", "%s: expired unsent (its deadline passed)", PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

/* Records one attempt's outcome; fenced by the lease (this sender, this attempt). */
static void outbox_record(PGconn *conn, const char *id, const char *attempts, const char *now,
			  const char *instance, enum outbox_outcome res, const char *detail)
{
	static const char *const states[] = { [OUTBOX_SENT] = "sent",
					      [OUTBOX_DEFERRED] = "deferred",
					      [OUTBOX_FAILED] = "failed" };
	char min_s[16], max_s[16];
	snprintf(min_s, sizeof min_s, "%d", OUTBOX_RETRY_MIN_S);
	snprintf(max_s, sizeof max_s, "%d", OUTBOX_RETRY_MAX_S);
	/* A server's answer may be cut in a character or in another encoding. */
	char *clean = utf8_scrub(xstrdup(detail));
	const char *p[] = { id, attempts, now, instance, states[res], clean, min_s, max_s };
	char *err = NULL;
	PGresult *r = db_run(conn, "outbox",
		"UPDATE outbox SET state = $5, locked_by = NULL, lease_until = NULL, "
		"  sent_at = CASE WHEN $5 = 'sent' THEN to_timestamp($3::bigint) END, "
		"  failed_at = CASE WHEN $5 = 'failed' THEN to_timestamp($3::bigint) END, "
		"  last_error = CASE WHEN $5 = 'sent' THEN NULL ELSE $6 END, "
		"  next_attempt_at = CASE WHEN $5 = 'deferred' THEN to_timestamp($3::bigint) + "
		"    make_interval(secs => least(greatest(extract(epoch FROM "
		"      to_timestamp($3::bigint) - created_at), $7::int), $8::int)) "
		"    ELSE next_attempt_at END "
		"WHERE id = $1 AND attempts = $2::int AND locked_by = $4 AND state = 'sending'",
		8, p, &err);
	free(clean);
	if (r == NULL) {
		log_error("outbox", "message %s: cannot record the outcome (%s): %s", id, states[res],
			  err);
		free(err);
		return;
	}
	if (atoi(PQcmdTuples(r)) == 0)
		log_warn("outbox", "message %s: its lease had passed to another sender; outcome "
			 "%s not recorded", id, states[res]);
	PQclear(r);
}

/* Delivers a row of another channel than mail: each of its files into a folder, or to a URL
 * in a POST of its own, named by the final delivery's series, period and version (columns 9
 * to 11 of the row). The first file's Idempotency-Key is the row's Message-ID, the next ones'
 * the Message-ID and "/2", "/3"...; a retry delivers them all again under the same keys. */
static enum outbox_outcome deliver_other(const char *channel, PGresult *r, int row,
					 const struct mail_message *m, char **detail)
{
	if (m->nattachments == 0) {
		*detail = xasprintf("a %s delivery without a file", channel);
		return OUTBOX_FAILED;
	}
	if (strcmp(channel, "folder") != 0 && strcmp(channel, "http") != 0) {
		*detail = xasprintf("unknown delivery channel %s", channel);
		return OUTBOX_FAILED;
	}
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct mail_attachment *a = &m->attachments[i];
		enum deliver_result res;
		if (strcmp(channel, "folder") == 0) {
			res = deliver_folder(m->to, a->filename, a->data, a->len, detail);
		} else {
			char *key = i == 0 ? xstrdup(m->message_id) :
					     xasprintf("%s/%zu", m->message_id, i + 1);
			struct deliver_file f = { a->filename, a->content_type, a->data, a->len, key,
						  PQgetvalue(r, row, 9), PQgetvalue(r, row, 10),
						  PQgetisnull(r, row, 11) ? 0 :
						  atoi(PQgetvalue(r, row, 11)) };
			res = deliver_http(m->to, &f, detail);
			free(key);
		}
		if (res != DELIVER_DONE)
			return outcome_of_delivery(res);
	}
	return OUTBOX_SENT;
}

/* Renews the lease of one claimed row before it is worked, so that a slow batch never sends
 * a row whose lease another sender could have taken over; false when it was lost. */
static bool lease_row(PGconn *conn, const char *id, const char *attempts, const char *instance,
		      time_t now)
{
	char nowbuf[24], lease[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(lease, sizeof lease, "%d", OUTBOX_LEASE_S);
	const char *p[] = { id, attempts, instance, nowbuf, lease };
	char *err = NULL;
	PGresult *r = db_run(conn, "outbox",
		"UPDATE outbox SET lease_until = to_timestamp($4::bigint) + "
		"  make_interval(secs => $5::int) "
		"WHERE id = $1::bigint AND attempts = $2::int AND locked_by = $3 "
		"  AND state = 'sending'", 5, p, &err);
	if (r == NULL) {
		log_warn("outbox", "message %s: %s", id, err);
		free(err);
		return false;
	}
	bool kept = atoi(PQcmdTuples(r)) == 1;
	PQclear(r);
	return kept;
}

/* Frees the files read for one row. */
static void files_free(struct attachment_file *files, size_t n)
{
	for (size_t i = 0; files != NULL && i < n; i++)
		attachment_file_free(&files[i]);
	free(files);
}

/* The id of a webhook item as its payload says it: its Message-ID without "<" and "@baocao>"
 * (new string). */
static char *webhook_id(const char *message_id)
{
	char *id = xstrdup(message_id[0] == '<' ? message_id + 1 : message_id);
	char *at = strchr(id, '@');
	if (at != NULL)
		*at = '\0';
	return id;
}

/* Sends one claimed row (columns: id, attempts, recipient, subject, body, html, message_id,
 * attachment id, channel, series, period, version, unit): a webhook item is POSTed signed;
 * another row's files (the attachment id, then the row's outbox_attachment in position
 * order) are read now, in binary and in pieces (attachment.h), for this row only. */
static enum outbox_outcome outbox_send_one(PGconn *conn, PGresult *r, int row,
					const struct config *cfg,
					const struct mail_server *server, time_t now,
					char **detail)
{
	const char *channel = PQgetvalue(r, row, 8);
	if (strcmp(channel, "webhook") == 0) {
		char *id = webhook_id(PQgetvalue(r, row, 6));
		enum deliver_result dr = webhook_send(conn, PQgetvalue(r, row, 12),
						      PQgetvalue(r, row, 2), PQgetvalue(r, row, 4),
						      id, now, detail);
		free(id);
		return outcome_of_delivery(dr);
	}
	struct mail_attachment *atts = NULL;
	struct mail_message m = {
		.from = cfg->mail_from,
		.reply_to = cfg->mail_reply_to[0] ? cfg->mail_reply_to : NULL,
		.to = PQgetvalue(r, row, 2),
		.subject = PQgetvalue(r, row, 3),
		.text = PQgetvalue(r, row, 4),
		.html = PQgetisnull(r, row, 5) ? NULL : PQgetvalue(r, row, 5),
		.message_id = PQgetvalue(r, row, 6),
		.date = now,
	};
	struct attachment_file *files = NULL;
	size_t nfiles = 0;
	if (!PQgetisnull(r, row, 7)) {
		const char *pa[] = { PQgetvalue(r, row, 7), PQgetvalue(r, row, 0) };
		PGresult *ids = db_query(conn, "SELECT x.id FROM (SELECT $1::bigint AS id, "
					 "  1 AS position UNION ALL SELECT attachment_id, position "
					 "  FROM outbox_attachment WHERE outbox_id = $2::bigint) x "
					 "ORDER BY x.position", 2, pa, NULL, NULL);
		if (PQresultStatus(ids) != PGRES_TUPLES_OK || PQntuples(ids) < 1) {
			*detail = xasprintf("cannot list the attachments: %s",
					    PQresultErrorMessage(ids));
			PQclear(ids);
			return OUTBOX_DEFERRED;
		}
		nfiles = (size_t)PQntuples(ids);
		files = xcalloc(nfiles, sizeof *files);
		atts = xcalloc(nfiles, sizeof *atts);
		for (size_t i = 0; i < nfiles; i++) {
			char *why = NULL;
			if (attachment_read(conn, PQgetvalue(ids, (int)i, 0), &files[i], &why) != 0) {
				*detail = xasprintf("cannot read the attachment: %s", why);
				free(why);
				PQclear(ids);
				files_free(files, nfiles);
				free(atts);
				return OUTBOX_DEFERRED;
			}
			atts[i] = (struct mail_attachment){ files[i].filename, files[i].content_type,
							    files[i].data, files[i].len };
		}
		PQclear(ids);
		m.attachments = atts;
		m.nattachments = nfiles;
	}
	char *why = NULL;
	bool broken = false;
	for (size_t i = 0; i < m.nattachments && !broken; i++) {
		if (str_has_suffix(atts[i].filename, ".xlsx") &&
		    xlsxw_check(atts[i].data, atts[i].len, &why) != 0) {
			/* Kept before workbooks were checked: never sent broken (failed, so
			 * escalated). */
			*detail = xasprintf("the workbook %s is not well-formed, not sent: %s",
					    atts[i].filename, why);
			free(why);
			broken = true;
		}
	}
	enum outbox_outcome res;
	if (broken) {
		res = OUTBOX_FAILED;
	} else if (strcmp(channel, "mail") != 0) {
		res = deliver_other(channel, r, row, &m, detail);
	} else if (mail_check(&m, detail) != 0) {
		res = OUTBOX_FAILED;
	} else if (server == NULL) {
		char *dir = xasprintf("%s/mail", cfg->spool_dir);
		res = mail_spool(dir, &m, detail) == 0 ? OUTBOX_SENT : OUTBOX_DEFERRED;
		free(dir);
	} else {
		res = outcome_of_mail(mail_send(server, &m, detail));
	}
	files_free(files, nfiles);
	free(atts);
	return res;
}

/* Sends what is due now: recovers, claims a batch, sends each message, records each outcome. */
int outbox_run(PGconn *conn, const char *instance, char **err)
{
	const struct config *cfg = config_current();
	time_t now = clock_now();
	char nowbuf[24], lease[16], batch[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(lease, sizeof lease, "%d", OUTBOX_LEASE_S);
	snprintf(batch, sizeof batch, "%d", OUTBOX_BATCH_SIZE);
	if (outbox_recover(conn, nowbuf, err) != 0)
		return -1;
	const char *p[] = { nowbuf, instance, lease, batch };
	PGresult *r = db_run(conn, "outbox",
		"WITH due AS (SELECT id FROM outbox WHERE state IN ('queued', 'deferred', 'unknown') "
		"  AND next_attempt_at <= to_timestamp($1::bigint) "
		"  ORDER BY next_attempt_at, id LIMIT $4::int FOR UPDATE SKIP LOCKED), "
		"claimed AS (UPDATE outbox o SET state = 'sending', locked_by = $2, "
		"  lease_until = to_timestamp($1::bigint) + make_interval(secs => $3::int), "
		"  attempts = o.attempts + 1, last_attempt_at = to_timestamp($1::bigint) "
		"  FROM due WHERE o.id = due.id "
		"  RETURNING o.id, o.attempts, o.recipient, o.subject, o.body, o.html, o.message_id, "
		"    o.attachment_id, o.channel, o.series, o.period, o.version, o.unit) "
		"SELECT c.id, c.attempts, c.recipient, c.subject, c.body, c.html, c.message_id, "
		"  c.attachment_id, c.channel, coalesce(c.series, ''), coalesce(c.period, ''), "
		"  c.version, coalesce(c.unit, '') FROM claimed c ORDER BY c.id",
		4, p, err);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	struct mail_server server = { cfg->smtp_url, cfg->smtp_user, NULL, 60000 };
	char *password = NULL;
	if (cfg->smtp_url[0]) {
		char *why = NULL;
		password = smtp_password(cfg, &why);
		if (password == NULL) {
			log_error("outbox", "%s; messages wait", why);
			free(why);
		}
		server.password = password;
	}
	for (int i = 0; i < n; i++) {
		char *detail = NULL;
		enum outbox_outcome res;
		if (cfg->smtp_url[0] && password == NULL) {
			res = OUTBOX_DEFERRED;
			detail = xstrdup("the SMTP password file cannot be read");
		} else if (!lease_row(conn, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), instance,
				      clock_now())) {
			log_warn("outbox", "message %s: its lease passed to another sender before it "
				 "was sent; left to it", PQgetvalue(r, i, 0));
			continue;
		} else {
			res = outbox_send_one(conn, r, i, cfg, cfg->smtp_url[0] ? &server : NULL, now,
					      &detail);
		}
		bool mail = strcmp(PQgetvalue(r, i, 8), "mail") == 0;
		char *to = strcmp(PQgetvalue(r, i, 8), "http") == 0 ||
			   strcmp(PQgetvalue(r, i, 8), "webhook") == 0 ?
			   deliver_url_display(PQgetvalue(r, i, 2)) : xstrdup(PQgetvalue(r, i, 2));
		if (res == OUTBOX_SENT)
			log_info("outbox", "message %s to %s sent%s", PQgetvalue(r, i, 0), to,
				 mail && !cfg->smtp_url[0] ? " (to the spool)" : "");
		else
			log_warn("outbox", "message %s to %s: %s: %s", PQgetvalue(r, i, 0), to,
				 outcome_name(res), detail ? detail : "");
		free(to);
		metrics_count(res == OUTBOX_SENT ? MC_OUTBOX_SENT :
			      res == OUTBOX_DEFERRED ? MC_OUTBOX_DEFERRED : MC_OUTBOX_FAILED);
		outbox_record(conn, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), nowbuf, instance, res,
			      detail ? detail : "");
		free(detail);
	}
	free(password);
	PQclear(r);
	return n;
}

/* The newest messages for people to read. */
PGresult *outbox_list(PGconn *conn, bool stopped_only, char **err)
{
	char max[16];
	snprintf(max, sizeof max, "%d", OUTBOX_LIST_MAX);
	const char *p[] = { stopped_only ? "t" : "f", max };
	return db_run(conn, "outbox list",
		"SELECT id, state, attempts, "
		"  to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), "
		"  to_char(CASE WHEN state IN ('queued', 'deferred', 'unknown') "
		"    THEN next_attempt_at END, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), "
		"  " OUTBOX_RECIPIENT_SHOWN("outbox") ", subject, coalesce(last_error, ''), "
		"  dedup_key, channel "
		"FROM outbox WHERE NOT $1::boolean OR state IN ('failed', 'expired', 'unknown') "
		"ORDER BY id DESC LIMIT $2::int", 2, p, err);
}

/* Messages that failed for good lately, waiting for a person. */
long long outbox_failed_count(PGconn *conn, long long now, char **err)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", now);
	const char *p[] = { nowbuf };
	PGresult *r = db_run(conn, "outbox", "SELECT count(*) FROM outbox WHERE state IN "
			     "('failed', 'expired') AND failed_at > to_timestamp($1::bigint) - "
			     "interval '7 days'", 1, p, err);
	if (r == NULL)
		return -1;
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* Deliveries of final reports escalated and still not sent (for /readyz). */
long long outbox_deliveries_stuck(PGconn *conn, char **err)
{
	PGresult *r = db_run(conn, "outbox", "SELECT count(*) FROM outbox WHERE kind = '"
			     OUTBOX_KIND_FINAL_DELIVERY "' AND escalated_at IS NOT NULL "
			     "AND state <> 'sent' AND channel <> 'webhook'", 0, NULL, err);
	if (r == NULL)
		return -1;
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

struct retry {
	long long id;
	time_t now;
	bool stopped_only;
	const struct audit_who *who;
	int done;
};

/* The body of outbox_retry. */
static int retry_tx(PGconn *conn, void *arg, char **err)
{
	struct retry *rt = arg;
	char id[24], now[24];
	snprintf(id, sizeof id, "%lld", rt->id);
	snprintf(now, sizeof now, "%lld", (long long)rt->now);
	const char *p[] = { id, now, rt->stopped_only ? "t" : "f" };
	PGresult *r = db_run(conn, "outbox retry",
		"UPDATE outbox SET state = 'queued', next_attempt_at = to_timestamp($2::bigint), "
		"  expires_at = NULL, failed_at = NULL, locked_by = NULL, lease_until = NULL, "
		"  escalated_at = NULL "
		"WHERE id = $1::bigint AND state <> 'sending' AND (NOT $3::boolean OR "
		"  state IN ('failed', 'expired', 'unknown')) RETURNING state", 3, p, err);
	if (r == NULL)
		return -1;
	rt->done = PQntuples(r);
	PQclear(r);
	if (rt->done == 0)
		return 0;
	return audit_write_by(conn, rt->who, "retry", "outbox", id, "{}", err);
}

/* Queues a message again. */
int outbox_retry(PGconn *conn, long long id, time_t now, bool stopped_only,
		 const struct audit_who *who, char **err)
{
	struct retry rt = { id, now, stopped_only, who, 0 };
	return db_tx(conn, retry_tx, &rt, err) == 0 ? rt.done : -1;
}
