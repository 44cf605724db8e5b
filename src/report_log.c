/* The last build's problem lines, kept in groups: the diagnostics', one
 * per status chunk with conditions (by the chunk's serial), the file
 * rows'. A chunk the new build shares with the last has the same lines:
 * its group is moved over as it is, and only the groups made afresh are
 * compared, line by line, with the hash set of every line the other
 * build has. Without the DAG's chunks (a DAG built whole) every status
 * is one group made afresh, which costs what a full build costs. */
#include "report_log.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct report_log_group {
	uint64_t serial; /* the status chunk's; 0: made at every update */
	bool fresh; /* made by this update (else moved from the last) */
	/* The table's strings once counted (one copy of a line however
	 * many groups have it); those made by this update until then. */
	char **lines;
	size_t n;
};

/* A distinct line and how many times the last build has it. A count of
 * 0 is a line gone, whose slot (and string) stays until the table is
 * remade: no deletion from an open-addressed table, and the update that
 * took the line out still reads it to say it is resolved. */
struct report_log_count {
	char *line; /* NULL: a free slot */
	uint64_t hash;
	size_t count;
};

static uint64_t
line_hash(const char *line)
{
	return hash_bytes(line, strlen(line));
}

/* The slot of line, or the free slot where it would go. */
static struct report_log_count *
count_slot(const struct report_log *log, const char *line, uint64_t h)
{
	size_t mask = log->cap - 1, i = (size_t)h & mask;

	while (log->counts[i].line != NULL && (log->counts[i].hash != h ||
	    strcmp(log->counts[i].line, line) != 0))
		i = (i + 1) & mask;
	return &log->counts[i];
}

static size_t
count_of(const struct report_log *log, const char *line)
{
	return log->cap == 0 ? 0 : count_slot(log, line, line_hash(line))->count;
}

/* A table of at least 4 slots per live line, the gone ones dropped. */
static void
counts_remake(struct report_log *log)
{
	struct report_log_count *old = log->counts;
	size_t oldcap = log->cap;

	log->cap = 16;
	while (log->cap < 4 * (log->live + 1))
		log->cap *= 2;
	log->counts = xcalloc(log->cap, sizeof *log->counts);
	log->used = log->live;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].line == NULL)
			continue;
		if (old[i].count == 0)
			free(old[i].line);
		else
			*count_slot(log, old[i].line, old[i].hash) = old[i];
	}
	free(old);
}

/* Counts *line (made by this update: freed) and points it at the
 * table's copy. */
static void
count_add(struct report_log *log, char **line)
{
	uint64_t h = line_hash(*line);
	struct report_log_count *c;

	if (2 * (log->used + 1) > log->cap)
		counts_remake(log);
	c = count_slot(log, *line, h);
	if (c->line == NULL) {
		*c = (struct report_log_count){ .line = *line, .hash = h };
		log->used++;
	} else {
		free(*line);
	}
	*line = c->line;
	if (c->count++ == 0)
		log->live++;
}

/* line is counted (one of the last build's). */
static void
count_remove(struct report_log *log, const char *line)
{
	struct report_log_count *c = count_slot(log, line, line_hash(line));

	if (--c->count == 0)
		log->live--;
}

/* The groups' arrays: their strings are the table's. */
static void
groups_free(struct report_log_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].lines);
	free(g);
}

/* The groups of an update, in report_lines' order. */
struct group_list {
	struct report_log_group *v;
	size_t n, cap;
};

static void
group_push(struct group_list *l, uint64_t serial, bool fresh,
    struct report_line_list *lines)
{
	ARRAY_PUSH(l->v, l->n, l->cap, ((struct report_log_group){ .serial =
	    serial, .fresh = fresh, .lines = lines->v, .n = lines->n }));
}

/* The last build's groups of status chunks by serial: slot i holds a
 * group's index + 1 (0: free). */
struct serial_index {
	size_t *slot;
	size_t mask;
};

