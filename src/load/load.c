/* One file -> typed objects. The YAML tree lives in a scratch arena that
 * dies with this call; only the decoded objects stay, in the
 * loaded_file's arena. A file is all or nothing: one error anywhere and
 * none of its objects are handed out, so the caller keeps serving the
 * file's last good version. */
#include "load/load.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/kinds.h"
#include "load/schema.h"
#include "load/yaml.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct load_state {
	struct loaded_file *lf;
	size_t capobjects;
};

const char *
obj_kind_name(enum obj_kind kind)
{
	switch (kind) {
	case OBJ_HTTPPROXY:
		return "HTTPProxy";
	case OBJ_SERVICE:
		return "Service";
	case OBJ_ENDPOINTS:
		return "Endpoints";
	case OBJ_INGRESS:
		return "Ingress";
	case OBJ_ENDPOINTSLICE:
		return "EndpointSlice";
	case OBJ_SECRET:
		return "Secret";
	case OBJ_TLSCERTDELEGATION:
		return "TLSCertificateDelegation";
	case OBJ_EXTENSIONSERVICE:
		return "ExtensionService";
	case OBJ_GATEWAYCLASS:
		return "GatewayClass";
	case OBJ_GATEWAY:
		return "Gateway";
	case OBJ_HTTPROUTE:
		return "HTTPRoute";
	case OBJ_GRPCROUTE:
		return "GRPCRoute";
	case OBJ_TLSROUTE:
		return "TLSRoute";
	case OBJ_TCPROUTE:
		return "TCPRoute";
	case OBJ_REFERENCEGRANT:
		return "ReferenceGrant";
	case OBJ_BACKENDTLSPOLICY:
		return "BackendTLSPolicy";
	case OBJ_CONFIGMAP:
		return "ConfigMap";
	case OBJ_NAMESPACE:
		return "Namespace";
	case OBJ_KIND_COUNT:
		break;
	}
	return "unknown";
}

/* A string-valued top-level field (apiVersion, kind), or NULL after
 * reporting why not. */
static const char *
load_type_field(struct load_state *st, const struct ynode *root,
    const char *key)
{
	const struct ynode *v = ynode_get(root, key);

	if (v == NULL || ynode_is_null(v)) {
		diag_add(&st->lf->diags, DIAG_ERROR, st->lf->path, root->line,
		    root->col, "missing required field \"%s\" (every document "
		    "must be a Kubernetes object with apiVersion and kind)", key);
		return NULL;
	}
	if (v->type != YNODE_SCALAR || v->scalar.len == 0 ||
	    strlen(v->scalar.value) != v->scalar.len) {
		diag_add(&st->lf->diags, DIAG_ERROR, st->lf->path, v->line, v->col,
		    "%s: expected a string, got %s", key, ynode_type_name(v));
		return NULL;
	}
	return v->scalar.value;
}

/* The name to put in front of every message about this object, in buf
 * (made for every object, used only by errors: no allocation). */
static const char *
load_describe(char *buf, size_t size, const struct loaded_file *lf,
    const char *kind, const struct ynode *root)
{
	const struct ynode *name = ynode_get(ynode_get(root, "metadata"), "name");
	bool cluster = strcmp(kind, "GatewayClass") == 0 ||
	    strcmp(kind, "Namespace") == 0;

	if (cluster)
		snprintf(buf, size, "%s %.253s", kind, name != NULL &&
		    name->type == YNODE_SCALAR && name->scalar.len > 0 ?
		    name->scalar.value : "(no name)");
	else if (name != NULL && name->type == YNODE_SCALAR && name->scalar.len > 0)
		snprintf(buf, size, "%s %s/%.253s", kind, lf->ns, name->scalar.value);
	else
		snprintf(buf, size, "%s %s/(no name)", kind, lf->ns);
	return buf;
}

/* Every namespace carries kubernetes.io/metadata.name: <name>, as the
 * API server adds it, so that selectors written for a cluster work. */
