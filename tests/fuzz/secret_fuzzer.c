/* Secrets and their PEM: arbitrary Secret objects through the whole
 * pipeline (load with the Secret schema, DAG checks of the PEM and of
 * delegations, SDS translation), and arbitrary PEM straight into the
 * checks of src/tls/pem.c.
 *
 * Input: text starting with "-----BEGIN" is a PEM bundle and goes to
 * tls_check_certificates, tls_check_private_key, tls_check_crl and, when
 * the first two accept it, tls_check_key_pair. Anything else is a YAML
 * file in the namespace its first "namespace: X" line names (fuzz_ns.h),
 * built together with fixed objects that use the Secrets "tls" and "ca" of
 * that namespace (an HTTPS virtual host with client validation, upstream
 * validation, an Ingress) and, from another namespace, "NS/tls" (which
 * needs a TLSCertificateDelegation).
 * Properties beyond memory safety:
 *   - a check returns 0, or -1 with a reason; the same input gets the same
 *     answer and reason again (no OpenSSL error state leaks between calls);
 *   - reasons and the status report never hold a line of a private key's
 *     PEM body (docs: messages carry block numbers, types and reasons only);
 *   - every Secret cairn would send Envoy passes the checks Envoy will make:
 *     inline certificate chains and CAs parse, inline keys parse and
 *     belong to their certificate, inline CRLs parse;
 *   - the same files build the same snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "fuzz.h"
#include "fuzz_files.h"
#include "fuzz_ns.h"
#include "pipeline.h"
#include "report.h"
#include "tls/tls.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef Envoy__Config__Core__V3__DataSource DataSource;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* --- private key lines ------------------------------------------------------ */

/* Whether s is all base64, as a PEM body line is. */
static bool
base64_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' ||
		    s[i] == '='))
			return false;
	return true;
}

/* Whether a YAML line (blanks stripped) opens a literal block scalar. */
static bool
opens_block(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '-' || s[n - 1] == '+'))
		n--;
	return n >= 2 && s[n - 1] == '|' && (s[n - 2] == ' ' || s[n - 2] == ':');
}

/* Calls fn on every body line of a PRIVATE KEY block of text that is long
 * enough to be key material, all base64, and occurs in text only there,
 * so that finding it in a message can only mean the key leaked. In YAML
 * (yaml true) only lines of literal block scalars count, blanks stripped:
 * elsewhere the text is part of a key, a kind or a plain scalar, which
 * messages may rightly quote. */
