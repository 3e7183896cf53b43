/* What the administrators' API handlers (api_admin_*.c) share. */
#ifndef BAOCAO_API_ADMIN_H
#define BAOCAO_API_ADMIN_H

#include "api.h"
#include "audit.h"
#include "json_parse.h"

/* The caller, for the audit entries of a change. */
void api_admin_who(const struct http_request *rq, const struct api_ctx *cx,
		   struct audit_who *who);
/* The request's JSON object, or NULL after answering 415 or 400 (example: what to send),
 * or 422 when a string breaks the text rule (xmltext.h). */
struct jv *api_admin_json(struct http_request *rq, struct http_response *rs,
			  const char *example);
/* A string member of at most max bytes of UTF-8 text without control characters, or NULL
 * (absent, not a string, too long). */
const char *api_admin_text(const struct jv *doc, const char *key, size_t max);
/* Answers 200 with {"message": message}. */
void api_admin_ok(struct http_response *rs, const char *message);

#endif
