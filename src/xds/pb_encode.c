#include "xds/pb_encode.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* What decides whether a field is written, from its label and flags. */
enum pb_when {
	WHEN_ALWAYS,   /* PROTOBUF_C_LABEL_REQUIRED */
	WHEN_ONEOF,    /* the oneof's case is this field's number */
	WHEN_HAS,      /* optional scalar: its has_ member */
	WHEN_PTR,      /* optional string or message: neither NULL nor the default */
	WHEN_NONZERO,  /* proto3 unlabeled: not zero, NULL or "" */
	WHEN_REPEATED, /* each of n elements */
};

/* A test that every present field passes and most absent ones fail, one
 * load and one compare (the whole rule, enum pb_when, runs only after
 * it): an unlabeled or optional pointer, a 64-bit value, a byte string's
 * length or a repeated field's count is nonzero; a 32-bit value or a
 * has_ flag is nonzero; a oneof's case is the field's number. */
enum pb_test {
	TEST_NONE,
	TEST_NZ32,
	TEST_NZ64,
	TEST_CASE,
};

struct pb_field_plan {
	uint32_t test_offset;
	uint32_t id;
	uint8_t test;    /* enum pb_test */
	uint8_t when;    /* enum pb_when */
	uint8_t type;    /* ProtobufCType */
	uint8_t packed;  /* a packed repeated scalar */
	uint8_t taglen;
	uint8_t tag[5];  /* (number << 3 | wire type) as a varint */
	uint32_t offset;
	uint32_t qoffset;
	const void *default_value;
	const ProtobufCMessageDescriptor *sub_desc;
	/* sub_desc's plan, looked up at the first use (plans are made one
	 * descriptor at a time, so a cycle of message types needs no care) */
	const struct pb_plan *sub;
};

struct pb_plan {
	const ProtobufCMessageDescriptor *desc;
	size_t n;
	struct pb_field_plan fields[];
};

/* The plans, by descriptor: open addressing, never resized, so a lookup
 * needs no lock (a slot's key is published after its plan). The
 * descriptors compiled from proto/ are far fewer than the slots; a
 * descriptor that finds no free slot is packed by protobuf-c. */
#define PLAN_SLOTS 2048

struct plan_slot {
	const ProtobufCMessageDescriptor *desc;
	const struct pb_plan *plan;
};

static struct plan_slot plan_table[PLAN_SLOTS];
static pthread_mutex_t plan_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t
plan_hash(const ProtobufCMessageDescriptor *d)
{
	uint64_t h = (uint64_t)(uintptr_t)d;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (size_t)h & (PLAN_SLOTS - 1);
}

static uint8_t
wire_type(ProtobufCType t, bool packed)
{
	if (packed)
		return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return PROTOBUF_C_WIRE_TYPE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return PROTOBUF_C_WIRE_TYPE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	default:
		return PROTOBUF_C_WIRE_TYPE_VARINT;
	}
}

static bool
is_pointer_type(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_STRING || t == PROTOBUF_C_TYPE_MESSAGE;
}

/* The bytes of the member that says whether a value is zero: a byte
 * string's first member is its length. */
static unsigned
value_width(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 8;
	default:
		return 4;
	}
}

