/* SDS Secrets, named <namespace>/<name> (SPEC §7): the certificate chain
 * and key of a kubernetes.io/tls Secret, or the trusted CA and CRL of a
 * validation context, inline. Sent only to clients that ask for them by
 * name (Envoy always does): a wildcard subscription gets no keys. */
#include "xds/translate_internal.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "util/xalloc.h"

typedef Envoy__Extensions__TransportSockets__Tls__V3__Secret Secret;
typedef Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate TlsCertificate;
typedef Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext
    CertificateValidationContext;
typedef Envoy__Config__Core__V3__DataSource DataSource;

#define REDACTED "[redacted]"

static DataSource *
inline_bytes(struct arena *a, const struct dag_bytes *b)
{
	DataSource *ds;

	if (b->len == 0)
		return NULL;
	ds = pb_new(a, &envoy__config__core__v3__data_source__descriptor);
	ds->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_BYTES;
	ds->inline_bytes.data = (uint8_t *)b->data;
	ds->inline_bytes.len = b->len;
	return ds;
}

/* The SDS Secret of ds: its certificate and key, or its CA (and CRL). */
Secret *
translate_secret(struct translation *t, const struct dag_secret *ds)
{
	struct arena *a = &t->arena;
	Secret *s = pb_new(a, &envoy__extensions__transport_sockets__tls__v3__secret__descriptor);

	s->name = pb_str(a, ds->name);
	if (ds->type == DAG_SECRET_TLS_CERTIFICATE) {
		TlsCertificate *tc = pb_new(a,
		    &envoy__extensions__transport_sockets__tls__v3__tls_certificate__descriptor);

		tc->certificate_chain = inline_bytes(a, &ds->certificate_chain);
		tc->private_key = inline_bytes(a, &ds->private_key);
		s->type_case = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE;
		s->tls_certificate = tc;
	} else {
		CertificateValidationContext *vc = pb_new(a,
		    &envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__descriptor);

		vc->trusted_ca = inline_bytes(a, &ds->trusted_ca);
		vc->crl = inline_bytes(a, &ds->crl);
		s->type_case = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_VALIDATION_CONTEXT;
		s->validation_context = vc;
	}
	return s;
}

uint8_t *
translate_secret_redact(const uint8_t *bytes, size_t len, size_t *out_len)
{
	Secret *s = envoy__extensions__transport_sockets__tls__v3__secret__unpack(NULL,
	    len, bytes);
	DataSource redacted = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT, *key;
	uint8_t *out = NULL;

	if (s == NULL)
		return NULL;
	if (s->type_case == ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE &&
	    s->tls_certificate != NULL && s->tls_certificate->private_key != NULL) {
		redacted.specifier_case =
		    ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
		redacted.inline_string = REDACTED;
		key = s->tls_certificate->private_key;
		s->tls_certificate->private_key = &redacted;
		*out_len = envoy__extensions__transport_sockets__tls__v3__secret__get_packed_size(s);
		out = xmalloc(*out_len + 1);
		envoy__extensions__transport_sockets__tls__v3__secret__pack(s, out);
		s->tls_certificate->private_key = key; /* freed by its owner */
	}
	envoy__extensions__transport_sockets__tls__v3__secret__free_unpacked(s, NULL);
	return out;
}
