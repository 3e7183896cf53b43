/* Writing one e-mail as an .eml file, for a setup without an SMTP server: read from a
 * mail_reader into the file, its attachments encoded as they are written. */
#include "mail.h"
#include "fileio.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest file name made from a Message-ID, ".eml" not counted. */
#define NAME_MAX_CHARS 200

/* The file name for a Message-ID: its inside with every character but [A-Za-z0-9._-] as '_',
 * never starting with '.' (new string), or NULL for an empty one. */
static char *spool_name(const char *message_id)
{
	size_t n = strlen(message_id);
	if (n >= 2 && message_id[0] == '<' && message_id[n - 1] == '>') {
		message_id++;
		n -= 2;
	}
	if (n == 0)
		return NULL;
	if (n > NAME_MAX_CHARS)
		n = NAME_MAX_CHARS;
	char *name = xstrndup(message_id, n);
	for (char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  c == '.' || c == '_' || c == '-';
		if (!ok)
			*p = '_';
	}
	if (name[0] == '.')
		name[0] = '_';
	return name;
}

/* file_write_atomic_from's source: the next piece of the message. */
static size_t fill_message(void *arg, void *buf, size_t n)
{
	return mail_reader_read(arg, buf, n);
}

/* Writes the message as dir/<name>.eml through a temporary file in the same folder. */
int mail_spool(const char *dir, const struct mail_message *m, char **detail)
{
	if (mail_check(m, detail) < 0)
		return -1;
	char *name = spool_name(m->message_id);
	if (name == NULL) {
		*detail = xstrdup("the Message-ID is empty");
		return -1;
	}
	struct mail_reader *r = mail_reader_new(m);
	char *file = xasprintf("%s.eml", name);
	free(name);
	int rc = file_write_atomic_from(dir, file, fill_message, r, 0600, true, detail);
	free(file);
	mail_reader_free(r);
	return rc;
}
