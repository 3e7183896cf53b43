/* baocaoctl: rewrites one key of the configuration file in place, keeping the rest. */
#include "ctl.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFFILE_MAX (1024 * 1024)

/* Whether line (up to its newline) is "[section]", blanks around allowed. */
static bool is_section(const char *line, size_t len, const char **name, size_t *name_len)
{
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
		len--;
	if (len < 2 || line[0] != '[' || line[len - 1] != ']')
		return false;
	*name = line + 1;
	*name_len = len - 2;
	return true;
}

/* Whether line sets key ("key =" or "key="), blanks before allowed. */
static bool is_key(const char *line, size_t len, const char *key)
{
	size_t klen = strlen(key);
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len <= klen || strncmp(line, key, klen) != 0)
		return false;
	line += klen;
	len -= klen;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	return len > 0 && *line == '=';
}

/* Writes text to path atomically (a temp file beside it, then rename) with the mode and
 * owner the file has now. 0, or -1 after printing why. */
static int replace_file(const char *path, const char *text, size_t len)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *tmp = xasprintf("%s.setup-tmp", path);
	/* A file left by an interrupted run is removed; a new one is made, never one that exists
	 * or a link someone put there (the folder may be writable by others). */
	if (unlink(tmp) != 0 && errno != ENOENT) {
		fprintf(stderr, "error: cannot remove %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      st.st_mode & 07777);
	if (fd < 0) {
		fprintf(stderr, "error: cannot write beside %s: %s\n"
			"  the folder must be writable (run as root)\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	bool ok = fchmod(fd, st.st_mode & 07777) == 0;
	/* Only root can give the file to another owner; keep it as it was when we may. */
	if (ok && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) != 0 && geteuid() == 0)
		ok = false;
	size_t done = 0;
	while (ok && done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ok = false;
		else
			done += (size_t)n;
	}
	if (ok && fsync(fd) != 0)
		ok = false;
	if (close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/*
 * Sets "key = value" in [section] of the configuration file at path: the first line setting
 * that key there is replaced, or a line is added at the section's end (the section at the
 * file's end when it has none). Comments and every other line stay as they are.
 * 0, or -1 after printing why.
 */
int ctl_conffile_set(const char *path, const char *section, const char *key, const char *value)
{
	if (strpbrk(value, "\r\n") != NULL || strpbrk(key, "\r\n= ") != NULL) {
		fprintf(stderr, "error: a configuration value must stay on one line\n");
		return -1;
	}
	char *data;
	size_t len;
	if (file_read_all(path, CONFFILE_MAX, &data, &len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line_text = xasprintf("%s = %s\n", key, value);
	size_t before = len, after = len;	/* the span replaced by line_text */
	bool in_section = false, found_section = false, found = false;
	size_t section_end = len;
	for (size_t pos = 0; pos < len && !found;) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) + 1 : len;
		const char *name;
		size_t name_len;
		if (is_section(data + pos, end - pos, &name, &name_len)) {
			if (in_section)
				section_end = pos;
			in_section = name_len == strlen(section) &&
				     strncmp(name, section, name_len) == 0;
			if (in_section)
				found_section = true;
		} else if (in_section && is_key(data + pos, end - pos, key)) {
			before = pos;
			after = end;
			found = true;
		}
		pos = end;
	}
	const char *head = "";
	if (!found && found_section) {
		/* At the section's end, before the blank lines that close it. */
		before = after = section_end;
		while (before >= 2 && data[before - 1] == '\n' && data[before - 2] == '\n')
			before = after = before - 1;
		if (before > 0 && data[before - 1] != '\n')
			head = "\n";
	} else if (!found) {
		head = len > 0 && data[len - 1] != '\n' ? "\n" : "";
		char *with_section = xasprintf("%s[%s]\n%s", head, section, line_text);
		free(line_text);
		line_text = with_section;
		head = "";
	}
	char *text = xasprintf("%.*s%s%s%.*s", (int)before, data, head, line_text,
			       (int)(len - after), data + after);
	int rc = replace_file(path, text, strlen(text));
	free(text);
	free(line_text);
	free(data);
	return rc;
}
