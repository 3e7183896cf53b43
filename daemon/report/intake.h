/* Reading an upload (workbook or JSON) into report items, validating it, storing it, receipts. */
#ifndef BAOCAO_INTAKE_H
#define BAOCAO_INTAKE_H

#include "auth.h"
#include "calendar.h"
#include "json.h"
#include "keys.h"
#include "periods.h"
#include "taskstatus.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One problem of an upload, for the person who sent it. sheet and cell may be NULL. */
struct intake_error {
	char *sheet;
	char *cell;
	char *field;		/* JSON uploads: "items[2].progress" */
	char *message;		/* Vietnamese: what is wrong and what to do */
};

struct intake_errors {
	struct intake_error *v;
	size_t n;
};

/* A task the unit must report on in this period. */
struct intake_task {
	long long id;
	char *code;
	char *title;
	bool has_start;
	cal_day starts_on;
	bool seen;
	char first_seen[24];		/* where it was first seen: "ô B9" or "items[2]" */
};

/* What an upload is checked against. */
struct intake_context {
	const struct series_def *series;
	const struct period_info *period;
	long long unit_id;
	char unit_code[33];
	char *unit_name;
	struct intake_task *tasks;
	size_t ntasks;
	cal_day today;			/* the upload's local date */
	size_t max_text;		/* longest text cell, in characters */
	const unsigned char *mac_key;
	/* Names another unit for messages (a new string, or NULL); set by the caller. */
	char *(*other_unit_name)(void *arg, const char *code);
	void *unit_name_arg;
};

/* One report row as read from the upload. */
struct intake_item {
	long long task_id;
	char *code;
	enum task_state state;
	int progress;			/* -1: none */
	bool has_completed;
	cal_day completed_on;
	char *result, *difficulties, *proposals, *note;
};

struct intake_report {
	struct intake_item *items;
	size_t nitems;
	char *general_difficulties;
	char *general_proposals;
};

/* The answer to a stored upload, signed with the server's key. */
struct intake_receipt {
	long long submission;
	int version;
	time_t received_at;
	char sha256[65];
	bool on_time;
	time_t extended_until;	/* on time only by the unit's extension: its until; else 0 */
	size_t items;
	char series[65];
	char period[PERIOD_ID_BUF];
	char unit[33];
	char signature[128];	/* base64 of the Ed25519 signature */
	bool repeated;		/* the same file as the current version: nothing new stored */
};

/* Results of intake_load_context and intake_store. */
enum intake_result { INTAKE_OK, INTAKE_NOT_MEMBER, INTAKE_UNKNOWN_UNIT, INTAKE_DB,
		     INTAKE_TOO_MANY_VERSIONS, INTAKE_PERIOD_FULL };

/* What one unit may store in one period (0: no limit): versions, and bytes received in all;
 * intake_store sets what is stored already when it refuses. */
struct intake_quota {
	long long max_versions;
	long long max_bytes;
	long long versions, bytes;	/* out */
};

/* Loads the unit and the tasks it must report on. */
enum intake_result intake_load_context(PGconn *conn, const struct series_def *s,
				       const struct period_info *p, const char *unit_code,
				       time_t now, size_t max_text,
				       const unsigned char *mac_key, struct intake_context *ctx,
				       char **err);
void intake_context_free(struct intake_context *ctx);

struct xlsx_limits;
/* The .xlsx reader's limits for an upload: 64 MiB inflated in all, 32 MiB a part, 200 parts,
 * 50 sheets, 200,000 shared strings in 16 MiB (the defaults are sized for any workbook). */
void intake_xlsx_limits(struct xlsx_limits *limits);
/* Reads and checks an .xlsx upload; every problem found goes to errs. */
void intake_read_xlsx(struct intake_context *ctx, const void *data, size_t len,
		      struct intake_report *out, struct intake_errors *errs);
/* Reads and checks a JSON upload ({"items":[...],"general":{...}}). */
void intake_read_json(struct intake_context *ctx, const char *body, size_t len,
		      struct intake_report *out, struct intake_errors *errs);
/* What a workbook's hidden meta sheet says it is for (intake_identify_xlsx). */
struct intake_identity {
	char unit[33];
	char series[65];
	char period[PERIOD_ID_BUF];
};

/* Results of intake_identify_xlsx. */
enum intake_identify {
	INTAKE_ID_OK,
	INTAKE_ID_UNREADABLE,	/* not a workbook the reader opens (*detail says why) */
	INTAKE_ID_NONE,		/* no meta sheet: not the template, or a program dropped it */
	INTAKE_ID_INCOMPLETE,	/* a meta sheet with rows missing */
	INTAKE_ID_OLD,		/* an older template's layout */
	INTAKE_ID_ALTERED,	/* its MAC does not match what it says */
};
/* Reads the unit, series and period a workbook's meta sheet names, its MAC checked with
 * mac_key (WB_MAC_KEY_BYTES); *detail is a new Vietnamese sentence for INTAKE_ID_UNREADABLE,
 * else NULL. */
enum intake_identify intake_identify_xlsx(const void *data, size_t len,
					  const unsigned char *mac_key,
					  struct intake_identity *out, char **detail);
void intake_report_free(struct intake_report *r);
void intake_errors_free(struct intake_errors *e);
/* Writes {"error":{...},"errors":[...]} for a 422 answer. */
void intake_errors_json(const struct intake_errors *e, struct strbuf *out);

/*
 * Stores a checked report as the unit's new version in one transaction: the submission (the
 * previous version superseded), its items, the raw file and its SHA-256, on time or late (late
 * once the period is past its cut-off), an audit entry and a receipt mail in the outbox;
 * on_behalf marks a report a coordinator filed for the unit. The identical file again gives the stored
 * receipt (receipt->repeated) and stores nothing. A new version beyond the quota's versions
 * (INTAKE_TOO_MANY_VERSIONS) or bytes (INTAKE_PERIOD_FULL; file_len counts, the file is the
 * JSON body for JSON reports) stores nothing; the quota is counted under the unit's lock.
 */
enum intake_result intake_store(PGconn *conn, const struct intake_context *ctx,
				const struct intake_report *report, const struct principal *who,
				bool on_behalf, const char *channel, const void *file,
				size_t file_len, struct intake_quota *quota,
				const char *remote_addr, time_t now,
				const struct keys *keys, struct intake_receipt *receipt, char **err);

/* The canonical text a receipt's signature covers. */
char *intake_receipt_text(const struct intake_receipt *r);
/* Writes a receipt as a JSON object. */
void intake_receipt_json(struct json *j, const struct intake_receipt *r);
/* The same members, into an object the caller has opened (and closes). */
void intake_receipt_members(struct json *j, const struct intake_receipt *r);
/* Checks a receipt's signature against a public key. */
bool intake_receipt_verify(const struct intake_receipt *r,
			   const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);

#endif
