/* Per-account upload limits: a fixed window of one minute, kept in each daemon's memory. */
#ifndef BAOCAO_RATELIMIT_H
#define BAOCAO_RATELIMIT_H

#include <stdbool.h>
#include <time.h>

/*
 * Counts one event of an account at now and says whether it is within per_minute events in
 * the current minute (per_minute 0: no limit). Thread-safe. *retry_after is set to the
 * seconds until the window opens again when the answer is false.
 */
bool ratelimit_allow(long long account_id, long long per_minute, time_t now, int *retry_after);
#endif
