/* Secrets and TLSCertificateDelegations. Every Secret is checked when its
 * group is built (its data and stringData with OpenSSL through src/tls/;
 * the files its annotations name were read and checked before the build,
 * src/tls/material.c), so that its status says whether it is usable and
 * when its certificate expires; processors then ask for a Secret by reference
 * (secret_use) and get an SDS resource or the reason they cannot have
 * one: not found, not valid for that use, or not delegated to their
 * namespace (Contour's rules). */
#include "dag/build_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "tls/tls.h"
#include "util/sorted.h"
#include "util/xalloc.h"

#define TYPE_TLS "kubernetes.io/tls"
/* Warn this long before a certificate expires (certbot renews at 30 days
 * left: a warning means renewal has been failing for two weeks). */
#define EXPIRY_WARNING_SECONDS (14 * 24 * 3600)

struct secret_state {
	bool valid; /* checked, no problem */
	bool is_tls; /* type kubernetes.io/tls (or file-backed certificate) */
	const char *why; /* the problem, when !valid */
	struct dag_bytes crt, key, ca, crl; /* empty: absent */
};

void
secret_ref_split(struct builder *b, const char *ref, const char *from_ns,
    const char **ns_out, const char **name_out)
{
	const char *slash = strchr(ref, '/');

	if (slash == NULL) {
		*ns_out = from_ns;
		*name_out = ref;
		return;
	}
	*ns_out = arena_strndup(b->arena, ref, (size_t)(slash - ref));
	*name_out = slash + 1;
}

static const struct secret_item *
item_find(const struct secret *s, const char *key)
{
	for (size_t i = 0; i < s->nitems; i++)
		if (strcmp(s->items[i].key, key) == 0)
			return &s->items[i];
	return NULL;
}

/* The index of o (the first of its name) in b->secrets. */
static size_t
secret_index(const struct builder *b, const struct object *o)
{
	struct object_key k = { o->meta.namespace, o->meta.name };

	return sorted_search(&k, b->secrets, b->nsecrets, sizeof b->secrets[0],
	    object_key_cmp);
}

/* --- reading ------------------------------------------------------------------ */

/* One piece of a Secret: the data key that may hold it and the
 * annotation that may name its file instead. */
struct piece {
	const char *key; /* "tls.crt" */
	const char *annotation; /* "cairn.io/certificate-file", or NULL */
	const char *file; /* the annotation's value, or NULL */
	const struct origin *file_origin;
	/* What material() found. */
	struct dag_bytes bytes; /* empty: absent */
	const struct origin *where; /* of the data item or the annotation */
	const struct tls_material_file *mf; /* when read from a file */
};

/* One piece of material: from data/stringData, or from a file read before
 * the build (b->material). Returns false after reporting a problem. */
static bool
material(struct builder *b, size_t st, const struct object *o, struct piece *p)
{
	const struct secret_item *it = item_find(&o->u.secret, p->key);
	const struct tls_material_file *mf;

	p->where = it ? &it->origin : NULL;
	if (p->file == NULL) {
		if (it != NULL) {
			p->bytes.data = it->value;
			p->bytes.len = it->len;
		}
		return true;
	}
	p->where = p->file_origin;
	ARENA_PUSH(b->arena, b->tls_files, b->ntls_files, b->tls_files_cap,
	    p->file);
	if (it != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError", "SecretNotValid",
		    p->file_origin, "%s is given twice: in data/stringData and by "
		    "annotation %s", p->key, p->annotation);
		return false;
	}
	mf = tls_material_find(b->material, p->file);
	if (mf == NULL || mf->error != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError", "SecretNotValid",
		    p->file_origin, "annotation %s: %s", p->annotation, mf ?
		    mf->error : "the file was not read before the build");
		return false;
	}
	p->mf = mf;
	p->bytes.data = arena_memdup(b->arena, mf->data, mf->len + 1);
	p->bytes.len = mf->len;
	return true;
}

/* The certificate check of a piece: the facts found when its file was
 * read, or a check of its inline bytes. */
