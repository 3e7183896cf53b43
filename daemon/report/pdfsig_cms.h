/* The OpenSSL side of the PDF signature check: the trusted certificates, and one CMS signature
 * against its signed bytes. Callers include pdfsig.h, which includes this. */
#ifndef BAOCAO_PDFSIG_CMS_H
#define BAOCAO_PDFSIG_CMS_H

#include <stddef.h>
#include <time.h>

/* The largest signature (DER) read from a /Contents string. */
#define PDFSIG_MAX_DER (64 * 1024)

/* The certificates the administrator trusts ([signatures] trusted_roots). */
struct pdfsig_trust;

/*
 * Reads a PEM file of one or more trusted certificates (each is an anchor: a root, or an
 * intermediate the administrator chose to trust). A NULL or empty path gives a store with no
 * trusted certificate. NULL with *err set (new string) when the file cannot be read or holds
 * no certificate.
 */
struct pdfsig_trust *pdfsig_trust_load(const char *pem_path, char **err);
void pdfsig_trust_free(struct pdfsig_trust *trust);

/* What a signature is found to be (docs/signatures.md: which wins when several apply). */
enum pdfsig_state {
	PDFSIG_VALID,		/* intact, covers the file, chain to a trusted certificate */
	PDFSIG_UNTRUSTED,	/* intact, but the chain reaches no trusted certificate */
	PDFSIG_INVALID,		/* the signed bytes or the signature itself do not check */
	PDFSIG_MODIFIED,	/* intact, but the file was changed after it (the last one) */
	PDFSIG_EXPIRED,		/* intact and trusted, but a certificate of the chain expired */
};

/* What the CMS check found out about one signature. */
struct pdfsig_cms {
	enum pdfsig_state state;	/* VALID, UNTRUSTED, INVALID or EXPIRED */
	const char *reason;		/* Vietnamese, when not VALID (static text) */
	char *signer;			/* CN of the signer's certificate, or NULL */
	char *organization;		/* O, or NULL */
	time_t signing_time;		/* the signingTime attribute; 0 when absent */
	time_t not_after;		/* when EXPIRED: the end of the expired certificate */
};

/*
 * Checks a DER CMS SignedData (detached) over the content (the signed bytes, len bytes) with
 * the trusted certificates (NULL: none) at the time now; fills *out (free its strings).
 */
void pdfsig_cms_check(const unsigned char *der, size_t der_len, const unsigned char *content,
		      size_t len, const struct pdfsig_trust *trust, time_t now,
		      struct pdfsig_cms *out);

#endif
