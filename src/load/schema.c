/* The table-driven decoder of schema.h. */
#include "load/schema.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "load/objects.h"
#include "util/duration.h"
#include "util/xalloc.h"

static void schema_decode_field(struct schema_ctx *ctx,
    const struct schema_field *f, const struct ynode *node, void *obj);

void
schema_ctx_init(struct schema_ctx *ctx, struct arena *arena,
    struct diag_list *diags, const char *file, const char *what)
{
	memset(ctx, 0, offsetof(struct schema_ctx, path_small));
	ctx->arena = arena;
	ctx->diags = diags;
	ctx->file = file;
	ctx->what = what;
	ctx->path = ctx->path_small;
	ctx->path_cap = nitems(ctx->path_small);
}

void
schema_ctx_free(struct schema_ctx *ctx)
{
	if (ctx->path != ctx->path_small)
		free(ctx->path);
	ctx->path = NULL;
	ctx->path_n = ctx->path_cap = 0;
}

/* The path's text: keys joined by dots (none before the first text),
 * indexes in brackets. */
static void
schema_path_text(const struct schema_ctx *ctx, struct strbuf *sb)
{
	size_t start = sb->len;

	for (size_t i = 0; i < ctx->path_n; i++) {
		const struct schema_path_seg *s = &ctx->path[i];

		if (s->key == NULL)
			strbuf_printf(sb, "[%zu]", s->index);
		else
			strbuf_printf(sb, "%s%s", sb->len > start ? "." : "",
			    s->key);
	}
}

/* --- messages ------------------------------------------------------------ */

static void
schema_verror(struct schema_ctx *ctx, const struct ynode *node,
    const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	if (ctx->what == NULL && ctx->describe != NULL)
		ctx->what = ctx->describe(ctx->describe_arg, ctx->describe_buf,
		    ctx->describe_size);
	if (ctx->what != NULL && *ctx->what)
		strbuf_printf(&sb, "%s: ", ctx->what);
	{
		size_t before = sb.len;

		schema_path_text(ctx, &sb);
		if (sb.len > before)
			strbuf_puts(&sb, ": ");
	}
	strbuf_vprintf(&sb, fmt, ap);
	diag_add(ctx->diags, DIAG_ERROR, ctx->file, node ? node->line : 0,
	    node ? node->col : 0, "%s", sb.buf);
	strbuf_free(&sb);
}

void
schema_error(struct schema_ctx *ctx, const struct ynode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	schema_verror(ctx, node, fmt, ap);
	va_end(ap);
}

void
schema_error_at(struct schema_ctx *ctx, const struct ynode *node,
    const char *path_suffix, const char *fmt, ...)
{
	size_t saved = path_suffix ? schema_path_push_key(ctx, path_suffix) :
	    ctx->path_n;
	va_list ap;

	va_start(ap, fmt);
	schema_verror(ctx, node, fmt, ap);
	va_end(ap);
	schema_path_pop(ctx, saved);
}

/* Room for one more segment; the first ones live in the context. */
static struct schema_path_seg *
schema_path_next(struct schema_ctx *ctx)
{
	if (ctx->path_n == ctx->path_cap) {
		size_t cap = ctx->path_cap * 2;
		struct schema_path_seg *v = xreallocarray(
		    ctx->path == ctx->path_small ? NULL : ctx->path, cap,
		    sizeof *v);

		if (ctx->path == ctx->path_small)
			memcpy(v, ctx->path_small, sizeof ctx->path_small);
		ctx->path = v;
		ctx->path_cap = cap;
	}
	return &ctx->path[ctx->path_n++];
}

size_t
schema_path_push_key(struct schema_ctx *ctx, const char *key)
{
	size_t saved = ctx->path_n;

	*schema_path_next(ctx) = (struct schema_path_seg){ .key = key };
	return saved;
}

size_t
schema_path_push_index(struct schema_ctx *ctx, size_t i)
{
	size_t saved = ctx->path_n;

	*schema_path_next(ctx) = (struct schema_path_seg){ .index = i };
	return saved;
}

void
schema_path_pop(struct schema_ctx *ctx, size_t saved_len)
{
	ctx->path_n = saved_len;
}

/* "got mapping", "got integer 80", "got string \"80\"": enough to see at
 * a glance what YAML made of the value. */
