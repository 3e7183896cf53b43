/* The consolidated versions as people read them: a period's final versions with their
 * deliveries, a series' delivered reports, and the coordinators' assessments. */
#include "consol_versions.h"
#include "db.h"
#include "outbox.h"
#include "outbox_queue.h"

#include <stdio.h>
#include <stdlib.h>

/* Who acknowledged a final version c and when (consol_ack.c), after its deliveries. */
#define ACKNOWLEDGED \
	"to_char(c.acknowledged_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), " \
	"coalesce(nullif(k.display_name, ''), k.login), ku.name "
#define ACKNOWLEDGED_JOIN \
	"LEFT JOIN account k ON k.id = c.acknowledged_by LEFT JOIN unit ku ON ku.id = k.unit_id "

/* The final versions with every delivery: channel, address or folder, the URL without its
 * credentials, state, time and last error (the consolidators'). */
static const char VERSIONS_FULL_SQL[] =
	"SELECT c.version, to_char(c.built_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
	"  encode(c.sha256, 'hex'), c.automatic, coalesce(nullif(a.display_name, ''), a.login), "
	"  to_char(c.approved_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
	"  coalesce((SELECT json_agg(json_build_object('channel', o.channel, "
	"    'recipient', " OUTBOX_RECIPIENT_SHOWN("o") ", 'state', o.state, "
	"    'sent_at', o.sent_at, "
	"    'last_error', o.last_error) ORDER BY o.id) FROM outbox o "
	"    WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.series = $2 "
	"      AND o.period = $3 AND o.version = c.version), "
	"    '[]'), " ACKNOWLEDGED
	"FROM consolidation c LEFT JOIN account a ON a.id = c.approved_by " ACKNOWLEDGED_JOIN
	"WHERE c.period_id = $1::bigint AND c.kind = 'final' ORDER BY c.version";

/* The final versions with only one unit's own deliveries: the mails to its addresses, each
 * delivered or not and when; no folder, URL, other address or error. */
static const char VERSIONS_OWN_SQL[] =
	"WITH own AS (SELECT lower(regexp_replace(e, '^head:', '')) AS email "
	"  FROM unit u, unnest(u.emails) e WHERE u.id = $4::bigint "
	"  UNION SELECT lower(a.email) FROM account a WHERE a.unit_id = $4::bigint) "
	"SELECT c.version, to_char(c.built_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
	"  encode(c.sha256, 'hex'), c.automatic, coalesce(nullif(a.display_name, ''), a.login), "
	"  to_char(c.approved_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), "
	"  coalesce((SELECT json_agg(json_build_object('channel', o.channel, "
	"    'recipient', o.recipient, 'delivered', o.state = 'sent', "
	"    'sent_at', o.sent_at) ORDER BY o.id) FROM outbox o "
	"    WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.series = $2 "
	"      AND o.period = $3 AND o.version = c.version "
	"      AND o.channel = 'mail' AND o.recipient IN (SELECT email FROM own)), "
	"    '[]'), " ACKNOWLEDGED
	"FROM consolidation c LEFT JOIN account a ON a.id = c.approved_by " ACKNOWLEDGED_JOIN
	"WHERE c.period_id = $1::bigint AND c.kind = 'final' ORDER BY c.version";

/* A period's final versions with their deliveries, every one or one unit's. */
PGresult *consol_versions(PGconn *conn, long long period_id, const char *series,
			  const char *period_key, long long unit_id, char **err)
{
	char period[24], unit[24];
	snprintf(period, sizeof period, "%lld", period_id);
	snprintf(unit, sizeof unit, "%lld", unit_id);
	const char *p[] = { period, series, period_key, unit };
	bool every = unit_id == 0;
	return db_run(conn, "consolidated", every ? VERSIONS_FULL_SQL : VERSIONS_OWN_SQL,
		      every ? 3 : 4, p, err);
}

/* The delivered reports of a series' last periods. */
PGresult *consol_deliveries(PGconn *conn, const char *series, int limit, char **err)
{
	char max[16];
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, max };
	return db_run(conn, "deliveries",
		"WITH ps AS (SELECT p.id, p.period_key, p.starts_on, p.ends_on FROM period p "
		"  JOIN series s ON s.id = p.series_id WHERE s.name = $1 AND EXISTS (SELECT 1 "
		"  FROM consolidation c WHERE c.period_id = p.id AND c.kind = 'final') "
		"  ORDER BY p.starts_on DESC LIMIT $2::int) "
		"SELECT ps.period_key, to_char(ps.starts_on, 'YYYY-MM-DD'), "
		"  to_char(ps.ends_on, 'YYYY-MM-DD'), c.version, "
		"  to_char(coalesce(c.approved_at, c.built_at), 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), "
		"  c.automatic, encode(c.sha256, 'hex'), m.filename, " ACKNOWLEDGED
		"FROM ps JOIN consolidation c ON c.period_id = ps.id AND c.kind = 'final' "
		"JOIN mail_attachment m ON m.id = c.attachment_id " ACKNOWLEDGED_JOIN
		"ORDER BY ps.starts_on DESC, c.version DESC", 2, p, err);
}

/* Stores a coordinator's assessment. */
long long consol_assessment_add(PGconn *conn, long long period_id, const char *text,
				long long account_id, time_t at, char **err)
{
	char period[24], who[24], now[24];
	snprintf(period, sizeof period, "%lld", period_id);
	snprintf(who, sizeof who, "%lld", account_id);
	snprintf(now, sizeof now, "%lld", (long long)at);
	const char *p[] = { period, text, who, now };
	PGresult *r = db_run(conn, "assessment",
		"INSERT INTO assessment (period_id, body, account_id, written_at) "
		"VALUES ($1::bigint, $2, $3::bigint, to_timestamp($4::bigint)) RETURNING id", 4, p,
		err);
	if (r == NULL)
		return -1;
	long long id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

/* A period's assessments. */
PGresult *consol_assessments(PGconn *conn, long long period_id, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period };
	return db_run(conn, "assessment",
		"SELECT s.id, s.body, coalesce(a.login, ''), "
		"  to_char(s.written_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF') "
		"FROM assessment s LEFT JOIN account a ON a.id = s.account_id "
		"WHERE s.period_id = $1::bigint ORDER BY s.id DESC LIMIT 50", 1, p, err);
}
