/* The recipients' acknowledgement of a delivered consolidated version ("Đã tiếp nhận"), the
 * mail to the coordinators when none came by the series' ack_by, and whether the consolidating
 * unit delivered its report by the consolidation deadline. */
#include "consol_ack.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "outbox.h"
#include "outbox_queue.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC3339(COL) "to_char(" COL ", 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"

/* Whether a final version was queued to the recipients (series $2, period $3). */
#define DELIVERED(C) \
	"EXISTS (SELECT 1 FROM outbox o WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' " \
	"AND o.series = $2 AND o.period = $3 AND o.version = " C ".version)"

void consol_ack_info_free(struct consol_ack_info *a)
{
	free(a->acknowledged_by);
	free(a->unit);
	memset(a, 0, sizeof *a);
}

struct ack_args {
	const struct period_info *pi;
	int version;
	const struct consol_acker *who;
	time_t now;
	struct consol_ack_info *out;
	enum consol_ack_result result;
};

/* Keeps the acknowledgement of row r (time, name, unit: columns from col) in *out. */
static void keep_info(struct consol_ack_info *out, PGresult *r, int col)
{
	snprintf(out->acknowledged_at, sizeof out->acknowledged_at, "%s",
		 PQgetvalue(r, 0, col));
	out->acknowledged_by = xstrdup(PQgetvalue(r, 0, col + 1));
	out->unit = xstrdup(PQgetvalue(r, 0, col + 2));
}

/* The newest version of the period queued to the recipients (0: none), or -1. */
static int newest_delivered(PGconn *conn, const struct period_info *pi, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", pi->db_id);
	const char *p[] = { period, pi->series->name, pi->id };
	PGresult *r = db_run(conn, "acknowledgement",
		"SELECT coalesce(max(c.version), 0) FROM consolidation c "
		"WHERE c.period_id = $1::bigint AND c.kind = 'final' AND " DELIVERED("c"), 3, p,
		err);
	if (r == NULL)
		return -1;
	int v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* The acknowledgement inside its transaction (the version's row locked). */
static int ack_tx(PGconn *conn, void *arg, char **err)
{
	struct ack_args *a = arg;
	const struct period_info *pi = a->pi;
	char period[24], version[16], now[24], who[24];
	snprintf(period, sizeof period, "%lld", pi->db_id);
	snprintf(version, sizeof version, "%d", a->version);
	snprintf(now, sizeof now, "%lld", (long long)a->now);
	snprintf(who, sizeof who, "%lld", a->who->account_id);
	const char *p[] = { period, pi->series->name, pi->id, version };
	PGresult *r = db_run(conn, "acknowledgement",
		"SELECT c.id, c.acknowledged_at IS NOT NULL, " RFC3339("c.acknowledged_at") ", "
		"  coalesce(nullif(a.display_name, ''), a.login), coalesce(u.name, ''), "
		"  " DELIVERED("c") " "
		"FROM consolidation c LEFT JOIN account a ON a.id = c.acknowledged_by "
		"  LEFT JOIN unit u ON u.id = a.unit_id "
		"WHERE c.period_id = $1::bigint AND c.kind = 'final' AND c.version = $4::int "
		"FOR UPDATE OF c", 4, p, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 5), "t") != 0) {
		PQclear(r);
		a->out->delivered = newest_delivered(conn, pi, err);
		if (a->out->delivered < 0)
			return -1;
		a->result = CONSOL_ACK_NOT_DELIVERED;
		return 0;
	}
	if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
		keep_info(a->out, r, 2);
		PQclear(r);
		a->result = CONSOL_ACK_BEFORE;
		return 0;
	}
	char id[24];
	snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *pu[] = { id, now, who };
	r = db_run(conn, "acknowledgement",
		"UPDATE consolidation c SET acknowledged_at = to_timestamp($2::bigint), "
		"  acknowledged_by = $3::bigint FROM account a LEFT JOIN unit u ON u.id = a.unit_id "
		"WHERE c.id = $1::bigint AND a.id = $3::bigint "
		"RETURNING " RFC3339("c.acknowledged_at") ", "
		"  coalesce(nullif(a.display_name, ''), a.login), coalesce(u.name, '')", 3, pu, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		*err = xasprintf("acknowledgement: account %s not found", who);
		return -1;
	}
	keep_info(a->out, r, 0);
	PQclear(r);
	char *detail = xasprintf("{\"series\":\"%s\",\"period\":\"%s\",\"version\":%d}",
				 pi->series->name, pi->id, a->version);
	struct audit_entry au = { a->who->account_id, a->who->login, "consolidated_ack", "period",
				  period, detail, a->who->remote_addr };
	int rc = audit_write(conn, &au, err);
	free(detail);
	a->result = CONSOL_ACK_DONE;
	return rc;
}