static void
each_key_line(const char *text, size_t len, bool yaml,
    void (*fn)(const char *line, size_t n, void *arg), void *arg)
{
	const char *p = text, *end = text + len;
	bool in_key = false, await_block = false;
	size_t parent = 0, block = 0; /* indents; block 0: not in a block */

	while (p < end) {
		const char *line = p, *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *s = p;
		size_t n, indent;

		p = eol + 1;
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		indent = (size_t)(s - line);
		n = (size_t)(eol - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (yaml && n > 0) {
			if (await_block && indent > parent)
				block = indent;
			else if (block > 0 && indent < block)
				block = 0;
			await_block = false;
			if (block == 0) {
				in_key = false;
				await_block = opens_block(s, n);
				parent = indent;
				continue;
			}
		}
		if (n >= 10 && memcmp(s, "-----BEGIN", 10) == 0)
			in_key = memmem(s, n, "PRIVATE KEY-----", 16) != NULL;
		else if (n >= 8 && memcmp(s, "-----END", 8) == 0)
			in_key = false;
		else if (in_key && n >= 32 && base64_line(s, n) &&
		    memmem(text, len, s, n) == s &&
		    memmem(s + 1, (size_t)(end - s - 1), s, n) == NULL)
			fn(s, n, arg);
	}
}

static void
check_not_in(const char *line, size_t n, void *arg)
{
	const char *msg = arg;

	FUZZ_CHECK(memmem(msg, strlen(msg), line, n) == NULL);
}

/* --- PEM straight into src/tls ---------------------------------------------- */

typedef int (*pem_check)(const void *, size_t, char *, size_t);

static int
check_certificates(const void *pem, size_t len, char *why, size_t whylen)
{
	return tls_check_certificates(pem, len, NULL, why, whylen);
}

/* Runs a check twice: it must answer the same, with a reason on refusal
 * that gives away no key line of the input. */
static int
run_check(pem_check fn, const uint8_t *data, size_t size)
{
	char why1[TLS_WHY_MAX] = "", why2[TLS_WHY_MAX] = "";
	int rc1 = fn(data, size, why1, sizeof why1);
	int rc2 = fn(data, size, why2, sizeof why2);

	FUZZ_CHECK(rc1 == 0 || rc1 == -1);
	FUZZ_CHECK(rc1 == rc2);
	FUZZ_CHECK(strcmp(why1, why2) == 0);
	if (rc1 < 0)
		FUZZ_CHECK(why1[0] != '\0');
	each_key_line((const char *)data, size, false, check_not_in, why1);
	return rc1;
}

static void
fuzz_pem(const uint8_t *data, size_t size)
{
	int certs = run_check(check_certificates, data, size);
	int key = run_check(tls_check_private_key, data, size);
	char why[TLS_WHY_MAX] = "";

	run_check(tls_check_crl, data, size);
	if (certs == 0 && key == 0) {
		int rc = tls_check_key_pair(data, size, data, size, why, sizeof why);

		FUZZ_CHECK(rc == 0 || (rc == -1 && why[0] != '\0'));
		each_key_line((const char *)data, size, false, check_not_in, why);
	}
}

/* --- Secrets through the pipeline ------------------------------------------- */

/* Objects that use the input's Secrets in every way a Secret is used. */
static const char companion_same_ns[] =
    "apiVersion: projectcontour.io/v1\n"
    "kind: HTTPProxy\n"
    "metadata: {name: fuzz-https}\n"
    "spec:\n"
    "  virtualhost:\n"
    "    fqdn: fuzz.example.com\n"
    "    tls:\n"
    "      secretName: tls\n"
    "      clientValidation: {caSecret: ca}\n"
    "  routes:\n"
    "    - services:\n"
    "        - name: app\n"
    "          port: 443\n"
    "          protocol: tls\n"
    "          validation: {caSecret: ca, subjectName: app.example.com}\n"
    "---\n"
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: fuzz-ingress}\n"
    "spec:\n"
    "  tls: [{hosts: [ingress.example.com], secretName: tls}]\n"
    "  rules:\n"
    "    - host: ingress.example.com\n"
    "      http:\n"
    "        paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 443}}}}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: app}\n"
    "spec: {ports: [{port: 443}]}\n";
static const char companion_other_ns[] =
    "apiVersion: projectcontour.io/v1\n"
    "kind: HTTPProxy\n"
    "metadata: {name: fuzz-delegated}\n"
    "spec:\n"
    "  virtualhost:\n"
    "    fqdn: delegated.example.com\n"
    "    tls: {secretName: %s/tls}\n"
    "  routes: [{services: [{name: app, port: 80}]}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: app}\n"
    "spec: {ports: [{port: 80}]}\n";

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct source_file *)a)->path,
	    ((const struct source_file *)b)->path);
}

static void
make_files(struct source_files *sf, const char *ns, const uint8_t *data, size_t size)
{
	/* The other namespace must differ from the input's. */
	const char *other = strcmp(ns, "fuzz-other") == 0 ? "fuzz-other2" : "fuzz-other";
	char path[128], *text;

	snprintf(path, sizeof path, "%s/fuzz.yaml", ns);
	fuzz_add_file(sf, path, ns, data, size);
	snprintf(path, sizeof path, "%s/zz-uses.yaml", ns);
	fuzz_add_file(sf, path, ns, companion_same_ns, strlen(companion_same_ns));
	text = xasprintf(companion_other_ns, ns);
	snprintf(path, sizeof path, "%s/uses.yaml", other);
	fuzz_add_file(sf, path, other, text, strlen(text));
	free(text);
	qsort(sf->files, sf->n, sizeof *sf->files, cmp_path);
	sf->revision = xstrdup("fuzz");
}

