/* FQDN ownership: the ledger of first-seen claims and fqdn-owners
 * patterns (owners.h). No I/O here: cmd_serve reads and writes the file. */
#include "dag/owners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

#define LEDGER_MAGIC "cairn-fqdn-owners 1"

/* The next ledger content's gen (struct fqdn_ledger). */
static void
ledger_changed(struct fqdn_ledger *l)
{
	static _Atomic uint64_t gens;

	l->gen = ++gens;
}

void
fqdn_ledger_init(struct fqdn_ledger *l)
{
	memset(l, 0, sizeof *l);
	ledger_changed(l);
}

static void
claim_clear(struct fqdn_claim *c)
{
	free(c->fqdn);
	free(c->ns);
	free(c->name);
}

void
fqdn_ledger_free(struct fqdn_ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		claim_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
	ledger_changed(l);
}

static int
key_cmp(const char *fqdn, const char *ns, const char *name,
    const struct fqdn_claim *c)
{
	int r = strcmp(fqdn, c->fqdn);

	if (r == 0)
		r = strcmp(ns, c->ns);
	if (r == 0)
		r = strcmp(name, c->name);
	return r;
}

struct claim_search {
	const char *fqdn, *ns, *name;
};

static int
claim_search_cmp(const void *key, const void *elem)
{
	const struct claim_search *k = key;

	return key_cmp(k->fqdn, k->ns, k->name, elem);
}

/* The index of the claim, or where it would go (*found false). */
static size_t
ledger_find(const struct fqdn_ledger *l, const char *fqdn, const char *ns,
    const char *name, bool *found)
{
	struct claim_search k = { fqdn, ns, name };
	size_t i = sorted_search(&k, l->items, l->n, sizeof l->items[0],
	    claim_search_cmp);

	*found = i < l->n && claim_search_cmp(&k, &l->items[i]) == 0;
	return i;
}

uint64_t
fqdn_ledger_seq(const struct fqdn_ledger *l, const char *fqdn, const char *ns,
    const char *name)
{
	bool found;
	size_t i;

	if (l == NULL || l->n == 0)
		return FQDN_SEQ_UNSEEN;
	i = ledger_find(l, fqdn, ns, name, &found);
	return found ? l->items[i].seq : FQDN_SEQ_UNSEEN;
}

void
fqdn_ledger_put(struct fqdn_ledger *l, const char *fqdn, const char *ns,
    const char *name, uint64_t seq)
{
	bool found;
	size_t i = ledger_find(l, fqdn, ns, name, &found);

	if (found) {
		l->items[i].seq = seq;
	} else {
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 16;
			l->items = xreallocarray(l->items, l->cap, sizeof *l->items);
		}
		memmove(&l->items[i + 1], &l->items[i],
		    (l->n - i) * sizeof l->items[0]);
		l->items[i] = (struct fqdn_claim){ xstrdup(fqdn), xstrdup(ns),
			xstrdup(name), seq };
		l->n++;
	}
	if (seq != FQDN_SEQ_UNSEEN && seq >= l->next_seq)
		l->next_seq = seq + 1;
	ledger_changed(l);
}

int
fqdn_claim_ref_cmp(const struct fqdn_claim_ref *a, const struct fqdn_claim_ref *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if ((c = strcmp(a->ns, b->ns)) != 0)
		return c;
	return strcmp(a->name, b->name);
}

static int
ref_ptr_cmp(const void *x, const void *y)
{
	return fqdn_claim_ref_cmp(*(const struct fqdn_claim_ref *const *)x,
	    *(const struct fqdn_claim_ref *const *)y);
}

static int
ref_key_cmp(const void *x, const void *y)
{
	const struct fqdn_claim_ref *a = x, *b = y;
	int c = strcmp(a->fqdn, b->fqdn);

	if (c == 0)
		c = strcmp(a->ns, b->ns);
	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0)
		c = fqdn_claim_ref_cmp(a, b); /* a duplicate: keep the first */
	return c;
}

