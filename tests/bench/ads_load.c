/* ads_load: many ADS streams against a real `cairn serve`, for the fan-out
 * and memory figures of SPEC.md §12. A C client on grpc core: a node
 * client is too slow to be the judge at 1,000 streams.
 *
 *   ads_load -C CAIRN -d DIR [-s STREAMS] [-c CHANNELS] [-w WAVE] [-k CHANGES]
 *            [-r RSS_AT] [-D] [-m MAX_SERVER_RSS_MIB] [-t TIMEOUT_S] [-p PREFIX]
 *
 * It starts `CAIRN serve --source DIR` on a free loopback port with a
 * config of `debounce: 0ms` (admin off), then:
 *   1. reads the server's VmRSS with no stream (the tree loaded);
 *   2. opens STREAMS streams spread over CHANNELS channels (each channel
 *      its own TCP connection), WAVE at a time. Each stream subscribes to
 *      Clusters and Listeners by wildcard, then to the ClusterLoadAssignments
 *      and RouteConfigurations they name, and ACKs every response. A stream
 *      is synced once it holds all four types. VmRSS is read at RSS_AT
 *      synced streams and with all of them (per stream = growth / STREAMS);
 *   3. CHANGES times: rewrites one route of one file (the "rev-NNNNN"
 *      header value bench_gen writes), and records for every stream when
 *      its update arrived, the bytes and responses it received, and the
 *      responses whose resources were identical to the previous response
 *      of that type on that stream (redundant pushes). The window closes
 *      when every stream has its update and nothing arrived for 500 ms.
 *      Also the CPU time the change cost the server and this client
 *      (steadier than latencies on a machine shared with other work).
 * With -D the streams use DeltaAggregatedResources; a server that answers
 * UNIMPLEMENTED gets "n/a" figures.
 *
 * Everything is bounded: waits have deadlines, the whole run has TIMEOUT_S,
 * and the server is killed when its VmRSS passes MAX_SERVER_RSS_MIB (the
 * machine is shared). Loopback only. Output: RESULT/INFO lines of
 * bench_util.h, plus "NA <tab> key <tab> reason". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "bench_util.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "xds/snapshot.h"

#define MAX_STREAMS 20000
#define MAX_CHANNELS 1000
#define MAX_CHANGES 50
#define SENDQ_MAX 16
#define QUIET_NS (500LL * 1000000)
#define SYNC_TIMEOUT_NS (120LL * 1000000000)
#define CHANGE_TIMEOUT_NS (60LL * 1000000000)
/* rss_settled: long enough for the daemon's trims after the replies
 * (src/ads/trim.c: after quiet moments of 250 ms, a few times). */
#define RSS_SETTLE_MS 4000

#define METHOD_SOTW "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
#define METHOD_DELTA "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"

typedef Envoy__Service__Discovery__V3__DiscoveryRequest DiscoveryRequest;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryRequest DeltaDiscoveryRequest;
typedef Envoy__Config__Core__V3__Node Node;
typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;

/* --- options and global state ------------------------------------------ */

static struct {
	const char *cairn, *dir, *prefix;
	int streams, channels, wave, changes, rss_at, timeout_s;
	long max_rss_mib;
	bool delta;
} opt = {
	.prefix = "sotw",
	.streams = 1000,
	.channels = 10,
	.wave = 100,
	.changes = 5,
	.rss_at = 100,
	.timeout_s = 300,
	.max_rss_mib = 3072,
};

static pid_t server_pid = -1;
static char tmpdir[256], logpath[300];
static int64_t run_deadline;
static bool aborted; /* guard tripped or deadline: stop everything */
static const char *abort_reason = "";
static bool unimplemented; /* the server refused the method */
static grpc_completion_queue *cq;

/* --- a small hash set of 64-bit keys (names) with a 64-bit value -------- */

struct htab {
	uint64_t *keys, *vals; /* key 0 = empty (names never hash to 0 here) */
	size_t n, cap;
};

static uint64_t
key_of(const void *p, size_t len)
{
	uint64_t h = hash_bytes(p, len);

	return h ? h : 1;
}

static uint64_t *
htab_slot(struct htab *t, uint64_t key, bool *found)
{
	size_t i = (size_t)key & (t->cap - 1);

	while (t->keys[i] != 0 && t->keys[i] != key)
		i = (i + 1) & (t->cap - 1);
	*found = t->keys[i] == key;
	return &t->keys[i];
}

/* Returns the previous value, or 0 (absent). */
static uint64_t
htab_put(struct htab *t, uint64_t key, uint64_t val)
{
	bool found;
	uint64_t *k, old;

	if ((t->n + 1) * 2 > t->cap) {
		struct htab bigger = { .cap = t->cap ? t->cap * 2 : 64 };

		bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
		bigger.vals = calloc(bigger.cap, sizeof *bigger.vals);
		if (bigger.keys == NULL || bigger.vals == NULL)
			abort();
		for (size_t i = 0; i < t->cap; i++)
			if (t->keys[i] != 0)
				htab_put(&bigger, t->keys[i], t->vals[i]);
		free(t->keys);
		free(t->vals);
		*t = bigger;
	}
	k = htab_slot(t, key, &found);
	old = found ? t->vals[k - t->keys] : 0;
	if (!found) {
		*k = key;
		t->n++;
	}
	t->vals[k - t->keys] = val;
	return old;
}

static uint64_t
htab_get(struct htab *t, uint64_t key)
{
	bool found;
	uint64_t *k;

	if (t->cap == 0)
		return 0;
	k = htab_slot(t, key, &found);
	return found ? t->vals[k - t->keys] : 0;
}

static void
htab_free(struct htab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof *t);
}

/* --- protobuf wire reading (responses are parsed by hand: no copies) ---- */

struct pbr {
	const uint8_t *p, *end;
};

