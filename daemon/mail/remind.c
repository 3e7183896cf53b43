/* Who gets which reminder: every address of every unit that has not reported a period (or, with
 * require_document, has not sent its document), and one digest of the missing units for each
 * coordinator of the series, queued in the outbox. */
#include "remind.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "outbox_queue.h"
#include "series_store.h"
#include "units.h"
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
	const char *occasion;	/* the round; NULL for one asked for by hand at now */
	time_t now, expires;
	int cooldown_s;
	bool late;		/* the late notice, after the deadline */
	int units, messages;
	bool too_soon;
};

/* The units that must report in the period (its roster) and have no current report for it,
 * and in a series with require_document those whose current report has no document yet
 * (doc_only: reminded of the document alone). */
#define MISSING_WHERE(EXTRA) \
	"missing AS (SELECT u.id, u.code, u.name, u.emails, s.id AS series_id, " \
	"  x.id IS NOT NULL AS doc_only " \
	"  FROM period_units($2::bigint) m " \
	"  JOIN series s ON s.name = $1 JOIN unit u ON u.id = m.unit_id " \
	"  LEFT JOIN submission x ON x.period_id = $2::bigint AND x.unit_id = u.id " \
	"    AND NOT x.superseded " \
	"  WHERE u.active AND (x.id IS NULL OR (s.require_document AND x.document_id IS NULL))" \
	EXTRA ")"
#define MISSING MISSING_WHERE("")
/* The rounds the scheduler runs are about the period's deadline: a unit with an extension has
 * its own deadline and its own rounds (remind_extensions). A round asked for by hand reaches
 * it too. */
#define MISSING_SCHEDULED MISSING_WHERE(" AND NOT EXISTS (SELECT 1 FROM extension e " \
	"WHERE e.period_id = $2::bigint AND e.unit_id = u.id)")

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

/* Every address a missing unit's reminder goes to: its reporters, its contacts, and its head
 * when it keeps missing. */
#define ADDRESSES \
	"addr AS (SELECT mi.code, mi.name, lower(a.email) AS email, mi.doc_only FROM missing mi " \
	"  JOIN account a ON a.unit_id = mi.id AND a.role = 'reporter' AND NOT a.disabled " \
	"  UNION SELECT mi.code, mi.name, lower(e), mi.doc_only FROM missing mi, " \
	"    unnest(mi.emails) e WHERE e NOT LIKE 'head:%' " \
	"  UNION SELECT mi.code, mi.name, lower(substr(e, 6)), mi.doc_only FROM missing mi " \
	"    JOIN keep_missing k ON k.id = mi.id, unnest(mi.emails) e WHERE e LIKE 'head:%')"

/* The key of a round's message of that kind, to be completed with the recipient's part. */
static struct outbox_key round_key(const struct remind_round *rr, enum outbox_kind kind)
{
	struct outbox_key k = { .kind = kind, .series = rr->s->name, .period = rr->pi->id,
				.round = rr->occasion,
				.asked_at = rr->occasion == NULL ? rr->now : 0 };
	return k;
}

/* Queues the n messages a round built, then frees them and their bodies. Adds the rows queued
 * to *queued; 0 or -1 with *err. */