static struct pb_plan *
plan_make(const ProtobufCMessageDescriptor *d)
{
	struct pb_plan *pl = xmalloc(sizeof *pl +
	    d->n_fields * sizeof pl->fields[0]);

	pl->desc = d;
	pl->n = d->n_fields;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		struct pb_field_plan *f = &pl->fields[i];
		bool oneof = (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
		uint64_t tag;

		memset(f, 0, sizeof *f);
		f->offset = fd->offset;
		f->qoffset = fd->quantifier_offset;
		f->type = (uint8_t)fd->type;
		f->id = fd->id;
		f->default_value = fd->default_value;
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
			f->sub_desc = fd->descriptor;
		switch (fd->label) {
		case PROTOBUF_C_LABEL_REQUIRED:
			f->when = WHEN_ALWAYS;
			break;
		case PROTOBUF_C_LABEL_OPTIONAL:
			f->when = oneof ? WHEN_ONEOF :
			    is_pointer_type(fd->type) ? WHEN_PTR : WHEN_HAS;
			break;
		case PROTOBUF_C_LABEL_NONE:
			f->when = oneof ? WHEN_ONEOF : WHEN_NONZERO;
			break;
		default:
			f->when = WHEN_REPEATED;
			f->packed = (fd->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != 0;
			break;
		}
		switch (f->when) {
		case WHEN_ALWAYS:
			f->test = TEST_NONE;
			break;
		case WHEN_ONEOF:
			f->test = TEST_CASE;
			f->test_offset = f->qoffset;
			break;
		case WHEN_HAS:
			f->test = TEST_NZ32;
			f->test_offset = f->qoffset;
			break;
		case WHEN_REPEATED:
			f->test = TEST_NZ64;
			f->test_offset = f->qoffset;
			break;
		default:
			f->test = value_width(fd->type) == 8 ? TEST_NZ64 : TEST_NZ32;
			f->test_offset = f->offset;
			break;
		}
		tag = ((uint64_t)fd->id << 3) | wire_type(fd->type, f->packed);
		do {
			f->tag[f->taglen++] = (uint8_t)(tag | (tag >= 0x80 ? 0x80 : 0));
			tag >>= 7;
		} while (tag != 0);
	}
	return pl;
}

/* d's plan, made at the first call; NULL when the table is full. */
static const struct pb_plan *
plan_get(const ProtobufCMessageDescriptor *d)
{
	size_t i = plan_hash(d);
	const struct pb_plan *found = NULL;

	for (size_t k = 0; k < PLAN_SLOTS; k++, i = (i + 1) & (PLAN_SLOTS - 1)) {
		const ProtobufCMessageDescriptor *key =
		    __atomic_load_n(&plan_table[i].desc, __ATOMIC_ACQUIRE);

		if (key == d)
			return plan_table[i].plan;
		if (key == NULL)
			break;
	}
	pthread_mutex_lock(&plan_mu);
	i = plan_hash(d);
	for (size_t k = 0; k < PLAN_SLOTS; k++, i = (i + 1) & (PLAN_SLOTS - 1)) {
		if (plan_table[i].desc == d) {
			found = plan_table[i].plan;
			break;
		}
		if (plan_table[i].desc == NULL) {
			found = plan_make(d);
			plan_table[i].plan = found;
			__atomic_store_n(&plan_table[i].desc, d, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&plan_mu);
	return found;
}

/* ---- the backwards writer ---- */

#define WRITER_MIN 4096

/* Room for n more bytes before w->p. */
static void
writer_grow(struct pb_writer *w, size_t n)
{
	size_t used = (size_t)(w->end - w->p);
	size_t cap = (size_t)(w->end - w->base);
	size_t want = used + n;
	uint8_t *base;

	cap = cap ? cap * 2 : WRITER_MIN;
	while (cap < want)
		cap *= 2;
	base = xmalloc(cap);
	if (used)
		memcpy(base + cap - used, w->p, used);
	free(w->base);
	w->base = base;
	w->end = base + cap;
	w->p = w->end - used;
}

static inline void
need(struct pb_writer *w, size_t n)
{
	if ((size_t)(w->p - w->base) < n)
		writer_grow(w, n);
}

static inline size_t
written(const struct pb_writer *w)
{
	return (size_t)(w->end - w->p);
}

/* Room for 10 bytes must have been made. */
static inline void
put_varint(struct pb_writer *w, uint64_t v)
{
	uint8_t *o;

	if (v < 0x80) {
		*--w->p = (uint8_t)v;
		return;
	}
	o = w->p -= pb_varint_size(v);
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o = (uint8_t)v;
}

/* Room for the tag must have been made. */
static inline void
put_tag(struct pb_writer *w, const struct pb_field_plan *f)
{
	if (f->taglen == 1) {
		*--w->p = f->tag[0];
		return;
	}
	w->p -= f->taglen;
	memcpy(w->p, f->tag, f->taglen);
}

static inline uint32_t
zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

static inline uint64_t
zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void encode_message(struct pb_writer *w, const struct pb_plan *pl,
    const ProtobufCMessage *m);

/* m's bytes before w->p: by its plan, or by protobuf-c for a type the
 * plan table could not hold (pl NULL). */
static void
encode_planned(struct pb_writer *w, const struct pb_plan *pl,
    const ProtobufCMessage *m)
{
	size_t len;

	if (pl != NULL) {
		encode_message(w, pl, m);
		return;
	}
	len = protobuf_c_message_get_packed_size(m);
	need(w, len);
	w->p -= len;
	protobuf_c_message_pack(m, w->p);
}

static const struct pb_plan *
sub_plan(struct pb_field_plan *f, const ProtobufCMessage *m)
{
	const struct pb_plan *sub = __atomic_load_n(&f->sub, __ATOMIC_ACQUIRE);

	/* protobuf-c packs a submessage by its own descriptor */
	if (sub != NULL && sub->desc == m->descriptor)
		return sub;
	sub = plan_get(m->descriptor);
	if (sub != NULL && m->descriptor == f->sub_desc)
		__atomic_store_n(&f->sub, sub, __ATOMIC_RELEASE);
	return sub;
}

/* A message's bytes, then its length: what follows its tag. */
static void
put_submessage(struct pb_writer *w, struct pb_field_plan *f,
    const ProtobufCMessage *m)
{
	size_t mark;
	const struct pb_plan *sub;

	if (m == NULL) {
		need(w, 1);
		*--w->p = 0;
		return;
	}
	mark = written(w);
	sub = sub_plan(f, m);
	encode_planned(w, sub, m);
	need(w, 10);
	put_varint(w, written(w) - mark);
}

static inline void
put_string(struct pb_writer *w, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	need(w, len + 10);
	w->p -= len;
	if (len)
		memcpy(w->p, s, len);
	put_varint(w, (uint32_t)len);
}

static inline void
put_bytes(struct pb_writer *w, const ProtobufCBinaryData *bd)
{
	need(w, bd->len + 10);
	w->p -= bd->len;
	if (bd->len)
		memcpy(w->p, bd->data, bd->len);
	put_varint(w, (uint32_t)bd->len);
}

/* One value of f's type at v, without its tag. */
static void
put_value(struct pb_writer *w, struct pb_field_plan *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_SINT32:
		need(w, 10);
		put_varint(w, zigzag32(*(const int32_t *)v));
		break;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_INT32:
		/* a negative int32 is its 64-bit two's complement: 10 bytes */
		need(w, 10);
		put_varint(w, (uint64_t)(int64_t)*(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
		need(w, 10);
		put_varint(w, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_SINT64:
		need(w, 10);
		put_varint(w, zigzag64(*(const int64_t *)v));
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		need(w, 10);
		put_varint(w, *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		need(w, 4);
		w->p -= 4;
		memcpy(w->p, v, 4); /* little-endian hosts, as protobuf-c */
		break;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		need(w, 8);
		w->p -= 8;
		memcpy(w->p, v, 8);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		need(w, 1);
		*--w->p = *(const protobuf_c_boolean *)v ? 1 : 0;
		break;
	case PROTOBUF_C_TYPE_STRING:
		put_string(w, *(char *const *)v);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		put_bytes(w, v);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		put_submessage(w, f, *(ProtobufCMessage *const *)v);
		break;
	}
}

static inline void
put_field(struct pb_writer *w, struct pb_field_plan *f, const void *v)
{
	put_value(w, f, v);
	need(w, sizeof f->tag);
	put_tag(w, f);
}

static size_t
element_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* n elements, last first: each with its tag, or, packed, one run after
 * one tag and length. */
static void
put_repeated(struct pb_writer *w, struct pb_field_plan *f, const char *array,
    size_t n)
{
	size_t size = element_size(f->type);

	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage *const *msgs = (ProtobufCMessage *const *)array;

		for (size_t i = n; i-- > 0;) {
			put_submessage(w, f, msgs[i]);
			need(w, sizeof f->tag);
			put_tag(w, f);
		}
		return;
	}
	if (f->packed) {
		size_t mark = written(w);

		for (size_t i = n; i-- > 0;)
			put_value(w, f, array + i * size);
		need(w, 10 + sizeof f->tag);
		put_varint(w, (uint32_t)(written(w) - mark));
		put_tag(w, f);
		return;
	}
	for (size_t i = n; i-- > 0;)
		put_field(w, f, array + i * size);
}

static bool
is_zero(const struct pb_field_plan *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
		return *(const uint32_t *)v == 0;
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)v == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)v == 0; /* -0.0 too, as protobuf-c */
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)v == 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)v;

		return s == NULL || s[0] == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)v == NULL;
	}
	return true;
}