static bool
rd_varint(struct pbr *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

/* Next field: 1 with *no and, for length-delimited fields, *data and *len;
 * 0 at the end; -1 on malformed input. */
static int
rd_field(struct pbr *r, uint32_t *no, const uint8_t **data, size_t *len)
{
	uint64_t key, v;

	*data = NULL;
	*len = 0;
	if (r->p >= r->end)
		return 0;
	if (!rd_varint(r, &key))
		return -1;
	*no = (uint32_t)(key >> 3);
	switch (key & 7) {
	case 0:
		return rd_varint(r, &v) ? 1 : -1;
	case 1:
		if (r->end - r->p < 8)
			return -1;
		r->p += 8;
		return 1;
	case 5:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 1;
	case 2:
		if (!rd_varint(r, &v) || v > (uint64_t)(r->end - r->p))
			return -1;
		*data = r->p;
		*len = (size_t)v;
		r->p += v;
		return 1;
	default:
		return -1;
	}
}

/* The string in field 1 of a resource: the name of a Cluster, Listener,
 * RouteConfiguration, Secret, the cluster_name of a ClusterLoadAssignment. */
static void
resource_name(const uint8_t *p, size_t len, const uint8_t **name, size_t *nlen)
{
	struct pbr r = { p, p + len };
	const uint8_t *d;
	uint32_t no;
	size_t l;

	*name = (const uint8_t *)"";
	*nlen = 0;
	while (rd_field(&r, &no, &d, &l) == 1) {
		if (no == 1 && d != NULL) {
			*name = d;
			*nlen = l;
			return;
		}
	}
}

/* The value bytes of a google.protobuf.Any. */
static void
any_value(const uint8_t *p, size_t len, const uint8_t **val, size_t *vlen)
{
	struct pbr r = { p, p + len };
	const uint8_t *d;
	uint32_t no;
	size_t l;

	*val = NULL;
	*vlen = 0;
	while (rd_field(&r, &no, &d, &l) == 1)
		if (no == 2 && d != NULL) {
			*val = d;
			*vlen = l;
		}
}

struct res {
	const uint8_t *name;
	size_t nlen;
	const uint8_t *value; /* the resource's serialized bytes */
	size_t vlen;
};

struct response {
	char type_url[160];
	char version[80];
	char nonce[64];
	struct res *items;
	size_t n, cap;
	char **removed; /* delta */
	size_t nremoved;
};

static void
copy_str(char *dst, size_t size, const uint8_t *d, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, d, len);
	dst[len] = '\0';
}

static void
res_push(struct response *out, struct res r)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->items = realloc(out->items, out->cap * sizeof *out->items);
		if (out->items == NULL)
			abort();
	}
	out->items[out->n++] = r;
}

/* DiscoveryResponse (SotW) or DeltaDiscoveryResponse. */
static int
parse_response(const uint8_t *p, size_t len, bool delta, struct response *out)
{
	struct pbr r = { p, p + len };
	const uint8_t *d;
	uint32_t no;
	size_t l;
	int rc;

	out->n = 0;
	out->type_url[0] = out->version[0] = out->nonce[0] = '\0';
	for (size_t i = 0; i < out->nremoved; i++)
		free(out->removed[i]);
	out->nremoved = 0;
	while ((rc = rd_field(&r, &no, &d, &l)) == 1) {
		if (d == NULL)
			continue;
		if (no == 1)
			copy_str(out->version, sizeof out->version, d, l);
		else if (no == 4)
			copy_str(out->type_url, sizeof out->type_url, d, l);
		else if (no == 5)
			copy_str(out->nonce, sizeof out->nonce, d, l);
		else if (no == 2 && !delta) {
			struct res x;

			any_value(d, l, &x.value, &x.vlen);
			resource_name(x.value, x.vlen, &x.name, &x.nlen);
			res_push(out, x);
		} else if (no == 2 && delta) {
			struct pbr rr = { d, d + l };
			const uint8_t *dd;
			uint32_t nn;
			size_t ll;
			struct res x = { (const uint8_t *)"", 0, NULL, 0 };

			while (rd_field(&rr, &nn, &dd, &ll) == 1) {
				if (nn == 3 && dd != NULL) {
					x.name = dd;
					x.nlen = ll;
				} else if (nn == 2 && dd != NULL) {
					any_value(dd, ll, &x.value, &x.vlen);
				}
			}
			res_push(out, x);
		} else if (no == 6 && delta) {
			out->removed = realloc(out->removed,
			    (out->nremoved + 1) * sizeof *out->removed);
			if (out->removed == NULL)
				abort();
			out->removed[out->nremoved] = strndup((const char *)d, l);
			out->nremoved++;
		}
	}
	return rc;
}

/* --- names a stream subscribes to, derived once per content ------------ */

struct names {
	uint64_t source_hash; /* of the CDS/LDS resources they came from */
	int type; /* XDS_CLUSTER (-> EDS names) or XDS_LISTENER (-> RDS names) */
	char **v; /* sorted, unique */
	size_t n;
	struct names *next;
};

static struct names *names_cache;

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_add(struct names *nm, size_t *cap, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return;
	if (nm->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nm->v = realloc(nm->v, *cap * sizeof *nm->v);
		if (nm->v == NULL)
			abort();
	}
	nm->v[nm->n++] = strdup(s);
}

static void
names_from_hcm(struct names *nm, size_t *cap, const Google__Protobuf__Any *any)
{
	Hcm *h;

	if (any == NULL || strstr(any->type_url, "HttpConnectionManager") == NULL)
		return;
	h = envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
	    NULL, any->value.len, any->value.data);
	if (h == NULL)
		return;
	if (h->route_specifier_case ==
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS &&
	    h->rds != NULL)
		names_add(nm, cap, h->rds->route_config_name);
	envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(h, NULL);
}

/* EDS names of the clusters in r (type XDS_CLUSTER), or RDS names of the
 * listeners (XDS_LISTENER). Decoded once per distinct content. */
