/* libyaml -> an immutable node tree that keeps line and column of every
 * node. The only module that includes <yaml.h>. */
#ifndef CAIRN_LOAD_YAML_H
#define CAIRN_LOAD_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/diag.h"

enum ynode_type {
	YNODE_SCALAR,
	YNODE_MAPPING,
	YNODE_SEQUENCE,
};

struct ynode;

struct ynode_pair {
	struct ynode *key; /* always a scalar (complex keys are rejected) */
	struct ynode *value;
};

struct ynode {
	enum ynode_type type;
	int line, col; /* 1-based */
	union {
		struct {
			char *value; /* NUL-terminated; may contain NULs if len says so */
			size_t len;
			bool plain; /* unquoted: "80" is a string, 80 an int */
			/* value holds a NUL byte: only a double-quoted
			 * scalar's escapes can write one (libyaml refuses
			 * the raw byte), so no other scalar is measured */
			bool nul;
		} scalar;
		struct {
			struct ynode_pair *items;
			size_t n;
		} map;
		struct {
			struct ynode **items;
			size_t n;
		} seq;
	};
};

struct ydoc {
	struct ynode *root; /* NULL for an empty document */
	int line, col;
};

struct yaml_limits {
	size_t max_alias_nodes; /* nodes reachable through aliases, per file */
	int max_depth; /* nesting of mappings and sequences */
};

#define YAML_DEFAULT_MAX_ALIAS_NODES 10000
#define YAML_DEFAULT_MAX_DEPTH 64

/* Parse every document of buf. Nodes are allocated in arena. On error a
 * located diagnostic is added and -1 is returned (no documents). */
int yaml_parse(const char *file, const char *buf, size_t len,
    const struct yaml_limits *limits, struct arena *arena,
    struct ydoc **docs_out, size_t *ndocs_out, struct diag_list *diags);

/* Value of key in a mapping, or NULL (also when map is not a mapping). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* A plain scalar "", "~", "null" or "Null"/"NULL". */
bool ynode_is_null(const struct ynode *n);
/* A plain true or false (YAML 1.2: yes/no/on/off are strings). */
bool ynode_is_bool(const struct ynode *n, bool *out);
/* A plain decimal integer that fits int64 ("80" quoted is a string). */
bool ynode_is_int(const struct ynode *n, int64_t *out);
/* What a node looks like, for "expected X, got Y": mapping, sequence,
 * null, boolean, integer, number or string. */
const char *ynode_type_name(const struct ynode *n);

#endif
