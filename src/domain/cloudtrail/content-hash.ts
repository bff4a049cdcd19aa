import { hash } from 'node:crypto';
import stringify from 'safe-stable-stringify';

/**
 * How govgraph tells a redelivered record from a changed one. Every stored record keeps the
 * SHA-256 of its text as received (`textSha256`): cheap, and equal for the common redelivery, the
 * same file read again. Only when two texts with one eventID differ is the slower question asked:
 * the same content in another envelope, key order or spacing (`sameRecordContent`, on canonical
 * JSON) is a duplicate, and only a real change of content is a conflict.
 */
export function textSha256(text: string): string {
  // the one-shot form: a third cheaper than a Hash object per record
  return hash('sha256', text, 'hex');
}

/** Whether two parsed records are the same content however written (canonical JSON: keys sorted). */
export function sameRecordContent(a: unknown, b: unknown): boolean {
  return stringify(a) === stringify(b);
}
