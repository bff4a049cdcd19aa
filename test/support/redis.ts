import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Processor } from 'bullmq';
import { redisOptions } from '../../src/workers/queues';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A BullMQ key prefix of this test's own (Cluster-style hash tag), so tests never share queues. */
export const testQueuePrefix = () => `{govgraph-test-${randomUUID().slice(0, 8)}}`;

export interface TestQueue<T> {
  queue: Queue<T>;
  /** the return value of the first job the worker completes; rejects with its reason if it fails */
  firstResult: Promise<unknown>;
  /** closes the worker and the events, and removes the queue's keys */
  close(): Promise<void>;
}

/** A queue on a prefix of this test's own, with a worker running `processor` and the queue's events listened to. */
export async function startTestQueue<T>(name: string, processor: Processor<T>): Promise<TestQueue<T>> {
  const prefix = testQueuePrefix();
  const connection = redisOptions(REDIS_URL);
  const queue = new Queue<T>(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  const worker = new Worker<T>(name, processor, { connection, prefix });
  await events.waitUntilReady();
  const firstResult = new Promise<unknown>((resolve, reject) => {
    events.once('completed', ({ returnvalue }) => resolve(returnvalue));
    events.once('failed', ({ failedReason }) => reject(new Error(failedReason)));
  });
  firstResult.catch(() => undefined); // a test that fails before awaiting it reports its own error
  return {
    queue,
    firstResult,
    async close() {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}
