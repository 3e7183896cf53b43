/* Tests of civil dates, the working-day calendar, period ids and deadline computation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack_rule.h"
#include "calendar.h"
#include "clock.h"
#include "reminder_rule.h"
#include "util.h"

#define CALENDAR_CSV TEST_SOURCE_ROOT "/config/vn-calendar-2026.csv"
#define CASES_DIR TEST_SOURCE_ROOT "/tests/unit/data/"

/* Loads config/vn-calendar-2026.csv into a new calendar. */
static struct cal_calendar *load_2026(void)
{
	char *text = NULL;
	size_t len = 0;
	char *err = NULL;
	if (file_read_all(CALENDAR_CSV, 1 << 20, &text, &len) != 0)
		fail_msg("cannot read %s", CALENDAR_CSV);
	struct cal_calendar *cal = cal_calendar_new();
	if (cal_calendar_load_csv(cal, text, len, &err) != 0)
		fail_msg("%s: %s", CALENDAR_CSV, err);
	free(text);
	return cal;
}

/* Splits a '|'-separated case line into trimmed fields; returns the count. */
static int split_fields(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *bar = strchr(p, '|');
		if (bar != NULL)
			*bar = '\0';
		if (n == max)
			return -1;
		fields[n++] = str_trim(p);
		if (bar == NULL)
			return n;
		p = bar + 1;
	}
}

/* Calls fn for every case line of a data file (skipping comments and blank lines). */
static int for_each_case(const char *name, int nfields, void *ctx,
			 void (*fn)(void *ctx, unsigned line, char **f, int n))
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", CASES_DIR, name);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	char buf[1024];
	unsigned line = 0;
	int count = 0;
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		char *s = str_trim(buf);
		if (s[0] == '\0' || s[0] == '#')
			continue;
		char *f[8];
		int n = split_fields(s, f, 8);
		if (n < nfields)
			fail_msg("%s:%u: expected %d fields", name, line, nfields);
		fn(ctx, line, f, n);
		count++;
	}
	assert_int_equal(fclose(fp), 0);
	return count;
}

/* Runs one deadline case: kind | period | rule | shift | expected. */
static void deadline_case(void *ctx, unsigned line, char **f, int n)
{
	const struct cal_calendar *cal = ctx;
	enum period_kind kind;
	struct period p;
	struct cal_rule rule;
	enum cal_shift shift;
	struct cal_deadline dl;
	char *err = NULL;
	bool want_error = strcmp(f[4], "error") == 0;

	if (period_kind_parse(f[0], &kind) != 0)
		fail_msg("calendar_cases.txt:%u: bad kind '%s'", line, f[0]);
	int rc = period_parse(kind, f[1], &p, &err);
	if (rc == 0)
		rc = cal_rule_parse(f[2], &rule, &err);
	if (rc == 0 && cal_shift_parse(f[3], &shift) != 0) {
		err = xasprintf("bad shift '%s'", f[3]);
		rc = -1;
	}
	if (rc == 0)
		rc = cal_deadline_compute(cal, &p, &rule, shift, &dl, &err);
	if (want_error) {
		if (rc == 0)
			fail_msg("calendar_cases.txt:%u: expected an error", line);
		assert_non_null(err);
		assert_true(strlen(err) > 0);
		free(err);
		return;
	}
	if (rc != 0)
		fail_msg("calendar_cases.txt:%u: %s", line, err);
	if (strcmp(f[4], "skipped") == 0) {
		if (!dl.skipped)
			fail_msg("calendar_cases.txt:%u: expected skipped", line);
		assert_string_equal(dl.reason_code, "no_working_day");
		assert_true(strlen(dl.reason_vi) > 0);
		return;
	}
	if (dl.skipped)
		fail_msg("calendar_cases.txt:%u: unexpectedly skipped", line);
	char got[CAL_RFC3339_BUF];
	assert_int_equal(cal_format_rfc3339(dl.when, got, sizeof(got)), 0);
	if (strcmp(got, f[4]) != 0)
		fail_msg("calendar_cases.txt:%u: got %s, expected %s", line, got, f[4]);
	assert_int_equal(dl.shifted, dl.day != dl.nominal);
	assert_int_equal(dl.reason_code == NULL, !dl.shifted);
}

