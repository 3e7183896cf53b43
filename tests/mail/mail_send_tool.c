/* A test driver of the mail module: reads a message described in JSON and formats, sends or spools it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"
#include "mail.h"
#include "util.h"

/* Largest description or attachment file the tool reads. */
#define FILE_MAX (64u << 20)

/* A member's string, or NULL for absent or null. */
static const char *opt_string(const struct jv *o, const char *key)
{
	return jv_get_string(o, key);
}

/* A member's number, or def when absent. */
static double opt_number(const struct jv *o, const char *key, double def)
{
	const struct jv *v = jv_get(o, key);
	return v != NULL && v->type == JV_NUMBER ? v->number : def;
}

/* Fills m from the "message" object; attachment files are read into datas[]. 0 or -1. */
static int load_message(const struct jv *o, struct mail_message *m, struct mail_attachment **atts,
			char ***datas)
{
	m->from = opt_string(o, "from");
	m->reply_to = opt_string(o, "reply_to");
	m->to = opt_string(o, "to");
	m->subject = opt_string(o, "subject");
	m->text = opt_string(o, "text");
	m->html = opt_string(o, "html");
	m->message_id = opt_string(o, "message_id");
	m->date = (time_t)opt_number(o, "date", 0);
	const struct jv *list = jv_get(o, "attachments");
	size_t n = list != NULL && list->type == JV_ARRAY ? list->len : 0;
	*atts = xcalloc(n + 1, sizeof **atts);
	*datas = xcalloc(n + 1, sizeof **datas);
	for (size_t i = 0; i < n; i++) {
		const struct jv *a = &list->items[i];
		const char *path = jv_get_string(a, "path");
		size_t len = 0;
		if (path == NULL || file_read_all(path, FILE_MAX, &(*datas)[i], &len) < 0) {
			fprintf(stderr, "mail_send_tool: cannot read attachment %s\n", path ? path : "(none)");
			return -1;
		}
		(*atts)[i] = (struct mail_attachment){ .filename = jv_get_string(a, "filename"),
			.content_type = jv_get_string(a, "content_type"), .data = (*datas)[i], .len = len };
	}
	m->attachments = *atts;
	m->nattachments = n;
	return 0;
}

/* Runs the mode the description names; the process's exit status. */
static int run(const struct jv *d)
{
	const char *mode = jv_get_string(d, "mode");
	const struct jv *msg = jv_get(d, "message");
	if (mode == NULL || msg == NULL) {
		fprintf(stderr, "mail_send_tool: mode and message are required\n");
		return 2;
	}
	struct mail_message m = { 0 };
	struct mail_attachment *atts = NULL;
	char **datas = NULL;
	int rc = load_message(msg, &m, &atts, &datas);
	char *detail = NULL;
	if (rc < 0) {
		rc = 2;
	} else if (strcmp(mode, "format") == 0) {
		struct strbuf out = STRBUF_INIT;
		mail_format(&m, &out);
		rc = fwrite(strbuf_str(&out), 1, out.len, stdout) == out.len ? 0 : 1;
		strbuf_free(&out);
	} else if (strcmp(mode, "send") == 0) {
		struct mail_server s = { .url = jv_get_string(d, "url"), .user = jv_get_string(d, "user"),
			.password = jv_get_string(d, "password"),
			.timeout_ms = (long)opt_number(d, "timeout_ms", 10000) };
		enum mail_result r = mail_send(&s, &m, &detail);
		printf("%s\t%s\n", mail_result_name(r), detail);
		rc = 0;
	} else if (strcmp(mode, "spool") == 0) {
		const char *dir = jv_get_string(d, "dir");
		if (dir != NULL && mail_spool(dir, &m, &detail) == 0)
			printf("ok\n");
		else
			printf("error\t%s\n", detail ? detail : "no dir");
		rc = 0;
	} else {
		fprintf(stderr, "mail_send_tool: unknown mode %s\n", mode);
		rc = 2;
	}
	free(detail);
	for (size_t i = 0; datas != NULL && datas[i] != NULL; i++)
		free(datas[i]);
	free(datas);
	free(atts);
	return rc;
}

/* mail_send_tool DESCRIPTION.json: prints "sent|temporary|permanent<TAB>detail", "ok" or the message. */
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mail_send_tool DESCRIPTION.json\n");
		return 2;
	}
	char *text = NULL, *err = NULL;
	size_t len = 0;
	if (file_read_all(argv[1], FILE_MAX, &text, &len) < 0) {
		perror(argv[1]);
		return 2;
	}
	struct jv *d = jv_parse(text, len, &err);
	free(text);
	if (d == NULL) {
		fprintf(stderr, "mail_send_tool: %s\n", err);
		free(err);
		return 2;
	}
	if (mail_init() < 0) {
		fprintf(stderr, "mail_send_tool: mail_init failed\n");
		jv_free(d);
		return 1;
	}
	int rc = run(d);
	jv_free(d);
	mail_cleanup();
	return fflush(stdout) == 0 ? rc : 1;
}
