/* Client addresses as the limits count them: keys per address or /64, and address lists. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

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

/* Whether addr is one of the list's addresses. */
bool netaddr_listed(const char *list, const char *addr, size_t len)
{
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, " ,");
		if (n && n == len && strncmp(p, addr, len) == 0)
			return true;
		p += n;
	}
	return false;
}
