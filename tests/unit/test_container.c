/* SPDX-License-Identifier: GPL-2.0-only */
/* container.c: the cgroup paths each runtime and cgroup driver produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void assert_id(const char *path, const char *expected)
{
	char out[CONTAINER_ID_LEN + 1];

	memset(out, 'X', sizeof(out));
	assert_true(container_id_from_cgroup(path, out));
	assert_string_equal(out, expected);
}

static void assert_no_id(const char *path)
{
	char out[CONTAINER_ID_LEN + 1] = "untouched";

	assert_false(container_id_from_cgroup(path, out));
	assert_string_equal(out, "untouched");
}

static void test_docker(void **state)
{
	/* cgroupfs driver, and the systemd driver. */
	assert_id("/docker/" ID, ID);
	assert_id("/system.slice/docker-" ID ".scope", ID);
	/* Rootless docker under the user's systemd instance. */
	assert_id("/user.slice/user-1000.slice/user@1000.service/docker-" ID ".scope", ID);
	/* A single directory name is enough. */
	assert_id("docker-" ID ".scope", ID);
	assert_id(ID, ID);
}

static void test_containerd_and_kubernetes(void **state)
{
	assert_id("/kubepods.slice/kubepods-besteffort.slice/"
		  "kubepods-besteffort-pod3f1c0a2e_5b8d_4c1e_9f00_0123456789ab.slice/"
		  "cri-containerd-" ID ".scope",
		  ID);
	assert_id("/kubepods/burstable/pod3f1c0a2e-5b8d-4c1e-9f00-0123456789ab/" ID, ID);
	assert_id("cri-containerd-" ID ".scope", ID);
}

static void test_crio(void **state)
{
	assert_id("/kubepods.slice/kubepods-pod1.slice/crio-" ID ".scope", ID);
	/* cgroupfs driver: no ".scope". */
	assert_id("/kubepods/pod1/crio-" ID, ID);
	/* conmon, the container's monitor, is not the container. */
	assert_no_id("/kubepods.slice/kubepods-pod1.slice/crio-conmon-" ID ".scope");
	assert_no_id("crio-conmon-" ID ".scope");
}

static void test_podman(void **state)
{
	assert_id("/machine.slice/libpod-" ID ".scope", ID);
	/* cgroup v2 podman puts the payload in a "container" subgroup. */
	assert_id("/machine.slice/libpod-" ID ".scope/container", ID);
	assert_id("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
		  ID);
	assert_no_id("/machine.slice/libpod-conmon-" ID ".scope");
	assert_no_id("libpod-conmon-" ID ".scope");
}

static void test_last_component_wins(void **state)
{
	/* Docker in docker: the inner container is where the process runs. */
	assert_id("/docker/" ID "/docker/" ID2, ID2);
	assert_id("/system.slice/docker-" ID ".scope/docker/" ID2, ID2);
	/* A component that names nothing does not undo an earlier match. */
	assert_id("/docker/" ID "/init.scope", ID);
	assert_id("/docker/" ID "/", ID);
	assert_id("//docker//" ID "//", ID);
}

static void test_uppercase_normalised(void **state)
{
	assert_id("/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", ID);
}

static void test_not_containers(void **state)
{
	assert_no_id(NULL);
	assert_no_id("");
	assert_no_id("/");
	assert_no_id("/init.scope");
	assert_no_id("/system.slice/ssh.service");
	assert_no_id("/user.slice/user-1000.slice/session-3.scope");
	assert_no_id("/system.slice/docker.service");
	assert_no_id("/docker");
	assert_no_id("/kubepods/burstable/pod3f1c0a2e-5b8d-4c1e-9f00-0123456789ab");
	/* Other runtimes' prefixes, and scopes with a missing or extra part. */
	assert_no_id("/system.slice/rkt-" ID ".scope");
	assert_no_id("/system.slice/docker" ID ".scope");
	assert_no_id("/system.slice/-" ID ".scope");
	assert_no_id("/system.slice/docker-" ID ".scope.bak");
	assert_no_id("/system.slice/docker-" ID ".service");
}

static void test_id_must_be_exactly_64_hex(void **state)
{
	char path[256];

	/* 63 and 65 characters. */
	assert_no_id("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
	assert_no_id("/docker/" ID "0");
	assert_no_id("docker-" ID "0.scope");
	assert_no_id("docker-" ID ".scope" ID);
	/* A non-hex character anywhere. */
	for (size_t i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/docker/%s", ID);
		path[8 + i] = 'g';
		assert_no_id(path);
		snprintf(path, sizeof(path), "docker-%s.scope", ID);
		path[7 + i] = 'z';
		assert_no_id(path);
	}
	assert_no_id("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd-f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_containerd_and_kubernetes),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_last_component_wins),
		cmocka_unit_test(test_uppercase_normalised),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_id_must_be_exactly_64_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