static void
namespace_add_name_label(struct arena *a, struct obj_meta *m)
{
	static const char key[] = "kubernetes.io/metadata.name";
	struct kv *labels;

	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i].key, key) == 0) {
			m->labels[i].value = m->name;
			return;
		}
	labels = ARENA_ARRAY(a, struct kv, m->nlabels + 1);
	if (m->nlabels > 0)
		memcpy(labels, m->labels, m->nlabels * sizeof *labels);
	labels[m->nlabels].key = arena_strdup(a, key);
	labels[m->nlabels].value = m->name;
	m->labels = labels;
	m->nlabels++;
}

/* What load_describe needs, for a schema_ctx that describes its object
 * only when it reports an error. */
struct load_what {
	const struct loaded_file *lf;
	const char *kind;
	const struct ynode *root;
};

static const char *
load_describe_lazy(const void *arg, char *buf, size_t size)
{
	const struct load_what *w = arg;

	return load_describe(buf, size, w->lf, w->kind, w->root);
}

/* Bytes of an object of this kind: its header and its own member of the
 * union, not the largest (184 bytes for every object; a Service needs
 * 120, Endpoints 104). Only the kinds every tree has many of are cut;
 * every reader checks an object's kind before its member (as it must:
 * another kind's member would not be zeros but its neighbour's bytes). */
static size_t
object_size(enum obj_kind kind)
{
	switch (kind) {
	case OBJ_HTTPPROXY:
		return offsetof(struct object, u) + sizeof(struct httpproxy);
	case OBJ_SERVICE:
		return offsetof(struct object, u) + sizeof(struct service);
	case OBJ_ENDPOINTS:
		return offsetof(struct object, u) + sizeof(struct endpoints);
	default:
		return sizeof(struct object);
	}
}

static void
load_object(struct load_state *st, const struct kind_info *info,
    const struct ynode *root)
{
	struct loaded_file *lf = st->lf;
	struct object *obj = arena_alloc(&lf->arena, object_size(info->obj_kind));
	/* kind + namespace (a directory name, <= 255) + name (<= 253). */
	char whatbuf[640];
	struct load_what what = { lf, info->kind, root };
	struct schema_ctx ctx;

	obj->kind = info->obj_kind;
	obj->api_version = info->api_version;
	obj->kind_name = info->kind;
	schema_ctx_init(&ctx, &lf->arena, &lf->diags, lf->path, NULL);
	ctx.describe = load_describe_lazy;
	ctx.describe_arg = &what;
	ctx.describe_buf = whatbuf;
	ctx.describe_size = sizeof whatbuf;
	schema_decode(&ctx, info->table, root, obj);
	obj->meta.origin.file = lf->path;
	obj->meta.origin.line = root->line;
	obj->meta.origin.col = root->col;

	/* Cluster-scoped kinds are the operator's: only files directly in
	 * the source root may hold them (SPEC.md §5a). They have no
	 * namespace; "" keeps every consumer's strcmp safe. */
	if (info->obj_kind == OBJ_GATEWAYCLASS || info->obj_kind == OBJ_NAMESPACE) {
		if (strchr(lf->path, '/') != NULL)
			schema_error(&ctx, root, "%s is cluster-scoped: put it in a "
			    "file directly in the source root, not in namespace "
			    "directory \"%s\"", info->kind, lf->ns);
		if (obj->meta.namespace != NULL && *obj->meta.namespace != '\0')
			schema_error(&ctx, ynode_get(ynode_get(root, "metadata"),
			    "namespace"), "metadata.namespace: %s is cluster-scoped "
			    "and has no namespace", info->kind);
		if (info->obj_kind == OBJ_NAMESPACE && obj->meta.name != NULL)
			namespace_add_name_label(&lf->arena, &obj->meta);
		obj->meta.namespace = "";
	} else if (obj->meta.namespace == NULL) {
		obj->meta.namespace = lf->ns;
	} else if (strcmp(obj->meta.namespace, lf->ns) != 0) {
		schema_error(&ctx, ynode_get(ynode_get(root, "metadata"), "namespace"),
		    "metadata.namespace \"%s\" does not match directory "
		    "namespace \"%s\"", obj->meta.namespace, lf->ns);
	}
	schema_ctx_free(&ctx);
	ARENA_PUSH(&lf->arena, lf->objects, lf->nobjects, st->capobjects, obj);
}

