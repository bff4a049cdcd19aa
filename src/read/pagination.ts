import { InvalidInputError } from './errors';
import { unstorableText } from './text';

/**
 * Keyset pagination shared by every list: a page is `first` rows after an opaque cursor, in a
 * fixed order whose key is unique, so pages never skip or repeat a row however many rows arrive
 * between two requests (new rows only ever appear before the first page of a newest-first list,
 * or after the last page of an id-ordered one).
 */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * What a cursor encodes, per list: events by (event_time, event_id), violations by (event_time,
 * id), policy grants by their identity (src/read/grants.ts: GrantKey), everything else by id.
 */
export type CursorKind = 'event' | 'grant' | 'principal' | 'resource' | 'violation' | 'access-log';

/** A validated page request: how many rows, and the keyset to continue after (if any). */
export interface PageRequest {
  first: number;
  after: string[] | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  edges: Edge<T>[];
  hasNextPage: boolean;
  /** true when the page continues an earlier one (`after` was given) */
  hasPreviousPage: boolean;
}

const ARITY: Record<CursorKind, number> = { event: 2, grant: 7, principal: 1, resource: 1, violation: 2, 'access-log': 2 };
const EVENT_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;
const ID = /^(0|[1-9]\d{0,18})$/;
const MAX_BIGINT = 9223372036854775807n;
const STATEMENT_INDEX = /^\d{1,9}$/;

/** A row id Postgres can hold (bigint): a cursor's ids are compared as ::bigint. */
const isBigintId = (s: string) => ID.test(s) && BigInt(s) <= MAX_BIGINT;

/**
 * A timestamp as the lists write it (to_char …US"Z") that names a real instant: Date.parse
 * accepts days past a month's end, and year 0000 is no year to Postgres.
 */
function isCursorTime(s: string): boolean {
  const m = EVENT_TIME.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && days !== undefined && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59;
}

/** `first` is bounded so one request cannot ask the database for an unbounded page. */
export function pageSize(first: number | null | undefined, argument = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw new InvalidInputError(`${argument} must be a whole number from 0 to ${MAX_PAGE_SIZE}; got ${first}`, argument);
  if (first > MAX_PAGE_SIZE) throw new InvalidInputError(`${argument} may be at most ${MAX_PAGE_SIZE}; got ${first}. Page with the \`after\` cursor instead`, argument);
  return first;
}

export function encodeCursor(kind: CursorKind, key: string[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/** The keyset a cursor holds; refuses anything this list did not issue. */
export function decodeCursor(cursor: string, kind: CursorKind, argument = 'after'): string[] {
  const refuse = () => new InvalidInputError(`${argument} is not a cursor of this list; pass an edge's cursor (or endCursor) from a previous page`, argument);
  // a grant's key holds up to three ARNs
  if (!/^[A-Za-z0-9_-]{1,4096}={0,2}$/.test(cursor)) throw refuse();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  // every part is compared in SQL: text Postgres cannot hold would fail there, not here
  if (!Array.isArray(value) || value[0] !== kind || value.length !== ARITY[kind] + 1 || !value.every((v) => typeof v === 'string' && unstorableText(v) === null)) throw refuse();
  const key = value.slice(1) as string[];
  const ok =
    kind === 'event' ? isCursorTime(key[0]) && key[1] !== ''
    : kind === 'violation' || kind === 'access-log' ? isCursorTime(key[0]) && isBigintId(key[1])
    : kind === 'grant' ? STATEMENT_INDEX.test(key[5]) && isCursorTime(key[6])
    : isBigintId(key[0]);
  if (!ok) throw refuse();
  return key;
}

export function pageRequest(first: number | null | undefined, after: string | null | undefined, kind: CursorKind): PageRequest {
  return { first: pageSize(first), after: after === null || after === undefined ? null : decodeCursor(after, kind) };
}

/** Rows fetched with LIMIT first + 1 → the page, and whether more follow. */
export function toPage<T>(rows: T[], req: PageRequest, kind: CursorKind, key: (row: T) => string[]): Page<T> {
  const nodes = rows.slice(0, req.first);
  return {
    edges: nodes.map((node) => ({ cursor: encodeCursor(kind, key(node)), node })),
    hasNextPage: rows.length > req.first,
    hasPreviousPage: req.after !== null,
  };
}
