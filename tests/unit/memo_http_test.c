/* ingress_http in chunks (src/xds/memo_http.c, src/xds/blob_pieces.c):
 * over random host edits, the incremental RouteConfiguration is a blob of
 * pieces whose bytes and version are those of a fresh translation of the
 * same tree, a change writes only the chunks it touches, and the ADS body
 * encoder (src/ads/bodies.c) sends the pieces as the bytes of the flat
 * resource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/slice.h>

#include "ads/bodies.h"
#include "ads/sotw.h"
#include "config.h"
#include "diff/diff_internal.h"
#include "fixture.h"
#include "pipeline.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"

/* Enough hosts for several chunks (128 on average). */
#define HOSTS 1200

static char *
host_file(size_t i, unsigned v)
{
	char *fqdn = xasprintf("h-%04zu.example.com", i);
	char *value = xasprintf("v%u", v);
	char *ip = xasprintf("10.3.%zu.%u", i % 250, 1 + v % 200);
	char *out = fixture_routes_file(fqdn, 1 + i % 2, "x-v", value, ip);

	free(fqdn);
	free(value);
	free(ip);
	return out;
}

static const struct xds_resource *
ingress_http(const struct snapshot *s)
{
	const struct xds_resource *r = snapshot_find(s, XDS_ROUTE,
	    TRANSLATE_HTTP_ROUTES);

	assert_non_null(r);
	return r;
}

/* The chunks of a and b that are the same blob. */
static size_t
shared_chunks(const struct xds_resource *a, const struct xds_resource *b)
{
	size_t n = 0;

	for (size_t i = 1; i < xds_blob_npieces(a->pieced); i++)
		for (size_t k = 1; k < xds_blob_npieces(b->pieced); k++)
			if (xds_blob_piece(a->pieced, i).owner ==
			    xds_blob_piece(b->pieced, k).owner)
				n++;
	return n;
}

struct tree {
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	unsigned v[HOSTS];
	bool gone[HOSTS];
};

static void
tree_init(struct tree *t)
{
	memset(t, 0, sizeof *t);
	config_init_defaults(&t->cfg);
	translate_options_init(&t->to);
	diag_list_init(&t->sf.diags);
	t->sf.revision = xstrdup("chunks");
	for (size_t i = 0; i < HOSTS; i++)
		fixture_ns_file_put(&t->sf, i, host_file(i, 0));
}

static void
tree_free(struct tree *t)
{
	source_files_free(&t->sf);
	config_free(&t->cfg);
}

/* Random edits (a host's header, a host gone or back, several at once),
 * each build's ingress_http against a fresh translation's: the same bytes
 * and version, in pieces, and most chunks the last build's. */
static void
test_random_edits_equal_fresh(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	struct build_result last = { 0 };
	uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);
	int steps = fixture_sample_steps(40);
	size_t kept = 0, chunks = 0;

	(void)state;
	tree_init(t);
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		const struct xds_resource *a, *b;
		size_t edits = step % 5 == 4 ? 3 : 1;

		for (size_t e = 0; step > 0 && e < edits; e++) {
			size_t i;

			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = (size_t)(rnd >> 8) % HOSTS;
			if ((rnd >> 40) % 4 == 0) {
				t->gone[i] = !t->gone[i];
				fixture_ns_file_put(&t->sf, i, t->gone[i] ? NULL :
				    host_file(i, t->v[i]));
			} else if (!t->gone[i]) {
				fixture_ns_file_put(&t->sf, i, host_file(i, ++t->v[i]));
			}
		}
		pipeline_build(p, &t->sf, &t->cfg, &t->to, &r);
		fresh = translate_dag(r.dag, &t->to, r.revision);
		a = ingress_http(r.snapshot);
		b = ingress_http(fresh);
		assert_non_null(a->pieced);
		assert_non_null(b->pieced);
		assert_true(xds_blob_npieces(a->pieced) > 3);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(xds_resource_bytes(a), xds_resource_bytes(b),
		    a->len);
		assert_int_equal(a->version, b->version);
		assert_int_equal(a->entry, b->entry);
		assert_string_equal(r.snapshot->types[XDS_ROUTE].version_hex,
		    fresh->types[XDS_ROUTE].version_hex);
		if (step > 0) {
			size_t n = xds_blob_npieces(a->pieced) - 1;

			/* An edit writes the chunk it is in (a host gone or
			 * back may join or split one): each step at most
			 * two chunks per edit are new. */
			assert_true(shared_chunks(ingress_http(last.snapshot), a) +
			    2 * edits >= n);
			kept += shared_chunks(ingress_http(last.snapshot), a);
			chunks += n;
			build_result_free(&last);
		}
		last = r;
		snapshot_unref(fresh);
	}
	print_message("%zu of %zu chunks kept from the build before\n", kept,
	    chunks);
	build_result_free(&last);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