static int
piece_certificates(const struct piece *p, struct tls_cert_info *info,
    char *why, size_t whylen)
{
	if (p->mf == NULL)
		return tls_check_certificates(p->bytes.data, p->bytes.len, info, why,
		    whylen);
	if (!p->mf->cert_ok) {
		snprintf(why, whylen, "%s", p->mf->cert_why);
		return -1;
	}
	*info = p->mf->cert;
	return 0;
}

static int
piece_private_key(const struct piece *p, char *why, size_t whylen)
{
	if (p->mf == NULL)
		return tls_check_private_key(p->bytes.data, p->bytes.len, why, whylen);
	if (!p->mf->key_ok) {
		snprintf(why, whylen, "%s", p->mf->key_why);
		return -1;
	}
	return 0;
}

/* t (0: none) is the first second at which a verdict of this build
 * (expired, expires soon, not yet valid) is different: the build holds
 * until the earliest such second still ahead. */
static void
clock_mark(struct builder *b, int64_t t)
{
	if (t > b->now && t < b->clock_horizon)
		b->clock_horizon = t;
}

static void
expiry_warnings(struct builder *b, size_t st, const char *what,
    const struct tls_cert_info *info, const struct origin *where)
{
	char when[32];

	if (info->earliest_not_after != 0) {
		clock_mark(b, info->earliest_not_after + 1);
		clock_mark(b, info->earliest_not_after - EXPIRY_WARNING_SECONDS + 1);
	}
	clock_mark(b, info->not_before);
	if (info->earliest_not_after != 0 && info->earliest_not_after < b->now) {
		tls_format_time(info->earliest_not_after, when);
		dag_status_warning(b, st, "TLSError", "CertificateExpired", where,
		    "%s: the certificate expired on %s", what, when);
	} else if (info->earliest_not_after != 0 &&
	    info->earliest_not_after < b->now + EXPIRY_WARNING_SECONDS) {
		tls_format_time(info->earliest_not_after, when);
		dag_status_warning(b, st, "TLSError", "CertificateExpiresSoon", where,
		    "%s: the certificate expires on %s, in less than 14 days",
		    what, when);
	}
	if (info->not_before != 0 && info->not_before > b->now) {
		tls_format_time(info->not_before, when);
		dag_status_warning(b, st, "TLSError", "CertificateNotYetValid", where,
		    "%s: the certificate is not valid before %s", what, when);
	}
}

