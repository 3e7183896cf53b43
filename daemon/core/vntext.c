/* Vietnamese text for documents: upper case with diacritics kept ("BÁO CÁO"), ASCII folding. */
#include "vntext.h"
#include "utf8.h"
#include "util.h"

#include <stdint.h>

/* The upper-case form of a Vietnamese letter's code point (other code points unchanged). */
static uint32_t upper_cp(uint32_t c)
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

/* The text in upper case, for titles ("BÁO CÁO ..."); new string. Invalid bytes, and the
 * characters of four bytes (no letters), are kept as they are. */
char *vn_upper(const char *s)
{
	struct strbuf out = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		size_t len = utf8_decode_loose(p, &c);
		if (len == 0 || len == 4) {
			strbuf_addc(&out, (char)*p++);
			continue;
		}
		p += len;
		char w[UTF8_MAX];
		strbuf_add(&out, w, utf8_encode(w, upper_cp(c)));
	}
	return strbuf_detach(&out);
}

/* The ASCII letter a Vietnamese letter's code point is written with, or 0 for none. */
static char ascii_cp(uint32_t c)
{
	/* Latin-1 Supplement from U+00C0: À..ÿ, 0 where no Vietnamese letter stands. */
	static const char latin1[] = "AAAAAAACEEEEIIII" "DNOOOOO_OUUUUY__" "aaaaaaaceeeeiiii"
				     "dnooooo_ouuuuy_y";
	if (c >= 0xC0 && c <= 0xFF)
		return latin1[c - 0xC0] == '_' ? 0 : latin1[c - 0xC0];
	switch (c) {
	case 0x102: return 'A';
	case 0x103: return 'a';
	case 0x110: return 'D';
	case 0x111: return 'd';
	case 0x128: return 'I';
	case 0x129: return 'i';
	case 0x168: return 'U';
	case 0x169: return 'u';
	case 0x1A0: return 'O';
	case 0x1A1: return 'o';
	case 0x1AF: return 'U';
	case 0x1B0: return 'u';
	}
	/* Latin Extended Additional: upper and lower case in pairs, grouped by base letter. */
	static const struct { unsigned last; char upper; } groups[] = {
		{ 0x1EB7, 'A' }, { 0x1EC7, 'E' }, { 0x1ECB, 'I' }, { 0x1EE3, 'O' },
		{ 0x1EF1, 'U' }, { 0x1EF9, 'Y' },
	};
	if (c >= 0x1EA0 && c <= 0x1EF9) {
		for (size_t i = 0; i < nitems(groups); i++)
			if (c <= groups[i].last)
				return (char)(groups[i].upper + ((c & 1) ? 'a' - 'A' : 0));
	}
	return 0;
}

/* The text with Vietnamese letters folded to ASCII and other non-ASCII characters as '_'. */
char *vn_ascii(const char *s)
{
	struct strbuf out = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		size_t len = utf8_decode_loose(p, &c);
		if (len == 0) {
			strbuf_addc(&out, '_');
			p++;
			continue;
		}
		p += len;
		if (len == 1) {
			strbuf_addc(&out, (char)c);
			continue;
		}
		if (len == 4)
			c = 0x10000;	/* outside the planes of Vietnamese letters, overlong or not */
		if (c >= 0x300 && c <= 0x36F)
			continue;	/* a combining mark of decomposed text */
		char a = ascii_cp(c);
		strbuf_addc(&out, a != 0 ? a : '_');
	}
	return strbuf_detach(&out);
}
