/* The one way into the outbox: a message's kind and key parts, its key's text made here only,
 * and the rows inserted in one statement however many messages there are. */
#include "outbox_queue.h"
#include "db.h"
#include "json.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

/* A kind's name in outbox.kind. */
static const char *const kind_names[] = {
	[OUTBOX_RECEIPT] = OUTBOX_KIND_RECEIPT,
	[OUTBOX_REMINDER] = OUTBOX_KIND_REMINDER,
	[OUTBOX_REMINDER_DIGEST] = OUTBOX_KIND_REMINDER_DIGEST,
	[OUTBOX_DRAFT_NOTICE] = OUTBOX_KIND_DRAFT_NOTICE,
	[OUTBOX_FINAL_DELIVERY] = OUTBOX_KIND_FINAL_DELIVERY,
	[OUTBOX_ESCALATION] = OUTBOX_KIND_ESCALATION,
	[OUTBOX_REVIEW_RETURN] = OUTBOX_KIND_REVIEW_RETURN,
	[OUTBOX_ACK_OVERDUE] = OUTBOX_KIND_ACK_OVERDUE,
};

/* A channel's name in outbox.channel. */
static const char *const channel_names[] = {
	[OUTBOX_MAIL] = "mail",
	[OUTBOX_FOLDER] = "folder",
	[OUTBOX_HTTP] = "http",
};

/* Whether the kind is about a period of a series (and has those parts). */
static bool kind_has_period(enum outbox_kind kind)
{
	return kind != OUTBOX_RECEIPT && kind != OUTBOX_ESCALATION;
}

/* The round of a reminder or digest as its key names it (new string). */
static char *round_text(const struct outbox_key *k)
{
	if (k->asked_at != 0)
		return xasprintf("manual:%lld", (long long)k->asked_at);
	return xstrdup(k->round);
}

/* Makes the key's text. */
char *outbox_key_text(const struct outbox_key *k)
{
	char *round, *key;
	switch (k->kind) {
	case OUTBOX_RECEIPT:
		return xasprintf("receipt:%lld", k->submission);
	case OUTBOX_REMINDER:
		round = round_text(k);
		key = xasprintf("reminder:%s:%s:%s:%s:%s", k->series, k->period, round, k->unit,
				k->address);
		free(round);
		return key;
	case OUTBOX_REMINDER_DIGEST:
		round = round_text(k);
		key = xasprintf("reminder-digest:%s:%s:%s:%s", k->series, k->period, round,
				k->login);
		free(round);
		return key;
	case OUTBOX_DRAFT_NOTICE:
		return xasprintf("cutoff:%s:%s:%s", k->series, k->period, k->login);
	case OUTBOX_FINAL_DELIVERY:
		if (k->channel == OUTBOX_MAIL)
			return xasprintf("final:%s:%s:v%d:mail:%s", k->series, k->period,
					 k->version, k->address);
		return xasprintf("final:%s:%s:v%d:%s", k->series, k->period, k->version,
				 channel_names[k->channel]);
	case OUTBOX_ESCALATION:
		return xasprintf("escalation:%lld:%s", k->stuck_row, k->login);
	case OUTBOX_REVIEW_RETURN:
		return xasprintf("returned:%s:%s:%s:%lld:%s", k->series, k->period, k->unit,
				 k->submission, k->address);
	case OUTBOX_ACK_OVERDUE:
		return xasprintf("ack-overdue:%s:%s:v%d:%s", k->series, k->period, k->version,
				 k->login);
	}
	return xstrdup("");
}

/* Writes one message as an object of the statement's JSON array. */
static void message_json(struct json *j, const struct outbox_message *m)
{
	const struct outbox_key *k = &m->key;
	char *key = outbox_key_text(k);
	json_object_begin(j);
	json_kv_string(j, "dedup_key", key);
	json_kv_string(j, "kind", kind_names[k->kind]);
	json_key(j, "series");
	if (kind_has_period(k->kind))
		json_string(j, k->series);
	else
		json_null(j);
	json_key(j, "period");
	if (kind_has_period(k->kind))
		json_string(j, k->period);
	else
		json_null(j);
	json_key(j, "version");
	if (k->kind == OUTBOX_FINAL_DELIVERY)
		json_int(j, k->version);
	else
		json_null(j);
	json_key(j, "unit");
	if ((k->kind == OUTBOX_REMINDER || k->kind == OUTBOX_REVIEW_RETURN) && k->unit != NULL)
		json_string(j, k->unit);
	else
		json_null(j);
	json_kv_bool(j, "manual", (k->kind == OUTBOX_REMINDER ||
				   k->kind == OUTBOX_REMINDER_DIGEST) && k->asked_at != 0);
	json_kv_string(j, "channel", channel_names[k->kind == OUTBOX_FINAL_DELIVERY ?
						     k->channel : OUTBOX_MAIL]);
	json_key(j, "recipient");
	if (m->to != NULL)
		json_string(j, m->to);
	else
		json_null(j);
	json_key(j, "to_account");
	if (m->to == NULL)
		json_int(j, m->to_account);
	else
		json_null(j);
	json_kv_string(j, "subject", m->subject ? m->subject : "");
	json_kv_string(j, "body", m->body ? m->body : "");
	json_key(j, "attachment_id");
	if (m->attachment != 0)
		json_int(j, m->attachment);
	else
		json_null(j);
	json_kv_int(j, "queued_at", (long long)m->queued_at);
	json_key(j, "expires_at");
	if (m->expires_at != 0)
		json_int(j, (long long)m->expires_at);
	else
		json_null(j);
	json_object_end(j);
	free(key);
}

/* Inserts the messages not queued yet, as one statement. */
int outbox_queue(PGconn *conn, const struct outbox_message *m, size_t n, int *queued,
		 char **err)
{
	if (n == 0)
		return 0;
	struct strbuf rows = STRBUF_INIT;
	struct json j;
	json_init(&j, &rows);
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++)
		message_json(&j, &m[i]);
	json_array_end(&j);
	const char *p[] = { rows.data };
	PGresult *r = db_run(conn, "outbox",
		"INSERT INTO outbox (dedup_key, kind, series, period, version, unit, manual, "
		"  channel, recipient, subject, body, attachment_id, created_at, next_attempt_at, "
		"  expires_at) "
		"SELECT x.dedup_key, x.kind, x.series, x.period, x.version, x.unit, x.manual, "
		"  x.channel, "
		"  coalesce(x.recipient, a.email), x.subject, x.body, x.attachment_id, "
		"  to_timestamp(x.queued_at), to_timestamp(x.queued_at), to_timestamp(x.expires_at) "
		"FROM jsonb_to_recordset($1::jsonb) AS x(dedup_key text, kind text, series text, "
		"  period text, version integer, unit text, manual boolean, channel text, "
		"  recipient text, "
		"  to_account bigint, subject text, body text, attachment_id bigint, "
		"  queued_at bigint, expires_at bigint) "
		"LEFT JOIN account a ON a.id = x.to_account "
		"WHERE x.recipient IS NOT NULL OR a.id IS NOT NULL "
		"ON CONFLICT (dedup_key) DO NOTHING", 1, p, err);
	strbuf_free(&rows);
	if (r == NULL)
		return -1;
	if (queued != NULL)
		*queued += atoi(PQcmdTuples(r));
	PQclear(r);
	return 0;
}