/* --- test_key_less_hosts_equal_fresh ---------------------------------------- */

/* Host i's file with TLS: its ingress_http virtual host (redirects) has
 * no key in the memo (its inputs include a Secret), so it is added alone
 * and is not an entry of the memo's sequence. */
static char *
tls_host_file(size_t i, unsigned v)
{
	char *plain = host_file(i, v);
	char *vh = strstr(plain, "}\n  routes:");
	char *out;

	assert_non_null(vh);
	*vh = '\0';
	out = xasprintf("%s, tls: {secretName: cert}}%s---\n%s", plain, vh + 1,
	    fixture_tls_secret_yaml);
	free(plain);
	return out;
}

/* Hosts that may get TLS: the first (so that a block after it moves to
 * index 0 when it goes), both sides of the DAG's chunk edges (384 hosts
 * a chunk) and the last. */
static size_t
tls_candidate(uint64_t r)
{
	static const size_t at[] = { 0, 0, 0, 1, 2, 383, 384, 385, 767, 768,
		769, HOSTS - 2, HOSTS - 1 };

	return r % 4 == 0 ? (size_t)(r >> 8) % HOSTS :
	    at[(r >> 8) % (sizeof at / sizeof at[0])];
}

/* Hosts without a memo key (TLS) among kept blocks, given and taken,
 * gone and back, at the start, the end and the DAG chunks' edges: the
 * blocks handed on whole around them are found again by their places
 * (a block whose places were not side by side last time, or that the
 * last assembly had elsewhere, is not a kept prefix or suffix), and every
 * ingress_http equals a fresh translation's. */
static void
test_key_less_hosts_equal_fresh(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	uint64_t rnd = UINT64_C(0x2545f4914f6cdd1d);
	int steps = fixture_sample_steps(60);
	bool *tls = xcalloc(HOSTS, sizeof *tls);
	size_t with_tls = 0, same = 0;

	(void)state;
	tree_init(t);
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		const struct xds_resource *a, *b;
		size_t ntls = 0;

		/* Every tenth step the TLS hosts go plain again: all hosts
		 * have keys, the case where an unchanged tree gives the last
		 * ingress_http back. */
		for (size_t i = 0; step % 10 == 9 && i < HOSTS; i++) {
			if (!tls[i])
				continue;
			tls[i] = false;
			fixture_ns_file_put(&t->sf, i, t->gone[i] ? NULL :
			    host_file(i, t->v[i]));
		}
		for (size_t e = 0; step % 10 != 9 && step > 0 &&
		    e < 1 + (size_t)step % 3; e++) {
			size_t i;

			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = tls_candidate(rnd >> 4);
			switch ((rnd >> 40) % 4) {
			case 0:
			case 1:
				tls[i] = !tls[i];
				break;
			case 2:
				/* Mostly a TLS host gone or back: the hosts
				 * on either side then meet in one run whose
				 * places were not side by side. */
				for (size_t k = 0; k < HOSTS && !tls[i]; k++)
					if (tls[(i + k) % HOSTS])
						i = (i + k) % HOSTS;
				t->gone[i] = !t->gone[i];
				break;
			default:
				t->v[i]++;
				break;
			}
			fixture_ns_file_put(&t->sf, i, t->gone[i] ? NULL :
			    tls[i] ? tls_host_file(i, t->v[i]) :
			    host_file(i, t->v[i]));
		}
		pipeline_build(p, &t->sf, &t->cfg, &t->to, &r);
		fresh = translate_dag(r.dag, &t->to, r.revision);
		a = ingress_http(r.snapshot);
		b = ingress_http(fresh);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(xds_resource_bytes(a), xds_resource_bytes(b),
		    a->len);
		assert_int_equal(a->version, b->version);
		assert_string_equal(r.snapshot->types[XDS_ROUTE].version_hex,
		    fresh->types[XDS_ROUTE].version_hex);
		snapshot_unref(fresh);
		for (size_t h = 0; h < r.dag->nvhosts; h++)
			ntls += dag_vhost_at(r.dag, h)->tls != NULL;
		with_tls += ntls > 0;
		if (ntls == 0) {
			/* Nothing changed, every host kept by key: the last
			 * ingress_http itself. */
			struct build_result again;

			pipeline_build(p, &t->sf, &t->cfg, &t->to, &again);
			assert_ptr_equal(ingress_http(again.snapshot)->pieced,
			    a->pieced);
			build_result_free(&again);
			same++;
		}
		build_result_free(&r);
	}
	print_message("%zu builds with TLS hosts, %zu rebuilt unchanged\n",
	    with_tls, same);
	assert_true(with_tls > 0 && same > 0);
	free(tls);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

