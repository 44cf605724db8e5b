/* The translation memo (memo*.c): serialized resources kept from one
 * translation to the next. The translators (translate_*.c) are pure
 * functions from a DAG object and the options to a message; the driver
 * (translate.c) asks this layer for each object's resource, and the
 * translator runs only when nothing kept fits.
 *
 * An object's resource is found, cheapest first:
 *   1. in order: the object is at the address the last translation
 *      recorded next in the same loop (a reused DAG part), no hashing;
 *   2. by key: a fingerprint of every field of the object (the field
 *      tables of src/dag/fields.c, the same rule for every struct) and
 *      of the translate options;
 *   3. made by the translator, packed, and kept under its key.
 * CAIRN_TRANSLATE_VERIFY=1 turns 1 off and makes 2 build and compare
 * (an abort on any difference). */
#ifndef CAIRN_XDS_MEMO_H
#define CAIRN_XDS_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "xds/snapshot.h"

struct translation;
struct dag_field_table;

/* The loops whose resources are remembered: one per kind of resource
 * made of one DAG object. */
enum memo_kind {
	MEMO_CLUSTER, /* a Cluster, of a dag_cluster */
	MEMO_ENDPOINTS, /* a ClusterLoadAssignment, of a dag_endpoints */
	MEMO_API_LISTENER, /* a proxyless api listener, of a dag_vhost */
	MEMO_HTTP_VHOST, /* one of ingress_http's VirtualHosts, of a dag_vhost */
	MEMO_PROXYLESS_ROUTE, /* a proxyless RouteConfiguration, of a dag_vhost */
	MEMO_USES, /* the clusters a host's routes use (translate.c), no message */
	MEMO_COUNT,
};

/* A translator: obj's message and its resource name, or NULL for no
 * resource. Reads obj and t's options only; may set
 * t->proxyless_no_cluster, which a reuse of its bytes repeats. */
typedef ProtobufCMessage *memo_make_fn(struct translation *t, const void *obj,
    const char **name);
/* The same for a resource that is not a message (MEMO_USES). */
typedef struct xds_blob *memo_make_blob_fn(struct translation *t,
    const void *obj);

/* obj's resource of kind k: kept bytes when they fit, else made by make
 * (or make_blob) now. A new reference, or NULL when there is none.
 * *key (may be NULL): its key, 0 when it is not kept by key. */
struct xds_blob *memo_blob(struct translation *t, enum memo_kind k,
    const void *obj, memo_make_fn *make, memo_make_blob_fn *make_blob,
    uint64_t *key);
/* The same, borrowed when the memo keeps it (*owned false: valid until
 * the translation ends, nothing to release), else the caller's reference
 * (*owned true). A reused resource's blob is then not written to: the
 * ingress_http hosts and the uses of every host are found without a
 * reference counted on each. */
struct xds_blob *memo_blob_borrow(struct translation *t, enum memo_kind k,
    const void *obj, memo_make_fn *make, memo_make_blob_fn *make_blob,
    uint64_t *key, bool *owned);

/* The same, added to the snapshot. Without a cache the message is
 * serialized straight into the snapshot. */
void memo_emit(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, enum xds_type type, bool named_only);

/* memo_emit of objects 0 .. n of a DAG array, object i at first + i *
 * stride (by_ptr: an array of pointers to them): the leading objects
 * whose resources the last translation emitted in the same order, one
 * after the other, are taken as a block (their sequence entries moved,
 * their snapshot items copied from the last snapshot, nothing read of
 * them but their identity). Returns how many; 0 when the first is not
 * such an object: the caller emits it alone (memo_emit). Hosts without
 * routes end a run. */
size_t memo_emit_run(struct translation *t, enum memo_kind k,
    const void *first, size_t n, size_t stride, bool by_ptr,
    enum xds_type type, bool named_only);

/* memo_emit_run for a kind that emits nothing (MEMO_USES): the entries
 * of the leading objects found at the cursor are moved as a block. A run
 * of MEMO_USES stops at a host with TLS (translate_uses reads its blob
 * for its https routes). */
size_t memo_take_run(struct translation *t, enum memo_kind k,
    const void *first, size_t n, size_t stride, bool by_ptr);

/* A MEMO_USES blob: MEMO_USES_HEAD uint64 (how many of the hashes port 80
 * routes to, MEMO_USES_COOKIES or 0), then the hashes of the clusters a
 * host's routes send traffic to, those of port 80 first. */
