/* A writer of the Prometheus text exposition format 0.0.4: families with HELP and TYPE lines,
 * samples with escaped labels, histograms. */
#ifndef BAOCAO_PROM_H
#define BAOCAO_PROM_H

#include "util.h"

#include <stddef.h>

/* The Content-Type of the text format. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void prom_family(struct strbuf *out, const char *name, const char *type, const char *help);
/* Appends name="value" (escaped) to a label set being built, comma-separated. */
void prom_label(struct strbuf *labels, const char *name, const char *value);
/* One sample: name{labels} value (labels NULL or empty: none). */
void prom_sample(struct strbuf *out, const char *name, const char *labels, double value);
/* One sample with an integer value. */
void prom_sample_u(struct strbuf *out, const char *name, const char *labels,
		   unsigned long long value);
/* A histogram's samples (name_bucket, name_sum, name_count) from per-bucket counts
 * counts[nbounds + 1]; labels as for prom_sample. */
void prom_histogram(struct strbuf *out, const char *name, const char *labels,
		    const double *bounds, size_t nbounds, const unsigned long long *counts,
		    double sum);

#endif
