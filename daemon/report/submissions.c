/* The units' reports as they are read back: the one in force, its items, its versions and
 * file, the board of a period, timeliness over periods, the review of the one in force. */
#include "submissions.h"
#include "db.h"
#include "documents.h"
#include "extensions.h"
#include "unit_groups.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

/* The unit's report in force for a period, with its receipt. */
PGresult *submissions_current(PGconn *conn, long long period_id, const char *unit, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, unit };
	return db_run(conn, "submission query",
		"SELECT s.id, s.version, extract(epoch FROM s.received_at)::bigint, "
		"  encode(s.sha256, 'hex'), s.on_time, "
		"  (SELECT count(*) FROM report_item i WHERE i.submission_id = s.id), "
		"  s.receipt_signature, s.channel, s.general_difficulties, s.general_proposals, "
		"  s.on_behalf, s.review, s.review_comment, "
		"  to_char(s.reviewed_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
		"  extract(epoch FROM s.extended_until)::bigint "
		"FROM submission s JOIN unit u ON u.id = s.unit_id "
		"WHERE s.period_id = $1 AND u.code = $2 AND NOT s.superseded", 2, p, err);
}

/* A report's items. */
PGresult *submissions_items(PGconn *conn, long long submission_id, char **err)
{
	char sub[24];
	snprintf(sub, sizeof sub, "%lld", submission_id);
	const char *p[] = { sub };
	return db_run(conn, "submission query",
		"SELECT t.code, t.title, i.status, i.progress, to_char(i.completed_on, 'YYYY-MM-DD'), "
		"  i.result, i.difficulties, i.proposals, i.note "
		"FROM report_item i JOIN task t ON t.id = i.task_id WHERE i.submission_id = $1 "
		"ORDER BY t.ordinal, t.code", 1, p, err);
}

/* Every version a unit sent for a period. */
PGresult *submissions_list(PGconn *conn, long long period_id, const char *unit, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, unit };
	return db_run(conn, "submission query",
		"SELECT s.id, s.version, extract(epoch FROM s.received_at)::bigint, "
		"  encode(s.sha256, 'hex'), s.on_time, s.superseded, s.channel, "
		"  (SELECT count(*) FROM report_item i WHERE i.submission_id = s.id), a.login, "
		"  s.on_behalf, s.file IS NOT NULL, s.document_id IS NOT NULL "
		"FROM submission s JOIN unit u ON u.id = s.unit_id "
		"LEFT JOIN account a ON a.id = s.account_id "
		"WHERE s.period_id = $1 AND u.code = $2 ORDER BY s.version", 2, p, err);
}