static void load_document(struct load_state *st, const struct ynode *root,
    bool in_list);

/* `kind: List` (what `kubectl get -o yaml` writes): every item is a
 * document of its own. */
static void
load_list(struct load_state *st, const struct ynode *root)
{
	struct loaded_file *lf = st->lf;

	for (size_t i = 0; i < root->map.n; i++) {
		const struct ynode *k = root->map.items[i].key;
		const char *key = k->scalar.value;

		if (strcmp(key, "apiVersion") != 0 && strcmp(key, "kind") != 0 &&
		    strcmp(key, "items") != 0 && strcmp(key, "metadata") != 0)
			diag_add(&lf->diags, DIAG_ERROR, lf->path, k->line, k->col,
			    "List: unknown field \"%s\"", key);
	}
	const struct ynode *items = ynode_get(root, "items");

	if (items == NULL || ynode_is_null(items))
		return;
	if (items->type != YNODE_SEQUENCE) {
		diag_add(&lf->diags, DIAG_ERROR, lf->path, items->line, items->col,
		    "List: items: expected a sequence, got %s",
		    ynode_type_name(items));
		return;
	}
	for (size_t i = 0; i < items->seq.n; i++)
		load_document(st, items->seq.items[i], true);
}

static void
load_document(struct load_state *st, const struct ynode *root, bool in_list)
{
	struct loaded_file *lf = st->lf;
	const struct kind_info *info;
	const char *api_version, *kind;

	if (root == NULL || ynode_is_null(root))
		return;
	if (root->type != YNODE_MAPPING) {
		diag_add(&lf->diags, DIAG_ERROR, lf->path, root->line, root->col,
		    "expected a Kubernetes object (a mapping with apiVersion "
		    "and kind), got %s", ynode_type_name(root));
		return;
	}
	api_version = load_type_field(st, root, "apiVersion");
	kind = load_type_field(st, root, "kind");
	if (api_version == NULL || kind == NULL)
		return;
	if (strcmp(kind, "List") == 0 && strcmp(api_version, "v1") == 0) {
		/* Kubernetes never nests Lists; refusing it also bounds the
		 * recursion. */
		if (in_list)
			diag_add(&lf->diags, DIAG_ERROR, lf->path, root->line,
			    root->col, "a List cannot hold another List");
		else
			load_list(st, root);
		return;
	}
	info = kinds_find(api_version, kind);
	if (info == NULL) {
		/* Repositories often hold other manifests too. */
		diag_add(&lf->diags, DIAG_WARNING, lf->path, root->line, root->col,
		    "skipping unknown kind %s (apiVersion %s)", kind, api_version);
		return;
	}
	load_object(st, info, root);
}

struct loaded_file *
load_buffer(const char *path, const char *ns, const char *buf, size_t len,
    const struct load_options *opts)
{
	struct arena tree;
	struct loaded_file *lf;

	/* The tree takes about 3x the YAML. */
	arena_init_sized(&tree, 3 * len + 1024);
	lf = load_buffer_scratch(path, ns, buf, len, opts, &tree);
	arena_free(&tree);
	return lf;
}

/* Bytes of decoded objects per byte of the file's YAML tree (its nodes
 * in the scratch arena, which leaves out comments, indentation and
 * quoting), in 256ths, as the last file loaded had them. A loaded file's
 * arena is made once the tree is parsed, with one block of that guess
 * plus a small margin, so a file usually holds a single block with little
 * slack: loaded files are most of what a big tree keeps. A guess too
 * short costs a second block a quarter of the first (arena_init_fitted).
 * Each thread keeps its own: one shared by the loading threads, written
 * at every file, moved its cache line (and its neighbours') between the
 * CPUs file after file; a loading thread's first file takes the default. */