bool
fqdn_ledger_record(struct fqdn_ledger *l, const struct fqdn_claim_ref *claims,
    size_t n)
{
	struct fqdn_claim_ref *sorted = xreallocarray(NULL, n + 1, sizeof *sorted);
	const struct fqdn_claim_ref **fresh = xreallocarray(NULL, n + 1,
	    sizeof *fresh);
	struct fqdn_claim *next = xreallocarray(NULL, n + 1, sizeof *next);
	size_t nn = 0, nfresh = 0, i = 0;
	bool changed = false;

	if (n > 0) /* claims may be NULL then: no memcpy(NULL) (UBSan) */
		memcpy(sorted, claims, n * sizeof *claims);
	qsort(sorted, n, sizeof *sorted, ref_key_cmp);
	/* Merge the sorted claims with the sorted ledger. */
	for (size_t k = 0; k < n; k++) {
		const struct fqdn_claim_ref *r = &sorted[k];
		int c = 1;

		if (nn > 0 && strcmp(next[nn - 1].fqdn, r->fqdn) == 0 &&
		    strcmp(next[nn - 1].ns, r->ns) == 0 &&
		    strcmp(next[nn - 1].name, r->name) == 0)
			continue; /* the same object twice (DuplicateObject) */
		while (i < l->n && (c = key_cmp(r->fqdn, r->ns, r->name,
		    &l->items[i])) > 0) {
			claim_clear(&l->items[i++]); /* no longer claimed */
			changed = true;
		}
		if (i < l->n && c == 0) {
			next[nn++] = l->items[i++];
			continue;
		}
		next[nn++] = (struct fqdn_claim){ xstrdup(r->fqdn), xstrdup(r->ns),
			xstrdup(r->name), FQDN_SEQ_UNSEEN };
		fresh[nfresh++] = r;
		changed = true;
	}
	for (; i < l->n; i++) {
		claim_clear(&l->items[i]);
		changed = true;
	}
	free(l->items);
	l->items = next;
	l->n = nn;
	l->cap = n + 1;
	/* New claims: seqs in path order, so the order they were seen in
	 * does not depend on which build saw them or how they are named. */
	qsort(fresh, nfresh, sizeof *fresh, ref_ptr_cmp);
	for (size_t k = 0; k < nfresh; k++) {
		bool found;
		size_t at = ledger_find(l, fresh[k]->fqdn, fresh[k]->ns,
		    fresh[k]->name, &found);

		l->items[at].seq = l->next_seq++;
	}
	free(fresh);
	free(sorted);
	ledger_changed(l);
	return changed;
}

const char **
fqdn_ledger_contested(const struct fqdn_ledger *l, size_t *nout)
{
	const char **out = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 1; l != NULL && i < l->n; i++)
		if (strcmp(l->items[i - 1].fqdn, l->items[i].fqdn) == 0 &&
		    (n == 0 || strcmp(out[n - 1], l->items[i].fqdn) != 0))
			ARRAY_PUSH(out, n, cap, l->items[i].fqdn);
	*nout = n;
	return out;
}

/* --- the file ---------------------------------------------------------- */

void
fqdn_ledger_encode(const struct fqdn_ledger *l, struct strbuf *out)
{
	size_t start = out->len;
	char hex[17];

	strbuf_printf(out, "%s\nnext %llu\n", LEDGER_MAGIC,
	    (unsigned long long)l->next_seq);
	for (size_t i = 0; i < l->n; i++)
		strbuf_printf(out, "%llu %s %s/%s\n",
		    (unsigned long long)l->items[i].seq, l->items[i].fqdn,
		    l->items[i].ns, l->items[i].name);
	hash_hex(hash_bytes(out->buf + start, out->len - start), hex);
	strbuf_printf(out, "end %zu %s\n", l->n, hex);
}

/* A name of the ledger: no spaces, no control bytes, not empty. */
static bool
word_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int
decode_fail(struct fqdn_ledger *out, char **err, int line, const char *why)
{
	fqdn_ledger_free(out);
	*err = xasprintf("line %d: %s", line, why);
	return -1;
}

