/* The groups units are listed by: their keys, order and titles, one table for every list. */
#ifndef BAOCAO_UNIT_GROUPS_H
#define BAOCAO_UNIT_GROUPS_H

/*
 * The table: X(order, key, title, short title) per group, in the order lists show them;
 * units of any other group follow, by group key. The title is the documents' (the
 * consolidated report), the short title the board's (its workbook and the web pages).
 */
#define UNIT_GROUP_TABLE(X)							\
	X(0, "so-nganh", "Sở, ban, ngành", "Sở, ban, ngành")			\
	X(1, "xa-phuong", "Xã, phường", "Xã, phường")				\
	X(2, "dang-doan-the", "Cơ quan Đảng, Mặt trận Tổ quốc và đoàn thể",	\
	  "Cơ quan Đảng, Mặt trận và đoàn thể")

/* One group of the table. */
struct unit_group {
	int order;		/* its place in lists, from 0 */
	const char *key;	/* "so-nganh", as unit.unit_group holds it */
	const char *title;	/* "Sở, ban, ngành", for documents */
	const char *short_title;	/* for the board */
};

/* One WHEN of UNIT_ORDER_BY (order, key, title, short title). */
#define UNIT_GROUP_WHEN_SQL(order, key, title, short_title) " WHEN '" key "' THEN " #order

/*
 * The order of units in every list, as SQL for an ORDER BY, the table unit being `alias`:
 * by group as the table orders them (other groups after, by key), then by name and code.
 */
#define UNIT_ORDER_BY(alias)							\
	"CASE " alias ".unit_group" UNIT_GROUP_TABLE(UNIT_GROUP_WHEN_SQL) " END NULLS LAST, " \
	alias ".unit_group, " alias ".name COLLATE \"C\", " alias ".code"

/* The group of a key, or NULL for a group the table does not hold. */
const struct unit_group *unit_group_find(const char *key);
/* The documents' title of a group, or the key itself for a group the table does not hold. */
const char *unit_group_title(const char *key);
/* The board's title of a group, or the key itself for a group the table does not hold. */
const char *unit_group_short_title(const char *key);

#endif