static int queue_and_free(PGconn *conn, struct outbox_message *m, char **bodies, size_t n,
			  int *queued, char **err)
{
	int rc = outbox_queue(conn, m, n, queued, err);
	for (size_t i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(m);
	return rc;
}

/* Whether a round was asked for by hand lately: one at a time per period, none again within
 * the cool-down (taken with a lock held to the end of the transaction). 0 or -1 with *err. */
static int remind_too_soon(PGconn *conn, struct remind_round *rr, const char *nowbuf,
			   char **err)
{
	char cool[16];
	snprintf(cool, sizeof cool, "%d", rr->cooldown_s);
	const char *pc[] = { rr->s->name, rr->pi->id, nowbuf, cool };
	PGresult *c = db_run(conn, "remind",
		"SELECT pg_advisory_xact_lock(hashtextextended('remind:' || $1 || ':' || $2, 0)), "
		"  EXISTS (SELECT 1 FROM outbox WHERE series = $1 AND period = $2 "
		"    AND kind IN ('" OUTBOX_KIND_REMINDER "', '" OUTBOX_KIND_REMINDER_DIGEST "') "
		"    AND manual "
		"    AND created_at > to_timestamp($3::bigint) - make_interval(secs => $4::int))",
		4, pc, err);
	if (c == NULL)
		return -1;
	rr->too_soon = strcmp(PQgetvalue(c, 0, 1), "t") == 0;
	PQclear(c);
	return 0;
}

/* What a reminder says: to a unit that sent nothing, and to one whose document is missing. */
struct remind_text {
	const char *subject, *text;
	const char *doc_subject, *doc_text;
};

/* Every address of every unit of the CTE missing (M), with their number; a missing unit
 * with a webhook once more without an address (its webhook is told through outbox_queue). */
#define UNITS_SQL(M) \
	"WITH " M ", " KEEP_MISSING_OF("$2", "$3", "$4") ", " ADDRESSES " " \
	"SELECT m.n, a.code, a.name, a.email, a.doc_only " \
	"FROM (SELECT count(*) AS n FROM missing) m LEFT JOIN (SELECT * FROM addr " \
	"  UNION ALL SELECT mi.code, mi.name, NULL, mi.doc_only FROM missing mi " \
	"  JOIN unit u ON u.id = mi.id AND u.webhook IS NOT NULL) a ON true " \
	"ORDER BY a.code, a.email"

/* Queues the units' reminders: one to every address of every missing unit (and, through
 * outbox_queue, one to its webhook, also for a unit without an address). */
static int remind_units(PGconn *conn, struct remind_round *rr, const char *period_id,
			const char *nowbuf, const struct remind_text *t, char **err)
{
	char head_after[16];
	snprintf(head_after, sizeof head_after, "%lld", config_current()->head_after_missed);
	const char *p[] = { rr->s->name, period_id, nowbuf, head_after };
	PGresult *r = db_run(conn, "remind", rr->occasion == NULL ? UNITS_SQL(MISSING) :
			     UNITS_SQL(MISSING_SCHEDULED), 4, p, err);
	if (r == NULL)
		return -1;
	rr->units = atoi(PQgetvalue(r, 0, 0));
	size_t n = 0, rows = (size_t)PQntuples(r);
	struct outbox_message *m = xcalloc(rows, sizeof *m);
	char **bodies = xcalloc(rows, sizeof *bodies);
	for (size_t i = 0; i < rows; i++) {
		if (PQgetisnull(r, (int)i, 1))
			continue;
		m[n].key = round_key(rr, OUTBOX_REMINDER);
		m[n].key.unit = PQgetvalue(r, (int)i, 1);
		/* A unit with a webhook is told there even when it has no address. */
		m[n].webhook_only = PQgetisnull(r, (int)i, 3);
		m[n].key.address = PQgetvalue(r, (int)i, 3);
		m[n].to = PQgetvalue(r, (int)i, 3);
		bool doc_only = strcmp(PQgetvalue(r, (int)i, 4), "t") == 0;
		m[n].subject = doc_only ? t->doc_subject : t->subject;
		bodies[n] = xasprintf("Kính gửi %s%s", PQgetvalue(r, (int)i, 2),
				      doc_only ? t->doc_text : t->text);
		m[n].body = bodies[n];
		m[n].queued_at = rr->now;
		m[n].expires_at = rr->expires;
		n++;
	}
	int rc = queue_and_free(conn, m, bodies, n, &rr->messages, err);
	PQclear(r);
	return rc;
}

/* The coordinators' digests over the units of the CTE missing (M). */
#define DIGEST_SQL(M) \
	"WITH " M ", " \
	"list AS (SELECT string_agg('- ' || name || ' (' || code || ')' || " \
	"  CASE WHEN doc_only THEN ': còn thiếu văn bản' ELSE '' END, E'\\n' " \
	"  ORDER BY name) AS names, count(*) AS n FROM missing) " \
	"SELECT a.login, a.email, list.names " \
	"FROM account a JOIN unit u ON u.id = a.unit_id, list " \
	"WHERE u.code = $3 AND a.role = 'coordinator' AND NOT a.disabled AND list.n > 0 " \
	"ORDER BY a.login"

/* Queues the coordinators' digests: the list of the missing units, when there is one. */
static int remind_digests(PGconn *conn, struct remind_round *rr, const char *period_id,
			  const char *subject, const char *text, char **err)
{
	const char *p[] = { rr->s->name, period_id, rr->s->consolidator };
	PGresult *r = db_run(conn, "remind", rr->occasion == NULL ? DIGEST_SQL(MISSING) :
			     DIGEST_SQL(MISSING_SCHEDULED), 3, p, err);
	if (r == NULL)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct outbox_message *m = xcalloc(n ? n : 1, sizeof *m);
	char **bodies = xcalloc(n ? n : 1, sizeof *bodies);
	for (size_t i = 0; i < n; i++) {
		m[i].key = round_key(rr, OUTBOX_REMINDER_DIGEST);
		m[i].key.login = PQgetvalue(r, (int)i, 0);
		m[i].to = PQgetvalue(r, (int)i, 1);
		m[i].subject = subject;
		bodies[i] = xasprintf("%s%s\n", text, PQgetvalue(r, (int)i, 2));
		m[i].body = bodies[i];
		m[i].queued_at = rr->now;
		m[i].expires_at = rr->expires;
	}
	int rc = queue_and_free(conn, m, bodies, n, &rr->messages, err);
	PQclear(r);
	return rc;
}

/* The body of a round's transaction: the units' reminders, then the coordinators' digests. */
static int remind_tx(PGconn *conn, void *arg, char **err)
{
	struct remind_round *rr = arg;
	const struct period_info *pi = rr->pi;
	char title[160], deadline[96], now_text[96], period_id[24], nowbuf[24];
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "kỳ %s", pi->id);
	if (cal_format_vi_long(pi->unit_deadline, deadline, sizeof deadline) != 0 ||
	    cal_format_vi_long(rr->now, now_text, sizeof now_text) != 0) {
		*err = xstrdup("remind: the times are outside the calendar's range");
		return -1;
	}
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)rr->now);
	if (rr->cooldown_s > 0) {
		if (remind_too_soon(conn, rr, nowbuf, err) != 0)
			return -1;
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
	char *doc_subject = xasprintf(rr->late ? "Quá hạn, còn thiếu văn bản: %s, %s" :
				      "Còn thiếu văn bản báo cáo: %s, %s", rr->s->title, title);
	char *doc_text = xasprintf(
		",\n\nĐến %s, hệ thống đã nhận số liệu báo cáo của đơn vị cho %s (%s) nhưng "
		"còn thiếu văn bản: báo cáo phải gửi kèm văn bản (tệp PDF, có ký số nếu có).\n"
		"Hạn gửi: %s%s.\n\n"
		"Đơn vị gửi văn bản trên trang báo cáo (mục \"Văn bản báo cáo\"), hoặc qua "
		"API: PUT %sapi/v1/series/%s/periods/%s/submission/document\n"
		"%s\n"
		"Nếu đơn vị vừa gửi, xin bỏ qua thư này.\n\n"
		"Hệ thống baocao\n", now_text, rr->s->title, title, deadline,
		rr->late ? " (đã qua)" : "", cfg->public_url, rr->s->name, pi->id,
		rr->late ? "Báo cáo chỉ được tính đúng hạn khi có đủ số liệu và văn bản trước "
			   "hạn." :
			   "Báo cáo được tính đúng hạn khi có đủ số liệu và văn bản trước hạn.");
	struct remind_text t = { subject, text, doc_subject, doc_text };
	int rc = remind_units(conn, rr, period_id, nowbuf, &t, err);
	free(subject);
	free(text);
	free(doc_subject);
	free(doc_text);
	if (rc != 0)
		return -1;

	subject = xasprintf("Đơn vị chưa gửi báo cáo: %s, %s", rr->s->title, title);
	text = xasprintf("Đến %s, các đơn vị dưới đây chưa gửi báo cáo cho %s (hạn gửi: %s)%s; "
			 "hệ thống đã gửi thư nhắc đến từng đơn vị:\n\n", now_text, title,
			 deadline, rr->s->require_document ? " hoặc còn thiếu văn bản" : "");
	rc = remind_digests(conn, rr, period_id, subject, text, err);
	free(subject);
	free(text);
	return rc;
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
	time_t expires = pi->consolidation_deadline > now ? pi->consolidation_deadline : now + 3600;
	struct remind_round rr = { s, pi, NULL, now, expires, REMIND_COOLDOWN_S, false, 0, 0,
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
		"   WHERE o.series = $1 AND o.period = $5 AND o.kind = '" OUTBOX_KIND_REMINDER "' "
		"     AND o.manual) "
		"FROM missing mi JOIN unit u ON u.id = mi.id "
		"ORDER BY " UNIT_ORDER_BY("u"),
		5, p, err);
}

