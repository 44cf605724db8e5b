/* The admin HTTP endpoint (libmicrohttpd, its own thread). All
 * libmicrohttpd code lives in src/admin/. */
#ifndef CAIRN_ADMIN_ADMIN_H
#define CAIRN_ADMIN_ADMIN_H

#include <stdbool.h>

struct admin_server;

/* Binds addr ("HOST:PORT", "[V6]:PORT"; port 0 = any). */
int admin_server_start(const char *addr, struct admin_server **out, char **errmsg);
int admin_server_port(const struct admin_server *s);
/* The first snapshot was built: /readyz answers 200 from now on. */
void admin_server_set_ready(struct admin_server *s, bool ready);
void admin_server_stop(struct admin_server *s);

#endif
