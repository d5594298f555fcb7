// SPDX-License-Identifier: GPL-2.0-only
/*
 * A JSON Schema checker for the keywords schemas/ uses, no more: a keyword it does not
 * know is an error, so that a schema change cannot pass unchecked. Patterns go through
 * POSIX extended regular expressions, leading negative lookaheads (job_id's) emulated; a
 * pattern that needs more is left out, and said so once. Numbers are read as doubles (jansson, as the fuzzer parses
 * lines: u64 values do not fit its integers), which is exact up to 2^53 and then rounds
 * bounds and values alike.
 */
#include "schema_check.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_DOCS_MAX 32
#define PATTERNS_MAX 128

struct schema_doc {
	char name[64]; /* file name, as $ref names it */
	json_t *root;
};

#define PATTERN_LOOKAHEADS_MAX 4

/*
 * POSIX ERE has no lookahead; the leading negative ones JSON Schema patterns use
 * ("^(?!-)(?!\\.\\.?$)rest") are the same as: rest matches, and none of them at the start.
 */
struct pattern {
	const char *source;
	regex_t re;
	regex_t not_at_start[PATTERN_LOOKAHEADS_MAX];
	size_t lookaheads;
	bool usable; /* compiled */
};

struct check {
	char *why;
	size_t why_size;
	const char *field; /* the property under check, for messages */
};

static struct schema_doc docs[SCHEMA_DOCS_MAX];
static size_t docs_used;
static struct pattern patterns[PATTERNS_MAX];
static size_t patterns_used;

static int validate(json_t *schema, const struct schema_doc *doc, json_t *value, json_t *evaluated,
		    struct check *c);

static int fail(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->why, c->why_size, "field \"%s\": %s", c->field ? c->field : "(line)", msg);
	return -EINVAL;
}

static const struct schema_doc *doc_named(const char *name, size_t len)
{
	for (size_t i = 0; i < docs_used; i++) {
		if (strlen(docs[i].name) == len && memcmp(docs[i].name, name, len) == 0)
			return &docs[i];
	}
	return NULL;
}

/* "file.schema.json#/$defs/x" or "#/$defs/x" (in doc): the subschema, and its document. */
static json_t *resolve_ref(const char *ref, const struct schema_doc **doc)
{
	const char *hash = strchr(ref, '#');
	json_t *node;

	if (!hash)
		return NULL;
	if (hash != ref)
		*doc = doc_named(ref, hash - ref);
	if (!*doc)
		return NULL;
	node = (*doc)->root;
	for (const char *p = hash + 1; node && *p == '/';) {
		size_t len = strcspn(p + 1, "/");
		char token[128];

		if (len >= sizeof(token))
			return NULL;
		memcpy(token, p + 1, len);
		token[len] = '\0';
		node = json_object_get(node, token);
		p += 1 + len;
	}
	return node;
}

static bool regcomp_anchored(regex_t *re, const char *source, size_t len)
{
	char buf[512];

	if (len + 2 > sizeof(buf))
		return false;
	buf[0] = '^';
	memcpy(buf + 1, source, len);
	buf[len + 1] = '\0';
	return regcomp(re, buf, REG_EXTENDED) == 0;
}

/* "^(?!a)(?!b)rest": each (?!...) (no parentheses inside) as an anchored ERE, then rest. */
static bool pattern_compile(struct pattern *p)
{
	const char *s = p->source;

	if (regcomp(&p->re, s, REG_EXTENDED) == 0)
		return true;
	if (*s++ != '^')
		return false;
	while (strncmp(s, "(?!", 3) == 0 && p->lookaheads < PATTERN_LOOKAHEADS_MAX) {
		const char *end = strchr(s + 3, ')');

		if (!end || memchr(s + 3, '(', end - (s + 3)) ||
		    !regcomp_anchored(&p->not_at_start[p->lookaheads], s + 3, end - (s + 3)))
			return false;
		p->lookaheads++;
		s = end + 1;
	}
	return p->lookaheads && regcomp_anchored(&p->re, s, strlen(s));
}