static void
serial_index_init(struct serial_index *ix, const struct report_log *log)
{
	size_t cap = 16;

	while (cap < 2 * (log->ngroups + 1))
		cap *= 2;
	ix->slot = xcalloc(cap, sizeof *ix->slot);
	ix->mask = cap - 1;
	for (size_t g = 0; g < log->ngroups; g++) {
		size_t i = (size_t)log->groups[g].serial & ix->mask;

		if (log->groups[g].serial == 0)
			continue;
		while (ix->slot[i] != 0)
			i = (i + 1) & ix->mask;
		ix->slot[i] = g + 1;
	}
}

/* The last build's group of chunk serial, still unmoved, or NULL (a
 * status group has lines: one per condition, and it has some). */
static struct report_log_group *
serial_index_find(const struct serial_index *ix, struct report_log *log,
    uint64_t serial)
{
	for (size_t i = (size_t)serial & ix->mask; ix->slot[i] != 0;
	    i = (i + 1) & ix->mask) {
		struct report_log_group *g = &log->groups[ix->slot[i] - 1];

		if (g->serial == serial)
			return g->lines != NULL ? g : NULL;
	}
	return NULL;
}

/* r's status groups: a chunk without conditions has no line, one the
 * last build had keeps its lines (taken from log's group, left empty). */
static void
status_groups(struct group_list *out, struct report_log *log,
    const struct dag *dag)
{
	struct serial_index ix;
	struct dag_status_span span;

	serial_index_init(&ix, log);
	for (size_t c = 0; dag_status_span_at(dag, c, &span); c++) {
		struct report_log_group *last;
		struct report_line_list lines = { 0 };

		if (span.nconditions == 0)
			continue;
		last = span.serial != 0 ?
		    serial_index_find(&ix, log, span.serial) : NULL;
		if (last != NULL) {
			lines = (struct report_line_list){ .v = last->lines,
			    .n = last->n };
			*last = (struct report_log_group){ .serial = last->serial };
			group_push(out, span.serial, false, &lines);
			continue;
		}
		report_status_lines(&lines, span.s, span.n);
		group_push(out, span.serial, true, &lines);
	}
	free(ix.slot);
}

void
report_log_update(struct report_log *log, const struct build_result *r,
    report_log_emit_fn *emit, void *arg)
{
	struct group_list next = { 0 };
	struct report_line_list diags = { 0 }, files = { 0 };

	report_diag_lines(&diags, r);
	group_push(&next, 0, true, &diags);
	status_groups(&next, log, r->dag);
	report_file_lines(&files, r);
	group_push(&next, 0, true, &files);

	log->made = 0;
	for (size_t g = 0; g < next.n; g++)
		log->made += next.v[g].fresh ? next.v[g].n : 0;
	/* New: not a line of the last build. Moved groups' lines are. */
	for (size_t g = 0; g < next.n; g++)
		for (size_t i = 0; next.v[g].fresh && i < next.v[g].n; i++)
			if (count_of(log, next.v[g].lines[i]) == 0)
				emit(arg, next.v[g].lines[i], false);
	for (size_t g = 0; g < next.n; g++)
		for (size_t i = 0; next.v[g].fresh && i < next.v[g].n; i++)
			count_add(log, &next.v[g].lines[i]);
	/* What is left of the last build's groups is not r's: its lines
	 * are resolved unless r has them elsewhere. */
	for (size_t g = 0; g < log->ngroups; g++)
		for (size_t i = 0; i < log->groups[g].n; i++)
			count_remove(log, log->groups[g].lines[i]);
	for (size_t g = 0; g < log->ngroups; g++)
		for (size_t i = 0; i < log->groups[g].n; i++)
			if (count_of(log, log->groups[g].lines[i]) == 0)
				emit(arg, log->groups[g].lines[i], true);
	groups_free(log->groups, log->ngroups);
	log->groups = next.v;
	log->ngroups = next.n;
}

size_t
report_log_nlines(const struct report_log *log)
{
	size_t n = 0;

	for (size_t g = 0; g < log->ngroups; g++)
		n += log->groups[g].n;
	return n;
}

void
report_log_free(struct report_log *log)
{
	groups_free(log->groups, log->ngroups);
	for (size_t i = 0; i < log->cap; i++)
		free(log->counts[i].line);
	free(log->counts);
	*log = (struct report_log){ 0 };
}
