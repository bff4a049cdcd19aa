import { Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';

/** The queues, one per source. Names carry no ':' (BullMQ uses it in its own keys). */
export const QUEUES = {
  cloudTrailFiles: 'cloudtrail-files',
  lookupEvents: 'lookup-events',
  tagSync: 'tag-sync',
  iamSnapshot: 'iam-snapshot',
} as const;

export interface CloudTrailFilesJob {
  paths: string[];
}
/** IAM is global: one snapshot job per account. */
export interface IamSnapshotJob {
  accountId: string;
}
export interface ScopeJob {
  accountId: string;
  region: string;
}

/**
 * Connection options rather than a client: BullMQ then opens, owns and closes its connections
 * (blocking commands need maxRetriesPerRequest: null).
 */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export function createQueue<T>(name: string, redisUrl: string, prefix: string): Queue<T> {
  return new Queue<T>(name, { connection: redisOptions(redisUrl), prefix });
}

/** Scheduler ids name the scope, so re-running the worker updates rather than duplicates them. */
export const schedulerId = (queue: string, s: ScopeJob) => `${queue}-${s.accountId}-${s.region}`;

/** One IAM snapshot scheduler per account. */
export const iamSchedulerId = (accountId: string) => `${QUEUES.iamSnapshot}-${accountId}`;