static struct pattern *pattern_of(const char *source)
{
	struct pattern *p;

	for (size_t i = 0; i < patterns_used; i++) {
		if (patterns[i].source == source || strcmp(patterns[i].source, source) == 0)
			return &patterns[i];
	}
	if (patterns_used == PATTERNS_MAX)
		return NULL;
	p = &patterns[patterns_used++];
	p->source = source; /* the schema documents live as long as the process */
	p->usable = pattern_compile(p);
	if (!p->usable)
		fprintf(stderr, "schema_check: pattern %s is not checked (not POSIX ERE)\n",
			source);
	return p;
}

static bool regex_matches(const regex_t *re, const char *s, size_t len)
{
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)len };

	return regexec(re, s, 1, &m, REG_STARTEND) == 0;
}

/* -1: the pattern cannot be checked here; else whether s (len bytes) matches. */
static int pattern_match(const char *source, const char *s, size_t len)
{
	struct pattern *p = pattern_of(source);

	if (!p || !p->usable)
		return -1;
	for (size_t i = 0; i < p->lookaheads; i++) {
		if (regex_matches(&p->not_at_start[i], s, len))
			return 0;
	}
	return regex_matches(&p->re, s, len);
}

static bool type_is(const char *type, json_t *v)
{
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v) || (json_is_real(v) && isfinite(json_real_value(v)) &&
					      json_real_value(v) == trunc(json_real_value(v)));
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	return strcmp(type, "null") == 0 && json_is_null(v);
}

static int check_type(json_t *type, json_t *v, struct check *c)
{
	json_t *t;
	size_t i;

	if (json_is_string(type))
		return type_is(json_string_value(type), v) ?
			       0 :
			       fail(c, "not of type %s", json_string_value(type));
	json_array_foreach(type, i, t)
	{
		if (type_is(json_string_value(t), v))
			return 0;
	}
	return fail(c, "of none of the types allowed");
}

static int check_enum(json_t *values, json_t *v, struct check *c)
{
	json_t *e;
	size_t i;

	json_array_foreach(values, i, e)
	{
		if (json_equal(e, v))
			return 0;
	}
	return fail(c, "not one of the enum's values");
}