int
fqdn_ledger_decode(struct fqdn_ledger *out, const char *buf, size_t len,
    char **err)
{
	const char *p = buf, *end = buf + len;
	int line = 0;
	bool ended = false;
	uint64_t next = 0;

	fqdn_ledger_init(out);
	*err = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		line++;
		if (nl == NULL)
			return decode_fail(out, err, line, "truncated (no newline)");
		n = (size_t)(nl - p);
		if (ended)
			return decode_fail(out, err, line, "text after the end line");
		if (memchr(p, '\0', n) != NULL)
			return decode_fail(out, err, line, "a NUL byte");
		if (line == 1) {
			if (n != strlen(LEDGER_MAGIC) || memcmp(p, LEDGER_MAGIC, n) != 0)
				return decode_fail(out, err, line, "not a cairn "
				    "fqdn-owners ledger (or another version)");
		} else if (line == 2) {
			if (n < 6 || memcmp(p, "next ", 5) != 0 ||
			    !parse_u64(p + 5, n - 5, &next))
				return decode_fail(out, err, line, "expected "
				    "\"next N\"");
		} else if (n >= 4 && memcmp(p, "end ", 4) == 0) {
			char want[64], hex[17];

			hash_hex(hash_bytes(buf, (size_t)(p - buf)), hex);
			snprintf(want, sizeof want, "end %zu %s", out->n, hex);
			if (n != strlen(want) || memcmp(p, want, n) != 0)
				return decode_fail(out, err, line, "the count or "
				    "checksum does not match the claims");
			ended = true;
		} else {
			const char *sp1 = memchr(p, ' ', n), *sp2, *slash;
			uint64_t seq;
			char *fqdn, *ns, *name;
			bool found;
			size_t at;

			sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1)) : NULL;
			slash = sp2 ? memchr(sp2 + 1, '/', (size_t)(nl - sp2 - 1)) : NULL;
			if (slash == NULL || !parse_u64(p, (size_t)(sp1 - p), &seq) ||
			    !word_ok(sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
			    !word_ok(sp2 + 1, (size_t)(slash - sp2 - 1)) ||
			    !word_ok(slash + 1, (size_t)(nl - slash - 1)) ||
			    memchr(slash + 1, '/', (size_t)(nl - slash - 1)))
				return decode_fail(out, err, line, "expected "
				    "\"SEQ FQDN NAMESPACE/NAME\"");
			if (seq >= next)
				return decode_fail(out, err, line, "a seq not "
				    "below \"next\"");
			fqdn = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
			ns = xstrndup(sp2 + 1, (size_t)(slash - sp2 - 1));
			name = xstrndup(slash + 1, (size_t)(nl - slash - 1));
			at = ledger_find(out, fqdn, ns, name, &found);
			free(fqdn);
			free(ns);
			free(name);
			if (found || at != out->n)
				return decode_fail(out, err, line, "claims are "
				    "not sorted or repeat");
			if (out->n == out->cap) {
				out->cap = out->cap ? 2 * out->cap : 16;
				out->items = xreallocarray(out->items, out->cap,
				    sizeof *out->items);
			}
			out->items[out->n++] = (struct fqdn_claim){
				xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1)),
				xstrndup(sp2 + 1, (size_t)(slash - sp2 - 1)),
				xstrndup(slash + 1, (size_t)(nl - slash - 1)), seq };
		}
		p = nl + 1;
	}
	if (line < 2)
		return decode_fail(out, err, line ? line : 1, "empty or truncated");
	if (!ended)
		return decode_fail(out, err, line, "truncated (no end line)");
	out->next_seq = next;
	ledger_changed(out);
	return 0;
}

/* --- policy.fqdn-owners ------------------------------------------------- */

/* s ends with ".suffix" and has at least one label before it. */
static bool
strictly_below(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m + 1 && s[n - m - 1] == '.' &&
	    strcasecmp(s + n - m, suffix) == 0;
}

bool
fqdn_pattern_allows(const char *pattern, const char *fqdn)
{
	bool wild = strncmp(fqdn, "*.", 2) == 0;
	const char *base = wild ? fqdn + 2 : fqdn;

	if (strcmp(pattern, "*") == 0)
		return true;
	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, fqdn) == 0;
	pattern += 2;
	return strictly_below(base, pattern) ||
	    (wild && strcasecmp(base, pattern) == 0);
}
