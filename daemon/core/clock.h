/* The one clock every component reads, so that tests can say "it is Friday 10:59:59". */
#ifndef BAOCAO_CLOCK_H
#define BAOCAO_CLOCK_H

#include <time.h>

/* Current time (UTC seconds), shifted when a test clock is set. */
time_t clock_now(void);
/* Current time in milliseconds, shifted likewise. */
long long clock_now_ms(void);
/* Monotonic milliseconds for timeouts and backoff; never shifted. */
long long clock_mono_ms(void);
/*
 * Reads BAOCAO_FAKE_NOW (RFC 3339, e.g. 2026-11-27T10:59:59+07:00): the clock then starts at
 * that instant and runs on. Returns 1 if a fake clock is set, 0 if not, -1 if the value is bad.
 */
int clock_init_from_env(void);
/* Moves the clock so that now is t. */
void clock_set(time_t t);
/* Parses an RFC 3339 time with a Z or ±hh:mm offset. Returns 0 or -1. */
int clock_parse_rfc3339(const char *s, time_t *out);

#endif
