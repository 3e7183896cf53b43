/* Address ranges written as CIDR ("127.0.0.1/32 ::1 10.0.0.0/8"): checking a list, matching. */
#ifndef BAOCAO_CIDR_H
#define BAOCAO_CIDR_H

#include <stdbool.h>

/*
 * Whether every entry of list (separated by spaces or commas; an address alone is a range of
 * one) is an IPv4 or IPv6 address with an optional prefix length. An empty list is valid.
 */
bool cidr_list_valid(const char *list);
/*
 * Whether addr (an IPv4 or IPv6 address as text; an IPv4-mapped IPv6 address counts as its
 * IPv4 form) lies in one of the ranges of list. False for anything that is not an address.
 */
bool cidr_list_match(const char *list, const char *addr);

#endif
