/* Civil dates, local time and the working-day calendar (its CSV file included); periods are
 * in calendar_period.c, deadline rules in calendar_deadline.c. */
#include "calendar.h"
#include "csv.h"
#include "xmltext.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ---- civil dates ---- */

/* True for leap years of the proleptic Gregorian calendar. */
static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Number of days in a month of a year. */
int cal_days_in_month(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* True if y-m-d is a real date within CAL_YEAR_MIN..CAL_YEAR_MAX. */
bool cal_ymd_valid(int y, int m, int d)
{
	return y >= CAL_YEAR_MIN && y <= CAL_YEAR_MAX && m >= 1 && m <= 12 &&
	       d >= 1 && d <= cal_days_in_month(y, m);
}

/* Day number of y-m-d (H. Hinnant's days_from_civil). */
cal_day cal_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (cal_day)(era * 146097 + doe - 719468);
}

/* Year, month and day of a day number (H. Hinnant's civil_from_days). */
void cal_to_ymd(cal_day day, int *y, int *m, int *d)
{
	int z = day + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* ISO weekday: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday). */
int cal_weekday(cal_day day)
{
	int r = (int)(((int64_t)day % 7 + 7 + 3) % 7);
	return r + 1;
}

/* ISO 8601 week-numbering year and week of a day. */
void cal_iso_week(cal_day day, int *iso_year, int *week)
{
	cal_day thursday = day - (cal_weekday(day) - 1) + 3;
	int y, m, d;
	cal_to_ymd(thursday, &y, &m, &d);
	*iso_year = y;
	*week = (thursday - cal_from_ymd(y, 1, 1)) / 7 + 1;
}

/* The Monday of ISO week `week` of `iso_year`. */
cal_day cal_iso_week_monday(int iso_year, int week)
{
	cal_day jan4 = cal_from_ymd(iso_year, 1, 4);
	return jan4 - (cal_weekday(jan4) - 1) + (week - 1) * 7;
}

/* Number of ISO weeks in an ISO week-numbering year: the week of 28 December. */
int cal_iso_weeks_in_year(int iso_year)
{
	int y, w;
	cal_iso_week(cal_from_ymd(iso_year, 12, 28), &y, &w);
	return w;
}

/* Reads exactly n ASCII digits at s into *out; returns false otherwise. */
bool cal_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Parses exactly "YYYY-MM-DD". */
int cal_parse_date(const char *s, cal_day *out)
{
	int y, m, d;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !cal_digits(s, 4, &y) ||
	    !cal_digits(s + 5, 2, &m) || !cal_digits(s + 8, 2, &d) || !cal_ymd_valid(y, m, d))
		return -1;
	*out = cal_from_ymd(y, m, d);
	return 0;
}

/* Writes "YYYY-MM-DD". */
void cal_format_date(cal_day day, char buf[CAL_DATE_BUF])
{
	int y, m, d;
	cal_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(buf, CAL_DATE_BUF, "%04d-%02d-%02d", y, m, d);
}

/* Writes "dd/mm/yyyy". */
void cal_format_date_vi(cal_day day, char buf[CAL_DATE_BUF])
{
	int y, m, d;
	cal_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(buf, CAL_DATE_BUF, "%02d/%02d/%04d", d, m, y);
}

/* Vietnamese weekday name (ISO 1..7). */
const char *cal_weekday_name_vi(int iso_weekday)
{
	static const char *const names[7] = {
		"thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật",
	};
	if (iso_weekday < 1 || iso_weekday > 7)
		return "?";
	return names[iso_weekday - 1];
}

/* ---- local time ---- */

/* Local midnight + minute_of_day on a day, as UTC seconds. */
int cal_local_time(cal_day day, int minute_of_day, time_t *out)
{
	int y, m, d;
	if (minute_of_day < 0 || minute_of_day >= 24 * 60)
		return -1;
	cal_to_ymd(day, &y, &m, &d);
	struct tm tm = {
		.tm_year = y - 1900,
		.tm_mon = m - 1,
		.tm_mday = d,
		.tm_hour = minute_of_day / 60,
		.tm_min = minute_of_day % 60,
		.tm_isdst = -1,
	};
	errno = 0;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && errno != 0)
		return -1;
	*out = t;
	return 0;
}

/* The local date and minute of an instant. */
int cal_day_of_time(time_t t, cal_day *day, int *minute)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	*day = cal_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (minute != NULL)
		*minute = tm.tm_hour * 60 + tm.tm_min;
	return 0;
}

/* RFC 3339 with the local offset. */
int cal_format_rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, sign, off / 3600, off % 3600 / 60);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Vietnamese long form "11 giờ 00, thứ Sáu, ngày 27/11/2026". */
int cal_format_vi_long(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	cal_day day = cal_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	char date[CAL_DATE_BUF];
	cal_format_date_vi(day, date);
	int n = snprintf(buf, size, "%d giờ %02d, %s, ngày %s", tm.tm_hour, tm.tm_min,
			 cal_weekday_name_vi(cal_weekday(day)), date);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- working-day calendar ---- */

struct cal_entry {
	cal_day day;
	enum cal_day_kind kind;
};

struct cal_calendar {
	struct cal_entry *entries;	/* sorted by day, unique */
	size_t n, cap;
};

/* Parses "holiday" or "workday". */
int cal_day_kind_parse(const char *s, enum cal_day_kind *out)
{
	if (strcasecmp(s, "holiday") == 0)
		*out = CAL_HOLIDAY;
	else if (strcasecmp(s, "workday") == 0)
		*out = CAL_WORKDAY;
	else
		return -1;
	return 0;
}

/* "holiday" or "workday". */
const char *cal_day_kind_name(enum cal_day_kind kind)
{
	return kind == CAL_WORKDAY ? "workday" : "holiday";
}

/* A new calendar with no entries. */
struct cal_calendar *cal_calendar_new(void)
{
	return xcalloc(1, sizeof(struct cal_calendar));
}

/* Frees a calendar. */
void cal_calendar_free(struct cal_calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->entries);
	free(cal);
}