static void
schema_expected(struct schema_ctx *ctx, const struct ynode *node,
    const char *expected)
{
	const char *got = ynode_type_name(node);

	if (node->type != YNODE_SCALAR || ynode_is_null(node))
		schema_error(ctx, node, "expected %s, got %s", expected, got);
	else if (strcmp(got, "string") == 0)
		schema_error(ctx, node, "expected %s, got %s \"%.64s\"", expected,
		    got, node->scalar.value);
	else
		schema_error(ctx, node, "expected %s, got %s %.64s", expected,
		    got, node->scalar.value);
}

/* --- suggestions --------------------------------------------------------- */

/* Levenshtein distance, ignoring case. */
static size_t
schema_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Equal but for case and word separators: "maxFileBytes", "max_file_bytes"
 * and "max-file-bytes" are the same key to a human. */
static bool
schema_same_words(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == '_')
			a++;
		while (*b == '-' || *b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

const char *
schema_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (schema_same_words(word, candidates[i]))
			return candidates[i];
		d = schema_edit_distance(word, candidates[i]);
		/* Short keys are all close to each other: "ip" is not a
		 * typo of "id". */
		if (d < best_d && d < strlen(candidates[i])) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

static void
schema_unknown_key(struct schema_ctx *ctx, const struct schema_table *t,
    const struct ynode *key)
{
	const char **names = xcalloc(t->nfields, sizeof *names);
	size_t n = 0;
	const char *s;

	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].type != SCHEMA_IGNORE)
			names[n++] = t->fields[i].key;
	s = schema_suggest(key->scalar.value, names, n);
	if (s == NULL) {
		/* Ignored keys are valid too; suggest them last. */
		n = 0;
		for (size_t i = 0; i < t->nfields; i++)
			names[n++] = t->fields[i].key;
		s = schema_suggest(key->scalar.value, names, n);
	}
	if (s != NULL)
		schema_error(ctx, key, "unknown field \"%s\" (did you mean \"%s\"?)",
		    key->scalar.value, s);
	else
		schema_error(ctx, key, "unknown field \"%s\"", key->scalar.value);
	free(names);
}

/* --- scalars ------------------------------------------------------------- */

/* Whether a plain scalar is text by its first byte alone: YAML reads a
 * plain scalar as something else (null, boolean, integer, float) only
 * when it is empty or starts with one of these bytes. Most strings
 * (names, hosts, paths) are settled here without the type checks. */
