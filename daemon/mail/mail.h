/* One e-mail: composing it (RFC 5322 + MIME), sending it over SMTP, or spooling it as .eml. */
#ifndef BAOCAO_MAIL_H
#define BAOCAO_MAIL_H

#include <stddef.h>
#include <time.h>

#include "util.h"

/* A file sent with a message; filename is UTF-8, content_type NULL for application/octet-stream. */
struct mail_attachment {
	const char *filename;
	const char *content_type;
	const void *data;
	size_t len;
};

/* A message as the caller describes it; every text is UTF-8. */
struct mail_message {
	const char *from;	/* "Hệ thống báo cáo <baocao@example.vn>" or a bare address */
	const char *reply_to;	/* an address, or NULL */
	const char *to;		/* one address */
	const char *subject;
	const char *text;	/* plain text body; bare LF is sent as CRLF */
	const char *html;	/* simple HTML body, or NULL */
	const char *message_id;	/* "<...@host>", made once by the caller, the same on every attempt */
	time_t date;		/* the Date header */
	const struct mail_attachment *attachments;
	size_t nattachments;
};

/* What became of one attempt to send. */
enum mail_result { MAIL_SENT, MAIL_TEMPORARY, MAIL_PERMANENT };

/* Where to send: url is smtp://host[:port] (STARTTLS required) or smtps://host[:port];
 * user NULL or "" sends without authentication; timeout_ms 0 means 60 seconds. */
struct mail_server {
	const char *url;
	const char *user;
	const char *password;
	long timeout_ms;
};

/* Prepares libcurl; the daemon calls it once at start, before any thread exists. 0 or -1. */
int mail_init(void);
/* Releases what mail_init prepared; at exit, after every thread has stopped. */
void mail_cleanup(void);

/* Checks that a message can be written: addresses present and without control characters or
 * angle brackets, a Message-ID in angle brackets, a subject and a text. 0, or -1 with *detail
 * (new string). */
int mail_check(const struct mail_message *m, char **detail);
/* Appends the whole message (headers and MIME body, CRLF line ends) to out, in one piece (a
 * test's reference; sending and spooling read it with mail_reader instead); in every text,
 * what is outside the text rule of xmltext.h (bytes that are not UTF-8, U+FFFF, control
 * characters) is written as U+FFFD. */
void mail_format(const struct mail_message *m, struct strbuf *out);
/*
 * The same message read a piece at a time, as libcurl sends it or the spool writes it: the
 * headers and texts composed at the start (small), each attachment's bytes encoded in base64
 * only as the reader reaches them, so that no copy of the whole message is ever made. The
 * attachments' bytes are the caller's: they must stay until mail_reader_free(). Read in
 * pieces of any size, the bytes are those mail_format() appends.
 */
struct mail_reader;
struct mail_reader *mail_reader_new(const struct mail_message *m);
/* The message's length in bytes, known before it is read. */
size_t mail_reader_size(const struct mail_reader *r);
/* Copies the next at most n bytes into buf; returns how many, 0 at the end. */
size_t mail_reader_read(struct mail_reader *r, void *buf, size_t n);
void mail_reader_free(struct mail_reader *r);
/* The address inside "Name <address>", or the text itself when it has no angle brackets (new string). */
char *mail_address(const char *from);
/* Appends "Name: value" to out as one header field, value as RFC 2047 encoded-words when it is not
 * short printable ASCII, folded so that no line is longer than 78 characters (CRLF included not). */
void mail_header_text(struct strbuf *out, const char *name, const char *value);
/* An ASCII stand-in for a UTF-8 file name: Vietnamese letters without their marks, other
 * characters that do not belong in a quoted name as '_' (new string). */
char *mail_ascii_filename(const char *filename);

/* Sends a message through the server with libcurl; *detail gets the server's last answer and
 * curl's error as a new string (never NULL). */
enum mail_result mail_send(const struct mail_server *s, const struct mail_message *m, char **detail);
/* The name of the result, "sent", "temporary" or "permanent". */
const char *mail_result_name(enum mail_result r);

/* Writes the message as dir/<Message-ID made safe>.eml through a temporary file, fsync and
 * rename; makes dir (0750) when missing. 0, or -1 with *detail (new string). */
int mail_spool(const char *dir, const struct mail_message *m, char **detail);

#endif
