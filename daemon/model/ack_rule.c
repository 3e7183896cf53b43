/* When the recipients should have acknowledged a consolidated report: a rule relative to the
 * consolidation deadline. */
#include "ack_rule.h"
#include "calendar.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Reads 1 to `width` decimal digits at *s into *out, at most max; advances *s. Bounded before
 * it grows, so nothing overflows. False when there is no digit, more than width, or the
 * value passes max. */
static bool read_number(const char **s, int width, int max, int *out)
{
	const char *p = *s;
	int v = 0, n = 0;
	while (*p >= '0' && *p <= '9') {
		if (++n > width)
			return false;
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return false;
	}
	if (n == 0)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* Parses "0d 16:30", "+1d 08:00", "+1h" or "+90m". */
int ack_rule_parse(const char *text, struct ack_rule *out, char **err)
{
	memset(out, 0, sizeof *out);
	const char *p = text;
	int a, h, m;
	bool plus = *p == '+';
	p += plus;
	if (read_number(&p, 5, ACK_RULE_MINUTES_MAX, &a)) {
		if (plus && (p[0] == 'm' || p[0] == 'h') && p[1] == '\0') {
			/* a is bounded by the minutes; as hours, by the hours first */
			if (p[0] == 'h' && a > ACK_RULE_MINUTES_MAX / 60)
				goto bad;
			out->after = true;
			out->minutes_after = p[0] == 'h' ? a * 60 : a;
			if (out->minutes_after >= 1)
				return 0;
		} else if (p[0] == 'd' && a <= 31 && p[1] == ' ') {
			p += 2;
			while (*p == ' ')
				p++;
			if (read_number(&p, 2, 23, &h) && *p++ == ':' && p[0] >= '0' &&
			    p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
			    read_number(&p, 2, 59, &m) && *p == '\0') {
				out->days = a;
				out->minute = h * 60 + m;
				return 0;
			}
		}
	}
bad:
	memset(out, 0, sizeof *out);
	*err = xasprintf("invalid ack_by '%s': write when the recipients should have "
			 "acknowledged, after the consolidation deadline, as 0d 16:30 (the "
			 "deadline's day, at 16:30), +1d 08:00 (the day after), +1h or +90m", text);
	return -1;
}

/* Writes a rule's canonical text. */
void ack_rule_format(const struct ack_rule *r, char buf[ACK_RULE_BUF])
{
	if (r->after && r->minutes_after % 60 == 0)
		snprintf(buf, ACK_RULE_BUF, "+%dh", r->minutes_after / 60);
	else if (r->after)
		snprintf(buf, ACK_RULE_BUF, "+%dm", r->minutes_after);
	else if (r->days == 0)
		snprintf(buf, ACK_RULE_BUF, "0d %02d:%02d", r->minute / 60, r->minute % 60);
	else
		snprintf(buf, ACK_RULE_BUF, "+%dd %02d:%02d", r->days, r->minute / 60,
			 r->minute % 60);
}

/* Whether two rules are the same. */
bool ack_rule_equal(const struct ack_rule *a, const struct ack_rule *b)
{
	return a->after == b->after && (a->after ? a->minutes_after == b->minutes_after :
					 a->days == b->days && a->minute == b->minute);
}

/* When a rule falls for a deadline (ACK_RULE_LEAD_MINUTES after it at the earliest, so that
 * the recipients have time to read what arrived by the deadline). */
int ack_rule_due(const struct ack_rule *r, time_t deadline, time_t *out)
{
	if (r->after) {
		*out = deadline + (time_t)r->minutes_after * 60;
	} else {
		cal_day day;
		int minute;
		if (cal_day_of_time(deadline, &day, &minute) != 0 ||
		    cal_local_time(day + r->days, r->minute, out) != 0)
			return -1;
	}
	time_t earliest = deadline + (time_t)ACK_RULE_LEAD_MINUTES * 60;
	if (*out < earliest)
		*out = earliest;
	return 0;
}
