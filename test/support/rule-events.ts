import { storedEventOf, toRuleEvent } from '../../src/compliance/evaluate';
import type { CloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { isPrepared, prepareCloudTrailRecord } from '../../src/domain/cloudtrail/prepare';
import type { RuleEvent } from '../../src/domain/rules/types';

/** A RuleEvent exactly as the evaluator builds it from the stored record. */
export function ruleEventOf(record: CloudTrailRecord): RuleEvent {
  const p = prepareCloudTrailRecord({ source: 'test', position: 'line 1', value: record, text: JSON.stringify(record) });
  if (!isPrepared(p)) throw new Error(p.reason);
  return toRuleEvent(storedEventOf(p));
}
