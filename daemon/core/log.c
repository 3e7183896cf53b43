/* Leveled logging to stderr, one event per line, with a subsystem prefix; under journald,
 * with a syslog priority prefix instead of a time of its own. */
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static _Atomic int current_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };
/* The priority prefix journald reads (sd-daemon.h) for each level. */
static const char *const level_prefixes[] = { SD_DEBUG, SD_INFO, SD_WARNING, SD_ERR };

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static bool to_journal;

/* Whether stderr is journald's stream: JOURNAL_STREAM ("device:inode", set by systemd) names
 * the file stderr is, as systemd documents; a stderr redirected elsewhere does not match. */
static void journal_detect(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return;
	to_journal = (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Sets the lowest level that is written. */
void log_set_level(enum log_level level)
{
	current_level = level;
}

/* The lowest level that is written. */
enum log_level log_get_level(void)
{
	return (enum log_level)current_level;
}

/* Parses a level name. */
bool log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < nitems(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/* The name of a level. */
const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

/* Appends the message to the line's prefix in sb, folds it to one line, writes and frees it. */
static void log_write(struct strbuf *sb, const char *fmt, va_list ap)
{
	strbuf_vaddf(sb, fmt, ap);
	/* One event per line: fold embedded newlines. */
	for (size_t i = 0; i < sb->len; i++)
		if (sb->data[i] == '\n' || sb->data[i] == '\r')
			sb->data[i] = ' ';
	while (sb->len > 0 && sb->data[sb->len - 1] == ' ')
		sb->len--;
	strbuf_addc(sb, '\n');
	size_t off = 0;
	while (off < sb->len) {
		ssize_t w = write(STDERR_FILENO, sb->data + off, sb->len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	strbuf_free(sb);
}

/* Writes one line: UTC time, level, subsystem, message (under journald: priority prefix,
 * subsystem, message); with a single write(2). */
static void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	if (pthread_once(&journal_once, journal_detect) == 0 && to_journal) {
		strbuf_addf(&sb, "%s%s: ", level_prefixes[level], subsys);
		log_write(&sb, fmt, ap);
		return;
	}
	struct timeval tv;
	struct tm tm;
	char stamp[40];
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	strbuf_addf(&sb, "%s.%03ldZ %s %s: ", stamp, (long)(tv.tv_usec / 1000),
		    level_names[level], subsys);
	log_write(&sb, fmt, ap);
}

/* Logs a message if its level is enabled. */
void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
	if ((int)level < current_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, subsys, fmt, ap);
	va_end(ap);
}

/* Logs an error and exits with status 1. */
void fatal(const char *subsys, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, subsys, fmt, ap);
	va_end(ap);
	exit(1);
}
