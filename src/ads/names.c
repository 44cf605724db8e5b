/* The intern table of src/ads/names.h: a chained hash table keyed by the
 * list's hash, under one mutex. Interning happens when a client changes a
 * subscription, releasing when a stream closes or changes it again: rare
 * next to the reads, which need no lock (lists are immutable). */
#include "ads/names.h"

#include "google/protobuf/struct.pb-c.h"
#include "xds/translate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ads_names **table; /* buckets, a power of two */
static size_t table_cap, table_n;

static uint64_t
hash_list(const char *const *v, size_t n)
{
	struct hash_state *h = hash_begin();

	for (size_t i = 0; i < n; i++)
		hash_update(h, v[i], strlen(v[i]) + 1);
	return hash_end(h);
}

static bool
equal(const struct ads_names *l, const char *const *v, size_t n)
{
	if (l->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(l->v[i], v[i]) != 0)
			return false;
	return true;
}

/* One allocation: the header, the pointers, then the strings. */
static struct ads_names *
make(const char *const *v, size_t n, uint64_t hash)
{
	size_t bytes = 0;
	struct ads_names *l;
	char *p;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(v[i]) + 1;
	l = xmalloc(sizeof *l + n * sizeof l->v[0] + bytes);
	memset(l, 0, sizeof *l);
	atomic_init(&l->refs, 1);
	l->hash = hash;
	l->n = n;
	pthread_mutex_init(&l->sel_mu, NULL);
	p = (char *)&l->v[n];
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;

		memcpy(p, v[i], len);
		l->v[i] = p;
		p += len;
	}
	return l;
}

/* Doubles the table when it is half full. Called with table_mu held. */
static void
grow(void)
{
	size_t cap = table_cap ? table_cap * 2 : 64;
	struct ads_names **t = xcalloc(cap, sizeof *t);

	for (size_t i = 0; i < table_cap; i++) {
		struct ads_names *l = table[i], *next;

		for (; l != NULL; l = next) {
			next = l->next;
			l->next = t[l->hash & (cap - 1)];
			t[l->hash & (cap - 1)] = l;
		}
	}
	free(table);
	table = t;
	table_cap = cap;
}

struct ads_names *
ads_names_intern(const char *const *sorted, size_t n)
{
	uint64_t hash;
	struct ads_names *l, **bucket;

	if (n == 0)
		return NULL;
	hash = hash_list(sorted, n);
	pthread_mutex_lock(&table_mu);
	if (table_cap == 0 || (table_n + 1) * 2 > table_cap)
		grow();
	bucket = &table[hash & (table_cap - 1)];
	for (l = *bucket; l != NULL; l = l->next)
		if (l->hash == hash && equal(l, sorted, n))
			break;
	if (l != NULL) {
		/* refs > 0: a list leaves the table under this lock. */
		atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	} else {
		l = make(sorted, n, hash);
		l->next = *bucket;
		*bucket = l;
		table_n++;
	}
	pthread_mutex_unlock(&table_mu);
	return l;
}

struct ads_names *
ads_names_ref(struct ads_names *l)
{
	if (l != NULL)
		atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	return l;
}

void
ads_names_unref(struct ads_names *l)
{
	struct ads_names **pp;

	if (l == NULL)
		return;
	/* The last reference is dropped under the lock, so that interning
	 * never revives a list that is being freed. */
	pthread_mutex_lock(&table_mu);
	if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1) {
		pthread_mutex_unlock(&table_mu);
		return;
	}
	for (pp = &table[l->hash & (table_cap - 1)]; *pp != l; pp = &(*pp)->next)
		;
	*pp = l->next;
	table_n--;
	if (table_n == 0) {
		/* Nothing interned: give the table back (valgrind-clean). */
		free(table);
		table = NULL;
		table_cap = 0;
	}
	pthread_mutex_unlock(&table_mu);
	pthread_mutex_destroy(&l->sel_mu);
	free(l->sel_idx);
	free(l);
}

bool
ads_names_has(const struct ads_names *l, const char *name)
{
	size_t n = ads_names_count(l), i;

	if (n == 0) /* l may be NULL: no subscription */
		return false;
	i = sorted_search(&name, l->v, n, sizeof l->v[0], sorted_str_cmp);
	return i < n && strcmp(name, l->v[i]) == 0;
}

size_t
ads_names_interned(void)
{
	size_t n;

	pthread_mutex_lock(&table_mu);
	n = table_n;
	pthread_mutex_unlock(&table_mu);
	return n;
}

const char *
ads_node_gateway(const struct Google__Protobuf__Struct *md)
{
	if (md == NULL)
		return NULL;
	for (size_t i = 0; i < md->n_fields; i++) {
		const Google__Protobuf__Struct__FieldsEntry *e = md->fields[i];

		if (e->key != NULL && strcmp(e->key, TRANSLATE_GATEWAY_METADATA) == 0 &&
		    e->value != NULL && e->value->kind_case ==
		    GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
			return e->value->string_value;
	}
	return NULL;
}
