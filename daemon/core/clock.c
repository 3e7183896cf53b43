/* The one clock every component reads, so that tests can say "it is Friday 10:59:59". */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Offset in milliseconds added to the system clock. */
static _Atomic long long clock_offset_ms;

/* The system clock in milliseconds. */
static long long system_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Current time in seconds. */
time_t clock_now(void)
{
	return (time_t)(clock_now_ms() / 1000);
}

/* Current time in milliseconds. */
long long clock_now_ms(void)
{
	return system_ms() + clock_offset_ms;
}

/* Monotonic milliseconds. */
long long clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the clock so that it reads t now. */
void clock_set(time_t t)
{
	clock_offset_ms = (long long)t * 1000 - system_ms();
}

/* Parses YYYY-MM-DDTHH:MM:SS followed by Z or an offset. */
int clock_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n == 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	const char *p = s + n;
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
		p += 1 + m;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

/* Starts a fake clock from BAOCAO_FAKE_NOW if set. */
int clock_init_from_env(void)
{
	const char *v = getenv("BAOCAO_FAKE_NOW");
	if (v == NULL || *v == '\0')
		return 0;
	time_t t;
	if (clock_parse_rfc3339(v, &t) < 0)
		return -1;
	clock_set(t);
	return 1;
}
