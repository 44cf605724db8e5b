/* The transport security of the xDS server: TLS credentials that SIGHUP
 * can renew (src/ads/ only). */
#ifndef CAIRN_ADS_TRANSPORT_SECURITY_H
#define CAIRN_ADS_TRANSPORT_SECURITY_H

#include <grpc/grpc_security.h>

/* PEM files; client_ca set = mTLS (client certificates required). */
struct ads_transport_files {
	const char *certificate, *key, *client_ca;
};

struct ads_transport;

/* Credentials for grpc_server_add_http2_port; *tls_out is freed with
 * ads_transport_free() after grpc_server_destroy(). NULL with *err (caller
 * frees) when a file cannot be read or grpc refuses it. */
grpc_server_credentials *ads_transport_credentials(
    const struct ads_transport_files *f, struct ads_transport **tls_out,
    char **err);
/* Read the files again; new handshakes use them. -1 with *err (the
 * running certificate stays). Callable from any thread. */
int ads_transport_reload(struct ads_transport *t,
    const struct ads_transport_files *f, char **err);
void ads_transport_free(struct ads_transport *t);

#endif
