/* Report periods: their kinds and identifiers (2026-W47, 2026-11, 2026-Q4, 2026-H2, 2026, ad
 * hoc slugs), their bounds in days and in time, neighbours and Vietnamese titles. */
#include "calendar.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

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
	bool ok = n >= 4 && cal_digits(id, 4, &y);
	switch (kind) {
	case PERIOD_WEEKLY:
		ok = ok && n == 8 && id[4] == '-' && id[5] == 'W' && cal_digits(id + 6, 2, &i);
		break;
	case PERIOD_MONTHLY:
		ok = ok && n == 7 && id[4] == '-' && cal_digits(id + 5, 2, &i);
		break;
	case PERIOD_QUARTERLY:
		ok = ok && n == 7 && id[4] == '-' && id[5] == 'Q' && cal_digits(id + 6, 1, &i);
		break;
	case PERIOD_HALF_YEARLY:
		ok = ok && n == 7 && id[4] == '-' && id[5] == 'H' && cal_digits(id + 6, 1, &i);
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
