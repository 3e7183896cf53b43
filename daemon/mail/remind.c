/* Who gets which reminder: every address of every unit that has not reported a period, and one
 * digest of the missing units for each coordinator of the series, queued in the outbox. */
#include "remind.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "unit_groups.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one reminder round writes, for its transaction. */
struct remind_round {
	const struct series_def *s;
	const struct period_info *pi;
	const char *occasion;
	time_t now, expires;
	int cooldown_s;
	bool late;		/* the late notice, after the deadline */
	int units, messages;
	bool too_soon;
};

/* The units that must report in the period (its roster) and have no current report for it. */
#define MISSING \
	"missing AS (SELECT u.id, u.code, u.name, u.emails, s.id AS series_id " \
	"  FROM period_units($2::bigint) m " \
	"  JOIN series s ON s.name = $1 JOIN unit u ON u.id = m.unit_id " \
	"  WHERE u.active AND NOT EXISTS (SELECT 1 FROM submission x " \
	"    WHERE x.period_id = $2::bigint AND x.unit_id = u.id AND NOT x.superseded))"

/* Of those, the units that missed each of the last N deadlines before period P as of NOW (no
 * report on time): their head is copied (N = 0: never). P, NOW and N name parameters. */
#define KEEP_MISSING_OF(P, NOW, N) \
	"keep_missing AS (SELECT mi.id FROM missing mi WHERE " N "::int > 0 AND " N "::int = (" \
	"  SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM submission y " \
	"    WHERE y.period_id = q.id AND y.unit_id = mi.id AND y.on_time)) " \
	"  FROM (SELECT p2.id FROM period p2 WHERE p2.series_id = mi.series_id " \
	"    AND p2.state <> 'skipped' AND p2.unit_deadline < to_timestamp(" NOW "::bigint) " \
	"    AND p2.starts_on < (SELECT starts_on FROM period WHERE id = " P "::bigint) " \
	"    ORDER BY p2.starts_on DESC LIMIT " N "::int) q " \
	"  HAVING count(*) = " N "::int))"
#define KEEP_MISSING KEEP_MISSING_OF("$2", "$7", "$9")

/* Every address a missing unit's reminder goes to: its reporters, its contacts, and its head
 * when it keeps missing. */
#define ADDRESSES \
	"addr AS (SELECT mi.code, mi.name, lower(a.email) AS email FROM missing mi " \
	"  JOIN account a ON a.unit_id = mi.id AND a.role = 'reporter' AND NOT a.disabled " \
	"  UNION SELECT mi.code, mi.name, lower(e) FROM missing mi, unnest(mi.emails) e " \
	"    WHERE e NOT LIKE 'head:%' " \
	"  UNION SELECT mi.code, mi.name, lower(substr(e, 6)) FROM missing mi " \
	"    JOIN keep_missing k ON k.id = mi.id, unnest(mi.emails) e WHERE e LIKE 'head:%')"