/* A protobuf varint at *p (below end); advances *p. */
static uint64_t
read_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* The index of each host at an edge of a chunk of r (the first host of
 * every chunk but the first, the last of every chunk but the last),
 * read from the virtual hosts' names in the pieces; how many. */
static size_t
chunk_edges(const struct xds_resource *r, size_t *edges, size_t cap)
{
	size_t n = 0, np = xds_blob_npieces(r->pieced);

	for (size_t i = 1; i < np; i++) {
		struct xds_piece pc = xds_blob_piece(r->pieced, i);
		const uint8_t *q = pc.bytes, *end = pc.bytes + pc.len;
		size_t first = SIZE_MAX, last = SIZE_MAX;

		while (q < end) {
			const uint8_t *vh, *vend;
			size_t len, idx;

			read_varint(&q, end); /* virtual_hosts' tag */
			len = (size_t)read_varint(&q, end);
			vh = q;
			vend = q + len;
			q = vend;
			/* name (field 1) comes first: h-NNNN.example.com */
			assert_int_equal(*vh++, 0x0a);
			len = (size_t)read_varint(&vh, vend);
			assert_true(len > 6 && vh + len <= vend);
			assert_int_equal(sscanf((const char *)vh, "h-%4zu", &idx),
			    1);
			if (first == SIZE_MAX)
				first = idx;
			last = idx;
		}
		if (i > 1 && n < cap)
			edges[n++] = first;
		if (i + 1 < np && n < cap)
			edges[n++] = last;
	}
	return n;
}

/* Edits at the edges of the last assembly's chunks, and hosts added
 * after the last one or taken from the end: where http_assemble takes
 * the last assembly's leading and trailing chunks whole, the chunks it
 * takes must be cut where a fresh assembly cuts them (a chunk that ended
 * with the hosts, or one after an edited host, is not one of them). */
static void
test_chunk_edges_equal_fresh(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	uint64_t rnd = UINT64_C(0xd1b54a32d192ed03);
	int steps = fixture_sample_steps(48);
	size_t edges[64], extra = 0, added = 0, edge_edits = 0;
	size_t undo = SIZE_MAX, same = 0;
	bool undo_gone = false;

	(void)state;
	tree_init(t);
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		const struct xds_resource *a, *b;

		pipeline_build(p, &t->sf, &t->cfg, &t->to, &r);
		fresh = translate_dag(r.dag, &t->to, r.revision);
		a = ingress_http(r.snapshot);
		b = ingress_http(fresh);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(xds_resource_bytes(a), xds_resource_bytes(b),
		    a->len);
		assert_int_equal(a->version, b->version);
		assert_string_equal(r.snapshot->types[XDS_ROUTE].version_hex,
		    fresh->types[XDS_ROUTE].version_hex);
		snapshot_unref(fresh);
		assert_non_null(a->pieced);
		assert_true(xds_blob_npieces(a->pieced) > 3);
		if (step % 4 == 3) {
			/* Nothing changed: the same hosts give the last
			 * ingress_http itself, not an assembly of it. */
			struct build_result again;

			pipeline_build(p, &t->sf, &t->cfg, &t->to, &again);
			assert_ptr_equal(ingress_http(again.snapshot)->pieced,
			    a->pieced);
			build_result_free(&again);
			same++;
		}

		/* The next step's edit. */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		if (undo != SIZE_MAX) {
			/* The host edited last as it was: its chunk's edge
			 * (where its version ended a chunk) is back, so the
			 * chunks do not all merge over the steps. */
			size_t i = undo;

			undo = SIZE_MAX;
			if (undo_gone)
				t->gone[i] = !t->gone[i];
			else
				t->v[i]--;
			fixture_ns_file_put(&t->sf, i, t->gone[i] ? NULL :
			    host_file(i, t->v[i]));
		} else if ((edge_edits + added) % 3 == 2) {
			/* A host after the last (names sort by index), or
			 * the last added one goes. */
			if (extra > 0 && (rnd >> 20) % 2 == 0) {
				extra--;
				fixture_ns_file_put(&t->sf, HOSTS + extra, NULL);
			} else {
				fixture_ns_file_put(&t->sf, HOSTS + extra,
				    host_file(HOSTS + extra, 0));
				extra++;
				added++;
			}
		} else {
			size_t ne = chunk_edges(a, edges, 64), i;

			assert_true(ne >= 2);
			i = edges[(rnd >> 8) % ne];
			if (i >= HOSTS)
				i = HOSTS - 1;
			undo_gone = (rnd >> 40) % 3 == 0 || t->gone[i];
			if (undo_gone)
				t->gone[i] = !t->gone[i];
			else
				t->v[i]++;
			fixture_ns_file_put(&t->sf, i, t->gone[i] ? NULL :
			    host_file(i, t->v[i]));
			undo = i;
			edge_edits++;
		}
		build_result_free(&r);
	}
	print_message("%zu edits at chunk edges, %zu hosts added at the end\n",
	    edge_edits, added);
	assert_true(edge_edits > 0 && added > 0 && same > 0);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