/* Every case of calendar_cases.txt against the shipped 2026 calendar. */
static void test_deadline_cases(void **state)
{
	struct cal_calendar *cal = load_2026();
	int n = for_each_case("calendar_cases.txt", 5, cal, deadline_case);
	assert_true(n >= 60);
	cal_calendar_free(cal);
}

/* Runs one period case: kind | id | first | last | prev | next, or kind | id | error. */
static void period_case(void *ctx, unsigned line, char **f, int n)
{
	enum period_kind kind;
	struct period p, q;
	char *err = NULL;
	char buf[PERIOD_ID_BUF], a[CAL_DATE_BUF], b[CAL_DATE_BUF];
	cal_day first, last;

	if (period_kind_parse(f[0], &kind) != 0)
		fail_msg("period_cases.txt:%u: bad kind '%s'", line, f[0]);
	int rc = period_parse(kind, f[1], &p, &err);
	if (strcmp(f[2], "error") == 0) {
		if (rc == 0)
			fail_msg("period_cases.txt:%u: '%s' accepted", line, f[1]);
		if (n > 3 && strstr(err, f[3]) == NULL)
			fail_msg("period_cases.txt:%u: message '%s' lacks '%s'", line, err, f[3]);
		free(err);
		return;
	}
	if (rc != 0)
		fail_msg("period_cases.txt:%u: %s", line, err);
	period_format(&p, buf);
	assert_string_equal(buf, f[1]);
	if (kind == PERIOD_ADHOC) {
		assert_int_equal(period_bounds(&p, &first, &last), -1);
		assert_int_equal(period_next(&p, &q), -1);
		return;
	}
	if (n < 6)
		fail_msg("period_cases.txt:%u: expected 6 fields", line);
	assert_int_equal(period_bounds(&p, &first, &last), 0);
	cal_format_date(first, a);
	cal_format_date(last, b);
	if (strcmp(a, f[2]) != 0 || strcmp(b, f[3]) != 0)
		fail_msg("period_cases.txt:%u: bounds %s..%s, expected %s..%s", line, a, b, f[2],
			 f[3]);
	assert_int_equal(period_prev(&p, &q), 0);
	period_format(&q, buf);
	if (strcmp(buf, f[4]) != 0)
		fail_msg("period_cases.txt:%u: prev %s, expected %s", line, buf, f[4]);
	assert_int_equal(period_next(&p, &q), 0);
	period_format(&q, buf);
	if (strcmp(buf, f[5]) != 0)
		fail_msg("period_cases.txt:%u: next %s, expected %s", line, buf, f[5]);
}

/* Every case of period_cases.txt. */
static void test_period_cases(void **state)
{
	int n = for_each_case("period_cases.txt", 3, NULL, period_case);
	assert_true(n >= 30);
}

/* Day numbers round-trip through y-m-d, and weekdays advance one a day, 1900-9999. */
static void test_civil_roundtrip(void **state)
{
	cal_day start = cal_from_ymd(CAL_YEAR_MIN, 1, 1);
	cal_day end = cal_from_ymd(CAL_YEAR_MAX, 12, 31);
	int py, pm, pd;
	cal_to_ymd(start - 1, &py, &pm, &pd);
	assert_int_equal(py, CAL_YEAR_MIN - 1);
	for (cal_day d = start; d <= end; d++) {
		int y, m, dd;
		cal_to_ymd(d, &y, &m, &dd);
		if (!cal_ymd_valid(y, m, dd) || cal_from_ymd(y, m, dd) != d)
			fail_msg("day %d -> %d-%d-%d", (int)d, y, m, dd);
		bool next_day = (y == py && m == pm && dd == pd + 1) ||
				(y == py && m == pm + 1 && dd == 1) ||
				(y == py + 1 && m == 1 && pm == 12 && dd == 1);
		if (!next_day)
			fail_msg("%d-%d-%d does not follow %d-%d-%d", y, m, dd, py, pm, pd);
		if (cal_weekday(d) != (cal_weekday(d - 1) % 7) + 1)
			fail_msg("weekday of day %d", (int)d);
		py = y;
		pm = m;
		pd = dd;
	}
	assert_int_equal(cal_from_ymd(1970, 1, 1), 0);
	assert_int_equal(cal_weekday(0), 4);
	assert_int_equal(cal_weekday(cal_from_ymd(2026, 11, 27)), 5);
	assert_int_equal(cal_weekday(cal_from_ymd(1900, 1, 1)), 1);
	assert_false(cal_ymd_valid(2026, 2, 29));
	assert_true(cal_ymd_valid(2028, 2, 29));
	assert_false(cal_ymd_valid(1900, 2, 29));
	assert_true(cal_ymd_valid(2000, 2, 29));
	assert_false(cal_ymd_valid(10000, 1, 1));
	assert_false(cal_ymd_valid(2026, 4, 31));
}

