/**
 * `npm run bench:api-abuse [-- --events N --probes P --heavy-clients H --clients C --seconds S --rounds R
 *   --ws-connections W --ws-subscriptions U]`: what abuse costs the API, measured on real processes.
 *
 * A fresh database holds the demo story (IAM snapshot, CloudTrail days, GetResources listing) and
 * N generated CloudTrail records (default 200,000) ingested through the real pipeline with rule
 * evaluation. Two `govgraph serve` processes run over it as deployed (NODE_ENV=production): one
 * requiring credentials, one in the local-only mode (GOVGRAPH_AUTH=none, loopback). Each runs
 * with RATE_LIMIT_PER_MINUTE=1e9 and API_MAX_CONCURRENT_PER_CREDENTIAL=1000 so the bench measures the server's work, not the limiter's
 * refusals (every request still pays the Redis round trip of the limiter); the heavy loop's rate
 * is printed beside the default budget (600/min) to show whether that budget would have let it
 * through. The server's memory is read from /proc/<pid>/status (VmRSS now, VmHWM the peak, reset
 * through /proc/<pid>/clear_refs before each phase).
 *
 * 1. Refusals: the abusive queries of issue 14 (150 levels deep, 1,000 aliases of 500 events with
 *    `raw`, 200 aliased team counts, a variable nested 100,000 deep), sent with an admin key:
 *    status, code, time to refusal (median of 5 sequential), then 20 at once; memory.
 * 2. Isolation: the p50 of a small `whoOwns` (an ownership-bot key) idle, then while the heaviest
 *    query a caller may still send runs in a loop (another key, H concurrent loops in a worker
 *    thread so its answers are not parsed on the prober's event loop), then idle again.
 * 3. Cost of authentication: `whoOwns` throughput over C concurrent clients for S seconds, with an
 *    admin key against the local-only mode (also an administrator: the same scope, so the only
 *    difference is the credential check), R rounds each, interleaved ABBA so drift hits both.
 * 4. WebSocket flood: W connections with one key, then U subscriptions over the accepted ones.
 *
 * Progress and a summary on stderr; the last stdout line is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createApiKey } from '../src/auth/api-keys';
import { loadEvaluationOptions } from '../src/compliance/setup';
import { loadConfig } from '../src/config/config';
import { createPool } from '../src/db/connections';
import { migrate } from '../src/db/migrate';
import { DEMO_IAM_SNAPSHOT_TIME } from '../src/demo/iam-story';
import { demoDir } from '../src/demo/demo-files';
import { ingestIamPaths } from '../src/ingest/iam-ingest';
import { ingestCloudTrailPaths, ingestTagPaths } from '../src/ingest/ingest-files';
import { DEFAULT_QUERY_LIMITS, estimateCost, limitParseOptions, limitValidationRules } from '../src/server/query-limits';
import { buildGovgraphSchema } from '../src/server/schema';
import { listeningUrl } from '../src/server/serve';
import { writeGeneratedLogFile } from './generated-log-file';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round1 = (x: number) => Math.round(x * 10) / 10;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs: number[]) => quantile(xs, 0.5);
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

// ---------------------------------------------------------------------------------------------
// The heavy loop runs in a worker thread: its multi-megabyte answers are drained, never parsed,
// and not on the event loop that times the probes.
interface LoopData {
  url: string;
  key: string;
  query: string;
  clients: number;
}
if (!isMainThread) {
  const { url, key, query, clients } = workerData as LoopData;
  let done = 0;
  let failed = 0;
  const loop = async () => {
    for (;;) {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
        for await (const _chunk of res.body!) void _chunk;
        if (res.status === 200) done++;
        else failed++;
      } catch {
        failed++;
      }
      parentPort!.postMessage({ done, failed });
    }
  };
  void Promise.all(Array.from({ length: clients }, loop));
}

// ---------------------------------------------------------------------------------------------
// The server processes

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const bin = path.join(__dirname, '..', '..', 'bin', 'govgraph.js');
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, ...env, PORT: '0', NODE_ENV: 'production', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`govgraph serve exited with ${code} before listening`);
  });
  exited.catch(() => undefined);
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) {
      const url = listeningUrl(line);
      if (url) return url;
    }
    throw new Error('govgraph serve closed its output before listening');
  })();
  return { url: await Promise.race([listening, exited]), child };
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  await once(s.child, 'exit');
}

/** The server's resident memory now and its peak since the last reset, in MB. */
async function memory(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: round1(kb('VmRSS') / 1024), peakMb: round1(kb('VmHWM') / 1024) };
}

