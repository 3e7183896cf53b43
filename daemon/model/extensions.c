/* A unit's later deadline for one period: the extension table (schema/015_extension.sql), its
 * JSON, and the window a unit's page and refusals put in words. */
#include "extensions.h"
#include "calendar.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads an extension from EXTENSION_COLS at col (extensions.h). */
void extension_from_row(PGresult *r, int row, int col, struct extension *out)
{
	memset(out, 0, sizeof *out);
	if (PQgetisnull(r, row, col))
		return;
	out->present = true;
	out->until = (time_t)atoll(PQgetvalue(r, row, col));
	out->reason = xstrdup(PQgetvalue(r, row, col + 1));
	out->granted_by = xstrdup(PQgetvalue(r, row, col + 2));
	out->granted_at = (time_t)atoll(PQgetvalue(r, row, col + 3));
}

/* The extension of a unit in a period, if any. */
int extension_get(PGconn *conn, long long period_id, const char *unit, struct extension *out,
		  char **err)
{
	memset(out, 0, sizeof *out);
	char pid[24];
	snprintf(pid, sizeof pid, "%lld", period_id);
	const char *p[] = { pid, unit };
	PGresult *r = db_run(conn, "extension",
		"SELECT " EXTENSION_COLS("e", "a") " FROM extension e "
		"JOIN unit u ON u.id = e.unit_id LEFT JOIN account a ON a.id = e.granted_by "
		"WHERE e.period_id = $1::bigint AND u.code = $2", 2, p, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1)
		extension_from_row(r, 0, 0, out);
	PQclear(r);
	return 0;
}

/* Frees what an extension holds. */
void extension_free(struct extension *e)
{
	free(e->reason);
	free(e->granted_by);
	memset(e, 0, sizeof *e);
}

/* Writes a time as RFC 3339, or null. */
static void json_time(struct json *j, const char *key, time_t t)
{
	char buf[40];
	json_key(j, key);
	if (cal_format_rfc3339(t, buf, sizeof buf) == 0)
		json_string(j, buf);
	else
		json_null(j);
}

/* Writes an extension as JSON, or null. */
void extension_json(struct json *j, const struct extension *e)
{
	if (e == NULL || !e->present) {
		json_null(j);
		return;
	}
	char text[96];
	json_object_begin(j);
	json_time(j, "until", e->until);
	if (cal_format_vi_long(e->until, text, sizeof text) != 0)
		text[0] = '\0';
	json_kv_string(j, "until_text", text);
	json_kv_string(j, "reason", e->reason ? e->reason : "");
	json_kv_string(j, "granted_by", e->granted_by ? e->granted_by : "");
	json_time(j, "granted_at", e->granted_at);
	json_object_end(j);
}

/* Grants or replaces a unit's extension (only for a unit of the period's roster). */
int extension_grant(PGconn *conn, const struct extension_change *c, char **err)
{
	char pid[24], until[24], account[24], now[24];
	snprintf(pid, sizeof pid, "%lld", c->period_id);
	snprintf(until, sizeof until, "%lld", (long long)c->until);
	snprintf(account, sizeof account, "%lld", c->account_id);
	snprintf(now, sizeof now, "%lld", (long long)c->now);
	const char *p[] = { pid, c->unit, until, c->reason, account, now };
	PGresult *r = db_run(conn, "extension",
		"INSERT INTO extension AS e (period_id, unit_id, until, reason, granted_by, "
		"  granted_at) "
		"SELECT $1::bigint, u.id, to_timestamp($3::bigint), $4, $5::bigint, "
		"  to_timestamp($6::bigint) "
		"FROM period_units($1::bigint) pu JOIN unit u ON u.id = pu.unit_id WHERE u.code = $2 "
		"ON CONFLICT (period_id, unit_id) DO UPDATE SET until = EXCLUDED.until, "
		"  reason = EXCLUDED.reason, granted_by = EXCLUDED.granted_by, "
		"  granted_at = EXCLUDED.granted_at RETURNING 1", 6, p, err);
	if (r == NULL)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	PQclear(r);
	return rc;
}

/* Takes a unit's extension back. */
int extension_revoke(PGconn *conn, const struct extension_change *c, char **err)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%lld", c->period_id);
	const char *p[] = { pid, c->unit };
	PGresult *r = db_run(conn, "extension",
		"DELETE FROM extension e USING unit u WHERE e.unit_id = u.id "
		"AND e.period_id = $1::bigint AND u.code = $2 RETURNING 1", 2, p, err);
	if (r == NULL)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	PQclear(r);
	return rc;
}

