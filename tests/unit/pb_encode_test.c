/* src/xds/pb_encode.c against protobuf-c: the same bytes for
 *   - every message the pipeline serializes while building every golden
 *     input and every seed of the build fuzzer (the check hook sees each
 *     one, including the messages packed into Anys);
 *   - random messages of every registered type, filled through the
 *     descriptors (every field type, labels, oneofs, repeated and packed
 *     fields, nested messages, unknown fields);
 *   - messages protobuf-c decodes from mutated bytes (unknown fields of
 *     every wire type);
 *   - messages larger than the writer keeps between calls. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"
#include "pipeline.h"
#include "source/dir.h"
#include "util/arena.h"
#include "util/xalloc.h"
#include "xds/pb_encode.h"
#include "xds/registry.h"
#include "xds/translate.h"

#include "../fuzz/fuzz_files.h"
#include "../fuzz/fuzz_ns.h"

#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"

/* --- the check every serialized message goes through ---------------------- */

static size_t checked, mismatched;
static char first_mismatch[256];

static void
compare_with_protobuf_c(const ProtobufCMessage *m, const uint8_t *bytes,
    size_t len)
{
	size_t want = protobuf_c_message_get_packed_size(m);
	uint8_t *theirs = xmalloc(want ? want : 1);
	size_t packed = protobuf_c_message_pack(m, theirs);

	checked++;
	if (packed != len || memcmp(theirs, bytes, len) != 0) {
		size_t at = 0;

		while (at < len && at < packed && theirs[at] == bytes[at])
			at++;
		if (mismatched++ == 0)
			snprintf(first_mismatch, sizeof first_mismatch,
			    "%s: %zu bytes, protobuf-c %zu, first difference at %zu",
			    m->descriptor->name, len, packed, at);
	}
	free(theirs);
}

static void
expect_same(const ProtobufCMessage *m)
{
	size_t len;
	const uint8_t *bytes = pb_encode_scratch(m, &len);

	(void)bytes; /* compared by the hook */
}

static void
check_start(void)
{
	checked = mismatched = 0;
	first_mismatch[0] = '\0';
	pb_encode_set_check(compare_with_protobuf_c);
}

static void
check_end(const char *what, size_t at_least)
{
	pb_encode_set_check(NULL);
	print_message("%s: %zu messages serialized, %zu differ from protobuf-c\n",
	    what, checked, mismatched);
	if (mismatched != 0)
		fail_msg("%s: %s", what, first_mismatch);
	assert_true(checked >= at_least);
}

/* --- the pipeline's messages ----------------------------------------------- */

static char *
top_path(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/%s", top ? top : ".", rel);
}

static void
build_tree(const struct source_files *sf, const struct cairn_config *cfg)
{
	struct translate_options to;
	struct build_result r;
	struct pipeline *p = pipeline_new(NULL);

	translate_options_init(&to);
	pipeline_build(p, sf, cfg, &to, &r);
	build_result_free(&r);
	pipeline_free(p);
}

/* Every golden input, with its cairn.yaml when it has one (every Nth
 * with CAIRN_TEST_SAMPLE=N, as tests/valgrind.sh runs it). */