static const struct names *
names_for(int type, const struct response *r, uint64_t content_hash)
{
	struct names *nm;
	size_t cap = 0, out = 0;

	for (nm = names_cache; nm != NULL; nm = nm->next)
		if (nm->type == type && nm->source_hash == content_hash)
			return nm;
	nm = calloc(1, sizeof *nm);
	if (nm == NULL)
		abort();
	nm->type = type;
	nm->source_hash = content_hash;
	for (size_t i = 0; i < r->n; i++) {
		if (type == XDS_CLUSTER) {
			Cluster *c = envoy__config__cluster__v3__cluster__unpack(NULL,
			    r->items[i].vlen, r->items[i].value);

			if (c == NULL)
				continue;
			if (c->cluster_discovery_type_case ==
			    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
			    c->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS)
				names_add(nm, &cap, c->eds_cluster_config &&
				    c->eds_cluster_config->service_name[0] ?
				    c->eds_cluster_config->service_name : c->name);
			envoy__config__cluster__v3__cluster__free_unpacked(c, NULL);
		} else {
			Listener *l = envoy__config__listener__v3__listener__unpack(NULL,
			    r->items[i].vlen, r->items[i].value);

			if (l == NULL)
				continue;
			for (size_t f = 0; f < l->n_filter_chains; f++)
				for (size_t j = 0; j < l->filter_chains[f]->n_filters; j++) {
					Envoy__Config__Listener__V3__Filter *fl =
					    l->filter_chains[f]->filters[j];

					if (fl->config_type_case ==
					    ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG)
						names_from_hcm(nm, &cap, fl->typed_config);
				}
			if (l->api_listener != NULL)
				names_from_hcm(nm, &cap, l->api_listener->api_listener);
			envoy__config__listener__v3__listener__free_unpacked(l, NULL);
		}
	}
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof *nm->v, cmp_strp);
	for (size_t i = 0; i < nm->n; i++) {
		if (out > 0 && strcmp(nm->v[out - 1], nm->v[i]) == 0) {
			free(nm->v[i]);
			continue;
		}
		nm->v[out++] = nm->v[i];
	}
	nm->n = out;
	nm->next = names_cache;
	names_cache = nm;
	return nm;
}

/* --- streams ------------------------------------------------------------- */

enum tag_kind { TAG_START, TAG_RECV, TAG_SEND, TAG_STATUS };

struct stream;

struct tag {
	enum tag_kind kind;
	struct stream *st;
};

struct type_state {
	bool requested, got;
	uint64_t content_hash; /* SotW: of the last response's resources */
	char version[80], nonce[64]; /* last received (SotW ACKs them) */
	const struct names *names; /* EDS/RDS subscription */
	struct htab have; /* delta: name -> content hash */
	struct htab subscribed; /* delta: EDS/RDS names subscribed */
};

struct stream {
	int id;
	grpc_channel *channel;
	grpc_call *call;
	struct tag t_start, t_recv, t_send, t_status;
	grpc_metadata_array md_initial, md_trailing;
	grpc_status_code status;
	grpc_slice details;
	grpc_byte_buffer *recv_buf;
	grpc_byte_buffer *sendq[SENDQ_MAX];
	int qhead, qlen;
	bool sending;
	int pending; /* batches in flight */
	bool done; /* status received */
	bool synced;
	bool node_sent;
	struct type_state ts[XDS_TYPE_COUNT];
	/* the change window */
	uint64_t w_bytes;
	int w_responses, w_redundant;
	int64_t w_last_useful; /* 0: no update yet */
};

static struct stream *streams;
static int nstreams_open, nsynced, ndone;
static grpc_channel **channels;
static bool in_window;
static int64_t window_t0, last_rx_ns;
static uint64_t drops; /* send queue overflows (should stay 0) */
/* Stream 0 remembers each resource's hash and size, to tell how big the
 * resources that really changed are. */
static struct htab monitor[XDS_TYPE_COUNT];
static uint64_t w_changed_bytes;
static struct response resp; /* scratch, reused */

static void
start_batch(struct stream *st, const grpc_op *ops, size_t n, struct tag *tag)
{
	grpc_call_error err = grpc_call_start_batch(st->call, ops, n, tag, NULL);

	if (err != GRPC_CALL_OK) {
		fprintf(stderr, "ads_load: stream %d: start_batch: %d\n", st->id, (int)err);
		return;
	}
	st->pending++;
}

static void
send_next(struct stream *st)
{
	grpc_op op = { 0 };

	if (st->sending || st->qlen == 0 || st->done)
		return;
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = st->sendq[st->qhead];
	st->sending = true;
	start_batch(st, &op, 1, &st->t_send);
}

static void
send_msg(struct stream *st, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	grpc_slice s = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	if (st->qlen == SENDQ_MAX) {
		drops++;
		grpc_byte_buffer_destroy(bb);
		return;
	}
	st->sendq[(st->qhead + st->qlen) % SENDQ_MAX] = bb;
	st->qlen++;
	send_next(st);
}

static Node node_msg;

static void
request_sotw(struct stream *st, int type, const struct names *names)
{
	DiscoveryRequest req = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	struct type_state *ts = &st->ts[type];

	req.type_url = (char *)xds_type_url((enum xds_type)type);
	req.version_info = ts->version;
	req.response_nonce = ts->nonce;
	if (names != NULL) {
		req.n_resource_names = names->n;
		req.resource_names = names->v;
	}
	if (!st->node_sent) {
		req.node = &node_msg;
		st->node_sent = true;
	}
	ts->requested = true;
	send_msg(st, &req.base);
}

static void
request_delta(struct stream *st, int type, char **subscribe, size_t n,
    const char *nonce)
{
	DeltaDiscoveryRequest req = ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;

	req.type_url = (char *)xds_type_url((enum xds_type)type);
	req.n_resource_names_subscribe = n;
	req.resource_names_subscribe = subscribe;
	req.response_nonce = (char *)(nonce ? nonce : "");
	if (!st->node_sent) {
		req.node = &node_msg;
		st->node_sent = true;
	}
	st->ts[type].requested = true;
	send_msg(st, &req.base);
}

/* Delta: subscribe to the names of nm not subscribed yet. */
static void
delta_subscribe_new(struct stream *st, int type, const struct names *nm)
{
	struct type_state *ts = &st->ts[type];
	char **add = calloc(nm->n ? nm->n : 1, sizeof *add);
	size_t n = 0;

	if (add == NULL)
		abort();
	for (size_t i = 0; i < nm->n; i++) {
		uint64_t k = key_of(nm->v[i], strlen(nm->v[i]));

		if (htab_get(&ts->subscribed, k) == 0) {
			htab_put(&ts->subscribed, k, 1);
			add[n++] = nm->v[i];
		}
	}
	if (n > 0 || !ts->requested)
		request_delta(st, type, add, n, NULL);
	free(add);
}

