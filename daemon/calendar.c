/* Civil dates, the working-day calendar, report periods and their deadlines. */
#include "calendar.h"
#include "xmltext.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Farthest a deadline may move, in days, before giving up. */
#define SHIFT_LIMIT 366

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
static bool digits(const char *s, int n, int *out)
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
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !cal_ymd_valid(y, m, d))
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

/* Splits one CSV record of at most `max` fields at *pos; returns the field count or -1. */
static int csv_record(const char *text, size_t len, size_t *pos, struct strbuf *fields,
		      int max)
{
	int n = 0;
	size_t p = *pos;
	for (;;) {
		if (n == max)
			return -1;
		struct strbuf *f = &fields[n++];
		strbuf_reset(f);
		strbuf_adds(f, "");
		if (p < len && text[p] == '"') {
			p++;
			for (;;) {
				if (p >= len)
					return -1;	/* unterminated quote */
				if (text[p] == '"') {
					if (p + 1 < len && text[p + 1] == '"') {
						strbuf_addc(f, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				strbuf_addc(f, text[p++]);
			}
			if (p < len && text[p] != ',' && text[p] != '\n' && text[p] != '\r')
				return -1;	/* text after the closing quote */
		} else {
			while (p < len && text[p] != ',' && text[p] != '\n' && text[p] != '\r')
				strbuf_addc(f, text[p++]);
		}
		if (p < len && text[p] == ',') {
			p++;
			continue;
		}
		if (p < len && text[p] == '\r')
			p++;
		if (p < len && text[p] == '\n')
			p++;
		*pos = p;
		return n;
	}
}

/* Parses calendar CSV text, calling row for every data line. */
int cal_csv_parse(const char *text, size_t len, cal_csv_row_fn row, void *ctx, char **err)
{
	struct strbuf f[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	size_t pos = 0;
	unsigned line = 0;
	int rc = -1;

	char *problem = xmltext_file_problem(text, len);
	if (problem != NULL) {
		*err = xasprintf("calendar CSV: %s", problem);
		free(problem);
		goto out;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;	/* byte order mark written by spreadsheet programs */
	while (pos < len) {
		line++;
		if (text[pos] == '\n' || text[pos] == '\r') {	/* blank line */
			pos += text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n' ? 2 : 1;
			continue;
		}
		int n = csv_record(text, len, &pos, f, 3);
		if (n < 0) {
			*err = xasprintf("line %u: malformed CSV (more than 3 fields or a bad quote)",
					 line);
			goto out;
		}
		for (int i = 0; i < n; i++)
			str_trim(f[i].data);
		if (line == 1) {
			if (n < 2 || strcasecmp(f[0].data, "date") != 0 ||
			    strcasecmp(f[1].data, "kind") != 0 ||
			    (n == 3 && strcasecmp(f[2].data, "note") != 0)) {
				*err = xstrdup("line 1: the header must be date,kind,note");
				goto out;
			}
			continue;
		}
		cal_day day;
		enum cal_day_kind kind;
		if (n < 2) {
			*err = xasprintf("line %u: expected date,kind,note", line);
			goto out;
		}
		if (cal_parse_date(f[0].data, &day) != 0) {
			*err = xasprintf("line %u: invalid date '%s' (expected YYYY-MM-DD)", line,
					 f[0].data);
			goto out;
		}
		if (cal_day_kind_parse(f[1].data, &kind) != 0) {
			*err = xasprintf("line %u: invalid kind '%s' (expected holiday or workday)",
					 line, f[1].data);
			goto out;
		}
		if (row(ctx, line, day, kind, n == 3 ? f[2].data : "") != 0) {
			*err = xasprintf("line %u: rejected", line);
			goto out;
		}
	}
	if (line == 0) {
		*err = xstrdup("calendar CSV is empty (the header date,kind,note is required)");
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < 3; i++)
		strbuf_free(&f[i]);
	return rc;
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

/* ---- periods ---- */

/* "weekly", "monthly", ... */
const char *period_kind_name(enum period_kind kind)
{
	switch (kind) {
	case PERIOD_WEEKLY:
		return "weekly";
	case PERIOD_MONTHLY:
		return "monthly";
	case PERIOD_QUARTERLY:
		return "quarterly";
	case PERIOD_HALF_YEARLY:
		return "half-yearly";
	case PERIOD_YEARLY:
		return "yearly";
	case PERIOD_ADHOC:
		return "adhoc";
	}
	return "?";
}

/* Parses a period kind name. */
int period_kind_parse(const char *s, enum period_kind *out)
{
	static const struct {
		const char *name;
		enum period_kind kind;
	} names[] = {
		{ "weekly", PERIOD_WEEKLY },
		{ "monthly", PERIOD_MONTHLY },
		{ "quarterly", PERIOD_QUARTERLY },
		{ "half-yearly", PERIOD_HALF_YEARLY },
		{ "half_yearly", PERIOD_HALF_YEARLY },
		{ "yearly", PERIOD_YEARLY },
		{ "adhoc", PERIOD_ADHOC },
		{ "ad-hoc", PERIOD_ADHOC },
	};
	for (size_t i = 0; i < nitems(names); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].kind;
			return 0;
		}
	}
	return -1;
}

/* Periods of each kind per year (weekly varies). */
static int per_year(enum period_kind kind)
{
	switch (kind) {
	case PERIOD_MONTHLY:
		return 12;
	case PERIOD_QUARTERLY:
		return 4;
	case PERIOD_HALF_YEARLY:
		return 2;
	default:
		return 1;
	}
}

/* Checks an ad hoc slug; returns NULL if fine, else what is wrong. */
static const char *slug_problem(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "it is empty";
	if (n > PERIOD_SLUG_MAX)
		return "it is longer than 63 characters";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return "only lower-case letters a-z, digits and hyphens are allowed";
		if (c == '-' && (i == 0 || i == n - 1 || s[i + 1] == '-'))
			return "hyphens must separate letters or digits";
	}
	if (strcmp(s, "current") == 0)
		return "'current' is reserved";
	return NULL;
}

/* Parses a period id of the given kind. */
int period_parse(enum period_kind kind, const char *id, struct period *out, char **err)
{
	static const char *const shapes[] = {
		[PERIOD_WEEKLY] = "YYYY-Www, e.g. 2026-W47",
		[PERIOD_MONTHLY] = "YYYY-MM, e.g. 2026-11",
		[PERIOD_QUARTERLY] = "YYYY-Qn, e.g. 2026-Q4",
		[PERIOD_HALF_YEARLY] = "YYYY-Hn, e.g. 2026-H2",
		[PERIOD_YEARLY] = "YYYY, e.g. 2026",
		[PERIOD_ADHOC] = "",
	};
	struct period p = { .kind = kind };
	size_t n = strlen(id);
	int y = 0, i = 0;

	if (kind == PERIOD_ADHOC) {
		const char *why = slug_problem(id);
		if (why != NULL) {
			*err = xasprintf("invalid ad hoc period id '%s': %s", id, why);
			return -1;
		}
		memcpy(p.slug, id, n + 1);
		*out = p;
		return 0;
	}
	if ((unsigned)kind >= nitems(shapes)) {
		*err = xstrdup("invalid period kind");
		return -1;
	}
	bool ok = n >= 4 && digits(id, 4, &y);
	switch (kind) {
	case PERIOD_WEEKLY:
		ok = ok && n == 8 && id[4] == '-' && id[5] == 'W' && digits(id + 6, 2, &i);
		break;
	case PERIOD_MONTHLY:
		ok = ok && n == 7 && id[4] == '-' && digits(id + 5, 2, &i);
		break;
	case PERIOD_QUARTERLY:
		ok = ok && n == 7 && id[4] == '-' && id[5] == 'Q' && digits(id + 6, 1, &i);
		break;
	case PERIOD_HALF_YEARLY:
		ok = ok && n == 7 && id[4] == '-' && id[5] == 'H' && digits(id + 6, 1, &i);
		break;
	default:
		ok = ok && n == 4;
		i = 1;
		break;
	}
	if (!ok) {
		*err = xasprintf("invalid %s period id '%s': expected %s", period_kind_name(kind), id,
				 shapes[kind]);
		return -1;
	}
	if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX) {
		*err = xasprintf("invalid %s period id '%s': year out of range %d-%d",
				 period_kind_name(kind), id, CAL_YEAR_MIN, CAL_YEAR_MAX);
		return -1;
	}
	int max = kind == PERIOD_WEEKLY ? cal_iso_weeks_in_year(y) : per_year(kind);
	if (i < 1 || i > max) {
		if (kind == PERIOD_WEEKLY)
			*err = xasprintf("invalid weekly period id '%s': %d has %d ISO weeks", id, y,
					 max);
		else
			*err = xasprintf("invalid %s period id '%s': number out of range 1-%d",
					 period_kind_name(kind), id, max);
		return -1;
	}
	p.year = y;
	p.index = i;
	*out = p;
	return 0;
}

/* Writes the period's id. */
void period_format(const struct period *p, char buf[PERIOD_ID_BUF])
{
	switch (p->kind) {
	case PERIOD_WEEKLY:
		snprintf(buf, PERIOD_ID_BUF, "%04d-W%02d", p->year, p->index);
		break;
	case PERIOD_MONTHLY:
		snprintf(buf, PERIOD_ID_BUF, "%04d-%02d", p->year, p->index);
		break;
	case PERIOD_QUARTERLY:
		snprintf(buf, PERIOD_ID_BUF, "%04d-Q%d", p->year, p->index);
		break;
	case PERIOD_HALF_YEARLY:
		snprintf(buf, PERIOD_ID_BUF, "%04d-H%d", p->year, p->index);
		break;
	case PERIOD_YEARLY:
		snprintf(buf, PERIOD_ID_BUF, "%04d", p->year);
		break;
	case PERIOD_ADHOC:
		snprintf(buf, PERIOD_ID_BUF, "%s", p->slug);
		break;
	}
}

/* First and last day of a period. */
int period_bounds(const struct period *p, cal_day *first, cal_day *last)
{
	if (p->kind == PERIOD_WEEKLY) {
		*first = cal_iso_week_monday(p->year, p->index);
		*last = *first + 6;
		return 0;
	}
	if (p->kind == PERIOD_ADHOC)
		return -1;
	int months = 12 / per_year(p->kind);
	int m1 = (p->index - 1) * months + 1;
	int m2 = m1 + months - 1;
	*first = cal_from_ymd(p->year, m1, 1);
	*last = cal_from_ymd(p->year, m2, cal_days_in_month(p->year, m2));
	return 0;
}

/* The period of a kind that contains a day. */
int period_containing(enum period_kind kind, cal_day day, struct period *out)
{
	struct period p = { .kind = kind };
	int y, m, d;
	if (kind == PERIOD_ADHOC)
		return -1;
	if (kind == PERIOD_WEEKLY) {
		cal_iso_week(day, &p.year, &p.index);
	} else {
		cal_to_ymd(day, &y, &m, &d);
		p.year = y;
		p.index = (m - 1) / (12 / per_year(kind)) + 1;
	}
	if (p.year < CAL_YEAR_MIN || p.year > CAL_YEAR_MAX)
		return -1;
	*out = p;
	return 0;
}

/* The period of a kind open at an instant. */
int period_at_time(enum period_kind kind, time_t t, struct period *out)
{
	cal_day day;
	if (cal_day_of_time(t, &day, NULL) != 0)
		return -1;
	return period_containing(kind, day, out);
}

/* The period as the instants [starts, ends). */
int period_span(const struct period *p, time_t *starts, time_t *ends)
{
	cal_day first, last;
	if (period_bounds(p, &first, &last) != 0 || cal_local_time(first, 0, starts) != 0 ||
	    cal_local_time(last + 1, 0, ends) != 0)
		return -1;
	return 0;
}

/* The period `delta` periods after p (before, if negative). */
static int period_step(const struct period *p, int delta, struct period *out)
{
	if (p->kind == PERIOD_ADHOC)
		return -1;
	if (p->kind == PERIOD_WEEKLY)
		return period_containing(PERIOD_WEEKLY,
					 cal_iso_week_monday(p->year, p->index) + 7 * delta, out);
	int k = per_year(p->kind);
	int seq = p->year * k + (p->index - 1) + delta;
	struct period q = { .kind = p->kind, .year = seq / k, .index = seq % k + 1 };
	if (q.year < CAL_YEAR_MIN || q.year > CAL_YEAR_MAX)
		return -1;
	*out = q;
	return 0;
}

/* The period following p. */
int period_next(const struct period *p, struct period *out)
{
	return period_step(p, 1, out);
}

/* The period preceding p. */
int period_prev(const struct period *p, struct period *out)
{
	return period_step(p, -1, out);
}

/* True if both name the same period. */
bool period_equal(const struct period *a, const struct period *b)
{
	return a->kind == b->kind && a->year == b->year && a->index == b->index &&
	       strcmp(a->slug, b->slug) == 0;
}

/* Vietnamese title of a period. */
int period_title_vi(const struct period *p, char *buf, size_t size)
{
	static const char *const roman[5] = { "", "I", "II", "III", "IV" };
	char a[CAL_DATE_BUF], b[CAL_DATE_BUF];
	cal_day first, last;
	int n = -1;

	switch (p->kind) {
	case PERIOD_WEEKLY:
		if (period_bounds(p, &first, &last) != 0)
			return -1;
		cal_format_date_vi(first, a);
		cal_format_date_vi(last, b);
		n = snprintf(buf, size, "Tuần %02d năm %d (%s - %s)", p->index, p->year, a, b);
		break;
	case PERIOD_MONTHLY:
		n = snprintf(buf, size, "Tháng %02d năm %d", p->index, p->year);
		break;
	case PERIOD_QUARTERLY:
		n = snprintf(buf, size, "Quý %s năm %d", roman[p->index >= 1 && p->index <= 4 ?
								p->index : 0], p->year);
		break;
	case PERIOD_HALF_YEARLY:
		n = snprintf(buf, size, "6 tháng %s năm %d", p->index == 1 ? "đầu" : "cuối",
			     p->year);
		break;
	case PERIOD_YEARLY:
		n = snprintf(buf, size, "Năm %d", p->year);
		break;
	case PERIOD_ADHOC:
		n = snprintf(buf, size, "Báo cáo đột xuất %s", p->slug);
		break;
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- deadline rules ---- */

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
	if (n == 4 && digits(s, 1, &h) && s[1] == ':' && digits(s + 2, 2, &m))
		;
	else if (n == 5 && digits(s, 2, &h) && s[2] == ':' && digits(s + 3, 2, &m))
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
	    !digits(s + 1, (int)n - 2, &v) || v > SHIFT_LIMIT)
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
	if (alen == 5 && a[2] == '-' && digits(a, 2, &mm) && digits(a + 3, 2, &dd)) {
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
	if (n == 2 && alen == 10 && a[4] == '-' && digits(a, 4, &yy)) {
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
