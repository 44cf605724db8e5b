/* Admin endpoint: libmicrohttpd in its own thread. Handlers read shared
 * state under its own lock and never block the watch or ADS threads. */
#include "admin/admin.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/addr.h"
#include "util/log.h"
#include "util/xalloc.h"

struct admin_server {
	struct MHD_Daemon *mhd;
	int port;
	atomic_bool ready;
};

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned int status, const char *ctype,
    const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body),
	    (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
admin_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **req_cls)
{
	struct admin_server *s = cls;
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	/* Bodies are not used by any endpoint: acknowledge and drop. */
	if (*req_cls == NULL) {
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0) {
		if (!is_get)
			return respond(conn, 405, "text/plain", "method not allowed\n");
		return respond(conn, 200, "text/plain", "ok\n");
	}
	if (strcmp(url, "/readyz") == 0) {
		if (!is_get)
			return respond(conn, 405, "text/plain", "method not allowed\n");
		if (atomic_load(&s->ready))
			return respond(conn, 200, "text/plain", "ready\n");
		return respond(conn, 503, "text/plain", "first snapshot not built yet\n");
	}
	return respond(conn, 404, "text/plain", "not found\n");
}

int
admin_server_start(const char *addr, struct admin_server **out, char **errmsg)
{
	struct admin_server *s;
	struct listen_addr la;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *why;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (listen_addr_parse(addr, &la, &why) < 0) {
		*errmsg = xasprintf("admin address \"%s\": %s", addr, why);
		return -1;
	}
	if (la.is_unix || listen_addr_sockaddr(&la, &ss, &sslen) < 0) {
		*errmsg = xasprintf("admin address \"%s\": must be an IP address and port", addr);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = xcalloc(1, sizeof *s);
	s->mhd = MHD_start_daemon(flags, (uint16_t)la.port, NULL, NULL,
	    admin_handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		free(s);
		*errmsg = xasprintf("admin address \"%s\": cannot listen", addr);
		return -1;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : la.port;
	*out = s;
	return 0;
}

int
admin_server_port(const struct admin_server *s)
{
	return s->port;
}

void
admin_server_set_ready(struct admin_server *s, bool ready)
{
	atomic_store(&s->ready, ready);
}

void
admin_server_stop(struct admin_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	free(s);
}
