/* A unit's timeline in a period: the period opened, the reminders and whether they arrived,
 * the versions, the documents and their signatures, the returns and the acceptance, the
 * cut-off, the final versions and their acknowledgement, as one UNION ALL of small selects
 * (one round trip). It reads the tables of the layers below (outbox, submissions, documents)
 * and the consolidations, so it lives here, the lowest layer that owns all of them. */
#include "timeline.h"
#include "db.h"
#include "documents.h"
#include "outbox.h"
#include "outbox_queue.h"

#include <stdio.h>

/* A time as RFC 3339 in the session's zone ("2026-12-10T15:00:00+07:00"). */
#define TS(x) "to_char(" x ", 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"
/* Who did it: an account's display name, else its login (NULL without an account). */
#define WHO(a) "coalesce(nullif(" a ".display_name, ''), " a ".login)"

/* The period opened: when its roster was fixed (the "open" job), else from its first day. */
#define OPENED_SQL \
	"SELECT o.at, 0 AS rank, 0::bigint AS n, json_build_object('at', " TS("o.at") ", " \
	"  'kind', 'opened', 'deadline', " TS("p.unit_deadline") ", " \
	"  'consolidation_deadline', " TS("p.consolidation_deadline") ") AS ev " \
	"FROM p, u, LATERAL (SELECT coalesce(p.roster_at, p.starts_on::timestamp " \
	"  AT TIME ZONE current_setting('TimeZone')) AS at) o " \
	"WHERE p.state <> 'skipped' AND o.at <= to_timestamp($6::bigint) "

/* Where a message of the unit went, as the timeline shows it ($7: whether the caller sees
 * addresses): an address (a URL without its credentials); a webhook as "webhook" only, its
 * URL often being its secret; nothing to a caller who does not see addresses. */
#define SHOWN_TO(r) \
	"CASE WHEN NOT $7::boolean THEN NULL WHEN " r ".channel = 'webhook' THEN 'webhook' " \
	"ELSE " OUTBOX_RECIPIENT_SHOWN(r) " END"

/* Each reminder round to the unit (its rows queued together), with every address and
 * whether the message arrived there; late: after the units' deadline (the late notice);
 * extended: a round of the unit's extension (kind extension, but not the notice of the
 * grant or of its taking back, which the extension's own event stands for). */
#define REMINDER_SQL \
	"SELECT r.created_at, 1, 0, json_build_object('at', " TS("r.created_at") ", " \
	"  'kind', 'reminder', 'manual', r.manual, 'late', CASE WHEN r.kind = '" \
	OUTBOX_KIND_EXTENSION "' THEN bool_or(r.dedup_key ~ '^extension:[^:]*:[^:]*:[^:]*:late:') " \
	"    ELSE r.created_at > p.unit_deadline END, " \
	"  'extended', r.kind = '" OUTBOX_KIND_EXTENSION "', " \
	"  'state', CASE WHEN bool_and(r.state = 'sent') THEN 'sent' " \
	"    WHEN bool_or(r.state IN ('failed', 'expired')) THEN 'failed' ELSE 'pending' END, " \
	"  'addresses', json_agg(json_build_object('address', " SHOWN_TO("r") ", " \
	"    'channel', r.channel, 'state', r.state, " \
	"    'delivered', r.state = 'sent', 'sent_at', " TS("r.sent_at") ") ORDER BY r.id)) " \
	"FROM outbox r, p, u WHERE (r.kind = '" OUTBOX_KIND_REMINDER "' " \
	"    OR (r.kind = '" OUTBOX_KIND_EXTENSION "' " \
	"      AND r.dedup_key !~ '^extension:[^:]*:[^:]*:[^:]*:(grant|revoke):')) " \
	"  AND r.series = $3 AND r.period = $4 AND r.unit = u.code " \
	"GROUP BY r.created_at, r.kind, r.manual, p.unit_deadline "

/* Each version sent: channel, by whom (for the unit or a coordinator on its behalf), on
 * time or late, in force or superseded. */
#define SUBMISSION_SQL \
	"SELECT x.received_at, 2, x.version, json_build_object('at', " TS("x.received_at") ", " \
	"  'kind', 'submission', 'version', x.version, 'channel', x.channel, " \
	"  'by', " WHO("a") ", 'on_behalf', x.on_behalf, 'on_time', x.on_time, " \
	"  'in_force', NOT x.superseded) " \
	"FROM submission x JOIN u ON u.id = x.unit_id LEFT JOIN account a ON a.id = x.account_id " \
	"WHERE x.period_id = $1::bigint "

/* Each document uploaded: the version it first went with, its signatures' state and line. */
#define DOCUMENT_SQL \
	"SELECT d.uploaded_at, 3, d.id, json_build_object('at', " TS("d.uploaded_at") ", " \
	"  'kind', 'document', 'version', (SELECT min(y.version) FROM submission y " \
	"    WHERE y.document_id = d.id), 'state', " DOCUMENT_STATE_SQL("d") ", " \
	"  'signature', " DOCUMENT_LINE_SQL("d") ", 'size', d.size, 'on_time', d.on_time, " \
	"  'by', " WHO("a") ", 'on_behalf', d.on_behalf) " \
	"FROM submission_document d JOIN u ON u.id = d.unit_id " \
	"LEFT JOIN account a ON a.id = d.uploaded_by WHERE d.period_id = $1::bigint "

/* The review of each version (the last one given): returned with its comment and the mails
 * that told the unit (queued with it), or accepted. */
