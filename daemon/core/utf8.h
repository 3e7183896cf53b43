/* UTF-8: decoding (strict and loose), encoding, lengths, cutting at a character boundary and
 * scrubbing text from elsewhere. */
#ifndef BAOCAO_UTF8_H
#define BAOCAO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes one character takes. */
#define UTF8_MAX 4

/* Whether a byte continues a character (10xxxxxx) rather than starting one. */
static inline bool utf8_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* The length a lead byte announces, by its value alone: 4 from 0xF0, 3 from 0xE0, 2 from
 * 0xC0, else 1 (ASCII, and a continuation byte taken as a character of its own). */
size_t utf8_lead_length(unsigned char c);
/* Decodes one well-formed UTF-8 character of at most n bytes (n > 0) into *cp; returns its
 * length, or 0 when the bytes start none (a surrogate, an overlong form, a cut sequence, a
 * code point above U+10FFFF). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Decodes one character of NUL-terminated text by its bit patterns alone: a lead byte
 * 110xxxxx, 1110xxxx or 11110xxx followed by as many continuation bytes; overlong forms and
 * surrogates pass. Returns the length (1 to 4) with *cp set (cp may be NULL), or 0 when the
 * byte at s starts no such sequence. */
size_t utf8_decode_loose(const unsigned char *s, uint32_t *cp);
/* Writes a code point (at most U+10FFFF) at w, which has room for UTF8_MAX bytes; returns
 * the number of bytes written. */
size_t utf8_encode(char *w, uint32_t cp);
/* Whether n bytes are well-formed UTF-8 (any scalar value, NUL included). */
bool utf8_valid(const char *s, size_t n);
/* The number of characters of UTF-8 text: the bytes that are not continuation bytes. */
size_t utf8_length(const char *s);
/* The length of the longest start of s (len bytes) that holds at most max bytes and ends on a
 * character boundary: len itself when it fits, else max less the continuation bytes at the
 * cut. */
size_t utf8_cut(const char *s, size_t len, size_t max);
/* The length in bytes of the longest start of s (len bytes) made of whole characters that
 * holds at most max UTF-16 units (a character of four bytes is two units). */
size_t utf8_cut_units(const char *s, size_t len, size_t max);
/* Makes text from elsewhere (a server's answer) safe to store and log, in place: bytes that
 * are not valid UTF-8 become '?', control characters spaces. Returns s. */
char *utf8_scrub(char *s);

#endif
