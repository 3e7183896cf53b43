/* Deliveries besides mail: the report written into a folder, or POSTed to a URL. Each is an
 * outbox row of its own (channel "folder" or "http"), retried like mail. */
#ifndef BAOCAO_DELIVER_H
#define BAOCAO_DELIVER_H

#include <stddef.h>

/* What became of a delivery: done, to be tried again later, or refused for good. */
enum deliver_result { DELIVER_DONE, DELIVER_TEMPORARY, DELIVER_PERMANENT };

/* One file to deliver and what identifies it. */
struct deliver_file {
	const char *filename;
	const char *content_type;
	const void *data;
	size_t len;
	const char *key;	/* the same on every attempt: the outbox row's Message-ID */
	const char *series, *period;
	int version;
};

/* Writes the file as dir/filename (temp file, then rename). DELIVER_DONE, or
 * DELIVER_TEMPORARY / DELIVER_PERMANENT with *detail (new string). */
enum deliver_result deliver_folder(const char *dir, const char *filename, const void *data,
				   size_t len, char **detail);
/* The URL without user, password, query and fragment, for logs and errors (new string). */
char *deliver_url_display(const char *url);
/* POSTs len bytes of data to url with the nlines header lines given ("Name: value"): 2xx is
 * done; 408, 425, 429, 5xx and transport errors are temporary; other answers are permanent,
 * with *detail (new string). The caller checks the URL (unit_push_url_allowed). */
enum deliver_result deliver_post(const char *url, const char *const *lines, size_t nlines,
				 const void *data, size_t len, char **detail);
/* POSTs the file to url (https://, or http:// to this machine only) with Idempotency-Key and X-Baocao-* headers:
 * 2xx is sent; 408, 425, 429, 5xx and transport errors are temporary; other answers are
 * permanent. */
enum deliver_result deliver_http(const char *url, const struct deliver_file *f, char **detail);

#endif
