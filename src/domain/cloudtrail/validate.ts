/**
 * First transform step: decide whether a source record can be stored as an audit event.
 * A rejection keeps the record's text and says every problem at once, so one look at the
 * rejected-records table is enough to fix a feed.
 */
import type { SourceRecord, ValidatedRecord } from './types';

/** A parsed JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a string with something in it; CloudTrail writes `""` for "not known". */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

const REQUIRED_STRINGS = ['eventID', 'eventTime', 'eventSource', 'eventName'] as const;

export function validateCloudTrailRecord(rec: SourceRecord): ValidatedRecord {
  const { problems, eventTime } = findProblems(rec);
  if (problems.length > 0 || eventTime === null) {
    return { ok: false, rejected: { source: rec.source, position: rec.position, reason: problems.join('; '), raw: rec.text } };
  }
  return { ok: true, record: rec.value as Record<string, unknown>, eventTime, text: rec.text, source: rec.source, position: rec.position };
}

/** Every problem of the record, and its eventTime when that parses (normalising needs it too). */
function findProblems(rec: SourceRecord): { problems: string[]; eventTime: Date | null } {
  if (rec.value === undefined) return { problems: [`not JSON: ${jsonParserMessage(rec.text)}`], eventTime: null };
  if (!isJsonObject(rec.value)) return { problems: [`not a JSON object: got ${describeJsonType(rec.value)}`], eventTime: null };
  const record = rec.value;
  const problems = REQUIRED_STRINGS.map((field) => requiredStringProblem(field, record[field])).filter(
    (p): p is string => p !== null,
  );
  const text = record.eventTime;
  const eventTime = typeof text === 'string' && text.trim() !== '' ? parseIsoTimestamp(text) : null;
  if (typeof text === 'string' && text.trim() !== '' && eventTime === null) {
    problems.push(`eventTime ${JSON.stringify(text)} is not an ISO 8601 timestamp`);
  }
  return { problems, eventTime };
}

function requiredStringProblem(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return `missing ${field}`;
  if (typeof value !== 'string') return `${field} is not a string: got ${describeJsonType(value)}`;
  if (value.trim() === '') return `${field} is empty`;
  return null;
}

/** The source gives no parser message, so parse the text again to report why it is not JSON. */
function jsonParserMessage(text: string): string {
  try {
    JSON.parse(text);
    return 'the source gave no parsed value';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * `2016-01-26T21:42:12Z`, `2021-11-18T09:41:02-08:00`, fractional seconds allowed; a time zone is
 * required (a local time cannot be placed on the timeline). Out-of-calendar dates (Feb 30) are
 * refused: `Date.parse` would silently roll them over.
 */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

export function parseIsoTimestamp(text: string): Date | null {
  const m = ISO_8601.exec(text.trim());
  if (!m) return null;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = +m[4];
  const minute = +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  if (!isCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetMinutes = m[8] === 'Z' || m[8] === 'z' ? 0 : zoneOffsetMinutes(m[9], m[10], m[11]);
  if (offsetMinutes === null) return null;
  if (year >= 100) return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

function zoneOffsetMinutes(sign: string, hours: string, minutes: string): number | null {
  const h = Number(hours);
  const min = Number(minutes);
  if (h > 23 || min > 59) return null;
  return (sign === '-' ? -1 : 1) * (h * 60 + min);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (month !== 2) return day <= DAYS_IN_MONTH[month - 1];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (leap ? 29 : 28);
}
