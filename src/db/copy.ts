import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isoTimestamp } from './array-literal';

/** A value COPY can take: null is SQL NULL; arrays become Postgres array literals. */
export type CopyValue = string | number | boolean | Date | null | string[];

const TEXT_SPECIAL_ALL = /[\\\n\r\t]/g;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const ARRAY_SPECIAL = /[\\"]/g;

/**
 * One field in COPY's text format: `\N` is NULL; backslash, newline, carriage return and tab are
 * escaped, nothing else is touched (so a JSON record, which holds few of them, is copied through
 * as is); arrays become array literals with every element quoted.
 */
export function copyTextField(value: CopyValue): string {
  if (value === null) return '\\N';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) {
    text = '{';
    for (let i = 0; i < value.length; i++) text += `${i > 0 ? ',' : ''}"${value[i].replace(ARRAY_SPECIAL, '\\$&')}"`;
    text += '}';
  } else if (value instanceof Date) return isoTimestamp(value);
  else return String(value);
  return hasTextSpecial(text) ? text.replace(TEXT_SPECIAL_ALL, (c) => TEXT_ESCAPES[c]) : text;
}

/** Whether the text holds a character COPY's text format escapes; native substring searches, as a JSON record is long and seldom holds one. */
function hasTextSpecial(text: string): boolean {
  return text.indexOf('\\') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0 || text.indexOf('\t') >= 0;
}

/** ~256 KiB: one socket write per row would cost more than the rows themselves */
const CHUNK_BYTES = 262_144;

/**
 * Rows in COPY's text format, as the bytes COPY reads, in ~256 KiB chunks: built apart from the
 * write so that a pipeline can build the next batch's while the current one is written. Each row
 * is encoded straight into the chunk: a chunk-sized string would be one more copy, and a large
 * object the young generation cannot collect.
 */
export function copyTextChunks(rows: readonly CopyValue[][]): Buffer[] {
  const out: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let at = 0;
  for (const row of rows) {
    let line = copyTextField(row[0]);
    for (let i = 1; i < row.length; i++) line += '\t' + copyTextField(row[i]);
    line += '\n';
    // at most 3 bytes per UTF-16 code unit
    if (at + line.length * 3 > chunk.length) {
      if (at > 0) out.push(chunk.subarray(0, at));
      chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length * 3));
      at = 0;
    }
    at += chunk.write(line, at);
  }
  if (at > 0) out.push(chunk.subarray(0, at));
  return out;
}

/**
 * Streams rows into a table with COPY … FROM STDIN (text format): the fastest set-based write Postgres
 * offers, one round trip per batch. Runs on the caller's client so it joins its transaction.
 */
export async function copyRows(client: PoolClient, table: string, columns: string[], rows: CopyValue[][]): Promise<void> {
  if (rows.length === 0) return;
  await copyChunks(client, table, columns, copyTextChunks(rows));
}

/** copyRows for rows already in COPY's text format (copyTextChunks). */
export async function copyChunks(client: PoolClient, table: string, columns: string[], chunks: readonly Buffer[]): Promise<void> {
  if (chunks.length === 0) return;
  await pipeline(Readable.from(chunks), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}
