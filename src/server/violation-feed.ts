import type { Redis } from 'ioredis';
import { parseOpenedMessage } from '../compliance/notify';
import type { Queryable } from '../read/sql';
import { matchesViolationFilter, violationsByIds, type ViolationFilter, type ViolationRow } from '../read/violations';

export interface FeedLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Violations a subscriber may have waiting before it is cut off (it fell behind). */
const MAX_WAITING = 1000;

/**
 * One API instance's end of the violation-opened channel: a single Redis subscriber connection,
 * opened at the first subscription, and a fan-out to this instance's violationOpened subscribers.
 * Each message's violations are read once (one statement) and handed to every subscriber whose
 * filter they match, oldest offending event first.
 */
export class ViolationFeed {
  private subscriber: Redis | null = null;
  private subscribing: Promise<void> | null = null;
  private readonly listeners = new Set<(rows: ViolationRow[]) => void>();
  private closed = false;

  constructor(
    private readonly deps: {
      /** a connection to duplicate: a subscribed ioredis connection can do nothing else */
      redis: Redis;
      channel: string;
      db: Queryable;
      log: FeedLog;
    },
  ) {}

  /**
   * The violations opened from now on that match the filter, until the caller stops iterating
   * (graphql-ws calls return() when the client unsubscribes or disconnects).
   */
  async opened(filter: ViolationFilter, visible?: (ids: string[]) => Promise<Set<string>>): Promise<AsyncIterableIterator<ViolationRow>> {
    const waiting: ViolationRow[] = [];
    /** matched rows the caller's scope has been checked to read */
    const ready: ViolationRow[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    let failure: Error | null = null;
    const listener = (rows: ViolationRow[]) => {
      for (const row of rows) if (matchesViolationFilter(row, filter)) waiting.push(row);
      if (waiting.length > MAX_WAITING) {
        failure = new Error(`this subscription fell behind (more than ${MAX_WAITING} violations waiting); subscribe again, and query violations(filter: {from: …}) for the gap`);
        this.listeners.delete(listener);
      }
      wake?.();
    };
    this.listeners.add(listener);
    try {
      await this.listen();
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    const stop = () => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
    };
    const iterator: AsyncIterableIterator<ViolationRow> = {
      next: async () => {
        while (ready.length === 0) {
          while (!done && !failure && waiting.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          if (failure) throw failure;
          if (done) return { done: true, value: undefined };
          const batch = waiting.splice(0);
          const seen = visible ? await visible(batch.map((r) => r.id)) : null;
          ready.push(...(seen ? batch.filter((r) => seen.has(r.id)) : batch));
        }
        if (done) return { done: true, value: undefined };
        return { done: false, value: ready.shift()! };
      },
      return: async () => {
        stop();
        return { done: true, value: undefined };
      },
      throw: async (err: unknown) => {
        stop();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Ends every subscription and closes the Redis connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  /** How many subscriptions this instance serves. */
  get size(): number {
    return this.listeners.size;
  }

  private listen(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the API is stopping'));
    if (!this.subscribing) {
      const subscriber = this.deps.redis.duplicate();
      subscriber.on('error', (err: Error) => this.deps.log.debug({ err: err.message }, 'redis subscriber connection error'));
      subscriber.on('message', (_channel: string, text: string) => void this.deliver(text));
      this.subscriber = subscriber;
      // ioredis subscribes again by itself after a reconnection
      this.subscribing = subscriber.subscribe(this.deps.channel).then(
        () => undefined,
        (err: Error) => {
          // the next subscription tries again
          this.subscribing = null;
          this.subscriber = null;
          subscriber.disconnect();
          throw new Error(`cannot listen for new violations: ${err.message}`);
        },
      );
    }
    return this.subscribing;
  }

  private async deliver(text: string): Promise<void> {
    const ids = parseOpenedMessage(text);
    if (!ids) {
      this.deps.log.warn({ channel: this.deps.channel }, 'ignored a message that is not a list of violation ids');
      return;
    }
    if (this.listeners.size === 0 || ids.length === 0) return;
    try {
      const rows = (await violationsByIds(this.deps.db, ids)).sort(
        (a, b) => a.eventTime.getTime() - b.eventTime.getTime() || Number(BigInt(a.id) - BigInt(b.id)),
      );
      for (const listener of [...this.listeners]) listener(rows);
    } catch (err) {
      this.deps.log.warn({ err: err instanceof Error ? err.message : String(err), count: ids.length }, 'could not read new violations for subscribers');
    }
  }
}