static void
test_golden_trees(void **state)
{
	char *dir = top_path("tests/golden");
	DIR *d = opendir(dir);
	struct dirent *de;
	const char *sample_env = getenv("CAIRN_TEST_SAMPLE");
	size_t cases = 0, seen = 0, sample = 1;

	(void)state;
	if (d == NULL) {
		free(dir);
		skip();
	}
	if (sample_env != NULL && atoi(sample_env) > 1)
		sample = (size_t)atoi(sample_env);
	check_start();
	while ((de = readdir(d)) != NULL) {
		char *input = xasprintf("%s/%s/input", dir, de->d_name);
		char *conf = xasprintf("%s/%s/cairn.yaml", dir, de->d_name);
		struct cairn_config cfg;
		struct diag_list diags;
		struct source_dir *sd;
		struct source_files sf;
		struct stat st;

		if (de->d_name[0] == '.' || stat(input, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || seen++ % sample != 0)
			goto next;
		config_init_defaults(&cfg);
		diag_list_init(&diags);
		if (stat(conf, &st) == 0)
			assert_int_equal(config_load_file(&cfg, conf, &diags), 0);
		assert_int_equal(source_dir_open(input, NULL, &sd, &diags), 0);
		assert_int_equal(source_dir_scan(sd, &sf), 0);
		build_tree(&sf, &cfg);
		source_files_free(&sf);
		source_dir_close(sd);
		diag_list_free(&diags);
		config_free(&cfg);
		cases++;
next:
		free(input);
		free(conf);
	}
	closedir(d);
	free(dir);
	print_message("%zu golden inputs\n", cases);
	assert_true(cases * sample > 50);
	check_end("golden inputs", 1000 / sample);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		cap = cap ? cap * 2 : 4096;
		buf = xrealloc(buf, cap);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (n == cap);
	fclose(f);
	*len = n;
	return buf;
}

/* Each seed of the build fuzzer as a tree of one file, as the fuzzer
 * loads it. */
static void
test_build_fuzzer_seeds(void **state)
{
	char *dir = top_path("tests/fuzz/corpus/build");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t seeds = 0;

	(void)state;
	if (d == NULL) {
		free(dir);
		skip();
	}
	check_start();
	while ((de = readdir(d)) != NULL) {
		char *path, ns[64], name[96];
		struct source_files sf = { 0 };
		struct cairn_config cfg;
		size_t len;
		char *data;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		data = read_file(path, &len);
		free(path);
		if (data == NULL)
			continue;
		fuzz_namespace_of(data, len, ns, sizeof ns);
		snprintf(name, sizeof name, "%s/fuzz.yaml", ns);
		fuzz_add_file(&sf, name, ns, data, len);
		sf.revision = xstrdup("seed");
		config_init_defaults(&cfg);
		build_tree(&sf, &cfg);
		config_free(&cfg);
		source_files_free(&sf);
		free(data);
		seeds++;
	}
	closedir(d);
	free(dir);
	print_message("%zu seeds\n", seeds);
	assert_true(seeds > 10);
	check_end("build fuzzer seeds", 100);
}

/* --- random messages ------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	/* xorshift64*: the same sequence on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool
chance(unsigned percent)
{
	return rnd() % 100 < percent;
}

static uint64_t
random_integer(void)
{
	static const uint64_t edges[] = { 0, 1, 2, 127, 128, 255, 16383, 16384,
	    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	    0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	    (uint64_t)-2, (uint64_t)-128, (uint64_t)-129 };

	switch (rnd() % 4) {
	case 0:
		return edges[rnd() % (sizeof edges / sizeof edges[0])];
	case 1:
		return rnd() % 300;
	case 2:
		return rnd() >> (rnd() % 64);
	default:
		return rnd();
	}
}

static double
random_double(void)
{
	switch (rnd() % 6) {
	case 0:
		return 0.0;
	case 1:
		return -0.0;
	case 2:
		return NAN;
	case 3:
		return INFINITY;
	case 4:
		return (double)(int64_t)rnd() / 7.0;
	default:
		return 1.5;
	}
}

static char *
random_string(struct arena *a)
{
	size_t len;
	char *s;

	switch (rnd() % 5) {
	case 0:
		return (char *)"";
	case 1:
		len = 1 + rnd() % 8;
		break;
	case 2:
		len = 120 + rnd() % 20; /* around the 1- to 2-byte length */
		break;
	case 3:
		len = rnd() % 400;
		break;
	default:
		len = rnd() % 40;
		break;
	}
	s = arena_alloc(a, len + 1);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + rnd() % 26);
	s[len] = '\0';
	return s;
}

static void
random_bytes(struct arena *a, ProtobufCBinaryData *bd)
{
	bd->len = rnd() % 3 == 0 ? 0 : rnd() % 200;
	bd->data = arena_alloc(a, bd->len + 1);
	for (size_t i = 0; i < bd->len; i++)
		bd->data[i] = (uint8_t)rnd();
}

static ProtobufCMessage *random_message(struct arena *a,
    const ProtobufCMessageDescriptor *d, int depth);

/* A value of f's type at v (one element of a repeated field when
 * element). */
static void
random_value(struct arena *a, const ProtobufCFieldDescriptor *f, void *v,
    int depth, bool element)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)v = (uint32_t)random_integer();
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;

		if (e != NULL && e->n_values > 0 && chance(70))
			*(int *)v = e->values[rnd() % e->n_values].value;
		else
			*(int *)v = (int)(uint32_t)random_integer();
		break;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)v = random_integer();
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)v = (float)random_double();
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)v = random_double();
		break;
	case PROTOBUF_C_TYPE_BOOL:
		/* any nonzero value is true: written as 1 */
		*(protobuf_c_boolean *)v = (protobuf_c_boolean)(rnd() % 3);
		break;
	case PROTOBUF_C_TYPE_STRING:
		if (f->default_value != NULL && chance(25))
			*(const char **)v = f->default_value; /* not written */
		else
			*(char **)v = !element && chance(10) ? NULL : random_string(a);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		random_bytes(a, v);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)v = !element && chance(10) ? NULL :
		    random_message(a, f->descriptor, depth + 1);
		break;
	}
}

