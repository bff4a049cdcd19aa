import { findingsOf, type Assessment } from '../assessment';
import { createdResourceArn, lookupTag, requestedName, requestTags, SAGEMAKER_SOURCE, TAGGABLE_SAGEMAKER_CREATES, taggableCreateOf } from '../request-tags';
import type { Rule, RuleContext, RuleEvent } from '../types';

/**
 * A SageMaker resource created without the team tag (exact key: tag keys are case-sensitive).
 * A team tag with an empty value counts as missing: it names no team, and
 * `aws:RequestTag/team = ${aws:PrincipalTag/team}` never holds for it.
 */
export function assessMissingTeamTag(event: RuleEvent, ctx: RuleContext): Assessment[] {
  const create = taggableCreateOf(event);
  if (!create || event.errorCode) return [];
  const request = requestTags(event.requestParameters);
  const team = lookupTag(request.tags, ctx.teamTagKey);
  const resourceArn = createdResourceArn(event, create);
  const label = `${create.kind} ${requestedName(event, create) ?? resourceArn ?? '(unnamed)'}`;
  const evidence: Record<string, unknown> = {
    teamTagKey: ctx.teamTagKey,
    teamTag: team.value,
    tagsParameter: request.given ? 'present' : 'absent',
    requestedTagKeys: Object.keys(request.tags),
    ...(team.nearMissKeys.length > 0
      ? { nearMissKeys: team.nearMissKeys, caseSensitive: `tag keys are case-sensitive: ${team.nearMissKeys.map((k) => `"${k}"`).join(', ')} is not "${ctx.teamTagKey}"` }
      : {}),
  };
  if (team.value === null) {
    const why = team.nearMissKeys.length > 0
      ? `only ${team.nearMissKeys.map((k) => `"${k}"`).join(', ')}, which is not the same key`
      : request.given ? `tags ${Object.keys(request.tags).map((k) => `"${k}"`).join(', ') || '(none)'}` : 'no tags at all';
    return [{ verdict: 'breach', resourceArn, message: `The ${label} was created without the "${ctx.teamTagKey}" tag (${why}).`, evidence }];
  }
  if (team.value.trim() === '') {
    return [{ verdict: 'breach', resourceArn, message: `The ${label} was created with an empty "${ctx.teamTagKey}" tag, which names no team.`, evidence }];
  }
  return [{ verdict: 'pass', resourceArn, message: `The ${label} was created with ${ctx.teamTagKey}=${team.value}.`, evidence }];
}

export const taggingMissingTeamTag: Rule = {
  id: 'tagging-missing-team-tag',
  title: 'SageMaker resource created without the team tag',
  severity: 'MEDIUM',
  rationale:
    '05-studio-team-isolation-abac: data scientists "Create Amazon SageMaker resources with necessary tags. For this post, we use the team tag", '
    + 'and the team roles may call sagemaker:Create* only with "ForAnyValue:StringEquals": { "aws:TagKeys": [ "team" ] }. '
    + 'A resource without the team tag has no owner team: the Update/Delete/Start/Stop condition '
    + '"aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}" then matches no team, and who owns it cannot be answered from its tags. '
    + 'Studio domains and user profiles are included (the seed\'s CLI example tags a profile with studiouserid only, which this rule reports: '
    + 'such a profile has no owner team); CreateApp is not (Studio creates apps itself, and the seed grants sagemaker:*App without a tag condition).',
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: TAGGABLE_SAGEMAKER_CREATES.map((c) => c.eventName) }],
  successfulOnly: true,
  remediation:
    'Tag the resource with the owning team (aws sagemaker add-tags --resource-arn <arn> --tags Key=team,Value=<team>), using the exact key "team"; '
    + 'enforce it at creation with the seed\'s condition on sagemaker:Create*: "ForAnyValue:StringEquals": { "aws:TagKeys": [ "team" ] }.',
  evaluate: (event, ctx) => findingsOf(assessMissingTeamTag(event, ctx)),
};
