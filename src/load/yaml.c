/* libyaml's event parser -> the ynode tree of yaml.h. The tree is built
 * with an explicit stack, so hostile nesting costs a located error, never
 * the C stack; aliases share nodes, but every alias use is charged the
 * size of what it expands to, so a billion laughs stops after
 * max_alias_nodes instead of reaching the decoder. */
#include "load/yaml.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* --- a small string -> pointer table (anchors, duplicate keys) -------- */

struct strtab_slot {
	const char *key;
	size_t len;
	void *value;
};

struct strtab {
	struct strtab_slot *slots;
	size_t n, cap; /* cap is 0 or a power of two */
};

static struct strtab_slot *
strtab_slot(struct strtab *t, const char *key, size_t len)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)hash_bytes(key, len) & mask;

	while (t->slots[i].key != NULL) {
		if (t->slots[i].len == len && memcmp(t->slots[i].key, key, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return &t->slots[i];
}

static void *
strtab_get(struct strtab *t, const char *key, size_t len)
{
	return t->cap ? strtab_slot(t, key, len)->value : NULL;
}

/* Set key (borrowed: it must outlive the table) to value; returns the
 * previous value or NULL. */
static void *
strtab_put(struct strtab *t, const char *key, size_t len, void *value)
{
	struct strtab_slot *s;
	void *old;

	if ((t->n + 1) * 2 > t->cap) {
		struct strtab_slot *oldslots = t->slots;
		size_t oldcap = t->cap;

		t->cap = t->cap ? t->cap * 2 : 16;
		t->slots = xcalloc(t->cap, sizeof *t->slots);
		t->n = 0;
		for (size_t i = 0; i < oldcap; i++) {
			if (oldslots[i].key != NULL) {
				*strtab_slot(t, oldslots[i].key, oldslots[i].len) =
				    oldslots[i];
				t->n++;
			}
		}
		free(oldslots);
	}
	s = strtab_slot(t, key, len);
	old = s->value;
	if (s->key == NULL) {
		s->key = key;
		s->len = len;
		t->n++;
	}
	s->value = value;
	return old;
}

static void
strtab_free(struct strtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof *t);
}

/* --- the parse ---------------------------------------------------------- */

/* What an anchor stands for: the node, and the cost of expanding it. */
struct yanchor {
	struct ynode *node;
	size_t count; /* nodes reachable, aliases expanded */
	int height; /* collection levels, aliases expanded */
};

/* An open mapping or sequence. Its children collect on the parser's
 * shared stacks and move to the arena, exactly sized, when it closes. */
struct yframe {
	struct ynode *node;
	size_t base; /* of its children on the items or pairs stack */
	char *anchor; /* registered when the node is complete */
	size_t count;
	int height;
	bool have_key; /* a mapping's key was read, its value is next */
	bool drop_pair; /* that key was rejected: drop the pair */
	struct ynode *key;
};

struct yparse {
	const char *file;
	const char *buf;
	size_t len;
	struct yaml_limits limits;
	struct arena *arena;
	struct diag_list *diags;
	struct yframe *stack;
	int depth; /* open frames */
	struct ynode **items; /* children of open sequences */
	size_t nitems, capitems;
	struct ynode_pair *pairs; /* children of open mappings */
	size_t npairs, cappairs;
	struct strtab anchors; /* name -> struct yanchor (arena) */
	size_t alias_nodes; /* charged so far, whole file */
	struct ydoc *docs;
	size_t ndocs, capdocs;
	struct ynode *root;
	bool failed; /* a non-fatal error was reported: keep parsing */
};

static void __attribute__((format(printf, 4, 5)))
yparse_error(struct yparse *p, int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(p->diags, DIAG_ERROR, p->file, line, col, "%s", msg);
	free(msg);
	p->failed = true;
}

/* libyaml's reader reports a byte offset, not a mark: turn it into a
 * line and a column counted in characters, like the marks are. */
static void
yparse_offset_position(const struct yparse *p, size_t offset, int *line, int *col)
{
	int l = 1, c = 1;

	if (offset > p->len)
		offset = p->len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char ch = (unsigned char)p->buf[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* The byte at a 1-based line and character column, or 0. */
static char
yparse_char_at(const struct yparse *p, int line, int col)
{
	size_t i = 0;

	for (int l = 1; l < line; l++) {
		const char *nl = memchr(p->buf + i, '\n', p->len - i);

		if (nl == NULL)
			return 0;
		i = (size_t)(nl - p->buf) + 1;
	}
	for (int c = 1; i < p->len; i++) {
		if (((unsigned char)p->buf[i] & 0xC0) == 0x80)
			continue;
		if (c++ == col)
			return p->buf[i];
	}
	return 0;
}

/* libyaml points at the offending byte, which for a bad continuation is
 * in the middle of a sequence: point at the sequence's first byte, and
 * show the bytes, which is what a user can look for in a hex dump. */
static void
yparse_utf8_error(struct yparse *p, const yaml_parser_t *parser)
{
	size_t start = parser->problem_offset, end;
	char bytes[16] = "";
	int line, col;

	if (start > p->len)
		start = p->len;
	if (strstr(parser->problem, "trailing") != NULL) {
		while (start > 0 && parser->problem_offset - start < 3 &&
		    ((unsigned char)p->buf[start - 1] & 0xC0) == 0x80)
			start--;
		if (start > 0 && (unsigned char)p->buf[start - 1] >= 0xC0)
			start--;
	}
	end = parser->problem_offset + 1;
	if (end > p->len)
		end = p->len;
	if (end - start > 4)
		end = start + 4;
	for (size_t i = start; i < end; i++)
		snprintf(bytes + strlen(bytes), sizeof bytes - strlen(bytes),
		    "%s%02X", i > start ? " " : "", (unsigned char)p->buf[i]);
	yparse_offset_position(p, start, &line, &col);
	yparse_error(p, line, col, "invalid UTF-8 (bytes %s: %s); YAML files "
	    "must be UTF-8 text", bytes, parser->problem);
}

static void
yparse_libyaml_error(struct yparse *p, const yaml_parser_t *parser)
{
	int line, col;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		yparse_error(p, 0, 0, "out of memory while parsing YAML");
		return;
	case YAML_READER_ERROR:
		yparse_offset_position(p, parser->problem_offset, &line, &col);
		if (parser->problem_value == 0 &&
		    strstr(parser->problem, "control characters") != NULL)
			yparse_error(p, line, col, "the file contains a NUL byte "
			    "(is it a binary file?); YAML files must be UTF-8 text");
		else if (strstr(parser->problem, "control characters") != NULL)
			yparse_error(p, line, col, "the file contains the control "
			    "character U+%04X, which YAML does not allow",
			    (unsigned)parser->problem_value);
		else if (strstr(parser->problem, "UTF-8") != NULL ||
		    strstr(parser->problem, "Unicode") != NULL)
			yparse_utf8_error(p, parser);
		else
			yparse_error(p, line, col, "%s", parser->problem);
		return;
	default:
		break;
	}
	line = (int)parser->problem_mark.line + 1;
	col = (int)parser->problem_mark.column + 1;
	if (yparse_char_at(p, line, col) == '\t')
		yparse_error(p, line, col, "found a tab character: YAML "
		    "indents with spaces only");
	else if (parser->context != NULL)
		yparse_error(p, line, col, "%s (%s at %d:%d)",
		    parser->problem ? parser->problem : "syntax error",
		    parser->context, (int)parser->context_mark.line + 1,
		    (int)parser->context_mark.column + 1);
	else
		yparse_error(p, line, col, "%s",
		    parser->problem ? parser->problem : "syntax error");
}

static struct ynode *
ynode_new(struct yparse *p, enum ynode_type type, const yaml_mark_t *mark)
{
	struct ynode *n = arena_alloc_nozero(p->arena, sizeof *n);

	/* Zeroed by the assignment, in a few stores instead of a call to
	 * memset: a file opens a mapping or a sequence every few scalars. */
	*n = (struct ynode){
		.type = type,
		.line = (int)mark->line + 1,
		.col = (int)mark->column + 1,
	};
	return n;
}

static bool
ynode_scalar_is(const struct ynode *n, const char *s)
{
	size_t len = strlen(s);

	return n->type == YNODE_SCALAR && n->scalar.len == len &&
	    memcmp(n->scalar.value, s, len) == 0;
}

static void
yparse_register_anchor(struct yparse *p, const char *name, struct ynode *node,
    size_t count, int height)
{
	struct yanchor *a = ARENA_NEW(p->arena, struct yanchor);
	char *key = arena_strdup(p->arena, name);

	a->node = node;
	a->count = count;
	a->height = height;
	/* A later anchor of the same name replaces the earlier one (YAML
	 * allows redefinition; aliases refer to the closest before them). */
	strtab_put(&p->anchors, key, strlen(key), a);
}

/* Hand a complete node to its parent (or make it the document root). */
static void
yparse_add(struct yparse *p, struct ynode *node, size_t count, int height)
{
	struct yframe *f;

	if (p->depth == 0) {
		p->root = node;
		return;
	}
	f = &p->stack[p->depth - 1];
	f->count += count;
	if (height + 1 > f->height)
		f->height = height + 1;
	if (f->node->type == YNODE_SEQUENCE) {
		ARRAY_PUSH(p->items, p->nitems, p->capitems, node);
		return;
	}
	if (!f->have_key) {
		f->have_key = true;
		f->drop_pair = false;
		f->key = node;
		if (node->type != YNODE_SCALAR) {
			yparse_error(p, node->line, node->col, "a mapping key must "
			    "be a string, not a %s", ynode_type_name(node));
			f->drop_pair = true;
		} else if (node->scalar.plain && ynode_scalar_is(node, "<<")) {
			yparse_error(p, node->line, node->col, "merge keys (<<) "
			    "are not supported; write the fields out");
			f->drop_pair = true;
		}
		return;
	}
	f->have_key = false;
	if (!f->drop_pair) {
		struct ynode_pair pair = { f->key, node };

		ARRAY_PUSH(p->pairs, p->npairs, p->cappairs, pair);
	}
}

/* Report every key that repeats an earlier one in the same mapping. */
static void
yparse_check_duplicates(struct yparse *p, const struct ynode *map)
{
	const struct ynode_pair *items = map->map.items;
	size_t n = map->map.n;

	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			for (size_t j = 0; j < i; j++) {
				const struct ynode *a = items[j].key, *b = items[i].key;

				if (a->scalar.len == b->scalar.len &&
				    memcmp(a->scalar.value, b->scalar.value,
				    a->scalar.len) == 0) {
					yparse_error(p, b->line, b->col,
					    "duplicate key \"%s\" (first at %d:%d)",
					    b->scalar.value, a->line, a->col);
					break;
				}
			}
		}
		return;
	}
	/* Large mappings: a table keeps this linear. */
	struct strtab seen = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct ynode *k = items[i].key;
		const struct ynode *first = strtab_get(&seen, k->scalar.value,
		    k->scalar.len);

		if (first != NULL)
			yparse_error(p, k->line, k->col,
			    "duplicate key \"%s\" (first at %d:%d)",
			    k->scalar.value, first->line, first->col);
		else
			strtab_put(&seen, k->scalar.value, k->scalar.len,
			    (void *)(uintptr_t)k);
	}
	strtab_free(&seen);
}