/* Read and check Secret i; its status says what is wrong. */
static void
secret_check(struct builder *b, size_t i)
{
	const struct object *o = b->secrets[i];
	const struct secret *s = &o->u.secret;
	struct secret_state *ss = &b->secret_states[i];
	size_t st = b->secret_status[i];
	struct piece crt = { "tls.crt", "cairn.io/certificate-file",
		s->certificate_file, &s->certificate_file_origin };
	struct piece key = { "tls.key", "cairn.io/private-key-file",
		s->private_key_file, &s->private_key_file_origin };
	struct piece ca = { "ca.crt", "cairn.io/ca-file", s->ca_file,
		&s->ca_file_origin };
	struct piece crl = { "crl.pem", NULL, NULL, NULL };
	const struct origin *crt_at, *key_at, *ca_at, *crl_at;
	struct tls_cert_info info;
	char why[TLS_WHY_MAX];
	bool ok = true, file_backed_cert = s->certificate_file || s->private_key_file;
	const char *type = s->type && *s->type ? s->type : NULL;
	size_t errors = b->dag->statuses[st].nconditions;

	if (dag_object_is_shadowed(b->secrets, i))
		return; /* DuplicateObject already; never used */
	if (type == NULL && file_backed_cert)
		type = TYPE_TLS;
	ss->is_tls = type != NULL && strcmp(type, TYPE_TLS) == 0;
	if (type != NULL && !ss->is_tls && strcmp(type, "Opaque") != 0) {
		dag_status_warning(b, st, "SecretError", "SecretTypeNotUsed", NULL,
		    "type \"%s\" is not used by cairn (kubernetes.io/tls or Opaque)",
		    type);
		return;
	}
	if (file_backed_cert && !ss->is_tls) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError", "SecretNotValid",
		    s->certificate_file ? &s->certificate_file_origin :
		    &s->private_key_file_origin, "a certificate and key need type "
		    "kubernetes.io/tls, not %s", type);
		ok = false;
	}
	if (file_backed_cert && (!s->certificate_file || !s->private_key_file)) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError", "SecretNotValid",
		    s->certificate_file ? &s->certificate_file_origin :
		    &s->private_key_file_origin, "annotations "
		    "cairn.io/certificate-file and cairn.io/private-key-file go "
		    "together: %s is missing", s->certificate_file ?
		    "cairn.io/private-key-file" : "cairn.io/certificate-file");
		ok = false;
	}
	ok &= material(b, st, o, &crt);
	ok &= material(b, st, o, &key);
	ok &= material(b, st, o, &ca);
	ok &= material(b, st, o, &crl);
	ss->crt = crt.bytes;
	ss->key = key.bytes;
	ss->ca = ca.bytes;
	ss->crl = crl.bytes;
	crt_at = crt.where;
	key_at = key.where;
	ca_at = ca.where;
	crl_at = crl.where;
	if (!ok)
		goto out;

	if (ss->is_tls) {
		if (ss->crt.len == 0 || ss->key.len == 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError",
			    "SecretNotValid", ss->crt.len ? key_at : crt_at,
			    "a kubernetes.io/tls Secret needs %s (in data, stringData or "
			    "by annotation %s)", ss->crt.len ? "tls.key" : "tls.crt",
			    ss->crt.len ? "cairn.io/private-key-file" :
			    "cairn.io/certificate-file");
			goto out;
		}
		if (piece_certificates(&crt, &info, why, sizeof why) < 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError",
			    "SecretNotValid", crt_at, "tls.crt: %s", why);
			goto out;
		}
		if (piece_private_key(&key, why, sizeof why) < 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError",
			    "SecretNotValid", key_at, "tls.key: %s", why);
			goto out;
		}
		if (tls_check_key_pair(ss->crt.data, ss->crt.len, ss->key.data,
		    ss->key.len, why, sizeof why) < 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError",
			    "SecretNotValid", key_at, "tls.key: %s", why);
			goto out;
		}
		b->dag->statuses[st].not_after = info.earliest_not_after;
		expiry_warnings(b, st, "tls.crt", &info, crt_at);
	} else if (ss->crt.len || ss->key.len) {
		dag_status_warning(b, st, "SecretError", "SecretTypeNotUsed",
		    ss->crt.len ? crt_at : key_at, "tls.crt and tls.key are only "
		    "used from Secrets of type kubernetes.io/tls");
	}
	if (ss->ca.len > 0) {
		if (piece_certificates(&ca, &info, why, sizeof why) < 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError",
			    "SecretNotValid", ca_at, "ca.crt: %s", why);
			goto out;
		}
		if (!ss->is_tls) {
			b->dag->statuses[st].not_after = info.not_after;
			if (info.not_after != 0)
				clock_mark(b, info.not_after + 1);
			if (info.not_after != 0 && info.not_after < b->now) {
				char when[32];

				tls_format_time(info.not_after, when);
				dag_status_warning(b, st, "TLSError", "CertificateExpired",
				    ca_at, "ca.crt: the certificate expired on %s", when);
			}
		}
	}
	if (ss->crl.len > 0 && tls_check_crl(ss->crl.data, ss->crl.len, why,
	    sizeof why) < 0) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SecretError", "SecretNotValid",
		    crl_at, "crl.pem: %s", why);
		goto out;
	}
	if (!ss->is_tls && ss->ca.len == 0 && ss->crl.len == 0 &&
	    ss->crt.len == 0 && ss->key.len == 0)
		dag_status_warning(b, st, "SecretError", "SecretTypeNotUsed", NULL,
		    "holds neither ca.crt nor crl.pem: nothing cairn can use");
out:
	ss->valid = b->dag->statuses[st].status != DAG_STATUS_INVALID;
	if (!ss->valid) {
		const struct dag_object_status *ds = &b->dag->statuses[st];

		/* The first error of this check: what a referencing object
		 * says about it. */
		ss->why = "it is not valid";
		for (size_t c = errors; c < ds->nconditions; c++)
			if (!ds->conditions[c].warning) {
				ss->why = ds->conditions[c].message;
				break;
			}
	}
}

/* Delegations that name no existing Secret are reported (a typo would
 * otherwise fail silently on the other side). */