/** Sets the peak (VmHWM) back to the current RSS, so the next reading is this phase's peak. */
async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}

interface Answer {
  status: number;
  ms: number;
  bytes: number;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
}

async function post(url: string, body: string, key: string | null): Promise<Answer> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });
  const text = await res.text();
  const elapsed = ms(t0);
  let parsed: Answer['body'] = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: reported as such
  }
  return { status: res.status, ms: elapsed, bytes: text.length, body: parsed };
}

const gql = (query: string, variables?: unknown) => JSON.stringify({ query, variables });

// ---------------------------------------------------------------------------------------------
// The store

/** The demo story as `govgraph demo` loads it, plus N generated records; rules evaluated as stored. */
async function loadStore(databaseUrl: string, events: number, dir: string): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const pool = createPool(databaseUrl);
  try {
    const evaluation = await loadEvaluationOptions(config);
    const demo = demoDir();
    await ingestIamPaths(pool, [path.join(demo, 'iam')], { teamTagKey: config.TEAM_TAG_KEY, at: DEMO_IAM_SNAPSHOT_TIME, evaluation });
    await ingestCloudTrailPaths(pool, [path.join(demo, 'cloudtrail')], { teamTagKey: config.TEAM_TAG_KEY, evaluation });
    const file = path.join(dir, '111122223333_CloudTrail_us-east-1_bench.json.gz');
    await writeGeneratedLogFile(file, events);
    const ct = await ingestCloudTrailPaths(pool, [file], { teamTagKey: config.TEAM_TAG_KEY, evaluation });
    if (ct.stored !== events) throw new Error(`pipeline stored ${ct.stored} of ${events}`);
    await ingestTagPaths(pool, [path.join(demo, 'tags')], { teamTagKey: config.TEAM_TAG_KEY, complete: true, at: new Date('2026-11-03T23:00:00Z') });
    await pool.query('ANALYZE');
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The abusive queries of issue 14

/** 150 levels (teams → resources → edges → node → ownerTeam …) padded with fields to about 7.4 KB, as the one that killed the server. */
function deepQuery(levels = 150, targetBytes = 7400): string {
  const cycles = Math.ceil(levels / 4);
  const pad = Math.max(0, Math.floor((targetBytes - cycles * 48) / cycles));
  const fields = 'arn service resourceType name region accountId createdAt firstSeen lastSeen deleted deletedAt createdEventId deletedEventId';
  const extra = (fields + ' ' + fields).slice(0, pad).replace(/\s+\S*$/, '');
  let inner = 'name';
  for (let i = 0; i < cycles; i++) inner = `resources { edges { node { ${extra} ownerTeam { ${inner} } } } }`;
  return `{ teams { ${inner} } }`;
}
const aliased = (count: number, selection: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
function nestedVariable(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const ABUSIVE: { name: string; body: () => string; anonymous?: boolean }[] = [
  { name: 'depth150', body: () => gql(deepQuery()) },
  { name: 'aliases1000Raw', body: () => gql(aliased(1000, 'auditEvents(first: 500) { edges { node { raw } } }')) },
  { name: 'teamCounts200', body: () => gql(aliased(200, 'teams { resources { totalCount } }')) },
  {
    name: 'variableDepth100k',
    // JSON.stringify cannot write it (recursion): the body is assembled as text
    body: () =>
      `{"query":${JSON.stringify('query($p: JSON) { simulate(principalArn: "arn:aws:iam::111122223333:role/R", action: "sagemaker:DeleteExperiment", resourcePolicy: $p) { decision } }')},"variables":{"p":${nestedVariable(100_000)}}}`,
  },
  { name: 'depth150Anonymous', body: () => gql(deepQuery()), anonymous: true },
];

interface Refusal {
  bytes: number;
  status: number;
  code: string | null;
  limit: unknown;
  medianMs: number;
  maxMs: number;
  burst20Ms: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  peakMb: number;
}

async function refusals(server: Server, key: string): Promise<Record<string, Refusal>> {
  const out: Record<string, Refusal> = {};
  const pid = server.child.pid!;
  for (const q of ABUSIVE) {
    const body = q.body();
    const k = q.anonymous ? null : key;
    await post(server.url, body, k); // warm: the first parse of each shape
    const before = await memory(pid);
    await resetPeak(pid);
    const times: number[] = [];
    let last: Answer | null = null;
    for (let i = 0; i < 5; i++) {
      last = await post(server.url, body, k);
      times.push(last.ms);
    }
    const t0 = process.hrtime.bigint();
    const burst = await Promise.all(Array.from({ length: 20 }, () => post(server.url, body, k)));
    const burstMs = ms(t0);
    if (burst.some((b) => b.status !== last!.status)) log(`  ${q.name}: the burst's answers differ in status: ${burst.map((b) => b.status).join(',')}`);
    const after = await memory(pid);
    const err = last!.body?.errors?.[0];
    out[q.name] = {
      bytes: body.length,
      status: last!.status,
      code: (err?.extensions?.code as string | undefined) ?? null,
      limit: err?.extensions?.limit ?? null,
      medianMs: round1(median(times)),
      maxMs: round1(Math.max(...times)),
      burst20Ms: round1(burstMs),
      rssBeforeMb: before.rssMb,
      rssAfterMb: after.rssMb,
      peakMb: after.peakMb,
    };
    const r = out[q.name];
    log(`  ${q.name.padEnd(18)} ${String(r.bytes).padStart(7)} B → HTTP ${r.status} ${r.code}${r.limit ? ` (${String(r.limit)})` : ''} in ${r.medianMs} ms (max ${r.maxMs}; 20 at once ${r.burst20Ms} ms); RSS ${r.rssBeforeMb} → ${r.rssAfterMb} MB, peak ${r.peakMb} MB`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The heaviest query a caller may still send
//
// The cost limit bounds the answer's size (about maxCost objects), not the work behind each
// object: a `totalCount` costs 10 whatever it counts, `raw` 3 whatever its size, a page's SQL one
// statement whatever it scans. So no one shape is obviously the heaviest. The bench builds each
// shape that concentrates one kind of work (the largest answers, the most statements, the most
// counting, the most IAM evaluation, the most grouping), grows its knob to the largest value the
// server's own limits (cost with graphql-query-complexity, depth, aliases, tokens) still admit,
// checks the server answers it, times it, and loops the slowest, each shape both unscoped (admin)
// and under row-level security (a team-member of one team) where scoping changes the work.

const EVENT_FIELDS = 'eventId eventTime eventSource eventName awsRegion accountId errorCode sourceIpAddress userAgent principalArn sessionName readOnly resourceArns raw';
const WINDOW_START = Date.UTC(2026, 9, 1);

interface Shape {
  name: string;
  /** the query for knob value p */
  query: (p: number) => string;
  max: number;
  scoped: boolean;
}

const SHAPES: Shape[] = [
  {
    // the largest answer: a few 500-event pages of whole records with their principal and resources
    name: 'eventPagesRaw',
    query: (aliases) =>
      `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: auditEvents(filter: { from: "${new Date(WINDOW_START + i * 6 * 3600_000).toISOString()}" }, first: 500) { totalCount edges { node { ${EVENT_FIELDS} principal { arn name team { name } } resources { arn name ownerTeam { name } } } } }`).join(' ')} }`,
    max: 30,
    scoped: true,
  },
  {
    // the most statements: 30 aliased pages, each over its own time window
    name: 'eventPagesManyAliases',
    query: (first) =>
      `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: auditEvents(filter: { from: "${new Date(WINDOW_START + i * 2 * 3600_000).toISOString()}" }, first: ${first}) { totalCount edges { node { ${EVENT_FIELDS} principal { arn } } } }`).join(' ')} }`,
    max: 500,
    scoped: true,
  },
  {
    // nested pages: 500 resources, each with a page of its events (raw) and counts
    name: 'resourcesWithEventPages',
    query: (first) =>
      `{ resources(first: 500) { totalCount edges { node { arn name tags { key value } ownerTeam { name } createdBy { arn } violations(first: 0) { totalCount } events(first: ${first}) { totalCount edges { node { eventId eventName eventTime raw } } } } } } }`,
    max: 500,
    scoped: true,
  },
  {
    // the most counting per unit of cost: counts over whole lists, aliased over filters
    name: 'counts',
    query: (first) =>
      `{ ${['TeamA', 'TeamB', 'TeamC', 'TeamD']
        .map((t, i) => `t${i}: auditEvents(filter: { team: "${t}" }, first: 0) { totalCount } e${i}: auditEvents(filter: { accountId: "${['111122223333', '444455556666', '777788889999', '111122223333'][i]}", eventName: "CreateTrainingJob" }, first: 0) { totalCount }`)
        .join(' ')} teams { name members(first: ${first}) { totalCount edges { node { arn violations(first: 0) { totalCount } } } } resources(first: ${first}) { totalCount edges { node { arn events(first: 0) { totalCount } violations(first: 0) { totalCount } } } } } }`,
    max: 500,
    scoped: true,
  },
  {
    // the most IAM evaluation: whoCan evaluates every principal's policies
    name: 'whoCan',
    query: (aliases) =>
      `{ ${Array.from({ length: aliases }, (_, i) => `w${i}: whoCan(action: "${['sagemaker:CreateTrainingJob', 'sagemaker:DeleteExperiment', 'sagemaker:CreatePresignedDomainUrl', 's3:GetObject', 'iam:PassRole', 'sagemaker:CreateNotebookInstance'][i % 6]}") { principalArn decision { decision explanation } }`).join(' ')} }`,
    max: 30,
    scoped: false,
  },
  {
    // the most grouping: every dimension over the whole window, aliased
    name: 'complianceSummary',
    query: (aliases) =>
      `{ ${Array.from({ length: aliases }, (_, i) => `s${i}: complianceSummary(from: "2026-01-0${1 + (i % 9)}T00:00:00Z", to: "2027-01-01T00:00:00Z", groupBy: [ACCOUNT, TEAM, RULE, DAY]) { team ruleId accountId day open resolved suppressed total }`).join(' ')} }`,
    max: 30,
    scoped: true,
  },
];

/** Whether the server's limits admit the query (parse with the token limit, validation, cost). */
function admitted(schema: GraphQLSchema, query: string): { ok: boolean; cost: number } {
  try {
    const doc = parse(query, limitParseOptions(DEFAULT_QUERY_LIMITS));
    if (validate(schema, doc, [...specifiedRules, ...limitValidationRules(DEFAULT_QUERY_LIMITS)]).length > 0) return { ok: false, cost: NaN };
    const cost = estimateCost(schema, doc, {});
    return { ok: cost <= DEFAULT_QUERY_LIMITS.maxCost, cost };
  } catch {
    return { ok: false, cost: NaN };
  }
}

/** The largest knob value the limits admit (admission is monotone in the knob). */
function edgeOf(schema: GraphQLSchema, shape: Shape): { p: number; query: string; cost: number } | null {
  let lo = 0;
  let hi = shape.max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (admitted(schema, shape.query(mid)).ok) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0) return null;
  const query = shape.query(lo);
  return { p: lo, query, cost: admitted(schema, query).cost };
}

interface Candidate {
  name: string;
  knob: number;
  cost: number;
  key: 'admin' | 'member';
  medianMs: number;
  answerKb: number;
  errors: string | null;
}

async function findHeaviest(server: Server, keys: { admin: string; member: string }): Promise<{ candidates: Candidate[]; heaviest: Candidate & { query: string } }> {
  const schema = await buildGovgraphSchema();
  const candidates: (Candidate & { query: string })[] = [];
  for (const shape of SHAPES) {
    const edge = edgeOf(schema, shape);
    if (!edge) {
      log(`  ${shape.name}: no size of it is admitted`);
      continue;
    }
    for (const who of shape.scoped ? (['admin', 'member'] as const) : (['admin'] as const)) {
      const body = gql(edge.query);
      const first = await post(server.url, body, keys[who]);
      if (first.status !== 200) throw new Error(`${shape.name} at the edge of the limits was refused (HTTP ${first.status}): ${JSON.stringify(first.body?.errors?.[0])}`);
      // three runs, unless one already takes seconds (a statement timeout): the bench stays within minutes
      const times = [first.ms];
      for (let i = 0; i < 2 && first.ms < 2000; i++) times.push((await post(server.url, body, keys[who])).ms);
      const errs = first.body?.errors;
      const c = { name: shape.name, knob: edge.p, cost: edge.cost, key: who, medianMs: round1(median(times)), answerKb: Math.round(first.bytes / 1024), errors: errs?.length ? `${errs.length}× ${String(errs[0].extensions?.code)}` : null, query: edge.query };
      candidates.push(c);
      log(`  ${c.name.padEnd(24)} knob ${String(c.knob).padStart(3)}, cost ${String(c.cost).padStart(6)}, ${c.key.padEnd(6)} → ${String(c.medianMs).padStart(7)} ms, ${c.answerKb} KB${c.errors ? `, errors: ${c.errors}` : ''}`);
    }
  }
  const heaviest = candidates.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
  return { candidates: candidates.map(({ query: _q, ...c }) => c), heaviest };
}

// ---------------------------------------------------------------------------------------------
// Probes and throughput

const WHO_OWNS = gql('{ whoOwns(query: "churn-v7") { team { name } basis matchedBy } }');

async function probe(url: string, key: string | null, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = await post(url, WHO_OWNS, key);
    if (a.status !== 200 || a.body?.errors) throw new Error(`whoOwns probe failed: HTTP ${a.status} ${JSON.stringify(a.body?.errors)}`);
    times.push(a.ms);
  }
  return times;
}

async function throughput(url: string, key: string | null, clients: number, seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const a = await post(url, WHO_OWNS, key);
        if (a.status !== 200) throw new Error(`whoOwns failed under load: HTTP ${a.status} ${JSON.stringify(a.body?.errors)}`);
        done++;
      }
    }),
  );
  return done / (ms(t0) / 1000);
}

