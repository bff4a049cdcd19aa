/**
 * Postgres array literals for the `unnest($1::text[], …)` parameters of set-based writes. node-postgres
 * builds the same literal itself, but formats each Date in local time and runs two replacements on
 * every element; these batches pass tens of thousands of elements, most needing no escape at all.
 */

const NEEDS_QUOTE_ESCAPE = /[\\"]/;
const QUOTE_ESCAPES = /[\\"]/g;

/** `{"a","b",NULL}`: every element quoted (so empty strings and `NULL` text survive), null as NULL. */
export function textArray(values: readonly (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else out += NEEDS_QUOTE_ESCAPE.test(v) ? `"${v.replace(QUOTE_ESCAPES, '\\$&')}"` : `"${v}"`;
  }
  return out + '}';
}

/**
 * Formatted timestamps by instant: one event's time is written in several statements (its eventID
 * claim, its principal, its resources, their tags and its violations). Keyed by the epoch
 * milliseconds, not by Date object: a WeakMap entry costs several times as much to add, and its
 * ephemerons are more work for every garbage collection.
 */
const isoOf = new Map<number, string>();
const ISO_CACHE_SIZE = 50_000;

export function isoTimestamp(d: Date): string {
  const ms = d.getTime();
  let iso = isoOf.get(ms);
  if (iso === undefined) {
    iso = d.toISOString();
    if (isoOf.size >= ISO_CACHE_SIZE) isoOf.clear();
    isoOf.set(ms, iso);
  }
  return iso;
}

/** Timestamps as ISO 8601 in UTC, for a `timestamptz[]` parameter. */
export function timestampArray(values: readonly (Date | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += (i > 0 ? ',' : '') + (v === null || v === undefined ? 'NULL' : isoTimestamp(v));
  }
  return out + '}';
}