static void
put_unknown(struct pb_writer *w, const ProtobufCMessageUnknownField *u)
{
	need(w, u->len + 10);
	w->p -= u->len;
	if (u->len)
		memcpy(w->p, u->data, u->len);
	put_varint(w, ((uint64_t)u->tag << 3) | u->wire_type);
}

/* f, which passed its test: written if the whole rule says so. */
static void
put_if_present(struct pb_writer *w, struct pb_field_plan *f, const char *base)
{
	const void *v = base + f->offset;

	switch (f->when) {
	case WHEN_ALWAYS:
	case WHEN_HAS:
		break;
	case WHEN_ONEOF:
	case WHEN_PTR:
		if (is_pointer_type(f->type)) {
			const void *ptr = *(const void *const *)v;

			if (ptr == NULL || ptr == f->default_value)
				return;
		}
		break;
	case WHEN_NONZERO:
		if (is_zero(f, v))
			return;
		break;
	case WHEN_REPEATED:
		put_repeated(w, f, *(const char *const *)v,
		    *(const size_t *)(base + f->qoffset));
		return;
	}
	put_field(w, f, v);
}

/* The word a field's test reads, whatever the member's type (a pointer,
 * an enum, a count): memcpy is one load and no aliasing question. */
static inline uint32_t
load32(const char *at)
{
	uint32_t v;

	memcpy(&v, at, sizeof v);
	return v;
}

