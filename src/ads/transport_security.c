/* The transport security of the xDS server (xds.tls, SPEC §8), not to be
 * confused with src/tls/ (PEM checks) or src/dag/vhost_tls.c (the TLS of
 * virtual hosts): grpc core SSL credentials from PEM
 * files; with client-ca set, client certificates are required and
 * verified. grpc asks for the certificate configuration at every new
 * handshake (a config fetcher): ads_transport_reload() queues a new one read
 * from the files (SIGHUP), taken by the next handshake; streams already
 * open keep their connection. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "ads/transport_security.h"
#include "tls/tls.h"
#include "util/log.h"
#include "util/xalloc.h"

struct ads_transport {
	pthread_mutex_t mu;
	grpc_ssl_server_certificate_config *next; /* for the next handshake */
	bool mtls; /* fixed for the server's life: grpc cannot change it */
};

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* A whole PEM file as a string, or NULL with *err. */
static char *
read_pem(const char *what, const char *path, char **err)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL) {
		*err = xasprintf("xDS TLS %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	do {
		ARRAY_RESERVE(buf, len + 4096, cap);
		n = fread(buf + len, 1, 4096, fp);
		len += n;
	} while (n > 0 && len < (1u << 20));
	if (ferror(fp) || len == 0 || len >= (1u << 20)) {
		*err = xasprintf("xDS TLS %s %s: %s", what, path, ferror(fp) ?
		    strerror(errno) : len == 0 ? "empty file" : "larger than 1 MiB");
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

/* What grpc would refuse, said with the file's name (src/tls/). */
static bool
pem_ok(const struct ads_transport_files *f, const char *cert, const char *key,
    const char *ca, char **err)
{
	char why[TLS_WHY_MAX];

	if (tls_check_certificates(cert, strlen(cert), NULL, why, sizeof why) < 0) {
		*err = xasprintf("xDS TLS certificate %s: %s", f->certificate, why);
		return false;
	}
	if (tls_check_key_pair(cert, strlen(cert), key, strlen(key), why, sizeof why) < 0) {
		*err = xasprintf("xDS TLS key %s: %s", f->key, why);
		return false;
	}
	if (ca != NULL && tls_check_certificates(ca, strlen(ca), NULL, why, sizeof why) < 0) {
		*err = xasprintf("xDS TLS client CA %s: %s", f->client_ca, why);
		return false;
	}
	return true;
}

/* The certificate, key and client CA of f as a grpc configuration, or
 * NULL with *err. The key is wiped from memory once grpc copied it. */
static grpc_ssl_server_certificate_config *
config_read(const struct ads_transport_files *f, char **err)
{
	grpc_ssl_server_certificate_config *c = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL;

	if (!set(f->certificate) || !set(f->key)) {
		*err = xstrdup("xDS TLS needs both a certificate and a key "
		    "(xds.tls.certificate and xds.tls.key), plus client-ca for mTLS");
		return NULL;
	}
	if ((cert = read_pem("certificate", f->certificate, err)) != NULL &&
	    (key = read_pem("key", f->key, err)) != NULL &&
	    (!set(f->client_ca) || (ca = read_pem("client CA", f->client_ca, err)) != NULL) &&
	    pem_ok(f, cert, key, ca, err)) {
		grpc_ssl_pem_key_cert_pair pair = { .private_key = key, .cert_chain = cert };

		/* grpc (1.51) asserts that a fetched configuration has root
		 * certificates even when client certificates are not asked
		 * for: then the server's own chain stands in, never used. */
		c = grpc_ssl_server_certificate_config_create(ca ? ca : cert, &pair, 1);
		if (c == NULL)
			*err = xasprintf("xDS TLS: grpc refused the certificate %s or "
			    "the key %s", f->certificate, f->key);
	}
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	free(ca);
	return c;
}

/* grpc's config fetcher: runs on a grpc thread at each handshake. */
static grpc_ssl_certificate_config_reload_status
config_fetch(void *arg, grpc_ssl_server_certificate_config **config)
{
	struct ads_transport *t = arg;
	grpc_ssl_server_certificate_config *next;

	pthread_mutex_lock(&t->mu);
	next = t->next;
	t->next = NULL;
	pthread_mutex_unlock(&t->mu);
	if (next == NULL)
		return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
	*config = next; /* grpc owns it now */
	return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

grpc_server_credentials *
ads_transport_credentials(const struct ads_transport_files *f,
    struct ads_transport **tls_out, char **err)
{
	struct ads_transport *t;
	grpc_ssl_server_credentials_options *o;
	grpc_server_credentials *creds;
	grpc_ssl_server_certificate_config *first = config_read(f, err);

	*tls_out = NULL;
	if (first == NULL)
		return NULL;
	t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	t->mtls = set(f->client_ca);
	t->next = first; /* grpc fetches the first configuration right away */
	o = grpc_ssl_server_credentials_create_options_using_config_fetcher(
	    t->mtls ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY :
	    GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE, config_fetch, t);
	creds = grpc_ssl_server_credentials_create_with_options(o); /* owns o */
	if (creds == NULL) {
		*err = xasprintf("xDS TLS: grpc refused the certificate %s or the "
		    "key %s", f->certificate, f->key);
		ads_transport_free(t);
		return NULL;
	}
	*tls_out = t;
	return creds;
}

int
ads_transport_reload(struct ads_transport *t, const struct ads_transport_files *f,
    char **err)
{
	grpc_ssl_server_certificate_config *c, *old;

	if (t->mtls != set(f->client_ca)) {
		*err = xstrdup("xds.tls.client-ca was added or removed: restart "
		    "cairn to change whether client certificates are required");
		return -1;
	}
	if ((c = config_read(f, err)) == NULL)
		return -1; /* the running certificate stays */
	pthread_mutex_lock(&t->mu);
	old = t->next;
	t->next = c;
	pthread_mutex_unlock(&t->mu);
	if (old != NULL) /* never taken: no handshake since the last reload */
		grpc_ssl_server_certificate_config_destroy(old);
	return 0;
}

void
ads_transport_free(struct ads_transport *t)
{
	if (t == NULL)
		return;
	if (t->next != NULL)
		grpc_ssl_server_certificate_config_destroy(t->next);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