static bool
yparse_open(struct yparse *p, const yaml_event_t *ev, enum ynode_type type,
    const yaml_char_t *anchor)
{
	struct yframe *f;

	if (p->depth + 1 > p->limits.max_depth) {
		yparse_error(p, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "nesting is deeper than %d levels", p->limits.max_depth);
		return false;
	}
	f = &p->stack[p->depth++];
	memset(f, 0, sizeof *f);
	f->node = ynode_new(p, type, &ev->start_mark);
	f->base = type == YNODE_SEQUENCE ? p->nitems : p->npairs;
	f->count = 1;
	if (anchor != NULL)
		f->anchor = arena_strdup(p->arena, (const char *)anchor);
	return true;
}

static void
yparse_close(struct yparse *p)
{
	struct yframe f = p->stack[--p->depth];
	struct ynode *n = f.node;

	/* Only point into the stacks when there are children. */
	if (n->type == YNODE_SEQUENCE) {
		n->seq.n = p->nitems - f.base;
		n->seq.items = arena_memdup(p->arena,
		    n->seq.n ? p->items + f.base : NULL,
		    n->seq.n * sizeof *p->items);
		p->nitems = f.base;
	} else {
		n->map.n = p->npairs - f.base;
		n->map.items = arena_memdup(p->arena,
		    n->map.n ? p->pairs + f.base : NULL,
		    n->map.n * sizeof *p->pairs);
		p->npairs = f.base;
		yparse_check_duplicates(p, n);
	}
	if (f.anchor != NULL)
		yparse_register_anchor(p, f.anchor, f.node, f.count, f.height);
	yparse_add(p, f.node, f.count, f.height);
}