static inline uint64_t
load64(const char *at)
{
	uint64_t v;

	memcpy(&v, at, sizeof v);
	return v;
}

static void
encode_message(struct pb_writer *w, const struct pb_plan *pl,
    const ProtobufCMessage *m)
{
	const char *base = (const char *)m;
	/* the plan is the process's, written only to fill sub */
	struct pb_field_plan *first = (struct pb_field_plan *)pl->fields;

	for (size_t i = m->n_unknown_fields; i-- > 0;)
		put_unknown(w, &m->unknown_fields[i]);
	for (struct pb_field_plan *f = first + pl->n; f-- > first;) {
		const char *at = base + f->test_offset;

		switch (f->test) {
		case TEST_NZ32:
			if (load32(at) == 0)
				continue;
			break;
		case TEST_NZ64:
			if (load64(at) == 0)
				continue;
			break;
		case TEST_CASE:
			if (load32(at) != f->id)
				continue;
			break;
		default:
			break;
		}
		put_if_present(w, f, base);
	}
}

/* A writer that once held a very large message starts small again, so
 * one large resource does not pin its size on the thread for good. */
#define WRITER_KEEP (4u << 20)

const uint8_t *
pb_encode(struct pb_writer *w, const ProtobufCMessage *m, size_t *len_out)
{
	const struct pb_plan *pl = plan_get(m->descriptor);

	if (w->base != NULL && (size_t)(w->end - w->base) > WRITER_KEEP) {
		pb_writer_free(w);
	}
	w->p = w->end;
	encode_planned(w, pl, m);
	*len_out = written(w);
	/* An empty message on a writer that never held one has no buffer:
	 * callers memcpy and compare the bytes, which must not be NULL. */
	if (w->p == NULL) {
		static const uint8_t none[1];

		return none;
	}
	return w->p;
}

void
pb_writer_free(struct pb_writer *w)
{
	free(w->base);
	w->base = w->end = w->p = NULL;
}

/* ---- the thread's writer and the check ---- */

static __thread struct pb_writer scratch;
/* Frees a thread's writer when the thread ends. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void
scratch_free(void *w)
{
	pb_writer_free(w);
}

static void
scratch_key_make(void)
{
	if (pthread_key_create(&scratch_key, scratch_free) != 0)
		abort();
}
static pb_encode_check_fn check_fn;
/* 0: CAIRN_PB_VERIFY not read yet, 1: no check, 2: check_fn set */
static int check_state;

void
pb_encode_set_check(pb_encode_check_fn fn)
{
	__atomic_store_n(&check_fn, fn, __ATOMIC_RELAXED);
	__atomic_store_n(&check_state, fn != NULL ? 2 : 0, __ATOMIC_RELEASE);
}

static pb_encode_check_fn
current_check(void)
{
	int s = __atomic_load_n(&check_state, __ATOMIC_ACQUIRE);

	if (s == 0) {
		const char *v = getenv("CAIRN_PB_VERIFY");

		if (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0)
			pb_encode_set_check(pb_encode_check_protobuf_c);
		else
			__atomic_store_n(&check_state, 1, __ATOMIC_RELEASE);
		s = __atomic_load_n(&check_state, __ATOMIC_ACQUIRE);
	}
	return s == 2 ? __atomic_load_n(&check_fn, __ATOMIC_RELAXED) : NULL;
}

const uint8_t *
pb_encode_scratch(const ProtobufCMessage *m, size_t *len_out)
{
	const uint8_t *bytes;
	pb_encode_check_fn check;

	if (scratch.base == NULL) {
		pthread_once(&scratch_once, scratch_key_make);
		pthread_setspecific(scratch_key, &scratch);
	}
	bytes = pb_encode(&scratch, m, len_out);
	check = current_check();

	if (check != NULL)
		check(m, bytes, *len_out);
	return bytes;
}

void
pb_encode_check_protobuf_c(const ProtobufCMessage *m, const uint8_t *bytes,
    size_t len)
{
	size_t want = protobuf_c_message_get_packed_size(m), at = 0;
	uint8_t *theirs = xmalloc(want ? want : 1);
	size_t packed = protobuf_c_message_pack(m, theirs);

	if (packed == len && (len == 0 || memcmp(theirs, bytes, len) == 0)) {
		free(theirs);
		return;
	}
	while (at < len && at < packed && theirs[at] == bytes[at])
		at++;
	fprintf(stderr, "cairn: pb_encode: %s: %zu bytes where protobuf-c "
	    "packs %zu, first difference at offset %zu\n",
	    m->descriptor->name, len, packed, at);
	abort();
}
