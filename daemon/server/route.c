/* The routing table: matching a method and path to a handler, with {name} parameters. */
#include "route.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>


/* Decodes one path segment. */
char *route_decode_segment(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			hi = hex_digit_value(s[i + 1]);
			lo = hex_digit_value(s[i + 2]);
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '/' || c == '\0') {
				free(out);
				return NULL;
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* Matches a path against one pattern, capturing parameters; false if it does not match. */
static bool route_match_one(const char *pattern, const char *path, struct route_params *params)
{
	const char *p = pattern, *s = path;
	params->n = 0;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (close == NULL || params->n >= ROUTE_MAX_PARAMS)
				return false;
			size_t seglen = strcspn(s, "/");
			if (seglen == 0)
				return false;
			char *v = route_decode_segment(s, seglen);
			if (v == NULL)
				return false;
			params->names[params->n] = p + 1;
			params->name_lens[params->n] = (size_t)(close - p - 1);
			params->values[params->n] = v;
			params->n++;
			p = close + 1;
			s += seglen;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

/* Finds the route for a request. */
const struct route *route_match(const struct route *table, const char *method, const char *path,
				struct route_params *params, int *status)
{
	bool path_found = false;
	memset(params, 0, sizeof *params);
	for (const struct route *r = table; r->pattern; r++) {
		if (!route_match_one(r->pattern, path, params)) {
			route_params_free(params);
			continue;
		}
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
			return r;
		path_found = true;
		route_params_free(params);
	}
	*status = path_found ? 405 : 404;
	return NULL;
}

/* Looks up a captured parameter by name. */
const char *route_param(const struct route_params *params, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < params->n; i++)
		if (params->name_lens[i] == len && memcmp(params->names[i], name, len) == 0)
			return params->values[i];
	return NULL;
}

/* Frees the captured values. */
void route_params_free(struct route_params *params)
{
	for (int i = 0; i < params->n; i++)
		free(params->values[i]);
	params->n = 0;
}