static void
stream_open(struct stream *st, int id)
{
	grpc_op ops[2];
	grpc_slice method = grpc_slice_from_static_string(
	    opt.delta ? METHOD_DELTA : METHOD_SOTW);

	memset(st, 0, sizeof *st);
	st->id = id;
	st->channel = channels[id % opt.channels];
	st->t_start = (struct tag){ TAG_START, st };
	st->t_recv = (struct tag){ TAG_RECV, st };
	st->t_send = (struct tag){ TAG_SEND, st };
	st->t_status = (struct tag){ TAG_STATUS, st };
	grpc_metadata_array_init(&st->md_initial);
	grpc_metadata_array_init(&st->md_trailing);
	st->call = grpc_channel_create_call(st->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
	    cq, method, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	nstreams_open++;

	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[1].data.recv_initial_metadata.recv_initial_metadata = &st->md_initial;
	start_batch(st, ops, 2, &st->t_start);
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &st->md_trailing;
	ops[0].data.recv_status_on_client.status = &st->status;
	ops[0].data.recv_status_on_client.status_details = &st->details;
	start_batch(st, ops, 1, &st->t_status);
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_RECV_MESSAGE;
	ops[0].data.recv_message.recv_message = &st->recv_buf;
	start_batch(st, ops, 1, &st->t_recv);

	if (opt.delta) {
		char *star[] = { "*" };

		request_delta(st, XDS_CLUSTER, star, 1, NULL);
		request_delta(st, XDS_LISTENER, star, 1, NULL);
	} else {
		request_sotw(st, XDS_CLUSTER, NULL);
		request_sotw(st, XDS_LISTENER, NULL);
	}
}

static uint64_t
content_hash(const struct response *r)
{
	struct hash_state *h = hash_begin();

	for (size_t i = 0; i < r->n; i++) {
		uint64_t len = r->items[i].vlen;

		hash_update(h, &len, sizeof len);
		if (len)
			hash_update(h, r->items[i].value, len);
	}
	return hash_end(h);
}

static void
monitor_changes(int type, const struct response *r, bool delta)
{
	struct htab *m = &monitor[type];
	struct htab next = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		uint64_t k = key_of(r->items[i].name, r->items[i].nlen);
		uint64_t v = key_of(r->items[i].value, r->items[i].vlen);

		if (htab_get(m, k) != v && in_window)
			w_changed_bytes += r->items[i].vlen;
		if (delta)
			htab_put(m, k, v);
		else
			htab_put(&next, k, v);
	}
	if (!delta) {
		htab_free(m);
		*m = next;
	}
}

/* One response: record it, ACK it, follow the names it brings. */
static void
on_response(struct stream *st, const uint8_t *p, size_t len)
{
	enum xds_type type;
	struct type_state *ts;
	bool redundant, first;
	uint64_t h;

	if (parse_response(p, len, opt.delta, &resp) < 0 ||
	    xds_type_from_url(resp.type_url, &type) < 0) {
		fprintf(stderr, "ads_load: stream %d: undecodable response (%zu bytes)\n",
		    st->id, len);
		return;
	}
	ts = &st->ts[type];
	first = !ts->got;
	h = content_hash(&resp);
	if (opt.delta) {
		/* Redundant: nothing removed and every resource as we have it. */
		redundant = !first && resp.nremoved == 0;
		for (size_t i = 0; i < resp.n; i++) {
			uint64_t k = key_of(resp.items[i].name, resp.items[i].nlen);
			uint64_t v = key_of(resp.items[i].value, resp.items[i].vlen);

			if (htab_put(&ts->have, k, v) != v)
				redundant = false;
		}
		for (size_t i = 0; i < resp.nremoved; i++)
			htab_put(&ts->have, key_of(resp.removed[i], strlen(resp.removed[i])),
			    1);
	} else {
		redundant = !first && h == ts->content_hash;
	}
	ts->got = true;
	ts->content_hash = h;
	copy_str(ts->version, sizeof ts->version, (const uint8_t *)resp.version,
	    strlen(resp.version));
	copy_str(ts->nonce, sizeof ts->nonce, (const uint8_t *)resp.nonce,
	    strlen(resp.nonce));
	last_rx_ns = bench_now_ns();
	if (st->id == 0)
		monitor_changes(type, &resp, opt.delta);
	if (in_window) {
		st->w_bytes += len;
		st->w_responses++;
		if (redundant)
			st->w_redundant++;
		else
			st->w_last_useful = last_rx_ns;
	}

	/* ACK, then what this type makes us ask for. */
	if (opt.delta) {
		request_delta(st, type, NULL, 0, resp.nonce);
		if (type == XDS_CLUSTER)
			delta_subscribe_new(st, XDS_ENDPOINT, names_for(XDS_CLUSTER, &resp, h));
		else if (type == XDS_LISTENER)
			delta_subscribe_new(st, XDS_ROUTE, names_for(XDS_LISTENER, &resp, h));
	} else {
		request_sotw(st, type, type == XDS_ENDPOINT || type == XDS_ROUTE ?
		    ts->names : NULL);
		if (type == XDS_CLUSTER || type == XDS_LISTENER) {
			int dep = type == XDS_CLUSTER ? XDS_ENDPOINT : XDS_ROUTE;
			const struct names *nm = names_for(type, &resp, h);

			if (!st->ts[dep].requested || st->ts[dep].names != nm) {
				st->ts[dep].names = nm;
				request_sotw(st, dep, nm);
			}
		}
	}
	if (!st->synced && st->ts[XDS_CLUSTER].got && st->ts[XDS_ENDPOINT].got &&
	    st->ts[XDS_LISTENER].got && st->ts[XDS_ROUTE].got) {
		st->synced = true;
		nsynced++;
	}
}

