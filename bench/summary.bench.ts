/**
 * `npm run bench:summary [-- --events N --violations M --runs R]`: builds a fresh database with N
 * audit events (default 1,000,000) spread over 90 days and M violations (default 100,000) of the
 * rule catalog across teams, accounts and statuses, then times `complianceSummary` for each
 * grouping a dashboard or report asks for, both as the read function (one SQL statement) and as
 * the GraphQL query over HTTP through the real server. Target: under 200 ms per query.
 * The server runs as it is deployed: `govgraph serve` in its own process with NODE_ENV=production
 * (as the Dockerfile sets it); a query's time runs from sending it to its answer's last byte, and
 * each answer is checked once, outside the timed runs.
 * The last line is one JSON object. Data is generated set-based in SQL (the events' content does
 * not change how violations are counted; their volume sits beside them as in production).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Pool, Client } from 'pg';
import { createApiKey } from '../src/auth/api-keys';
import { migrate } from '../src/db/migrate';
import { ALL_RULES } from '../src/domain/rules/registry';
import { complianceSummary, type ComplianceDimension } from '../src/read/violations';
import { listeningUrl } from '../src/server/serve';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const DAYS = 90;
const START = new Date('2026-09-02T00:00:00Z');
const TEAMS = ['TeamA', 'TeamB', 'TeamC', 'Forecasting', 'Pricing', 'Fraud', 'Search', 'Recsys', 'Vision', 'NLP', 'Risk', 'Growth'];
const ACCOUNTS = ['111122223333', '222233334444', '333344445555', '444455556666'];

async function seed(pool: Pool, events: number, violations: number): Promise<void> {
  const months = ['2026-09-01', '2026-10-01', '2026-11-01'];
  await pool.query('SELECT ensure_audit_event_partition(m::date) FROM unnest($1::text[]) AS m', [months]);
  // events: 1 per (90 days / N), in chunks so one statement never holds the whole set in memory
  const chunk = 250_000;
  for (let offset = 0; offset < events; offset += chunk) {
    const n = Math.min(chunk, events - offset);
    await pool.query(
      `INSERT INTO audit_events (event_id, event_time, event_source, event_name, aws_region, account_id, principal_arn,
                                 principal_type, read_only, resource_arns, raw, content_sha256)
       SELECT 'bench-' || i, $2::timestamptz + (i * ($3::double precision / $4)) * interval '1 second',
              'sagemaker.amazonaws.com', (ARRAY['CreateTrainingJob','DescribeTrainingJob','CreateNotebookInstance','ListTrainingJobs','DeleteExperiment'])[1 + i % 5],
              'us-east-1', ($5::text[])[1 + i % 4], 'arn:aws:iam::111122223333:role/team-' || (i % 12),
              'ROLE', i % 5 IN (1, 3), ARRAY['arn:aws:sagemaker:us-east-1:111122223333:training-job/job-' || (i % 50000)],
              json_build_object('eventID', 'bench-' || i, 'eventName', 'CreateTrainingJob'), md5(i::text)
         FROM generate_series($1::bigint, $1::bigint + $6 - 1) AS i`,
      [offset, START, DAYS * 86400, events, ACCOUNTS, n],
    );
  }
  // violations: every (N/M)th event breaks one rule of the catalog; statuses as a living system has them
  const rules = ALL_RULES.map((r) => r.id);
  const severities = ALL_RULES.map((r) => r.severity);
  await pool.query(
    `INSERT INTO violations (rule_id, event_id, event_time, resource_arn, principal_arn, team, account_id, region, severity,
                             message, evidence, status, resolved_at, suppressed_reason, suppressed_by)
     SELECT ($1::text[])[1 + k % $5], e.event_id, e.event_time, e.resource_arns[1], e.principal_arn,
            CASE WHEN k % 17 = 0 THEN NULL ELSE ($3::text[])[1 + (k * 7) % 12] END, e.account_id, e.aws_region,
            ($2::text[])[1 + k % $5], 'bench violation', jsonb_build_object('eventId', e.event_id),
            s.status, CASE WHEN s.status = 'RESOLVED' THEN e.event_time + interval '2 days' END,
            CASE WHEN s.status = 'SUPPRESSED' THEN 'accepted risk' END, CASE WHEN s.status = 'SUPPRESSED' THEN 'bench' END
       FROM generate_series(0, $4 - 1) AS k
       JOIN audit_events e ON e.event_id = 'bench-' || (k * ($6 / $4))
      CROSS JOIN LATERAL (SELECT CASE WHEN k % 100 < 70 THEN 'OPEN' WHEN k % 100 < 92 THEN 'RESOLVED' ELSE 'SUPPRESSED' END AS status) s`,
    [rules, severities, TEAMS, violations, rules.length, events],
  );
  await pool.query('ANALYZE audit_events');
  await pool.query('ANALYZE violations');
}

/** `govgraph serve` on a free port, as deployed; resolves with its URL once it listens. */
async function startServer(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = path.join(__dirname, '..', '..', 'bin', 'govgraph.js');
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', NODE_ENV: 'production', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`govgraph serve exited with ${code} before listening`);
  });
  exited.catch(() => undefined); // once it listens, its exit at the end is expected
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) {
      const url = listeningUrl(line);
      if (url) return url;
    }
    throw new Error('govgraph serve closed its output before listening');
  })();
  const url = await Promise.race([listening, exited]);
  return { url, child };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);

