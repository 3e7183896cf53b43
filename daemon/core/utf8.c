/* UTF-8: decoding (strict and loose), encoding, lengths, cutting at a character boundary and
 * scrubbing text from elsewhere. */
#include "utf8.h"

#include <string.h>

/* The length a lead byte announces. */
size_t utf8_lead_length(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Decodes one well-formed UTF-8 character. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if (!utf8_continuation(s[k]))
			return 0;
		v = (v << 6) | (s[k] & 0x3F);
	}
	if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
	    (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return 0;
	*cp = v;
	return len;
}

/* Decodes one character by its bit patterns alone. */
size_t utf8_decode_loose(const unsigned char *s, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (len == 0)
		return 0;
	uint32_t v = len == 1 ? c : c & (0x7Fu >> len);
	/* A NUL ends the text and is no continuation byte, so nothing past it is read. */
	for (size_t k = 1; k < len; k++) {
		if (!utf8_continuation(s[k]))
			return 0;
		v = (v << 6) | (s[k] & 0x3F);
	}
	if (cp != NULL)
		*cp = v;
	return len;
}

/* Writes a code point as UTF-8. */
size_t utf8_encode(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xC0 | (cp >> 6));
		w[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xE0 | (cp >> 12));
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		w[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	w[0] = (char)(0xF0 | (cp >> 18));
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	w[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Whether n bytes are well-formed UTF-8. */
bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

/* The number of characters of UTF-8 text. */
size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += !utf8_continuation((unsigned char)*s);
	return n;
}

/* The longest start of at most max bytes that ends on a character boundary. */
size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t keep = max;
	while (keep > 0 && utf8_continuation((unsigned char)s[keep]))
		keep--;
	return keep;
}

/* The longest start of whole characters of at most max UTF-16 units. */
size_t utf8_cut_units(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0, i = 0;
	while (i < len) {
		size_t n = utf8_lead_length(p[i]);
		size_t u = n == 4 ? 2 : 1;
		if (units + u > max || i + n > len)
			break;
		units += u;
		i += n;
	}
	return i;
}

/* Makes text from elsewhere safe to store and log, in place. */
char *utf8_scrub(char *str)
{
	unsigned char *s = (unsigned char *)str;
	size_t n = strlen(str), i = 0;
	while (i < n) {
		if (s[i] >= 0x80) {
			uint32_t cp;
			size_t len = utf8_decode(s + i, n - i, &cp);
			if (len > 0) {
				i += len;
				continue;
			}
			s[i] = '?';
		} else if (s[i] < 0x20 || s[i] == 0x7F) {
			s[i] = ' ';
		}
		i++;
	}
	return str;
}
