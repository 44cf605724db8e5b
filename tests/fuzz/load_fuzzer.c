/* The loader on arbitrary bytes (SPEC.md §4 "Limits", §5): libyaml, the
 * tree builder with its alias and nesting limits, and every schema table.
 * Properties beyond "no crash, no leak, no undefined behaviour":
 *   - a file is all or nothing: ok <=> no errors, and no objects when not ok;
 *   - every diagnostic names the file, every error has a line;
 *   - objects of an ok file have a name and the directory's namespace. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_ns.h"
#include "load/load.h"
#include "util/log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "ns/fuzz.yaml";
	char ns[64], line[2048];
	struct loaded_file *lf;

	/* max-file-bytes keeps real inputs far below this; larger inputs
	 * only slow the fuzzer down. */
	if (size > (1 << 20))
		return 0;
	fuzz_namespace_of((const char *)data, size, ns, sizeof ns);
	lf = load_buffer(path, ns, (const char *)data, size, NULL);

	FUZZ_CHECK(lf->ok == (lf->diags.nerrors == 0));
	if (!lf->ok)
		FUZZ_CHECK(lf->nobjects == 0 && lf->objects == NULL);
	for (size_t i = 0; i < lf->diags.n; i++) {
		const struct diag *d = &lf->diags.items[i];

		FUZZ_CHECK(strcmp(d->file, path) == 0);
		FUZZ_CHECK(d->line >= 0 && d->col >= 0);
		if (d->severity == DIAG_ERROR)
			FUZZ_CHECK(d->line > 0);
		diag_format(d, line, sizeof line);
	}
	for (size_t i = 0; i < lf->nobjects; i++) {
		const struct object *o = lf->objects[i];

		FUZZ_CHECK(o->meta.name != NULL && o->meta.name[0] != '\0');
		FUZZ_CHECK(o->meta.namespace != NULL &&
		    strcmp(o->meta.namespace, ns) == 0);
		FUZZ_CHECK(o->kind < OBJ_KIND_COUNT);
	}
	loaded_file_free(lf);
	return 0;
}
