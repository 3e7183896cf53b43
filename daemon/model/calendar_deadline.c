/* Deadline rules ("fri 11:00", "+5d 17:00", "11-04 17:00"): parsing, checking against a
 * period kind, and computing a period's deadline on the working-day calendar. */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Farthest a deadline may move, in days, before giving up. */
#define SHIFT_LIMIT 366

static const char *const weekday_abbr[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const weekday_full[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* Splits text into at most `max` lower-cased space-separated words in buf; returns count. */
static int split_words(const char *text, char *buf, size_t size, char **words, int max)
{
	size_t n = strlen(text);
	if (n >= size)
		return -1;
	for (size_t i = 0; i <= n; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	int count = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (count == max)
			return -1;
		words[count++] = w;
	}
	return count;
}

/* Parses "H:MM" or "HH:MM" into a minute of the day. */
static bool parse_hhmm(const char *s, int *minute)
{
	int h, m;
	size_t n = strlen(s);
	if (n == 4 && cal_digits(s, 1, &h) && s[1] == ':' && cal_digits(s + 2, 2, &m))
		;
	else if (n == 5 && cal_digits(s, 2, &h) && s[2] == ':' && cal_digits(s + 3, 2, &m))
		;
	else
		return false;
	if (h > 23 || m > 59)
		return false;
	*minute = h * 60 + m;
	return true;
}

/* Parses a "+Nd"/"-Nd" offset. */
static bool parse_offset(const char *s, int *offset)
{
	size_t n = strlen(s);
	int v;
	if (n < 3 || n > 5 || (s[0] != '+' && s[0] != '-') || s[n - 1] != 'd' ||
	    !cal_digits(s + 1, (int)n - 2, &v) || v > SHIFT_LIMIT)
		return false;
	*offset = s[0] == '-' ? -v : v;
	return true;
}

/* Parses rule text. */
int cal_rule_parse(const char *text, struct cal_rule *out, char **err)
{
	char buf[64];
	char *w[3];
	struct cal_rule r = { 0 };
	int n = split_words(text, buf, sizeof(buf), w, 3);
	int mm, dd, yy;

	if (n < 2) {
		*err = xasprintf("invalid deadline rule '%s': expected an anchor and a time, "
				 "e.g. 'fri 11:00', '+5d 17:00' or '11-04 17:00'", text);
		return -1;
	}
	if (!parse_hhmm(w[n - 1], &r.minute)) {
		*err = xasprintf("invalid deadline rule '%s': '%s' is not a time HH:MM "
				 "(00:00-23:59)", text, w[n - 1]);
		return -1;
	}
	const char *a = w[0];
	if (n == 3) {
		if (strcmp(a, "next") != 0) {
			*err = xasprintf("invalid deadline rule '%s': unexpected '%s'", text, a);
			return -1;
		}
		a = w[1];
		r.year_offset = 1;
	}
	size_t alen = strlen(a);
	for (int i = 0; i < 7 && n == 2; i++) {
		if (strcmp(a, weekday_abbr[i]) == 0 || strcmp(a, weekday_full[i]) == 0) {
			r.anchor = CAL_ANCHOR_WEEKDAY;
			r.weekday = i + 1;
			*out = r;
			return 0;
		}
	}
	if (n == 2 && (a[0] == '+' || a[0] == '-')) {
		if (!parse_offset(a, &r.offset)) {
			*err = xasprintf("invalid deadline rule '%s': '%s' is not an offset like "
					 "+5d (0 to %d days)", text, a, SHIFT_LIMIT);
			return -1;
		}
		r.anchor = CAL_ANCHOR_OFFSET;
		*out = r;
		return 0;
	}
	if (alen == 5 && a[2] == '-' && cal_digits(a, 2, &mm) && cal_digits(a + 3, 2, &dd)) {
		if (mm < 1 || mm > 12 || dd < 1 || dd > cal_days_in_month(2001, mm)) {
			*err = xasprintf("invalid deadline rule '%s': '%s' is not a day of every "
					 "year (MM-DD)", text, a);
			return -1;
		}
		r.anchor = CAL_ANCHOR_YEARDAY;
		r.month = mm;
		r.mday = dd;
		*out = r;
		return 0;
	}
	if (n == 2 && alen == 10 && a[4] == '-' && cal_digits(a, 4, &yy)) {
		if (cal_parse_date(a, &r.date) != 0) {
			*err = xasprintf("invalid deadline rule '%s': '%s' is not a date YYYY-MM-DD",
					 text, a);
			return -1;
		}
		r.anchor = CAL_ANCHOR_DATE;
		*out = r;
		return 0;
	}
	*err = xasprintf("invalid deadline rule '%s': '%s' is neither a weekday (mon-sun), an "
			 "offset (+5d), a day of the year (11-04, next 01-15) nor a date "
			 "(2026-06-30)", text, r.year_offset ? w[1] : a);
	return -1;
}

/* Checks that a rule can serve periods of a kind. */
int cal_rule_check(const struct cal_rule *rule, enum period_kind kind, char **err)
{
	const char *need = NULL;
	switch (rule->anchor) {
	case CAL_ANCHOR_WEEKDAY:
		if (kind != PERIOD_WEEKLY)
			need = "a weekday anchor serves weekly periods only";
		break;
	case CAL_ANCHOR_OFFSET:
		if (kind == PERIOD_ADHOC)
			need = "an ad hoc period needs an explicit date (YYYY-MM-DD HH:MM)";
		break;
	case CAL_ANCHOR_YEARDAY:
		if (kind != PERIOD_YEARLY)
			need = "a day-of-year anchor (MM-DD) serves yearly periods only";
		break;
	case CAL_ANCHOR_DATE:
		if (kind != PERIOD_ADHOC)
			need = "an explicit date serves ad hoc periods only";
		break;
	}
	if (need == NULL)
		return 0;
	char text[CAL_RULE_BUF];
	cal_rule_format(rule, text);
	*err = xasprintf("deadline rule '%s' does not fit %s periods: %s", text,
			 period_kind_name(kind), need);
	return -1;
}

/* Writes the canonical text of a rule. */
void cal_rule_format(const struct cal_rule *rule, char buf[CAL_RULE_BUF])
{
	int h = rule->minute / 60, m = rule->minute % 60;
	char d[CAL_DATE_BUF];
	switch (rule->anchor) {
	case CAL_ANCHOR_WEEKDAY:
		snprintf(buf, CAL_RULE_BUF, "%s %02d:%02d",
			 rule->weekday >= 1 && rule->weekday <= 7 ?
			 weekday_abbr[rule->weekday - 1] : "?", h, m);
		break;
	case CAL_ANCHOR_OFFSET:
		snprintf(buf, CAL_RULE_BUF, "%c%dd %02d:%02d", rule->offset < 0 ? '-' : '+',
			 abs(rule->offset), h, m);
		break;
	case CAL_ANCHOR_YEARDAY:
		snprintf(buf, CAL_RULE_BUF, "%s%02d-%02d %02d:%02d",
			 rule->year_offset ? "next " : "", rule->month, rule->mday, h, m);
		break;
	case CAL_ANCHOR_DATE:
		cal_format_date(rule->date, d);
		snprintf(buf, CAL_RULE_BUF, "%s %02d:%02d", d, h, m);
		break;
	}
}

/* Parses "previous" or "next". */
int cal_shift_parse(const char *s, enum cal_shift *out)
{
	if (strcasecmp(s, "previous") == 0)
		*out = CAL_SHIFT_PREVIOUS;
	else if (strcasecmp(s, "next") == 0)
		*out = CAL_SHIFT_NEXT;
	else
		return -1;
	return 0;
}

/* "previous" or "next". */
const char *cal_shift_name(enum cal_shift shift)
{
	return shift == CAL_SHIFT_NEXT ? "next" : "previous";
}

/* Searches from `from` in steps of `dir` for a working day, at most `limit` steps. */
static bool find_working(const struct cal_calendar *cal, cal_day from, int dir, int limit,
			 cal_day *found)
{
	for (int i = 1; i <= limit; i++) {
		cal_day d = from + dir * i;
		if (cal_is_working_day(cal, d)) {
			*found = d;
			return true;
		}
	}
	return false;
}

/* Computes the deadline of a period under a rule and a shift. */
int cal_deadline_compute(const struct cal_calendar *cal, const struct period *p,
			 const struct cal_rule *rule, enum cal_shift shift,
			 struct cal_deadline *out, char **err)
{
	struct cal_deadline r = { 0 };
	cal_day first = 0, last = 0, nominal = 0, day;
	char id[PERIOD_ID_BUF];
	bool adhoc = p->kind == PERIOD_ADHOC;

	if (cal_rule_check(rule, p->kind, err) != 0)
		return -1;
	period_format(p, id);
	if (!adhoc) {
		if (period_bounds(p, &first, &last) != 0) {
			*err = xasprintf("period %s has no dates", id);
			return -1;
		}
		bool any = false;
		for (cal_day d = first; d <= last && !any; d++)
			any = cal_is_working_day(cal, d);
		if (!any) {
			char title[160];
			if (period_title_vi(p, title, sizeof(title)) != 0)
				snprintf(title, sizeof(title), "Kỳ %s", id);
			r.skipped = true;
			r.reason_code = "no_working_day";
			snprintf(r.reason_vi, sizeof(r.reason_vi),
				 "%s không có ngày làm việc nào; không yêu cầu báo cáo.", title);
			*out = r;
			return 0;
		}
	}

	switch (rule->anchor) {
	case CAL_ANCHOR_WEEKDAY:
		nominal = first + rule->weekday - 1;
		break;
	case CAL_ANCHOR_OFFSET:
		nominal = last + rule->offset;
		break;
	case CAL_ANCHOR_YEARDAY:
		nominal = cal_from_ymd(p->year + rule->year_offset, rule->month, rule->mday);
		break;
	case CAL_ANCHOR_DATE:
		nominal = rule->date;
		break;
	}

	day = nominal;
	if (!cal_is_working_day(cal, nominal)) {
		bool found;
		if (shift == CAL_SHIFT_PREVIOUS) {
			int limit = adhoc ? SHIFT_LIMIT : (int)(nominal - first);
			if (limit > SHIFT_LIMIT)
				limit = SHIFT_LIMIT;
			found = limit > 0 && find_working(cal, nominal, -1, limit, &day);
			if (!found)
				found = find_working(cal, nominal, 1, SHIFT_LIMIT, &day);
		} else {
			found = find_working(cal, nominal, 1, SHIFT_LIMIT, &day);
		}
		if (!found) {
			*err = xasprintf("period %s: no working day within %d days of the "
					 "deadline's nominal day", id, SHIFT_LIMIT);
			return -1;
		}
		char a[CAL_DATE_BUF], b[CAL_DATE_BUF];
		cal_format_date_vi(nominal, a);
		cal_format_date_vi(day, b);
		r.shifted = true;
		r.reason_code = day < nominal ? "shifted_previous" : "shifted_next";
		snprintf(r.reason_vi, sizeof(r.reason_vi),
			 "Ngày %s (%s) không phải ngày làm việc; hạn chuyển sang %s, ngày %s.", a,
			 cal_weekday_name_vi(cal_weekday(nominal)),
			 cal_weekday_name_vi(cal_weekday(day)), b);
	}
	int y, m, d;
	cal_to_ymd(day, &y, &m, &d);
	if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX) {
		*err = xasprintf("period %s: deadline out of range", id);
		return -1;
	}
	r.nominal = nominal;
	r.day = day;
	r.minute = rule->minute;
	if (cal_local_time(day, rule->minute, &r.when) != 0) {
		*err = xasprintf("period %s: cannot convert the deadline to local time", id);
		return -1;
	}
	*out = r;
	return 0;
}