/* The bytes of a flat blob and of one of pieces read alike. */
static void
test_pieces_api(void **state)
{
	struct xds_blob *c1 = xds_blob_new("", 3), *c2 = xds_blob_new("", 2);
	struct xds_blob *chunks[2] = { c1, c2 }, *b;
	struct snapshot_builder *sb = snapshot_builder_new("p");
	struct snapshot *s;
	const struct xds_resource *r;
	uint8_t copy[8];

	(void)state;
	memcpy(c1->bytes, "abc", 3);
	xds_blob_seal(c1, 3);
	memcpy(c2->bytes, "de", 2);
	xds_blob_seal(c2, 2);
	b = xds_blob_new_pieces("rc", (const uint8_t *)"HH", 2, chunks, 2, 42);
	xds_blob_unref(c1); /* the blob holds its own */
	xds_blob_unref(c2);
	assert_int_equal(b->len, 7);
	assert_int_equal(xds_blob_npieces(b), 3);
	assert_null(xds_blob_piece(b, 0).owner);
	assert_ptr_equal(xds_blob_piece(b, 1).owner, c1);
	assert_memory_equal(xds_blob_flat(b), "HHabcde", 7);
	assert_ptr_equal(xds_blob_flat(b), xds_blob_flat(b)); /* made once */
	assert_int_equal(b->version, 42);
	assert_string_equal(b->name, "rc");
	snapshot_builder_give_blob(sb, XDS_ROUTE, b, false);
	s = snapshot_builder_finish(sb);
	r = snapshot_find(s, XDS_ROUTE, "rc");
	assert_non_null(r);
	assert_null(r->bytes);
	assert_ptr_equal(r->pieced, b);
	assert_int_equal(r->len, 7);
	assert_memory_equal(xds_resource_bytes(r), "HHabcde", 7);
	assert_ptr_equal(xds_resource_copy(r, copy), copy + 7);
	assert_memory_equal(copy, "HHabcde", 7);
	snapshot_unref(s);
}

static size_t
body(const void *r, uint8_t *buf)
{
	return sotw_response_encode_body(r, buf);
}

static size_t
shared_of(const void *r)
{
	const struct sotw_response *s = r;

	return ads_body_shared_len(s->items, s->n);
}

/* One response's body, gathered into slices (the pieces not copied) and
 * written flat: the same bytes, the same DiscoveryResponse as the
 * resource's flat copy gives, from the cache the second time. */