static void
delegations_check(struct builder *b)
{
	for (size_t i = 0; i < b->ndelegations; i++) {
		const struct object *d = b->delegations[i];
		const struct tls_delegation *td = &d->u.tls_delegation;

		for (size_t j = 0; j < td->ndelegations; j++)
			if (dag_object_find(b->secrets, b->nsecrets, d->meta.namespace,
			    td->delegations[j].secret_name) == NULL)
				dag_status_warning(b, b->delegation_status[i],
				    "DelegationError", "SecretNotFound",
				    &td->delegations[j].origin, "Secret %s/%s does not "
				    "exist", d->meta.namespace,
				    td->delegations[j].secret_name);
	}
}

void
secrets_build(struct builder *b)
{
	const char **files;
	size_t u = 0;

	b->now = (int64_t)time(NULL);
	b->clock_horizon = INT64_MAX;
	b->secret_states = ARENA_ARRAY(&b->tables, struct secret_state, b->nsecrets + 1);
	for (size_t i = 0; i < b->nsecrets; i++)
		secret_check(b, i);
	delegations_check(b);
	files = b->tls_files;
	if (b->ntls_files > 1)
		qsort(files, b->ntls_files, sizeof files[0], sorted_str_cmp);
	for (size_t i = 0; i < b->ntls_files; i++)
		if (u == 0 || strcmp(files[u - 1], files[i]) != 0)
			files[u++] = files[i];
	b->dag->tls_files = files;
	b->dag->ntls_files = u;
	b->dag->valid_until = b->clock_horizon == INT64_MAX ? 0 : b->clock_horizon;
}

void
dag_secret_files(struct object *const *objs, size_t nobjs,
    const char ***paths, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nobjs; i++) {
		const struct secret *s;
		const char *f[3];

		/* The kind first: an object holds only its own kind's member
		 * (load.c, object_size), so another kind has no secret to read. */
		if (objs[i]->kind != OBJ_SECRET)
			continue;
		s = &objs[i]->u.secret;
		f[0] = s->certificate_file;
		f[1] = s->private_key_file;
		f[2] = s->ca_file;
		for (size_t k = 0; k < 3; k++) {
			if (f[k] == NULL)
				continue;
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 8;
				*paths = xreallocarray(*paths, *cap, sizeof **paths);
			}
			(*paths)[(*n)++] = f[k];
		}
	}
}

/* --- using ---------------------------------------------------------------------- */

/* Contour's delegationPermitted: the same namespace, or a
 * TLSCertificateDelegation in the Secret's namespace naming the Secret
 * and the target namespace (or "*"). */
static bool
delegation_permitted(const struct builder *b, const char *ns, const char *name,
    const char *target_ns)
{
	if (strcmp(ns, target_ns) == 0)
		return true;
	for (size_t i = 0; i < b->ndelegations; i++) {
		const struct object *d = b->delegations[i];
		const struct tls_delegation *td = &d->u.tls_delegation;

		if (strcmp(d->meta.namespace, ns) != 0 ||
		    dag_object_is_shadowed(b->delegations, i))
			continue;
		for (size_t j = 0; j < td->ndelegations; j++) {
			const struct tlsd_delegation *dd = &td->delegations[j];

			if (strcmp(dd->secret_name, name) != 0)
				continue;
			for (size_t k = 0; k < dd->ntarget_namespaces; k++)
				if (strcmp(dd->target_namespaces[k], "*") == 0 ||
				    strcmp(dd->target_namespaces[k], target_ns) == 0)
					return true;
		}
	}
	return false;
}

/* The Secret object for ref, checked for existence and delegation. */
static const struct object *
secret_lookup(struct builder *b, const char *ref, const char *from_ns,
    struct secret_state **state, enum secret_problem *problem, const char **why)
{
	const char *ns, *name;
	struct object *o;
	size_t i;