static void
yparse_scalar(struct yparse *p, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	/* The value right behind its node: scalars are most of a file, so
	 * one allocation each matters. Not zeroed: every member a scalar
	 * has is written here, and the value's terminator too. */
	struct ynode *n = arena_alloc_nozero(p->arena, sizeof *n + len + 1);

	n->type = YNODE_SCALAR;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->scalar.len = len;
	n->scalar.value = (char *)(n + 1);
	memcpy(n->scalar.value, ev->data.scalar.value, len);
	n->scalar.value[len] = '\0';
	n->scalar.nul = ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	    memchr(n->scalar.value, '\0', len) != NULL;
	/* An explicit !!str makes a plain scalar a string, as quoting does. */
	n->scalar.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (tag == NULL || strcmp(tag, YAML_STR_TAG) != 0);
	if (ev->data.scalar.anchor != NULL)
		yparse_register_anchor(p, (const char *)ev->data.scalar.anchor,
		    n, 1, 0);
	yparse_add(p, n, 1, 0);
}

/* An alias shares the anchored node but is charged its full expansion,
 * both in nodes and in depth, as if it had been written out. */
static bool
yparse_alias(struct yparse *p, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1;
	int col = (int)ev->start_mark.column + 1;
	struct yanchor *a = strtab_get(&p->anchors, name, strlen(name));

	if (a == NULL) {
		yparse_error(p, line, col, "unknown alias \"*%s\" (no anchor "
		    "\"&%s\" before it in this document)", name, name);
		/* Keep the tree well formed so that parsing can go on and
		 * report further problems. */
		struct ynode *n = ynode_new(p, YNODE_SCALAR, &ev->start_mark);

		n->scalar.value = arena_strdup(p->arena, "");
		yparse_add(p, n, 1, 0);
		return true;
	}
	p->alias_nodes += a->count;
	if (p->alias_nodes > p->limits.max_alias_nodes) {
		yparse_error(p, line, col, "aliases expand to more than %zu "
		    "nodes in this file (at alias \"*%s\")",
		    p->limits.max_alias_nodes, name);
		return false;
	}
	if (p->depth + a->height > p->limits.max_depth) {
		yparse_error(p, line, col, "nesting is deeper than %d levels "
		    "(through alias \"*%s\")", p->limits.max_depth, name);
		return false;
	}
	yparse_add(p, a->node, a->count, a->height);
	return true;
}

