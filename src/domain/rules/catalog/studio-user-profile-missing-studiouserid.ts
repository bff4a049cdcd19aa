import { STUDIO_USER_ID_TAG_KEY } from '../access-facts';
import { findingsOf, type Assessment } from '../assessment';
import { createdResourceArn, lookupTag, requestedName, requestTags, SAGEMAKER_SOURCE, taggableCreateOf } from '../request-tags';
import type { Rule, RuleContext, RuleEvent } from '../types';

/**
 * A Studio user profile created without the studiouserid tag (exact key), or with an empty one:
 * no `${aws:username}` or `${aws:PrincipalTag/studiouserid}` is ever empty, so it binds nobody.
 */
export function assessProfileMissingStudioUserId(event: RuleEvent, _ctx: RuleContext): Assessment[] {
  const create = taggableCreateOf(event);
  if (create?.eventName !== 'CreateUserProfile' || event.errorCode) return [];
  const request = requestTags(event.requestParameters);
  const tag = lookupTag(request.tags, STUDIO_USER_ID_TAG_KEY);
  const resourceArn = createdResourceArn(event, create);
  const profile = requestedName(event, create) ?? resourceArn ?? '(unnamed)';
  const domainId = typeof event.requestParameters.domainId === 'string' ? event.requestParameters.domainId : null;
  const evidence: Record<string, unknown> = {
    domainId,
    userProfileName: requestedName(event, create),
    studiouserid: tag.value,
    tagsParameter: request.given ? 'present' : 'absent',
    requestedTagKeys: Object.keys(request.tags),
    ...(tag.nearMissKeys.length > 0
      ? { nearMissKeys: tag.nearMissKeys, caseSensitive: `tag keys are case-sensitive: ${tag.nearMissKeys.map((k) => `"${k}"`).join(', ')} is not "${STUDIO_USER_ID_TAG_KEY}"` }
      : {}),
  };
  if (tag.value === null || tag.value.trim() === '') {
    const why = tag.value !== null ? 'an empty value' : tag.nearMissKeys.length > 0 ? `only ${tag.nearMissKeys.map((k) => `"${k}"`).join(', ')}` : 'no such tag';
    return [{
      verdict: 'breach',
      resourceArn,
      message: `Studio user profile ${profile} was created without a "${STUDIO_USER_ID_TAG_KEY}" tag (${why}): it is bound to no person.`,
      evidence,
    }];
  }
  return [{ verdict: 'pass', resourceArn, message: `Studio user profile ${profile} is bound to ${STUDIO_USER_ID_TAG_KEY}=${tag.value}.`, evidence }];
}

export const studioUserProfileMissingStudioUserId: Rule = {
  id: 'studio-user-profile-missing-studiouserid',
  title: 'Studio user profile created without the studiouserid tag',
  severity: 'MEDIUM',
  rationale:
    '05-studio-team-isolation-abac, use case 1: "Only User A1 can access their studio environment; User A2 can\'t access User A1\'s environment". '
    + 'The admin policy "enforces the studiouserid tag to be present when the sagemaker:CreateUserProfile action is invoked" '
    + '("ForAnyValue:StringEquals": { "aws:TagKeys": [ "studiouserid" ] }), and CreatePresignedDomainUrl is allowed only when '
    + '"sagemaker:ResourceTag/studiouserid" equals "${aws:username}" (IAM users) or "${aws:PrincipalTag/studiouserid}" (federation). '
    + 'A profile without the tag is bound to nobody: under those policies no one can open it, and anyone with a broader grant can.',
  reads: [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateUserProfile'] }],
  successfulOnly: true,
  remediation:
    'Tag the profile with the person it belongs to (aws sagemaker add-tags --resource-arn <profile arn> --tags Key=studiouserid,Value=<user name or IdP attribute>), '
    + 'and attach the seed\'s CreateSageMakerStudioUserProfilePolicy (aws:TagKeys must contain "studiouserid") to whoever creates profiles.',
  evaluate: (event, ctx) => findingsOf(assessProfileMissingStudioUserId(event, ctx)),
};
