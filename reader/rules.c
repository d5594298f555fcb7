// SPDX-License-Identifier: GPL-2.0-only
/* The policy: built-in defaults and the rules-file parser (format in rules.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "util.h"

const struct rule_info rule_table[RULE_COUNT] = {
	[RULE_INSTALL_DOWNLOADER] = { "install-downloader", SEV_ERROR,
				      "a package-install step ran a downloader" },
	[RULE_INSTALL_SHELL] = { "install-shell", SEV_NOTE, "a package-install step ran a shell" },
	[RULE_PIPE_TO_SHELL] = { "pipe-to-shell", SEV_ERROR,
				 "a download piped into a shell (curl | sh)" },
	[RULE_PROC_MEMORY] = { "proc-memory-read", SEV_ERROR,
			       "another process's memory or environment was read" },
	[RULE_CREDENTIAL_READ] = { "credential-read", SEV_ERROR,
				   "a credential file was read by a program that does not own it" },
	[RULE_HOST_NOT_ALLOWED] = { "host-not-allowed", SEV_ERROR,
				    "a connection to a host outside the allow-list" },
	[RULE_EXEC_FROM_TEMP] = { "exec-from-temp", SEV_ERROR,
				  "a binary ran from /tmp, /dev/shm or memory" },
	[RULE_LISTENER] = { "listener", SEV_WARNING, "a listening socket was opened" },
	[RULE_TAMPER] = { "tamper", SEV_ERROR, "a process acted on tracerd" },
	[RULE_TRACE_INCOMPLETE] = { "trace-incomplete", SEV_WARNING,
				    "events were lost or the trace was cut short" },
};

static const char *const severity_names[] = { "off", "note", "warning", "error" };

/* Built-in sensitive files: glob, then the tools that read them as their owner. */
static const char *const builtin_sensitive[][2] = {
	/* pip, uv, poetry and twine read ~/.netrc through requests for index credentials. */
	{ "~/.netrc", "curl wget git git-remote-http* ftp lftp pip pip3 pipx uv poetry twine" },
	{ "~/_netrc", "curl wget git git-remote-http* ftp lftp pip pip3 pipx uv poetry twine" },
	{ "~/.git-credentials", "git git-credential-* git-remote-http*" },
	{ "~/.config/git/credentials", "git git-credential-* git-remote-http*" },
	{ "~/.ssh/id_*", "ssh ssh-add ssh-agent ssh-keygen scp sftp" },
	{ "~/.aws/credentials", "aws terraform" },
	{ "~/.aws/config", "aws terraform" },
	{ "~/.config/gcloud/*", "gcloud gsutil bq" },
	{ "~/.azure/*", "az" },
	{ "~/.kube/config", "kubectl helm" },
	{ "~/.docker/config.json", "docker docker-credential-* dockerd" },
	{ "~/.npmrc", "npm npx yarn pnpm node" },
	{ "~/.pypirc", "twine" },
	{ "~/.gem/credentials", "gem" },
	{ "~/.cargo/credentials*", "cargo" },
	{ "~/.config/gh/hosts.yml", "gh" },
	{ "~/.gnupg/private-keys-v1.d/*", "gpg gpg-agent gpgsm" },
	{ "/etc/shadow", "unix_chkpwd passwd chpasswd usermod useradd sshd login su sudo" },
	{ "/etc/gshadow", "gpasswd groupadd groupmod usermod useradd" },
	{ "/run/secrets/*", "" },
	{ "/var/run/secrets/*", "" },
	{ "/proc/*/mem", "" },
	{ "/proc/*/environ", "" },
};

static const char *const builtin_tools[][2] = {
	{ "npm", "install i ci add update rebuild" },
	{ "npx", "" },
	{ "yarn", "" },
	{ "pnpm", "install i add update" },
	{ "bun", "install i add" },
	{ "pip", "install download" },
	{ "pip3", "install download" },
	{ "pipx", "install" },
	{ "uv", "pip sync add" },
	{ "poetry", "install add" },
	{ "gem", "install" },
	{ "bundle", "install" },
	{ "cargo", "install build fetch" },
	{ "go", "get install build mod" },
	{ "apt", "install" },
	{ "apt-get", "install" },
	{ "composer", "install require update" },
};

void strlist_add(struct strlist *l, const char *s)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(char *));

	if (!v)
		abort();
	l->v = v;
	l->v[l->n++] = xstrdup(s);
}

bool strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool strlist_match(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (glob_match(l->v[i], s))
			return true;
	return false;
}

void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void strlist_add_words(struct strlist *l, const char *words)
{
	char *copy = xstrdup(words), *save = NULL, *w;

	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		strlist_add(l, w);
	free(copy);
}

