/* Allocation that never fails, growable strings and small string helpers. */
#ifndef BAOCAO_UTIL_H
#define BAOCAO_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* Allocators that abort the process on out-of-memory, so callers need no NULL checks. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable, always NUL-terminated byte string. */
struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void strbuf_reset(struct strbuf *sb);
/* Gives the buffer's string to the caller (never NULL) and empties the buffer. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* The contents as a string; "" for a buffer never written to. */
const char *strbuf_str(const struct strbuf *sb);

/* Removes leading and trailing ASCII white space in place; returns s. */
char *str_trim(char *s);
bool str_has_prefix(const char *s, const char *prefix);
/* The value of one hexadecimal digit (either case), or -1. */
int hex_digit_value(unsigned char c);
bool str_has_suffix(const char *s, const char *suffix);
/* Copies a file into memory; returns 0, or -1 with errno set. */
int file_read_all(const char *path, size_t max, char **out, size_t *outlen);

#endif
