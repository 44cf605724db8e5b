/* `cairn diff --running`: the daemon's /debug/xds/pb answer read back into
 * a snapshot (diff.h). The answer comes from a network peer: every line is
 * checked, and a line that is not "TYPE_URL\tNAME\tBASE64" (or a "#"
 * comment) is reported and skipped (tests/fuzz/running_fuzzer.c tries it with hostile bytes). */
#include "diff/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

struct snapshot *
diff_snapshot_from_pb(char *body, const char *revision, const char *origin,
    FILE *warn)
{
	struct snapshot_builder *b = snapshot_builder_new(revision);
	char *line, *save = NULL;

	for (line = strtok_r(body, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *name = strchr(line, '\t'), *data;
		enum xds_type type;
		uint8_t *bytes;
		size_t len;

		/* A comment: the Gateway the daemon selected (side_running
		 * checks it). */
		if (line[0] == '#')
			continue;
		data = name ? strchr(name + 1, '\t') : NULL;
		if (data == NULL) {
			if (warn)
				fprintf(warn, "cairn diff: %s: malformed line\n", origin);
			continue;
		}
		*name++ = '\0';
		*data++ = '\0';
		if (xds_type_from_url(line, &type) < 0)
			continue;
		bytes = xmalloc(strlen(data) + 1);
		if (base64_decode(data, strlen(data), bytes, &len) == 0)
			snapshot_builder_add(b, type, name, bytes, len, false);
		else if (warn)
			fprintf(warn, "cairn diff: %s: bad base64 for %s\n", origin,
			    name);
		free(bytes);
	}
	return snapshot_builder_finish(b);
}
