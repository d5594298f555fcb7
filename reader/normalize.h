/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths made comparable across jobs (tracerd diff). The rules, in order, per path:
 *  1. a home directory (/root, /home/NAME) becomes "~";
 *  2. /proc/NUMBER/ becomes /proc/PID/;
 *  3. the name of an entry directly under /tmp, /var/tmp or /dev/shm keeps its prefix up
 *     to its last '-' or '.' and the rest becomes "*" when that rest is 6 or more letters,
 *     digits or '_' (mktemp, mkdtemp: tracerd-e2e-k3j_x9ab -> tracerd-e2e-*); a name with
 *     no '-' or '.' becomes "*" when it is such a run holding a digit;
 *     a name starting "tmp" followed by 5 or more characters anywhere becomes "tmp*";
 *  4. in every component, a run of 8 or more hex digits holding a digit and a letter (and
 *     not after a letter or digit) becomes "H"; a version (digits '.' digits, more dot
 *     groups allowed) becomes "V"; any other run of digits becomes "N", except a run of 1
 *     to 3 digits after a letter, which names things (python3, e2e, x86, sha256).
 */
#ifndef READER_NORMALIZE_H
#define READER_NORMALIZE_H

#include "util.h"

void normalize_path(struct sbuf *out, const char *path);

#endif
