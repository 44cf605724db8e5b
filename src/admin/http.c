/* The admin endpoint's socket side: libmicrohttpd with its own polling
 * thread. Requests are answered by admin_route(); this file only moves
 * bytes and headers. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/xalloc.h"

static enum MHD_Result
admin_queue(struct MHD_Connection *conn, struct admin_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD frees the body with free() once it is sent. */
	resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		admin_response_free(r);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* The status page needs its inline style and a form to /refresh;
	 * nothing else, from nowhere else. */
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
	    "frame-ancestors 'none'");
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	admin_response_free(r);
	return ret;
}

static enum MHD_Result
admin_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **req_cls)
{
	struct admin_server *s = cls;
	struct admin_request req = { .method = method, .path = url };
	struct admin_response resp;

	/* No endpoint reads a body: acknowledge it and drop it. */
	if (*req_cls == NULL) {
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	req.type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
	req.gateway = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "gateway");
	admin_route(s, &req, &resp);
	return admin_queue(conn, &resp);
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
	if (!listen_addr_is_local(&la))
		log_warning("admin endpoint on %s is not loopback: anyone who can reach it "
		    "sees the configuration and can trigger refreshes", addr);
	s = admin_server_new();
	s->mhd = MHD_start_daemon(flags, (uint16_t)la.port, NULL, NULL,
	    admin_handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		admin_server_free(s);
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
admin_server_stop(struct admin_server *s)
{
	if (s == NULL)
		return;
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	admin_server_free(s);
}