enum consol_ack_result consol_ack(PGconn *conn, const struct period_info *pi, int version,
				  const struct consol_acker *who, time_t now,
				  struct consol_ack_info *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct ack_args a = { pi, version, who, now, out, CONSOL_ACK_FAILED };
	if (db_tx(conn, ack_tx, &a, err) != 0) {
		consol_ack_info_free(out);
		return CONSOL_ACK_FAILED;
	}
	return a.result;
}

/* ---- the mail when nobody acknowledged by ack_by ---- */

/* The mail's body: version, when delivered, to which units, by when it should have been
 * acknowledged, each delivery, and where to look. */
#define OVERDUE_BODY \
	"Báo cáo tổng hợp %s, %s, phiên bản %d%s, đã được gửi lúc %s đến %s, nhưng đến %s " \
	"chưa có đơn vị nhận nào xác nhận \"Đã tiếp nhận\" trên hệ thống.\n\n" \
	"Các nơi đã gửi:\n%s\n" \
	"Hãy liên hệ đơn vị nhận (chẳng hạn bộ phận văn thư) để chắc chắn báo cáo đã đến, hoặc " \
	"gửi lại bằng cách khác. Tình trạng gửi và xác nhận xem tại %s/consolidated.html?" \
	"series=%s&period=%s\n\nHệ thống baocao\n"

struct overdue_args {
	const struct period_info *pi;
	time_t now;
	char *outcome;
};

/* "- vptu@... (thư điện tử): đã gửi" lines for each delivery of the version (new string). */
static char *delivery_lines(PGconn *conn, const struct period_info *pi, const char *version,
			    char **err)
{
	const char *p[] = { version, pi->series->name, pi->id };
	PGresult *r = db_run(conn, "acknowledgement",
		"SELECT " OUTBOX_RECIPIENT_SHOWN("o") ", o.channel, o.state "
		"FROM outbox o WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.series = $2 "
		"  AND o.period = $3 AND o.version = $1::int ORDER BY o.id", 3, p, err);
	if (r == NULL)
		return NULL;
	struct strbuf b = STRBUF_INIT;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *ch = PQgetvalue(r, i, 1), *st = PQgetvalue(r, i, 2);
		strbuf_addf(&b, "- %s (%s): %s\n", PQgetvalue(r, i, 0),
			    strcmp(ch, "mail") == 0 ? "thư điện tử" :
			    strcmp(ch, "folder") == 0 ? "thư mục dùng chung" : "HTTP",
			    strcmp(st, "sent") == 0 ? "đã gửi" :
			    strcmp(st, "failed") == 0 || strcmp(st, "expired") == 0 ?
			    "không gửi được" : "đang chờ gửi");
	}
	PQclear(r);
	if (b.len == 0)
		strbuf_adds(&b, "- (không có)\n");
	return strbuf_detach(&b);
}

