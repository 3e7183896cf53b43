/* Civil dates, the working-day calendar, report periods and their deadlines: the header of
 * calendar.c, calendar_period.c and calendar_deadline.c. */
#ifndef BAOCAO_CALENDAR_H
#define BAOCAO_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Everything here is pure computation over values the caller owns. Nothing keeps hidden
 * state: a struct cal_calendar is built once (cal_calendar_new + cal_calendar_add, or
 * cal_calendar_load_csv) and may then be read from any number of threads at once, as long as
 * nobody adds to it meanwhile. Local times use the process's time zone (TZ, tzset()); the
 * daemon sets it once at start-up, before any thread exists.
 *
 * Functions that can fail return 0 on success and -1 on failure; those with a char **err
 * argument then set *err to an English message (free it), and leave it alone on success.
 * docs/calendar.md describes the rule syntax and the shifting of deadlines in prose.
 */

/* A civil date as a day number: days since 1970-01-01 (negative before). */
typedef int32_t cal_day;

/* Dates must lie in these years (period ids have four-digit years). */
#define CAL_YEAR_MIN 1900
#define CAL_YEAR_MAX 9999

/* Room for "YYYY-MM-DD" and "dd/mm/yyyy" with the terminating NUL. */
#define CAL_DATE_BUF 11
/* Room for "2026-04-29T11:00:00+07:00". */
#define CAL_RFC3339_BUF 32
/* Room for "11 giờ 00, thứ Sáu, ngày 27/11/2026" and longer. */
#define CAL_VI_LONG_BUF 64

/* True if y-m-d is a real date within CAL_YEAR_MIN..CAL_YEAR_MAX. */
bool cal_ymd_valid(int y, int m, int d);
/* Day number of y-m-d (proleptic Gregorian; the caller checks validity). */
cal_day cal_from_ymd(int y, int m, int d);
/* Year, month and day of a day number. */
void cal_to_ymd(cal_day day, int *y, int *m, int *d);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int cal_weekday(cal_day day);
/* Number of days in a month of a year. */
int cal_days_in_month(int y, int m);
/* ISO 8601 week-numbering year and week (1..53) of a day. */
void cal_iso_week(cal_day day, int *iso_year, int *week);
/* Number of ISO weeks (52 or 53) in an ISO week-numbering year. */
int cal_iso_weeks_in_year(int iso_year);
/* The Monday of ISO week `week` of `iso_year` (the caller checks the week exists). */
cal_day cal_iso_week_monday(int iso_year, int week);
/* Reads exactly n ASCII digits at s into *out; false if any of them is not a digit. */
bool cal_digits(const char *s, int n, int *out);
/* Parses exactly "YYYY-MM-DD"; returns 0, or -1 if malformed or not a real date. */
int cal_parse_date(const char *s, cal_day *out);
/* Writes "YYYY-MM-DD" into buf (CAL_DATE_BUF bytes). */
void cal_format_date(cal_day day, char buf[CAL_DATE_BUF]);
/* Writes the Vietnamese form "dd/mm/yyyy" (zero-padded) into buf (CAL_DATE_BUF bytes). */
void cal_format_date_vi(cal_day day, char buf[CAL_DATE_BUF]);
/* Vietnamese weekday name, lower-case "thứ Hai" ... "thứ Bảy", "Chủ nhật" (ISO 1..7). */
const char *cal_weekday_name_vi(int iso_weekday);

/* Local midnight + minute_of_day on a day, as UTC seconds (mktime); returns 0 or -1. */
int cal_local_time(cal_day day, int minute_of_day, time_t *out);
/* The local date (and minute of the day, if minute is not NULL) of an instant; 0 or -1. */
int cal_day_of_time(time_t t, cal_day *day, int *minute);
/* RFC 3339 with the local offset, e.g. "2026-04-29T11:00:00+07:00"; returns 0 or -1. */
int cal_format_rfc3339(time_t t, char *buf, size_t size);
/* Vietnamese long form, e.g. "11 giờ 00, thứ Sáu, ngày 27/11/2026"; returns 0 or -1. */
int cal_format_vi_long(time_t t, char *buf, size_t size);

/* ---- working-day calendar ---- */

/* What an entry says about a day: a holiday, or a weekend day worked in exchange. */
enum cal_day_kind {
	CAL_HOLIDAY,
	CAL_WORKDAY,
};

/* The set of entries; Mon-Fri work and Sat/Sun rest unless an entry says otherwise. */
struct cal_calendar;