static bool
schema_plain_is_text(const struct ynode *n)
{
	unsigned char c = (unsigned char)n->scalar.value[0];

	if (n->scalar.len == 0)
		return false;
	return !(c == '~' || c == 'n' || c == 'N' || c == 't' || c == 'f' ||
	    c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'));
}

/* The text of a string field, or NULL after reporting why not. Plain
 * scalars YAML reads as numbers or booleans are refused, as Kubernetes
 * does: "80" and 80 are different things. */
static const char *
schema_string(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node)
{
	const char *s;

	if (node->type != YNODE_SCALAR) {
		schema_expected(ctx, node, "a string");
		return NULL;
	}
	s = node->scalar.value;
	if (node->scalar.plain && !schema_plain_is_text(node) &&
	    !ynode_is_null(node) &&
	    strcmp(ynode_type_name(node), "string") != 0) {
		schema_error(ctx, node, "expected a string, got %s %.64s (quote it "
		    "to make it a string: \"%.64s\")", ynode_type_name(node), s, s);
		return NULL;
	}
	if (node->scalar.nul) {
		schema_error(ctx, node, "strings must not contain NUL characters");
		return NULL;
	}
	if ((f->flags & SCHEMA_NONEMPTY) && *s == '\0') {
		schema_error(ctx, node, "must not be empty");
		return NULL;
	}
	if (f->allowed != NULL) {
		size_t n = 0;

		for (; f->allowed[n] != NULL; n++)
			if (strcmp(f->allowed[n], s) == 0)
				break;
		if (f->allowed[n] == NULL) {
			struct strbuf sb = STRBUF_INIT;
			const char *hint;

			for (size_t i = 0; f->allowed[i] != NULL; i++)
				strbuf_printf(&sb, "%s%s", i ? ", " : "", f->allowed[i]);
			hint = schema_suggest(s, f->allowed, n);
			if (hint != NULL)
				schema_error(ctx, node, "invalid value \"%.64s\" (did "
				    "you mean \"%s\"? expected one of: %s)", s, hint,
				    sb.buf);
			else
				schema_error(ctx, node, "invalid value \"%.64s\" "
				    "(expected one of: %s)", s, sb.buf);
			strbuf_free(&sb);
			return NULL;
		}
	}
	if (f->check != NULL) {
		const char *why = f->check(s);

		if (why != NULL) {
			schema_error(ctx, node, "invalid value \"%.253s\": %s", s, why);
			return NULL;
		}
	}
	return s;
}

static bool
schema_int(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, int64_t tmin, int64_t tmax, int64_t *out)
{
	int64_t v, lo = tmin, hi = tmax;

	if (!ynode_is_int(node, &v)) {
		schema_expected(ctx, node, "an integer");
		return false;
	}
	if (f->min != 0 || f->max != 0) {
		lo = f->min;
		hi = f->max;
	}
	if (v < lo || v > hi) {
		schema_error(ctx, node, "%lld is out of range (%lld..%lld)",
		    (long long)v, (long long)lo, (long long)hi);
		return false;
	}
	*out = v;
	return true;
}

static void
schema_enum(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, void *field)
{
	const char *names[32];
	struct strbuf sb = STRBUF_INIT;
	const char *hint;
	size_t n = 0;

	/* Enumerations take any scalar: `1.2` means "1.2" here. */
	if (node->type != YNODE_SCALAR) {
		schema_expected(ctx, node, "a string");
		return;
	}
	for (const struct schema_enum *e = f->enums; e->name != NULL; e++) {
		if (strcmp(e->name, node->scalar.value) == 0) {
			*(int *)field = e->value;
			return;
		}
	}
	for (const struct schema_enum *e = f->enums; e->name != NULL; e++) {
		if (n < nitems(names))
			names[n++] = e->name;
		strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", e->name);
	}
	hint = schema_suggest(node->scalar.value, names, n);
	if (hint != NULL)
		schema_error(ctx, node, "invalid value \"%.64s\" (did you mean "
		    "\"%s\"? expected one of: %s)", node->scalar.value, hint, sb.buf);
	else
		schema_error(ctx, node, "invalid value \"%.64s\" (expected one "
		    "of: %s)", node->scalar.value, sb.buf);
	strbuf_free(&sb);
}

static void
schema_duration(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, int64_t *field)
{
	const char *why;
	int64_t ms;

	if (node->type != YNODE_SCALAR) {
		schema_expected(ctx, node, "a duration such as \"2s\"");
		return;
	}
	if (node->scalar.len == 0 && (f->flags & SCHEMA_EMPTY_OK)) {
		*field = -1;
		return;
	}
	if (duration_parse_ms(node->scalar.value, &ms, &why) < 0) {
		schema_error(ctx, node, "invalid duration \"%.64s\": %s",
		    node->scalar.value, why);
		return;
	}
	*field = ms;
}

/* --- collections --------------------------------------------------------- */

static void
schema_string_list(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, void *obj)
{
	char **items;
	size_t n = 0;

	if (node->type != YNODE_SEQUENCE) {
		schema_expected(ctx, node, "a sequence");
		return;
	}
	if ((f->flags & SCHEMA_NONEMPTY) && node->seq.n == 0) {
		schema_error(ctx, node, "must not be empty");
		return;
	}
	items = ARENA_ARRAY(ctx->arena, char *, node->seq.n);
	for (size_t i = 0; i < node->seq.n; i++) {
		size_t saved = schema_path_push_index(ctx, i);
		const char *s = schema_string(ctx, f, node->seq.items[i]);

		if (s != NULL)
			items[n++] = arena_strdup(ctx->arena, s);
		schema_path_pop(ctx, saved);
	}
	*(char ***)((char *)obj + f->offset) = items;
	*(size_t *)((char *)obj + f->count_offset) = n;
}

static void
schema_string_map(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, void *obj)
{
	static const struct schema_field value_field = { .type = SCHEMA_STRING };
	struct kv *items;
	size_t n = 0;

	if (node->type != YNODE_MAPPING) {
		schema_expected(ctx, node, "a mapping");
		return;
	}
	items = ARENA_ARRAY(ctx->arena, struct kv, node->map.n);
	for (size_t i = 0; i < node->map.n; i++) {
		const struct ynode *k = node->map.items[i].key;
		const struct ynode *v = node->map.items[i].value;
		size_t saved = schema_path_push_key(ctx, k->scalar.value);
		const char *s = ynode_is_null(v) ? "" :
		    schema_string(ctx, &value_field, v);

		if (s != NULL) {
			items[n].key = arena_strdup(ctx->arena, k->scalar.value);
			items[n].value = arena_strdup(ctx->arena, s);
			n++;
		}
		schema_path_pop(ctx, saved);
	}
	*(struct kv **)((char *)obj + f->offset) = items;
	*(size_t *)((char *)obj + f->count_offset) = n;
}

static void
schema_object_list(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, void *obj)
{
	char *items;

	if (node->type != YNODE_SEQUENCE) {
		schema_expected(ctx, node, "a sequence");
		return;
	}
	if ((f->flags & SCHEMA_NONEMPTY) && node->seq.n == 0) {
		schema_error(ctx, node, "must not be empty");
		return;
	}
	items = arena_alloc(ctx->arena, f->sub->size * node->seq.n);
	for (size_t i = 0; i < node->seq.n; i++) {
		size_t saved = schema_path_push_index(ctx, i);

		schema_decode(ctx, f->sub, node->seq.items[i],
		    items + i * f->sub->size);
		schema_path_pop(ctx, saved);
	}
	*(void **)((char *)obj + f->offset) = items;
	*(size_t *)((char *)obj + f->count_offset) = node->seq.n;
}

/* --- fields and mappings ------------------------------------------------- */

static void
schema_decode_field(struct schema_ctx *ctx, const struct schema_field *f,
    const struct ynode *node, void *obj)
{
	void *field = (char *)obj + f->offset;
	const char *s;
	int64_t v;

	switch (f->type) {
	case SCHEMA_STRING:
		/* schema_string checked that the value holds no NUL: its
		 * length is the scalar's (strnlen stops there). */
		if ((s = schema_string(ctx, f, node)) != NULL)
			*(char **)field = arena_strndup(ctx->arena, s,
			    node->scalar.len);
		break;
	case SCHEMA_INT32:
		if (schema_int(ctx, f, node, INT32_MIN, INT32_MAX, &v))
			*(int32_t *)field = (int32_t)v;
		break;
	case SCHEMA_UINT32:
		if (schema_int(ctx, f, node, 0, UINT32_MAX, &v))
			*(uint32_t *)field = (uint32_t)v;
		break;
	case SCHEMA_INT64:
		if (schema_int(ctx, f, node, INT64_MIN, INT64_MAX, &v))
			*(int64_t *)field = v;
		break;
	case SCHEMA_BOOL:
		if (!ynode_is_bool(node, (bool *)field))
			schema_expected(ctx, node, "a boolean (true or false)");
		break;
	case SCHEMA_DURATION:
		schema_duration(ctx, f, node, field);
		break;
	case SCHEMA_ENUM:
		schema_enum(ctx, f, node, field);
		break;
	case SCHEMA_STRING_LIST:
		schema_string_list(ctx, f, node, obj);
		break;
	case SCHEMA_STRING_MAP:
		schema_string_map(ctx, f, node, obj);
		break;
	case SCHEMA_OBJECT:
		schema_decode(ctx, f->sub, node, field);
		break;
	case SCHEMA_OBJECT_PTR: {
		void *sub = arena_alloc(ctx->arena, f->sub->size);

		schema_decode(ctx, f->sub, node, sub);
		*(void **)field = sub;
		break;
	}
	case SCHEMA_OBJECT_LIST:
		schema_object_list(ctx, f, node, obj);
		break;
	case SCHEMA_CUSTOM:
		f->custom(ctx, node, obj, f);
		break;
	case SCHEMA_IGNORE:
		break;
	case SCHEMA_UNSUPPORTED: /* reported at the key by schema_decode */
		break;
	}
	if (f->flags & SCHEMA_HAS)
		*(bool *)((char *)obj + f->has_offset) = true;
}

static const struct schema_field *
schema_find(const struct schema_table *t, const struct ynode *key)
{
	const char *k = key->scalar.value;

	/* A key with a NUL in it is no row's key. */
	if (key->scalar.nul)
		return NULL;
	/* The first byte rules out most rows without a call. */
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].key[0] == k[0] && strcmp(t->fields[i].key, k) == 0)
			return &t->fields[i];
	return NULL;
}

