/* What the administrators' API handlers share: the body, the caller, the plain answers. */
#include "api_admin.h"
#include "json.h"
#include "util.h"
#include "xmltext.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The caller, for the audit entries of a change. */
void api_admin_who(const struct http_request *rq, const struct api_ctx *cx,
		   struct audit_who *who)
{
	who->account_id = cx->who.account_id;
	who->actor = cx->who.login;
	who->remote_addr = rq->remote_addr;
}

/* The request's JSON object, or NULL after answering (its texts checked: xmltext.h). */
struct jv *api_admin_json(struct http_request *rq, struct http_response *rs,
			  const char *example)
{
	const char *ct = http_header(rq, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		http_error(rs, 415, "unsupported_media_type", "Hãy gửi dữ liệu dưới dạng JSON "
			   "(Content-Type: application/json).");
		return NULL;
	}
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	if (doc == NULL || doc->type != JV_OBJECT) {
		jv_free(doc);
		char *msg = xasprintf("Dữ liệu gửi lên không đúng dạng. Hãy gửi một đối tượng JSON, "
				      "ví dụ: %s", example);
		http_error(rs, 400, "bad_request", msg);
		free(msg);
		return NULL;
	}
	if (api_text_refused(rs, doc)) {
		jv_free(doc);
		return NULL;
	}
	return doc;
}

/* A string member that is short text, or NULL. */
const char *api_admin_text(const struct jv *doc, const char *key, size_t max)
{
	const char *s = jv_get_string(doc, key);
	if (s == NULL || strlen(s) > max || !xmltext_valid(s, strlen(s)))
		return NULL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' && *p != '\t')
			return NULL;
	return s;
}

/* Answers 200 with a message. */
void api_admin_ok(struct http_response *rs, const char *message)
{
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "message", message);
	json_object_end(&j);
}
