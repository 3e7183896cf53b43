/* Writing one composed e-mail as an .eml file, for a setup without an SMTP server. */
#include "mail.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest file name made from a Message-ID, ".eml" not counted. */
#define NAME_MAX_CHARS 200

/* Makes dir and its missing parents with mode 0750; 0 or -1 with errno set. */
static int make_dirs(const char *dir)
{
	char *path = xstrdup(dir);
	int rc = 0;
	for (char *p = path + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	return rc;
}

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

/* Writes all n bytes to fd; 0 or -1 with errno set. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Flushes the folder's entries to disk, so that a rename survives a crash; 0 or -1. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	if (close(fd) < 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
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
	if (make_dirs(dir) < 0) {
		*detail = xasprintf("mkdir %s: %s", dir, strerror(errno));
		free(name);
		return -1;
	}
	char *final = xasprintf("%s/%s.eml", dir, name);
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	free(name);
	struct strbuf msg = STRBUF_INIT;
	mail_format(m, &msg);
	const char *step = "mkstemp";
	int fd = mkstemp(tmp);
	int rc = fd < 0 ? -1 : 0;
	if (rc == 0 && (step = "write", write_all(fd, strbuf_str(&msg), msg.len) < 0))
		rc = -1;
	if (rc == 0 && (step = "fsync", fsync(fd) < 0))
		rc = -1;
	if (fd >= 0) {
		int saved = errno;
		if (close(fd) < 0 && rc == 0) {
			step = "close";
			rc = -1;
			saved = errno;
		}
		errno = saved;
	}
	if (rc == 0 && (step = "rename", rename(tmp, final) < 0))
		rc = -1;
	if (rc == 0 && (step = "fsync of the folder", sync_dir(dir) < 0))
		rc = -1;
	if (rc < 0) {
		*detail = xasprintf("%s %s: %s", step, final, strerror(errno));
		/* Before the rename the temporary file is ours to remove; failing that is only noted. */
		if (fd >= 0 && strcmp(step, "fsync of the folder") != 0 && unlink(tmp) < 0 &&
		    errno != ENOENT) {
			char *d = xasprintf("%s; unlink %s: %s", *detail, tmp, strerror(errno));
			free(*detail);
			*detail = d;
		}
	}
	strbuf_free(&msg);
	free(tmp);
	free(final);
	return rc;
}