async function time(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await f(); // warm: plan cache, buffers
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function main(): Promise<void> {
  const events = arg('events', 1_000_000);
  const violations = arg('violations', 100_000);
  const runs = arg('runs', 15);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `govgraph_bench_summary_${Date.now()}`;
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await migrate(url.toString());
    const pool = new Pool({ connectionString: url.toString(), max: 4 });
    // pool.end() resolves before its connections have closed: the DROP … WITH (FORCE) below may end one
    pool.on('error', () => undefined);
    process.stderr.write(`seeding ${events} events and ${violations} violations…\n`);
    await seed(pool, events, violations);
    const { rows } = await pool.query<{ events: string; violations: string }>(
      'SELECT (SELECT count(*) FROM audit_events) AS events, (SELECT count(*) FROM violations) AS violations',
    );
    const server = await startServer(url.toString());
    const api = server.url;
    // as a dashboard calls it: with an auditor's API key (authentication and the access log included)
    const { key } = await createApiKey(pool, { name: 'bench-summary', role: 'auditor' });

    const end = new Date(START.getTime() + DAYS * 86400_000);
    const windows = { last30Days: { from: new Date(end.getTime() - 30 * 86400_000), to: end }, all90Days: { from: START, to: end } };
    const groupings: ComplianceDimension[][] = [[], ['TEAM'], ['RULE'], ['DAY'], ['TEAM', 'RULE'], ['TEAM', 'DAY'], ['RULE', 'DAY'], ['ACCOUNT', 'TEAM', 'RULE', 'DAY']];
    const results: { window: string; groupBy: string; groups: number; sqlMedianMs: number; sqlMaxMs: number; graphqlMedianMs: number; graphqlMaxMs: number }[] = [];
    for (const [name, w] of Object.entries(windows)) {
      for (const groupBy of groupings) {
        const groups = (await complianceSummary(pool, w, groupBy)).length;
        const sql = await time(runs, () => complianceSummary(pool, w, groupBy));
        const query = `query($from: DateTime!, $to: DateTime!, $groupBy: [ComplianceGroupBy!]!) {
          complianceSummary(from: $from, to: $to, groupBy: $groupBy) { team ruleId accountId day open resolved suppressed total } }`;
        const post = async () => {
          const res = await fetch(api, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ query, variables: { from: w.from.toISOString(), to: w.to.toISOString(), groupBy } }),
          });
          return res.text();
        };
        const body = JSON.parse(await post()) as { errors?: unknown; data?: { complianceSummary: unknown[] } };
        if (body.errors || body.data?.complianceSummary.length !== groups) throw new Error(`GraphQL answer differs: ${JSON.stringify(body.errors)}`);
        const gql = await time(runs, post);
        const row = { window: name, groupBy: groupBy.join('+') || '(none)', groups, sqlMedianMs: +median(sql).toFixed(1), sqlMaxMs: +max(sql).toFixed(1), graphqlMedianMs: +median(gql).toFixed(1), graphqlMaxMs: +max(gql).toFixed(1) };
        results.push(row);
        process.stderr.write(`${row.window.padEnd(11)} ${row.groupBy.padEnd(24)} ${String(groups).padStart(6)} groups  sql ${row.sqlMedianMs} ms (max ${row.sqlMaxMs})  graphql ${row.graphqlMedianMs} ms (max ${row.graphqlMaxMs})\n`);
      }
    }
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    await pool.end();
    const worstGraphqlMedianMs = Math.max(...results.map((r) => r.graphqlMedianMs));
    process.stdout.write(`${JSON.stringify({ events: Number(rows[0].events), violations: Number(rows[0].violations), runs, worstSqlMedianMs: Math.max(...results.map((r) => r.sqlMedianMs)), worstGraphqlMedianMs, targetMs: 200, queries: results })}\n`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:summary failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
