import { actedOnResources, callOutcome, crossTeamAssessments, DENIED_ERROR_CODES } from '../access-facts';
import { findingsOf, type Assessment } from '../assessment';
import { SAGEMAKER_SOURCE } from '../request-tags';
import type { Rule, RuleContext, RuleEvent } from '../types';

/**
 * A principal of one team denied a SageMaker call on a resource another team owned at the time.
 * Every call counts, reads included: under the seed's policies reads are allowed on `*`, so a
 * denied read is rare and still someone reaching into another team's work. Calls that failed for
 * another reason than a denial (validation, not found, throttling) are not attempts.
 */
export function assessCrossTeamAttempt(event: RuleEvent, ctx: RuleContext): Assessment[] {
  if (event.eventSource !== SAGEMAKER_SOURCE || callOutcome(event) !== 'denied') return [];
  return crossTeamAssessments(event, ctx, actedOnResources(event));
}

export const accessCrossTeamAttempt: Rule = {
  id: 'access-cross-team-attempt',
  title: "Denied attempt on another team's SageMaker resource",
  severity: 'MEDIUM',
  rationale:
    '05-studio-team-isolation-abac, use case 2: "Team B users cannot access artifacts (experiments, etc.) created by Team A members"; '
    + 'the team roles may Delete/Stop/Update/Start only when "aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}", and the seed shows '
    + 'TeamB\'s role denied sagemaker:DeleteExperiment on TeamA\'s experiment usera1teamaexperiment1. The control held; the attempt is recorded '
    + `so that "Did anyone from TeamB touch TeamA's experiments?" can be answered. Denials are errorCode ${DENIED_ERROR_CODES.join(', ')}.`,
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['*'] }],
  successfulOnly: false,
  deniedOnly: true,
  remediation:
    'Ask the principal\'s team what it was trying to do: a mistaken resource name, a shared artifact that should be re-tagged or copied, or probing. '
    + 'Nothing to undo: the call was denied.',
  evaluate: (event, ctx) => findingsOf(assessCrossTeamAttempt(event, ctx)),
};
