/* Table-driven decoding of ynode trees into C structs. One table per
 * struct, one row per key: adding a field is one row, not a new parser.
 * Every problem becomes a located diagnostic prefixed with the object
 * and the path inside it, and decoding goes on so that all problems of
 * an input are reported together. */
#ifndef CAIRN_LOAD_SCHEMA_H
#define CAIRN_LOAD_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/yaml.h"
#include "util/arena.h"
#include "util/diag.h"
#include "util/strbuf.h"

enum schema_type {
	SCHEMA_STRING, /* char *; plain numbers/booleans are refused */
	SCHEMA_INT32, /* int32_t; min/max when either is non-zero */
	SCHEMA_UINT32, /* uint32_t; min/max as for int32 */
	SCHEMA_INT64, /* int64_t; min/max as for int32 */
	SCHEMA_BOOL, /* bool; true or false only */
	SCHEMA_DURATION, /* int64_t milliseconds from "250ms", "2s", ... */
	SCHEMA_ENUM, /* an enum field (int-sized); any scalar matched against ->enums */
	SCHEMA_STRING_LIST, /* char ** + size_t count at count_offset */
	SCHEMA_STRING_MAP, /* struct kv * + size_t count (labels, annotations) */
	SCHEMA_OBJECT, /* struct embedded at offset, decoded by ->sub */
	SCHEMA_OBJECT_PTR, /* pointer to ->sub->size bytes, NULL when absent */
	SCHEMA_OBJECT_LIST, /* array of ->sub->size + size_t count */
	SCHEMA_CUSTOM, /* ->custom does everything */
	SCHEMA_IGNORE, /* accepted and ignored, whatever its shape */
	SCHEMA_UNSUPPORTED, /* a known field cairn does not implement yet */
};

/* Row flags. */
#define SCHEMA_REQUIRED 0x1 /* missing (or null) is an error */
#define SCHEMA_HAS 0x2 /* set the bool at has_offset when present */
#define SCHEMA_EMPTY_OK 0x4 /* durations: "" means unset (-1) */
#define SCHEMA_NONEMPTY 0x8 /* strings and lists: "" / [] is an error */
/* The member is in the table's side struct (side_offset), which the
 * decoder allocates at the first such key: a struct's rarely set members
 * cost one pointer when none is. */
#define SCHEMA_SIDE 0x10

struct schema_ctx;
struct schema_field;
struct schema_table;

/* Decode node into the struct at obj (field f). Report problems with
 * schema_error; the return value is not used for error counting. */
typedef void (*schema_custom_fn)(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f);
/* Cross-field checks on a decoded mapping; called only when the mapping
 * and everything below it decoded without errors, so that one typo does
 * not also produce "missing" complaints. */
typedef void (*schema_validate_fn)(struct schema_ctx *ctx, const struct ynode *map,
    void *obj);

/* NULL when s is acceptable, else why not ("must be lowercase ..."). */
typedef const char *(*schema_check_fn)(const char *s);

struct schema_enum {
	const char *name;
	int value;
};

struct schema_field {
	const char *key;
	enum schema_type type;
	size_t offset;
	size_t count_offset; /* lists and maps: where the size_t count is */
	const struct schema_table *sub; /* objects */
	unsigned flags;
	int64_t min, max; /* integer range; both 0 = the type's range */
	const struct schema_enum *enums; /* SCHEMA_ENUM; ends with {NULL} */
	const char *const *allowed; /* strings, string lists: NULL-terminated */
	schema_check_fn check; /* strings and string lists: value check */
	schema_custom_fn custom; /* SCHEMA_CUSTOM */
	size_t has_offset; /* SCHEMA_HAS: a bool set when the key is present */
};

struct schema_table {
	const char *name; /* for messages about the table itself */
	size_t size; /* of the struct, for OBJECT_PTR and OBJECT_LIST */
	const struct schema_field *fields;
	size_t nfields;
	schema_validate_fn validate;
	bool has_origin; /* store the mapping's position at origin_offset */
	size_t origin_offset; /* a struct origin (load/objects.h) */
	/* SCHEMA_SIDE fields: a pointer at side_offset to side_size bytes. */
	size_t side_offset, side_size;
};

