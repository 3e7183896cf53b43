/* The settings table: every key with its type, default and whether SIGHUP may change it. */
#include "config.h"
#include "netaddr.h"
#include "inifile.h"
#include "log.h"
#include "util.h"
#include "build_config.h"

#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define OFF(field) offsetof(struct config, field)
#define LL_MAX LLONG_MAX

/* Alphabetical within each section; the example config documents every key. */
const struct setting_def config_settings[] = {
	{ "backup", "dir", SET_STRING, "/var/lib/baocao/backups", true, 0, 0, OFF(backup_dir),
	  "folder baocaoctl backup writes into when --output is not given" },

	{ "database", "conninfo", SET_STRING, "dbname=baocao", false, 0, 0, OFF(conninfo),
	  "libpq connection string" },
	{ "database", "migrate_on_start", SET_BOOL, "false", false, 0, 0, OFF(migrate_on_start),
	  "apply pending schema migrations when the daemon starts" },
	{ "database", "reconnect_max", SET_DURATION, "10s", true, 100, 3600000, OFF(reconnect_max),
	  "longest wait between attempts to re-establish a lost connection" },
	{ "database", "size_max", SET_SIZE, "0", true, 0, 1LL << 50, OFF(database_size_max),
	  "a database larger than this is warned about in /readyz and the log (0: no limit)" },
	{ "database", "statement_timeout", SET_DURATION, "30s", true, 0, 3600000,
	  OFF(statement_timeout), "longest time one SQL statement may run (0: no limit)" },

	{ "mail", "from", SET_STRING, "baocao <baocao@localhost>", true, 0, 0, OFF(mail_from),
	  "sender address of every mail" },
	{ "mail", "head_after_missed", SET_INT, "2", true, 0, 100, OFF(head_after_missed),
	  "a unit that missed this many deadlines in a row has its head (head:ADDRESS among its "
	  "emails) copied on reminders; 0: never" },
	{ "mail", "password_file", SET_STRING, "", true, 0, 0, OFF(smtp_password_file),
	  "file holding the SMTP password" },
	{ "mail", "reply_to", SET_STRING, "", true, 0, 0, OFF(mail_reply_to),
	  "the address replies go to (e.g. the coordinating office); empty: none" },
	{ "mail", "smtp_url", SET_STRING, "", true, 0, 0, OFF(smtp_url),
	  "SMTP server (smtp:// or smtps://); empty: write mails as .eml files into spool_dir/mail" },
	{ "mail", "username", SET_STRING, "", true, 0, 0, OFF(smtp_user), "SMTP user name" },

	{ "report", "automatic_before", SET_DURATION, "15m", true, 0, 86400000,
	  OFF(automatic_before), "how long before the consolidation deadline the final report is "
	  "delivered without approval (\"tự động\") when nobody approved it" },
	{ "report", "delivery_dir", SET_STRING, "", true, 0, 0, OFF(delivery_dir),
	  "a folder each delivered report is also written into (empty: none)" },
	{ "report", "delivery_url", SET_STRING, "", true, 0, 0, OFF(delivery_url),
	  "a URL each delivered report is also POSTed to (empty: none)" },
	{ "report", "parent_body", SET_STRING, "", true, 0, 0, OFF(parent_body),
	  "the consolidator's parent body, top left of the report (\"UBND TỈNH HÀ TĨNH\")" },
	{ "report", "place", SET_STRING, "", true, 0, 0, OFF(place),
	  "the place in the report's date line (\"Hà Tĩnh\")" },
	{ "report", "signer_title", SET_STRING, "GIÁM ĐỐC", true, 0, 0, OFF(signer_title),
	  "the signer's title at the foot of the consolidated report's .docx draft "
	  "(\"KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC\": \\n starts a line)" },

	{ "server", "cookie_secure", SET_BOOL, "false", true, 0, 0, OFF(cookie_secure),
	  "mark the session cookie Secure (set true when clients reach the daemon over HTTPS)" },
	{ "server", "data_dir", SET_STRING, "/var/lib/baocao", false, 0, 0, OFF(data_dir),
	  "folder for keys and files the daemon keeps" },
	{ "server", "disk_free_min", SET_SIZE, "1G", true, 0, 1LL << 60, OFF(disk_free_min),
	  "less free space than this where data_dir or spool_dir is is warned about in /readyz "
	  "and the log (0: no check)" },
	{ "server", "disk_free_min_percent", SET_INT, "0", true, 0, 100,
	  OFF(disk_free_min_percent), "likewise, as a share of the file system (0: no check)" },
	{ "server", "head_timeout", SET_DURATION, "10s", true, 1000, 3600000, OFF(head_timeout),
	  "longest time a request head may take to arrive, from its first byte (from the "
	  "connection's start for the first request); slower connections are closed" },
	{ "server", "listen", SET_STRING, "127.0.0.1", false, 0, 0, OFF(listen),
	  "address to listen on" },
	{ "server", "log_level", SET_LOGLEVEL, "info", true, 0, 0, OFF(log_level),
	  "debug, info, warn or error" },
	{ "server", "login_queue", SET_INT, "32", true, 1, 100000, OFF(login_queue),
	  "password checks (logins, password changes) waiting for a login worker before new "
	  "ones get 503" },
	{ "server", "login_workers", SET_INT, "1", false, 1, 64, OFF(login_workers),
	  "threads that check passwords (Argon2id), each with its own database connection, "
	  "apart from the workers" },
	{ "server", "max_bytes_per_period", SET_SIZE, "50M", true, 0, 1LL << 40,
	  OFF(max_bytes_per_period), "bytes of uploads (workbooks, JSON bodies, documents) one unit may "
	  "send in a period; beyond them 413 (0: no limit)" },
	{ "server", "max_connections", SET_INT, "1024", true, 1, 1000000, OFF(max_connections),
	  "client connections open at once; requests on more are answered 503" },
	{ "server", "max_connections_per_address", SET_INT, "64", true, 1, 1000000,
	  OFF(max_connections_per_address), "client connections open at once from one address "
	  "(an IPv6 one by its /64; never more than half of max_connections); more are closed at "
	  "once. trusted_proxies are not capped" },
	{ "server", "max_document_size", SET_SIZE, "20M", true, 1024, 1LL << 30,
	  OFF(max_document_size), "largest unit's document (PDF) on its own route; beyond it "
	  "413" },
	{ "server", "max_text_length", SET_INT, "4000", true, 100, 1000000, OFF(max_text_length),
	  "longest text of one report cell, in characters" },
	{ "server", "max_upload_size", SET_SIZE, "10M", true, 1024, 1LL << 30,
	  OFF(max_upload_size), "largest report upload (.xlsx); JSON reports 1 MiB, other "
	  "requests 4 KiB" },
	{ "server", "max_versions_per_period", SET_INT, "20", true, 0, 1000000,
	  OFF(max_versions_per_period), "versions one unit may send in a period; beyond them "
	  "429 (0: no limit)" },
	{ "server", "metrics_allow", SET_CIDRS, "127.0.0.1/32 ::1/128", true, 0, 0,
	  OFF(metrics_allow), "client addresses (CIDR) that read /metrics without signing in; "
	  "others need an admin's token" },
	{ "server", "min_body_rate", SET_INT, "1024", true, 0, 1000000000, OFF(min_body_rate),
	  "bytes per second a request body must arrive at, after min_body_rate_grace; slower "
	  "connections are closed (0: no minimum)" },
	{ "server", "min_body_rate_grace", SET_DURATION, "5s", true, 0, 3600000,
	  OFF(min_body_rate_grace), "how long a body may lag before min_body_rate applies" },
	{ "server", "port", SET_INT, "8080", false, 1, 65535, OFF(port), "TCP port" },
	{ "server", "public_url", SET_STRING, "http://127.0.0.1:8080/", true, 0, 0,
	  OFF(public_url), "the address people reach baocao at, for links in mails (ends with /)" },
	{ "server", "queue_max", SET_INT, "256", true, 1, 1000000, OFF(queue_max),
	  "requests waiting for a worker before new ones get 503" },
	{ "server", "raw_retention", SET_DURATION, "0", true, 0, 3650LL * 86400000,
	  OFF(raw_retention), "the raw file of a version neither current nor in a consolidated "
	  "report is removed this long after it arrived (0: kept for ever)" },
	{ "server", "readyz_trusted", SET_CIDRS, "127.0.0.1/32 ::1/128", true, 0, 0,
	  OFF(readyz_trusted), "client addresses (CIDR) that see /readyz's counts and warnings "
	  "without signing in; others see only ready or not and the schema version" },
	{ "server", "request_timeout", SET_DURATION, "60s", true, 1000, 3600000,
	  OFF(request_timeout), "idle time after which a client connection is closed" },
	{ "server", "schema_dir", SET_STRING, BAOCAO_SCHEMA_DIR, false, 0, 0, OFF(schema_dir),
	  "folder with the NNN_name.sql migrations" },
	{ "server", "series_file", SET_STRING, "", true, 0, 0, OFF(series_file),
	  "the series file ([series NAME] sections) that baocaoctl series sync writes "
	  "into the database" },
	{ "server", "session_idle_timeout", SET_DURATION, "2h", true, 300000, 2592000000LL,
	  OFF(session_idle_timeout), "a web login unused this long is over" },
	{ "server", "session_lifetime", SET_DURATION, "12h", true, 60000, 2592000000LL,
	  OFF(session_lifetime), "how long a web login lasts" },
	{ "server", "shutdown_timeout", SET_DURATION, "10s", true, 0, 3600000,
	  OFF(shutdown_timeout), "how long SIGTERM waits for requests in flight" },
	{ "server", "spool_dir", SET_STRING, "/var/spool/baocao", false, 0, 0, OFF(spool_dir),
	  "folder for outgoing mail files and other spooled work" },
	{ "server", "time_zone", SET_ZONE, "Asia/Ho_Chi_Minh", false, 0, 0, OFF(time_zone),
	  "IANA time zone of every deadline" },
	{ "server", "trusted_proxies", SET_CIDRS, "", true, 0, 0, OFF(trusted_proxies),
	  "addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For names the client" },
	{ "server", "uploads_per_minute", SET_INT, "20", true, 0, 100000, OFF(uploads_per_minute),
	  "uploads one account may make per minute (0: no limit); more get 429" },
	{ "server", "user", SET_STRING, "", false, 0, 0, OFF(user),
	  "unprivileged user to switch to after binding, when started as root" },
	{ "server", "web_dir", SET_STRING, BAOCAO_WEB_DIR, true, 0, 0, OFF(web_dir),
	  "folder of the web pages (HTML, CSS, JavaScript), read at start and on SIGHUP" },
	{ "server", "workers", SET_INT, "4", false, 1, 256, OFF(workers),
	  "worker threads, each with its own database connection" },

	{ "signatures", "trusted_roots", SET_STRING, "", true, 0, 0, OFF(trusted_roots),
	  "PEM file of the certificates a PDF's digital signature must chain to (e.g. the "
	  "government CA's root); empty: none, every signature is reported untrusted" },

	{ "testing", "clock_control", SET_BOOL, "false", false, 0, 0, OFF(clock_control),
	  "let an administrator set the daemon's clock (PUT /api/v1/testing/clock): for tests "
	  "only" },
	{ NULL, NULL, 0, NULL, false, 0, 0, 0, NULL },
};

