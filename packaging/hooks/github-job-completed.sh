#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# GitHub Actions self-hosted runner: ACTIONS_RUNNER_HOOK_JOB_COMPLETED=@PKGLIBDIR@/github-job-completed.sh
# in the runner's .env. Runs as the runner's user; a non-zero exit fails the job.
exec "$(dirname "$0")/tracerd-hook" stop
