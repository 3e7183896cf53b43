/* The connection guard's log of refusals and slow connections (loop thread only). */
#ifndef BAOCAO_HTTP_GUARD_LOG_H
#define BAOCAO_HTTP_GUARD_LOG_H

#include <stdbool.h>

/* Notes one refused connection of a kind (key: an address, or "all addresses"; why: the limit,
 * a static string), logging it at most once a minute with the count since; when more kinds are
 * refused at once than are followed, the rest share one note. */
void guard_log_refusal(const char *key, const char *why);
/* Counts one connection closed for a head (head true) or a body that came too slowly. */
void guard_log_slow(bool head);
/* Logs the refusals and slow connections counted since their last line, once a minute (now:
 * the monotonic clock in ms). */
void guard_log_flush(long long now);

#endif
