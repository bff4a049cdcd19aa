/**
 * Client-side pacing for AWS APIs with a per-account-and-region request rate.
 *
 * LookupEvents allows 2 requests per second per account and region; going faster only earns
 * ThrottlingException and retries. A pacer hands out start times so that at most N requests
 * start in any one-second window (a sliding window: N may start at once, the (N+1)-th waits
 * until a second after the first).
 *
 * It is in-process on purpose: one job pages one account/region at a time, so one pacer per
 * job is the whole story. It is not a distributed limiter.
 */

export interface RequestPacer {
  /** Resolves when the caller may start its request. */
  wait(): Promise<void>;
}

export interface RequestPacerOptions {
  /**
   * Added to the one-second window. The service counts arrivals, and the network does not deliver
   * requests exactly as spaced (a new connection's handshake delays the first one), so a little
   * slack keeps N+1 arrivals out of one second at the service. Default 100 ms.
   */
  marginMs?: number;
  /** Monotonic clock in milliseconds (tests may inject one). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createRequestPacer(requestsPerSecond: number, options: RequestPacerOptions = {}): RequestPacer {
  if (!Number.isInteger(requestsPerSecond) || requestsPerSecond < 1) {
    throw new RangeError(`requestsPerSecond must be a positive integer, got ${requestsPerSecond}`);
  }
  const windowMs = 1000 + (options.marginMs ?? 100);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  // Start times given to the last N callers, oldest first. They may lie in the future (callers
  // still waiting); the slot is taken synchronously, so concurrent callers queue up in order.
  const starts: number[] = [];

  return {
    async wait() {
      const t = now();
      // The (N+1)-th request may start one window after the request N places before it.
      const slot = starts.length < requestsPerSecond ? t : Math.max(t, starts[0] + windowMs);
      starts.push(slot);
      if (starts.length > requestsPerSecond) starts.shift();
      // Timers may fire a little early: sleep until the clock has really reached the slot.
      for (let left = slot - now(); left > 0; left = slot - now()) await sleep(left);
    },
  };
}