/* Finds a setting by section and name. */
static const struct setting_def *config_find(const char *section, const char *name)
{
	for (const struct setting_def *d = config_settings; d->name; d++)
		if (strcmp(d->section, section) == 0 && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* Whether a section name is known at all. */
static bool config_section_known(const char *section)
{
	for (const struct setting_def *d = config_settings; d->name; d++)
		if (strcmp(d->section, section) == 0)
			return true;
	return false;
}

/* Parses a byte size: a number with an optional K, M or G suffix (powers of 1024). */
bool config_parse_size(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return false;
	while (*end == ' ')
		end++;
	long long mul = 1;
	if (*end) {
		if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kb") == 0 || strcasecmp(end, "kib") == 0)
			mul = 1024;
		else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mb") == 0 || strcasecmp(end, "mib") == 0)
			mul = 1024 * 1024;
		else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gb") == 0 || strcasecmp(end, "gib") == 0)
			mul = 1024LL * 1024 * 1024;
		else if (strcasecmp(end, "b") != 0)
			return false;
	}
	if (v > LLONG_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

/* Parses a duration: a number with ms, s, min, h or d (seconds when bare); gives milliseconds. */
bool config_parse_duration(const char *s, long long *out_ms)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return false;
	while (*end == ' ')
		end++;
	long long mul;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "min") == 0 || strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = 86400000;
	else
		return false;
	if (v > LLONG_MAX / mul)
		return false;
	*out_ms = v * mul;
	return true;
}

/* Parses true/false, yes/no, on/off, 1/0. */
bool config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Whether a time zone name exists in the system's zone database. */
static bool zone_exists(const char *name)
{
	if (name[0] == '\0' || name[0] == '/' || strstr(name, ".."))
		return false;
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Stores a parsed value of a definition into cfg; returns false with *why set if invalid. */
static bool config_apply(struct config *cfg, const struct setting_def *d, const char *value,
			 const char **why)
{
	char *base = (char *)cfg;
	long long n;
	bool b;
	enum log_level lvl;

	switch (d->type) {
	case SET_STRING:
		free(*(char **)(base + d->offset));
		*(char **)(base + d->offset) = xstrdup(value);
		return true;
	case SET_CIDRS:
		if (!netaddr_list_valid(value)) {
			*why = "expected addresses or ranges such as 127.0.0.1/32 ::1 10.0.0.0/8";
			return false;
		}
		free(*(char **)(base + d->offset));
		*(char **)(base + d->offset) = xstrdup(value);
		return true;
	case SET_ZONE:
		if (!zone_exists(value)) {
			*why = "not a time zone known to this system (e.g. Asia/Ho_Chi_Minh)";
			return false;
		}
		free(*(char **)(base + d->offset));
		*(char **)(base + d->offset) = xstrdup(value);
		return true;
	case SET_BOOL:
		if (!config_parse_bool(value, &b)) {
			*why = "expected true or false";
			return false;
		}
		*(bool *)(base + d->offset) = b;
		return true;
	case SET_LOGLEVEL:
		if (!log_level_parse(value, &lvl)) {
			*why = "expected debug, info, warn or error";
			return false;
		}
		*(long long *)(base + d->offset) = lvl;
		return true;
	case SET_INT: {
		char *end;
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno || end == value || *end) {
			*why = "expected a whole number";
			return false;
		}
		break;
	}
	case SET_SIZE:
		if (!config_parse_size(value, &n)) {
			*why = "expected a size such as 512K, 20M or 1G";
			return false;
		}
		break;
	case SET_DURATION:
		if (!config_parse_duration(value, &n)) {
			*why = "expected a duration such as 500ms, 30s, 5min, 2h or 90d";
			return false;
		}
		break;
	default:
		*why = "unsupported setting type";
		return false;
	}
	if (n < d->min || n > d->max) {
		*why = "out of range";
		return false;
	}
	*(long long *)(base + d->offset) = n;
	return true;
}

/* Sets one setting from its text form. */
int config_set(struct config *cfg, const char *section, const char *name, const char *value,
	       char **err)
{
	const struct setting_def *d = config_find(section, name);
	if (d == NULL) {
		if (!config_section_known(section))
			*err = xasprintf("unknown section [%s]", section);
		else
			*err = xasprintf("unknown key '%s' in section [%s]", name, section);
		return -1;
	}
	const char *why = NULL;
	if (!config_apply(cfg, d, value, &why)) {
		if (d->type == SET_INT || d->type == SET_SIZE || d->type == SET_DURATION)
			*err = xasprintf("invalid value '%s' for key '%s' in section [%s]: %s "
					 "(allowed %lld to %lld%s)", value, name, section, why,
					 d->min, d->max,
					 d->type == SET_DURATION ? " ms" :
					 d->type == SET_SIZE ? " bytes" : "");
		else
			*err = xasprintf("invalid value '%s' for key '%s' in section [%s]: %s",
					 value, name, section, why);
		return -1;
	}
	return 0;
}

/* Sets every setting to its default. */
void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (const struct setting_def *d = config_settings; d->name; d++) {
		const char *why = NULL;
		if (!config_apply(cfg, d, d->def, &why)) {
			/* The zone database may be missing; keep the name so the error comes later. */
			if (d->type == SET_ZONE)
				*(char **)((char *)cfg + d->offset) = xstrdup(d->def);
			else
				fatal("config", "bad default for %s.%s: %s", d->section, d->name, why);
		}
	}
}

/* inifile callback: applies one key of the main file. */
static int config_key(void *arg, const char *section, const char *name, const char *value,
		      int line, char **why)
{
	return config_set(arg, section, name, value, why);
}

/* Reads a file over the defaults. */
int config_load(const char *path, struct config *cfg, char **err)
{
	config_defaults(cfg);
	cfg->path = xstrdup(path);
	if (inifile_read(path, config_key, cfg, err) == 0)
		return 0;
	config_free(cfg);
	config_defaults(cfg);
	cfg->path = xstrdup(path);
	return -1;
}

/* Whether two settings values of one definition are equal. */
static bool config_same(const struct config *a, const struct config *b, const struct setting_def *d)
{
	const char *pa = (const char *)a + d->offset, *pb = (const char *)b + d->offset;
	switch (d->type) {
	case SET_STRING:
	case SET_ZONE:
	case SET_CIDRS:
		return strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
	case SET_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	default:
		return *(const long long *)pa == *(const long long *)pb;
	}
}

/* Keeps the values of settings that need a restart, listing those the new file changed. */
void config_keep_fixed(const struct config *old, struct config *new, char **changed)
{
	struct strbuf sb = STRBUF_INIT;
	for (const struct setting_def *d = config_settings; d->name; d++) {
		if (d->reloadable || config_same(old, new, d))
			continue;
		strbuf_addf(&sb, "%s%s.%s", sb.len ? ", " : "", d->section, d->name);
		const char *po = (const char *)old + d->offset;
		char *pn = (char *)new + d->offset;
		if (d->type == SET_STRING || d->type == SET_ZONE || d->type == SET_CIDRS) {
			free(*(char **)pn);
			*(char **)pn = xstrdup(*(char *const *)po);
		} else if (d->type == SET_BOOL) {
			*(bool *)pn = *(const bool *)po;
		} else {
			*(long long *)pn = *(const long long *)po;
		}
	}
	*changed = sb.len ? strbuf_detach(&sb) : NULL;
	strbuf_free(&sb);
}

/* Frees the strings a config holds. */
void config_free(struct config *cfg)
{
	for (const struct setting_def *d = config_settings; d->name; d++) {
		if (d->type == SET_STRING || d->type == SET_ZONE || d->type == SET_CIDRS) {
			char **p = (char **)((char *)cfg + d->offset);
			free(*p);
			*p = NULL;
		}
	}
	free(cfg->path);
	cfg->path = NULL;
}

struct retired {
	struct config *cfg;
	struct retired *next;
};

static struct config *_Atomic config_now;
static struct retired *config_retired;

/* The settings in force, or NULL before the first publish. */
const struct config *config_current(void)
{
	return config_now;
}

/* Makes cfg (allocated with malloc, owned from now on) the settings in force. */
void config_publish(struct config *cfg)
{
	struct config *old = atomic_exchange(&config_now, cfg);
	if (old) {
		struct retired *r = xmalloc(sizeof *r);
		r->cfg = old;
		r->next = config_retired;
		config_retired = r;
	}
}

/* Frees every published configuration; only when no other thread runs. */
void config_retire_all(void)
{
	struct config *cur = atomic_exchange(&config_now, NULL);
	if (cur) {
		config_free(cur);
		free(cur);
	}
	while (config_retired) {
		struct retired *r = config_retired;
		config_retired = r->next;
		config_free(r->cfg);
		free(r->cfg);
		free(r);
	}
}
