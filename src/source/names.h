/* Which names every source reads (SPEC.md §4): the directory source and
 * the git source skip the same entries and read the same files. */
#ifndef CAIRN_SOURCE_NAMES_H
#define CAIRN_SOURCE_NAMES_H

/* Whether a source skips an entry of this name, directories included
 * (hidden files and editor leftovers). */
int source_name_ignored(const char *name);
/* Whether a file of this name is read (*.yaml, *.yml). */
int source_name_is_yaml(const char *name);

#endif
