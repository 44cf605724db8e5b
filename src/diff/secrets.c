/* Secrets in a plan: the certificate (subject, names, validity), never
 * the key. */
#include "diff/diff_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "tls/tls.h"
#include "util/base64.h"
#include "util/xalloc.h"
#include "xds/json.h"
#include "xds/pb.h"
#include "xds/snapshot.h"

#include "envoy/config/route/v3/route.pb-c.h"

/* --- Secrets: the certificate, never the key ------------------------------ */

static json_t *
secret_cert(const json_t *secret)
{
	const json_t *tc = json_object_get(secret, "tls_certificate");
	const json_t *vc = json_object_get(secret, "validation_context");
	const json_t *ds = tc ? json_object_get(tc, "certificate_chain") :
	    json_object_get(vc, "trusted_ca");
	const char *b64 = json_string_value(json_object_get(ds, "inline_bytes"));
	const char *file = json_string_value(json_object_get(ds, "filename"));
	struct tls_cert_info info;
	char why[TLS_WHY_MAX], when[32];
	uint8_t *pem;
	size_t len;
	json_t *out = json_object();

	json_object_set_new(out, "kind", json_string(tc ? "certificate" :
	    vc ? "ca" : "other"));
	if (file)
		json_object_set_new(out, "file", json_string(file));
	if (b64 == NULL)
		return out;
	pem = xmalloc(strlen(b64) + 1);
	if (base64_decode(b64, strlen(b64), pem, &len) == 0 &&
	    tls_check_certificates(pem, len, &info, why, sizeof why) == 0) {
		tls_format_time(info.not_after, when);
		json_object_set_new(out, "subject", json_string(info.subject));
		json_object_set_new(out, "not_after", json_string(when));
	}
	free(pem);
	return out;
}

void
diff_secret_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct diff_plan *p = ctx;
	json_t *a = diff_resource_json(XDS_SECRET, from), *b = diff_resource_json(XDS_SECRET, to);
	json_t *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		return;
	}
	/* Redacted on both sides: a change only in the key bytes looks equal. */
	if (a && b && json_equal(a, b)) {
		json_decref(a);
		json_decref(b);
		return;
	}
	e = json_pack("{s:s, s:s}", "secret", to ? to->name : from->name,
	    "change", diff_change_name(a, b));
	json_object_set_new(e, "from", a ? secret_cert(a) : json_null());
	json_object_set_new(e, "to", b ? secret_cert(b) : json_null());
	json_array_append_new(p->secrets, e);
	json_decref(a);
	json_decref(b);
}
