/* Sending one composed e-mail through SMTP with libcurl, and judging the outcome. */
#include "mail.h"
#include "util.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Default total time of one attempt, and the cap on the connection phase. */
#define TIMEOUT_DEFAULT_MS 60000L
#define CONNECT_TIMEOUT_MAX_MS 15000L

/* The message being uploaded and the server's last answer line. */
struct send_state {
	struct mail_reader *reader;
	char last[512];
};

/* Prepares libcurl; once at start, before threads (curl_global_init is not thread-safe). */
int mail_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Releases libcurl's global state. */
void mail_cleanup(void)
{
	curl_global_cleanup();
}

/* The name of a result. */
const char *mail_result_name(enum mail_result r)
{
	switch (r) {
	case MAIL_SENT:
		return "sent";
	case MAIL_TEMPORARY:
		return "temporary";
	case MAIL_PERMANENT:
		return "permanent";
	}
	return "?";
}

/* curl's read callback: the next piece of the message, its attachments encoded as they go. */
static size_t read_message(char *buf, size_t size, size_t nitems, void *arg)
{
	struct send_state *st = arg;
	return mail_reader_read(st->reader, buf, size * nitems);
}

/* curl's header callback, which gets every SMTP answer line: keeps the last one but the
 * answer to QUIT, so that a sent message's detail is the server's acceptance. */
static size_t keep_answer(char *buf, size_t size, size_t nitems, void *arg)
{
	struct send_state *st = arg;
	size_t n = size * nitems;
	size_t keep = n;
	while (keep > 0 && (buf[keep - 1] == '\r' || buf[keep - 1] == '\n'))
		keep--;
	if (keep >= sizeof st->last)
		keep = sizeof st->last - 1;
	if (keep > 0 && !(keep >= 3 && memcmp(buf, "221", 3) == 0)) {
		memcpy(st->last, buf, keep);
		st->last[keep] = '\0';
	}
	return n;
}

/*
 * True if the server's host is this machine (127.0.0.1, ::1 or localhost). For smtp:// to such
 * a host STARTTLS is not required: the mail stays on the machine (a local relay or the tests'
 * SMTP server, which has no TLS). Any other host must accept STARTTLS or the attempt fails.
 */
static bool url_is_loopback(CURLU *u)
{
	char *host = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		return false;
	bool local = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
		     strcasecmp(host, "localhost") == 0;
	curl_free(host);
	return local;
}

/* Reads the URL's scheme and host: 0 with *smtps and *loopback, or -1 when the URL is not
 * smtp:// or smtps:// with a host. */
static int url_parse(const char *url, bool *smtps, bool *loopback)
{
	CURLU *u = curl_url();
	if (u == NULL)
		return -1;
	char *scheme = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "smtp") == 0 || strcmp(scheme, "smtps") == 0)) {
		*smtps = strcmp(scheme, "smtps") == 0;
		*loopback = url_is_loopback(u);
		rc = 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Judges a failed attempt by the last SMTP reply code and curl's error:
 * - a 5xx reply is permanent (the server refused the sender, the recipient or the message),
 *   except replies about this client's own setup, which a retry after a fix can cure:
 *   530 authentication required, 534 mechanism too weak, 535 credentials invalid (curl's
 *   CURLE_LOGIN_DENIED), 538 encryption required;
 * - everything else is temporary: 4xx replies, no connection, timeouts, TLS failures, a server
 *   without STARTTLS, a bad URL (the setting can be fixed and the message sent later).
 */
static enum mail_result judge(CURLcode rc, long code)
{
	if (rc == CURLE_OK)
		return MAIL_SENT;
	if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED)
		return MAIL_TEMPORARY;
	if (code >= 500 && code <= 599 && code != 530 && code != 534 && code != 535 && code != 538)
		return MAIL_PERMANENT;
	return MAIL_TEMPORARY;
}

/* Sets the options of one attempt; CURLE_OK or the first failure. */
static CURLcode set_options(CURL *c, const struct mail_server *s, bool tls_required,
			    const char *from_addr, struct curl_slist *rcpt, struct send_state *st,
			    char *errbuf)
{
	long timeout = s->timeout_ms > 0 ? s->timeout_ms : TIMEOUT_DEFAULT_MS;
	long connect = timeout < CONNECT_TIMEOUT_MAX_MS ? timeout : CONNECT_TIMEOUT_MAX_MS;
	char *mail_from = xasprintf("<%s>", from_addr);
	CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_URL, s->url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (rc == CURLE_OK && tls_required)
		rc = curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_READDATA, st);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				      (curl_off_t)mail_reader_size(st->reader));
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_answer);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, st);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK && s->user != NULL && s->user[0] != '\0') {
		rc = curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c, CURLOPT_PASSWORD, s->password != NULL ? s->password : "");
	}
	free(mail_from);	/* curl keeps its own copy of string options */
	return rc;
}

/* Sends a message through the server with libcurl. */
enum mail_result mail_send(const struct mail_server *s, const struct mail_message *m, char **detail)
{
	if (mail_check(m, detail) < 0)
		return MAIL_PERMANENT;
	bool smtps = false, loopback = false;
	if (s->url == NULL || url_parse(s->url, &smtps, &loopback) < 0) {
		*detail = xstrdup("the SMTP URL is not smtp:// or smtps:// with a host");
		return MAIL_TEMPORARY;
	}
	CURL *c = curl_easy_init();
	if (c == NULL) {
		*detail = xstrdup("curl_easy_init failed");
		return MAIL_TEMPORARY;
	}
	struct send_state st = { .reader = mail_reader_new(m) };
	char *from_addr = mail_address(m->from);
	char *to = xasprintf("<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc = rcpt == NULL ? CURLE_OUT_OF_MEMORY
				   : set_options(c, s, !smtps && !loopback, from_addr, rcpt, &st, errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c);
	long code = 0;
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	enum mail_result r = judge(rc, code);
	/* A failure names the server's refusal only if its last answer was one (4xx or 5xx). */
	bool refusal = st.last[0] == '4' || st.last[0] == '5';
	if (r == MAIL_SENT)
		*detail = xstrdup(st.last[0] ? st.last : "sent");
	else if (refusal)
		*detail = xasprintf("%s (%s)", st.last, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		*detail = xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(to);
	free(from_addr);
	mail_reader_free(st.reader);
	return r;
}
