import type { Redis } from 'ioredis';

/**
 * New open violations, announced on Redis pub/sub: the evaluator (in whichever process ingests)
 * publishes the ids it inserted; every API instance listening relays them to its violationOpened
 * subscribers. Pub/sub delivers to whoever listens at the time, at most once: a subscriber that
 * was not connected catches up with the violations query.
 */

/** The channel, under the deployment's prefix (GOVGRAPH_QUEUE_PREFIX), so deployments sharing a Redis stay apart. */
export const violationOpenedChannel = (prefix: string) => `${prefix}:violation-opened`;

/** One message on the channel. */
export interface ViolationOpenedMessage {
  ids: string[];
}

/** Ids per message, so one large evaluation batch does not become one huge message. */
const IDS_PER_MESSAGE = 1000;

export interface PublishLog {
  warn(obj: object, msg: string): void;
}

/**
 * EvaluationOptions.onOpened that publishes to Redis. A failed publish is logged, not thrown: the
 * violations are stored, and the notification is best effort.
 */
export function createOpenedPublisher(redis: Redis, channel: string, log: PublishLog): (ids: string[]) => Promise<void> {
  return async (ids) => {
    try {
      for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
        const message: ViolationOpenedMessage = { ids: ids.slice(i, i + IDS_PER_MESSAGE) };
        await redis.publish(channel, JSON.stringify(message));
      }
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err), count: ids.length }, 'could not announce new violations');
    }
  };
}

/** The ids of a message, or null when it is not one of ours. */
export function parseOpenedMessage(text: string): string[] | null {
  try {
    const value = JSON.parse(text) as Partial<ViolationOpenedMessage>;
    return Array.isArray(value.ids) && value.ids.every((id) => typeof id === 'string' && /^\d{1,19}$/.test(id)) ? value.ids : null;
  } catch {
    return null;
  }
}
