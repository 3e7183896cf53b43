/* The OpenSSL side of the PDF signature check: the trusted certificates, and one CMS signature
 * checked against its signed bytes, its signer's certificate and the chain to a trusted one. */
#include "pdfsig_cms.h"

#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <string.h>

/* The trusted certificates, each an anchor of its own. */
struct pdfsig_trust {
	X509_STORE *store;
	int count;
};

/* Reads a PEM file of trusted certificates; NULL or "" gives an empty store. */
struct pdfsig_trust *pdfsig_trust_load(const char *pem_path, char **err)
{
	struct pdfsig_trust *t = xcalloc(1, sizeof *t);
	t->store = X509_STORE_new();
	if (t->store == NULL) {
		*err = xstrdup("cannot make a certificate store");
		free(t);
		return NULL;
	}
	if (pem_path == NULL || pem_path[0] == '\0')
		return t;
	ERR_clear_error();
	BIO *bio = BIO_new_file(pem_path, "r");
	if (bio == NULL) {
		*err = xasprintf("%s: cannot open: %s", pem_path, strerror(errno));
		ERR_clear_error();
		pdfsig_trust_free(t);
		return NULL;
	}
	X509 *cert;
	bool failed = false;
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(t->store, cert) != 1)
			failed = true;
		else
			t->count++;
		X509_free(cert);
	}
	/* The end of the file shows as "no start line"; anything else is a broken certificate. */
	unsigned long e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
		failed = true;
	ERR_clear_error();
	BIO_free(bio);
	if (failed || t->count == 0) {
		*err = xasprintf("%s: %s", pem_path, failed ? "a certificate cannot be read" :
				 "no PEM certificate in the file");
		pdfsig_trust_free(t);
		return NULL;
	}
	return t;
}

/* Frees the trusted certificates. */
void pdfsig_trust_free(struct pdfsig_trust *trust)
{
	if (trust == NULL)
		return;
	X509_STORE_free(trust->store);
	free(trust);
}

/* An ASN.1 time as UTC seconds; 0 when it cannot be read. */
static time_t asn1_time_t(const ASN1_TIME *at)
{
	struct tm tm;
	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return 0;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t;
}

/* The first entry nid (CN, O) of a certificate's subject as clean UTF-8 (new string), or NULL. */
static char *subject_entry(X509 *cert, int nid)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int i = name ? X509_NAME_get_index_by_NID(name, nid, -1) : -1;
	if (i < 0)
		return NULL;
	const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	unsigned char *utf8 = NULL;
	int n = data ? ASN1_STRING_to_UTF8(&utf8, data) : -1;
	if (n <= 0) {
		OPENSSL_free(utf8);
		ERR_clear_error();
		return NULL;
	}
	char *s = xstrndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	utf8_scrub(s);
	str_trim(s);
	if (s[0] == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/* The signingTime attribute of a signer, or 0. */
static time_t signing_time(CMS_SignerInfo *si)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (i < 0)
		return 0;
	X509_ATTRIBUTE *attr = CMS_signed_get_attr(si, i);
	ASN1_TYPE *t = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return 0;
	return asn1_time_t(t->value.asn1_string);
}

/* What the chain walk met: a time problem goes on (to learn whether the chain is trusted), any
 * other stops it. */
struct chain_seen {
	bool expired, not_yet, other;
	time_t not_after;
};

/* The chain walk's callback: records each problem. */
static int chain_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return 1;
	struct chain_seen *seen = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx);
	if (e == X509_V_ERR_CERT_HAS_EXPIRED) {
		X509 *c = X509_STORE_CTX_get_current_cert(ctx);
		time_t end = c ? asn1_time_t(X509_get0_notAfter(c)) : 0;
		if (!seen->expired || (end != 0 && end < seen->not_after))
			seen->not_after = end;
		seen->expired = true;
		return 1;
	}
	if (e == X509_V_ERR_CERT_NOT_YET_VALID) {
		seen->not_yet = true;
		return 1;
	}
	seen->other = true;
	return 0;
}

/* Walks the chain from the signer to a trusted certificate at the time now; false only when
 * the walk itself could not be made. */
