/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Container ids from cgroup paths. Each runtime names the container's cgroup after its
 * full id: a bare directory under cgroupfs drivers ("/docker/<id>", "/kubepods/.../<id>"),
 * a "<runtime>-<id>.scope" unit under the systemd driver. Podman and CRI-O also make a
 * scope for conmon, the monitor process, which is not the container.
 */
#include <string.h>

#include "container.h"

static const char *const scope_prefixes[] = {
	"docker-",
	"cri-containerd-",
	"crio-",
	"libpod-",
};

static const char scope_suffix[] = ".scope";

static bool is_hex_id(const char *s, size_t len)
{
	size_t i;

	if (len != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t prefix_len)
{
	return len >= prefix_len && !memcmp(s, prefix, prefix_len);
}

/* A prefix spelled in the code: its length counted by the compiler. */
#define HAS_LITERAL_PREFIX(s, len, literal) has_prefix(s, len, literal, sizeof(literal) - 1)

/*
 * Where the id starts in one path component, or NULL. "crio-conmon-<id>.scope" and
 * "libpod-conmon-<id>.scope" fail because "conmon-<id>" is not 64 hex characters.
 */
static const char *component_id(const char *name, size_t len)
{
	size_t suffix_len = sizeof(scope_suffix) - 1;
	size_t i, prefix_len;

	if (is_hex_id(name, len))
		return name;
	if (HAS_LITERAL_PREFIX(name, len, "crio-conmon-") ||
	    HAS_LITERAL_PREFIX(name, len, "libpod-conmon-"))
		return NULL;
	/* cgroupfs-driven CRI-O names the directory "crio-<id>", without ".scope". */
	if (len > suffix_len && !memcmp(name + len - suffix_len, scope_suffix, suffix_len))
		len -= suffix_len;
	for (i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		prefix_len = strlen(scope_prefixes[i]);
		if (has_prefix(name, len, scope_prefixes[i], prefix_len) &&
		    is_hex_id(name + prefix_len, len - prefix_len))
			return name + prefix_len;
	}
	return NULL;
}

bool container_id_from_cgroup(const char *path, char out[CONTAINER_ID_LEN + 1])
{
	const char *p, *end, *id, *found = NULL;
	size_t i;

	if (!path)
		return false;
	/*
	 * Nested cgroups (a container in a container, podman's "container" subgroup): the
	 * innermost component that names a container is the one the process runs in.
	 */
	for (p = path; *p; p = end) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		id = component_id(p, (size_t)(end - p));
		if (id)
			found = id;
	}
	if (!found)
		return false;
	for (i = 0; i < CONTAINER_ID_LEN; i++) {
		char c = found[i];

		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[CONTAINER_ID_LEN] = '\0';
	return true;
}