/* The code of a window state. */
const char *window_code(enum window_state w)
{
	switch (w) {
	case WINDOW_NOT_STARTED:
		return "not_started";
	case WINDOW_OPEN:
		return "open";
	case WINDOW_EXTENDED:
		return "extended";
	case WINDOW_LATE:
		return "late";
	case WINDOW_SKIPPED:
		return "skipped";
	}
	return "open";
}

/* Where a unit stands with a period at now. */
enum window_state window_of(const struct period_info *pi, const struct extension *e, time_t now)
{
	if (pi->skipped)
		return WINDOW_SKIPPED;
	if (pi->db_id == 0 || (pi->has_span && now < pi->starts))
		return WINDOW_NOT_STARTED;
	bool extended = e != NULL && e->present && e->until > pi->unit_deadline;
	if (now <= pi->unit_deadline && strcmp(pi->state, "open") == 0)
		return extended ? WINDOW_EXTENDED : WINDOW_OPEN;
	if (extended && now <= e->until)
		return WINDOW_EXTENDED;
	return WINDOW_LATE;
}

/* A time in words, "" when outside the calendar. */
static void when_text(time_t t, char *buf, size_t len)
{
	if (cal_format_vi_long(t, buf, len) != 0)
		buf[0] = '\0';
}

/* Where a unit stands, in Vietnamese. */
char *window_text(const struct period_info *pi, const struct extension *e, time_t now)
{
	char deadline[96], start[96], until[96];
	enum window_state w = window_of(pi, e, now);
	if (w == WINDOW_SKIPPED)
		return xstrdup("Kỳ này không yêu cầu báo cáo (không có ngày làm việc); không cần "
			       "gửi.");
	when_text(pi->unit_deadline, deadline, sizeof deadline);
	if (w == WINDOW_NOT_STARTED) {
		if (!pi->has_span)
			return xstrdup("Kỳ báo cáo này chưa bắt đầu nên chưa nhận báo cáo.");
		when_text(pi->starts, start, sizeof start);
		return xasprintf("Kỳ báo cáo chưa bắt đầu: hệ thống nhận báo cáo từ %s; hạn gửi "
				 "là %s.", start, deadline);
	}
	if (w == WINDOW_OPEN)
		return xasprintf("Đang trong hạn gửi báo cáo: hạn gửi là %s.", deadline);
	bool cut = strcmp(pi->state, "open") != 0 || now > pi->unit_deadline;
	if (w == WINDOW_EXTENDED) {
		when_text(e->until, until, sizeof until);
		const char *reason = e->reason ? e->reason : "";
		size_t n = strlen(reason);
		bool stop = n > 0 && strchr(".!?", reason[n - 1]) != NULL;
		return xasprintf("Đơn vị được gia hạn gửi báo cáo đến %s (hạn chung là %s). Lý "
				 "do: %s%s Báo cáo gửi đến hết thời điểm này được tính đúng hạn%s",
				 until, deadline, reason, stop ? "" : ".",
				 cut ? "; bản khóa sổ đã lập lúc hết hạn chung, nên báo cáo sẽ vào "
				       "bản tổng hợp sau như phần bổ sung." : ".");
	}
	if (e != NULL && e->present && e->until > pi->unit_deadline) {
		when_text(e->until, until, sizeof until);
		return xasprintf("Đã quá hạn gia hạn (%s; lý do gia hạn: %s). Báo cáo vẫn được "
				 "nhận nhưng được đánh dấu gửi muộn.", until,
				 e->reason ? e->reason : "");
	}
	return xasprintf("Đã quá hạn gửi báo cáo (%s). Báo cáo vẫn được nhận nhưng được đánh "
			 "dấu gửi muộn.", deadline);
}

/* Writes the window as JSON. */
void window_json(struct json *j, const struct period_info *pi, const struct extension *e,
		 time_t now)
{
	enum window_state w = window_of(pi, e, now);
	char *text = window_text(pi, e, now);
	json_object_begin(j);
	json_kv_string(j, "state", window_code(w));
	json_kv_string(j, "text", text);
	bool extended = e != NULL && e->present && e->until > pi->unit_deadline;
	if (w == WINDOW_SKIPPED) {
		json_key(j, "deadline");
		json_null(j);
	} else {
		json_time(j, "deadline", extended ? e->until : pi->unit_deadline);
	}
	json_object_end(j);
	free(text);
}

/* A version's timeliness in words. */
char *extension_timeliness_text(bool on_time, time_t extended_until)
{
	if (!on_time)
		return xstrdup("Gửi muộn");
	if (extended_until == 0)
		return xstrdup("Đúng hạn");
	char until[96];
	when_text(extended_until, until, sizeof until);
	return xasprintf("Đúng hạn (gia hạn đến %s)", until);
}
