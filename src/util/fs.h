/* File system helpers shared by the sources (the git mirror, the last
 * good state directory). */
#ifndef CAIRN_FS_H
#define CAIRN_FS_H

#include <sys/types.h>

/* mkdir -p: creates path and its missing parents with mode; 0, or -1
 * with errno set when one cannot be created. */
int fs_mkdir_p(const char *path, mode_t mode);

#endif
