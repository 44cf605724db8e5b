/* Who owns an FQDN (SPEC §6a): the first-seen order of the claims root
 * HTTPProxies make on FQDNs, and policy.fqdn-owners patterns.
 *
 * A ledger lists every claim (fqdn, namespace/name of the root) with the
 * sequence number it was first seen at; the smallest number keeps the
 * FQDN, the others are DuplicateVhost. The DAG only reads a ledger (pure);
 * the pipeline fills it from what it loads (directory mode, persisted by
 * cmd_serve in the state directory) or from git history (git mode).
 * docs/decisions.md "FQDN ownership" says why it is built this way. */
#ifndef CAIRN_DAG_OWNERS_H
#define CAIRN_DAG_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define FQDN_SEQ_UNSEEN UINT64_MAX
/* An Ingress's claim on a rule's host is recorded under the name
 * "Ingress:NAME" (':' is in no Kubernetes name: no HTTPProxy has it). */
#define FQDN_INGRESS_PREFIX "Ingress:"

struct fqdn_claim {
	char *fqdn, *ns, *name;
	uint64_t seq; /* smaller = seen first */
};

struct fqdn_ledger {
	struct fqdn_claim *items; /* sorted by fqdn, ns, name; unique */
	size_t n, cap;
	uint64_t next_seq; /* the seq the next new claim gets */
	/* Appended: a number no other content of any ledger had, new at
	 * every change (0: not known), so a reader may keep what it found
	 * (the contested FQDNs of the dag cache, parts.c). */
	uint64_t gen;
};

/* A claim being recorded: borrowed strings, origin for the tie-break. */
struct fqdn_claim_ref {
	const char *fqdn, *ns, *name;
	const char *file; /* where the claim is written: the tie-break */
	int line;
};

void fqdn_ledger_init(struct fqdn_ledger *l);
void fqdn_ledger_free(struct fqdn_ledger *l);
/* The seq of ns/name's claim on fqdn, or FQDN_SEQ_UNSEEN. */
uint64_t fqdn_ledger_seq(const struct fqdn_ledger *l, const char *fqdn,
    const char *ns, const char *name);
/* Make l hold exactly claims: known claims keep their seq, claims no
 * longer made are forgotten, new ones get the next seqs in the
 * deterministic tie-break order (fqdn_claim_ref_cmp: file, then line).
 * Returns true when l changed. */
bool fqdn_ledger_record(struct fqdn_ledger *l, const struct fqdn_claim_ref *claims,
    size_t n);
/* Add one claim with a given seq (decoding, git history). */
void fqdn_ledger_put(struct fqdn_ledger *l, const char *fqdn, const char *ns,
    const char *name, uint64_t seq);
/* The FQDNs claimed more than once, sorted, unique (borrowed from l;
 * free the array): the only claims whose order changes a build. */
const char **fqdn_ledger_contested(const struct fqdn_ledger *l, size_t *nout);

/* The ledger as text: "cairn-fqdn-owners 1", "next N", one
 * "SEQ FQDN NS/NAME" line per claim, "end COUNT HASH" (a checksum of
 * what came before, so a torn or edited file is noticed). */
void fqdn_ledger_encode(const struct fqdn_ledger *l, struct strbuf *out);
/* 0, or -1 with *err (malloc'd, "line N: why") and out left empty. */
int fqdn_ledger_decode(struct fqdn_ledger *out, const char *buf, size_t len,
    char **err);

/* The tie-break between claims first seen together: path order. */
int fqdn_claim_ref_cmp(const struct fqdn_claim_ref *a,
    const struct fqdn_claim_ref *b);

/* policy.fqdn-owners: pattern is "host", "*.domain" (any name below
 * domain, as Gateway API hostnames) or "*" (anything). A claim of a
 * wildcard fqdn "*.d" is allowed by "*.d" itself or a pattern covering d's
 * subdomains. */
bool fqdn_pattern_allows(const char *pattern, const char *fqdn);

#endif