#define MEMO_USES_HEAD 2
#define MEMO_USES_COOKIES 1
/* ingress_http's uses, kept by the memo from the MEMO_USES blobs of its
 * sequences (counted as blobs come and go, so a change costs its hosts):
 * the port 80 hashes of every host, ascending and unique, as a blob the
 * memo holds until its next translation (NULL: none, or no cache);
 * *cookies: whether some host's blob says MEMO_USES_COOKIES. Called
 * once the MEMO_USES loop is done. */
const struct xds_blob *memo_uses_shared(struct translation *t, bool *cookies);

/* ingress_http, assembled from its hosts' bytes: memo_http_begin, then
 * memo_http_host for each host in order, then memo_http_finish with the
 * RouteConfiguration's bytes before its hosts (head) and the field number
 * of virtual_hosts. The chunks of hosts that the last assembly had at the
 * start and at the end (blocks of the memo's sequence handed on whole,
 * at the same places) are taken from it without a host being read. */
struct memo_http;
struct memo_http *memo_http_begin(struct translation *t);
void memo_http_host(struct memo_http *h, const void *vhost, memo_make_fn *make);
void memo_http_finish(struct memo_http *h, const uint8_t *head, size_t len,
    uint32_t field);

/* memo_http_host for the leading hosts of first[0 .. n) (stride bytes
 * apart) that the last assembly had at the cursor, in order (a kept
 * host: its routes array), taken as a block with no host read: how
 * many, 0 when the first is not one (the caller adds it alone). Hosts
 * without routes end a run. */
size_t memo_http_host_run(struct memo_http *h, const void *first, size_t n,
    size_t stride);

/* The same as memo_http_begin for a RouteConfiguration of another name
 * (a Gateway's port, translate_gateway.c); name must outlive h. */
struct memo_http *memo_http_begin_named(struct translation *t,
    const char *name);

/* A resource of a host under a name of the caller's (a Gateway's
 * proxyless target, "<host>" or "<host>:<port>"): kind k's key for vhost
 * (MEMO_API_LISTENER: of the name alone; MEMO_PROXYLESS_ROUTE: of the
 * host's routes) combined with the name, kept by key only. make gets obj,
 * which the key must describe entirely with vhost and name. */
void memo_emit_named(struct translation *t, enum memo_kind k,
    const void *vhost, const char *name, const void *obj, memo_make_fn *make,
    enum xds_type type, bool named_only);
/* The same, found in order first by id (any address unique to the target
 * within its loop, stable while its host is the same DAG object; NULL:
 * by key only). */
void memo_emit_named_seq(struct translation *t, enum memo_kind k,
    const void *id, const void *vhost, const char *name, const void *obj,
    memo_make_fn *make, enum xds_type type, bool named_only);

/* Targets of memo_emit_named_seq found in order and taken as blocks
 * (memo_named.c): one run per kind and type. memo_named_runs_add takes
 * ids[0 .. nids) into every one of runs[0 .. nruns) when, for each, the
 * next entries at its kind's cursor are those ids with their items the
 * next ones in the last snapshot; false, nothing taken, when some run
 * does not fit (a target's kinds come and go together).
 * memo_named_run_flush lends the run's items to the snapshot in one
 * block and hands its entries on. Flush a run before anything else of
 * its kind or type is emitted: its items go where the flush puts them. */
struct memo_named_run {
	enum memo_kind k;
	enum xds_type type;
	bool named_only;
	size_t n; /* entries taken, not yet lent */
	size_t from; /* the first one's item in the last snapshot */
	size_t shift; /* from less where the builder had put it, last found */
	size_t hint; /* the last snapshot's chunk of the item last read */
};
#define MEMO_NAMED_RUNS_MAX 4
void memo_named_run_init(struct memo_named_run *r, enum memo_kind k,
    enum xds_type type, bool named_only);
bool memo_named_runs_add(struct translation *t, struct memo_named_run *runs,
    size_t nruns, const void *const *ids, size_t nids);
void memo_named_run_flush(struct translation *t, struct memo_named_run *r);

/* The fingerprint of obj as its field table describes it (src/dag/fields.c):
 * every field that is not marked as not identifying, pointers followed,
 * clusters referred to by their own fingerprint. Serves the unit tests;
 * translations use memoised keys. */
uint64_t memo_fingerprint(const struct dag_field_table *tab, const void *obj);
/* The table of struct translate_options (part of every key). */
extern const struct dag_field_table memo_options_fields;

#endif
