/* baocaoctl pdf check: the digital signatures of a PDF, checked as the daemon checks them. */
#include "ctl.h"

#include "clock.h"
#include "config.h"
#include "pdfsig.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest PDF read. */
#define PDF_MAX (256 * 1024 * 1024)

/* Prints "  name: value" when the value is known. */
static void print_field(const char *name, const char *value)
{
	if (value != NULL)
		printf("  %s: %s\n", name, value);
}

/* Prints each signature and the Vietnamese line; false when stdout cannot be written. */
static bool print_result(const char *path, const struct pdfsig_result *r, bool as_json)
{
	if (as_json) {
		char *json = pdfsig_result_json(r);
		printf("%s\n", json);
		free(json);
		return fflush(stdout) == 0 && !ferror(stdout);
	}
	printf("%s: %zu signature%s\n", path, r->n, r->n == 1 ? "" : "s");
	for (size_t i = 0; i < r->n; i++) {
		const struct pdfsig_sig *s = &r->sigs[i];
		printf("signature %zu: %s\n", i + 1, pdfsig_state_name(s->state));
		print_field("signer", s->signer);
		print_field("organization", s->organization);
		if (s->signed_at != 0) {
			time_t local = s->signed_at + 7 * 3600;
			struct tm tm;
			if (gmtime_r(&local, &tm) != NULL)
				printf("  signed at: %04d-%02d-%02dT%02d:%02d:%02d+07:00\n",
				       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				       tm.tm_min, tm.tm_sec);
		}
		print_field("message", s->message);
	}
	char *line = pdfsig_summary_vi(r);
	printf("%s\n", line);
	free(line);
	return fflush(stdout) == 0 && !ferror(stdout);
}

/* The trusted certificates: the option's file, else the configuration's trusted_roots. */
static struct pdfsig_trust *load_trust(struct ctl *ctl, const char *option)
{
	char *err = NULL;
	struct pdfsig_trust *trust;
	if (option != NULL) {
		trust = pdfsig_trust_load(option, &err);
	} else {
		struct config cfg;
		if (config_load(ctl->config_path, &cfg, &err) != 0) {
			fprintf(stderr, "error: %s (or give --trusted-roots PEM, \"\" for none)\n",
				err);
			free(err);
			config_free(&cfg);
			return NULL;
		}
		trust = pdfsig_trust_load(cfg.trusted_roots, &err);
		config_free(&cfg);
	}
	if (trust == NULL) {
		fprintf(stderr, "error: trusted certificates: %s\n", err);
		free(err);
	}
	return trust;
}

/* baocaoctl pdf check FILE.pdf [--trusted-roots PEM] [--json] */
static int pdf_check(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trusted-roots", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *roots = NULL;
	bool as_json = false;
	int opt;
	optind = 0;	/* a full restart of getopt, forgetting the "+" of main's call */
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': roots = optarg; break;
		case 'j': as_json = true; break;
		default:
			fprintf(stderr, "usage: baocaoctl pdf check FILE.pdf [--trusted-roots PEM] "
				"[--json]\n");
			return CTL_USER;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: baocaoctl pdf check FILE.pdf [--trusted-roots PEM] [--json]\n");
		return CTL_USER;
	}
	const char *path = argv[optind];
	char *data = NULL;
	size_t len = 0;
	if (file_read_all(path, PDF_MAX, &data, &len) != 0) {
		fprintf(stderr, "error: %s: %s\n", path,
			errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
		return CTL_USER;
	}
	struct pdfsig_trust *trust = load_trust(ctl, roots);
	if (trust == NULL) {
		free(data);
		return CTL_USER;
	}
	struct pdfsig_result r;
	char *err = NULL;
	int rc = CTL_OK;
	if (pdfsig_verify((const unsigned char *)data, len, trust, clock_now(), &r, &err) != 0) {
		fprintf(stderr, "error: %s: %s\n", path, err);
		free(err);
		rc = CTL_USER;
	} else {
		if (!print_result(path, &r, as_json)) {
			fprintf(stderr, "error: cannot write the result\n");
			rc = CTL_INTERNAL;
		}
		pdfsig_result_free(&r);
	}
	pdfsig_trust_free(trust);
	free(data);
	return rc;
}

/* baocaoctl pdf: the PDF documents' commands. */
int ctl_pdf(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return pdf_check(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: baocaoctl pdf check FILE.pdf [--trusted-roots PEM] [--json]\n");
	return CTL_USER;
}