/* Every day lies in the period containing it; periods tile the time line; ids round-trip. */
static void test_periods_tile(void **state)
{
	static const enum period_kind kinds[] = {
		PERIOD_WEEKLY, PERIOD_MONTHLY, PERIOD_QUARTERLY, PERIOD_HALF_YEARLY, PERIOD_YEARLY,
	};
	for (size_t k = 0; k < nitems(kinds); k++) {
		struct period p, q, r;
		cal_day first, last, nfirst, nlast;
		assert_int_equal(period_containing(kinds[k], cal_from_ymd(2000, 1, 1), &p), 0);
		for (int i = 0; i < 2000; i++) {
			assert_int_equal(period_bounds(&p, &first, &last), 0);
			assert_true(first <= last);
			for (cal_day d = first; d <= last; d++) {
				assert_int_equal(period_containing(kinds[k], d, &q), 0);
				assert_true(period_equal(&p, &q));
			}
			char id[PERIOD_ID_BUF];
			char *err = NULL;
			period_format(&p, id);
			if (period_parse(kinds[k], id, &r, &err) != 0)
				fail_msg("%s: %s", id, err);
			assert_true(period_equal(&p, &r));
			assert_int_equal(period_next(&p, &q), 0);
			assert_int_equal(period_bounds(&q, &nfirst, &nlast), 0);
			assert_int_equal(nfirst, last + 1);
			assert_int_equal(period_prev(&q, &r), 0);
			assert_true(period_equal(&p, &r));
			if (kinds[k] == PERIOD_WEEKLY)
				assert_int_equal(cal_weekday(first), 1);
			p = q;
		}
	}
}

/* ISO week facts: 53-week years, week 1 and the last week. */
static void test_iso_weeks(void **state)
{
	static const int long_years[] = { 2004, 2009, 2015, 2020, 2026, 2032, 2037 };
	for (int y = 2000; y <= 2040; y++) {
		bool is_long = false;
		for (size_t i = 0; i < nitems(long_years); i++)
			is_long = is_long || long_years[i] == y;
		assert_int_equal(cal_iso_weeks_in_year(y), is_long ? 53 : 52);
	}
	int y, w;
	cal_iso_week(cal_from_ymd(2026, 1, 1), &y, &w);
	assert_int_equal(y, 2026);
	assert_int_equal(w, 1);
	cal_iso_week(cal_from_ymd(2025, 12, 29), &y, &w);
	assert_int_equal(y, 2026);
	assert_int_equal(w, 1);
	cal_iso_week(cal_from_ymd(2027, 1, 3), &y, &w);
	assert_int_equal(y, 2026);
	assert_int_equal(w, 53);
	cal_iso_week(cal_from_ymd(2026, 11, 16), &y, &w);
	assert_int_equal(w, 47);
	assert_int_equal(cal_iso_week_monday(2026, 18), cal_from_ymd(2026, 4, 27));
}