/* Code points, as minLength and maxLength count them: bytes that do not continue one. */
static size_t utf8_length(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static int check_string(json_t *schema, json_t *v, struct check *c)
{
	json_t *min = json_object_get(schema, "minLength");
	json_t *max = json_object_get(schema, "maxLength");
	json_t *pattern = json_object_get(schema, "pattern");
	size_t len = json_string_length(v), chars;

	if (!json_is_string(v))
		return 0;
	chars = utf8_length(json_string_value(v), len);
	if (min && chars < json_number_value(min))
		return fail(c, "%zu characters, under minLength", chars);
	if (max && chars > json_number_value(max))
		return fail(c, "%zu characters, over maxLength", chars);
	if (pattern && pattern_match(json_string_value(pattern), json_string_value(v), len) == 0)
		return fail(c, "\"%s\" does not match %s", json_string_value(v),
			    json_string_value(pattern));
	return 0;
}

static int check_number(json_t *schema, json_t *v, struct check *c)
{
	json_t *min = json_object_get(schema, "minimum");
	json_t *max = json_object_get(schema, "maximum");

	if (!json_is_number(v))
		return 0;
	if (min && json_number_value(v) < json_number_value(min))
		return fail(c, "%.17g under the minimum", json_number_value(v));
	if (max && json_number_value(v) > json_number_value(max))
		return fail(c, "%.17g over the maximum", json_number_value(v));
	return 0;
}

/* The subschema of one property value: a fresh check, named after the property. */
static int validate_property(json_t *schema, const struct schema_doc *doc, const char *key,
			     json_t *v, struct check *c)
{
	struct check sub = { c->why, c->why_size, key };

	return validate(schema, doc, v, NULL, &sub);
}

static bool pattern_property(json_t *schema, const char *key, json_t **ret)
{
	json_t *pp = json_object_get(schema, "patternProperties"), *sub;
	const char *pattern;

	json_object_foreach(pp, pattern, sub)
	{
		if (pattern_match(pattern, key, strlen(key)) == 1) {
			*ret = sub;
			return true;
		}
	}
	return false;
}

/* properties, patternProperties, additionalProperties: each member once, marked evaluated. */
static int check_members(json_t *schema, const struct schema_doc *doc, json_t *v, json_t *evaluated,
			 struct check *c)
{
	json_t *props = json_object_get(schema, "properties");
	json_t *additional = json_object_get(schema, "additionalProperties");
	const char *key;
	json_t *member;

	json_object_foreach(v, key, member)
	{
		json_t *sub = json_object_get(props, key);
		int err;

		if (!sub && !pattern_property(schema, key, &sub))
			sub = additional;
		if (!sub)
			continue;
		err = validate_property(sub, doc, key, member, c);
		if (err)
			return err;
		json_object_set_new(evaluated, key, json_true());
	}
	return 0;
}

static int check_required(json_t *schema, json_t *v, struct check *c)
{
	json_t *deps = json_object_get(schema, "dependentRequired"), *name, *list;
	const char *key;
	size_t i;

	json_array_foreach(json_object_get(schema, "required"), i, name)
	{
		if (!json_object_get(v, json_string_value(name)))
			return fail(c, "required \"%s\" missing", json_string_value(name));
	}
	json_object_foreach(deps, key, list)
	{
		if (!json_object_get(v, key))
			continue;
		json_array_foreach(list, i, name)
		{
			if (!json_object_get(v, json_string_value(name)))
				return fail(c, "\"%s\" without \"%s\"", key,
					    json_string_value(name));
		}
	}
	return 0;
}

static int check_object(json_t *schema, const struct schema_doc *doc, json_t *v, json_t *evaluated,
			struct check *c)
{
	json_t *names = json_object_get(schema, "propertyNames");
	const char *key;
	json_t *member;
	int err;

	if (!json_is_object(v))
		return 0;
	err = check_members(schema, doc, v, evaluated, c);
	if (err)
		return err;
	err = check_required(schema, v, c);
	json_object_foreach(v, key, member)
	{
		json_t *name = json_string(key);

		if (!err && names)
			err = validate_property(names, doc, key, name, c);
		json_decref(name);
	}
	return err;
}

static int check_items(json_t *schema, const struct schema_doc *doc, json_t *v, struct check *c)
{
	json_t *items = json_object_get(schema, "items"), *item;
	size_t i;

	if (!items || !json_is_array(v))
		return 0;
	json_array_foreach(v, i, item)
	{
		int err = validate(items, doc, item, NULL, c);

		if (err)
			return err;
	}
	return 0;
}

/* How many branches of the array hold; those that do lend their evaluated members. */
static size_t branches_holding(json_t *branches, const struct schema_doc *doc, json_t *v,
			       json_t *evaluated, struct check *c)
{
	json_t *branch;
	size_t i, n = 0;

	json_array_foreach(branches, i, branch)
	{
		json_t *scratch = evaluated ? json_object() : NULL;

		if (validate(branch, doc, v, scratch, c) == 0) {
			if (scratch)
				json_object_update(evaluated, scratch);
			n++;
		}
		json_decref(scratch);
	}
	return n;
}

/* anyOf: a branch holds; oneOf: exactly one does; not: the subschema does not hold. */
static int check_combinators(json_t *schema, const struct schema_doc *doc, json_t *v,
			     json_t *evaluated, struct check *c)
{
	json_t *any = json_object_get(schema, "anyOf"), *one = json_object_get(schema, "oneOf");
	json_t *not = json_object_get(schema, "not");

	if (any && branches_holding(any, doc, v, evaluated, c) == 0)
		return fail(c, "matches no anyOf branch");
	if (one && branches_holding(one, doc, v, evaluated, c) != 1)
		return fail(c, "does not match exactly one oneOf branch");
	if (not &&validate(not, doc, v, NULL, c) == 0)
		return fail(c, "matches what \"not\" excludes");
	return 0;
}

static int check_unevaluated(json_t *schema, const struct schema_doc *doc, json_t *v,
			     json_t *evaluated, struct check *c)
{
	json_t *rule = json_object_get(schema, "unevaluatedProperties");
	const char *key;
	json_t *member;

	if (!rule || !json_is_object(v))
		return 0;
	json_object_foreach(v, key, member)
	{
		if (json_object_get(evaluated, key))
			continue;
		if (json_is_false(rule))
			return fail(c, "\"%s\" is not in the schema", key);
		if (validate_property(rule, doc, key, member, c))
			return -EINVAL;
	}
	return 0;
}

static bool keyword_known(const char *k)
{
	static const char *const known[] = {
		"$schema",
		"$id",
		"$defs",
		"$comment",
		"title",
		"description",
		"$ref",
		"type",
		"const",
		"enum",
		"minimum",
		"maximum",
		"minLength",
		"maxLength",
		"pattern",
		"properties",
		"required",
		"patternProperties",
		"additionalProperties",
		"propertyNames",
		"dependentRequired",
		"items",
		"anyOf",
		"oneOf",
		"not",
		"unevaluatedProperties",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(k, known[i]) == 0)
			return true;
	}
	return false;
}