static size_t
element_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

static void
random_unknown_fields(struct arena *a, ProtobufCMessage *m)
{
	static const ProtobufCWireType types[] = { PROTOBUF_C_WIRE_TYPE_VARINT,
	    PROTOBUF_C_WIRE_TYPE_64BIT, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
	    PROTOBUF_C_WIRE_TYPE_32BIT };
	size_t n = 1 + rnd() % 3;

	m->unknown_fields = arena_alloc(a, n * sizeof *m->unknown_fields);
	m->n_unknown_fields = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		ProtobufCMessageUnknownField *u = &m->unknown_fields[i];

		/* numbers up to protobuf's largest, 2^29 - 1 */
		u->tag = chance(20) ? (1u << 29) - 1 : 1000 + (uint32_t)(rnd() % 100000);
		u->wire_type = types[rnd() % 4];
		u->len = 1 + rnd() % 12;
		u->data = arena_alloc(a, u->len);
		for (size_t k = 0; k < u->len; k++)
			u->data[k] = (uint8_t)rnd();
	}
}

/* Fields filled at random (each field about half the time; deeper
 * messages fewer), every label's cases: proto3 zeros and empty strings,
 * optional values without their has_, oneof cases naming a NULL member. */
static ProtobufCMessage *
random_message(struct arena *a, const ProtobufCMessageDescriptor *d,
    int depth)
{
	ProtobufCMessage *m = arena_alloc(a, d->sizeof_message);
	unsigned fill = depth < 2 ? 60 : depth < 5 ? 25 : 0;

	d->message_init(m);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *member = (char *)m + f->offset;
		char *q = (char *)m + f->quantifier_offset;

		if (!chance(fill))
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* a later member may take the union over */
			*(uint32_t *)q = f->id;
			random_value(a, f, member, depth, false);
			continue;
		}
		switch (f->label) {
		case PROTOBUF_C_LABEL_REQUIRED:
		case PROTOBUF_C_LABEL_NONE:
			random_value(a, f, member, depth, false);
			break;
		case PROTOBUF_C_LABEL_OPTIONAL:
			random_value(a, f, member, depth, false);
			if (f->type != PROTOBUF_C_TYPE_STRING &&
			    f->type != PROTOBUF_C_TYPE_MESSAGE)
				*(protobuf_c_boolean *)q = chance(70);
			break;
		case PROTOBUF_C_LABEL_REPEATED: {
			size_t n = rnd() % 4, size = element_size(f);
			char *array = arena_alloc(a, (n ? n : 1) * size);

			for (size_t k = 0; k < n; k++)
				random_value(a, f, array + k * size, depth, true);
			*(size_t *)q = n;
			*(void **)member = array;
			break;
		}
		}
	}
	if (chance(depth == 0 ? 15 : 3))
		random_unknown_fields(a, m);
	return m;
}

/* --- a message type of every label and type ------------------------------ */

/* Envoy's protos are proto3: no required or optional labels, no sint,
 * sfixed or fixed types, packed repeated uint32 only. This descriptor,
 * written by hand the way protoc-c writes them, has each of those, a
 * string with a default, oneof members under an optional label, a
 * two-byte and a five-byte tag, and itself as a submessage. */