int
schema_decode(struct schema_ctx *ctx, const struct schema_table *t,
    const struct ynode *node, void *obj)
{
	size_t errors = ctx->diags->nerrors;
	bool seen_small[64], *seen = seen_small;

	if (node->type != YNODE_MAPPING) {
		schema_expected(ctx, node, "a mapping");
		return -1;
	}
	if (t->has_origin) {
		struct origin *o = (struct origin *)((char *)obj + t->origin_offset);

		o->file = ctx->file;
		o->line = node->line;
		o->col = node->col;
	}
	if (t->nfields > nitems(seen_small))
		seen = xcalloc(t->nfields, sizeof *seen);
	else
		memset(seen_small, 0, sizeof seen_small);
	for (size_t i = 0; i < node->map.n; i++) {
		const struct ynode *key = node->map.items[i].key;
		const struct ynode *value = node->map.items[i].value;
		const struct schema_field *f = schema_find(t, key);
		size_t saved;

		if (f == NULL) {
			schema_unknown_key(ctx, t, key);
			continue;
		}
		/* `key:` with nothing after it is as good as absent, as in
		 * Kubernetes. */
		if (ynode_is_null(value) && f->type != SCHEMA_IGNORE)
			continue;
		seen[f - t->fields] = true;
		if (f->type == SCHEMA_UNSUPPORTED) {
			schema_error(ctx, key, "field \"%s\" is not "
			    "supported yet", f->key);
			continue;
		}
		saved = schema_path_push_key(ctx, f->key);
		if (f->flags & SCHEMA_SIDE) {
			void **side = (void **)((char *)obj + t->side_offset);

			if (*side == NULL)
				*side = arena_alloc(ctx->arena, t->side_size);
			schema_decode_field(ctx, f, value, *side);
		} else
			schema_decode_field(ctx, f, value, obj);
		schema_path_pop(ctx, saved);
	}
	for (size_t i = 0; i < t->nfields; i++)
		if ((t->fields[i].flags & SCHEMA_REQUIRED) && !seen[i])
			schema_error(ctx, node, "missing required field \"%s\"",
			    t->fields[i].key);
	if (seen != seen_small)
		free(seen);
	if (ctx->diags->nerrors == errors && t->validate != NULL)
		t->validate(ctx, node, obj);
	return ctx->diags->nerrors == errors ? 0 : -1;
}