static int check_keywords_known(json_t *schema, struct check *c)
{
	const char *k;
	json_t *unused;

	json_object_foreach(schema, k, unused)
	{
		if (!keyword_known(k))
			return fail(c, "schema keyword %s is not supported by schema_check.c", k);
	}
	return 0;
}

static int check_ref(json_t *schema, const struct schema_doc *doc, json_t *v, json_t *evaluated,
		     struct check *c)
{
	json_t *ref = json_object_get(schema, "$ref");
	json_t *target;

	if (!ref)
		return 0;
	target = resolve_ref(json_string_value(ref), &doc);
	if (!target)
		return fail(c, "unresolvable $ref %s", json_string_value(ref));
	return validate(target, doc, v, evaluated, c);
}

static int check_value(json_t *schema, json_t *v, struct check *c)
{
	json_t *type = json_object_get(schema, "type");
	json_t *constant = json_object_get(schema, "const");
	json_t *values = json_object_get(schema, "enum");
	int err = 0;

	if (type)
		err = check_type(type, v, c);
	if (!err && constant && !json_equal(constant, v))
		err = fail(c, "not the constant the schema says");
	if (!err && values)
		err = check_enum(values, v, c);
	if (!err)
		err = check_string(schema, v, c);
	if (!err)
		err = check_number(schema, v, c);
	return err;
}

/*
 * One schema against one value. evaluated: the members of the object v that this schema
 * and the ones it refers to have looked at, for unevaluatedProperties (NULL: a new set).
 */
static int validate(json_t *schema, const struct schema_doc *doc, json_t *value, json_t *evaluated,
		    struct check *c)
{
	/* Only objects have members to account for: no set to build for other values. */
	json_t *own = evaluated		    ? json_incref(evaluated) :
		      json_is_object(value) ? json_object() :
					      NULL;
	int err;

	if (json_is_boolean(schema)) {
		json_decref(own);
		return json_is_true(schema) ? 0 : fail(c, "not allowed at all");
	}
	err = check_keywords_known(schema, c);
	if (!err)
		err = check_ref(schema, doc, value, own, c);
	if (!err)
		err = check_value(schema, value, c);
	if (!err)
		err = check_object(schema, doc, value, own, c);
	if (!err)
		err = check_items(schema, doc, value, c);
	if (!err)
		err = check_combinators(schema, doc, value, own, c);
	if (!err)
		err = check_unevaluated(schema, doc, value, own, c);
	json_decref(own);
	return err;
}

