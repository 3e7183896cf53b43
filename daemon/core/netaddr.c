/* Client addresses as the limits count them (keys per address or /64) and lists of address
 * ranges written as CIDR ("127.0.0.1/32 ::1 10.0.0.0/8"): checking a list, matching. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The key an address is counted under. */
void netaddr_key(const char *address, char out[NETADDR_KEY_MAX])
{
	struct in6_addr a6;
	if (strchr(address, ':') != NULL && inet_pton(AF_INET6, address, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {	/* an IPv4 client of a dual-stack socket */
			char v4[INET_ADDRSTRLEN];
			if (inet_ntop(AF_INET, a6.s6_addr + 12, v4, sizeof v4) != NULL) {
				snprintf(out, NETADDR_KEY_MAX, "%s", v4);
				return;
			}
		}
		memset(a6.s6_addr + 8, 0, 8);
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, &a6, text, sizeof text) != NULL) {
			snprintf(out, NETADDR_KEY_MAX, "%s/64", text);
			return;
		}
	}
	snprintf(out, NETADDR_KEY_MAX, "%.*s", NETADDR_KEY_MAX - 1, address);
}

#define CIDR_TEXT_MAX 64	/* longer than any address with its prefix */

/* One range: the family's address bytes and how many leading bits count. */
struct cidr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

/* Parses an address alone (bits = the whole address); an IPv4-mapped IPv6 address becomes
 * IPv4. Returns 0 or -1. */
static int cidr_address(const char *text, struct cidr *out)
{
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = AF_INET;
		out->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->addr) != 1)
		return -1;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(out->addr, mapped, sizeof mapped) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
		out->bits = 32;
		return 0;
	}
	out->family = AF_INET6;
	out->bits = 128;
	return 0;
}

/* Parses one entry of len bytes, "ADDRESS" or "ADDRESS/BITS". Returns 0 or -1. */
static int cidr_parse(const char *entry, size_t len, struct cidr *out)
{
	char text[CIDR_TEXT_MAX];
	if (len == 0 || len >= sizeof text)
		return -1;
	memcpy(text, entry, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	long bits = -1;
	if (slash != NULL) {
		char *end;
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0')
			return -1;
	}
	/* A mapped address written with a prefix keeps its IPv6 meaning: parse it as is. */
	if (cidr_address(text, out) != 0)
		return -1;
	if (bits >= 0) {
		int full = strchr(text, ':') ? 128 : 32;
		if (bits > full)
			return -1;
		if (full == 128 && out->family == AF_INET) {
			/* ::ffff:a.b.c.d/N: N counts from the IPv6 address's first bit. */
			if (bits < 96)
				return -1;
			bits -= 96;
		}
		out->bits = (int)bits;
	}
	return 0;
}

/* Whether a lies in range r. */
static bool cidr_contains(const struct cidr *r, const struct cidr *a)
{
	if (r->family != a->family)
		return false;
	int whole = r->bits / 8, rest = r->bits % 8;
	if (memcmp(r->addr, a->addr, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (r->addr[whole] & mask) == (a->addr[whole] & mask);
}

/* Calls each on every entry of list until it returns false; returns false if one did. */
static bool cidr_each(const char *list, bool (*each)(const char *, size_t, void *), void *arg)
{
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		size_t n = strcspn(p, " ,\t");
		if (n > 0 && !each(p, n, arg))
			return false;
		p += n;
	}
	return true;
}

/* cidr_each callback: whether the entry parses. */
static bool entry_valid(const char *entry, size_t len, void *arg)
{
	(void)arg;	/* nothing to carry */
	struct cidr r;
	return cidr_parse(entry, len, &r) == 0;
}

/* Whether every entry of a list parses. */
bool netaddr_list_valid(const char *list)
{
	return cidr_each(list, entry_valid, NULL);
}

/* cidr_each callback: false (stop) when the entry holds the address. */
static bool entry_misses(const char *entry, size_t len, void *arg)
{
	struct cidr r;
	return cidr_parse(entry, len, &r) != 0 || !cidr_contains(&r, arg);
}

/* Whether an address lies in one of the list's ranges. */
bool netaddr_list_match(const char *list, const char *addr)
{
	struct cidr a;
	if (addr == NULL || strlen(addr) >= CIDR_TEXT_MAX || cidr_address(addr, &a) != 0)
		return false;
	return !cidr_each(list, entry_misses, &a);
}

/* Whether addr (len bytes) lies in one of the list's ranges. */
bool netaddr_listed(const char *list, const char *addr, size_t len)
{
	char text[CIDR_TEXT_MAX];
	if (len >= sizeof text)
		return false;
	memcpy(text, addr, len);
	text[len] = '\0';
	return netaddr_list_match(list, text);
}
