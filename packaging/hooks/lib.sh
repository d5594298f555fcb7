# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Shared by tracerd's runner hooks (tracerd-hook), its root wrapper (tracerd-job) and its
# uploader (tracerd-upload): the --job-id rule, the mapping of runner values onto it, and
# logging. Sourced, never run. The callers set LC_ALL=C first, so that character classes
# below are ASCII and ${#var} counts bytes.

# tracerd's --job-id rule: 1-128 characters of [A-Za-z0-9._-], not starting with '-',
# not '.' or '..'. Repository keys and upload partition values follow the same rule, which
# also keeps them free of '/' and '=' (the separators of a hive-partitioned path).
tracerd_valid_id()
{
	case $1 in
	'' | . | .. | -* | *[!A-Za-z0-9._-]*) return 1 ;;
	esac
	[ "${#1}" -le 128 ]
}

# Every byte outside [A-Za-z0-9._-] becomes '_' (a multibyte character becomes several).
tracerd_sanitize()
{
	printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'
}

# tracerd_map_id RAW [SANITIZED]: print a valid id for RAW. RAW is kept as it is when it is
# already valid. Otherwise it is sanitized (or SANITIZED is used), a leading '-' becomes
# '_', and a '-' plus the first 10 hex digits of RAW's SHA-256 are appended, the sanitized
# part cut to fit 128: two different raw values that sanitize or cut to the same text
# still get different ids (a collision would need equal hash prefixes: 1 in 2^40).
tracerd_map_id()
{
	raw=$1
	if tracerd_valid_id "$raw"; then
		printf '%s\n' "$raw"
		return 0
	fi
	clean=${2-$(tracerd_sanitize "$raw")}
	case $clean in -*) clean="_${clean#-}" ;; esac
	hash=$(printf '%s' "$raw" | sha256sum | cut -c1-10)
	printf '%s-%s\n' "$(printf '%s' "$clean" | cut -c1-117)" "$hash"
}

# The repository key of a fleet partition: OWNER/NAME -> OWNER_NAME (GitLab's
# group/subgroup/project -> group_subgroup_project). Only the '/' separators are replaced
# without a hash; any other change (a space, non-ASCII, a cut) adds the hash suffix.
tracerd_repo_key()
{
	raw=$1
	[ -n "$raw" ] || raw=unknown
	slashless=$(printf '%s' "$raw" | tr '/' '_')
	if tracerd_valid_id "$slashless"; then
		printf '%s\n' "$slashless"
		return 0
	fi
	tracerd_map_id "$raw" "$(tracerd_sanitize "$slashless")"
}

tracerd_valid_date()
{
	case $1 in
	[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]) return 0 ;;
	esac
	return 1
}

# One line on stderr, and the same line in the journal (syslog priority $1) when a
# logger is there to take it: the hooks' output lands in the runner's log, the journal
# keeps it on the machine.
tracerd_log()
{
	prio=$1
	shift
	printf '%s: %s\n' "${TRACERD_LOG_TAG:-tracerd}" "$*" >&2
	if [ -z "${TRACERD_NO_JOURNAL:-}" ] && command -v logger >/dev/null 2>&1; then
		logger -t "${TRACERD_LOG_TAG:-tracerd}" -p "user.$prio" -- "$*" 2>/dev/null || :
	fi
}