#define OBJECTS_GUESS_MARGIN_DIV 64
#define OBJECTS_GUESS_MARGIN_BYTES 64
static _Thread_local unsigned objects_per_tree256 = 256;

static size_t
objects_size_guess(size_t tree)
{
	size_t r = objects_per_tree256;

	return tree * r / 256 + tree * r / (256 * OBJECTS_GUESS_MARGIN_DIV) +
	    OBJECTS_GUESS_MARGIN_BYTES;
}

static void
objects_size_seen(size_t tree, size_t used)
{
	size_t r;

	if (tree < 512)
		return; /* too small to say anything about the next file */
	r = (used * 256 + tree - 1) / tree;
	if (r < 16)
		r = 16;
	if (r > 4096)
		r = 4096;
	objects_per_tree256 = (unsigned)r;
}

struct loaded_file *
load_buffer_scratch(const char *path, const char *ns, const char *buf,
    size_t len, const struct load_options *opts, struct arena *scratch)
{
	return load_buffer_scratch_hashed(path, ns, buf, len,
	    buf != NULL ? hash_bytes(buf, len) : 0, opts, scratch);
}

struct loaded_file *
load_buffer_scratch_hashed(const char *path, const char *ns, const char *buf,
    size_t len, uint64_t content_hash, const struct load_options *opts,
    struct arena *scratch)
{
	struct loaded_file *lf = xcalloc(1, sizeof *lf);
	struct load_state st = { .lf = lf };
	struct yaml_limits limits = { 0, 0 };
	struct ydoc *docs;
	size_t ndocs, names, tree = 0;
	bool parsed = false;

	if (path == NULL)
		path = "";
	if (ns == NULL)
		ns = "default";
	names = strlen(path) + strlen(ns) + 2;
	diag_list_init(&lf->diags);
	if (buf == NULL) {
		/* A source released these bytes (source_blob_release_bytes)
		 * although a build still wanted them: fail this version, so
		 * the file's last good one stays in effect, rather than
		 * parse nothing. */
		arena_init_fitted(&lf->arena, names, 0);
		lf->path = arena_strdup(&lf->arena, path);
		lf->ns = arena_strdup(&lf->arena, ns);
		diag_add(&lf->diags, DIAG_ERROR, lf->path, 0, 0,
		    "the file's bytes were released before it was parsed; it "
		    "is read again at its next change");
		return lf;
	}
	lf->content_hash = content_hash;
	if (opts != NULL) {
		limits.max_alias_nodes = opts->max_alias_nodes;
		limits.max_depth = opts->max_depth;
	}

	arena_reset(scratch);
	if (yaml_parse(path, buf, len, &limits, scratch, &docs, &ndocs,
	    &lf->diags) == 0) {
		parsed = true;
		tree = scratch->total;
	}
	/* Sized from the parsed tree: a file that did not parse keeps only
	 * its names. */
	{
		size_t guess = names + (parsed ? objects_size_guess(tree) : 0);

		arena_init_fitted(&lf->arena, guess, guess / 4);
	}
	lf->path = arena_strdup(&lf->arena, path);
	lf->ns = arena_strdup(&lf->arena, ns);
	if (parsed) {
		/* One object per document but for Lists: the list grows
		 * only for those, and holds no doubled copies otherwise. */
		if (ndocs > 0) {
			lf->objects = ARENA_ARRAY(&lf->arena, struct object *, ndocs);
			st.capobjects = ndocs;
		}
		for (size_t i = 0; i < ndocs; i++)
			load_document(&st, docs[i].root, false);
		objects_size_seen(tree, lf->arena.total - names);
	}
	arena_reset(scratch);

	lf->ok = lf->diags.nerrors == 0;
	if (!lf->ok) {
		lf->objects = NULL;
		lf->nobjects = 0;
	}
	return lf;
}

void
loaded_file_free(struct loaded_file *lf)
{
	if (lf == NULL)
		return;
	arena_free(&lf->arena);
	diag_list_free(&lf->diags);
	free(lf);
}
