/* The digital signatures (ký số) of a PDF document: found, checked with OpenSSL and told in
 * Vietnamese (docs/signatures.md). */
#ifndef BAOCAO_PDFSIG_H
#define BAOCAO_PDFSIG_H

#include "pdfsig_cms.h"

#include <stddef.h>
#include <time.h>

/* The most signatures one file is checked for; more are not reported. */
#define PDFSIG_MAX_SIGS 16

/* The trusted certificates (pdfsig_trust_load, pdfsig_trust_free) and enum pdfsig_state are
 * in pdfsig_cms.h, included above. */

/* "valid", "untrusted", "invalid", "modified", "expired". */
const char *pdfsig_state_name(enum pdfsig_state state);

struct pdfsig_sig {
	enum pdfsig_state state;
	char *signer;		/* the certificate's CN, or NULL when unknown */
	char *organization;	/* its O, or NULL */
	time_t signed_at;	/* the CMS signingTime, else the dictionary's /M; 0 when unknown */
	char *message;		/* Vietnamese, for people (never NULL) */
};

struct pdfsig_result {
	size_t n;
	struct pdfsig_sig *sigs;	/* in the order they were made (by where they end) */
};

/*
 * Finds and checks every signature of a PDF held in memory; trust may be NULL (no trusted
 * certificate); certificates are judged at now (the time of the check). Returns 0 with *out
 * filled (n = 0: no signature), or -1 with *err set (new string) only for bytes that are not a
 * PDF that can be examined at all.
 */
int pdfsig_verify(const unsigned char *pdf, size_t len, const struct pdfsig_trust *trust,
		  time_t now, struct pdfsig_result *out, char **err);
void pdfsig_result_free(struct pdfsig_result *result);

/* The signatures as the API gives them: [{"state","signer","organization","signed_at"
 * (RFC 3339 in +07:00, or null),"message"}] (new string). */
char *pdfsig_result_json(const struct pdfsig_result *result);
/* One Vietnamese line for people: "Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, 10 giờ 42 ngày
 * 04/12/2026", "Không có chữ ký số", ... (new string). */
char *pdfsig_summary_vi(const struct pdfsig_result *result);

#endif
