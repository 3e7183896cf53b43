/* Leveled logging to stderr, one event per line, with a subsystem prefix. */
#ifndef BAOCAO_LOG_H
#define BAOCAO_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn" or "error"; returns false on anything else. */
bool log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)

/* Logs at error level and exits with status 1; for start-up failures only. */
void fatal(const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
