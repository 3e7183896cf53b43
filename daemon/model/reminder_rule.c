/* When reminders go out: rules relative to the units' deadline, so a deadline moved by the
 * calendar moves its reminders too. */
#include "reminder_rule.h"
#include "calendar.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Parses "-1d 15:00", "0d 08:30", "-30m" or "-2h". */
int reminder_parse(const char *text, struct reminder_rule *out, char **err)
{
	memset(out, 0, sizeof *out);
	int a, h, m, n = 0;
	char unit;
	if (sscanf(text, "%d%c%n", &a, &unit, &n) == 2 && (unit == 'm' || unit == 'h') &&
	    text[n] == '\0' && text[0] == '-') {
		out->before = true;
		out->minutes_before = -a * (unit == 'h' ? 60 : 1);
		if (out->minutes_before >= 1 && out->minutes_before <= 7 * 24 * 60)
			return 0;
	} else if (sscanf(text, "%dd %d:%d%n", &a, &h, &m, &n) == 3 && text[n] == '\0' &&
		   a <= 0 && a >= -31 && h >= 0 && h <= 23 && m >= 0 && m <= 59) {
		out->days = a;
		out->minute = h * 60 + m;
		return 0;
	}
	*err = xasprintf("invalid reminder '%s': write the time before the units' deadline as "
			 "-1d 15:00 (the day before, at 15:00), 0d 08:30 (the deadline's day), "
			 "-30m or -2h", text);
	return -1;
}

/* Writes a rule's canonical text. */
void reminder_format(const struct reminder_rule *r, char buf[REMINDER_BUF])
{
	if (r->before && r->minutes_before % 60 == 0)
		snprintf(buf, REMINDER_BUF, "-%dh", r->minutes_before / 60);
	else if (r->before)
		snprintf(buf, REMINDER_BUF, "-%dm", r->minutes_before);
	else
		snprintf(buf, REMINDER_BUF, "%dd %02d:%02d", r->days, r->minute / 60, r->minute % 60);
}

/* When a rule fires for a deadline. */
int reminder_due(const struct reminder_rule *r, time_t deadline, time_t *out)
{
	if (r->before) {
		*out = deadline - (time_t)r->minutes_before * 60;
		return 0;
	}
	cal_day day;
	int minute;
	if (cal_day_of_time(deadline, &day, &minute) != 0)
		return -1;
	return cal_local_time(day + r->days, r->minute, out);
}