/* The inline PEM of a DataSource, or NULL (a file, or nothing). */
static const void *
inline_data(const DataSource *d, size_t *len)
{
	if (d == NULL)
		return NULL;
	if (d->specifier_case == ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_BYTES) {
		*len = d->inline_bytes.len;
		return d->inline_bytes.data;
	}
	if (d->specifier_case == ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING) {
		*len = strlen(d->inline_string);
		return d->inline_string;
	}
	return NULL;
}

/* A Secret cairn would send: Envoy must be able to load it. */
static void
check_sds_secret(const struct xds_resource *r)
{
	Envoy__Extensions__TransportSockets__Tls__V3__Secret *s =
	    envoy__extensions__transport_sockets__tls__v3__secret__unpack(NULL, r->len,
	    xds_resource_bytes(r));
	char why[TLS_WHY_MAX];
	const void *cert, *key, *ca, *crl;
	size_t clen = 0, klen = 0, calen = 0, crllen = 0;

	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(strcmp(s->name, r->name) == 0);
	if (s->type_case == ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE) {
		cert = inline_data(s->tls_certificate->certificate_chain, &clen);
		key = inline_data(s->tls_certificate->private_key, &klen);
		if (cert != NULL)
			FUZZ_CHECK(tls_check_certificates(cert, clen, NULL, why, sizeof why) == 0);
		if (key != NULL)
			FUZZ_CHECK(tls_check_private_key(key, klen, why, sizeof why) == 0);
		if (cert != NULL && key != NULL)
			FUZZ_CHECK(tls_check_key_pair(cert, clen, key, klen, why, sizeof why) == 0);
	} else {
		FUZZ_CHECK(s->type_case ==
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_VALIDATION_CONTEXT);
		ca = inline_data(s->validation_context->trusted_ca, &calen);
		crl = inline_data(s->validation_context->crl, &crllen);
		if (ca != NULL)
			FUZZ_CHECK(tls_check_certificates(ca, calen, NULL, why, sizeof why) == 0);
		if (crl != NULL)
			FUZZ_CHECK(tls_check_crl(crl, crllen, why, sizeof why) == 0);
	}
	envoy__extensions__transport_sockets__tls__v3__secret__free_unpacked(s, NULL);
}

static bool
input_loaded(const struct build_result *r, const char *ns)
{
	char path[128];

	snprintf(path, sizeof path, "%s/fuzz.yaml", ns);
	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].path, path) == 0)
			return r->files[i].state == FILE_OK;
	return false;
}

static void
fuzz_yaml(const uint8_t *data, size_t size)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct load_options lo = { 0 };
	struct source_files files = { 0 };
	struct build_result r1, r2;
	struct pipeline *p, *q;
	const struct xds_resource_set *sds;
	char ns[64], *text;
	json_t *report;

	fuzz_namespace_of((const char *)data, size, ns, sizeof ns);
	make_files(&files, ns, data, size);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	p = pipeline_new(&lo);
	q = pipeline_new(&lo);

	pipeline_build(p, &files, &cfg, &to, &r1);
	sds = &r1.snapshot->types[XDS_SECRET];
	for (size_t i = 0; i < sds->n; i++)
		check_sds_secret(xds_set_at(sds, i));
	report = report_json(&r1);
	FUZZ_CHECK(report != NULL);
	text = json_dumps(report, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	/* Only when the file loaded: a key block the YAML does not hold in a
	 * scalar is plain YAML text, which syntax errors may quote. */
	if (input_loaded(&r1, ns))
		each_key_line((const char *)data, size, true, check_not_in, text);
	free(text);
	json_decref(report);

	pipeline_build(q, &files, &cfg, &to, &r2);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		FUZZ_CHECK(r1.snapshot->types[t].version == r2.snapshot->types[t].version);
	build_result_free(&r2);
	build_result_free(&r1);
	source_files_free(&files);
	pipeline_free(p);
	pipeline_free(q);
	config_free(&cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (128 << 10))
		return 0;
	if (size >= 10 && memcmp(data, "-----BEGIN", 10) == 0)
		fuzz_pem(data, size);
	else
		fuzz_yaml(data, size);
	return 0;
}