/* The body of a round's transaction: the units' reminders, then the coordinators' digests. */
static int remind_tx(PGconn *conn, void *arg, char **err)
{
	struct remind_round *rr = arg;
	const struct period_info *pi = rr->pi;
	char title[160], deadline[96], now_text[96], period_id[24], nowbuf[24], expires[24];
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "kỳ %s", pi->id);
	if (cal_format_vi_long(pi->unit_deadline, deadline, sizeof deadline) != 0 ||
	    cal_format_vi_long(rr->now, now_text, sizeof now_text) != 0) {
		*err = xstrdup("remind: the times are outside the calendar's range");
		return -1;
	}
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)rr->now);
	snprintf(expires, sizeof expires, "%lld", (long long)rr->expires);
	if (rr->cooldown_s > 0) {
		/* One round at a time per period; none again within the cool-down. */
		char cool[16];
		snprintf(cool, sizeof cool, "%d", rr->cooldown_s);
		const char *pc[] = { rr->s->name, pi->id, nowbuf, cool, rr->occasion };
		PGresult *c = db_run(conn, "remind",
			"SELECT pg_advisory_xact_lock(hashtextextended('remind:' || $1 || ':' || $2, 0)), "
			"  EXISTS (SELECT 1 FROM outbox WHERE dedup_key LIKE "
			"    'reminder%:' || $1 || ':' || $2 || ':' || split_part($5, ':', 1) || ':%' "
			"    AND created_at > to_timestamp($3::bigint) - make_interval(secs => $4::int))",
			5, pc, err);
		if (c == NULL)
			return -1;
		rr->too_soon = strcmp(PQgetvalue(c, 0, 1), "t") == 0;
		PQclear(c);
		if (rr->too_soon)
			return 0;
	}
	const struct config *cfg = config_current();
	char *subject = xasprintf(rr->late ? "Quá hạn gửi báo cáo: %s, %s" :
				  "Nhắc gửi báo cáo: %s, %s", rr->s->title, title);
	char *text = xasprintf(
		",\n\nĐến %s, hệ thống chưa nhận được báo cáo của đơn vị cho %s (%s).\n"
		"Hạn gửi: %s%s.\n\n"
		"Biểu mẫu đã điền sẵn các nhiệm vụ của đơn vị: %sapi/v1/series/%s/periods/%s/template\n"
		"%s\n"
		"Nếu đơn vị vừa gửi, xin bỏ qua thư này.\n\n"
		"Hệ thống baocao\n", now_text, rr->s->title, title, deadline,
		rr->late ? " (đã qua)" : "", cfg->public_url, rr->s->name, pi->id,
		rr->late ? "Đơn vị vẫn gửi được báo cáo qua hệ thống; báo cáo được ghi nhận là gửi "
			   "muộn." :
			   "Đơn vị điền kết quả vào biểu mẫu rồi gửi lại qua hệ thống trước hạn.");
	char head_after[16];
	snprintf(head_after, sizeof head_after, "%lld", cfg->head_after_missed);
	const char *p[] = { rr->s->name, period_id, rr->occasion, pi->id, subject, text, nowbuf,
			    expires, head_after };
	PGresult *r = db_run(conn, "remind",
		"WITH " MISSING ", " KEEP_MISSING ", "
		ADDRESSES ", "
		"ins AS (INSERT INTO outbox (dedup_key, recipient, subject, body, created_at, "
		"  next_attempt_at, expires_at) "
		"  SELECT 'reminder:' || $1 || ':' || $4 || ':' || $3 || ':' || code || ':' || email, "
		"    email, $5, 'Kính gửi ' || name || $6, to_timestamp($7::bigint), "
		"    to_timestamp($7::bigint), to_timestamp($8::bigint) FROM addr "
		"  ON CONFLICT (dedup_key) DO NOTHING RETURNING 1) "
		"SELECT (SELECT count(*) FROM missing), (SELECT count(*) FROM ins)", 9, p, err);
	free(subject);
	free(text);
	if (r == NULL)
		return -1;
	rr->units = atoi(PQgetvalue(r, 0, 0));
	rr->messages = atoi(PQgetvalue(r, 0, 1));
	PQclear(r);

	subject = xasprintf("Đơn vị chưa gửi báo cáo: %s, %s", rr->s->title, title);
	text = xasprintf("Đến %s, các đơn vị dưới đây chưa gửi báo cáo cho %s (hạn gửi: %s); "
			 "hệ thống đã gửi thư nhắc đến từng đơn vị:\n\n", now_text, title,
			 deadline);
	const char *pd[] = { rr->s->name, period_id, rr->occasion, pi->id, subject, text, nowbuf,
			     expires, rr->s->consolidator };
	r = db_run(conn, "remind",
		"WITH " MISSING ", "
		"list AS (SELECT string_agg('- ' || name || ' (' || code || ')', E'\\n' "
		"  ORDER BY name) AS names, count(*) AS n FROM missing), "
		"ins AS (INSERT INTO outbox (dedup_key, recipient, subject, body, created_at, "
		"  next_attempt_at, expires_at) "
		"  SELECT 'reminder-digest:' || $1 || ':' || $4 || ':' || $3 || ':' || a.login, "
		"    a.email, $5, $6 || list.names || E'\\n', to_timestamp($7::bigint), "
		"    to_timestamp($7::bigint), to_timestamp($8::bigint) "
		"  FROM account a JOIN unit u ON u.id = a.unit_id, list "
		"  WHERE u.code = $9 AND a.role = 'coordinator' AND NOT a.disabled AND list.n > 0 "
		"  ON CONFLICT (dedup_key) DO NOTHING RETURNING 1) "
		"SELECT count(*) FROM ins", 9, pd, err);
	free(subject);
	free(text);
	if (r == NULL)
		return -1;
	rr->messages += atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* Queues a reminder round for a period. */
int remind_queue(PGconn *conn, const struct series_def *s, const struct period_info *pi,
		 const char *occasion, time_t now, int *units, int *messages, char **err)
{
	struct remind_round rr = { s, pi, occasion, now, pi->unit_deadline, 0, false, 0, 0,
				   false };
	if (db_tx(conn, remind_tx, &rr, err) != 0)
		return -1;
	*units = rr.units;
	*messages = rr.messages;
	return 0;
}

/* Queues the late notice of a period. */
int remind_late(PGconn *conn, const struct series_def *s, const struct period_info *pi,
		time_t now, int *units, int *messages, char **err)
{
	struct remind_round rr = { s, pi, "late", now, pi->consolidation_deadline, 0, true, 0, 0,
				   false };
	if (db_tx(conn, remind_tx, &rr, err) != 0)
		return -1;
	*units = rr.units;
	*messages = rr.messages;
	return 0;
}

/* Queues a round a coordinator asked for, unless one was asked for lately. */
int remind_now(PGconn *conn, const struct series_def *s, const struct period_info *pi,
	       time_t now, int *units, int *messages, char **err)
{
	char occasion[32];
	snprintf(occasion, sizeof occasion, "manual:%lld", (long long)now);
	time_t expires = pi->consolidation_deadline > now ? pi->consolidation_deadline : now + 3600;
	struct remind_round rr = { s, pi, occasion, now, expires, REMIND_COOLDOWN_S, false, 0, 0,
				   false };
	if (db_tx(conn, remind_tx, &rr, err) != 0)
		return -1;
	*units = rr.units;
	*messages = rr.messages;
	return rr.too_soon ? 1 : 0;
}

/* Who a round asked for now would reach: the missing units with their addresses. */
PGresult *remind_preview(PGconn *conn, const struct series_def *s, const struct period_info *pi,
			 time_t now, char **err)
{
	char period_id[24], nowbuf[24], head_after[24];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(head_after, sizeof head_after, "%lld", config_current()->head_after_missed);
	const char *p[] = { s->name, period_id, nowbuf, head_after, pi->id };
	return db_run(conn, "remind preview",
		"WITH " MISSING ", " KEEP_MISSING_OF("$2", "$3", "$4") ", " ADDRESSES " "
		"SELECT mi.code, mi.name, u.unit_group, "
		"  (SELECT count(*) FROM addr a WHERE a.code = mi.code), "
		"  (SELECT to_char(max(o.created_at), 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') FROM outbox o "
		"   WHERE o.dedup_key LIKE 'reminder:' || $1 || ':' || $5 || ':manual:%') "
		"FROM missing mi JOIN unit u ON u.id = mi.id "
		"ORDER BY " UNIT_ORDER_BY("u"),
		5, p, err);
}
