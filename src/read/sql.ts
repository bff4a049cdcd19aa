/** Numbered query parameters: `p.add(value)` returns the placeholder (`$3`) to write in the SQL. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A statement Postgres plans once per connection. */
export interface NamedStatement {
  name: string;
  text: string;
  values?: unknown[];
}

/** The minimum the read layer needs from a pg Pool (one round trip per call: easy to count). */
export interface Queryable {
  /** text, or a named (prepared) statement */
  query<R extends Record<string, any> = any>(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** A Queryable that can apply work whole or not at all (an API request's session: a savepoint). */
export interface Atomic extends Queryable {
  atomically<T>(work: (db: Queryable) => Promise<T>): Promise<T>;
}

/** `column = $n` for each column whose value is given: an absent filter field (null, undefined) narrows nothing. */
export function equalities(p: Params, pairs: readonly (readonly [column: string, value: unknown])[]): string[] {
  return pairs.filter(([, value]) => value !== null && value !== undefined).map(([column, value]) => `${column} = ${p.add(value)}`);
}

export const whereClause = (conditions: string[]): string => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

/** Groups rows by a parent key, keeping the order the query gave them in. */
export function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}