static void
handle_event(grpc_event ev)
{
	struct tag *tag = ev.tag;
	struct stream *st = tag->st;
	grpc_op op = { 0 };

	st->pending--;
	switch (tag->kind) {
	case TAG_START:
		break;
	case TAG_SEND:
		grpc_byte_buffer_destroy(st->sendq[st->qhead]);
		st->qhead = (st->qhead + 1) % SENDQ_MAX;
		st->qlen--;
		st->sending = false;
		if (ev.success)
			send_next(st);
		break;
	case TAG_RECV:
		if (!ev.success || st->recv_buf == NULL)
			break; /* the call is ending: the status follows */
		{
			grpc_byte_buffer_reader reader;
			grpc_slice s;

			if (grpc_byte_buffer_reader_init(&reader, st->recv_buf)) {
				s = grpc_byte_buffer_reader_readall(&reader);
				grpc_byte_buffer_reader_destroy(&reader);
				on_response(st, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
				grpc_slice_unref(s);
			}
			grpc_byte_buffer_destroy(st->recv_buf);
			st->recv_buf = NULL;
		}
		op.op = GRPC_OP_RECV_MESSAGE;
		op.data.recv_message.recv_message = &st->recv_buf;
		if (!st->done)
			start_batch(st, &op, 1, &st->t_recv);
		break;
	case TAG_STATUS:
		st->done = true;
		ndone++;
		if (st->status == GRPC_STATUS_UNIMPLEMENTED)
			unimplemented = true;
		else if (st->status != GRPC_STATUS_CANCELLED && !aborted) {
			char *d = grpc_slice_to_c_string(st->details);

			fprintf(stderr, "ads_load: stream %d ended: status %d %s\n",
			    st->id, (int)st->status, d);
			gpr_free(d);
		}
		break;
	}
}

/* --- the server ----------------------------------------------------------- */

static void
kill_server(void)
{
	int status;

	if (server_pid <= 0)
		return;
	kill(server_pid, SIGTERM);
	for (int i = 0; i < 100; i++) { /* 10 s */
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = -1;
			return;
		}
		usleep(100000);
	}
	kill(server_pid, SIGKILL);
	waitpid(server_pid, &status, 0);
	server_pid = -1;
}

/* CPU time (user + system, all threads) of process pid in ms, or -1. On a
 * machine shared with other work the latencies vary with the neighbours;
 * the CPU a change costs the server and this client does much less. */
static double
proc_cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* Fields after the command (which may hold spaces): state is 3rd;
	 * utime and stime are the 14th and 15th. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static long last_guard_check;

/* Stops the run when the server grows past the limit or time is up. */
static void
guard(void)
{
	int64_t now = bench_now_ns();
	long rss;

	if (aborted || now / 100000000 == last_guard_check)
		return;
	last_guard_check = now / 100000000;
	if (now > run_deadline) {
		aborted = true;
		abort_reason = "the run's timeout passed";
	} else if ((rss = bench_proc_kib(server_pid, "VmRSS")) > opt.max_rss_mib * 1024) {
		aborted = true;
		abort_reason = "the server's VmRSS passed the -m limit";
		fprintf(stderr, "ads_load: server VmRSS %ld MiB > %ld MiB: killing it\n",
		    rss / 1024, opt.max_rss_mib);
		kill(server_pid, SIGKILL);
	} else if (rss < 0) {
		aborted = true;
		abort_reason = "the server exited";
	}
}

/* Processes events until cond() holds or until `until` (monotonic ns). */
static bool
pump(int64_t until, bool (*cond)(void))
{
	while (!aborted) {
		grpc_event ev;

		if (cond != NULL && cond())
			return true;
		if (bench_now_ns() >= until)
			return cond == NULL;
		ev = grpc_completion_queue_next(cq,
		    gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		    gpr_time_from_millis(20, GPR_TIMESPAN)), NULL);
		if (ev.type == GRPC_OP_COMPLETE)
			handle_event(ev);
		guard();
		if (unimplemented)
			return false;
	}
	return false;
}

/* The log line "NEEDLE... (port N)" or "built in N ms": the number after
 * the last occurrence of key in lines containing needle, or -1. Counts the
 * lines in *count when count is not NULL. */
static long
log_number(const char *needle, const char *key, int *count)
{
	char line[4096];
	long v = -1;
	FILE *fp = fopen(logpath, "r");

	if (count)
		*count = 0;
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		char *k;

		if (strstr(line, needle) == NULL || (k = strstr(line, key)) == NULL)
			continue;
		v = strtol(k + strlen(key), NULL, 10);
		if (count)
			(*count)++;
	}
	fclose(fp);
	return v;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* The server's config, log and state directory, once the run went well. */
static void
remove_tmpdir(void)
{
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
start_server(void)
{
	char cfgpath[300];
	FILE *fp;
	long port = -1;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/cairn-ads-load.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgpath, sizeof cfgpath, "%s/cairn.yaml", tmpdir);
	snprintf(logpath, sizeof logpath, "%s/serve.log", tmpdir);
	if ((fp = fopen(cfgpath, "w")) == NULL)
		return -1;
	/* A state directory of its own: the default (/var/lib/cairn) is
	 * shared by every daemon on the machine, and another run's FQDN
	 * ledger or last good copies would change what this one serves. */
	fprintf(fp, "# written by ads_load\ndebounce: 0ms\nadmin:\n  address: \"\"\n"
	    "state-directory: %s/state\n", tmpdir);
	fclose(fp);

	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(fd, 2);
		execl(opt.cairn, opt.cairn, "serve", "-c", cfgpath, "--source", opt.dir,
		    "--xds", "127.0.0.1:0", "--log-level", "info", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600 && port <= 0; i++) { /* 60 s */
		port = log_number("serving xDS on", "(port ", NULL);
		if (port <= 0)
			usleep(100000);
		if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
			server_pid = -1;
			fprintf(stderr, "ads_load: cairn serve exited; see %s\n", logpath);
			return -1;
		}
	}
	/* The first snapshot, within the run's timeout (-t): a daemon under
	 * valgrind (tests/bench/massif_serve.sh) takes minutes at 10k. */
	while (bench_now_ns() < run_deadline) {
		if (log_number("initial build", "built in ", NULL) >= 0)
			return (int)port;
		usleep(100000);
	}
	fprintf(stderr, "ads_load: no initial build within %d s; see %s\n",
	    opt.timeout_s, logpath);
	return -1;
}

