/* The text of values and attributes read as numbers, dates and times, and cell references. */
#include "xlsx_private.h"

#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses an unsigned decimal attribute; false if it is absent or malformed. */
bool xlsx_parse_u32(const char *s, uint32_t *out)
{
	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0')
		return false;
	*out = (uint32_t)v;
	return true;
}

static const double POW10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* True for the white space XML and Python's float() allow around a number. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses a decimal number exactly as strtod() would (correctly rounded); s is NUL-terminated.
 * Numbers whose digits make an integer of at most 2^53 with a power of ten up to 22 take an exact
 * fast path (Clinger's: both are exact doubles, so one operation rounds correctly); others go to
 * strtod(). Rejects anything else. */
bool xlsx_parse_number(const char *s, double *out)
{
	while (is_space(*s))
		s++;
	const char *start = s;
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	uint64_t mant = 0;
	int digits = 0, scale = 0;
	bool any = false;
	for (; *s >= '0' && *s <= '9'; s++, any = true) {
		if (mant == 0 && *s == '0')
			continue;
		if (digits < 19)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else
			scale++;
		digits++;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, any = true) {
			if (mant == 0 && *s == '0') {
				scale--;
				continue;
			}
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				scale--;
			}
			digits++;
		}
	}
	if (!any)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		bool eneg = false;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		if (*s < '0' || *s > '9')
			return false;
		int e = 0;
		for (; *s >= '0' && *s <= '9'; s++)
			if (e < 100000)
				e = e * 10 + (*s - '0');
		scale += eneg ? -e : e;
	}
	const char *end = s;
	while (is_space(*s))
		s++;
	if (*s != '\0')
		return false;

	double v;
	if (mant == 0) {
		v = 0.0;
	} else if (digits <= 19 && mant <= (1ull << 53) && scale >= -22 && scale <= 22) {
		/* Both the mantissa and the power of ten are exact doubles: one correct rounding. */
		v = scale < 0 ? (double)mant / POW10[-scale] : (double)mant * POW10[scale];
	} else {
		char tmp[128];
		size_t n = (size_t)(end - start);
		char *heap = NULL, *q = tmp;
		if (n >= sizeof tmp)
			q = heap = xmalloc(n + 1);
		memcpy(q, start, n);
		q[n] = '\0';
		errno = 0;
		v = strtod(q, NULL);
		free(heap);
		if (!isfinite(v))
			return false;
		return *out = v, true;
	}
	*out = neg ? -v : v;
	return true;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* The civil date of a count of days from 1970-01-01. */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long yy = (long long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* Converts a date serial to a date and time, rounded to the millisecond. Serials in [0, 1) are
 * times of day on the epoch's day 0 (1899-12-30 or 1904-01-01); in the 1900 system serials
 * 1 to 59 are shifted a day for the fake 1900-02-29 (serial 60, shown as 1900-02-28). */
bool xlsx_serial_to_datetime(double v, bool date1904, struct xlsx_datetime *out)
{
	if (!(v > -800000.0 && v < 3000000.0))
		return false;
	double day = floor(v);
	double ms = nearbyint((v - day) * 86400.0 * 1000.0);
	long long d = (long long)day;
	long long base;
	if (date1904) {
		base = days_from_civil(1904, 1, 1);
	} else {
		base = days_from_civil(1899, 12, 30);
		if (v >= 1 && v < 60)
			d += 1;
	}
	long long total = (base + d) * 86400000LL + (long long)ms;
	long long days = total >= 0 ? total / 86400000LL : -((-total + 86399999LL) / 86400000LL);
	long long rem = total - days * 86400000LL;
	int y, m, dd;
	civil_from_days(days, &y, &m, &dd);
	if (y < 1 || y > 9999)
		return false;
	out->year = y;
	out->month = m;
	out->day = dd;
	out->hour = (int)(rem / 3600000);
	out->minute = (int)(rem / 60000 % 60);
	out->second = (int)(rem / 1000 % 60);
	out->msec = (int)(rem % 1000);
	return true;
}

/* The serial of a date and time in the workbook's date system. */
double xlsx_datetime_to_serial(const struct xlsx_datetime *dt, bool date1904)
{
	long long days = days_from_civil(dt->year, (unsigned)dt->month, (unsigned)dt->day);
	double serial;
	if (date1904) {
		serial = (double)(days - days_from_civil(1904, 1, 1));
	} else {
		serial = (double)(days - days_from_civil(1899, 12, 30));
		if (serial >= 2 && serial <= 60)
			serial -= 1;
	}
	double frac = (dt->hour * 3600000.0 + dt->minute * 60000.0 + dt->second * 1000.0 + dt->msec) /
		86400000.0;
	return serial + frac;
}

/* Reads exactly n digits at *p as a number; advances *p. */
static bool digits_n(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Parses an ISO 8601 date, date-time or time (t="d" cells); a time alone falls on the epoch's
 * day 0. Any zone suffix is ignored: the value is the local time as written. */
bool xlsx_parse_iso8601(const char *s, bool date1904, struct xlsx_datetime *dt)
{
	memset(dt, 0, sizeof *dt);
	while (is_space(*s))
		s++;
	const char *p = s;
	bool have_date = false;
	if (digits_n(&p, 4, &dt->year) && *p == '-') {
		p++;
		if (!digits_n(&p, 2, &dt->month) || *p++ != '-' || !digits_n(&p, 2, &dt->day))
			return false;
		have_date = true;
		if (*p == 'T' || *p == ' ')
			p++;
	} else {
		p = s;
		if (date1904) {
			dt->year = 1904, dt->month = 1, dt->day = 1;
		} else {
			dt->year = 1899, dt->month = 12, dt->day = 30;
		}
	}
	const char *t = p;
	if (digits_n(&p, 2, &dt->hour) && *p == ':') {
		p++;
		if (!digits_n(&p, 2, &dt->minute))
			return false;
		if (*p == ':') {
			p++;
			if (!digits_n(&p, 2, &dt->second))
				return false;
			if (*p == '.' || *p == ',') {
				int scale = 100;
				for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
					dt->msec += (*p - '0') * scale;
			}
		}
	} else {
		p = t;
		if (!have_date)
			return false;
	}
	if (dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->hour > 23 || dt->minute > 59 ||
	    dt->second > 59)
		return false;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (dt->year % 4 == 0 && dt->year % 100 != 0) || dt->year % 400 == 0;
	if (dt->day > mdays[dt->month - 1] || (dt->month == 2 && dt->day == 29 && !leap))
		return false;
	return dt->year >= 1;
}

/* Parses an A1-style reference; false if malformed or outside the sheet's bounds. */
bool xlsx_parse_ref(const char *s, uint32_t *row, uint32_t *col)
{
	uint32_t c = 0, r = 0;
	if (*s == '$')
		s++;
	const char *start = s;
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
		c = c * 26 + (uint32_t)((*s | 0x20) - 'a' + 1);
		if (c > XLSX_MAX_COL)
			return false;
	}
	if (s == start || s - start > 3)
		return false;
	if (*s == '$')
		s++;
	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		r = r * 10 + (uint32_t)(*s - '0');
		if (r > XLSX_MAX_ROW)
			return false;
	}
	if (*s != '\0')
		return false;
	*row = r;
	*col = c;
	return true;
}

/* Writes the A1-style reference of a cell. */
size_t xlsx_ref_format(uint32_t row, uint32_t col, char buf[XLSX_REF_MAX])
{
	char letters[8];
	size_t n = 0;
	if (col > XLSX_MAX_COL)
		col = XLSX_MAX_COL;
	if (row > XLSX_MAX_ROW)
		row = XLSX_MAX_ROW;
	while (col > 0 && n < sizeof letters) {
		col--;
		letters[n++] = (char)('A' + col % 26);
		col /= 26;
	}
	size_t len = 0;
	while (n > 0)
		buf[len++] = letters[--n];
	int k = snprintf(buf + len, XLSX_REF_MAX - len, "%u", (unsigned)row);
	return len + (k > 0 ? (size_t)k : 0);
}
