/* Listen addresses as users write them: "HOST:PORT", "[V6]:PORT",
 * "unix:/path". */
#ifndef CAIRN_UTIL_ADDR_H
#define CAIRN_UTIL_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct listen_addr {
	bool is_unix;
	char host[256]; /* without brackets */
	int port;
	char path[108]; /* unix socket path */
};

/* Returns 0, or -1 with *why set to a static explanation. */
int listen_addr_parse(const char *s, struct listen_addr *out, const char **why);
/* Loopback (127.0.0.0/8, ::1, "localhost") or a unix socket. */
bool listen_addr_is_local(const struct listen_addr *a);
/* Fill a sockaddr for a TCP address given as an IP literal or localhost. */
int listen_addr_sockaddr(const struct listen_addr *a,
    struct sockaddr_storage *ss, socklen_t *len);

#endif
