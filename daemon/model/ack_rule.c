/* When the recipients should have acknowledged a consolidated report: a rule relative to the
 * consolidation deadline. */
#include "ack_rule.h"
#include "calendar.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Parses "0d 16:30", "+1d 08:00", "+1h" or "+90m". */
int ack_rule_parse(const char *text, struct ack_rule *out, char **err)
{
	memset(out, 0, sizeof *out);
	int a, h, m, n = 0;
	char unit;
	if (text[0] == '+' && sscanf(text + 1, "%d%c%n", &a, &unit, &n) == 2 &&
	    (unit == 'm' || unit == 'h') && text[1 + n] == '\0') {
		out->after = true;
		out->minutes_after = a * (unit == 'h' ? 60 : 1);
		if (out->minutes_after >= 1 && out->minutes_after <= 7 * 24 * 60)
			return 0;
	} else if (sscanf(text, "%dd %d:%d%n", &a, &h, &m, &n) == 3 && text[n] == '\0' &&
		   a >= 0 && a <= 31 && h >= 0 && h <= 23 && m >= 0 && m <= 59) {
		out->days = a;
		out->minute = h * 60 + m;
		return 0;
	}
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

/* When a rule falls for a deadline (the deadline itself at the earliest). */
int ack_rule_due(const struct ack_rule *r, time_t deadline, time_t *out)
{
	if (r->after) {
		*out = deadline + (time_t)r->minutes_after * 60;
		return 0;
	}
	cal_day day;
	int minute;
	if (cal_day_of_time(deadline, &day, &minute) != 0 ||
	    cal_local_time(day + r->days, r->minute, out) != 0)
		return -1;
	if (*out < deadline)
		*out = deadline;
	return 0;
}