/* The file of a unit's report, as uploaded. */
PGresult *submissions_file(PGconn *conn, long long period_id, const char *unit,
			   const char *version, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, unit, version };
	PGresult *r = db_query_binary(conn,
		"SELECT s.file, s.version, s.file_removed_at IS NOT NULL, s.superseded "
		"FROM submission s JOIN unit u ON u.id = s.unit_id "
		"WHERE s.period_id = $1 AND u.code = $2 AND "
		"  CASE WHEN $3::text IS NULL THEN NOT s.superseded "
		"       ELSE s.version::text = $3::text END", 3, p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("submission query: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The items carried forward from the unit's latest earlier report. */
PGresult *submissions_carried(PGconn *conn, const char *series, long long unit_id,
			      const char *starts, char **err)
{
	char unit[24];
	snprintf(unit, sizeof unit, "%lld", unit_id);
	const char *p[] = { series, unit, starts };
	return db_run(conn, "carried items",
		"SELECT p.period_key, i.task_id, i.status, i.progress, "
		"  to_char(i.completed_on, 'YYYY-MM-DD') "
		"FROM report_item i JOIN submission b ON b.id = i.submission_id "
		"JOIN period p ON p.id = b.period_id "
		"WHERE b.id = (SELECT b2.id FROM submission b2 JOIN period p2 ON p2.id = b2.period_id "
		"  JOIN series s ON s.id = p2.series_id "
		"  WHERE s.name = $1 AND b2.unit_id = $2 AND NOT b2.superseded "
		"    AND p2.starts_on < $3::date "
		"  ORDER BY p2.starts_on DESC, b2.version DESC LIMIT 1)", 3, p, err);
}

/* Every unit of a period's roster with its report in force. */
PGresult *submissions_board(PGconn *conn, long long period_id, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period };
	return db_run(conn, "status",
		"SELECT u.code, u.name, u.unit_group, "
		"  CASE WHEN x.id IS NULL THEN 'missing' WHEN x.review = 'returned' THEN 'returned' "
		"    WHEN s.require_document AND d.id IS NULL THEN 'no_document' "
		"    WHEN x.on_time AND (NOT s.require_document OR d.on_time) THEN 'on_time' "
		"    ELSE 'late' END, "
		"  to_char(x.received_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), x.version, "
		"  (SELECT count(*) FROM report_item i WHERE i.submission_id = x.id), x.review, "
		"  x.review_comment, x.on_time, "
		"  " DOCUMENT_STATE_SQL("d") ", "
		"  s.require_document, extract(epoch FROM x.extended_until)::bigint, "
		"  " EXTENSION_COLS("e", "ea") " "
		"FROM period_units($1::bigint) pu JOIN unit u ON u.id = pu.unit_id "
		"JOIN period p ON p.id = $1::bigint JOIN series s ON s.id = p.series_id "
		"LEFT JOIN submission x ON x.period_id = $1::bigint AND x.unit_id = u.id "
		"  AND NOT x.superseded "
		"LEFT JOIN submission_document d ON d.id = x.document_id "
		"LEFT JOIN extension e ON e.period_id = $1::bigint AND e.unit_id = u.id "
		"LEFT JOIN account ea ON ea.id = e.granted_by "
		"ORDER BY " UNIT_ORDER_BY("u"),
		1, p, err);
}

/* The periods of the timeliness table. */
PGresult *submissions_timeliness_periods(PGconn *conn, const char *series, time_t now,
					 int limit, char **err)
{
	char nowbuf[24], max[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, nowbuf, max };
	return db_run(conn, "timeliness",
		"SELECT x.period_key, to_char(x.starts_on, 'YYYY-MM-DD'), "
		"  to_char(x.ends_on, 'YYYY-MM-DD') FROM (SELECT p.period_key, p.starts_on, p.ends_on "
		"  FROM period p JOIN series s ON s.id = p.series_id WHERE s.name = $1 "
		"  AND p.state <> 'skipped' AND p.unit_deadline < to_timestamp($2::bigint) "
		"  ORDER BY p.starts_on DESC LIMIT $3::int) x ORDER BY x.starts_on", 3, p, err);
}

/* Each unit's punctuality in each period of the timeliness table. */
PGresult *submissions_timeliness(PGconn *conn, const char *series, time_t now, int limit,
				 char **err)
{
	char nowbuf[24], max[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, nowbuf, max };
	return db_run(conn, "timeliness",
		"WITH ps AS (SELECT p.id, p.period_key, p.starts_on FROM period p "
		"  JOIN series s ON s.id = p.series_id WHERE s.name = $1 AND p.state <> 'skipped' "
		"  AND p.unit_deadline < to_timestamp($2::bigint) ORDER BY p.starts_on DESC "
		"  LIMIT $3::int) "
		"SELECT u.code, u.name, u.unit_group, ps.period_key, "
		"  CASE WHEN count(x.id) = 0 THEN 'missing' "
		"    WHEN bool_or(x.on_time AND (NOT s.require_document OR d.on_time)) "
		"    THEN 'on_time' ELSE 'late' END, "
		"  coalesce(bool_or(x.on_time AND x.extended_until IS NOT NULL "
		"    AND (NOT s.require_document OR d.on_time)) AND NOT bool_or(x.on_time "
		"    AND x.extended_until IS NULL AND (NOT s.require_document OR d.on_time)), false) "
		"FROM ps CROSS JOIN LATERAL period_units(ps.id) pu JOIN unit u ON u.id = pu.unit_id "
		"JOIN series s ON s.name = $1 "
		"LEFT JOIN submission x ON x.period_id = ps.id AND x.unit_id = u.id "
		"LEFT JOIN submission_document d ON d.id = x.document_id "
		"GROUP BY u.id, u.code, u.name, u.unit_group, ps.period_key, ps.starts_on "
		"ORDER BY " UNIT_ORDER_BY("u") ", ps.starts_on", 3, p, err);
}

/* The version of the unit's report in force and when it came. */
PGresult *submissions_in_force(PGconn *conn, long long period_id, const char *unit,
			       char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period, unit };
	return db_run(conn, "review",
		"SELECT x.version, to_char(x.received_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
		"  extract(epoch FROM x.received_at)::bigint "
		"FROM submission x JOIN unit u ON u.id = x.unit_id "
		"WHERE x.period_id = $1::bigint AND u.code = $2 AND NOT x.superseded", 2, p, err);
}

/* Records a coordinator's verdict on the version judged, if still in force. */
PGresult *submissions_review(PGconn *conn, const struct submission_review *rv, char **err)
{
	char period[24], who[24], at[24], version[16];
	snprintf(period, sizeof period, "%lld", rv->period_id);
	snprintf(who, sizeof who, "%lld", rv->account_id);
	snprintf(at, sizeof at, "%lld", (long long)rv->at);
	snprintf(version, sizeof version, "%d", rv->version);
	const char *p[] = { period, rv->unit, rv->returned ? "returned" : "accepted",
			    rv->returned ? rv->comment : NULL, who, at, version };
	return db_run(conn, "review",
		"UPDATE submission x SET review = $3, review_comment = $4, reviewed_by = $5::bigint, "
		"  reviewed_at = to_timestamp($6::bigint) FROM unit u "
		"WHERE x.period_id = $1::bigint AND x.unit_id = u.id AND u.code = $2 "
		"  AND NOT x.superseded AND x.version = $7::int RETURNING x.id, x.version, u.name",
		7, p, err);
}
