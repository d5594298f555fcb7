// SPDX-License-Identifier: GPL-2.0-only
//
// The README's fleet queries ("On a CI fleet"), run with DuckDB over a directory of traces
// laid out by tracerd-upload (date=YYYY-MM-DD/repo=OWNER_NAME/JOB.jsonl.gz), with the rows
// that make test-fleet's three recorded jobs must give.
//
// Usage: node fleet-queries.js NODE_MODULES STORE PORT1 PORT2 PORT3
'use strict';
const assert = require('assert');
const path = require('path');

const [nodeModules, store, p1, p2, p3] = process.argv.slice(2);
const { DuckDBInstance } = require(require.resolve('@duckdb/node-api', { paths: [nodeModules] }));

// One view over every line of every trace: one schema across all line types
// (union_by_name), the partition keys as columns (hive_partitioning).
const VIEW = `
CREATE VIEW events AS
SELECT * FROM read_json('${store}/date=*/repo=*/*.jsonl.gz',
                        format = 'newline_delimited', union_by_name = true,
                        hive_partitioning = true)`;

const QUERIES = {
	lineTypes: `
SELECT type, count(*) AS lines, count(DISTINCT job_id) AS jobs
FROM events GROUP BY type ORDER BY type`,
	hostsPerRepo: `
SELECT repo, dst_addr, dst_port, any_value(hostname) AS hostname,
       count(DISTINCT job_id) AS jobs, count(*) AS connects
FROM events
WHERE type = 'net_connect' AND protocol = 'tcp'
GROUP BY ALL ORDER BY repo, dst_port`,
	executables: `
SELECT exe, count(*) AS runs, count(DISTINCT job_id) AS jobs,
       string_agg(DISTINCT repo, ' ' ORDER BY repo) AS repos
FROM events WHERE type = 'process_exec'
GROUP BY exe ORDER BY jobs DESC, exe`,
	credentials: `
SELECT CAST(o.date AS VARCHAR) AS date, o.repo, o.job_id, x.exe, o.path, o.flags, o.ret
FROM events o
LEFT JOIN (SELECT job_id, exec_id, exe FROM events WHERE type = 'process_exec') x
       USING (job_id, exec_id)
WHERE o.type = 'file_open'
  AND regexp_matches(o.path, '/(\\.netrc|\\.git-credentials|\\.npmrc|\\.pypirc|\\.aws/credentials|\\.docker/config\\.json|\\.kube/config|\\.ssh/id_[^/]+)$')
ORDER BY date, repo, path`,
};

function table(rows) {
	if (rows.length === 0)
		return '(no rows)';
	const cols = Object.keys(rows[0]);
	const cell = (v) => (v === null ? 'NULL' : String(v));
	const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
	const line = (vals) => vals.map((v, i) => v.padEnd(width[i])).join(' | ').trimEnd();
	return [line(cols), width.map((w) => '-'.repeat(w)).join('-|-'),
		...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	await con.run(VIEW);
	const run = async (name) => {
		const t0 = process.hrtime.bigint();
		const reader = await con.runAndReadAll(QUERIES[name]);
		const rows = reader.getRowObjectsJson();
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		console.log(`-- ${name} (${rows.length} rows, ${ms.toFixed(0)} ms)${QUERIES[name]}\n${table(rows)}\n`);
		return rows;
	};

	// One schema for every line type: the columns of all of them are there.
	const schema = (await con.runAndReadAll('DESCRIBE events')).getRowObjectsJson();
	const columns = Object.fromEntries(schema.map((r) => [r.column_name, r.column_type]));
	for (const c of ['type', 'timestamp', 'job_id', 'hostname', 'kernel', 'pid', 'exe', 'args',
		'dst_addr', 'dst_port', 'path', 'flags', 'bytes', 'exit_code', 'events',
		'by_type', 'lost', 'date', 'repo'])
		assert.ok(c in columns, `column ${c} missing from the unified schema`);
	assert.strictEqual(columns.args, 'VARCHAR[]');
	assert.strictEqual(columns.dst_port, 'BIGINT');
	console.log(`-- schema: ${schema.length} columns over every line type\n`);

	const types = Object.fromEntries((await run('lineTypes')).map((r) => [r.type, r]));
	for (const t of ['trace_start', 'trace_end', 'process_exec', 'process_exit', 'net_connect',
		'file_open'])
		assert.ok(types[t], `no ${t} lines read`);
	assert.strictEqual(Number(types.trace_start.lines), 3);
	assert.strictEqual(Number(types.trace_end.lines), 3);

	const hosts = (await run('hostsPerRepo')).map((r) => `${r.repo} ${r.dst_addr}:${r.dst_port}`);
	assert.deepStrictEqual(hosts, [`acme_api 127.0.0.1:${p2}`, `acme_web 127.0.0.1:${p1}`,
		...[`tools_lint 127.0.0.1:${p1}`, `tools_lint 127.0.0.1:${p3}`].sort((a, b) =>
			Number(a.split(':')[1]) - Number(b.split(':')[1]))]);

	const exes = Object.fromEntries((await run('executables')).map((r) => [r.exe, r]));
	const expect = {
		'/usr/bin/curl': ['acme_api acme_web tools_lint', 3, 4],
		'/usr/bin/dash': ['acme_api acme_web tools_lint', 3, 3],
		'/usr/bin/cat': ['acme_web', 1, 1],
		'/usr/bin/gzip': ['acme_web', 1, 1],
		'/usr/bin/head': ['acme_api', 1, 1],
		'/usr/bin/sha256sum': ['acme_api', 1, 1],
		'/usr/bin/ls': ['tools_lint', 1, 1],
	};
	assert.deepStrictEqual(Object.keys(exes).sort(), Object.keys(expect).sort());
	for (const [exe, [repos, jobs, runs]] of Object.entries(expect))
		assert.deepStrictEqual([exes[exe].repos, Number(exes[exe].jobs), Number(exes[exe].runs)],
			[repos, jobs, runs], exe);

	const creds = (await run('credentials')).map((r) =>
		`${r.date} ${r.repo} ${r.job_id} ${r.exe} ${path.relative(path.join(store, '..', 'home'), r.path)} ${r.ret >= 0}`);
	assert.deepStrictEqual(creds, [
		'2026-11-01 acme_web gh-101-1-build /usr/bin/cat .netrc true',
		'2026-11-02 acme_api gh-202-2-test /usr/bin/head .aws/credentials true',
	]);
	console.log('fleet: 5 passed, 0 failed');
})().catch((e) => {
	console.error(e);
	console.log('fleet: 0 passed, 1 failed');
	process.exit(1);
});
