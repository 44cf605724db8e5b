/* The admin endpoint's socket side: libmicrohttpd with its own polling
 * thread. Requests are answered by admin_route(); this file only moves
 * bytes and headers.
 *
 * libmicrohttpd is opened with dlopen when an admin address is set, not
 * linked: it brings GnuTLS, p11-kit and their libraries, whose pages
 * (touched by relocation and constructors at load) a daemon with the
 * admin server off would hold for nothing (SPEC.md §12: idle <= 16 MiB). */
#include "autoconf.h"

#include <dlfcn.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The libmicrohttpd functions this file calls, resolved once. */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
} mhd;
static void *mhd_handle;
static char mhd_error[512];
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

static void
mhd_open(void)
{
	static const struct {
		const char *name;
		size_t offset;
	} syms[] = {
#define MHD_SYM(f) { "MHD_" #f, offsetof(__typeof__(mhd), f) }
		MHD_SYM(start_daemon), MHD_SYM(stop_daemon), MHD_SYM(get_daemon_info),
		MHD_SYM(create_response_from_buffer), MHD_SYM(add_response_header),
		MHD_SYM(queue_response), MHD_SYM(destroy_response),
		MHD_SYM(lookup_connection_value),
#undef MHD_SYM
	};
	void *h = dlopen(CAIRN_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *err;

	if (h == NULL) {
		err = dlerror();
		snprintf(mhd_error, sizeof mhd_error, "cannot load %s: %s",
		    CAIRN_MHD_SONAME, err ? err : "unknown error");
		return;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL) {
			snprintf(mhd_error, sizeof mhd_error, "%s has no %s",
			    CAIRN_MHD_SONAME, syms[i].name);
			dlclose(h);
			return;
		}
		memcpy((char *)&mhd + syms[i].offset, &f, sizeof f);
	}
	mhd_handle = h;
}

static enum MHD_Result
admin_queue(struct MHD_Connection *conn, struct admin_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD frees the body with free() once it is sent. */
	resp = mhd.create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		admin_response_free(r);
		return MHD_NO;
	}
	r->body = NULL;
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	mhd.add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* The status page needs its inline style and a form to /refresh;
	 * nothing else, from nowhere else. */
	mhd.add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
	    "frame-ancestors 'none'");
	if (r->allow != NULL)
		mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = mhd.queue_response(conn, r->status, resp);
	mhd.destroy_response(resp);
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
	req.type = mhd.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
	req.gateway = mhd.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
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
	pthread_once(&mhd_once, mhd_open);
	if (mhd_handle == NULL) {
		*errmsg = xasprintf("admin address \"%s\": %s", addr, mhd_error);
		return -1;
	}
	s = admin_server_new();
	s->mhd = mhd.start_daemon(flags, (uint16_t)la.port, NULL, NULL,
	    admin_handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		admin_server_free(s);
		*errmsg = xasprintf("admin address \"%s\": cannot listen", addr);
		return -1;
	}
	info = mhd.get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
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
		mhd.stop_daemon(s->mhd);
	admin_server_free(s);
}
