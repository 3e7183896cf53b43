/* libFuzzer target: the PDF signature check must examine or refuse any bytes without crashing or
 * leaking, and what it reports must keep its bounds: at most PDFSIG_MAX_SIGS signatures, each
 * with a known state and a message, the JSON an array of as many objects, the line never empty. */
#include "json_parse.h"
#include "pdfsig.h"
#include "utf8.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The trusted certificates: BAOCAO_FUZZ_ROOTS (a PEM file) when set, else none. */
static struct pdfsig_trust *trust;

/* Stops with a message, so that libFuzzer keeps the input. */
static void __attribute__((noreturn)) broken(const char *what, size_t a)
{
	fprintf(stderr, "fuzz_pdfsig: %s (%zu)\n", what, a);
	abort();
}

/* Loads the trusted certificates once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;
	trust = pdfsig_trust_load(getenv("BAOCAO_FUZZ_ROOTS"), &err);
	if (trust == NULL) {
		fprintf(stderr, "fuzz_pdfsig: %s\n", err);
		abort();
	}
	return 0;
}

/* Checks one text the check wrote: present when required, well-formed UTF-8. */
static void check_text(const char *s, bool required, const char *what)
{
	if (s == NULL) {
		if (required)
			broken(what, 0);
		return;
	}
	if (s[0] == '\0' || !utf8_valid(s, strlen(s)))
		broken(what, strlen(s));
}

/* One input: checked at a fixed time, then its result written out and read back. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdfsig_result r;
	char *err = NULL;
	int rc = pdfsig_verify(data, size, trust, 1796355720, &r, &err);
	if (rc != 0) {
		if (rc != -1 || err == NULL || r.n != 0 || r.sigs != NULL)
			broken("a refusal that is not one", (size_t)rc);
		free(err);
		return 0;
	}
	if (err != NULL || r.n > PDFSIG_MAX_SIGS || (r.n > 0) != (r.sigs != NULL))
		broken("a result out of bounds", r.n);
	for (size_t i = 0; i < r.n; i++) {
		const struct pdfsig_sig *s = &r.sigs[i];
		if (s->state > PDFSIG_EXPIRED)
			broken("an unknown state", (size_t)s->state);
		check_text(s->message, true, "a message missing or not UTF-8");
		check_text(s->signer, false, "a signer empty or not UTF-8");
		check_text(s->organization, false, "an organization empty or not UTF-8");
	}
	char *json = pdfsig_result_json(&r);
	struct jv *v = jv_parse(json, strlen(json), &err);
	if (v == NULL)
		broken(err, strlen(json));
	if (v->type != JV_ARRAY || v->len != r.n)
		broken("the JSON is not an array of the signatures", v->len);
	jv_free(v);
	free(json);
	char *line = pdfsig_summary_vi(&r);
	check_text(line, true, "the line is empty or not UTF-8");
	free(line);
	pdfsig_result_free(&r);
	return 0;
}
