/* Vietnamese text for documents: upper case with diacritics kept ("BÁO CÁO"). */
#include "vntext.h"
#include "util.h"

#include <stdbool.h>

/* The upper-case form of a Vietnamese letter's code point (other code points unchanged). */
static unsigned upper_cp(unsigned c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
		return c - 0x20;
	switch (c) {
	case 0x103: case 0x111: case 0x129: case 0x169: case 0x1A1:
		return c - 1;	/* ă đ ĩ ũ ơ */
	case 0x1B0:
		return 0x1AF;	/* ư */
	}
	if (c >= 0x1EA1 && c <= 0x1EF9 && (c & 1))
		return c - 1;	/* ạ ả ấ ... ỹ: pairs in Latin Extended Additional */
	return c;
}

/* The text in upper case, for titles ("BÁO CÁO ..."); new string. Invalid bytes are kept. */
char *vn_upper(const char *s)
{
	struct strbuf out = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 0;
		bool ok = len > 0;
		for (int k = 1; ok && k < len; k++)
			ok = (p[k] & 0xC0) == 0x80;
		if (!ok) {
			strbuf_addc(&out, (char)*p++);
			continue;
		}
		if (len == 2)
			c = ((c & 0x1F) << 6) | (p[1] & 0x3F);
		else if (len == 3)
			c = ((c & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		p += len;
		c = upper_cp(c);
		if (c < 0x80) {
			strbuf_addc(&out, (char)c);
		} else if (c < 0x800) {
			strbuf_addc(&out, (char)(0xC0 | (c >> 6)));
			strbuf_addc(&out, (char)(0x80 | (c & 0x3F)));
		} else {
			strbuf_addc(&out, (char)(0xE0 | (c >> 12)));
			strbuf_addc(&out, (char)(0x80 | ((c >> 6) & 0x3F)));
			strbuf_addc(&out, (char)(0x80 | (c & 0x3F)));
		}
	}
	return strbuf_detach(&out);
}