/* A start holds every file's bytes until it has saved the last good
 * copies that are new: all of them on a first start (a state directory
 * no run used before: 24 MB and 2-4 s at 10,000 proxies), none later.
 * The baseline is read after the daemon's line saying so, so that it
 * does not depend on the state directory's history (it read 197 or 175
 * MiB at 10k for the same binary). Up to 30 s: an older daemon without
 * the line is read then. */
static void
wait_startup_saved(void)
{
	for (int i = 0; i < 300; i++) {
		if (log_number("startup:", "startup: ", NULL) >= 0)
			return;
		usleep(100000);
	}
	fprintf(stderr, "ads_load: no \"startup:\" line within 30 s; the "
	    "baseline may include the start's file bytes\n");
}

/* --- the runs ------------------------------------------------------------- */

static int wave_target;

static bool
wave_synced(void)
{
	return nsynced >= wave_target;
}

static bool
window_done(void)
{
	int64_t now = bench_now_ns();

	for (int i = 0; i < nstreams_open; i++)
		if (!streams[i].done && streams[i].w_last_useful == 0)
			return false;
	return now - last_rx_ns >= QUIET_NS && now - window_t0 >= QUIET_NS;
}

static bool
all_done(void)
{
	return ndone >= nstreams_open;
}

/* Flips the marker of one file; returns the old value or -1. */
static int
set_marker(const char *path, int value)
{
	char buf[65536], digits[8], *m;
	int fd = open(path, O_RDWR | O_CLOEXEC), old;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0 || (buf[n] = '\0', m = strstr(buf, "rev-")) == NULL ||
	    m + 9 > buf + n) {
		close(fd);
		return -1;
	}
	m += 4;
	old = atoi(m);
	snprintf(digits, sizeof digits, "%05d", value % 100000);
	if (pwrite(fd, digits, 5, m - buf) != 5)
		old = -1;
	close(fd);
	return old;
}

static void
fig_key(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "ads.%s.%s", opt.prefix, what);
}

static void
result(const char *what, const double *v, size_t n, const char *unit)
{
	char k[160];

	fig_key(k, sizeof k, what);
	bench_result(k, v, n, unit);
}

static void
na(const char *what, const char *why)
{
	char k[160];

	fig_key(k, sizeof k, what);
	printf("NA\t%s\t%s\n", k, why);
}

static void
all_na(const char *why)
{
	static const char *const figures[] = { "rss_nostreams", "rss_at", "rss_all",
		"rss_settled", "per_stream", "latency_p50", "latency_p99", "latency_max",
		"bytes_per_stream", "changed_bytes", "bytes_ratio",
		"responses_per_stream", "redundant_per_change", "daemon_built_in",
		"server_cpu_per_change", "client_cpu_per_change" };

	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
		na(figures[i], why);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ads_load -C CAIRN -d DIR [-s STREAMS] [-c CHANNELS] "
	    "[-w WAVE] [-k CHANGES] [-r RSS_AT] [-D] [-m MAX_SERVER_RSS_MIB] "
	    "[-t TIMEOUT_S] [-p PREFIX]\n");
	exit(2);
}

/* The file of the k-th change: proxy i of bench_gen's layout (proxy i in
 * namespace i % namespaces; by default one namespace per proxy). */