static bool
yparse_event(struct yparse *p, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		/* Anchors do not cross documents. */
		strtab_free(&p->anchors);
		p->root = NULL;
		{
			struct ydoc d = {
				.line = (int)ev->start_mark.line + 1,
				.col = (int)ev->start_mark.column + 1,
			};

			ARENA_PUSH(p->arena, p->docs, p->ndocs, p->capdocs, d);
		}
		return true;
	case YAML_DOCUMENT_END_EVENT: {
		struct ynode *r = p->root;

		/* "---" with nothing after it is an empty document. */
		if (r != NULL && r->type == YNODE_SCALAR && r->scalar.plain &&
		    r->scalar.len == 0)
			r = NULL;
		p->docs[p->ndocs - 1].root = r;
		return true;
	}
	case YAML_SCALAR_EVENT:
		yparse_scalar(p, ev);
		return true;
	case YAML_ALIAS_EVENT:
		return yparse_alias(p, ev);
	case YAML_SEQUENCE_START_EVENT:
		return yparse_open(p, ev, YNODE_SEQUENCE,
		    ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return yparse_open(p, ev, YNODE_MAPPING,
		    ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		yparse_close(p);
		return true;
	default:
		return true;
	}
}

int
yaml_parse(const char *file, const char *buf, size_t len,
    const struct yaml_limits *limits, struct arena *arena,
    struct ydoc **docs_out, size_t *ndocs_out, struct diag_list *diags)
{
	struct yparse p = {
		.file = file,
		.buf = buf,
		.len = len,
		.arena = arena,
		.diags = diags,
	};
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;

	*docs_out = NULL;
	*ndocs_out = 0;
	if (limits != NULL)
		p.limits = *limits;
	if (p.limits.max_alias_nodes == 0)
		p.limits.max_alias_nodes = YAML_DEFAULT_MAX_ALIAS_NODES;
	if (p.limits.max_depth <= 0)
		p.limits.max_depth = YAML_DEFAULT_MAX_DEPTH;
	/* In the arena, like the tree: no allocation of its own per file
	 * (yparse_open fills each frame it opens). The children stacks start
	 * at a size most files never outgrow. */
	p.stack = arena_alloc_nozero(arena, (size_t)p.limits.max_depth *
	    sizeof *p.stack);
	p.capitems = 64;
	p.items = xreallocarray(NULL, p.capitems, sizeof *p.items);
	p.cappairs = 128;
	p.pairs = xreallocarray(NULL, p.cappairs, sizeof *p.pairs);

	if (!yaml_parser_initialize(&parser)) {
		yparse_error(&p, 0, 0, "out of memory while parsing YAML");
		free(p.items);
		free(p.pairs);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		bool go_on;

		if (!yaml_parser_parse(&parser, &ev)) {
			yparse_libyaml_error(&p, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		go_on = yparse_event(&p, &ev);
		yaml_event_delete(&ev);
		if (!go_on) {
			p.failed = true;
			break;
		}
	}
	yaml_parser_delete(&parser);
	strtab_free(&p.anchors);
	free(p.items);
	free(p.pairs);
	if (p.failed || !done)
		return -1;
	*docs_out = p.docs;
	*ndocs_out = p.ndocs;
	return 0;
}

/* --- reading the tree ---------------------------------------------------- */

const struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t len;

	if (map == NULL || map->type != YNODE_MAPPING)
		return NULL;
	/* The key's length once, not per pair: validators look up several
	 * keys of each mapping. Keys are scalars (yparse_add drops others). */
	len = strlen(key);
	for (size_t i = 0; i < map->map.n; i++) {
		const struct ynode *k = map->map.items[i].key;

		if (k->type == YNODE_SCALAR && k->scalar.len == len &&
		    memcmp(k->scalar.value, key, len) == 0)
			return map->map.items[i].value;
	}
	return NULL;
}

bool
ynode_is_null(const struct ynode *n)
{
	if (n == NULL || n->type != YNODE_SCALAR || !n->scalar.plain)
		return false;
	return n->scalar.len == 0 || ynode_scalar_is(n, "~") ||
	    ynode_scalar_is(n, "null") || ynode_scalar_is(n, "Null") ||
	    ynode_scalar_is(n, "NULL");
}

bool
ynode_is_bool(const struct ynode *n, bool *out)
{
	if (n == NULL || n->type != YNODE_SCALAR || !n->scalar.plain)
		return false;
	if (ynode_scalar_is(n, "true")) {
		if (out)
			*out = true;
		return true;
	}
	if (ynode_scalar_is(n, "false")) {
		if (out)
			*out = false;
		return true;
	}
	return false;
}

bool
ynode_is_int(const struct ynode *n, int64_t *out)
{
	const char *s;
	bool neg = false;
	uint64_t v = 0;

	if (n == NULL || n->type != YNODE_SCALAR || !n->scalar.plain ||
	    n->scalar.len == 0 || strlen(n->scalar.value) != n->scalar.len)
		return false;
	s = n->scalar.value;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > ((uint64_t)INT64_MAX + 1 - (uint64_t)(*s - '0')) / 10)
			return false; /* does not fit: not an int64 */
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!neg && v > (uint64_t)INT64_MAX)
		return false;
	if (out)
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* A plain scalar YAML would read as a floating-point number. */
static bool
ynode_is_float(const struct ynode *n)
{
	const char *s;
	bool digits = false;

	if (n->type != YNODE_SCALAR || !n->scalar.plain || n->scalar.len == 0)
		return false;
	s = n->scalar.value;
	if (*s == '-' || *s == '+')
		s++;
	if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 ||
	    strcmp(s, ".INF") == 0 || strcmp(n->scalar.value, ".nan") == 0 ||
	    strcmp(n->scalar.value, ".NaN") == 0 ||
	    strcmp(n->scalar.value, ".NAN") == 0)
		return true;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

const char *
ynode_type_name(const struct ynode *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case YNODE_MAPPING:
		return "mapping";
	case YNODE_SEQUENCE:
		return "sequence";
	case YNODE_SCALAR:
		break;
	}
	/* Each reading needs a plain scalar and can start with only a few
	 * bytes: the first byte picks the one or two to try. The decoder asks
	 * this of every plain string that starts like a number (addresses,
	 * hosts), so the other readings' compares are skipped. */
	if (!n->scalar.plain)
		return "string";
	switch (n->scalar.len == 0 ? '\0' : n->scalar.value[0]) {
	case '\0':
	case '~':
	case 'n':
	case 'N':
		return ynode_is_null(n) ? "null" : "string";
	case 't':
	case 'f':
		return ynode_is_bool(n, NULL) ? "boolean" : "string";
	case '-':
	case '+':
	case '.':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (ynode_is_int(n, NULL))
			return "integer";
		if (ynode_is_float(n))
			return "number";
		return "string";
	default:
		return "string";
	}
}