static void
test_gathered_body_decodes_as_flat(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	struct build_result r;
	struct ads_body_cache cache;
	const struct xds_resource *ih, *items[2];
	struct xds_resource flat;
	struct sotw_response resp = { .type = XDS_ROUTE, .version = "v",
		.nonce = "1" };
	grpc_slice *slices;
	size_t n, len, shared, at = 0, npieces = 0;
	uint8_t *gathered, *plain;
	Envoy__Service__Discovery__V3__DiscoveryResponse *m;

	(void)state;
	tree_init(t);
	pipeline_build(p, &t->sf, &t->cfg, &t->to, &r);
	ih = ingress_http(r.snapshot);
	assert_non_null(ih->pieced);
	/* With another resource after it: the bytes around the pieces. */
	items[0] = ih;
	items[1] = snapshot_find(r.snapshot, XDS_ROUTE, "h-0001.example.com");
	assert_non_null(items[1]);
	resp.items = items;
	resp.n = 2;
	len = sotw_response_encode_body(&resp, NULL);
	shared = ads_body_shared_len(items, 2);
	assert_true(shared > 0 && shared < ih->len);

	ads_body_cache_init(&cache);
	for (int pass = 0; pass < 2; pass++) {
		ads_body_get_slices(&cache, 7, len, body, shared_of, &resp,
		    &slices, &n);
		gathered = xmalloc(len);
		at = npieces = 0;
		for (size_t i = 0; i < n; i++) {
			size_t sl = GRPC_SLICE_LENGTH(slices[i]);

			for (size_t k = 1; k < xds_blob_npieces(ih->pieced); k++)
				if (GRPC_SLICE_START_PTR(slices[i]) ==
				    xds_blob_piece(ih->pieced, k).bytes)
					npieces++;
			assert_true(at + sl <= len);
			memcpy(gathered + at, GRPC_SLICE_START_PTR(slices[i]), sl);
			at += sl;
			grpc_slice_unref(slices[i]);
		}
		free(slices);
		assert_int_equal(at, len);
		/* Every chunk is sent from its blob, not copied. */
		assert_int_equal(npieces, xds_blob_npieces(ih->pieced) - 1);

		/* The flat resource, encoded the ordinary way. */
		flat = *ih;
		flat.pieced = NULL;
		flat.bytes = xds_resource_bytes(ih);
		items[0] = &flat;
		plain = xmalloc(len);
		assert_int_equal(sotw_response_encode_body(&resp, plain), len);
		items[0] = ih;
		assert_memory_equal(gathered, plain, len);

		m = envoy__service__discovery__v3__discovery_response__unpack(NULL,
		    len, gathered);
		assert_non_null(m);
		assert_int_equal(m->n_resources, 2);
		assert_int_equal(m->resources[0]->value.len, ih->len);
		assert_memory_equal(m->resources[0]->value.data,
		    xds_resource_bytes(ih), ih->len);
		envoy__service__discovery__v3__discovery_response__free_unpacked(m,
		    NULL);
		free(gathered);
		free(plain);
	}
	assert_int_equal(cache.misses, 1);
	assert_int_equal(cache.hits, 1);

	/* A body without pieces: one slice, as ads_body_get makes it. */
	resp.items = items + 1;
	resp.n = 1;
	len = sotw_response_encode_body(&resp, NULL);
	plain = xmalloc(len);
	sotw_response_encode_body(&resp, plain);
	ads_body_get_slices(&cache, 8, len, body, shared_of, &resp, &slices, &n);
	assert_int_equal(n, 1);
	assert_int_equal(GRPC_SLICE_LENGTH(slices[0]), len);
	assert_memory_equal(GRPC_SLICE_START_PTR(slices[0]), plain, len);
	grpc_slice_unref(slices[0]);
	free(slices);
	free(plain);
	ads_body_cache_destroy(&cache);
	build_result_free(&r);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

static void
count_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	(void)from;
	(void)to;
	(*(size_t *)ctx)++;
}

/* `cairn diff --running` reads the bytes back and versions them by their
 * flat hash: the same bytes as a RouteConfiguration in pieces are no
 * change, one byte more is one. */