/* Index of the first entry with day >= day. */
static size_t lower_bound(const struct cal_calendar *cal, cal_day day)
{
	size_t lo = 0, hi = cal->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->entries[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds an entry, keeping the array sorted. */
int cal_calendar_add(struct cal_calendar *cal, cal_day day, enum cal_day_kind kind, char **err)
{
	size_t i = lower_bound(cal, day);
	if (i < cal->n && cal->entries[i].day == day) {
		if (cal->entries[i].kind == kind)
			return 0;
		char d[CAL_DATE_BUF];
		cal_format_date(day, d);
		*err = xasprintf("%s is listed both as a holiday and as a workday", d);
		return -1;
	}
	if (cal->n == cal->cap) {
		cal->cap = cal->cap ? cal->cap * 2 : 32;
		cal->entries = xrealloc(cal->entries, cal->cap * sizeof(cal->entries[0]));
	}
	memmove(&cal->entries[i + 1], &cal->entries[i], (cal->n - i) * sizeof(cal->entries[0]));
	cal->entries[i].day = day;
	cal->entries[i].kind = kind;
	cal->n++;
	return 0;
}

/* Number of entries. */
size_t cal_calendar_count(const struct cal_calendar *cal)
{
	return cal->n;
}

/* True if the day is a working day. */
bool cal_is_working_day(const struct cal_calendar *cal, cal_day day)
{
	size_t i = lower_bound(cal, day);
	if (i < cal->n && cal->entries[i].day == day)
		return cal->entries[i].kind == CAL_WORKDAY;
	return cal_weekday(day) <= 5;
}

/* What the reading of a calendar CSV hands to each record. */
struct cal_reader {
	cal_csv_row_fn row;
	void *ctx;
	char *err;
};

/* Checks one record of a calendar CSV (the header on line 1) and hands a data row on; returns
 * 1 with r->err set on an error. */
static int cal_csv_record(void *arg, char **f, int n, int line)
{
	struct cal_reader *r = arg;
	if (n > 3) {
		r->err = xasprintf("line %d: malformed CSV (more than 3 fields or a bad quote)", line);
		return 1;
	}
	for (int i = 0; i < n; i++)
		str_trim(f[i]);
	if (line == 1) {
		if (n < 2 || strcasecmp(f[0], "date") != 0 || strcasecmp(f[1], "kind") != 0 ||
		    (n == 3 && strcasecmp(f[2], "note") != 0)) {
			r->err = xstrdup("line 1: the header must be date,kind,note");
			return 1;
		}
		return 0;
	}
	cal_day day;
	enum cal_day_kind kind;
	if (n < 2) {
		r->err = xasprintf("line %d: expected date,kind,note", line);
		return 1;
	}
	if (cal_parse_date(f[0], &day) != 0) {
		r->err = xasprintf("line %d: invalid date '%s' (expected YYYY-MM-DD)", line, f[0]);
		return 1;
	}
	if (cal_day_kind_parse(f[1], &kind) != 0) {
		r->err = xasprintf("line %d: invalid kind '%s' (expected holiday or workday)", line,
				   f[1]);
		return 1;
	}
	if (r->row(r->ctx, (unsigned)line, day, kind, n == 3 ? f[2] : "") != 0) {
		r->err = xasprintf("line %d: rejected", line);
		return 1;
	}
	return 0;
}

/*
 * Parses calendar CSV text, calling row for every data line. The file is read as it always
 * was: a quote inside a note is text, lines are counted by record (a note over two lines is
 * one), and a line of "" is a record, not a blank line.
 */
int cal_csv_parse(const char *text, size_t len, cal_csv_row_fn row, void *ctx, char **err)
{
	char *problem = xmltext_file_problem(text, len);
	if (problem != NULL) {
		*err = xasprintf("calendar CSV: %s", problem);
		free(problem);
		return -1;
	}
	size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (len == bom) {
		*err = xstrdup("calendar CSV is empty (the header date,kind,note is required)");
		return -1;
	}
	struct cal_reader r = { row, ctx, NULL };
	int bad_line = 0;
	int rc = csv_parse_flags(text, len, CSV_QUOTE_IN_FIELD | CSV_RECORD_LINES | CSV_QUOTED_EMPTY,
				 cal_csv_record, &r, &bad_line);
	if (rc == 0)
		return 0;
	if (rc == -1)
		*err = xasprintf("line %d: malformed CSV (more than 3 fields or a bad quote)",
				 bad_line);
	else
		*err = r.err;
	return -1;
}

struct load_ctx {
	struct cal_calendar *cal;
	char *err;
};

/* Adds one CSV row to the calendar, keeping the first conflict's message. */
static int load_row(void *ctx, unsigned line, cal_day day, enum cal_day_kind kind,
		    const char *note)
{
	struct load_ctx *lc = ctx;
	char *e = NULL;
	if (cal_calendar_add(lc->cal, day, kind, &e) != 0) {
		lc->err = xasprintf("line %u: %s", line, e);
		free(e);
		return -1;
	}
	return 0;
}

/* Adds every row of calendar CSV text to cal. */
int cal_calendar_load_csv(struct cal_calendar *cal, const char *text, size_t len, char **err)
{
	struct load_ctx lc = { cal, NULL };
	char *e = NULL;
	if (cal_csv_parse(text, len, load_row, &lc, &e) == 0)
		return 0;
	if (lc.err != NULL) {
		free(e);
		*err = lc.err;
	} else {
		*err = e;
	}
	return -1;
}