#define SCHEMA_TABLE(name_, type_, fields_, validate_)                        \
	{ (name_), sizeof(type_), (fields_), sizeof(fields_) / sizeof((fields_)[0]), \
	  (validate_), false, 0, 0, 0 }
#define SCHEMA_TABLE_ORIGIN(name_, type_, fields_, validate_)                 \
	{ (name_), sizeof(type_), (fields_), sizeof(fields_) / sizeof((fields_)[0]), \
	  (validate_), true, offsetof(type_, origin), 0, 0 }
/* A table with an origin whose SCHEMA_SIDE fields are in *type_.side_. */
#define SCHEMA_TABLE_ORIGIN_SIDE(name_, type_, fields_, validate_, side_)     \
	{ (name_), sizeof(type_), (fields_), sizeof(fields_) / sizeof((fields_)[0]), \
	  (validate_), true, offsetof(type_, origin), offsetof(type_, side_),    \
	  sizeof(*((type_ *)0)->side_) }

/* One key or index of a schema_ctx's path. */
struct schema_path_seg {
	const char *key; /* NULL: an index */
	size_t index;
};

struct schema_ctx {
	struct arena *arena; /* decoded strings and arrays */
	struct diag_list *diags;
	const char *file; /* for diagnostics and origins; must outlive them */
	const char *what; /* "HTTPProxy shop/app", or NULL */
	/* Where the decoder is ("spec.routes[0]"), as the keys and indexes
	 * pushed: the text is made only for a message. Managed by the
	 * decoder; a key pushed is borrowed until it is popped. */
	struct schema_path_seg *path;
	size_t path_n, path_cap;
	void *user; /* for custom handlers and validators */
	/* When what is NULL and describe is set, what is made by
	 * describe(describe_arg, describe_buf, describe_size) at the first
	 * error: most objects have none, and the text costs a printf. */
	const char *(*describe)(const void *arg, char *buf, size_t size);
	const void *describe_arg;
	char *describe_buf;
	size_t describe_size;
	/* The path's first segments; last, so that schema_ctx_init does
	 * not clear them. */
	struct schema_path_seg path_small[16];
};

void schema_ctx_init(struct schema_ctx *ctx, struct arena *arena,
    struct diag_list *diags, const char *file, const char *what);
void schema_ctx_free(struct schema_ctx *ctx);

/* Decode the mapping node into obj by table t, writing only the fields
 * the mapping sets (so obj may hold defaults). Returns 0, or -1 when
 * errors were reported (obj may then be partly written). */
int schema_decode(struct schema_ctx *ctx, const struct schema_table *t,
    const struct ynode *node, void *obj);

/* "<what>: <path>: <message>" at node's position (or the file when node
 * is NULL). path_suffix, when not NULL, is appended to the current path
 * ("name" -> "spec.routes[0].name"). */
void schema_error(struct schema_ctx *ctx, const struct ynode *node,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void schema_error_at(struct schema_ctx *ctx, const struct ynode *node,
    const char *path_suffix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Path handling for custom handlers that descend by themselves. */
size_t schema_path_push_key(struct schema_ctx *ctx, const char *key);
size_t schema_path_push_index(struct schema_ctx *ctx, size_t i);
void schema_path_pop(struct schema_ctx *ctx, size_t saved_len);

/* The closest of candidates[0..n) to word: equal ignoring case and
 * '-'/'_', else edit distance <= 2; NULL when none is close. */
const char *schema_suggest(const char *word, const char *const *candidates,
    size_t n);

/* Shared value checks (schema_check_fn). */
const char *schema_check_dns1123_subdomain(const char *s);
const char *schema_check_dns1123_label(const char *s);
/* A lowercase host name, optionally starting with "*.". */
const char *schema_check_fqdn(const char *s);

#endif
