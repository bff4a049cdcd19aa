import { callerStudioUserId, callOutcome, ownerOf, STUDIO_USER_ID_TAG_KEY, tagsAreKnown, userProfileArnOf } from '../access-facts';
import { findingsOf, type Assessment } from '../assessment';
import { lookupTag, SAGEMAKER_SOURCE } from '../request-tags';
import type { Rule, RuleContext, RuleEvent, Severity } from '../types';

/**
 * How bad each case is. The Rule contract has one severity per rule (HIGH, the worst case);
 * each finding says its own in `evidence.findingSeverity`.
 * - another person's profile, opened: the isolation failed (HIGH);
 * - an unguarded profile (no studiouserid), opened: under the seed's policies nobody can open it,
 *   so a broader grant decided and nothing tells who may use it (HIGH);
 * - another person's profile, denied: an attempt; the control held (MEDIUM);
 * - an unguarded profile, denied: the profile is still unbound, nothing got through (LOW).
 */
const SEVERITY: Record<'other' | 'unguarded', Record<'succeeded' | 'denied', Severity>> = {
  other: { succeeded: 'HIGH', denied: 'MEDIUM' },
  unguarded: { succeeded: 'HIGH', denied: 'LOW' },
};

/**
 * CreatePresignedDomainUrl for a user profile bound (studiouserid, as tagged at the time) to
 * another person than the caller, or bound to nobody. Values compare exactly, as the seed's
 * StringEquals does. Calls that failed for another reason than a denial are not judged.
 */
export function assessPresignedUrlOtherUser(event: RuleEvent, ctx: RuleContext): Assessment[] {
  if (event.eventSource !== SAGEMAKER_SOURCE || event.eventName !== 'CreatePresignedDomainUrl') return [];
  const outcome = callOutcome(event);
  if (outcome === 'failed') return [];
  const profileArn = userProfileArnOf(event);
  const caller = callerStudioUserId(event, ctx);
  const base: Record<string, unknown> = {
    outcome,
    ...(event.errorCode ? { errorCode: event.errorCode } : {}),
    userProfileName: typeof event.requestParameters.userProfileName === 'string' ? event.requestParameters.userProfileName : null,
    callerStudioUserId: caller?.id ?? null,
    callerIdSource: caller?.source ?? null,
  };
  const who = caller?.id ?? event.principalName ?? event.principalArn ?? 'an unknown caller';
  const verb = outcome === 'succeeded' ? 'opened' : 'was denied opening';
  if (profileArn === null) {
    return [{ verdict: 'undecided', resourceArn: null, message: `${who} asked for a Studio URL of a profile the event does not name.`, evidence: { ...base, undecided: 'the event names no user profile' } }];
  }
  const owner = ownerOf(ctx, profileArn);
  if (!tagsAreKnown(owner)) {
    return [{
      verdict: 'undecided',
      resourceArn: profileArn,
      message: `${who} asked for a Studio URL of ${profileArn}, whose tags at the time are unknown.`,
      evidence: { ...base, profileStudioUserId: null, undecided: 'govgraph knew no tags of the profile at the time (never seen, or seen without any tag)' },
    }];
  }
  const bound = lookupTag(owner.tags, STUDIO_USER_ID_TAG_KEY);
  const profileStudioUserId = bound.value !== null && bound.value !== '' ? bound.value : null;
  const evidence: Record<string, unknown> = {
    ...base,
    profileStudioUserId,
    ...(bound.nearMissKeys.length > 0
      ? { profileNearMissKeys: bound.nearMissKeys, caseSensitive: `tag keys are case-sensitive: ${bound.nearMissKeys.map((k) => `"${k}"`).join(', ')} is not "${STUDIO_USER_ID_TAG_KEY}"` }
      : {}),
  };
  if (profileStudioUserId === null) {
    return [{
      verdict: 'breach',
      resourceArn: profileArn,
      message: `${who} ${verb} a Studio URL for user profile ${profileArn}, which no "${STUDIO_USER_ID_TAG_KEY}" tag binds to anyone.`,
      evidence: { ...evidence, case: 'unguarded profile', findingSeverity: SEVERITY.unguarded[outcome] },
    }];
  }
  if (caller === null) {
    return [{
      verdict: 'undecided',
      resourceArn: profileArn,
      message: `${who} asked for a Studio URL of the profile of ${profileStudioUserId}; who the caller is in studiouserid terms is unknown.`,
      evidence: { ...evidence, undecided: `the caller has no "${STUDIO_USER_ID_TAG_KEY}" principal tag and is not an IAM user` },
    }];
  }
  if (caller.id === profileStudioUserId) {
    return [{ verdict: 'pass', resourceArn: profileArn, message: `${who} asked for a Studio URL of their own profile.`, evidence }];
  }
  return [{
    verdict: 'breach',
    resourceArn: profileArn,
    message: `${caller.id} ${verb} a Studio URL for the user profile of ${profileStudioUserId} (${profileArn}).`,
    evidence: { ...evidence, case: "another person's profile", findingSeverity: SEVERITY.other[outcome] },
  }];
}

export const studioPresignedUrlOtherUser: Rule = {
  id: 'studio-presigned-url-other-user',
  title: "Studio URL asked for another person's (or nobody's) user profile",
  severity: 'HIGH',
  rationale:
    '05-studio-team-isolation-abac, use case 1: "Only User A1 can access their studio environment; User A2 can\'t access User A1\'s environment, and vice versa". '
    + 'The seed allows sagemaker:CreatePresignedDomainUrl only when "sagemaker:ResourceTag/studiouserid" equals "${aws:username}" (IAM users) '
    + 'or "${aws:PrincipalTag/studiouserid}" (federated users). Opening another person\'s profile means that control failed (HIGH); '
    + 'a denied request is an attempt (MEDIUM); a profile with no studiouserid tag is bound to nobody, so any request for it is reported '
    + '(HIGH when it succeeded, LOW when denied). Per-finding severity is in evidence.findingSeverity.',
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreatePresignedDomainUrl'] }],
  successfulOnly: false,
  remediation:
    'Confirm with the profile\'s owner whether the session was theirs; tag every profile with its person (Key=studiouserid) and attach the seed\'s '
    + 'AmazonSageMakerPresignedUrlPolicy (StringEquals sagemaker:ResourceTag/studiouserid = ${aws:username} or ${aws:PrincipalTag/studiouserid}); '
    + 'remove broader grants of sagemaker:CreatePresignedDomainUrl (e.g. AmazonSageMakerFullAccess) from data scientists.',
  evaluate: (event, ctx) => findingsOf(assessPresignedUrlOtherUser(event, ctx)),
};
