/* The settings table: every key with its type, default and whether SIGHUP may change it. */
#ifndef BAOCAO_CONFIG_H
#define BAOCAO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum setting_type { SET_STRING, SET_INT, SET_BOOL, SET_SIZE, SET_DURATION, SET_LOGLEVEL, SET_ZONE,
		    SET_CIDRS /* a list of address ranges (netaddr.h), kept as its text */ };

/* All settings. Durations are in milliseconds, sizes in bytes. */
struct config {
	char *path;		/* the file it was read from, or NULL for defaults */

	/* [server] */
	char *listen;
	long long port;
	char *user;
	long long workers;
	long long queue_max;
	long long login_workers;	/* the login pool: password work (Argon2id) */
	long long login_queue;
	long long max_upload_size;
	long long max_document_size;	/* a unit's document (PDF) */
	long long max_connections;
	long long max_connections_per_address;
	long long head_timeout;
	long long min_body_rate;		/* bytes per second; 0: none */
	long long min_body_rate_grace;
	long long request_timeout;
	long long shutdown_timeout;
	long long log_level;
	char *time_zone;
	char *data_dir;
	char *spool_dir;
	char *schema_dir;
	char *web_dir;			/* the web pages, served from memory */
	char *series_file;		/* for baocaoctl series sync; daemons read the database */
	long long uploads_per_minute;
	long long max_text_length;
	long long session_lifetime;
	long long session_idle_timeout;
	bool cookie_secure;
	char *trusted_proxies;
	char *readyz_trusted;		/* ranges that see /readyz's counts without signing in */
	char *metrics_allow;		/* ranges that read /metrics without signing in */
	char *public_url;
	long long max_versions_per_period;	/* per unit and period; 0: no limit */
	long long max_bytes_per_period;		/* uploads' bytes per unit and period */
	long long raw_retention;		/* raw files of old versions; 0: kept */
	long long disk_free_min;		/* warned below, for data_dir and spool_dir */
	long long disk_free_min_percent;

	/* [backup] */
	char *backup_dir;

	/* [database] */
	char *conninfo;
	bool migrate_on_start;
	long long reconnect_max;
	long long statement_timeout;
	long long database_size_max;		/* warned above; 0: no limit */

	/* [mail] */
	char *smtp_url;
	char *mail_from;
	char *mail_reply_to;
	char *smtp_user;
	char *smtp_password_file;
	long long head_after_missed;

	/* [report] */
	long long automatic_before;
	char *delivery_dir;
	char *delivery_url;
	char *parent_body;
	char *place;
	char *signer_title;

	/* [signatures] */
	char *trusted_roots;			/* PEM file of trusted certificates; "": none */

	/* [testing] */
	bool clock_control;
};

struct setting_def {
	const char *section;
	const char *name;
	enum setting_type type;
	const char *def;
	bool reloadable;
	long long min, max;	/* for numbers, sizes and durations */
	size_t offset;		/* into struct config */
	const char *help;
};

/* The table of settings, ending with a zeroed entry. */
extern const struct setting_def config_settings[];

/* Fills cfg with the defaults. Never fails. */
void config_defaults(struct config *cfg);
/*
 * Reads an INI file over the defaults. On error returns -1 and sets *err to a message that
 * names the file, line and key; cfg then holds the defaults only.
 */
int config_load(const char *path, struct config *cfg, char **err);
/* Sets one setting from text; returns -1 with *err set when the name or value is wrong. */
int config_set(struct config *cfg, const char *section, const char *name, const char *value,
	       char **err);
/* Copies the non-reloadable settings of old into new, naming each changed one in *changed. */
void config_keep_fixed(const struct config *old, struct config *new, char **changed);
void config_free(struct config *cfg);

/* Parsers for typed values, shared with the command-line tools. */
bool config_parse_size(const char *s, long long *out);
bool config_parse_duration(const char *s, long long *out_ms);
bool config_parse_bool(const char *s, bool *out);

/*
 * The settings in force, for any thread. config_publish() makes cfg current; the one it
 * replaces is retired, not freed, so a thread still reading it never sees freed memory
 * (reloads are rare; config_retire_all() frees them at exit).
 */
const struct config *config_current(void);
void config_publish(struct config *cfg);
void config_retire_all(void);

#endif
