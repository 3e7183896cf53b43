/* Deliveries besides mail: the report written into a folder, or POSTed to a URL. */
#include "deliver.h"
#include "fileio.h"
#include "unit_webhook.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_TIMEOUT_MS 600000L		/* ten minutes in all */
#define HTTP_LOW_SPEED_BPS 1024L		/* slower than 1 KiB/s ... */
#define HTTP_LOW_SPEED_S 60L			/* ... for a minute: given up */
#define HTTP_CONNECT_TIMEOUT_MS 15000L
#define ANSWER_MAX 512			/* bytes of the server's answer kept for the log */

/* Writes the file into the folder (temp file, then rename). */
enum deliver_result deliver_folder(const char *dir, const char *filename, const void *data,
				   size_t len, char **detail)
{
	if (dir[0] != '/') {
		*detail = xasprintf("the delivery folder %s is not an absolute path", dir);
		return DELIVER_PERMANENT;
	}
	if (strchr(filename, '/') != NULL || filename[0] == '.' || filename[0] == '\0') {
		*detail = xasprintf("the file name %s cannot be written into a folder", filename);
		return DELIVER_PERMANENT;
	}
	/* Readable by the folder's group: whoever collects the reports there. */
	return file_write_atomic(dir, filename, data, len, 0640, false, detail) == 0 ?
	       DELIVER_DONE : DELIVER_TEMPORARY;
}

/* Keeps the first ANSWER_MAX bytes of the answer's body. */
static size_t keep_answer(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *sb = arg;
	size_t n = size * nmemb;
	if (sb->len < ANSWER_MAX)
		strbuf_add(sb, ptr, n < ANSWER_MAX - sb->len ? n : ANSWER_MAX - sb->len);
	return n;
}

/* The URL without what may be secret (user, password, query, fragment), for logs and errors
 * (new string). */
char *deliver_url_display(const char *url)
{
	CURLU *u = curl_url();
	char *shown = NULL, *out = NULL;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &shown, 0) == CURLUE_OK)
		out = xstrdup(shown);
	curl_free(shown);
	curl_url_cleanup(u);
	return out ? out : xstrdup("(the delivery URL)");
}

/* Whether an HTTP status is worth trying again. */
static bool http_temporary(long status)
{
	return status == 408 || status == 425 || status == 429 || status >= 500;
}

/* POSTs data to url with the given header lines (and Expect: off): the one HTTP client of
 * deliveries and webhooks. */
enum deliver_result deliver_post(const char *url, const char *const *lines, size_t nlines,
				 const void *data, size_t len, char **detail)
{
	CURL *c = curl_easy_init();
	if (c == NULL) {
		*detail = xstrdup("libcurl cannot start a transfer");
		return DELIVER_TEMPORARY;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct strbuf answer = STRBUF_INIT;
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i <= nlines; i++) {
		struct curl_slist *more = curl_slist_append(headers, i < nlines ? lines[i] :
									       "Expect:");
		if (more != NULL)
			headers = more;
	}
	CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	if (rc == CURLE_OK)	/* the configured URL, not a proxy from the environment */
		rc = curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (rc == CURLE_OK)	/* a large file on a slow line may take long, if it moves */
		rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, HTTP_LOW_SPEED_BPS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, HTTP_LOW_SPEED_S);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	enum deliver_result res;
	char *shown = deliver_url_display(url);
	if (rc != CURLE_OK) {
		*detail = xasprintf("libcurl: %s", curl_easy_strerror(rc));
		res = DELIVER_TEMPORARY;
	} else if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		*detail = xasprintf("POST %s: %s", shown, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		res = DELIVER_TEMPORARY;
	} else {
		long status = 0;
		if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
			status = 0;
		if (status >= 200 && status < 300) {
			res = DELIVER_DONE;
		} else {
			res = http_temporary(status) || status == 0 ? DELIVER_TEMPORARY :
								      DELIVER_PERMANENT;
			*detail = xasprintf("POST %s: HTTP %ld %s", shown, status, strbuf_str(&answer));
		}
	}
	free(shown);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	strbuf_free(&answer);
	return res;
}

/* POSTs the file to the URL. */
enum deliver_result deliver_http(const char *url, const struct deliver_file *f, char **detail)
{
	if (!unit_push_url_allowed(url)) {
		char *shown = deliver_url_display(url);
		*detail = xasprintf("the delivery URL %s must be https:// (http:// only to this "
				    "machine): set [report] delivery_url", shown);
		free(shown);
		return DELIVER_PERMANENT;
	}
	char *ascii = xstrdup(f->filename);
	for (char *p = ascii; *p; p++)
		if ((unsigned char)*p >= 0x80 || *p == '"' || *p == '\\' || *p < 0x20)
			*p = '_';
	char *lines[] = {
		xasprintf("Content-Type: %s", f->content_type),
		xasprintf("Content-Disposition: attachment; filename=\"%s\"", ascii),
		xasprintf("Idempotency-Key: %s", f->key),
		xasprintf("X-Baocao-Series: %s", f->series),
		xasprintf("X-Baocao-Period: %s", f->period),
		xasprintf("X-Baocao-Version: %d", f->version),
	};
	free(ascii);
	enum deliver_result res = deliver_post(url, (const char *const *)lines, nitems(lines),
					       f->data, f->len, detail);
	for (size_t i = 0; i < nitems(lines); i++)
		free(lines[i]);
	return res;
}
