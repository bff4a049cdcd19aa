import type { RejectedRecord, SourceRecord } from './types';

/**
 * One item read from a CloudTrail source (a log file, a JSON Lines file, a LookupEvents page):
 * either a record to transform, or something that could not even be read as a record
 * (a line or a `CloudTrailEvent` string that is not JSON), kept aside with its reason.
 */
export type SourceItem = { kind: 'record'; record: SourceRecord } | { kind: 'rejected'; rejected: RejectedRecord };