const char *severity_name(enum severity s)
{
	return severity_names[s];
}

int rule_from_name(const char *id)
{
	int i;

	for (i = 0; i < RULE_COUNT; i++)
		if (strcmp(rule_table[i].id, id) == 0)
			return i;
	return -1;
}

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The longest run of s without wildcards: a path matching s contains it. */
static char *longest_literal(const char *s)
{
	size_t best = 0, best_len = 0, i = 0, n;

	while (s[i]) {
		n = strcspn(s + i, "*?[");
		if (n > best_len) {
			best = i;
			best_len = n;
		}
		i += n;
		if (s[i])
			i++;
	}
	return strndup(s + best, best_len);
}

/* One expanded glob; a literal name goes to the exact-name set for the quick test. */
static void sensitive_push(struct policy *p, const char *glob, const struct strlist *owners)
{
	struct sensitive_entry *e;
	const char *base = path_base(glob);
	size_t i;

	p->sensitive = realloc(p->sensitive, (p->n_sensitive + 1) * sizeof(*e));
	if (!p->sensitive)
		abort();
	e = &p->sensitive[p->n_sensitive++];
	memset(e, 0, sizeof(*e));
	e->glob = xstrdup(glob);
	e->other_process = strncmp(glob, "/proc/*/", 8) == 0;
	e->prefix_len = strcspn(glob, "*?[");
	e->wild_name = has_glob_chars(base);
	if (!e->wild_name) {
		*strmap_slot(p->exact_names, base, NULL) = (void *)1;
		e->tail = xstrdup(base);
	} else {
		e->tail = longest_literal(glob);
		if (strlen(e->tail) < 2)
			p->wild_any = true;
		else
			p->wild_bigrams[((unsigned char)e->tail[0] << 5) |
					((unsigned char)e->tail[1] >> 3)] |=
				(unsigned char)(1u << (e->tail[1] & 7));
	}
	for (i = 0; i < owners->n; i++)
		strlist_add(&e->owners, owners->v[i]);
}

int policy_add_sensitive(struct policy *p, const char *glob, const char *const *owners,
			 size_t n_owners)
{
	struct strlist list = { 0 };
	char expanded[4200];
	size_t i;

	if (!(glob[0] == '/' || strncmp(glob, "~/", 2) == 0) || strlen(glob) > 4096)
		return -EINVAL;
	for (i = 0; i < n_owners; i++)
		strlist_add(&list, owners[i]);
	if (glob[0] == '~') {
		/* Homes are /root, /home/NAME, /github/home or wherever a job points HOME. */
		snprintf(expanded, sizeof(expanded), "*%s", glob + 1);
		sensitive_push(p, expanded, &list);
	} else {
		sensitive_push(p, glob, &list);
	}
	strlist_free(&list);
	return 0;
}

