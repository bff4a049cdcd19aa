import { ReportError } from './types';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?([Zz]|[+-]\d{2}:?\d{2}))?$/;

/**
 * A report boundary: an ISO 8601 date (midnight UTC) or a date-time with its offset (`Z` or
 * `+01:00`). A date-time without an offset is refused rather than read in the machine's time
 * zone, and impossible dates (2026-02-30) are refused rather than rolled over, so the same
 * arguments always mean the same window.
 */
export function parseReportTime(text: string, flag: string): Date {
  const bad = (why: string) =>
    new ReportError(`${flag} "${text}" ${why}: give an ISO 8601 date (2026-11-01, midnight UTC) or a date-time with an offset (2026-11-01T08:00:00Z)`);
  const m = DATE_TIME.exec(text.trim());
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim())) throw bad('has no time zone offset');
    throw bad('is not an ISO 8601 date or date-time');
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const ms = Number(frac.padEnd(3, '0') || '0');
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (
    month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 ||
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day
  ) {
    throw bad('is not a valid date or time');
  }
  let offsetMinutes = 0;
  if (offset.toUpperCase() !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) throw bad('has an invalid offset');
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(local - offsetMinutes * 60_000);
}
