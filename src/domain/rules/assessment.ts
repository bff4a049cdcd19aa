/**
 * What a rule concluded about one resource of one event, including the cases where it found
 * nothing wrong or could not decide. Only breaches become Findings; the other verdicts keep their
 * evidence so that tests (and, if it wants, the evaluator) can see why a rule stayed silent, e.g.
 * `{ ownerTeam: null, undecided: 'the experiment had no team tag at the time' }`.
 */
import type { Finding } from './types';

export type Verdict = 'breach' | 'pass' | 'undecided';

export interface Assessment extends Finding {
  verdict: Verdict;
}

/** The breaches, as the Findings the Rule contract returns. */
export function findingsOf(assessments: readonly Assessment[]): Finding[] {
  return assessments
    .filter((a) => a.verdict === 'breach')
    .map(({ resourceArn, message, evidence }) => ({ resourceArn, message, evidence }));
}
