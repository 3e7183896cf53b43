/* When reminders go out: rules relative to the units' deadline, so a deadline moved by the
 * calendar moves its reminders too. */
#ifndef BAOCAO_REMINDER_H
#define BAOCAO_REMINDER_H

#include <stdbool.h>
#include <time.h>

/* "-1d 15:00" (the day before the deadline's day, at 15:00), "0d 08:30" (the deadline's day),
 * or "-30m" / "-2h" (that long before the deadline). */
struct reminder_rule {
	bool before;		/* a span before the deadline */
	int days;		/* !before: days added to the deadline's day, -31..0 */
	int minute;		/* !before: minute of that local day, 0..1439 */
	int minutes_before;	/* before: 1..10080 */
};

#define REMINDER_BUF 32

/* Parses a rule; 0, or -1 with *err (English, naming the accepted forms). */
int reminder_parse(const char *text, struct reminder_rule *out, char **err);
/* Writes the rule's canonical text into buf. */
void reminder_format(const struct reminder_rule *r, char buf[REMINDER_BUF]);
/* When the rule fires for a deadline; -1 when the time cannot be computed. */
int reminder_due(const struct reminder_rule *r, time_t deadline, time_t *out);

#endif