/* Parses "holiday" or "workday" (ASCII case-insensitive); returns 0 or -1. */
int cal_day_kind_parse(const char *s, enum cal_day_kind *out);
/* "holiday" or "workday". */
const char *cal_day_kind_name(enum cal_day_kind kind);
/* A new calendar with no entries (plain weekdays/weekends). */
struct cal_calendar *cal_calendar_new(void);
/* Frees a calendar; NULL is allowed. */
void cal_calendar_free(struct cal_calendar *cal);
/* Adds an entry; the same entry twice is fine, a conflicting one is an error (-1, *err). */
int cal_calendar_add(struct cal_calendar *cal, cal_day day, enum cal_day_kind kind, char **err);
/* Number of entries. */
size_t cal_calendar_count(const struct cal_calendar *cal);
/* True if the day is a working day. */
bool cal_is_working_day(const struct cal_calendar *cal, cal_day day);

/* Called once per data row of a calendar CSV; a non-zero return stops the parse with -1. */
typedef int (*cal_csv_row_fn)(void *ctx, unsigned line, cal_day day, enum cal_day_kind kind,
			      const char *note);
/*
 * Parses calendar CSV text "date,kind,note" (header line required; date YYYY-MM-DD; kind
 * holiday|workday; note optional, may be "quoted" with "" for a quote; UTF-8; CRLF accepted).
 * Errors name the line. The importer uses this directly; cal_calendar_load_csv builds on it.
 */
int cal_csv_parse(const char *text, size_t len, cal_csv_row_fn row, void *ctx, char **err);
/* Adds every row of calendar CSV text to cal; returns 0 or -1 with *err naming the line. */
int cal_calendar_load_csv(struct cal_calendar *cal, const char *text, size_t len, char **err);

/* ---- periods ---- */

enum period_kind {
	PERIOD_WEEKLY,
	PERIOD_MONTHLY,
	PERIOD_QUARTERLY,
	PERIOD_HALF_YEARLY,
	PERIOD_YEARLY,
	PERIOD_ADHOC,
};

/* Longest ad hoc slug, and room for any period id with its NUL. */
#define PERIOD_SLUG_MAX 63
#define PERIOD_ID_BUF (PERIOD_SLUG_MAX + 1)

/*
 * One period of a series. Ids: weekly "2026-W47" (ISO week), monthly "2026-11", quarterly
 * "2026-Q4", half-yearly "2026-H2", yearly "2026"; ad hoc periods are named by a slug
 * ("bao-cao-5990": lower-case ASCII letters, digits and single hyphens, not starting or
 * ending with a hyphen, at most PERIOD_SLUG_MAX bytes, not "current") and have no dates of
 * their own: their deadlines are explicit (absolute rules).
 */
struct period {
	enum period_kind kind;
	int year;		/* ISO week-numbering year for weekly; 0 for ad hoc */
	int index;		/* week 1-53, month 1-12, quarter 1-4, half 1-2, 1 for yearly; 0 ad hoc */
	char slug[PERIOD_SLUG_MAX + 1];	/* ad hoc only; "" otherwise */
};

/* "weekly", "monthly", "quarterly", "half-yearly", "yearly" or "adhoc". */
const char *period_kind_name(enum period_kind kind);
/* Parses a kind name as above (also "ad-hoc", "half_yearly"; ASCII case-insensitive); 0 or -1. */
int period_kind_parse(const char *s, enum period_kind *out);
/* Parses a period id of the given kind, strictly (see struct period); 0 or -1 with *err. */
int period_parse(enum period_kind kind, const char *id, struct period *out, char **err);
/* Writes the period's id into buf (PERIOD_ID_BUF bytes). */
void period_format(const struct period *p, char buf[PERIOD_ID_BUF]);
/* First and last day of a period; -1 for ad hoc periods (no dates of their own). */
int period_bounds(const struct period *p, cal_day *first, cal_day *last);
/* The period of a kind that contains a day; -1 for ad hoc or a day out of range. */
int period_containing(enum period_kind kind, cal_day day, struct period *out);
/* The period of a kind open at an instant (by its local date); -1 as period_containing. */
int period_at_time(enum period_kind kind, time_t t, struct period *out);
/* The period as instants: local midnight of its first day to local midnight after its last
 * (ends is exclusive); -1 for ad hoc periods. */
int period_span(const struct period *p, time_t *starts, time_t *ends);
/* The period following p; -1 for ad hoc or past CAL_YEAR_MAX. */
int period_next(const struct period *p, struct period *out);
/* The period preceding p; -1 for ad hoc or before CAL_YEAR_MIN. */
int period_prev(const struct period *p, struct period *out);
/* True if both name the same period. */
bool period_equal(const struct period *a, const struct period *b);
/*
 * Vietnamese title of a period for documents: "Tuần 47 năm 2026 (16/11/2026 - 22/11/2026)",
 * "Tháng 11 năm 2026", "Quý IV năm 2026", "6 tháng đầu năm 2026", "6 tháng cuối năm 2026",
 * "Năm 2026", "Báo cáo đột xuất bao-cao-5990". Returns 0, or -1 if buf is too small.
 */
