/* The FQDN ledger's file in the state directory (directory mode, SPEC
 * §6a): fqdn-owners.ledger, read at startup and written atomically after
 * every build that changed it. */
#ifndef CAIRN_OWNERS_FILE_H
#define CAIRN_OWNERS_FILE_H

#include "dag/owners.h"

/* The state directory (lastgood_state_directory: state-directory in
 * cairn.yaml, $CAIRN_STATE_DIRECTORY, systemd's $STATE_DIRECTORY,
 * /var/lib/cairn) plus "/fqdn-owners.ledger". Caller frees. */
char *owners_file_path(const char *configured);
/* Read path into out. A missing file is an empty ledger (0). A file that
 * cannot be read or is corrupt leaves out empty and returns -1 with
 * *why (malloc'd): the caller warns and starts from path order. */
int owners_file_load(const char *path, struct fqdn_ledger *out, char **why);
/* Write l to path through a temporary file, fsync and rename (a crash
 * leaves the old ledger or the new one, never half of one). */
int owners_file_save(const char *path, const struct fqdn_ledger *l, char **why);

#endif