/* The issue's named cases, with their Vietnamese texts. */
static void test_issue_cases(void **state)
{
	struct cal_calendar *cal = load_2026();
	struct period p;
	struct cal_rule unit, cons;
	struct cal_deadline dl;
	char *err = NULL;
	char buf[CAL_VI_LONG_BUF];

	assert_int_equal(cal_rule_parse("fri 11:00", &unit, &err), 0);
	assert_int_equal(cal_rule_parse("fri 15:30", &cons, &err), 0);
	assert_int_equal(period_parse(PERIOD_WEEKLY, "2026-W18", &p, &err), 0);
	assert_int_equal(cal_deadline_compute(cal, &p, &unit, CAL_SHIFT_PREVIOUS, &dl, &err), 0);
	assert_false(dl.skipped);
	assert_true(dl.shifted);
	assert_string_equal(dl.reason_code, "shifted_previous");
	assert_string_equal(dl.reason_vi, "Ngày 01/05/2026 (thứ Sáu) không phải ngày làm việc; "
			    "hạn chuyển sang thứ Tư, ngày 29/04/2026.");
	assert_int_equal(cal_format_vi_long(dl.when, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "11 giờ 00, thứ Tư, ngày 29/04/2026");
	assert_int_equal(cal_format_rfc3339(dl.when, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-04-29T11:00:00+07:00");
	assert_int_equal(dl.when, 1777435200);	/* 2026-04-29T04:00:00Z */

	assert_int_equal(cal_deadline_compute(cal, &p, &cons, CAL_SHIFT_NEXT, &dl, &err), 0);
	assert_string_equal(dl.reason_code, "shifted_next");
	assert_int_equal(cal_format_vi_long(dl.when, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "15 giờ 30, thứ Hai, ngày 04/05/2026");

	assert_int_equal(period_parse(PERIOD_WEEKLY, "2026-W48", &p, &err), 0);
	assert_int_equal(cal_deadline_compute(cal, &p, &unit, CAL_SHIFT_PREVIOUS, &dl, &err), 0);
	assert_false(dl.shifted);
	assert_null(dl.reason_code);
	assert_string_equal(dl.reason_vi, "");
	assert_int_equal(cal_format_vi_long(dl.when, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "11 giờ 00, thứ Sáu, ngày 27/11/2026");

	assert_int_equal(period_parse(PERIOD_WEEKLY, "2026-W08", &p, &err), 0);
	assert_int_equal(cal_deadline_compute(cal, &p, &unit, CAL_SHIFT_PREVIOUS, &dl, &err), 0);
	assert_true(dl.skipped);
	assert_string_equal(dl.reason_code, "no_working_day");
	assert_string_equal(dl.reason_vi, "Tuần 08 năm 2026 (16/02/2026 - 22/02/2026) không có "
			    "ngày làm việc nào; không yêu cầu báo cáo.");

	/* The week open on Friday 27/11/2026 at 10:59:59 and at 23:59:59 is W48; at
	 * midnight W49 opens. */
	struct period q;
	time_t starts, ends, t;
	assert_int_equal(period_parse(PERIOD_WEEKLY, "2026-W48", &p, &err), 0);
	assert_int_equal(period_span(&p, &starts, &ends), 0);
	assert_int_equal(cal_format_rfc3339(starts, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-23T00:00:00+07:00");
	assert_int_equal(cal_format_rfc3339(ends, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-30T00:00:00+07:00");
	assert_int_equal(cal_local_time(cal_from_ymd(2026, 11, 27), 11 * 60 - 1, &t), 0);
	assert_int_equal(period_at_time(PERIOD_WEEKLY, t, &q), 0);
	assert_true(period_equal(&p, &q));
	assert_int_equal(period_at_time(PERIOD_WEEKLY, ends - 1, &q), 0);
	assert_true(period_equal(&p, &q));
	assert_int_equal(period_at_time(PERIOD_WEEKLY, ends, &q), 0);
	assert_int_equal(q.index, 49);
	assert_int_equal(period_at_time(PERIOD_HALF_YEARLY, ends, &q), 0);
	period_format(&q, buf);
	assert_string_equal(buf, "2026-H2");
	assert_int_equal(period_at_time(PERIOD_ADHOC, ends, &q), -1);

	assert_int_equal(period_parse(PERIOD_WEEKLY, "2026-W53", &p, &err), 0);
	assert_int_equal(period_parse(PERIOD_WEEKLY, "2027-W53", &p, &err), -1);
	assert_string_equal(err, "invalid weekly period id '2027-W53': 2027 has 52 ISO weeks");
	free(err);
	cal_calendar_free(cal);
}

/* Formatting: Vietnamese weekday names and long form, RFC 3339, rules, titles. */
static void test_formatting(void **state)
{
	static const char *const names[] = {
		"thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật",
	};
	for (int i = 1; i <= 7; i++)
		assert_string_equal(cal_weekday_name_vi(i), names[i - 1]);

	time_t t;
	char buf[CAL_VI_LONG_BUF];
	assert_int_equal(cal_local_time(cal_from_ymd(2026, 1, 4), 8 * 60 + 5, &t), 0);
	assert_int_equal(cal_format_vi_long(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8 giờ 05, Chủ nhật, ngày 04/01/2026");
	assert_int_equal(cal_format_rfc3339(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-01-04T08:05:00+07:00");
	assert_int_equal(cal_format_rfc3339(t, buf, 10), -1);
	assert_int_equal(cal_format_vi_long(t, buf, 10), -1);
	cal_day d;
	int minute;
	assert_int_equal(cal_day_of_time(t, &d, &minute), 0);
	assert_int_equal(d, cal_from_ymd(2026, 1, 4));
	assert_int_equal(minute, 485);
	assert_int_equal(cal_local_time(d, 1440, &t), -1);

	char date[CAL_DATE_BUF];
	cal_format_date_vi(cal_from_ymd(2026, 1, 5), date);
	assert_string_equal(date, "05/01/2026");
	assert_int_equal(cal_parse_date("2026-01-05", &d), 0);
	cal_format_date(d, date);
	assert_string_equal(date, "2026-01-05");
	assert_int_equal(cal_parse_date("2026-1-05", &d), -1);
	assert_int_equal(cal_parse_date("2026-02-29", &d), -1);
	assert_int_equal(cal_parse_date("2026-01-05x", &d), -1);

	static const struct {
		const char *in, *out;
	} rules[] = {
		{ "fri 11:00", "fri 11:00" },
		{ "  FRIDAY   9:05 ", "fri 09:05" },
		{ "+5d 17:00", "+5d 17:00" },
		{ "-0d 7:30", "+0d 07:30" },
		{ "-16d 17:00", "-16d 17:00" },
		{ "11-04 17:00", "11-04 17:00" },
		{ "next 01-15 00:00", "next 01-15 00:00" },
		{ "2026-06-30 23:59", "2026-06-30 23:59" },
	};
	for (size_t i = 0; i < nitems(rules); i++) {
		struct cal_rule r;
		char *err = NULL;
		char out[CAL_RULE_BUF];
		if (cal_rule_parse(rules[i].in, &r, &err) != 0)
			fail_msg("'%s': %s", rules[i].in, err);
		cal_rule_format(&r, out);
		assert_string_equal(out, rules[i].out);
	}
	static const char *const bad_rules[] = {
		"", "fri", "11:00", "fri 11", "fri 1100", "fri 11:00 extra", "+d 11:00",
		"+367d 11:00", "5d 11:00", "next fri 11:00", "13-01 10:00", "02-29 10:00",
		"2026-13-01 10:00", "thứ 6 11:00",
		"a very long rule text that goes on and on and on and on past the buffer 11:00",
	};
	for (size_t i = 0; i < nitems(bad_rules); i++) {
		struct cal_rule r;
		char *err = NULL;
		if (cal_rule_parse(bad_rules[i], &r, &err) == 0)
			fail_msg("rule '%s' accepted", bad_rules[i]);
		assert_non_null(err);
		free(err);
	}

	static const struct {
		enum period_kind kind;
		const char *id, *title;
	} titles[] = {
		{ PERIOD_WEEKLY, "2026-W47", "Tuần 47 năm 2026 (16/11/2026 - 22/11/2026)" },
		{ PERIOD_MONTHLY, "2026-11", "Tháng 11 năm 2026" },
		{ PERIOD_QUARTERLY, "2026-Q4", "Quý IV năm 2026" },
		{ PERIOD_HALF_YEARLY, "2026-H1", "6 tháng đầu năm 2026" },
		{ PERIOD_HALF_YEARLY, "2026-H2", "6 tháng cuối năm 2026" },
		{ PERIOD_YEARLY, "2026", "Năm 2026" },
		{ PERIOD_ADHOC, "bao-cao-5990", "Báo cáo đột xuất bao-cao-5990" },
	};
	for (size_t i = 0; i < nitems(titles); i++) {
		struct period p;
		char *err = NULL;
		char title[128];
		assert_int_equal(period_parse(titles[i].kind, titles[i].id, &p, &err), 0);
		assert_int_equal(period_title_vi(&p, title, sizeof(title)), 0);
		assert_string_equal(title, titles[i].title);
		assert_int_equal(period_title_vi(&p, title, 5), -1);
	}

	static const char *const kinds[] = {
		"weekly", "monthly", "quarterly", "half-yearly", "yearly", "adhoc",
	};
	for (size_t i = 0; i < nitems(kinds); i++) {
		enum period_kind k;
		assert_int_equal(period_kind_parse(kinds[i], &k), 0);
		assert_string_equal(period_kind_name(k), kinds[i]);
	}
	enum period_kind k;
	assert_int_equal(period_kind_parse("Ad-Hoc", &k), 0);
	assert_int_equal(k, PERIOD_ADHOC);
	assert_int_equal(period_kind_parse("daily", &k), -1);
	enum cal_shift s;
	assert_int_equal(cal_shift_parse("Previous", &s), 0);
	assert_string_equal(cal_shift_name(s), "previous");
	assert_int_equal(cal_shift_parse("next", &s), 0);
	assert_string_equal(cal_shift_name(s), "next");
	assert_int_equal(cal_shift_parse("nearest", &s), -1);
}

/* The shipped 2026 CSV and the working days it makes. */
static void test_calendar_2026(void **state)
{
	struct cal_calendar *cal = load_2026();
	assert_int_equal(cal_calendar_count(cal), 16);
	assert_false(cal_is_working_day(cal, cal_from_ymd(2026, 1, 1)));
	assert_false(cal_is_working_day(cal, cal_from_ymd(2026, 1, 2)));
	assert_true(cal_is_working_day(cal, cal_from_ymd(2026, 1, 10)));	/* Saturday */
	assert_false(cal_is_working_day(cal, cal_from_ymd(2026, 1, 11)));	/* Sunday */
	assert_true(cal_is_working_day(cal, cal_from_ymd(2026, 1, 12)));
	assert_false(cal_is_working_day(cal, cal_from_ymd(2026, 4, 27)));
	assert_false(cal_is_working_day(cal, cal_from_ymd(2026, 9, 2)));
	assert_true(cal_is_working_day(cal, cal_from_ymd(2026, 9, 3)));
	/* Three Fridays of 2026 are holidays (domain README). */
	int fridays = 0;
	for (cal_day d = cal_from_ymd(2026, 1, 1); d <= cal_from_ymd(2026, 12, 31); d++)
		fridays += cal_weekday(d) == 5 && !cal_is_working_day(cal, d);
	assert_int_equal(fridays, 3);
	/* Only 2026-W08 of the 53 weeks has no working day. */
	int skipped = 0;
	for (int w = 1; w <= 53; w++) {
		cal_day mon = cal_iso_week_monday(2026, w);
		bool any = false;
		for (int i = 0; i < 7; i++)
			any = any || cal_is_working_day(cal, mon + i);
		if (!any) {
			assert_int_equal(w, 8);
			skipped++;
		}
	}
	assert_int_equal(skipped, 1);
	cal_calendar_free(cal);
}

/* Counts rows for the CSV callback test. */
static int count_row(void *ctx, unsigned line, cal_day day, enum cal_day_kind kind,
		     const char *note)
{
	int *n = ctx;
	if (*n == 0) {
		assert_int_equal(line, 2);
		assert_int_equal(day, cal_from_ymd(2027, 1, 1));
		assert_int_equal(kind, CAL_HOLIDAY);
		assert_string_equal(note, "Tết Dương lịch, \"mùng 1\"");
	}
	(*n)++;
	return 0;
}

/* CSV reading: quoting, CRLF, BOM, errors that name the line, conflicts. */
static void test_csv(void **state)
{
	static const char good[] = "\xEF\xBB\xBF" "date,kind,note\r\n"
				   "2027-01-01,holiday,\"Tết Dương lịch, \"\"mùng 1\"\"\"\r\n"
				   "\r\n"
				   "2027-01-09, WORKDAY ,\r\n"
				   "2027-01-09,workday\r\n";
	int n = 0;
	char *err = NULL;
	assert_int_equal(cal_csv_parse(good, strlen(good), count_row, &n, &err), 0);
	assert_int_equal(n, 3);
	struct cal_calendar *cal = cal_calendar_new();
	assert_int_equal(cal_calendar_load_csv(cal, good, strlen(good), &err), 0);
	assert_int_equal(cal_calendar_count(cal), 2);
	assert_true(cal_is_working_day(cal, cal_from_ymd(2027, 1, 9)));
	assert_false(cal_is_working_day(cal, cal_from_ymd(2027, 1, 1)));
	assert_int_equal(cal_calendar_add(cal, cal_from_ymd(2027, 1, 1), CAL_WORKDAY, &err), -1);
	assert_string_equal(err, "2027-01-01 is listed both as a holiday and as a workday");
	free(err);
	cal_calendar_free(cal);
	cal_calendar_free(NULL);

	static const struct {
		const char *text, *expect;
	} bad[] = {
		{ "", "empty" },
		{ "day,kind\n", "line 1: the header" },
		{ "date,kind,note\n2026-13-01,holiday,x\n", "line 2: invalid date '2026-13-01'" },
		{ "date,kind,note\n2026-01-01,vacation,x\n", "line 2: invalid kind 'vacation'" },
		{ "date,kind,note\n2026-01-01\n", "line 2: expected date,kind,note" },
		{ "date,kind,note\n\n2026-01-01,holiday,a,b\n", "line 3: malformed CSV" },
		{ "date,kind,note\n2026-01-01,holiday,\"open\n", "line 2: malformed CSV" },
		{ "date,kind,note\n2026-01-01,holiday,x\n2026-01-01,workday,y\n",
		  "line 3: 2026-01-01 is listed both" },
		{ "date,kind,note\n2026-01-01,holiday,\xff\n", "dòng 2: không phải văn bản UTF-8" },
		{ "date,kind,note\n2026-01-01,holiday,T\xef\xbf\xbf\n", "dòng 2: có ký tự không hợp lệ "
		  "(U+FFFF)" },
	};
	for (size_t i = 0; i < nitems(bad); i++) {
		cal = cal_calendar_new();
		err = NULL;
		if (cal_calendar_load_csv(cal, bad[i].text, strlen(bad[i].text), &err) == 0)
			fail_msg("bad CSV %zu accepted", i);
		if (strstr(err, bad[i].expect) == NULL)
			fail_msg("bad CSV %zu: '%s' lacks '%s'", i, err, bad[i].expect);
		free(err);
		cal_calendar_free(cal);
	}
}

/* Runs the tests in the time zone the daemon uses by default. */
/* Reminder rules: read, written back the same, and timed from the deadline they follow. */
static void test_reminder_rules(void **state)
{
	static const struct { const char *text, *canonical, *deadline, *due; } cases[] = {
		/* Week 18 of 2026: the deadline moved to Wednesday 29/04, and so do its reminders. */
		{ "-1d 15:00", "-1d 15:00", "2026-04-29T11:00:00+07:00", "2026-04-28T15:00:00+07:00" },
		{ "0d 8:30", "0d 08:30", "2026-04-29T11:00:00+07:00", "2026-04-29T08:30:00+07:00" },
		{ "-30m", "-30m", "2026-12-11T11:00:00+07:00", "2026-12-11T10:30:00+07:00" },
		{ "-120m", "-2h", "2026-12-11T11:00:00+07:00", "2026-12-11T09:00:00+07:00" },
		{ "-7d 08:30", "-7d 08:30", "2026-11-04T17:00:00+07:00", "2026-10-28T08:30:00+07:00" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct reminder_rule r;
		char *err = NULL;
		if (reminder_parse(cases[i].text, &r, &err) != 0)
			fail_msg("%s: %s", cases[i].text, err);
		char buf[REMINDER_BUF];
		reminder_format(&r, buf);
		assert_string_equal(buf, cases[i].canonical);
		time_t deadline, due, want;
		assert_int_equal(clock_parse_rfc3339(cases[i].deadline, &deadline), 0);
		assert_int_equal(clock_parse_rfc3339(cases[i].due, &want), 0);
		assert_int_equal(reminder_due(&r, deadline, &due), 0);
		assert_int_equal((long long)due, (long long)want);
	}
	static const char *const bad[] = { "thu 15:00", "+1d 08:00", "-1d", "-0m", "-1d 25:00",
					    "30m", "-99999m", "-40d 08:00", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reminder_rule r;
		char *err = NULL;
		if (reminder_parse(bad[i], &r, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "-1d 15:00"));
		free(err);
	}
}

/* ack_by rules: read, written back the same, and timed from the consolidation deadline. */
static void test_ack_rules(void **state)
{
	static const struct { const char *text, *canonical, *deadline, *due; } cases[] = {
		/* Week 18 of 2026: the deadline moved to Wednesday 29/04, and so does ack_by. */
		{ "0d 16:30", "0d 16:30", "2026-04-29T15:30:00+07:00", "2026-04-29T16:30:00+07:00" },
		{ "+1d 8:00", "+1d 08:00", "2026-12-11T15:30:00+07:00", "2026-12-12T08:00:00+07:00" },
		{ "+1h", "+1h", "2026-12-11T15:30:00+07:00", "2026-12-11T16:30:00+07:00" },
		{ "+90m", "+90m", "2026-12-11T15:30:00+07:00", "2026-12-11T17:00:00+07:00" },
		/* never earlier than an hour after the deadline */
		{ "0d 15:00", "0d 15:00", "2026-12-11T15:30:00+07:00", "2026-12-11T16:30:00+07:00" },
		{ "0d 16:30", "0d 16:30", "2026-11-04T17:00:00+07:00", "2026-11-04T18:00:00+07:00" },
		{ "+30m", "+30m", "2026-11-04T17:00:00+07:00", "2026-11-04T18:00:00+07:00" },
		{ "+7d 08:00", "+7d 08:00", "2026-11-04T17:00:00+07:00", "2026-11-11T08:00:00+07:00" },
		{ "+168h", "+168h", "2026-12-11T15:30:00+07:00", "2026-12-18T15:30:00+07:00" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ack_rule r;
		char *err = NULL;
		if (ack_rule_parse(cases[i].text, &r, &err) != 0)
			fail_msg("%s: %s", cases[i].text, err);
		char buf[ACK_RULE_BUF];
		ack_rule_format(&r, buf);
		assert_string_equal(buf, cases[i].canonical);
		time_t deadline, due, want;
		assert_int_equal(clock_parse_rfc3339(cases[i].deadline, &deadline), 0);
		assert_int_equal(clock_parse_rfc3339(cases[i].due, &want), 0);
		assert_int_equal(ack_rule_due(&r, deadline, &due), 0);
		assert_int_equal((long long)due, (long long)want);
	}
	struct ack_rule def = ACK_RULE_DEFAULT, r;
	char *err = NULL;
	assert_int_equal(ack_rule_parse("0d 16:30", &r, &err), 0);
	assert_true(ack_rule_equal(&r, &def));
	static const char *const bad[] = { "fri 16:30", "-1d 08:00", "-30m", "+0m", "16:30",
					    "0d 24:00", "+99999m", "+40d 08:00", "", "+169h",
					    "+10081m", "+2147483648m", "+71582789h",
					    "+99999999999999999999h", " 0d 16:30", "0d 16:5",
					    "0d 16:30x", "+-1h", "+ 1h", "+1x", "0d16:30",
					    "0d 16:030", "+1d 8:60", "0d 123:00" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (ack_rule_parse(bad[i], &r, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "0d 16:30"));
		free(err);
		err = NULL;
	}
}

int main(void)
{
	if (setenv("TZ", "Asia/Ho_Chi_Minh", 1) != 0)
		return 1;
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_cases),
		cmocka_unit_test(test_issue_cases),
		cmocka_unit_test(test_period_cases),
		cmocka_unit_test(test_calendar_2026),
		cmocka_unit_test(test_iso_weeks),
		cmocka_unit_test(test_civil_roundtrip),
		cmocka_unit_test(test_periods_tile),
		cmocka_unit_test(test_formatting),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_reminder_rules),
		cmocka_unit_test(test_ack_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