struct every {
	ProtobufCMessage base;
	int32_t req_int32;
	int32_t req_sint32;
	protobuf_c_boolean has_opt_sint64;
	int64_t opt_sint64;
	protobuf_c_boolean has_opt_sfixed32;
	int32_t opt_sfixed32;
	protobuf_c_boolean has_opt_fixed64;
	uint64_t opt_fixed64;
	protobuf_c_boolean has_opt_fixed32;
	uint32_t opt_fixed32;
	protobuf_c_boolean has_opt_sfixed64;
	int64_t opt_sfixed64;
	char *opt_string;
	struct every *opt_msg;
	protobuf_c_boolean has_opt_bool;
	protobuf_c_boolean opt_bool;
	protobuf_c_boolean has_opt_float;
	float opt_float;
	protobuf_c_boolean has_opt_bytes;
	ProtobufCBinaryData opt_bytes;
	char *req_string;
	struct every *req_msg;
	protobuf_c_boolean has_opt_enum;
	int opt_enum;
	/* packed, one per scalar type */
	size_t n_p_int32; int32_t *p_int32;
	size_t n_p_sint32; int32_t *p_sint32;
	size_t n_p_sfixed32; int32_t *p_sfixed32;
	size_t n_p_int64; int64_t *p_int64;
	size_t n_p_sint64; int64_t *p_sint64;
	size_t n_p_sfixed64; int64_t *p_sfixed64;
	size_t n_p_uint32; uint32_t *p_uint32;
	size_t n_p_fixed32; uint32_t *p_fixed32;
	size_t n_p_uint64; uint64_t *p_uint64;
	size_t n_p_fixed64; uint64_t *p_fixed64;
	size_t n_p_float; float *p_float;
	size_t n_p_double; double *p_double;
	size_t n_p_bool; protobuf_c_boolean *p_bool;
	size_t n_p_enum; int *p_enum;
	/* not packed */
	size_t n_r_sint32; int32_t *r_sint32;
	size_t n_r_fixed64; uint64_t *r_fixed64;
	size_t n_r_bool; protobuf_c_boolean *r_bool;
	size_t n_r_bytes; ProtobufCBinaryData *r_bytes;
	size_t n_r_double; double *r_double;
	size_t n_r_msg; struct every **r_msg;
	/* proto3 unlabeled */
	int32_t u_sint32;
	int64_t u_sfixed64;
	uint32_t u_fixed32;
	int64_t u_sint64;
	/* a oneof under the optional label */
	uint32_t which_case;
	union {
		int64_t o_sint64;
		char *o_string;
		struct every *o_msg;
		ProtobufCBinaryData o_bytes;
		float o_float;
	};
	uint32_t u_far; /* number 2^29 - 1 */
};

extern const ProtobufCMessageDescriptor every_descriptor;

static void
every_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(struct every));
	m->descriptor = &every_descriptor;
}

#define EV(id, name, label, type, flags) { #name, id, PROTOBUF_C_LABEL_##label, \
	PROTOBUF_C_TYPE_##type, 0, offsetof(struct every, name), NULL, NULL, \
	flags, 0, NULL, NULL }
#define EV_HAS(id, name, type) { #name, id, PROTOBUF_C_LABEL_OPTIONAL, \
	PROTOBUF_C_TYPE_##type, offsetof(struct every, has_##name), \
	offsetof(struct every, name), NULL, NULL, 0, 0, NULL, NULL }
#define EV_REP(id, name, type, flags) { #name, id, PROTOBUF_C_LABEL_REPEATED, \
	PROTOBUF_C_TYPE_##type, offsetof(struct every, n_##name), \
	offsetof(struct every, name), NULL, NULL, flags, 0, NULL, NULL }
#define EV_ONEOF(id, name, type) { #name, id, PROTOBUF_C_LABEL_OPTIONAL, \
	PROTOBUF_C_TYPE_##type, offsetof(struct every, which_case), \
	offsetof(struct every, name), NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF, \
	0, NULL, NULL }
#define PACKED PROTOBUF_C_FIELD_FLAG_PACKED

