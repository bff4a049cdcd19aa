import { findingsOf, type Assessment } from '../assessment';
import { createdResourceArn, lookupTag, requestedName, requestTags, SAGEMAKER_SOURCE, TAGGABLE_SAGEMAKER_CREATES, taggableCreateOf } from '../request-tags';
import type { Rule, RuleContext, RuleEvent } from '../types';

/**
 * Studio domains and user profiles are created by the platform admins for a team (seed 05's Admin
 * persona: "Create Amazon SageMaker Studio user profiles with a tag"): their team tag names the
 * team they serve, not the creator's, so they are not compared.
 */
const CREATED_FOR_ANOTHER_TEAM_BY_DESIGN = new Set(['CreateDomain', 'CreateUserProfile']);

const MISMATCH_CREATES = TAGGABLE_SAGEMAKER_CREATES.filter((c) => !CREATED_FOR_ANOTHER_TEAM_BY_DESIGN.has(c.eventName));

/**
 * A resource created with a team tag naming another team than the creator's. Values compare
 * exactly (`TeamA` is not `teama`), as the seed's StringEqualsIfExists does. No team tag, or an
 * empty one, is tagging-missing-team-tag's case; an unknown creator team is undecided.
 */
export function assessTeamTagMismatch(event: RuleEvent, ctx: RuleContext): Assessment[] {
  const create = taggableCreateOf(event);
  if (!create || event.errorCode || CREATED_FOR_ANOTHER_TEAM_BY_DESIGN.has(create.eventName)) return [];
  const requested = lookupTag(requestTags(event.requestParameters).tags, ctx.teamTagKey).value;
  if (requested === null || requested.trim() === '') return [];
  const resourceArn = createdResourceArn(event, create);
  const label = `${create.kind} ${requestedName(event, create) ?? resourceArn ?? '(unnamed)'}`;
  const evidence: Record<string, unknown> = { teamTagKey: ctx.teamTagKey, requestedTeam: requested, principalTeam: ctx.principalTeam };
  if (ctx.principalTeam === null) {
    return [{
      verdict: 'undecided',
      resourceArn,
      message: `The ${label} was tagged ${ctx.teamTagKey}=${requested}, but the creator's team is unknown.`,
      evidence: { ...evidence, undecided: `the principal had no "${ctx.teamTagKey}" tag at the time (or govgraph never saw its tags)` },
    }];
  }
  if (requested === ctx.principalTeam) {
    return [{ verdict: 'pass', resourceArn, message: `The ${label} was tagged with its creator's team ${requested}.`, evidence }];
  }
  return [{
    verdict: 'breach',
    resourceArn,
    message: `The ${label} was created by a member of ${ctx.principalTeam} but tagged ${ctx.teamTagKey}=${requested}.`,
    evidence,
  }];
}

export const taggingTeamTagMismatch: Rule = {
  id: 'tagging-team-tag-mismatch',
  title: "SageMaker resource tagged with another team than its creator's",
  severity: 'HIGH',
  rationale:
    '05-studio-team-isolation-abac: the team roles may create SageMaker resources only with '
    + '"StringEqualsIfExists": { "aws:RequestTag/team": "${aws:PrincipalTag/team}" }, so that "Team B users cannot access artifacts (experiments, etc.) '
    + 'created by Team A members". A resource tagged for another team hands that team its Update/Delete/Start/Stop rights '
    + '("aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}") and misstates who owns it. '
    + 'Studio domains and user profiles are not compared: admins create them for the team they serve.',
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: MISMATCH_CREATES.map((c) => c.eventName) }],
  successfulOnly: true,
  remediation:
    "Re-tag the resource with the creator's team (or have the owning team recreate it), and attach the seed's create condition "
    + '"aws:RequestTag/team": "${aws:PrincipalTag/team}" to every role that may call sagemaker:Create*.',
  evaluate: (event, ctx) => findingsOf(assessTeamTagMismatch(event, ctx)),
};
