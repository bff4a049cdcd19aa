import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { Identity } from '../auth/identity';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one request of this credential; refused once its budget for the current minute is spent. */
  consume(credentialKey: string): Promise<RateDecision>;
}

export interface RateLimitLog {
  warn(obj: object, msg: string): void;
}

export interface RateLimiterOptions {
  pointsPerMinute: number;
  /**
   * Key prefix in Redis; give it the queue prefix's hash tag (`{govgraph}:api-rate`) so the keys
   * live in one Redis Cluster slot like every other govgraph key.
   */
  keyPrefix: string;
  /** how long a Redis answer may take before this process counts on its own (ms) */
  redisTimeoutMs?: number;
  log?: RateLimitLog;
}

/**
 * A per-credential request budget per minute, counted in Redis (rate-limiter-flexible's atomic
 * Redis limiter), so every API process draws on the same budget.
 *
 * When Redis is down or slow, each process counts in its own memory instead (the library's
 * insurance limiter), with a warning: the API keeps answering (Redis is not needed to read
 * Postgres), and a caller is still bounded, at most the budget per process; the query limits,
 * statement timeout and connection bounds hold regardless. Failing closed would turn a Redis
 * outage into an API outage; failing fully open would leave a flood unbounded.
 */
export function createRateLimiter(redis: Redis, options: RateLimiterOptions): RateLimiter {
  const { pointsPerMinute, keyPrefix, redisTimeoutMs = 250, log } = options;
  let warnedAt = 0;
  const insurance = new (class extends RateLimiterMemory {
    override consume(key: string | number, points?: number, opts?: { [key: string]: unknown }) {
      // at most one warning a minute while Redis is out
      if (Date.now() - warnedAt > 60_000) {
        warnedAt = Date.now();
        log?.warn({ redis: redis.status }, 'rate limit: Redis unavailable, counting per process until it answers');
      }
      return super.consume(key, points, opts);
    }
  })({ points: pointsPerMinute, duration: 60, keyPrefix });
  const shared = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: pointsPerMinute,
    duration: 60,
    // not connected: go to the insurance at once instead of queueing behind a reconnect
    rejectIfRedisNotReady: true,
  });
  const limiter = new RLWrapperTimeouts({ limiter: shared, timeoutMs: redisTimeoutMs, insuranceLimiter: insurance });

  return {
    async consume(credentialKey) {
      try {
        await limiter.consume(credentialKey);
        return { allowed: true };
      } catch (res) {
        if (res instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
        // neither Redis nor the insurance answered: let the request through (see above)
        log?.warn({ err: res instanceof Error ? res.message : String(res) }, 'rate limit: not counted');
        return { allowed: true };
      }
    },
  };
}

/** The budget an identity draws on: one per API key or OIDC subject, whatever token it presents. */
export function rateLimitKey(identity: Pick<Identity, 'kind' | 'id'>): string {
  return `${identity.kind}:${identity.id}`;
}

/**
 * Express middleware: refuses a request over its credential's budget with HTTP 429, a
 * `Retry-After` header (seconds) and a GraphQL error with code RATE_LIMITED. `keyOf` names the
 * budget (rateLimitKey of the authenticated identity).
 */
export function rateLimitMiddleware(limiter: RateLimiter, keyOf: (req: Request) => string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = keyOf(req);
    const decision = await limiter.consume(key);
    if (decision.allowed) return next();
    res
      .status(429)
      .set('Retry-After', String(decision.retryAfterSeconds))
      .json({
        errors: [
          {
            message: `Too many requests for this credential; retry after ${decision.retryAfterSeconds} s`,
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: decision.retryAfterSeconds },
          },
        ],
      });
  };
}

/**
 * Express middleware: at most `maxInFlight` requests of one credential run at a time on this
 * process (each holds a database connection while it runs). More wait their turn, in order, up
 * to `maxWaiting` of them (a dashboard's panels arrive together); one more than that is refused
 * with HTTP 429 at once, so a caller looping its heaviest allowed query cannot take every
 * connection of the pool. A waiting request whose client goes away leaves the line.
 */
export function concurrencyLimitMiddleware(maxInFlight: number, keyOf: (req: Request) => string, maxWaiting = 4 * maxInFlight) {
  const lines = new Map<string, { running: number; waiting: (() => void)[] }>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = keyOf(req);
    const line = lines.get(key) ?? { running: 0, waiting: [] };
    lines.set(key, line);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const turn = line.waiting.shift();
      if (turn) turn(); // the slot passes to the next in line
      else if (--line.running === 0) lines.delete(key);
    };
    if (line.running < maxInFlight) {
      line.running++;
      res.on('close', release);
      return next();
    }
    if (line.waiting.length >= maxWaiting) {
      res
        .status(429)
        .set('Retry-After', '1')
        .json({
          errors: [
            {
              message: `Too many requests in flight for this credential (${maxInFlight} running and ${maxWaiting} waiting); wait for an answer before sending more`,
              extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 },
            },
          ],
        });
      return;
    }
    const turn = () => {
      res.off('close', leave);
      res.on('close', release);
      next();
    };
    const leave = () => {
      const at = line.waiting.indexOf(turn);
      if (at >= 0) line.waiting.splice(at, 1);
    };
    line.waiting.push(turn);
    res.on('close', leave);
  };
}