static const ProtobufCFieldDescriptor every_fields[] = {
	EV(1, req_int32, REQUIRED, INT32, 0),
	EV(2, req_sint32, REQUIRED, SINT32, 0),
	EV_HAS(3, opt_sint64, SINT64),
	EV_HAS(4, opt_sfixed32, SFIXED32),
	EV_HAS(5, opt_fixed64, FIXED64),
	EV_HAS(6, opt_fixed32, FIXED32),
	EV_HAS(7, opt_sfixed64, SFIXED64),
	{ "opt_string", 8, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0,
	    offsetof(struct every, opt_string), NULL, "dflt", 0, 0, NULL, NULL },
	{ "opt_msg", 9, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE, 0,
	    offsetof(struct every, opt_msg), &every_descriptor, NULL, 0, 0,
	    NULL, NULL },
	EV_HAS(10, opt_bool, BOOL),
	EV_HAS(11, opt_float, FLOAT),
	EV_HAS(12, opt_bytes, BYTES),
	EV(13, req_string, REQUIRED, STRING, 0),
	{ "req_msg", 14, PROTOBUF_C_LABEL_REQUIRED, PROTOBUF_C_TYPE_MESSAGE, 0,
	    offsetof(struct every, req_msg), &every_descriptor, NULL, 0, 0,
	    NULL, NULL },
	EV_HAS(15, opt_enum, ENUM),
	EV_REP(16, p_int32, INT32, PACKED),
	EV_REP(17, p_sint32, SINT32, PACKED),
	EV_REP(18, p_sfixed32, SFIXED32, PACKED),
	EV_REP(19, p_int64, INT64, PACKED),
	EV_REP(20, p_sint64, SINT64, PACKED),
	EV_REP(21, p_sfixed64, SFIXED64, PACKED),
	EV_REP(22, p_uint32, UINT32, PACKED),
	EV_REP(23, p_fixed32, FIXED32, PACKED),
	EV_REP(24, p_uint64, UINT64, PACKED),
	EV_REP(25, p_fixed64, FIXED64, PACKED),
	EV_REP(26, p_float, FLOAT, PACKED),
	EV_REP(27, p_double, DOUBLE, PACKED),
	EV_REP(28, p_bool, BOOL, PACKED),
	EV_REP(29, p_enum, ENUM, PACKED),
	EV_REP(30, r_sint32, SINT32, 0),
	EV_REP(31, r_fixed64, FIXED64, 0),
	EV_REP(32, r_bool, BOOL, 0),
	EV_REP(33, r_bytes, BYTES, 0),
	EV_REP(34, r_double, DOUBLE, 0),
	{ "r_msg", 35, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE,
	    offsetof(struct every, n_r_msg), offsetof(struct every, r_msg),
	    &every_descriptor, NULL, 0, 0, NULL, NULL },
	EV(36, u_sint32, NONE, SINT32, 0),
	EV(37, u_sfixed64, NONE, SFIXED64, 0),
	EV(38, u_fixed32, NONE, FIXED32, 0),
	EV(39, u_sint64, NONE, SINT64, 0),
	EV_ONEOF(40, o_sint64, SINT64),
	{ "o_string", 41, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING,
	    offsetof(struct every, which_case), offsetof(struct every, o_string),
	    NULL, "odflt", PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL },
	{ "o_msg", 42, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_MESSAGE,
	    offsetof(struct every, which_case), offsetof(struct every, o_msg),
	    &every_descriptor, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL },
	EV_ONEOF(43, o_bytes, BYTES),
	EV_ONEOF(44, o_float, FLOAT),
	EV(536870911, u_far, NONE, UINT32, 0),
};

const ProtobufCMessageDescriptor every_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "cairn.test.Every", "Every",
	"Every", "cairn.test", sizeof(struct every),
	sizeof every_fields / sizeof every_fields[0], every_fields, NULL, 0,
	NULL, every_init, NULL, NULL, NULL,
};

/* The hand-written type, at random many times. */
static void
test_every_label_and_type(void **state)
{
	(void)state;
	check_start();
	for (int k = 0; k < 3000; k++) {
		struct arena a;

		arena_init(&a);
		expect_same(random_message(&a, &every_descriptor, k % 3));
		arena_free(&a);
	}
	check_end("every label and type", 3000);
}

static void
test_random_messages(void **state)
{
	size_t types = xds_registry_count();

	(void)state;
	check_start();
	for (size_t i = 0; i < types; i++) {
		const ProtobufCMessageDescriptor *d = xds_registry_at(i);

		for (int k = 0; k < 60; k++) {
			struct arena a;

			arena_init(&a);
			expect_same(random_message(&a, d, 0));
			arena_free(&a);
		}
	}
	check_end("random messages", types * 60);
}

/* protobuf-c decodes mutated bytes of random messages into messages
 * with unknown fields of every wire type (and fields repeated, merged);
 * both encoders must write them back the same. */