/* One unit's extension that may want a reminder now. */
struct ext_due {
	const char *series, *period, *unit, *name, *reason;
	time_t until, granted_at;
};

/* The round of an extension due at now: the latest reminder rule of the series whose time
 * before until has come (after the grant), or "late" once until has passed; NULL when none. */
static const char *ext_round(const struct series_def *s, const struct ext_due *x, time_t now,
			     char buf[REMINDER_BUF])
{
	if (now > x->until)	/* not for an extension granted after its own end */
		return x->until >= x->granted_at ? "late" : NULL;
	const char *round = NULL;
	time_t latest = 0;
	for (size_t k = 0; k < s->nreminders; k++) {
		time_t due;
		if (reminder_due(&s->reminders[k], x->until, &due) != 0 || due > now ||
		    due < x->granted_at || due >= x->until || (round && due <= latest))
			continue;
		reminder_format(&s->reminders[k], buf);
		round = buf;
		latest = due;
	}
	return round;
}

/* Queues the reminder (or late notice) of one extended unit that has not reported. */
static int ext_remind_one(PGconn *conn, const struct series_def *s, const struct ext_due *x,
			  const char *round, time_t now, int *messages, char **err)
{
	struct period_info pi;
	if (periods_lookup(conn, s, x->period, now, &pi, err) != PERIODS_OK)
		return -1;
	char title[160], until[96], now_text[96];
	if (period_title_vi(&pi.period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "kỳ %s", x->period);
	period_info_free(&pi);
	if (cal_format_vi_long(x->until, until, sizeof until) != 0 ||
	    cal_format_vi_long(now, now_text, sizeof now_text) != 0) {
		*err = xstrdup("remind: the times are outside the calendar's range");
		return -1;
	}
	bool late = strcmp(round, "late") == 0;
	const struct config *cfg = config_current();
	char *subject = xasprintf(late ? "Quá hạn gia hạn gửi báo cáo: %s, %s" :
				  "Nhắc gửi báo cáo (hạn đã gia hạn): %s, %s", s->title, title);
	char *body = xasprintf(
		"Kính gửi %s,\n\nĐến %s, hệ thống chưa nhận được báo cáo của đơn vị cho %s (%s).\n"
		"Hạn gửi của đơn vị (đã gia hạn): %s%s.\nLý do gia hạn: %s\n\n"
		"Biểu mẫu đã điền sẵn các nhiệm vụ của đơn vị: %sapi/v1/series/%s/periods/%s/template\n"
		"%s\nNếu đơn vị vừa gửi, xin bỏ qua thư này.\n\nHệ thống baocao\n", x->name,
		now_text, s->title, title, until, late ? " (đã qua)" : "", x->reason,
		cfg->public_url, s->name, x->period,
		late ? "Đơn vị vẫn gửi được báo cáo qua hệ thống; báo cáo được ghi nhận là gửi muộn." :
		       "Báo cáo gửi đến hết hạn đã gia hạn được tính đúng hạn.");
	struct outbox_message m = {
		.key = { .kind = OUTBOX_EXTENSION, .series = s->name, .period = x->period,
			 .unit = x->unit, .round = round, .asked_at = x->until },
		.subject = subject, .body = body, .queued_at = now,
		.expires_at = late ? x->until + EXTENSION_LATE_S : x->until,
	};
	int rc = outbox_queue_to_unit(conn, &m, messages, err);
	free(subject);
	free(body);
	return rc;
}

/* Queues the reminders that follow the units' extensions (remind.h). */
int remind_extensions(PGconn *conn, time_t now, int *messages, char **err)
{
	char nowbuf[24], late[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(late, sizeof late, "%d", EXTENSION_LATE_S);
	const char *p[] = { nowbuf, late };
	/* The extensions of units without a report in force (or, with require_document, without
	 * its document), from their grant until a while after their until. */
	PGresult *r = db_run(conn, "remind extensions",
		"SELECT s.name, p.period_key, u.code, u.name, e.reason, "
		"  extract(epoch FROM e.until)::bigint, extract(epoch FROM e.granted_at)::bigint "
		"FROM extension e JOIN period p ON p.id = e.period_id "
		"JOIN series s ON s.id = p.series_id JOIN unit u ON u.id = e.unit_id "
		"WHERE u.active AND p.state <> 'skipped' "
		"  AND e.granted_at <= to_timestamp($1::bigint) "
		"  AND e.until > to_timestamp($1::bigint) - make_interval(secs => $2::int) "
		"  AND NOT EXISTS (SELECT 1 FROM submission x WHERE x.period_id = p.id "
		"    AND x.unit_id = u.id AND NOT x.superseded "
		"    AND (NOT s.require_document OR x.document_id IS NOT NULL)) "
		"ORDER BY s.name, p.period_key, u.code", 2, p, err);
	if (r == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		struct ext_due x = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				     PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
				     (time_t)atoll(PQgetvalue(r, i, 5)),
				     (time_t)atoll(PQgetvalue(r, i, 6)) };
		const struct series_def *s = series_current_find(x.series);
		char buf[REMINDER_BUF];
		const char *round = s && s->nreminders ? ext_round(s, &x, now, buf) : NULL;
		char *why = NULL;
		/* One unit's failure (its period, the calendar, the database) leaves the others
		 * reminded; the first is the round's error, the others logged. */
		if (round == NULL || ext_remind_one(conn, s, &x, round, now, messages, &why) == 0)
			continue;
		if (rc == 0) {
			*err = why;
			rc = -1;
		} else {
			log_warn("remind", "the extension reminder of %s for %s %s: %s", x.unit,
				 x.series, x.period, why);
			free(why);
		}
	}
	PQclear(r);
	return rc;
}
