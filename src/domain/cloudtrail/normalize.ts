/**
 * The transform stage's output for one validated record: the columns govgraph queries on, the
 * principal, the touched resources and the inventory effects. Pure and deterministic, so a
 * redelivered record normalises to exactly the same event.
 */
import { deriveInventoryEffects } from './inventory';
import { resolvePrincipal } from './principal';
import { extractTouchedResources } from './resources';
import type { NormalizedEvent } from './types';
import { isJsonObject, nonEmptyString, parseIsoTimestamp } from './validate';

/**
 * Call only with a record `validateCloudTrailRecord` accepted. Given one it did not (no eventID,
 * unreadable eventTime), it throws instead of inventing values.
 */
export function normalizeCloudTrailRecord(
  record: Record<string, unknown>,
  /** the record's eventTime as validation parsed it, if at hand */
  validatedTime?: Date,
): NormalizedEvent {
  const identity = isJsonObject(record.userIdentity) ? record.userIdentity : {};
  const resources = extractTouchedResources(record);
  return {
    eventId: required(record, 'eventID'),
    eventTime: validatedTime ?? eventTimeOf(record),
    eventSource: required(record, 'eventSource'),
    eventName: required(record, 'eventName'),
    eventType: nonEmptyString(record.eventType),
    eventCategory: nonEmptyString(record.eventCategory),
    awsRegion: nonEmptyString(record.awsRegion),
    accountId: nonEmptyString(record.recipientAccountId) ?? nonEmptyString(identity.accountId),
    ...resolvePrincipal(record),
    sourceIpAddress: nonEmptyString(record.sourceIPAddress),
    userAgent: nonEmptyString(record.userAgent),
    errorCode: nonEmptyString(record.errorCode),
    errorMessage: nonEmptyString(record.errorMessage),
    readOnly: readOnlyOf(record.readOnly),
    resources,
    effects: deriveInventoryEffects(record, resources),
  };
}

function required(record: Record<string, unknown>, field: string): string {
  const value = nonEmptyString(record[field]);
  if (value === null) throw new TypeError(`record was not validated: ${field} is missing`);
  return value;
}

function eventTimeOf(record: Record<string, unknown>): Date {
  const time = parseIsoTimestamp(required(record, 'eventTime'));
  if (time === null) throw new TypeError('record was not validated: eventTime is not an ISO 8601 timestamp');
  return time;
}

/** Older records and some feeds write the flag as a string. */
function readOnlyOf(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}
