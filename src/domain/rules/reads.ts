import { callOutcome } from './access-facts';
import type { Rule, RuleConfig } from './types';

/**
 * Whether a rule reads events of this source and name, by its `reads` declaration: an event name
 * `*` is any name, `Prefix*` any name starting so, anything else the exact name. A rule reports
 * nothing on an event it does not read (test/unit/rule-reads.test.ts holds every rule to that), so
 * the evaluator can leave such events out.
 */
export function ruleReads(rule: Pick<Rule, 'reads'>, eventSource: string, eventName: string): boolean {
  return rule.reads.some(
    (r) => (r.eventSource === '*' || r.eventSource === eventSource) && r.eventNames.some((n) => nameMatches(n, eventName)),
  );
}

function nameMatches(pattern: string, eventName: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? eventName.startsWith(pattern.slice(0, -1)) : pattern === eventName;
}

/**
 * The rules (in their order) that read events of a source and name, memoised by source and name
 * (a stream holds few distinct ones): an empty list means no rule can report on the event.
 */
export function rulesReading<R extends Pick<Rule, 'reads'>>(rules: readonly R[]): (eventSource: string, eventName: string) => readonly R[] {
  // by source, then name: no key string is built per call
  const memo = new Map<string, Map<string, readonly R[]>>();
  let size = 0;
  return (eventSource, eventName) => {
    let byName = memo.get(eventSource);
    let hit = byName?.get(eventName);
    if (hit === undefined) {
      hit = rules.filter((r) => ruleReads(r, eventSource, eventName));
      if (size < 10_000) {
        if (!byName) memo.set(eventSource, (byName = new Map()));
        byName.set(eventName, hit);
        size++;
      }
    }
    return hit;
  };
}

/** The rules the configuration leaves enabled, in their order. */
export function enabledRules<R extends Pick<Rule, 'id'>>(opts: { rules: readonly R[]; config: Pick<RuleConfig, 'disabledRules'> }): R[] {
  return opts.rules.filter((r) => !opts.config.disabledRules.includes(r.id));
}

/**
 * Whether a rule considers a call of this outcome at all (successfulOnly, deniedOnly): one it does
 * not consider gives no finding (test/unit/rule-reads.test.ts holds every rule to that).
 */
export function considersCall(rule: Pick<Rule, 'successfulOnly' | 'deniedOnly'>, errorCode: string | null): boolean {
  if (rule.successfulOnly && errorCode) return false;
  return !rule.deniedOnly || callOutcome({ errorCode }) === 'denied';
}
