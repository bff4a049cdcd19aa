import { actedOnResources, callOutcome, createsResource, crossTeamAssessments, isMutatingCall, MUTATING_VERBS, returnedArns } from '../access-facts';
import { findingsOf, type Assessment } from '../assessment';
import { SAGEMAKER_SOURCE } from '../request-tags';
import type { Rule, RuleContext, RuleEvent } from '../types';

/**
 * The resources a successful call changed or used, without the one it created: a new resource's
 * team is its create request's tag, which tagging-team-tag-mismatch judges. Resources a create
 * names besides (the user profile an app is created in, the endpoint configuration an endpoint
 * uses) are still judged.
 */
function targetsOf(event: RuleEvent): string[] {
  const acted = actedOnResources(event);
  if (!createsResource(event.eventName)) return acted;
  const returned = returnedArns(event);
  const created = new Set(returned.length > 0 ? returned : event.primaryResourceArn ? [event.primaryResourceArn] : []);
  return acted.filter((arn) => !created.has(arn));
}

/**
 * A principal of one team succeeded in changing a SageMaker resource another team owned at the
 * time: the team isolation failed. Only calls that change something (MUTATING_VERBS): the seed
 * grants Describe*, List* and Search on `*` to every team, so reading another team's resource is
 * by design.
 */
export function assessCrossTeamAction(event: RuleEvent, ctx: RuleContext): Assessment[] {
  if (event.eventSource !== SAGEMAKER_SOURCE || callOutcome(event) !== 'succeeded' || !isMutatingCall(event.eventName)) return [];
  const targets = targetsOf(event);
  if (targets.length === 0 && createsResource(event.eventName)) return [];
  return crossTeamAssessments(event, ctx, targets);
}

export const accessCrossTeamAction: Rule = {
  id: 'access-cross-team-action',
  title: "Another team's SageMaker resource changed",
  severity: 'HIGH',
  rationale:
    '05-studio-team-isolation-abac, use case 2: "Team B users cannot access artifacts (experiments, etc.) created by Team A members"; '
    + 'the team roles may call sagemaker:Delete*, Stop*, Update*, Start*, (Dis)AssociateTrialComponent and BatchPutMetrics only when '
    + '"aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}". A successful change by another team means that control is missing or bypassed '
    + '(e.g. sagemaker:AddTags, which the seed allows on "*", can re-tag a resource into another team). '
    + `Calls judged: names starting ${MUTATING_VERBS.join('/')}; reads are allowed across teams by the seed's read-only policy.`,
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: MUTATING_VERBS.map((verb) => `${verb}*`) }],
  successfulOnly: true,
  remediation:
    'Check what was changed and restore it with the owning team; find the grant that allowed it (a policy without the '
    + '"aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}" condition, e.g. AmazonSageMakerFullAccess) and remove it; '
    + 'restrict sagemaker:AddTags/DeleteTags on the team tag (aws:TagKeys) so ownership cannot be moved.',
  evaluate: (event, ctx) => findingsOf(assessCrossTeamAction(event, ctx)),
};
