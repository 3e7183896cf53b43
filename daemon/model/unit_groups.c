/* The groups units are listed by: their keys, order and titles, one table for every list. */
#include "unit_groups.h"
#include "util.h"

#include <string.h>

/* One row of the C table per X of UNIT_GROUP_TABLE. */
#define UNIT_GROUP_ROW(order, key, title, short_title) { order, key, title, short_title },

static const struct unit_group groups[] = {
	UNIT_GROUP_TABLE(UNIT_GROUP_ROW)
};

/* The group of a key, or NULL. */
const struct unit_group *unit_group_find(const char *key)
{
	for (size_t i = 0; key != NULL && i < nitems(groups); i++)
		if (strcmp(groups[i].key, key) == 0)
			return &groups[i];
	return NULL;
}

/* The documents' title of a group, or its key. */
const char *unit_group_title(const char *key)
{
	const struct unit_group *g = unit_group_find(key);
	return g != NULL ? g->title : key;
}

/* The board's title of a group, or its key. */
const char *unit_group_short_title(const char *key)
{
	const struct unit_group *g = unit_group_find(key);
	return g != NULL ? g->short_title : key;
}
