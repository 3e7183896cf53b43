/* Task deadlines from the plans' appendix text, reported states and the four official statuses. */
#ifndef BAOCAO_TASKSTATUS_H
#define BAOCAO_TASKSTATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"

/*
 * Pure functions over caller-owned values; no state, safe from any thread. Functions with a
 * char **err argument return -1 and set *err to an English message (free it) on failure.
 */

/* A task's deadline: a day, or none ("Thường xuyên": ongoing tasks are never overdue). */
struct task_deadline {
	bool has_date;
	cal_day day;		/* valid when has_date */
};

/*
 * Parses the "Thời gian hoàn thành" text of an appendix row. Case, surrounding and repeated
 * spaces, NFC or NFD diacritics and the dash used (-, –, —) do not matter. Accepted:
 *   "15/11/2026", "5/1/2026", "15-11-2026", "15.11.2026", "2026-11-15", "Ngày 15/11/2026"
 *                                                       that day
 *   "Năm 2026", "2026", "Trong năm 2026"                 31/12/2026
 *   "Năm 2026-2027", "Năm 2026 - 2027", "Giai đoạn 2026-2030"   31/12 of the last year
 *   "Quý III/2026", "Quý 3/2026", "Quý III năm 2026"     the last day of that quarter
 *   "Tháng 6/2026", "Tháng 06 năm 2026"                  the last day of that month
 *   "6 tháng đầu năm 2026" / "6 tháng cuối năm 2026"     30/06/2026 / 31/12/2026
 *   "Thường xuyên", "Hằng năm", "Hàng năm", "... và những năm tiếp theo"   no deadline
 * Anything else, or an impossible date, is an error whose message quotes the text.
 */
int task_deadline_parse(const char *text, struct task_deadline *out, char **err);

/* What the reporter says about a task. */
enum task_state {
	TASK_STATE_DONE,
	TASK_STATE_IN_PROGRESS,
	TASK_STATE_NOT_STARTED,
};

/*
 * Parses a reporter's status words: "Hoàn thành" / "Đã hoàn thành", "Đang thực hiện" /
 * "Đang triển khai", "Chưa triển khai" / "Chưa thực hiện", in any case, with or without
 * diacritics (NFC or NFD), and the codes done / in_progress / not_started. Returns 0 or -1.
 */
int task_state_parse(const char *text, enum task_state *out);
/* "done", "in_progress" or "not_started". */
const char *task_state_code(enum task_state state);
/* "Hoàn thành", "Đang thực hiện" or "Chưa triển khai" (the drop-down list's words). */
const char *task_state_label_vi(enum task_state state);

/* The four statuses the Government tracks tasks by. */
enum task_status {
	TASK_DONE_ON_TIME,		/* đã hoàn thành đúng hạn */
	TASK_DONE_LATE,			/* đã hoàn thành quá hạn */
	TASK_IN_PROGRESS_ON_TIME,	/* chưa hoàn thành trong hạn */
	TASK_OVERDUE,			/* chưa hoàn thành quá hạn */
};

/*
 * The one place the official status is derived.
 *   done:        completed on or before the deadline (or no deadline) -> done_on_time,
 *                completed after it -> done_late. Without a completion date (completed ==
 *                NULL) the task counts as completed on period_end, the latest it can have been.
 *   in progress or not started: no deadline, or period_end on or before the deadline ->
 *                in_progress_on_time; period_end after the deadline -> overdue.
 * deadline == NULL means no deadline. The deadline day itself is still on time.
 */
enum task_status task_status_derive(enum task_state state, const cal_day *completed,
				    const struct task_deadline *deadline, cal_day period_end);
/* "done_on_time", "done_late", "in_progress_on_time" or "overdue". */
const char *task_status_code(enum task_status status);
/* "Đã hoàn thành đúng hạn", "Đã hoàn thành quá hạn", "Chưa hoàn thành trong hạn",
 * "Chưa hoàn thành quá hạn". */
const char *task_status_label_vi(enum task_status status);
/* Parses an English status code; returns 0 or -1. */
int task_status_parse_code(const char *code, enum task_status *out);

/*
 * Folds text for matching: Vietnamese letters (NFC or NFD) lose their diacritics, đ becomes
 * d, ASCII is lower-cased, dashes become '-', runs of white space (also no-break space)
 * become one space, and the ends are trimmed. Other characters are copied. Returns a new
 * string (free it), or NULL if text is not valid UTF-8.
 */
char *task_fold(const char *text);

#endif