#define REVIEW_SQL \
	"SELECT x.reviewed_at, 4, x.version, json_build_object('at', " TS("x.reviewed_at") ", " \
	"  'kind', x.review, 'version', x.version, 'comment', x.review_comment, " \
	"  'by', " WHO("a") ", 'addresses', CASE WHEN x.review = 'returned' THEN " \
	"    (SELECT coalesce(json_agg(json_build_object('address', " SHOWN_TO("o") ", " \
	"      'channel', o.channel, 'state', o.state, 'delivered', o.state = 'sent') " \
	"      ORDER BY o.id), '[]') " \
	"     FROM outbox o WHERE o.kind = '" OUTBOX_KIND_REVIEW_RETURN "' AND o.series = $3 " \
	"       AND o.period = $4 AND o.unit = u.code AND o.created_at = x.reviewed_at) END) " \
	"FROM submission x JOIN u ON u.id = x.unit_id " \
	"LEFT JOIN account a ON a.id = x.reviewed_by " \
	"WHERE x.period_id = $1::bigint AND x.review IS NOT NULL "

/* Each extension granted (or granted again) and taken back, from the audit log, which keeps
 * them all (the table keeps only the one in force): until when, why, by whom; when, by the
 * daemon's clock the entry's detail keeps ("at"), else the entry's own. */
#define EXTENSION_AT "coalesce((l.detail->>'at')::timestamptz, l.at)"
#define EXTENSION_SQL \
	"UNION ALL SELECT " EXTENSION_AT ", 5, l.id, json_build_object('at', " \
	TS(EXTENSION_AT) ", " \
	"  'kind', CASE l.action WHEN 'extension_grant' THEN 'extension' " \
	"    ELSE 'extension_revoked' END, 'until', l.detail->>'until', " \
	"  'reason', l.detail->>'reason', 'by', coalesce(" WHO("a") ", l.actor)) " \
	"FROM audit_log l JOIN u ON l.object_id = $1::bigint::text || ':' || u.code " \
	"LEFT JOIN account a ON a.id = l.account_id " \
	"WHERE l.object_type = 'extension' " \
	"  AND l.action IN ('extension_grant', 'extension_revoke') "

/* The unit's entry in a consolidation of the period (c, kind k): its state there and the
 * version that went in. */
#define ENTRY_FROM(k) \
	"FROM consolidation c JOIN consolidation_entry ce ON ce.consolidation_id = c.id " \
	"JOIN u ON u.id = ce.unit_id LEFT JOIN submission y ON y.id = ce.submission_id " \
	"WHERE c.period_id = $1::bigint AND c.kind = '" k "' "

/* Which version entered the cut-off snapshot (state on_time, late, returned or missing). */
#define CUTOFF_SQL \
	"SELECT c.built_at, 6, c.version, json_build_object('at', " TS("c.built_at") ", " \
	"  'kind', 'cutoff', 'state', ce.state, 'version', y.version) " ENTRY_FROM("cutoff")

/* Each final consolidated version with the unit: its number, the unit's version in it. */
#define FINAL_SQL \
	"SELECT c.built_at, 7, c.version, json_build_object('at', " TS("c.built_at") ", " \
	"  'kind', 'final', 'number', c.version, 'state', ce.state, 'version', y.version, " \
	"  'automatic', c.automatic, 'on_time', c.on_time) " ENTRY_FROM("final")

/* The recipient's acknowledgement of those final versions. */
#define ACK_SQL \
	"SELECT c.acknowledged_at, 8, c.version, json_build_object('at', " \
	TS("c.acknowledged_at") ", 'kind', 'acknowledged', 'number', c.version, " \
	"  'by', " WHO("k") ", 'unit', ku.code, 'unit_name', ku.name) " \
	"FROM consolidation c JOIN consolidation_entry ce ON ce.consolidation_id = c.id " \
	"JOIN u ON u.id = ce.unit_id LEFT JOIN account k ON k.id = c.acknowledged_by " \
	"LEFT JOIN unit ku ON ku.id = k.unit_id " \
	"WHERE c.period_id = $1::bigint AND c.kind = 'final' AND c.acknowledged_at IS NOT NULL "

/* The whole timeline: the branches, ordered by time then by the order things happen in
 * (rank), cut at limit; the unit's name and whether it must report in the period. */
static const char TIMELINE_SQL[] =
	"WITH p AS (SELECT * FROM period WHERE id = $1::bigint), "
	"u AS (SELECT id, code, name FROM unit WHERE code = $2), "
	"ev (at, rank, n, ev) AS ("
	OPENED_SQL "UNION ALL " REMINDER_SQL "UNION ALL " SUBMISSION_SQL "UNION ALL "
	DOCUMENT_SQL "UNION ALL " REVIEW_SQL EXTENSION_SQL "UNION ALL " CUTOFF_SQL "UNION ALL "
	FINAL_SQL "UNION ALL " ACK_SQL "), "
	"e AS (SELECT ev.*, row_number() OVER (ORDER BY at, rank, n) AS i FROM ev "
	"  ORDER BY at, rank, n LIMIT $5::int + 1) "
	"SELECT coalesce((SELECT json_agg(e.ev ORDER BY e.i) FROM e WHERE e.i <= $5::int), "
	"    '[]'), "
	"  (SELECT count(*) FROM e) > $5::int, (SELECT name FROM u), "
	"  EXISTS (SELECT 1 FROM u, period_units($1::bigint) m WHERE m.unit_id = u.id)";

/* The unit's events in the period, oldest first. */
PGresult *timeline_unit(PGconn *conn, const struct timeline_query *q, char **err)
{
	char period[24], limit[16], now[24];
	snprintf(period, sizeof period, "%lld", q->period_id);
	snprintf(limit, sizeof limit, "%d", q->limit);
	snprintf(now, sizeof now, "%lld", (long long)q->now);
	const char *p[] = { period, q->unit, q->series, q->period, limit, now,
			    q->addresses ? "true" : "false" };
	return db_run(conn, "timeline", TIMELINE_SQL, 7, p, err);
}
