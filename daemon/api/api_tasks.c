/* GET .../periods/{period}/tasks: the unit's tasks for a period, with the status, progress
 * and completion date of its latest earlier report, for the report form of the pages. */
#include "api.h"
#include "calendar.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "log.h"
#include "periods.h"
#include "submissions.h"
#include "unittasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The items of the unit's latest earlier report (current version), or NULL after answering.
 * The same report the workbook carries forward (template.c). */
static PGresult *carried_items(PGconn *conn, const struct period_info *pi, long long unit_id,
			       char **err)
{
	cal_day first, last;
	char starts[CAL_DATE_BUF];
	if (!pi->has_span || period_bounds(&pi->period, &first, &last) != 0)
		snprintf(starts, sizeof starts, "0001-01-01");	/* ad hoc periods stand alone */
	else
		cal_format_date(first, starts);
	return submissions_carried(conn, pi->series->name, unit_id, starts, err);
}

/* The row of the carried items for a task, or -1. */
static int carried_row(PGresult *r, long long task_id)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (atoll(PQgetvalue(r, i, 1)) == task_id)
			return i;
	return -1;
}

/* Writes a date field, or null. */
static void date_json(struct json *j, const char *key, bool has, cal_day d)
{
	char buf[CAL_DATE_BUF];
	json_key(j, key);
	if (has) {
		cal_format_date(d, buf);
		json_string(j, buf);
	} else {
		json_null(j);
	}
}

/* Writes one task with what is carried forward for it. */
static void task_json(struct json *j, const struct unit_task *t, PGresult *carried)
{
	json_object_begin(j);
	json_kv_string(j, "task", t->code);
	json_kv_string(j, "title", t->title);
	json_kv_bool(j, "lead", t->lead);
	json_kv_string(j, "leads", t->leads);
	date_json(j, "deadline", t->has_deadline, t->deadline);
	date_json(j, "starts_on", t->has_start, t->starts_on);
	json_key(j, "carried");
	int row = carried_row(carried, t->id);
	if (row < 0) {
		json_null(j);
	} else {
		/* submissions_carried: period_key, task_id, then what is carried */
		static const struct db_json_col cols[] = {
			{ NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { "status", DBJ_TEXT },
			{ "progress", DBJ_INT_NULL }, { "completed_on", DBJ_TEXT_NULL },
		};
		json_object_begin(j);
		db_json_members(j, carried, row, cols, nitems(cols));
		json_object_end(j);
	}
	json_object_end(j);
}

/* GET .../tasks[?unit=CODE] (the gate has checked who may ask for which unit). */
void api_tasks_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_period_of(rq, rs, cx, "tasks", &pi))
		return;
	const struct series_def *s = cx->series;
	char *err = NULL;
	struct unit_tasks ut;
	enum unit_tasks_result ur = unit_tasks_load(conn, s->name, pi.db_id, cx->unit, &ut, &err);
	if (ur != UNIT_TASKS_OK) {
		if (ur == UNIT_TASKS_DB) {
			api_db_failed(rs, cx->db, "tasks", err);
		} else {
			log_info("api", "tasks %s %s: %s", s->name, cx->unit, err);
			free(err);
			if (ur == UNIT_TASKS_UNKNOWN_UNIT)
				http_error(rs, 404, "unknown_unit", "Không có đơn vị với mã này. Hãy "
					   "kiểm tra lại mã đơn vị.");
			else
				http_error(rs, 403, "not_a_member", "Đơn vị này không thuộc diện gửi "
					   "loại báo cáo này. Nếu cần, hãy đề nghị quản trị viên bổ sung.");
		}
		unit_tasks_free(&ut);
		period_info_free(&pi);
		return;
	}
	PGresult *carried = carried_items(conn, &pi, ut.unit_id, &err);
	if (carried == NULL) {
		api_db_failed(rs, cx->db, "tasks: carried", err);
		unit_tasks_free(&ut);
		period_info_free(&pi);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", s->name);
	json_kv_string(&j, "period", pi.id);
	json_kv_string(&j, "unit", cx->unit);
	json_kv_string(&j, "unit_name", ut.unit_name);
	json_kv_string(&j, "carried_from", PQntuples(carried) ? PQgetvalue(carried, 0, 0) : NULL);
	json_key(&j, "tasks");
	json_array_begin(&j);
	for (size_t i = 0; i < ut.n; i++)
		task_json(&j, &ut.items[i], carried);
	json_array_end(&j);
	json_object_end(&j);
	PQclear(carried);
	unit_tasks_free(&ut);
	period_info_free(&pi);
}
