import type { PreparedEvent } from '../../ingest/cloudtrail-load';
import { textSha256 } from './content-hash';
import { normalizeCloudTrailRecord } from './normalize';
import type { RejectedRecord, SourceRecord } from './types';
import { validateCloudTrailRecord } from './validate';

/**
 * The transform stage for one record: validate, normalise, hash. Pure: the same record always
 * gives the same result; a record that cannot be stored comes back as a rejection with its reason.
 */
export function prepareCloudTrailRecord(rec: SourceRecord): PreparedEvent | RejectedRecord {
  const checked = validateCloudTrailRecord(rec);
  if (!checked.ok) return checked.rejected;
  try {
    return {
      event: normalizeCloudTrailRecord(checked.record, checked.eventTime),
      text: checked.text,
      record: checked.record,
      contentSha256: textSha256(checked.text),
      source: rec.source,
      position: rec.position,
    };
  } catch (err) {
    return { source: rec.source, position: rec.position, reason: `cannot normalise: ${err instanceof Error ? err.message : String(err)}`, raw: rec.text };
  }
}

export const isPrepared = (x: PreparedEvent | RejectedRecord): x is PreparedEvent => 'event' in x;