static int load_doc(const char *dir, const char *name, char *why, size_t why_size)
{
	char path[4096];
	json_error_t error;
	json_t *root;

	if (docs_used == SCHEMA_DOCS_MAX || strlen(name) >= sizeof(docs[0].name))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	root = json_load_file(path, JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES, &error);
	if (!root) {
		snprintf(why, why_size, "%s: %s", path, error.text);
		return -EINVAL;
	}
	snprintf(docs[docs_used].name, sizeof(docs[0].name), "%s", name);
	docs[docs_used++].root = root;
	return 0;
}

/*
 * The checker checked: a line the schemas accept, and the same line with each of a few
 * faults (a wrong type, a range, a pattern, a missing or unknown field, both of a oneOf)
 * that they must refuse. A checker that accepts everything would make the fuzzer blind.
 */
static int self_check(char *why, size_t why_size)
{
	static const char good[] =
		"{\"type\":\"process_exit\",\"timestamp\":\"2026-12-01T21:21:16.261958991Z\","
		"\"job_id\":\"j\",\"pid\":1,\"tid\":1,\"ppid\":0,\"uid\":0,\"comm\":\"sh\","
		"\"exec_id\":\"1-2\",\"cgroup_id\":3,\"exit_code\":1,\"duration_ns\":5}";
	static const char *const faults[][2] = {
		{ "pid", "\"1\"" },
		{ "exit_code", "256" },
		{ "comm", "\"0123456789abcdef\"" },
		{ "tid", "0" },
		{ "cwd", "\"relative\"" },
		{ "color", "\"blue\"" },
		{ "signal", "9" },
		{ "duration_ns", "1.5" },
		{ "job_id", "\"-j\"" },
		{ "job_id", "\"..\"" },
	};
	json_t *line = json_loads(good, JSON_DECODE_INT_AS_REAL, NULL);
	int err = schema_check_line(line, why, why_size);

	for (size_t i = 0; !err && i < sizeof(faults) / sizeof(faults[0]); i++) {
		json_t *bad = json_deep_copy(line);

		json_object_set_new(bad, faults[i][0],
				    json_loads(faults[i][1],
					       JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL));
		if (schema_check_line(bad, why, why_size) == 0) {
			snprintf(why, why_size, "self check: %s: %s accepted", faults[i][0],
				 faults[i][1]);
			err = -EINVAL;
		}
		json_decref(bad);
	}
	json_object_del(line, "duration_ns");
	if (!err && schema_check_line(line, why, why_size) == 0) {
		snprintf(why, why_size, "self check: a missing required field accepted");
		err = -EINVAL;
	}
	json_decref(line);
	return err;
}

int schema_check_load(const char *dir, char *why, size_t why_size)
{
	const struct schema_doc *common = docs;
	json_t *types, *type;
	char name[64];
	size_t i;
	int err = load_doc(dir, "common.schema.json", why, why_size);

	if (err)
		return err;
	types = json_object_get(resolve_ref("#/$defs/type", &common), "enum");
	if (!json_array_size(types)) {
		snprintf(why, why_size, "common.schema.json lists no line types");
		return -EINVAL;
	}
	json_array_foreach(types, i, type)
	{
		snprintf(name, sizeof(name), "%s.schema.json", json_string_value(type));
		err = load_doc(dir, name, why, why_size);
		if (err)
			return err;
	}
	return self_check(why, why_size);
}

int schema_check_line(json_t *line, char *why, size_t why_size)
{
	struct check c = { why, why_size, NULL };
	const struct schema_doc *doc;
	const char *type = json_string_value(json_object_get(line, "type"));
	char name[64];

	if (!type)
		return fail(&c, "a line without a string \"type\"");
	snprintf(name, sizeof(name), "%s.schema.json", type);
	doc = doc_named(name, strlen(name));
	if (!doc)
		return fail(&c, "no schema for line type \"%s\"", type);
	return validate(doc->root, doc, line, NULL, &c);
}
