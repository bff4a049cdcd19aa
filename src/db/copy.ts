import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value COPY can take: null is SQL NULL; arrays become Postgres array literals. */
export type CopyValue = string | number | boolean | Date | null | string[];

/** One CSV field. Every non-null field is quoted, so NULL (unquoted empty) stays distinct from ''. */
function csvField(value: CopyValue): string {
  if (value === null) return '';
  let text: string;
  if (Array.isArray(value)) text = `{${value.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Streams rows into a table with COPY … FROM STDIN (CSV): the fastest set-based write Postgres
 * offers, one round trip per batch. Runs on the caller's client so it joins its transaction.
 */
export async function copyRows(client: PoolClient, table: string, columns: string[], rows: CopyValue[][]): Promise<void> {
  if (rows.length === 0) return;
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`;
  // ~256 KiB chunks: one socket write per row would cost more than the rows themselves
  const chunks = function* () {
    let chunk = '';
    for (const row of rows) {
      chunk += `${row.map(csvField).join(',')}\n`;
      if (chunk.length >= 262_144) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  };
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}
