import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRateLimiter } from '../../src/server/rate-limit';
import { REDIS_URL } from '../support/redis';

/** The per-credential budget, counted in Redis: shared by every API process, and the API survives Redis going away. */

describe('the API rate limit', () => {
  const prefix = `{govgraph-test-${randomUUID().slice(0, 8)}}:api-rate`;
  const connections: Redis[] = [];
  /** A connected Redis client (until it is ready, the limiter counts per process by design). */
  const connect = async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    return redis;
  };

  afterAll(async () => {
    const cleanup = await connect();
    const keys = await cleanup.keys(`${prefix}*`);
    if (keys.length) await cleanup.del(...keys);
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  });

  it('shares one budget between two API processes and says when to retry', async () => {
    // Arrange: two limiters, each with its own Redis connection, as two processes have
    const a = createRateLimiter(await connect(), { pointsPerMinute: 5, keyPrefix: prefix });
    const b = createRateLimiter(await connect(), { pointsPerMinute: 5, keyPrefix: prefix });
    const key = `api-key:${randomUUID()}`;

    // Act: 3 requests through one process, 2 through the other, then one more through each
    const allowed = [await a.consume(key), await a.consume(key), await a.consume(key), await b.consume(key), await b.consume(key)];
    const overA = await a.consume(key);
    const overB = await b.consume(key);

    // Assert
    expect(allowed).toEqual(Array(5).fill({ allowed: true }));
    for (const over of [overA, overB]) {
      expect(over.allowed).toBe(false);
      if (!over.allowed) {
        expect(over.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(over.retryAfterSeconds).toBeLessThanOrEqual(60);
      }
    }
  });

  it('keeps one budget per credential', async () => {
    // Arrange
    const limiter = createRateLimiter(await connect(), { pointsPerMinute: 2, keyPrefix: prefix });
    const spent = `api-key:${randomUUID()}`;
    const other = `oidc:${randomUUID()}`;
    await limiter.consume(spent);
    await limiter.consume(spent);

    // Act
    const results = [await limiter.consume(spent), await limiter.consume(other)];

    // Assert
    expect(results.map((r) => r.allowed)).toEqual([false, true]);
  });

  it('keeps its keys under the hash-tagged prefix (one Redis Cluster slot)', async () => {
    // Arrange
    const redis = await connect();
    const key = `api-key:${randomUUID()}`;
    await createRateLimiter(redis, { pointsPerMinute: 10, keyPrefix: prefix }).consume(key);

    // Act
    const keys = await redis.keys(`${prefix}*${key}`);

    // Assert
    expect(keys).toHaveLength(1);
    expect(keys[0]!.startsWith('{govgraph-test-')).toBe(true);
  });

  it('counts per process, with a warning, while Redis is unreachable, instead of failing requests', async () => {
    // Arrange: a Redis connection that never connects (nothing listens on port 1)
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const warnings: string[] = [];
    const limiter = createRateLimiter(down, { pointsPerMinute: 3, keyPrefix: prefix, log: { warn: (_obj, msg) => warnings.push(msg) } });
    const key = `api-key:${randomUUID()}`;

    // Act
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.consume(key));

    // Assert
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Redis unavailable');
    down.disconnect();
  });
});