	secret_ref_split(b, ref, from_ns, &ns, &name);
	dag_lookup_note(b, 't', NULL, "Secret");
	o = dag_object_find(b->secrets, b->nsecrets, ns, name);
	if (o == NULL) {
		*problem = SECRET_NOT_FOUND;
		*why = arena_printf(b->arena, "Secret %s/%s not found", ns, name);
		return NULL;
	}
	if (!delegation_permitted(b, ns, name, from_ns)) {
		*problem = SECRET_NOT_DELEGATED;
		*why = arena_printf(b->arena, "Secret %s/%s is not delegated to "
		    "namespace %s (no TLSCertificateDelegation in %s names it)", ns,
		    name, from_ns, ns);
		return NULL;
	}
	i = secret_index(b, o);
	*state = &b->secret_states[i];
	if (!(*state)->valid) {
		*problem = SECRET_NOT_VALID;
		*why = (*state)->why ? (*state)->why : "it is not valid";
		return NULL;
	}
	return o;
}

static struct dag_secret *
sds_get(struct builder *b, const char *name, enum dag_secret_type type,
    bool *created)
{
	struct dag_secret *ds = dag_strmap_get(&b->sds_index, name);

	*created = ds == NULL;
	if (ds != NULL)
		return ds;
	ds = ARENA_NEW(b->arena, struct dag_secret);
	ds->name = name;
	ds->type = type;
	dag_strmap_put(b->arena, &b->sds_index, name, ds);
	return ds;
}

const struct dag_secret *
secret_use(struct builder *b, const char *ref, const char *from_ns,
    enum secret_use use, const char *crl_ref, enum secret_problem *problem,
    const char **why)
{
	struct secret_state *ss = NULL, *crl_ss = NULL;
	const struct object *o, *crl_o = NULL;
	struct dag_secret *ds;
	const char *name;
	bool created;

	*problem = SECRET_OK;
	*why = NULL;
	if ((o = secret_lookup(b, ref, from_ns, &ss, problem, why)) == NULL)
		return NULL;
	switch (use) {
	case SECRET_USE_CERTIFICATE:
		if (!ss->is_tls) {
			*problem = SECRET_NOT_VALID;
			*why = "a certificate needs a Secret of type kubernetes.io/tls";
			return NULL;
		}
		name = arena_printf(b->arena, "%s/%s", o->meta.namespace, o->meta.name);
		ds = sds_get(b, name, DAG_SECRET_TLS_CERTIFICATE, &created);
		ds->certificate_chain = ss->crt;
		ds->private_key = ss->key;
		return ds;
	case SECRET_USE_CRL:
		if (ss->crl.len == 0) {
			*problem = SECRET_NOT_VALID;
			*why = "it has no crl.pem";
			return NULL;
		}
		name = arena_printf(b->arena, "%s/%s", o->meta.namespace, o->meta.name);
		ds = sds_get(b, name, DAG_SECRET_VALIDATION, &created);
		ds->trusted_ca = ss->is_tls ? (struct dag_bytes){ 0 } : ss->ca;
		ds->crl = ss->crl;
		return ds;
	case SECRET_USE_CA:
		break;
	}
	if (ss->ca.len == 0) {
		*problem = SECRET_NOT_VALID;
		*why = "it has no ca.crt";
		return NULL;
	}
	name = ss->is_tls ?
	    arena_printf(b->arena, "%s/%s/ca", o->meta.namespace, o->meta.name) :
	    arena_printf(b->arena, "%s/%s", o->meta.namespace, o->meta.name);
	if (crl_ref != NULL) {
		crl_o = secret_lookup(b, crl_ref, from_ns, &crl_ss, problem, why);
		if (crl_o == NULL) {
			*why = arena_printf(b->arena, "CRL %s", *why);
			return NULL;
		}
		if (crl_ss->crl.len == 0) {
			*problem = SECRET_NOT_VALID;
			*why = arena_printf(b->arena, "CRL Secret %s/%s has no crl.pem",
			    crl_o->meta.namespace, crl_o->meta.name);
			return NULL;
		}
		if (crl_o != o || ss->is_tls)
			name = arena_printf(b->arena, "%s+crl:%s/%s", name,
			    crl_o->meta.namespace, crl_o->meta.name);
	}
	ds = sds_get(b, name, DAG_SECRET_VALIDATION, &created);
	ds->trusted_ca = ss->ca;
	/* An Opaque CA Secret's own crl.pem belongs to its resource. */
	ds->crl = crl_ss ? crl_ss->crl : ss->is_tls ? (struct dag_bytes){ 0 } :
	    ss->crl;
	return ds;
}
