import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createCloudTrailClient, createTaggingClient } from '../aws/clients';
import { createOpenedPublisher, violationOpenedChannel } from '../compliance/notify';
import { loadEvaluationOptions } from '../compliance/setup';
import { awsScopes, Config } from '../config/config';
import { createPool } from '../db/connections';
import { createIamClient } from '../aws/iam';
import { createCloudTrailFilesProcessor, createIamSnapshotProcessor, createLookupEventsProcessor, createTagSyncProcessor } from './processors';
import { createQueue, iamSchedulerId, IamSnapshotJob, QUEUES, redisOptions, ScopeJob, schedulerId } from './queues';

/**
 * `govgraph worker`: one BullMQ worker per source on the shared queues, and one job scheduler
 * per configured account × region. Any number of these processes can run side by side.
 */
export async function runWorkers(config: Config): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, redact: ['*.password', '*.secretAccessKey', '*.sessionToken'] }, pino.destination(2));
  const rules = await loadEvaluationOptions(config);
  // new open violations are announced to the API instances (violationOpened subscriptions); a
  // publish waits at most one attempt when Redis is away, and a failed one is only logged
  const publisher = new Redis({ ...redisOptions(config.REDIS_URL), maxRetriesPerRequest: 1 });
  publisher.on('error', (err) => log.debug({ err: err.message }, 'redis publisher connection error'));
  const evaluation = { ...rules, onOpened: createOpenedPublisher(publisher, violationOpenedChannel(config.GOVGRAPH_QUEUE_PREFIX), log) };
  const pool = createPool(config.DATABASE_URL, Math.max(4, config.WORKER_CONCURRENCY * 3));
  const prefix = config.GOVGRAPH_QUEUE_PREFIX;
  const awsScope = (s: ScopeJob) => ({ ...s, roleName: config.GOVGRAPH_ASSUME_ROLE_NAME ?? null });
  const workerOpts = (name: string) => ({
    connection: redisOptions(config.REDIS_URL),
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_LOCK_MS,
    name,
  });
  const workers = [
    new Worker(QUEUES.cloudTrailFiles, createCloudTrailFilesProcessor({ pool, teamTagKey: config.TEAM_TAG_KEY, evaluation }), workerOpts('files')),
    new Worker(
      QUEUES.lookupEvents,
      createLookupEventsProcessor({
        pool,
        cloudTrail: (s) => createCloudTrailClient(awsScope(s)),
        teamTagKey: config.TEAM_TAG_KEY,
        overlapMinutes: config.LOOKUP_EVENTS_OVERLAP_MINUTES,
        initialLookbackHours: config.LOOKUP_EVENTS_INITIAL_LOOKBACK_HOURS,
        evaluation,
      }),
      workerOpts('lookup-events'),
    ),
    new Worker(
      QUEUES.tagSync,
      createTagSyncProcessor({ pool, tagging: (s) => createTaggingClient(awsScope(s)), teamTagKey: config.TEAM_TAG_KEY }),
      workerOpts('tag-sync'),
    ),
    new Worker(
      QUEUES.iamSnapshot,
      createIamSnapshotProcessor({
        pool,
        // IAM is global: its client lives in the partition's first region, whatever GOVGRAPH_REGIONS says
        iam: (accountId) => createIamClient({ accountId, region: config.GOVGRAPH_REGIONS[0], roleName: config.GOVGRAPH_ASSUME_ROLE_NAME ?? null }),
        teamTagKey: config.TEAM_TAG_KEY,
        evaluation,
      }),
      workerOpts('iam-snapshot'),
    ),
  ];
  for (const w of workers) {
    w.on('completed', (job, result) => log.info({ queue: w.name, jobId: job.id, result }, 'job completed'));
    w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
  }

  const lookupQueue = createQueue<ScopeJob>(QUEUES.lookupEvents, config.REDIS_URL, prefix);
  const tagQueue = createQueue<ScopeJob>(QUEUES.tagSync, config.REDIS_URL, prefix);
  for (const scope of awsScopes(config)) {
    await lookupQueue.upsertJobScheduler(schedulerId(QUEUES.lookupEvents, scope), { every: config.LOOKUP_EVENTS_EVERY_SECONDS * 1000 }, {
      name: 'lookup-events',
      data: scope,
      opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } },
    });
    await tagQueue.upsertJobScheduler(schedulerId(QUEUES.tagSync, scope), { every: config.TAG_SYNC_EVERY_SECONDS * 1000 }, {
      name: 'tag-sync',
      data: scope,
      opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } },
    });
  }
  const iamQueue = createQueue<IamSnapshotJob>(QUEUES.iamSnapshot, config.REDIS_URL, prefix);
  for (const accountId of config.GOVGRAPH_ACCOUNTS) {
    await iamQueue.upsertJobScheduler(iamSchedulerId(accountId), { every: config.IAM_SNAPSHOT_EVERY_SECONDS * 1000 }, {
      name: 'iam-snapshot',
      data: { accountId },
      opts: { attempts: 5, backoff: { type: 'exponential', delay: 30_000 } },
    });
  }
  log.info({ scopes: awsScopes(config).length, prefix }, 'workers started');

  await new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      log.info({ signal }, 'stopping workers: finishing active jobs');
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([lookupQueue.close(), tagQueue.close(), iamQueue.close()]);
      publisher.disconnect();
      await pool.end();
      resolve();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
