import { randomUUID } from 'node:crypto';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A BullMQ key prefix of this test's own (Cluster-style hash tag), so tests never share queues. */
export const testQueuePrefix = () => `{govgraph-test-${randomUUID().slice(0, 8)}}`;
