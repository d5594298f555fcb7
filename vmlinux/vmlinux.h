/* SPDX-License-Identifier: GPL-2.0-only */
/* Chooses the generated vmlinux.h of the architecture being built for. */
#if defined(__TARGET_ARCH_x86)
#include "x86/vmlinux.h"
#elif defined(__TARGET_ARCH_arm64)
#include "arm64/vmlinux.h"
#else
#error "no vmlinux.h for this architecture: run 'make vmlinux' on one"
#endif
