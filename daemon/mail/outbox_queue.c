/* The one way into the outbox: a message's kind and key parts, its key's text made here only,
 * and the rows inserted in one statement however many messages there are. */
#include "outbox_queue.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "units.h"
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
	[OUTBOX_EXTENSION] = OUTBOX_KIND_EXTENSION,
};

/* A channel's name in outbox.channel. */
static const char *const channel_names[] = {
	[OUTBOX_MAIL] = "mail",
	[OUTBOX_FOLDER] = "folder",
	[OUTBOX_HTTP] = "http",
	[OUTBOX_WEBHOOK] = "webhook",
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
	case OUTBOX_EXTENSION:
		return xasprintf("extension:%s:%s:%s:%s:%lld:%s", k->series, k->period, k->unit,
				 k->round, (long long)k->asked_at, k->address);
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
	if ((k->kind == OUTBOX_REMINDER || k->kind == OUTBOX_REVIEW_RETURN ||
	     k->kind == OUTBOX_EXTENSION) && k->unit != NULL)
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

/* The payload's "event" of a notification to a unit: "reminder", "returned", "delivered";
 * a kind added later that names a unit (the extension notice) is its kind's name. NULL for a
 * message not to a unit (no unit in its key, or a kind without a period). */
static const char *webhook_event(const struct outbox_key *k)
{
	if (k->unit == NULL || k->unit[0] == '\0' || !kind_has_period(k->kind))
		return NULL;
	switch (k->kind) {
	case OUTBOX_REMINDER:
		return "reminder";
	case OUTBOX_REVIEW_RETURN:
		return "returned";
	case OUTBOX_FINAL_DELIVERY:
		return "delivered";
	default:
		return kind_names[k->kind];
	}
}

/* The key of the webhook item that goes with a unit's message: the message's key with its
 * address replaced by "webhook" (a final delivery: final:SERIES:PERIOD:vN:webhook:UNIT), the
 * same for every address of the unit, so the unit is told once (new string). */
static char *webhook_key(const struct outbox_key *k)
{
	if (k->kind == OUTBOX_FINAL_DELIVERY)
		return xasprintf("final:%s:%s:v%d:webhook:%s", k->series, k->period, k->version,
				 k->unit);
	struct outbox_key w = *k;
	w.address = "webhook";
	return outbox_key_text(&w);
}

/* The payload of a unit's webhook item, without its "id" (added when it is queued), in the
 * order docs/webhooks.md shows it: event, series, period, version (a delivery), unit, at
 * (queued_at, RFC 3339), text (the mail's subject), url (the page) (new string). */
static char *webhook_payload(const struct outbox_message *m, const char *event)
{
	const struct outbox_key *k = &m->key;
	const char *public_url = config_current()->public_url;
	char at[40];
	if (cal_format_rfc3339(m->queued_at, at, sizeof at) != 0)
		snprintf(at, sizeof at, "%lld", (long long)m->queued_at);
	/* The unit's own page of the period; a delivery: the recipient's page. */
	char *url = xasprintf("%s%s?series=%s&period=%s", public_url,
			      k->kind == OUTBOX_FINAL_DELIVERY ? "received.html" : "", k->series,
			      k->period);
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_kv_string(&j, "event", event);
	json_kv_string(&j, "series", k->series);
	json_kv_string(&j, "period", k->period);
	if (k->kind == OUTBOX_FINAL_DELIVERY)
		json_kv_int(&j, "version", k->version);
	json_kv_string(&j, "unit", k->unit);
	json_kv_string(&j, "at", at);
	json_kv_string(&j, "text", m->subject ? m->subject : "");
	json_kv_string(&j, "url", url);
	json_object_end(&j);
	free(url);
	return strbuf_detach(&sb);
}

/* Writes the webhook item of a unit's message as an object of the statement's JSON array;
 * false (nothing written) when the message has none. */
static bool webhook_json(struct json *j, const struct outbox_message *m)
{
	const struct outbox_key *k = &m->key;
	const char *event = webhook_event(k);
	if (event == NULL)
		return false;
	char *key = webhook_key(k);
	char *payload = webhook_payload(m, event);
	json_object_begin(j);
	json_kv_string(j, "dedup_key", key);
	json_kv_string(j, "kind", kind_names[k->kind]);
	json_kv_string(j, "series", k->series);
	json_kv_string(j, "period", k->period);
	json_key(j, "version");
	if (k->kind == OUTBOX_FINAL_DELIVERY)
		json_int(j, k->version);
	else
		json_null(j);
	json_kv_bool(j, "manual", k->kind == OUTBOX_REMINDER && k->asked_at != 0);
	json_kv_string(j, "unit", k->unit);
	json_kv_string(j, "subject", m->subject ? m->subject : "");
	json_kv_string(j, "body", payload);
	json_kv_int(j, "queued_at", (long long)m->queued_at);
	json_key(j, "expires_at");
	if (m->expires_at != 0)
		json_int(j, (long long)m->expires_at);
	else
		json_null(j);
	json_object_end(j);
	free(payload);
	free(key);
	return true;
}

/* Inserts the webhook items of the units' messages not queued yet, as one statement: each
 * unit with a webhook once, its payload's "id" first, the same as its Message-ID. */
static int queue_webhooks(PGconn *conn, const struct outbox_message *m, size_t n, char **err)
{
	struct strbuf rows = STRBUF_INIT;
	struct json j;
	json_init(&j, &rows);
	json_array_begin(&j);
	size_t items = 0;
	for (size_t i = 0; i < n; i++)
		if (webhook_json(&j, &m[i]))
			items++;
	json_array_end(&j);
	if (items == 0) {
		strbuf_free(&rows);
		return 0;
	}
	const char *p[] = { rows.data };
	PGresult *r = db_run(conn, "outbox",
		"INSERT INTO outbox (dedup_key, kind, series, period, version, manual, channel, "
		"  recipient, unit, subject, body, message_id, created_at, next_attempt_at, "
		"  expires_at) "
		"SELECT w.dedup_key, w.kind, w.series, w.period, w.version, w.manual, 'webhook', "
		"  w.webhook, w.unit, w.subject, '{\"id\":\"' || w.id || '\",' || substr(w.body, 2), "
		"  '<' || w.id || '@baocao>', to_timestamp(w.queued_at), to_timestamp(w.queued_at), "
		"  to_timestamp(w.expires_at) "
		"FROM (SELECT DISTINCT ON (x.dedup_key) x.*, u.webhook, gen_random_uuid()::text AS id "
		"  FROM jsonb_to_recordset($1::jsonb) AS x(dedup_key text, kind text, series text, "
		"    period text, version integer, manual boolean, unit text, subject text, "
		"    body text, queued_at bigint, expires_at bigint) "
		"  JOIN unit u ON u.code = x.unit AND u.webhook IS NOT NULL AND u.active "
		"  ORDER BY x.dedup_key) w "
		"ON CONFLICT (dedup_key) DO NOTHING", 1, p, err);
	strbuf_free(&rows);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Inserts the messages not queued yet, as one statement, then their webhook items. */
int outbox_queue(PGconn *conn, const struct outbox_message *m, size_t n, int *queued,
		 char **err)
{
	if (n == 0)
		return 0;
	struct strbuf rows = STRBUF_INIT;
	struct json j;
	json_init(&j, &rows);
	json_array_begin(&j);
	size_t mails = 0;
	for (size_t i = 0; i < n; i++) {
		if (m[i].webhook_only)
			continue;
		message_json(&j, &m[i]);
		mails++;
	}
	json_array_end(&j);
	if (mails == 0) {
		strbuf_free(&rows);
		return queue_webhooks(conn, m, n, err);
	}
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
	return queue_webhooks(conn, m, n, err);
}

/* Queues a unit's message to each of its addresses. */
int outbox_queue_to_unit(PGconn *conn, const struct outbox_message *m, int *queued, char **err)
{
	PGresult *r = units_report_addresses(conn, m->key.unit, err);
	if (r == NULL)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct outbox_message *each = xcalloc(n + 1, sizeof *each);
	for (size_t i = 0; i < n; i++) {
		each[i] = *m;
		each[i].key.address = PQgetvalue(r, (int)i, 0);
		each[i].to = PQgetvalue(r, (int)i, 0);
	}
	/* The unit's webhook is told even when it has no address (one item whatever their
	 * number: its key does not name an address). */
	each[n] = *m;
	each[n].key.address = "";
	each[n].to = "";
	each[n].webhook_only = true;
	int rc = outbox_queue(conn, each, n + 1, queued, err);
	free(each);
	PQclear(r);
	return rc;
}