static void
test_running_bytes_same_as_pieces(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	struct build_result r;
	struct snapshot *back, *other;
	struct snapshot_builder *b;
	const struct xds_resource_set *set;
	const struct xds_resource *ih;
	uint8_t *bytes;
	size_t calls = 0;

	(void)state;
	tree_init(t);
	pipeline_build(p, &t->sf, &t->cfg, &t->to, &r);
	set = &r.snapshot->types[XDS_ROUTE];
	ih = ingress_http(r.snapshot);
	assert_non_null(ih->pieced);
	b = snapshot_builder_new("running");
	for (size_t i = 0; i < set->n; i++)
		snapshot_builder_add(b, XDS_ROUTE, xds_set_at(set, i)->name,
		    xds_resource_bytes(xds_set_at(set, i)), xds_set_at(set, i)->len, false);
	back = snapshot_builder_finish(b);
	assert_int_not_equal(ingress_http(back)->version, ih->version);
	diff_walk_pairs(set, &back->types[XDS_ROUTE], count_pair, &calls);
	assert_int_equal(calls, 0);

	/* The same length, one byte other: a change. */
	bytes = xmemdup(xds_resource_bytes(ih), ih->len);
	bytes[ih->len - 1] ^= 1;
	b = snapshot_builder_new("other");
	snapshot_builder_add(b, XDS_ROUTE, ih->name, bytes, ih->len, false);
	other = snapshot_builder_finish(b);
	free(bytes);
	calls = 0;
	{
		/* The build's ingress_http (its blob of pieces) against the
		 * other bytes. */
		struct snapshot *one;

		b = snapshot_builder_new("one");
		snapshot_builder_add_blob(b, XDS_ROUTE,
		    (struct xds_blob *)ih->pieced, false);
		one = snapshot_builder_finish(b);
		diff_walk_pairs(&one->types[XDS_ROUTE],
		    &other->types[XDS_ROUTE], count_pair, &calls);
		snapshot_unref(one);
	}
	assert_int_equal(calls, 1);
	snapshot_unref(back);
	snapshot_unref(other);
	build_result_free(&r);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

/* A snapshot of ingress_http's bytes alone, flat (as read back). */
static struct snapshot *
flat_copy(const struct xds_resource *r)
{
	struct snapshot_builder *b = snapshot_builder_new("flat");

	snapshot_builder_add(b, XDS_ROUTE, r->name, xds_resource_bytes(r), r->len,
	    false);
	return snapshot_builder_finish(b);
}

/* The plan of a one-host change, from two RouteConfigurations in pieces
 * (the chunks both have are not read) and from their flat copies: the
 * same one changed host. */
static void
test_plan_of_pieces_as_of_flat(void **state)
{
	struct tree *t = xmalloc(sizeof *t);
	struct pipeline *p = pipeline_new(NULL);
	struct build_result r1, r2;
	struct snapshot *f1, *f2;
	struct diff_plan pa = { 0 }, pb = { 0 };
	const struct xds_resource *a, *b;

	(void)state;
	tree_init(t);
	pipeline_build(p, &t->sf, &t->cfg, &t->to, &r1);
	fixture_ns_file_put(&t->sf, 500, host_file(500, 1));
	pipeline_build(p, &t->sf, &t->cfg, &t->to, &r2);
	a = ingress_http(r1.snapshot);
	b = ingress_http(r2.snapshot);
	assert_non_null(a->pieced);
	assert_non_null(b->pieced);
	assert_true(shared_chunks(a, b) > 0);
	f1 = flat_copy(a);
	f2 = flat_copy(b);
	pa.hosts = json_array();
	pb.hosts = json_array();
	diff_route_config_pair(&pa, a, b);
	diff_route_config_pair(&pb, ingress_http(f1), ingress_http(f2));
	assert_int_equal(pa.errors, 0);
	assert_int_equal(pb.errors, 0);
	assert_int_equal(json_array_size(pb.hosts), 1);
	assert_string_equal(diff_json_str(json_array_get(pb.hosts, 0), "host"),
	    "h-0500.example.com");
	assert_true(json_equal(pa.hosts, pb.hosts));
	json_decref(pa.hosts);
	json_decref(pb.hosts);
	snapshot_unref(f1);
	snapshot_unref(f2);
	build_result_free(&r1);
	build_result_free(&r2);
	pipeline_free(p);
	tree_free(t);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_api),
		cmocka_unit_test(test_random_edits_equal_fresh),
		cmocka_unit_test(test_chunk_edges_equal_fresh),
		cmocka_unit_test(test_key_less_hosts_equal_fresh),
		cmocka_unit_test(test_gathered_body_decodes_as_flat),
		cmocka_unit_test(test_running_bytes_same_as_pieces),
		cmocka_unit_test(test_plan_of_pieces_as_of_flat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