/* The check inside its transaction (the newest delivered version's row locked). */
static int overdue_tx(PGconn *conn, void *arg, char **err)
{
	struct overdue_args *a = arg;
	const struct period_info *pi = a->pi;
	char period[24];
	snprintf(period, sizeof period, "%lld", pi->db_id);
	const char *p[] = { period, pi->series->name, pi->id };
	PGresult *r = db_run(conn, "acknowledgement",
		"SELECT c.version, c.acknowledged_at IS NOT NULL, " RFC3339("c.acknowledged_at") ", "
		"  extract(epoch FROM c.built_at)::bigint, "
		"  (SELECT string_agg(u.name, ', ' ORDER BY u.name) FROM series s "
		"    JOIN series_recipient sr ON sr.series_id = s.id JOIN unit u ON u.id = sr.unit_id "
		"    WHERE s.name = $2) "
		"FROM consolidation c WHERE c.period_id = $1::bigint AND c.kind = 'final' "
		"  AND " DELIVERED("c") " ORDER BY c.version DESC LIMIT 1 FOR UPDATE OF c", 3, p,
		err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		a->outcome = xstrdup("nothing delivered: no mail");
		return 0;
	}
	int version = atoi(PQgetvalue(r, 0, 0));
	if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
		a->outcome = xasprintf("version %d acknowledged at %s: no mail", version,
				       PQgetvalue(r, 0, 2));
		PQclear(r);
		return 0;
	}
	time_t built = (time_t)atoll(PQgetvalue(r, 0, 3));
	char *units = xstrdup(PQgetisnull(r, 0, 4) ? "các đơn vị nhận" : PQgetvalue(r, 0, 4));
	PQclear(r);
	char vtext[16];
	snprintf(vtext, sizeof vtext, "%d", version);
	char *lines = delivery_lines(conn, pi, vtext, err);
	if (lines == NULL) {
		free(units);
		return -1;
	}
	char title[160], sent[96], by[96];
	time_t due = pi->consolidation_deadline;
	if (ack_rule_due(&pi->series->ack_by, pi->consolidation_deadline, &due) != 0)
		due = a->now;
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "kỳ %s", pi->id);
	if (cal_format_vi_long(built, sent, sizeof sent) != 0)
		snprintf(sent, sizeof sent, "%lld", (long long)built);
	if (cal_format_vi_long(due, by, sizeof by) != 0)
		snprintf(by, sizeof by, "nay");
	char *correction = version > 1 ? xasprintf(" (bổ sung lần %d)", version - 1) :
					 xstrdup(" (bản chính thức)");
	char *subject = xasprintf("Chưa có xác nhận tiếp nhận báo cáo tổng hợp: %s, %s",
				  pi->series->title, title);
	char *body = xasprintf(OVERDUE_BODY, pi->series->title, title, version, correction, sent,
			       units, by, lines, config_current()->public_url, pi->series->name,
			       pi->id);
	free(correction);
	free(lines);
	free(units);
	const char *pc[] = { pi->series->consolidator ? pi->series->consolidator : "" };
	r = db_run(conn, "acknowledgement",
		"SELECT a.login, a.email FROM account a JOIN unit u ON u.id = a.unit_id "
		"WHERE u.code = $1 AND a.role = 'coordinator' AND NOT a.disabled ORDER BY a.login",
		1, pc, err);
	if (r == NULL) {
		free(subject);
		free(body);
		return -1;
	}
	size_t n = (size_t)PQntuples(r);
	struct outbox_message *m = xcalloc(n ? n : 1, sizeof *m);
	for (size_t i = 0; i < n; i++)
		m[i] = (struct outbox_message){
			.key = { .kind = OUTBOX_ACK_OVERDUE, .series = pi->series->name,
				 .period = pi->id, .version = version,
				 .login = PQgetvalue(r, (int)i, 0) },
			.to = PQgetvalue(r, (int)i, 1), .subject = subject, .body = body,
			.queued_at = a->now,
		};
	int queued = 0;
	int rc = outbox_queue(conn, m, n, &queued, err);
	free(m);
	PQclear(r);
	free(subject);
	free(body);
	if (rc != 0)
		return -1;
	a->outcome = xasprintf("version %d not acknowledged: %d mail%s to the coordinators queued",
			       version, queued, queued == 1 ? "" : "s");
	return 0;
}

int consol_ack_overdue(PGconn *conn, const struct period_info *pi, time_t now, char **outcome,
		       char **err)
{
	struct overdue_args a = { pi, now, NULL };
	if (db_tx(conn, overdue_tx, &a, err) != 0) {
		free(a.outcome);
		return -1;
	}
	*outcome = a.outcome;
	return 0;
}

/* ---- the consolidating unit's own timeliness ---- */

/* The first final version of period P: when it was built (and queued) and whether on time. */
#define FIRST_FINAL(P) \
	"LEFT JOIN LATERAL (SELECT c.built_at, c.on_time FROM consolidation c " \
	"  WHERE c.period_id = " P " AND c.kind = 'final' ORDER BY c.version LIMIT 1) f ON true "

PGresult *consol_delivery_state(PGconn *conn, long long period_id, char **err)
{
	char period[24];
	snprintf(period, sizeof period, "%lld", period_id);
	const char *p[] = { period };
	return db_run(conn, "delivery state",
		"SELECT coalesce(u.code, ''), coalesce(u.name, ''), "
		"  " RFC3339("p.consolidation_deadline") ", " RFC3339("f.built_at") ", f.on_time "
		"FROM period p JOIN series s ON s.id = p.series_id "
		"  LEFT JOIN unit u ON u.id = s.consolidator_unit_id " FIRST_FINAL("p.id")
		"WHERE p.id = $1::bigint", 1, p, err);
}

PGresult *consol_punctuality(PGconn *conn, const char *series, time_t now, int limit,
			     char **err)
{
	char nowbuf[24], max[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, nowbuf, max };
	return db_run(conn, "timeliness",
		"WITH ps AS (SELECT p.id, p.period_key, p.starts_on, p.consolidation_deadline "
		"  FROM period p JOIN series s ON s.id = p.series_id WHERE s.name = $1 "
		"  AND p.state <> 'skipped' AND p.unit_deadline < to_timestamp($2::bigint) "
		"  ORDER BY p.starts_on DESC LIMIT $3::int) "
		"SELECT ps.period_key, CASE WHEN f.built_at IS NULL THEN "
		"    CASE WHEN ps.consolidation_deadline < to_timestamp($2::bigint) THEN 'missing' END "
		"  WHEN f.on_time THEN 'on_time' ELSE 'late' END, " RFC3339("f.built_at") ", "
		"  (SELECT u.name FROM series s JOIN unit u ON u.id = s.consolidator_unit_id "
		"    WHERE s.name = $1) "
		"FROM ps " FIRST_FINAL("ps.id") "ORDER BY ps.starts_on", 3, p, err);
}
