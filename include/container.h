/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRACERD_CONTAINER_H
#define TRACERD_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#define CONTAINER_ID_LEN 64

/*
 * Finds a container id in a cgroup path or a single cgroup directory name:
 * "/docker/<64hex>", "docker-<64hex>.scope", "cri-containerd-<64hex>.scope",
 * "crio-<64hex>.scope", "crio-conmon-<64hex>.scope" (not a container: conmon),
 * "libpod-<64hex>.scope", "libpod-conmon-<64hex>.scope" (not a container),
 * "/kubepods/.../<64hex>". The last path component that names one wins.
 * Writes 64 lowercase hex characters and a NUL into out; returns true when found.
 */
bool container_id_from_cgroup(const char *path, char out[CONTAINER_ID_LEN + 1]);

#endif
