/* When the recipients should have acknowledged a consolidated report: a rule relative to the
 * consolidation deadline (series key ack_by), so that a deadline moved by the calendar moves
 * it too. */
#ifndef BAOCAO_ACK_RULE_H
#define BAOCAO_ACK_RULE_H

#include <stdbool.h>
#include <time.h>

/* "0d 16:30" (the deadline's day at 16:30, the default), "+1d 08:00" (the day after, at
 * 08:00), or "+1h" / "+90m" (that long after the deadline). */
struct ack_rule {
	bool after;		/* a span after the deadline */
	int days;		/* !after: days added to the deadline's day, 0..31 */
	int minute;		/* !after: minute of that local day, 0..1439 */
	int minutes_after;	/* after: 1..10080 */
};

#define ACK_RULE_BUF 32
#define ACK_RULE_MINUTES_MAX (7 * 24 * 60)	/* "+Nm" / "+Nh" at most a week */
#define ACK_RULE_LEAD_MINUTES 60		/* the due time is this long after the deadline
						 * at the earliest */
#define ACK_RULE_DEFAULT ((struct ack_rule){ .days = 0, .minute = 16 * 60 + 30 })

/* Parses a rule; 0, or -1 with *err (English, naming the accepted forms). */
int ack_rule_parse(const char *text, struct ack_rule *out, char **err);
/* Writes the rule's canonical text into buf. */
void ack_rule_format(const struct ack_rule *r, char buf[ACK_RULE_BUF]);
/* Whether two rules are the same. */
bool ack_rule_equal(const struct ack_rule *a, const struct ack_rule *b);
/* When the rule falls for a consolidation deadline, never earlier than ACK_RULE_LEAD_MINUTES
 * after the deadline; -1 when the time cannot be computed. */
int ack_rule_due(const struct ack_rule *r, time_t deadline, time_t *out);

#endif