/* --- shared checks ------------------------------------------------------- */

static bool
schema_is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
schema_is_label_max(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	if (!schema_is_alnum_lower(s[0]) || !schema_is_alnum_lower(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!schema_is_alnum_lower(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool
schema_is_label(const char *s, size_t len)
{
	return schema_is_label_max(s, len, 63);
}

/* Kubernetes' object names (IsDNS1123Subdomain) limit only the whole
 * name to 253 characters; host names also limit each label to 63. */
static bool
schema_is_subdomain_max(const char *s, size_t label_max)
{
	size_t len = strlen(s);
	const char *p = s;

	if (len == 0 || len > 253)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (!schema_is_label_max(p, l, label_max))
			return false;
		if (dot == NULL)
			return true;
		p = dot + 1;
	}
}

static bool
schema_is_subdomain(const char *s)
{
	return schema_is_subdomain_max(s, 63);
}

const char *
schema_check_dns1123_subdomain(const char *s)
{
	if (schema_is_subdomain_max(s, 253))
		return NULL;
	return "must be a DNS-1123 subdomain: lowercase letters, digits, '-' "
	    "and '.', starting and ending with a letter or digit, at most 253 "
	    "characters";
}

const char *
schema_check_dns1123_label(const char *s)
{
	if (schema_is_label(s, strlen(s)))
		return NULL;
	return "must be a DNS-1123 label: lowercase letters, digits and '-', "
	    "starting and ending with a letter or digit, at most 63 characters";
}

const char *
schema_check_fqdn(const char *s)
{
	const char *host = strncmp(s, "*.", 2) == 0 ? s + 2 : s;

	if (schema_is_subdomain(host))
		return NULL;
	return "must be a lowercase host name (letters, digits, '-' and '.'), "
	    "optionally starting with \"*.\"";
}
