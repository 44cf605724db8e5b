/* The FQDN ownership ledger (src/dag/owners.c): fqdn-owners.ledger in the
 * state directory may be torn, edited or corrupt; it is decoded at every
 * start (src/owners_file.c).
 *
 * Input: any bytes, used twice.
 *   1. As a ledger file. One that decodes has its claims sorted and unique
 *      with every seq below "next"; encoding it and decoding that gives the
 *      same ledger, and encoding is then stable (the same bytes).
 *   2. As claims: a first line with the ledger's starting "next", then one
 *      "FQDN\tNAMESPACE\tNAME" line per claim (any bytes but tab and
 *      newline). fqdn_ledger_record() of them holds each distinct claim
 *      once, with a seq below next; recording them again changes nothing;
 *      the contested FQDNs are sorted and unique. decode(encode(l)) is l
 *      itself or an error, never another ledger; an error only when a name
 *      is outside what the file can hold (empty, longer than 253, a space,
 *      a control or non-ASCII byte, a '/' in the namespace or name) or a
 *      seq has more than 19 digits. */
#include <stdlib.h>
#include <string.h>

#include "dag/owners.h"
#include "fuzz.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_CLAIMS 256

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
check_sorted(const struct fqdn_ledger *l)
{
	for (size_t i = 0; i < l->n; i++) {
		FUZZ_CHECK(l->items[i].seq < l->next_seq);
		if (i > 0) {
			const struct fqdn_claim *a = &l->items[i - 1], *b = &l->items[i];
			int c = strcmp(a->fqdn, b->fqdn);

			if (c == 0)
				c = strcmp(a->ns, b->ns);
			if (c == 0)
				c = strcmp(a->name, b->name);
			FUZZ_CHECK(c < 0);
		}
	}
}

static bool
ledger_equal(const struct fqdn_ledger *a, const struct fqdn_ledger *b)
{
	if (a->n != b->n || a->next_seq != b->next_seq)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].fqdn, b->items[i].fqdn) != 0 ||
		    strcmp(a->items[i].ns, b->items[i].ns) != 0 ||
		    strcmp(a->items[i].name, b->items[i].name) != 0 ||
		    a->items[i].seq != b->items[i].seq)
			return false;
	return true;
}

/* decode(encode(l)): l or an error. Returns whether it decoded. */
static bool
round_trip(const struct fqdn_ledger *l)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct fqdn_ledger d;
	char *err = NULL;
	bool ok;

	fqdn_ledger_encode(l, &a);
	ok = fqdn_ledger_decode(&d, a.buf, a.len, &err) == 0;
	if (ok) {
		FUZZ_CHECK(err == NULL);
		FUZZ_CHECK(ledger_equal(l, &d));
		fqdn_ledger_encode(&d, &b);
		FUZZ_CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	} else {
		FUZZ_CHECK(err != NULL && strncmp(err, "line ", 5) == 0);
		FUZZ_CHECK(d.n == 0 && d.items == NULL);
	}
	fqdn_ledger_free(&d);
	free(err);
	strbuf_free(&a);
	strbuf_free(&b);
	return ok;
}

static void
as_file(const uint8_t *data, size_t size)
{
	char *buf = xmalloc(size ? size : 1), *err = NULL;
	struct fqdn_ledger l;

	memcpy(buf, data, size); /* exactly sized: ASan sees a read past it */
	if (fqdn_ledger_decode(&l, buf, size, &err) == 0) {
		FUZZ_CHECK(err == NULL);
		check_sorted(&l);
		FUZZ_CHECK(round_trip(&l));
	} else {
		FUZZ_CHECK(err != NULL && l.n == 0 && l.items == NULL);
	}
	fqdn_ledger_free(&l);
	free(err);
	free(buf);
}

/* A name the file can hold (see the top). */
static bool
storable(const char *s, bool slash_ok)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    (!slash_ok && s[i] == '/'))
			return false;
	return true;
}

static void
as_claims(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *line, *save = NULL;
	struct fqdn_claim_ref claims[MAX_CLAIMS];
	struct fqdn_ledger l, before;
	size_t n = 0, ncontested;
	const char **contested;
	bool all_storable = true;

	memcpy(text, data, size);
	text[size] = '\0';
	fqdn_ledger_init(&l);
	line = strtok_r(text, "\n", &save);
	if (line == NULL)
		goto out;
	l.next_seq = strtoull(line, NULL, 10);
	if (l.next_seq > UINT64_MAX - MAX_CLAIMS)
		l.next_seq = UINT64_MAX - MAX_CLAIMS;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && n < MAX_CLAIMS) {
		char *ns = strchr(line, '\t'), *name;

		name = ns ? strchr(ns + 1, '\t') : NULL;
		if (name == NULL)
			continue;
		*ns++ = '\0';
		*name++ = '\0';
		claims[n] = (struct fqdn_claim_ref){ line, ns, name, "fuzz.yaml",
			(int)n + 1 };
		if (!storable(line, true) || !storable(ns, false) ||
		    !storable(name, false))
			all_storable = false;
		n++;
	}
	FUZZ_CHECK(fqdn_ledger_record(&l, claims, n) == (n > 0));
	check_sorted(&l);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(fqdn_ledger_seq(&l, claims[i].fqdn, claims[i].ns,
		    claims[i].name) < l.next_seq);
	FUZZ_CHECK(l.n <= n);
	/* Recording the same claims again: nothing changes. */
	fqdn_ledger_init(&before);
	for (size_t i = 0; i < l.n; i++)
		fqdn_ledger_put(&before, l.items[i].fqdn, l.items[i].ns,
		    l.items[i].name, l.items[i].seq);
	before.next_seq = l.next_seq;
	FUZZ_CHECK(ledger_equal(&before, &l));
	FUZZ_CHECK(!fqdn_ledger_record(&l, claims, n));
	FUZZ_CHECK(ledger_equal(&before, &l));
	fqdn_ledger_free(&before);
	contested = fqdn_ledger_contested(&l, &ncontested);
	for (size_t i = 1; i < ncontested; i++)
		FUZZ_CHECK(strcmp(contested[i - 1], contested[i]) < 0);
	free(contested);
	if (round_trip(&l) == false)
		FUZZ_CHECK(!all_storable || l.next_seq > 9999999999999999999ULL);
out:
	fqdn_ledger_free(&l);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_file(data, size);
	as_claims(data, size);
	return 0;
}
