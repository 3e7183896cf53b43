/* Differential test: every workbook given must read the same through the scanner and expat alone. */
#include "util.h"
#include "xlsx_compare.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A list of paths. */
struct paths {
	char **v;
	size_t n, cap;
};

/* True for the names of workbooks. */
static bool is_workbook(const char *name)
{
	return str_has_suffix(name, ".xlsx") || str_has_suffix(name, ".xlsm") ||
	       str_has_suffix(name, ".XLSX");
}

/* Adds path, or the workbooks under it if it is a directory; false if it cannot be read. */
static bool collect(const char *path, struct paths *out)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->v = xrealloc(out->v, out->cap * sizeof *out->v);
		}
		out->v[out->n++] = xstrdup(path);
		return true;
	}
	DIR *d = opendir(path);
	if (d == NULL)
		return false;
	bool ok = true;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s/%s", path, de->d_name);
		struct stat sst;
		if (stat(sub, &sst) == 0 && (S_ISDIR(sst.st_mode) || is_workbook(de->d_name)))
			ok = collect(sub, out) && ok;
		free(sub);
	}
	return closedir(d) == 0 && ok;
}

/* Orders paths by name. */
static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xlsx_diff PATH...: prints TAP, one test per workbook (read from its file and from memory). */
int main(int argc, char **argv)
{
	struct paths ps = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!collect(argv[i], &ps)) {
			printf("1..0 # SKIP cannot read %s\n", argv[i]);
			return 0;
		}
	}
	qsort(ps.v, ps.n, sizeof *ps.v, path_cmp);
	printf("1..%zu\n", ps.n);
	int failed = 0;
	size_t with_fallback = 0;
	for (size_t i = 0; i < ps.n; i++) {
		size_t fallbacks = 0;
		char *diff = xlsx_compare(ps.v[i], NULL, 0, NULL, &fallbacks);
		char *data = NULL;
		size_t len = 0;
		if (diff == NULL && file_read_all(ps.v[i], 1u << 30, &data, &len) == 0)
			diff = xlsx_compare(NULL, data, len, NULL, NULL);
		free(data);
		printf("%s %zu - %s\n", diff ? "not ok" : "ok", i + 1, ps.v[i]);
		if (fallbacks > 0) {
			printf("# %zu part(s) read by expat after the scanner gave up\n", fallbacks);
			with_fallback++;
		}
		if (diff != NULL) {
			for (char *line = diff, *nl; line != NULL; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				printf("# %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
			}
			failed++;
		}
		free(diff);
		free(ps.v[i]);
	}
	free(ps.v);
	printf("# %zu of %zu workbooks had a part the scanner gave up to expat\n", with_fallback,
	       ps.n);
	fflush(stdout);
	return failed ? 1 : 0;
}
