/* A writer of the Prometheus text exposition format 0.0.4, by hand (no C client library is
 * maintained): the caller's strbuf gets the lines. */
#include "prom.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

/* Appends s escaped for the text format: backslash and line feed, and the double quote too
 * inside a label value. */
static void prom_escape(struct strbuf *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_adds(out, "\\\\");
		else if (*s == '\n')
			strbuf_adds(out, "\\n");
		else if (*s == '"' && quote)
			strbuf_adds(out, "\\\"");
		else
			strbuf_addc(out, *s);
	}
}

/* Writes a family's HELP and TYPE lines. */
void prom_family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_addf(out, "# HELP %s ", name);
	prom_escape(out, help, false);
	strbuf_addf(out, "\n# TYPE %s %s\n", name, type);
}

/* Appends one label to a label set. */
void prom_label(struct strbuf *labels, const char *name, const char *value)
{
	strbuf_addf(labels, "%s%s=\"", labels->len ? "," : "", name);
	prom_escape(labels, value ? value : "", true);
	strbuf_addc(labels, '"');
}

/* Writes a sample's name and labels. */
static void prom_name(struct strbuf *out, const char *name, const char *labels)
{
	strbuf_adds(out, name);
	if (labels && *labels)
		strbuf_addf(out, "{%s}", labels);
}

/* Writes a sample with a floating value (NaN and the infinities as the format spells them). */
void prom_sample(struct strbuf *out, const char *name, const char *labels, double value)
{
	prom_name(out, name, labels);
	if (isnan(value))
		strbuf_adds(out, " NaN\n");
	else if (isinf(value))
		strbuf_adds(out, value > 0 ? " +Inf\n" : " -Inf\n");
	else
		strbuf_addf(out, " %.15g\n", value);
}

/* Writes a sample with an integer value. */
void prom_sample_u(struct strbuf *out, const char *name, const char *labels,
		   unsigned long long value)
{
	prom_name(out, name, labels);
	strbuf_addf(out, " %llu\n", value);
}

/* Writes a histogram's buckets (cumulative), sum and count. */
void prom_histogram(struct strbuf *out, const char *name, const char *labels,
		    const double *bounds, size_t nbounds, const unsigned long long *counts,
		    double sum)
{
	struct strbuf n = STRBUF_INIT, l = STRBUF_INIT;
	unsigned long long total = 0;
	for (size_t b = 0; b <= nbounds; b++) {
		total += counts[b];
		char le[32];
		if (b < nbounds)
			snprintf(le, sizeof le, "%g", bounds[b]);
		else
			snprintf(le, sizeof le, "+Inf");
		strbuf_reset(&l);
		if (labels && *labels)
			strbuf_adds(&l, labels);
		prom_label(&l, "le", le);
		strbuf_reset(&n);
		strbuf_addf(&n, "%s_bucket", name);
		prom_sample_u(out, n.data, l.data, total);
	}
	strbuf_reset(&n);
	strbuf_addf(&n, "%s_sum", name);
	prom_sample(out, n.data, labels, sum);
	strbuf_reset(&n);
	strbuf_addf(&n, "%s_count", name);
	prom_sample_u(out, n.data, labels, total);
	strbuf_free(&n);
	strbuf_free(&l);
}