static bool chain_check(X509 *signer, STACK_OF(X509) *certs, const struct pdfsig_trust *trust,
			time_t now, struct chain_seen *seen)
{
	X509_STORE *empty = NULL, *store = trust ? trust->store : NULL;
	if (store == NULL && (store = empty = X509_STORE_new()) == NULL)
		return false;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = ctx != NULL && X509_STORE_CTX_init(ctx, store, signer, certs) == 1;
	if (ok) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_time(vp, now);
		ok = X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN) == 1 &&
		     X509_STORE_CTX_set_app_data(ctx, seen) == 1;
	}
	if (ok) {
		X509_STORE_CTX_set_verify_cb(ctx, chain_cb);
		if (X509_verify_cert(ctx) != 1)
			seen->other = true;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(empty);
	ERR_clear_error();
	return ok;
}

/* The signer's certificate among the CMS's own, or NULL. */
static X509 *find_signer(CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	for (int i = 0; certs && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

/* Checks one detached CMS signature over content, then its chain (pdfsig_cms.h). */
void pdfsig_cms_check(const unsigned char *der, size_t der_len, const unsigned char *content,
		      size_t len, const struct pdfsig_trust *trust, time_t now,
		      struct pdfsig_cms *out)
{
	memset(out, 0, sizeof *out);
	out->state = PDFSIG_INVALID;
	ERR_clear_error();
	const unsigned char *p = der;
	CMS_ContentInfo *cms = der_len <= PDFSIG_MAX_DER ?
		d2i_CMS_ContentInfo(NULL, &p, (long)der_len) : NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	if (cms == NULL) {
		out->reason = "không đọc được chữ ký (không phải CMS/PKCS #7)";
		goto done;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		out->reason = "chữ ký không phải kiểu SignedData";
		goto done;
	}
	if (CMS_is_detached(cms) != 1) {
		out->reason = "kiểu chữ ký không được hỗ trợ (nội dung nằm trong chữ ký)";
		goto done;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		out->reason = "chữ ký phải có đúng một người ký";
		goto done;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	out->signing_time = signing_time(si);
	certs = CMS_get1_certs(cms);
	X509 *signer = find_signer(si, certs);
	if (signer == NULL) {
		out->reason = "chữ ký không kèm chứng thư số của người ký";
		goto done;
	}
	out->signer = subject_entry(signer, NID_commonName);
	out->organization = subject_entry(signer, NID_organizationName);

	/* The signed bytes behind a buffer: OpenSSL 3.0's CMS_verify copies a memory BIO into
	 * one of its own and loses that copy when the signature names a digest it cannot make. */
	BIO *mem = len <= INT_MAX ? BIO_new_mem_buf(content, (int)len) : NULL;
	bio = mem ? BIO_new(BIO_f_buffer()) : NULL;
	if (bio != NULL)
		BIO_push(bio, mem);
	else
		BIO_free(mem);
	if (bio == NULL) {
		out->reason = "không kiểm tra được chữ ký";
		goto done;
	}
	if (CMS_verify(cms, NULL, NULL, bio, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		/* Which part failed: the signature over the signed attributes, or the digest of
		 * the signed bytes. */
		ERR_clear_error();
		CMS_SignerInfo_set1_signer_cert(si, signer);
		out->reason = CMS_SignerInfo_verify(si) == 1 ?
			"nội dung đã ký bị thay đổi" : "chữ ký không khớp với chứng thư số";
		goto done;
	}

	struct chain_seen seen = { 0 };
	if (!chain_check(signer, certs, trust, now, &seen)) {
		out->reason = "không kiểm tra được chuỗi chứng thư số";
		goto done;
	}
	time_t end = asn1_time_t(X509_get0_notAfter(signer));
	if (out->signing_time != 0 && end != 0 && out->signing_time > end) {
		/* Signed after the certificate ran out (by the signer's own clock). */
		if (!seen.expired || end < seen.not_after)
			seen.not_after = end;
		seen.expired = true;
	}
	if (seen.other) {
		out->state = PDFSIG_UNTRUSTED;
		out->reason = "chứng thư số không thuộc tổ chức chứng thực được tin cậy";
	} else if (seen.not_yet) {
		out->reason = "chứng thư số chưa có hiệu lực";
	} else if (seen.expired) {
		out->state = PDFSIG_EXPIRED;
		out->not_after = seen.not_after;
		out->reason = "chứng thư số đã hết hạn";
	} else {
		out->state = PDFSIG_VALID;
		out->reason = NULL;
	}
done:
	BIO_free_all(bio);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
}