static void add_tool(struct policy *p, const char *name, const char *const *verbs, size_t n)
{
	struct install_tool *t;
	size_t i;

	p->tools = realloc(p->tools, (p->n_tools + 1) * sizeof(*t));
	if (!p->tools)
		abort();
	t = &p->tools[p->n_tools++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	for (i = 0; i < n; i++)
		strlist_add(&t->verbs, verbs[i]);
}

void policy_init(struct policy *p)
{
	struct strlist words = { 0 };
	size_t i;

	memset(p, 0, sizeof(*p));
	p->exact_names = xcalloc(1, sizeof(struct strmap));
	for (i = 0; i < RULE_COUNT; i++)
		p->severity[i] = rule_table[i].severity;
	for (i = 0; i < sizeof(builtin_sensitive) / sizeof(builtin_sensitive[0]); i++) {
		strlist_add_words(&words, builtin_sensitive[i][1]);
		policy_add_sensitive(p, builtin_sensitive[i][0], (const char *const *)words.v,
				     words.n);
		strlist_free(&words);
	}
	for (i = 0; i < sizeof(builtin_tools) / sizeof(builtin_tools[0]); i++) {
		strlist_add_words(&words, builtin_tools[i][1]);
		add_tool(p, builtin_tools[i][0], (const char *const *)words.v, words.n);
		strlist_free(&words);
	}
	strlist_add_words(&p->downloaders, "curl wget nc ncat netcat socat ftp tftp");
	strlist_add_words(&p->shells, "sh bash dash zsh ksh mksh ash fish busybox");
	strlist_add_words(&p->temp_dirs, "/tmp/ /var/tmp/ /dev/shm/ /run/shm/");
	/* Go's test binaries are built and run from /tmp/go-build*: not an attack. */
	strlist_add(&p->allow_exec, "/tmp/go-build*");
}

static int parse_severity(const char *s)
{
	int i;

	for (i = SEV_OFF; i <= SEV_ERROR; i++)
		if (strcmp(severity_names[i], s) == 0)
			return i;
	return -1;
}

#define MAX_WORDS 64

static int directive_severity(struct policy *p, char **w, size_t n, char *err, size_t errlen)
{
	int rule, sev;

	if (n != 3) {
		snprintf(err, errlen, "severity takes a rule and a level");
		return -EINVAL;
	}
	rule = rule_from_name(w[1]);
	sev = parse_severity(w[2]);
	if (rule < 0 || sev < 0) {
		snprintf(err, errlen, "unknown %s '%.64s'", rule < 0 ? "rule" : "severity",
			 rule < 0 ? w[1] : w[2]);
		return -EINVAL;
	}
	p->severity[rule] = (enum severity)sev;
	return 0;
}

static int directive(struct policy *p, char **w, size_t n, char *err, size_t errlen)
{
	const char *d = w[0];

	if (strcmp(d, "severity") == 0)
		return directive_severity(p, w, n, err, errlen);
	if (strcmp(d, "sensitive") == 0 && n >= 2) {
		if (policy_add_sensitive(p, w[1], (const char *const *)w + 2, n - 2) == 0)
			return 0;
		snprintf(err, errlen, "sensitive path '%.64s' must start with / or ~/", w[1]);
		return -EINVAL;
	}
	if (strcmp(d, "install-tool") == 0 && n >= 2) {
		add_tool(p, w[1], (const char *const *)w + 2, n - 2);
		return 0;
	}
	if (n != 2) {
		snprintf(err, errlen, "'%.32s' takes %s", d,
			 strcmp(d, "sensitive") == 0 || strcmp(d, "install-tool") == 0 ?
				 "at least one value" :
				 "exactly one value");
		return -EINVAL;
	}
	if (strcmp(d, "allow-host") == 0)
		strlist_add(&p->allow_hosts, w[1]);
	else if (strcmp(d, "allow-exec") == 0)
		strlist_add(&p->allow_exec, w[1]);
	else if (strcmp(d, "downloader") == 0)
		strlist_add(&p->downloaders, w[1]);
	else if (strcmp(d, "shell") == 0)
		strlist_add(&p->shells, w[1]);
	else if (strcmp(d, "workspace") == 0 && w[1][0] == '/') {
		free(p->workspace);
		p->workspace = xstrdup(w[1]);
	} else {
		snprintf(err, errlen,
			 strcmp(d, "workspace") == 0 ? "workspace must be absolute" :
						       "unknown directive '%.32s'",
			 d);
		return -EINVAL;
	}
	return 0;
}

int policy_add_line(struct policy *p, const char *line, char *err, size_t errlen)
{
	char *copy = xstrdup(line), *save = NULL, *w[MAX_WORDS], *hash;
	size_t n = 0;
	int ret = 0;

	hash = strchr(copy, '#');
	if (hash)
		*hash = '\0';
	for (w[0] = strtok_r(copy, " \t\r\n", &save); w[n] && n < MAX_WORDS;)
		if (++n < MAX_WORDS)
			w[n] = strtok_r(NULL, " \t\r\n", &save);
	if (n == MAX_WORDS) {
		snprintf(err, errlen, "more than %d words", MAX_WORDS - 1);
		ret = -EINVAL;
	} else if (n > 0) {
		ret = directive(p, w, n, err, errlen);
	}
	free(copy);
	return ret;
}

int policy_load_file(struct policy *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, why[256];
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t got;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (got > 8192 || strlen(line) != (size_t)got) {
			snprintf(why, sizeof(why), "line too long or holding a NUL byte");
			ret = -EINVAL;
		} else {
			ret = policy_add_line(p, line, why, sizeof(why));
		}
		if (ret) {
			snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_sensitive; i++) {
		free(p->sensitive[i].glob);
		free(p->sensitive[i].tail);
		strlist_free(&p->sensitive[i].owners);
	}
	for (i = 0; i < p->n_tools; i++) {
		free(p->tools[i].name);
		strlist_free(&p->tools[i].verbs);
	}
	free(p->sensitive);
	free(p->tools);
	strlist_free(&p->downloaders);
	strlist_free(&p->shells);
	strlist_free(&p->allow_hosts);
	strlist_free(&p->allow_exec);
	strlist_free(&p->temp_dirs);
	free(p->workspace);
	strmap_free(p->exact_names, NULL);
	free(p->exact_names);
	memset(p, 0, sizeof(*p));
}