// ---------------------------------------------------------------------------------------------
// WebSocket flood

async function wsFlood(server: Server, key: string, connections: number, subscriptions: number) {
  const pid = server.child.pid!;
  const wsUrl = server.url.replace(/^http/, 'ws');
  const before = await memory(pid);
  await resetPeak(pid);
  const open = async (): Promise<WebSocket | null> => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    ws.on('error', () => undefined);
    await once(ws, 'open').catch(() => undefined);
    if (ws.readyState !== WebSocket.OPEN) return null;
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    return new Promise((resolve) => {
      ws.on('message', (m) => {
        if (JSON.parse(String(m)).type === 'connection_ack') resolve(ws);
      });
      ws.on('close', () => resolve(null));
    });
  };
  const t0 = process.hrtime.bigint();
  const sockets: (WebSocket | null)[] = [];
  for (let i = 0; i < connections; i += 200) sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, connections - i) }, open))));
  const connectMs = ms(t0);
  const accepted = sockets.filter((s): s is WebSocket => s !== null);
  let refusedSubs = 0;
  let lastMessage = Date.now();
  const codes = new Map<string, number>();
  for (const ws of accepted) {
    ws.on('message', (m) => {
      const msg = JSON.parse(String(m));
      lastMessage = Date.now();
      if (msg.type === 'error') {
        refusedSubs++;
        const code = String(msg.payload?.[0]?.extensions?.code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    });
  }
  let sent = 0;
  if (accepted.length > 0) {
    for (let i = 0; i < subscriptions; i++) {
      accepted[i % accepted.length].send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: 'subscription { violationOpened { id ruleId team } }' } }));
      sent++;
      if (i % 1000 === 999) await sleep(0);
    }
  }
  // refusals come back as `error` messages; the accepted stay silent until a violation opens
  lastMessage = Date.now();
  while (Date.now() - lastMessage < 1000) await sleep(100);
  const during = await memory(pid);
  for (const s of accepted) s.close();
  await sleep(500);
  const after = await memory(pid);
  return {
    connectionsTried: connections,
    connectionsAccepted: accepted.length,
    connectionsRefused: connections - accepted.length,
    connectMs: Math.round(connectMs),
    subscriptionsTried: sent,
    subscriptionsAccepted: sent - refusedSubs,
    subscriptionsRefused: refusedSubs,
    refusalCodes: Object.fromEntries(codes),
    rssBeforeMb: before.rssMb,
    rssDuringMb: during.rssMb,
    rssAfterCloseMb: after.rssMb,
    peakMb: during.peakMb,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const events = arg('events', 200_000);
  const probes = arg('probes', 200);
  const heavyClients = arg('heavy-clients', 1);
  const clients = arg('clients', 8);
  const seconds = arg('seconds', 5);
  const rounds = arg('rounds', 3);
  const wsConnections = arg('ws-connections', 2000);
  const wsSubscriptions = arg('ws-subscriptions', 20_000);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const stamp = Date.now();
  const dbName = `govgraph_bench_api_abuse_${stamp}`;
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-bench-abuse-'));
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const servers: Server[] = [];
  try {
    await migrate(databaseUrl);
    log(`loading the demo story and ${events} generated events…`);
    const t0 = process.hrtime.bigint();
    await loadStore(databaseUrl, events, dir);
    const pool = createPool(databaseUrl, 2);
    const { rows } = await pool.query<{ events: number; resources: number; violations: number }>(
      'SELECT (SELECT count(*)::int FROM audit_events) AS events, (SELECT count(*)::int FROM resources) AS resources, (SELECT count(*)::int FROM violations) AS violations',
    );
    const store = rows[0];
    const keys = {
      admin: (await createApiKey(pool, { name: 'bench-admin', role: 'admin' })).key,
      heavy: (await createApiKey(pool, { name: 'bench-heavy-admin', role: 'admin' })).key,
      member: (await createApiKey(pool, { name: 'bench-member', role: 'team-member', teams: ['TeamA'] })).key,
      bot: (await createApiKey(pool, { name: 'bench-ownership-bot', role: 'ownership-bot' })).key,
      throughput: (await createApiKey(pool, { name: 'bench-throughput', role: 'admin' })).key,
      ws: (await createApiKey(pool, { name: 'bench-ws', role: 'team-member', teams: ['TeamA'] })).key,
    };
    await pool.end();
    log(`store: ${store.events} events, ${store.resources} resources, ${store.violations} violations (${(ms(t0) / 1000).toFixed(0)} s)`);

    const common = { DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: '1000000000', API_MAX_CONCURRENT_PER_CREDENTIAL: '1000', GOVGRAPH_QUEUE_PREFIX: `{govgraph-bench-${stamp}}` };
    const keyed = await startServer({ ...common, GOVGRAPH_AUTH: 'required' });
    servers.push(keyed);
    const local = await startServer({ ...common, GOVGRAPH_AUTH: 'none', HOST: '127.0.0.1' });
    servers.push(local);
    const idleRss = await memory(keyed.child.pid!);
    log(`servers: keyed ${keyed.url} (pid ${keyed.child.pid}, ${idleRss.rssMb} MB), local-only ${local.url} (pid ${local.child.pid})`);

    // 1. refusals
    log('1. the abusive queries of issue 14 (admin key; the last one without a credential):');
    const refused = await refusals(keyed, keys.admin);

    // 2. isolation
    log('2. the heaviest query still admitted (each shape at the edge of the limits, median of 3, or 1 run when it takes over 2 s):');
    const { candidates, heaviest } = await findHeaviest(keyed, { admin: keys.heavy, member: keys.member });
    log(`   heaviest: ${heaviest.name} as ${heaviest.key} (${heaviest.medianMs} ms, cost ${heaviest.cost})`);
    await probe(keyed.url, keys.bot, 20); // warm
    const idleBefore = await probe(keyed.url, keys.bot, probes);
    await resetPeak(keyed.child.pid!);
    const heavyKey = heaviest.key === 'member' ? keys.member : keys.heavy;
    const worker = new Worker(__filename, { workerData: { url: keyed.url, key: heavyKey, query: heaviest.query, clients: heavyClients } satisfies LoopData });
    let loopCounts = { done: 0, failed: 0 };
    worker.on('message', (m: typeof loopCounts) => (loopCounts = m));
    const loopT0 = process.hrtime.bigint();
    // the loop in full swing (its first answers in), but no longer than 10 s
    await sleep(Math.min(10_000, Math.max(1000, heaviest.medianMs * 2)));
    const loaded = await probe(keyed.url, keys.bot, probes);
    const loopSeconds = ms(loopT0) / 1000;
    // its query in flight is abandoned: the server cancels it in Postgres when the client goes
    await worker.terminate();
    const loadedMem = await memory(keyed.child.pid!);
    const idleAfter = await probe(keyed.url, keys.bot, probes);
    const idleP50 = (median(idleBefore) + median(idleAfter)) / 2;
    const loadedP50 = median(loaded);
    const loopPerMinute = (loopCounts.done + loopCounts.failed) / (loopSeconds / 60);
    log(
      `   whoOwns p50 idle ${median(idleBefore).toFixed(1)} / ${median(idleAfter).toFixed(1)} ms (before/after), loaded ${loadedP50.toFixed(1)} ms (p90 ${quantile(loaded, 0.9).toFixed(1)}) → ratio ${(loadedP50 / idleP50).toFixed(2)} (target ≤ 2)`,
    );
    log(`   heavy loop: ${heavyClients} client(s), ${loopCounts.done} answered, ${loopCounts.failed} failed in ${loopSeconds.toFixed(1)} s (${loopPerMinute.toFixed(0)}/min; the default budget is 600/min); server peak ${loadedMem.peakMb} MB`);

    // 3. throughput: keyed vs local-only, ABBA
    log(`3. whoOwns throughput, ${clients} clients × ${seconds} s, ${rounds} rounds each (ABBA):`);
    await throughput(keyed.url, keys.throughput, clients, 1);
    await throughput(local.url, null, clients, 1);
    const rates: { keyed: number[]; local: number[] } = { keyed: [], local: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['keyed', 'local'] as const) : (['local', 'keyed'] as const);
      for (const mode of order) {
        const rate = mode === 'keyed' ? await throughput(keyed.url, keys.throughput, clients, seconds) : await throughput(local.url, null, clients, seconds);
        rates[mode].push(rate);
        log(`   round ${r + 1} ${mode.padEnd(5)} ${rate.toFixed(0)} req/s`);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const keyedRps = mean(rates.keyed);
    const localRps = mean(rates.local);
    log(`   keyed ${keyedRps.toFixed(0)} req/s, local-only ${localRps.toFixed(0)} req/s → ratio ${(keyedRps / localRps).toFixed(3)} (aim ≥ 0.9)`);

    // 4. WebSocket flood
    log(`4. WebSocket flood: ${wsConnections} connections, ${wsSubscriptions} subscriptions, one key:`);
    const ws = await wsFlood(keyed, keys.ws, wsConnections, wsSubscriptions);
    log(`   connections ${ws.connectionsAccepted} accepted / ${ws.connectionsRefused} refused; subscriptions ${ws.subscriptionsAccepted} accepted / ${ws.subscriptionsRefused} refused ${JSON.stringify(ws.refusalCodes)}; RSS ${ws.rssBeforeMb} → ${ws.rssDuringMb} MB (peak ${ws.peakMb}), ${ws.rssAfterCloseMb} MB after close`);

    const peaks = [...Object.values(refused).map((r) => r.peakMb), loadedMem.peakMb, ws.peakMb];
    const result = {
      events: store.events,
      resources: store.resources,
      violations: store.violations,
      loadedOverIdleP50: Number((loadedP50 / idleP50).toFixed(3)),
      keyedOverLocalThroughput: Number((keyedRps / localRps).toFixed(3)),
      peakRssMb: Math.max(...peaks),
      slowestRefusalMs: Math.max(...Object.values(refused).map((r) => r.medianMs)),
      refusals: refused,
      isolation: {
        probe: 'whoOwns(query: "churn-v7") { team { name } basis matchedBy } as ownership-bot',
        probes,
        idleP50Ms: round1(idleP50),
        idleP50BeforeMs: round1(median(idleBefore)),
        idleP50AfterMs: round1(median(idleAfter)),
        loadedP50Ms: round1(loadedP50),
        loadedP90Ms: round1(quantile(loaded, 0.9)),
        heavy: { name: heaviest.name, key: heaviest.key, knob: heaviest.knob, cost: heaviest.cost, medianMs: heaviest.medianMs, answerKb: heaviest.answerKb, clients: heavyClients, answered: loopCounts.done, failed: loopCounts.failed, perMinute: Math.round(loopPerMinute), loopSeconds: round1(loopSeconds) },
        serverPeakMb: loadedMem.peakMb,
        candidates,
      },
      throughput: { clients, seconds, rounds, keyedRps: Math.round(keyedRps), localRps: Math.round(localRps), keyedRounds: rates.keyed.map(Math.round), localRounds: rates.local.map(Math.round) },
      webSocket: ws,
      idleServerRssMb: idleRss.rssMb,
      targets: { loadedOverIdleP50: 2, keyedOverLocalThroughput: 0.9, refusalMs: 100, rssMb: 500 },
    };
    for (const s of servers) await stopServer(s);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const s of servers) await stopServer(s).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((err) => {
    process.stderr.write(`bench:api-abuse failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