static void
test_decoded_mutations(void **state)
{
	size_t types = xds_registry_count(), decoded = 0;

	(void)state;
	check_start();
	for (size_t i = 0; i < types; i++) {
		const ProtobufCMessageDescriptor *d = xds_registry_at(i);

		for (int k = 0; k < 20; k++) {
			struct arena a;
			ProtobufCMessage *m, *back;
			size_t len;
			uint8_t *bytes;

			arena_init(&a);
			m = random_message(&a, d, 0);
			len = protobuf_c_message_get_packed_size(m);
			bytes = arena_alloc(&a, len + 16);
			protobuf_c_message_pack(m, bytes);
			for (int flips = 0; len > 0 && flips < 3; flips++)
				bytes[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			back = protobuf_c_message_unpack(d, NULL, len, bytes);
			if (back != NULL) {
				expect_same(back);
				protobuf_c_message_free_unpacked(back, NULL);
				decoded++;
			}
			arena_free(&a);
		}
	}
	print_message("%zu mutated messages decoded\n", decoded);
	check_end("decoded mutations", 100);
}

/* A RouteConfiguration of n virtual hosts with a route each. */
static ProtobufCMessage *
big_route_configuration(struct arena *a, size_t n)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc = arena_alloc(a, sizeof *rc);

	envoy__config__route__v3__route_configuration__init(rc);
	rc->name = (char *)"big";
	rc->n_virtual_hosts = n;
	rc->virtual_hosts = arena_alloc(a, n * sizeof *rc->virtual_hosts);
	for (size_t i = 0; i < n; i++) {
		Envoy__Config__Route__V3__VirtualHost *vh = arena_alloc(a, sizeof *vh);
		Envoy__Config__Route__V3__Route *r = arena_alloc(a, sizeof *r);
		Envoy__Config__Route__V3__RouteMatch *match = arena_alloc(a, sizeof *match);

		envoy__config__route__v3__virtual_host__init(vh);
		envoy__config__route__v3__route__init(r);
		envoy__config__route__v3__route_match__init(match);
		vh->name = arena_printf(a, "host-%zu.example.com", i);
		vh->n_domains = 1;
		vh->domains = arena_alloc(a, sizeof *vh->domains);
		vh->domains[0] = vh->name;
		match->path_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
		match->prefix = (char *)"/";
		r->match = match;
		vh->n_routes = 1;
		vh->routes = arena_alloc(a, sizeof *vh->routes);
		vh->routes[0] = r;
		rc->virtual_hosts[i] = vh;
	}
	return &rc->base;
}

/* Larger than the writer keeps between calls (a few MiB), then small
 * ones again: the buffer grows, moves what it holds, and starts over. */
static void
test_large_messages(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	check_start();
	expect_same(big_route_configuration(&a, 3));
	expect_same(big_route_configuration(&a, 120000));
	expect_same(big_route_configuration(&a, 2));
	expect_same(big_route_configuration(&a, 120000));
	expect_same(big_route_configuration(&a, 500));
	check_end("large messages", 5);
	arena_free(&a);
}

/* A writer of the caller's own, reused: the bytes of each call are the
 * message's alone. */
static void
test_own_writer(void **state)
{
	struct pb_writer w = { 0 };
	struct arena a;
	size_t len;
	const uint8_t *bytes;

	(void)state;
	arena_init(&a);
	for (int k = 0; k < 50; k++) {
		ProtobufCMessage *m = big_route_configuration(&a, 1 + rnd() % 300);
		size_t want = protobuf_c_message_get_packed_size(m);
		uint8_t *theirs = xmalloc(want);

		protobuf_c_message_pack(m, theirs);
		bytes = pb_encode(&w, m, &len);
		assert_int_equal(len, want);
		assert_memory_equal(bytes, theirs, len);
		free(theirs);
	}
	pb_writer_free(&w);
	arena_free(&a);
}

/* An empty message (the Router filter's config) on a writer that never
 * held bytes: zero bytes at an address callers may memcpy and compare,
 * never NULL; and the check against protobuf-c takes it. */
static void
test_empty_message_fresh_writer(void **state)
{
	Envoy__Extensions__Filters__Http__Router__V3__Router r =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__ROUTER__V3__ROUTER__INIT;
	struct pb_writer w = { NULL, NULL, NULL };
	const uint8_t *bytes;
	size_t len = 1;

	(void)state;
	bytes = pb_encode(&w, &r.base, &len);
	assert_non_null(bytes);
	assert_int_equal(len, 0);
	pb_encode_check_protobuf_c(&r.base, bytes, len);
	pb_writer_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_label_and_type),
		cmocka_unit_test(test_random_messages),
		cmocka_unit_test(test_decoded_mutations),
		cmocka_unit_test(test_large_messages),
		cmocka_unit_test(test_own_writer),
		cmocka_unit_test(test_empty_message_fresh_writer),
		cmocka_unit_test(test_golden_trees),
		cmocka_unit_test(test_build_fuzzer_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
