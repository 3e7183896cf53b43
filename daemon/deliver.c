/* Deliveries besides mail: the report written into a folder, or POSTed to a URL. */
#include "deliver.h"
#include "fileio.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_TIMEOUT_MS 60000L
#define HTTP_CONNECT_TIMEOUT_MS 15000L
#define ANSWER_MAX 512			/* bytes of the server's answer kept for the log */

/* Writes the file into the folder (temp file, then rename). */
enum mail_result deliver_folder(const char *dir, const char *filename, const void *data,
				size_t len, char **detail)
{
	if (dir[0] != '/') {
		*detail = xasprintf("the delivery folder %s is not an absolute path", dir);
		return MAIL_PERMANENT;
	}
	if (strchr(filename, '/') != NULL || filename[0] == '.' || filename[0] == '\0') {
		*detail = xasprintf("the file name %s cannot be written into a folder", filename);
		return MAIL_PERMANENT;
	}
	return file_write_atomic(dir, filename, data, len, detail) == 0 ? MAIL_SENT :
									 MAIL_TEMPORARY;
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

/* Whether an HTTP status is worth trying again. */
static bool http_temporary(long status)
{
	return status == 408 || status == 425 || status == 429 || status >= 500;
}

/* POSTs the file to the URL. */
enum mail_result deliver_http(const char *url, const struct deliver_file *f, char **detail)
{
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		*detail = xasprintf("the delivery URL %s is neither http:// nor https://", url);
		return MAIL_PERMANENT;
	}
	CURL *c = curl_easy_init();
	if (c == NULL) {
		*detail = xstrdup("libcurl cannot start a transfer");
		return MAIL_TEMPORARY;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct strbuf answer = STRBUF_INIT;
	struct curl_slist *headers = NULL;
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
		xstrdup("Expect:"),
	};
	free(ascii);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct curl_slist *more = curl_slist_append(headers, lines[i]);
		if (more != NULL)
			headers = more;
		free(lines[i]);
	}
	CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->data);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	enum mail_result res;
	if (rc != CURLE_OK) {
		*detail = xasprintf("libcurl: %s", curl_easy_strerror(rc));
		res = MAIL_TEMPORARY;
	} else if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		*detail = xasprintf("POST %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		res = MAIL_TEMPORARY;
	} else {
		long status = 0;
		if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
			status = 0;
		if (status >= 200 && status < 300) {
			res = MAIL_SENT;
		} else {
			res = http_temporary(status) || status == 0 ? MAIL_TEMPORARY : MAIL_PERMANENT;
			for (size_t i = 0; i < answer.len; i++)
				if ((unsigned char)answer.data[i] < 0x20)
					answer.data[i] = ' ';
			*detail = xasprintf("POST %s: HTTP %ld %s", url, status, strbuf_str(&answer));
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	strbuf_free(&answer);
	return res;
}
