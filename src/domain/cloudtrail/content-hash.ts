import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';

/**
 * SHA-256 of a record's canonical JSON (keys sorted, no insignificant whitespace), so the same
 * record redelivered in another envelope or key order is a duplicate, and only a real change
 * of content is a conflict.
 */
export function contentSha256(record: unknown): string {
  return createHash('sha256').update(stringify(record) ?? 'null').digest('hex');
}

export function textSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
