/**
 * `npm run bench:ingest -- --events N`: generates N realistic CloudTrail records as one gzipped
 * S3-style log file, ingests it through the real pipeline (stream → transform → set-based load)
 * into a fresh database, then in the same run measures Postgres's raw COPY of the same records
 * into an equivalent table (same columns and indexes, COPY's text format in the pipeline's own
 * ~256 KiB messages), before and after the pipeline. The last line is one JSON object.
 * Ratios, not absolute times: both sides run on the same machine in the same minute.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { generateCloudTrailRecords } from '../src/demo/generate';
import { copyChunks } from '../src/db/copy';
import { EVENT_COLUMNS, eventCopyChunks, type PreparedEvent } from '../src/ingest/cloudtrail-load';
import { migrate } from '../src/db/migrate';
import { ingestCloudTrailPaths } from '../src/ingest/ingest-files';
import { prepareCloudTrailRecord, isPrepared } from '../src/domain/cloudtrail/prepare';
import { ALL_RULES } from '../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../src/domain/rules/types';
import { writeGeneratedLogFile } from './generated-log-file';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * The machine's busy CPU seconds so far (all processes: this one, Postgres's backends, the rest),
 * from /proc/stat; null where there is none. Busy is user + nice + system + irq + softirq: idle,
 * iowait and steal are time no core worked for anyone here.
 */
async function machineBusySeconds(): Promise<number | null> {
  try {
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = fields;
    return (user + nice + system + irq + softirq) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** A measured phase: its wall time, and the machine's busy CPU seconds over it (null: not measured). */
interface Measured {
  seconds: number;
  busy: number | null;
}

async function measured<T>(work: () => Promise<T>): Promise<{ value: T; phase: Measured }> {
  const busy0 = await machineBusySeconds();
  const t = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const busy1 = await machineBusySeconds();
  return { value, phase: { seconds, busy: busy0 === null || busy1 === null ? null : busy1 - busy0 } };
}

/** A phase's busy CPU seconds, and how many cores that kept busy on average. */
function cpuOf({ seconds, busy }: Measured): string {
  if (busy === null) return 'CPU not measured (no /proc/stat)';
  return `${busy.toFixed(1)} CPU-s over ${seconds.toFixed(1)} s (${(busy / seconds).toFixed(2)} of ${os.cpus().length} cores busy)`;
}

async function main(): Promise<void> {
  const n = arg('events', 200_000);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `govgraph_bench_${Date.now()}`;
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-bench-'));
  const file = path.join(dir, '111122223333_CloudTrail_us-east-1_bench.json.gz');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    process.stderr.write(`generating ${n} records…\n`);
    await writeGeneratedLogFile(file, n);
    await migrate(url.toString());
    const pool = new Pool({ connectionString: url.toString(), max: 4 });
    // pool.end() resolves before its connections have closed: the DROP … WITH (FORCE) below may end one
    pool.on('error', () => undefined);

    // Each measured phase starts from a checkpoint: otherwise the one the first phase's WAL
    // triggers lands in the second, and the two are not measured alike.
    const checkpoint = () => admin.query('CHECKPOINT').catch((err: Error) => process.stderr.write(`no CHECKPOINT (${err.message}): phases may overlap a checkpoint\n`));
    // Autovacuum works on freshly written tables for a while; no measured phase may share the cores with it.
    const autovacuumSettled = async () => {
      const started = Date.now();
      for (;;) {
        const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
        if (rows[0].n === 0) break;
        if (Date.now() - started > 120_000) {
          process.stderr.write('autovacuum still running after 2 min: the next phase may share the cores with it\n');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (Date.now() - started > 1000) process.stderr.write(`waited ${((Date.now() - started) / 1000).toFixed(1)} s for autovacuum\n`);
    };

    // The raw COPY of the same records (same columns and values) into an equivalent table, once
    // before the pipeline and once after: this machine's speed drifts by a quarter within minutes,
    // and the mean of the two is the baseline of the minute the pipeline ran in.
    // The baseline's rows are the pipeline's own (eventCopyChunks: the same text in ~256 KiB
    // messages, held off the heap so the pipeline's collections do not pay for them), without
    // principal ids or run, and sent as the pipeline sends them (copyChunks).
    const chunks: Buffer[] = [];
    let batch: PreparedEvent[] = [];
    for (const r of generateCloudTrailRecords(n)) {
      const p = prepareCloudTrailRecord({ source: file, position: '', value: r, text: JSON.stringify(r) });
      if (!isPrepared(p)) throw new Error(p.reason);
      batch.push(p);
      if (batch.length === 5000) {
        chunks.push(...eventCopyChunks(batch, new Map(), null));
        batch = [];
      }
    }
    chunks.push(...eventCopyChunks(batch, new Map(), null));
    batch = [];
    const rawCopy = async (table: string): Promise<Measured> => {
      process.stderr.write(`measuring raw COPY into ${table}…\n`);
      await pool.query(`CREATE TABLE ${table} (LIKE audit_events INCLUDING DEFAULTS INCLUDING INDEXES) WITH (autovacuum_enabled = false)`);
      const client = await pool.connect();
      try {
        await autovacuumSettled();
        await checkpoint();
        return (await measured(() => copyChunks(client, table, EVENT_COLUMNS, chunks))).phase;
      } finally {
        client.release();
      }
    };
    const copyBefore = await rawCopy('copy_baseline_before');

    // the real pipeline (the baseline's table is not vacuumed: nothing of it runs meanwhile)
    await autovacuumSettled();
    await checkpoint();
    process.stderr.write('ingesting through the pipeline…\n');
    // the product's ingest path: rules are evaluated on each stored batch (--no-evaluate to leave them out)
    const evaluation = process.argv.includes('--no-evaluate') ? undefined : { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
    const { value: counts, phase: pipelinePhase } = await measured(() => ingestCloudTrailPaths(pool, [file], { teamTagKey: 'team', evaluation }));
    if (counts.stored !== n) throw new Error(`pipeline stored ${counts.stored} of ${n}`);

    const copyAfter = await rawCopy('copy_baseline_after');
    const copySeconds = (copyBefore.seconds + copyAfter.seconds) / 2;
    const pipelineSeconds = pipelinePhase.seconds;
    process.stderr.write(`raw COPY: ${Math.round(n / copyBefore.seconds)} rows/s before the pipeline, ${Math.round(n / copyAfter.seconds)} after\n`);
    // The ratio's bound: the pipeline cannot take less than its CPU over the cores, whatever it overlaps.
    process.stderr.write(`machine CPU: raw COPY ${cpuOf(copyBefore)} and ${cpuOf(copyAfter)}; pipeline ${cpuOf(pipelinePhase)}\n`);
    await pool.end();

    const eventsPerSecond = Math.round(n / pipelineSeconds);
    const copyRowsPerSecond = Math.round(n / copySeconds);
    process.stdout.write(`${JSON.stringify({ events: n, eventsPerSecond, copyRowsPerSecond, ratio: Number((eventsPerSecond / copyRowsPerSecond).toFixed(3)) })}\n`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
