/* Requests and responses as handlers see them: header lookup, query parameters, response
 * headers, JSON and error bodies. */
#include "http_message.h"
#include "json.h"
#include "util.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

/* Case-insensitive header lookup. */
const char *http_header(const struct http_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

/* A decoded query parameter. */
char *http_query_param(const struct http_request *rq, const char *name)
{
	if (rq->query == NULL)
		return NULL;
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(rq->query, &q) != 0)
		return NULL;
	const char *v = evhttp_find_header(&q, name);
	char *out = v ? xstrdup(v) : NULL;
	evhttp_clear_headers(&q);
	return out;
}

/* Adds a header to a list (grown in powers of two). */
void http_header_push(struct http_header **list, size_t *n, const char *name, const char *value)
{
	if ((*n & (*n - 1)) == 0)	/* 0, 1, 2, 4, 8...: full */
		*list = xrealloc(*list, (*n ? 2 * *n : 1) * sizeof **list);
	(*list)[*n].name = xstrdup(name);
	(*list)[*n].value = xstrdup(value);
	(*n)++;
}

/* Frees a header list. */
void http_headers_free(struct http_header *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].value);
	}
	free(list);
}

/* Adds a response header. */
void http_add_header(struct http_response *rs, const char *name, const char *value)
{
	http_header_push(&rs->headers, &rs->nheaders, name, value);
}

/* Sets status and the JSON content type. */
void http_json(struct http_response *rs, int status)
{
	rs->status = status;
	rs->content_type = "application/json; charset=utf-8";
	strbuf_reset(&rs->body);
}

/* Writes a JSON error body. */
void http_error(struct http_response *rs, int status, const char *code, const char *message)
{
	http_json(rs, status);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_key(&j, "error");
	json_object_begin(&j);
	json_kv_string(&j, "code", code);
	json_kv_string(&j, "message", message);
	json_object_end(&j);
	json_object_end(&j);
}
