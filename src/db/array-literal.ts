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
 * Formatted timestamps by Date object: one event's time is written in several statements (its
 * eventID claim, its principal, its resources, their tags and its violations).
 */
const isoOf = new WeakMap<Date, string>();

export function isoTimestamp(d: Date): string {
  let iso = isoOf.get(d);
  if (iso === undefined) isoOf.set(d, (iso = d.toISOString()));
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
