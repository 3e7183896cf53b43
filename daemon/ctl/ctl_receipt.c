/* baocaoctl receipt verify: checks the signature of a saved upload receipt. */
#include "clock.h"
#include "ctl.h"
#include "intake.h"
#include "json_parse.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads the server's public key from data_dir/receipt.key without creating anything. */
static bool server_public_key(const char *data_dir, unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	char *path = xasprintf("%s/receipt.key", data_dir);
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, sk, sizeof sk) : -1;
	if (fd >= 0)
		close(fd);
	bool ok = n == (ssize_t)sizeof sk && crypto_sign_ed25519_sk_to_pk(pk, sk) == 0;
	sodium_memzero(sk, sizeof sk);
	if (!ok)
		fprintf(stderr, "error: cannot read the server's key %s: %s; give the key with "
			"--public-key (GET /api/v1/receipts/public-key)\n", path,
			n < 0 ? strerror(errno) : "wrong size");
	free(path);
	return ok;
}

/* True if v is a number written as a whole one, from lo to hi (checked before any conversion). */
static bool whole_in(const struct jv *v, double lo, double hi)
{
	return v != NULL && v->type == JV_NUMBER && v->integral && v->number >= lo &&
	       v->number <= hi;
}

/* Fills a receipt from its JSON; false after printing which field is wrong. */
static bool receipt_from_json(const struct jv *doc, struct intake_receipt *r, const char *path)
{
	memset(r, 0, sizeof *r);
	const struct jv *sub = jv_get(doc, "submission"), *ver = jv_get(doc, "version");
	const struct jv *ont = jv_get(doc, "on_time"), *items = jv_get(doc, "items");
	const char *when = jv_get_string(doc, "received_at");
	const char *fields[] = { "sha256", "series", "period", "unit", "signature" };
	char *dest[] = { r->sha256, r->series, r->period, r->unit, r->signature };
	size_t sizes[] = { sizeof r->sha256, sizeof r->series, sizeof r->period, sizeof r->unit,
			   sizeof r->signature };
	/* Integers a double holds exactly; a larger one cannot be what was signed. */
	const double exact = 9007199254740992.0;	/* 2^53 */
	const char *missing = NULL;
	if (!whole_in(sub, -exact, exact))
		missing = "submission";
	else if (!whole_in(ver, INT_MIN, INT_MAX))
		missing = "version";
	else if (!ont || ont->type != JV_BOOL)
		missing = "on_time";
	else if (!whole_in(items, 0, exact))
		missing = "items";
	else if (!when || clock_parse_rfc3339(when, &r->received_at) != 0)
		missing = "received_at";
	for (size_t i = 0; !missing && i < nitems(fields); i++) {
		const char *v = jv_get_string(doc, fields[i]);
		if (v == NULL || strlen(v) >= sizes[i])
			missing = fields[i];
		else
			snprintf(dest[i], sizes[i], "%s", v);
	}
	if (missing) {
		fprintf(stderr, "error: %s: not a receipt: the field \"%s\" is missing or wrong\n",
			path, missing);
		return false;
	}
	r->submission = (long long)sub->number;
	r->version = (int)ver->number;
	r->on_time = ont->boolean;
	r->items = (size_t)items->number;
	return true;
}

/* baocaoctl receipt verify FILE.json [--public-key BASE64] */
int ctl_receipt(struct ctl *ctl, int argc, char **argv)
{
	const char *usage = "baocaoctl receipt verify FILE.json [--public-key BASE64]";
	static const struct option longopts[] = {
		{ "public-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: %s\n", usage);
		return CTL_USER;
	}
	const char *key = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		if (c != 'k') {
			fprintf(stderr, "usage: %s\n", usage);
			return CTL_USER;
		}
		key = optarg;
	}
	if (argc - 1 - optind != 1) {
		fprintf(stderr, "usage: %s\n", usage);
		return CTL_USER;
	}
	const char *path = argv[1 + optind];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t pklen = 0;
	if (key) {
		if (sodium_base642bin(pk, sizeof pk, key, strlen(key), NULL, &pklen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || pklen != sizeof pk) {
			fprintf(stderr, "error: --public-key is not a base64 Ed25519 key\n");
			return CTL_USER;
		}
	} else {
		/* No key given: the server's own, from the configuration's data_dir. */
		struct config cfg;
		char *cerr = NULL;
		if (config_load(ctl->config_path, &cfg, &cerr) != 0) {
			fprintf(stderr, "error: %s\n  or give the key with --public-key "
				"(GET /api/v1/receipts/public-key)\n", cerr);
			free(cerr);
			config_free(&cfg);
			return CTL_USER;
		}
		bool ok = server_public_key(cfg.data_dir, pk);
		config_free(&cfg);
		if (!ok)
			return CTL_USER;
	}
	char *text;
	size_t len;
	if (file_read_all(path, 1 << 20, &text, &len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return CTL_USER;
	}
	char *err = NULL;
	struct jv *doc = jv_parse(text, len, &err);
	free(text);
	if (doc == NULL) {
		fprintf(stderr, "error: %s: not JSON: %s\n", path, err);
		free(err);
		return CTL_USER;
	}
	/* A receipt alone, or the answer of GET .../submission, which holds one. */
	const struct jv *inner = jv_get(doc, "receipt");
	struct intake_receipt r;
	bool ok = receipt_from_json(inner && inner->type == JV_OBJECT ? inner : doc, &r, path);
	jv_free(doc);
	if (!ok)
		return CTL_USER;
	if (!intake_receipt_verify(&r, pk)) {
		fprintf(stderr, "INVALID: %s: the signature does not match this receipt; it was "
			"altered, or signed by another server\n", path);
		return CTL_USER;
	}
	char when[40];
	if (cal_format_rfc3339(r.received_at, when, sizeof when) != 0)
		snprintf(when, sizeof when, "%lld", (long long)r.received_at);
	printf("valid: submission %lld of %s %s by %s, version %d, received %s, %s, %zu items\n",
	       r.submission, r.series, r.period, r.unit, r.version, when,
	       r.on_time ? "on time" : "late", r.items);
	return CTL_OK;
}