int period_title_vi(const struct period *p, char *buf, size_t size);

/* ---- deadline rules ---- */

/*
 * A deadline rule: a nominal date relative to the period, and a local time of day.
 *
 *   rule    = anchor SP time
 *   time    = H:MM | HH:MM                      00:00 .. 23:59, local time
 *   anchor  = weekday                           weekly only: mon tue wed thu fri sat sun
 *                                               (or monday ... sunday): that day of the ISO week
 *           | "+" N "d" | "-" N "d"             N (0..366) days after / before the period's
 *                                               last day; any kind but ad hoc ("+0d" = last day)
 *           | MM "-" DD                         yearly only: that day of the period's year
 *           | "next" SP MM "-" DD               yearly only: that day of the following year
 *           | YYYY "-" MM "-" DD                ad hoc only: that date (explicit deadline)
 *
 * Case and extra spaces do not matter. 02-29 is refused in day-of-year anchors (not every year
 * has it). Examples: "fri 11:00" and "fri 15:30" (15-TB/BCĐ, weekly); "+5d 17:00" (the 5th of
 * the next month, for monthly); "+15d 17:00" (the 15th of the month after a quarter or half
 * year); "11-04 17:00" (yearly, before 05/11: NQ59 units) and "11-14 17:00" (before 15/11:
 * Sở Ngoại vụ's consolidation); "2026-06-30 17:00" (ad hoc).
 */
enum cal_anchor {
	CAL_ANCHOR_WEEKDAY,
	CAL_ANCHOR_OFFSET,
	CAL_ANCHOR_YEARDAY,
	CAL_ANCHOR_DATE,
};

struct cal_rule {
	enum cal_anchor anchor;
	int weekday;		/* CAL_ANCHOR_WEEKDAY: ISO 1..7 */
	int offset;		/* CAL_ANCHOR_OFFSET: days after the last day (negative: before) */
	int month, mday;	/* CAL_ANCHOR_YEARDAY */
	int year_offset;	/* CAL_ANCHOR_YEARDAY: 0, or 1 with "next" */
	cal_day date;		/* CAL_ANCHOR_DATE */
	int minute;		/* minute of the local day, 0..1439 */
};

/* Room for the canonical text of any rule. */
#define CAL_RULE_BUF 32

/* What to do with a nominal deadline that is not a working day. */
enum cal_shift {
	CAL_SHIFT_PREVIOUS,	/* the previous working day, not before the period's first day */
	CAL_SHIFT_NEXT,		/* the next working day, even in the next period */
};

/* Parses rule text (see above); returns 0 or -1 with *err. */
int cal_rule_parse(const char *text, struct cal_rule *out, char **err);
/* Checks that a rule can serve periods of a kind; returns 0 or -1 with *err. */
int cal_rule_check(const struct cal_rule *rule, enum period_kind kind, char **err);
/* Writes the canonical text of a rule ("fri 11:00", "+5d 17:00"...) into buf. */
void cal_rule_format(const struct cal_rule *rule, char buf[CAL_RULE_BUF]);
/* Parses "previous" or "next" (ASCII case-insensitive); returns 0 or -1. */
int cal_shift_parse(const char *s, enum cal_shift *out);
/* "previous" or "next". */
const char *cal_shift_name(enum cal_shift shift);

/* Room for the Vietnamese reason sentence. */
#define CAL_REASON_BUF 256

/* A computed deadline, or the statement that the period expects no report. */
struct cal_deadline {
	bool skipped;		/* the period has no working day: no report expected */
	bool shifted;		/* the nominal day was not a working day */
	cal_day nominal;	/* the day the rule names (not set when skipped) */
	cal_day day;		/* the deadline's local day (not set when skipped) */
	int minute;		/* minute of that day */
	time_t when;		/* the deadline instant (not set when skipped) */
	/* NULL when neither skipped nor shifted; else "no_working_day", "shifted_previous"
	 * or "shifted_next". */
	const char *reason_code;
	char reason_vi[CAL_REASON_BUF];	/* Vietnamese sentence for people; "" with no reason */
};

/*
 * Computes the deadline of period p under a rule and a shift. A period with no working day
 * at all is skipped (out->skipped, reason "no_working_day"). Otherwise the rule's nominal
 * day, if not a working day, moves: CAL_SHIFT_PREVIOUS to the nearest earlier working day
 * not before the period's first day (if there is none, to the next working day after the
 * nominal day); CAL_SHIFT_NEXT to the nearest later working day. Ad hoc periods take
 * absolute rules and search at most 366 days either way. Returns 0, or -1 with *err when
 * the rule does not fit the kind or no working day is found within 366 days.
 */
int cal_deadline_compute(const struct cal_calendar *cal, const struct period *p,
			 const struct cal_rule *rule, enum cal_shift shift,
			 struct cal_deadline *out, char **err);

#endif