static char *
change_path(int k)
{
	DIR *d = opendir(opt.dir);
	struct dirent *de;
	int nns = 0, i;
	char *p = NULL;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL)
		nns += strncmp(de->d_name, "ns-", 3) == 0;
	closedir(d);
	if (nns <= 0)
		return NULL;
	i = (k * 7919 + 13) % nns;
	if (asprintf(&p, "%s/ns-%05d/app-%05d.yaml", opt.dir, i, i) < 0)
		return NULL;
	if (access(p, W_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

int
main(int argc, char **argv)
{
	int c, port, nch = 0;
	long rss_nostreams, rss_at = -1, rss_all = -1, rss_settled = -1, hwm;
	double lat_p50[MAX_CHANGES], lat_p99[MAX_CHANGES], lat_max[MAX_CHANGES],
	    bytes[MAX_CHANGES], changed[MAX_CHANGES], ratio[MAX_CHANGES],
	    responses[MAX_CHANGES], redundant[MAX_CHANGES], built[MAX_CHANGES],
	    server_cpu[MAX_CHANGES], client_cpu[MAX_CHANGES];
	int nchanges = 0;
	char target[64];
	int rc = 0;

	while ((c = getopt(argc, argv, "C:d:s:c:w:k:r:Dm:t:p:")) != -1) {
		switch (c) {
		case 'C': opt.cairn = optarg; break;
		case 'd': opt.dir = optarg; break;
		case 's': opt.streams = atoi(optarg); break;
		case 'c': opt.channels = atoi(optarg); break;
		case 'w': opt.wave = atoi(optarg); break;
		case 'k': opt.changes = atoi(optarg); break;
		case 'r': opt.rss_at = atoi(optarg); break;
		case 'D': opt.delta = true; break;
		case 'm': opt.max_rss_mib = atol(optarg); break;
		case 't': opt.timeout_s = atoi(optarg); break;
		case 'p': opt.prefix = optarg; break;
		default: usage();
		}
	}
	if (opt.cairn == NULL || opt.dir == NULL || opt.streams < 0 ||
	    opt.streams > MAX_STREAMS || opt.channels < 1 ||
	    opt.channels > MAX_CHANNELS || opt.wave < 1 || opt.changes < 0 ||
	    opt.changes > MAX_CHANGES || opt.timeout_s < 1)
		usage();
	run_deadline = bench_now_ns() + (int64_t)opt.timeout_s * 1000000000LL;
	signal(SIGPIPE, SIG_IGN);

	if ((port = start_server()) < 0) {
		kill_server();
		all_na("cairn serve did not start");
		return 1;
	}
	/* Let the startup garbage settle before the baseline. */
	wait_startup_saved();
	usleep(500000);
	rss_nostreams = bench_proc_kib(server_pid, "VmRSS");
	printf("INFO\tads %s: cairn serve pid %d on port %d, %s, VmRSS with no stream %ld KiB\n",
	    opt.prefix, (int)server_pid, port, opt.dir, rss_nostreams);
	{
		double v = (double)rss_nostreams / 1024.0;

		result("rss_nostreams", &v, 1, "MiB");
	}
	if (opt.streams == 0) {
		kill_server();
		remove_tmpdir();
		return 0;
	}

	grpc_init();
	cq = grpc_completion_queue_create_for_next(NULL);
	node_msg = (Node)ENVOY__CONFIG__CORE__V3__NODE__INIT;
	node_msg.id = "ads-load";
	node_msg.cluster = "bench";
	snprintf(target, sizeof target, "127.0.0.1:%d", port);
	channels = calloc((size_t)opt.channels, sizeof *channels);
	streams = calloc((size_t)opt.streams, sizeof *streams);
	{
		grpc_arg args[] = {
			{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			  .value.integer = -1 },
			/* One TCP connection per channel, not one shared. */
			{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL,
			  .value.integer = 1 },
		};
		grpc_channel_args chargs = { sizeof args / sizeof args[0], args };
		grpc_channel_credentials *creds = grpc_insecure_credentials_create();

		for (nch = 0; nch < opt.channels; nch++)
			channels[nch] = grpc_channel_create(target, creds, &chargs);
		grpc_channel_credentials_release(creds);
	}

	/* Streams, a wave at a time, each wave synced before the next. */
	{
		int64_t t0 = bench_now_ns();

		while (nstreams_open < opt.streams && !aborted && !unimplemented) {
			int upto = nstreams_open + opt.wave;

			if (upto > opt.streams)
				upto = opt.streams;
			if (opt.rss_at > nstreams_open && opt.rss_at < upto)
				upto = opt.rss_at;
			while (nstreams_open < upto)
				stream_open(&streams[nstreams_open], nstreams_open);
			wave_target = upto;
			if (!pump(bench_now_ns() + SYNC_TIMEOUT_NS, wave_synced))
				break;
			if (nsynced == opt.rss_at) {
				pump(bench_now_ns() + 300000000LL, NULL);
				rss_at = bench_proc_kib(server_pid, "VmRSS");
			}
		}
		if (unimplemented) {
			printf("INFO\tads %s: the server answered UNIMPLEMENTED\n", opt.prefix);
			all_na("server answers UNIMPLEMENTED");
			goto out;
		}
		if (nsynced < opt.streams) {
			printf("INFO\tads %s: only %d of %d streams synced (%s)\n", opt.prefix,
			    nsynced, opt.streams, aborted ? abort_reason : "sync timeout");
			all_na(aborted ? abort_reason : "streams did not sync");
			rc = 1;
			goto out;
		}
		printf("INFO\tads %s: %d streams over %d channels synced in %.0f ms\n",
		    opt.prefix, opt.streams, opt.channels, bench_ms(bench_now_ns() - t0));
	}
	/* Settle, then the memory of fully synced streams. */
	pump(bench_now_ns() + 1000000000LL, NULL);
	rss_all = bench_proc_kib(server_pid, "VmRSS");
	{
		double v;
		char what[64];

		if (rss_at >= 0) {
			v = (double)rss_at / 1024.0;
			snprintf(what, sizeof what, "rss_at");
			result(what, &v, 1, "MiB");
			printf("INFO\tads %s: rss_at = VmRSS with %d synced streams\n",
			    opt.prefix, opt.rss_at);
		}
		v = (double)rss_all / 1024.0;
		result("rss_all", &v, 1, "MiB");
		v = (double)(rss_all - rss_nostreams) / (double)opt.streams;
		result("per_stream", &v, 1, "KiB");
	}
	/* The same streams once the daemon has given back what the syncs'
	 * bursts left (its trims come after quiet moments that follow the
	 * clients' ACKs): what they hold for as long as they stay. */
	pump(bench_now_ns() + (int64_t)RSS_SETTLE_MS * 1000000LL, NULL);
	rss_settled = bench_proc_kib(server_pid, "VmRSS");
	{
		double v = (double)rss_settled / 1024.0;

		result("rss_settled", &v, 1, "MiB");
		printf("INFO\tads %s: rss_settled = VmRSS %d ms after rss_all, "
		    "the streams still open\n", opt.prefix, RSS_SETTLE_MS);
	}

	/* One-route changes. */
	for (int k = 0; k < opt.changes && !aborted; k++) {
		char *path = change_path(k);
		double *lat = calloc((size_t)opt.streams, sizeof *lat);
		int before, after, missed = 0, old;
		double cpu0_server, cpu0_client;
		long b;
		uint64_t tot_bytes = 0, tot_resp = 0, tot_red = 0;

		if (path == NULL || lat == NULL) {
			fprintf(stderr, "ads_load: no file to change in %s\n", opt.dir);
			free(path);
			free(lat);
			break;
		}
		for (int i = 0; i < nstreams_open; i++) {
			streams[i].w_bytes = 0;
			streams[i].w_responses = streams[i].w_redundant = 0;
			streams[i].w_last_useful = 0;
		}
		w_changed_bytes = 0;
		log_number("change: revision", "built in ", &before);
		cpu0_server = proc_cpu_ms(server_pid);
		cpu0_client = proc_cpu_ms(getpid());
		in_window = true;
		window_t0 = bench_now_ns();
		old = set_marker(path, 20000 + k);
		if (old < 0) {
			in_window = false;
			free(path);
			free(lat);
			break;
		}
		if (!pump(window_t0 + CHANGE_TIMEOUT_NS, window_done))
			fprintf(stderr, "ads_load: change %d: not every stream got its "
			    "update within %lld s\n", k, CHANGE_TIMEOUT_NS / 1000000000);
		in_window = false;
		/* Includes the 500 ms quiet period, when both should be idle. */
		server_cpu[nchanges] = proc_cpu_ms(server_pid) - cpu0_server;
		client_cpu[nchanges] = proc_cpu_ms(getpid()) - cpu0_client;
		for (int i = 0; i < nstreams_open; i++) {
			struct stream *st = &streams[i];

			if (st->w_last_useful == 0) {
				missed++;
				lat[i] = bench_ms(CHANGE_TIMEOUT_NS);
			} else {
				lat[i] = bench_ms(st->w_last_useful - window_t0);
			}
			tot_bytes += st->w_bytes;
			tot_resp += (uint64_t)st->w_responses;
			tot_red += (uint64_t)st->w_redundant;
		}
		b = log_number("change: revision", "built in ", &after);
		lat_p50[nchanges] = bench_percentile(lat, (size_t)nstreams_open, 50);
		lat_p99[nchanges] = bench_percentile(lat, (size_t)nstreams_open, 99);
		lat_max[nchanges] = lat[nstreams_open - 1];
		bytes[nchanges] = (double)tot_bytes / nstreams_open;
		changed[nchanges] = (double)w_changed_bytes;
		ratio[nchanges] = w_changed_bytes ? bytes[nchanges] / (double)w_changed_bytes : 0;
		responses[nchanges] = (double)tot_resp / nstreams_open;
		redundant[nchanges] = (double)tot_red;
		built[nchanges] = after > before ? (double)b : -1;
		fprintf(stderr, "ads_load %s change %d (%s): p50 %.1f p99 %.1f max %.1f ms, "
		    "%.0f bytes/stream (changed resources %llu bytes), %.2f responses/stream, "
		    "%llu redundant, %d missed, daemon rebuilds %d (last built in %ld ms), "
		    "CPU server %.0f ms client %.0f ms\n",
		    opt.prefix, k, path, lat_p50[nchanges], lat_p99[nchanges],
		    lat_max[nchanges], bytes[nchanges], (unsigned long long)w_changed_bytes,
		    responses[nchanges], (unsigned long long)tot_red, missed,
		    after - before, b, server_cpu[nchanges], client_cpu[nchanges]);
		if (missed > 0)
			printf("INFO\tads %s: change %d: %d streams missed the update\n",
			    opt.prefix, k, missed);
		nchanges++;
		/* Put it back: another change, not counted, that every stream
		 * must have received before the next one starts. */
		for (int i = 0; i < nstreams_open; i++)
			streams[i].w_last_useful = 0;
		in_window = true;
		window_t0 = bench_now_ns();
		set_marker(path, old);
		pump(window_t0 + CHANGE_TIMEOUT_NS, window_done);
		in_window = false;
		free(path);
		free(lat);
	}
	if (nchanges > 0) {
		result("latency_p50", lat_p50, (size_t)nchanges, "ms");
		result("latency_p99", lat_p99, (size_t)nchanges, "ms");
		result("latency_max", lat_max, (size_t)nchanges, "ms");
		result("bytes_per_stream", bytes, (size_t)nchanges, "B");
		result("changed_bytes", changed, (size_t)nchanges, "B");
		result("bytes_ratio", ratio, (size_t)nchanges, "x");
		result("responses_per_stream", responses, (size_t)nchanges, "");
		result("redundant_per_change", redundant, (size_t)nchanges, "");
		result("daemon_built_in", built, (size_t)nchanges, "ms");
		result("server_cpu_per_change", server_cpu, (size_t)nchanges, "ms");
		result("client_cpu_per_change", client_cpu, (size_t)nchanges, "ms");
	}
	hwm = bench_proc_kib(server_pid, "VmHWM");
	{
		double v = (double)hwm / 1024.0;

		result("server_hwm", &v, 1, "MiB");
	}
	if (drops)
		printf("INFO\tads %s: %llu requests dropped (send queue full)\n",
		    opt.prefix, (unsigned long long)drops);
	if (aborted) {
		printf("INFO\tads %s: aborted: %s\n", opt.prefix, abort_reason);
		rc = 1;
	}

out:
	/* Cancel every call, drain (bounded), then stop the server. */
	for (int i = 0; i < nstreams_open; i++)
		if (!streams[i].done)
			grpc_call_cancel(streams[i].call, NULL);
	aborted = false;
	run_deadline = bench_now_ns() + 10000000000LL;
	pump(bench_now_ns() + 10000000000LL, all_done);
	{
		/* Whatever is still pending completes as the calls go. */
		int64_t until = bench_now_ns() + 5000000000LL;
		bool busy = true;

		while (busy && bench_now_ns() < until) {
			grpc_event ev;

			busy = false;
			for (int i = 0; i < nstreams_open; i++)
				if (streams[i].pending > 0)
					busy = true;
			if (!busy)
				break;
			ev = grpc_completion_queue_next(cq, gpr_time_add(
			    gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(20, GPR_TIMESPAN)), NULL);
			if (ev.type == GRPC_OP_COMPLETE)
				handle_event(ev);
		}
	}
	for (int i = 0; i < nstreams_open; i++) {
		struct stream *st = &streams[i];

		while (st->qlen > 0) {
			grpc_byte_buffer_destroy(st->sendq[st->qhead]);
			st->qhead = (st->qhead + 1) % SENDQ_MAX;
			st->qlen--;
		}
		if (st->recv_buf)
			grpc_byte_buffer_destroy(st->recv_buf);
		grpc_metadata_array_destroy(&st->md_initial);
		grpc_metadata_array_destroy(&st->md_trailing);
		grpc_slice_unref(st->details);
		for (int t = 0; t < XDS_TYPE_COUNT; t++) {
			htab_free(&st->ts[t].have);
			htab_free(&st->ts[t].subscribed);
		}
		if (st->pending == 0)
			grpc_call_unref(st->call);
	}
	for (int i = 0; i < nch; i++)
		grpc_channel_destroy(channels[i]);
	grpc_completion_queue_shutdown(cq);
	for (int i = 0; i < 500; i++) { /* bounded drain */
		grpc_event ev = grpc_completion_queue_next(cq, gpr_time_add(
		    gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(20, GPR_TIMESPAN)),
		    NULL);

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
	}
	grpc_completion_queue_destroy(cq);
	grpc_shutdown();
	kill_server();
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		htab_free(&monitor[t]);
	while (names_cache) {
		struct names *nm = names_cache;

		names_cache = nm->next;
		for (size_t i = 0; i < nm->n; i++)
			free(nm->v[i]);
		free(nm->v);
		free(nm);
	}
	free(resp.items);
	for (size_t i = 0; i < resp.nremoved; i++)
		free(resp.removed[i]);
	free(resp.removed);
	free(streams);
	free(channels);
	if (rc == 0) {
		remove_tmpdir();
	} else {
		fprintf(stderr, "ads_load: the server's log is in %s\n", tmpdir);
	}
	return rc;
}
