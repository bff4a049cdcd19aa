import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { QUEUES, redisOptions } from '../../src/workers/queues';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

const BIN = path.resolve(__dirname, '../../bin/govgraph.js');
const RECORDS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('a worker killed in the middle of a large CloudTrail file', () => {
  let db: TestDatabase;
  let queue: Queue;
  const prefix = testQueuePrefix();
  const workers: ChildProcess[] = [];
  const startWorker = () => {
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL, GOVGRAPH_QUEUE_PREFIX: prefix, WORKER_LOCK_MS: '1500', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  };
  const storedCount = async () => Number((await db.pool.query('SELECT count(*) AS n FROM audit_events')).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    queue = new Queue(QUEUES.cloudTrailFiles, { connection: redisOptions(REDIS_URL), prefix });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.drop();
  });

  it('stores every record exactly once after another worker takes the job over', async () => {
    // Arrange: one gzipped S3-style log file of 30,000 records
    const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-kill-'));
    const file = path.join(dir, '111122223333_CloudTrail_us-east-1_20261101T0000Z_big.json.gz');
    await writeFile(file, gzipSync(JSON.stringify({ Records: [...generateCloudTrailRecords(RECORDS)] })));
    const job = await queue.add('ingest-file', { paths: [file] }, { attempts: 3 });

    // Act: a worker starts the file and is killed once part of it is stored, then a new one starts
    const first = startWorker();
    const partial = await until('the first batches to be stored', async () => {
      const n = await storedCount();
      return n >= 2000 && n;
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await storedCount();
    startWorker();
    await until('the job to complete', async () => (await queue.getJob(job.id!))?.finishedOn, 120_000);

    // Assert
    expect(partial).toBeLessThan(RECORDS);
    expect(atKill).toBeLessThan(RECORDS);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_ids FROM audit_events');
    expect(rows[0]).toEqual({ n: RECORDS, distinct_ids: RECORDS });
    const state = await (await queue.getJob(job.id!))!.getState();
    expect(state).toBe('completed');
  });
});
