/**
 * Facts the access and isolation rules share: how a call ended, whether it changes something,
 * which resources it acted on, who owned them then, and which person (studiouserid) called.
 * Pure readings of a RuleEvent and its RuleContext.
 */
import { buildSageMakerArn, parseArn } from '../aws/arn';
import type { Assessment } from './assessment';
import type { RuleContext, RuleEvent } from './types';

/** The tag binding a Studio user profile to one person (seed 05: "the studiouserid tag"). */
export const STUDIO_USER_ID_TAG_KEY = 'studiouserid';

/** Error codes AWS answers an unauthorised call with (SageMaker and most JSON APIs; EC2-style ones). */
export const DENIED_ERROR_CODES: readonly string[] = [
  'AccessDenied',
  'AccessDeniedException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
];

export type CallOutcome = 'succeeded' | 'denied' | 'failed';

/** `failed`: an error other than a denial (validation, throttling, not found): nobody was stopped by a policy. */
export function callOutcome(event: Pick<RuleEvent, 'errorCode'>): CallOutcome {
  if (!event.errorCode) return 'succeeded';
  return DENIED_ERROR_CODES.includes(event.errorCode) ? 'denied' : 'failed';
}

/**
 * Verbs of calls that change a resource or its tags. Seed 05 scopes the team condition to
 * "sagemaker:Delete*, Stop*, Update*, Start*, DisassociateTrialComponent, AssociateTrialComponent,
 * BatchPutMetrics"; Create, Put, Add/Tag/Untag (re-tagging moves ownership), Retry and Send
 * (pipeline steps) change things too. Describe, List, Get, Search, BatchGet… only read.
 */
export const MUTATING_VERBS: readonly string[] = [
  'Create', 'Delete', 'Update', 'Stop', 'Start', 'Put', 'BatchPut', 'Add', 'Associate', 'Disassociate',
  'Tag', 'Untag', 'Retry', 'Send',
];

/** The verb must be followed by the next word (`StopTrainingJob`), so `Startup…` is not `Start`. */
export function isMutatingCall(eventName: string): boolean {
  return MUTATING_VERBS.some((verb) => eventName.startsWith(verb) && /^[A-Z]?$/.test(eventName.charAt(verb.length)));
}

/** `Create<Kind>` creates the resource its response names; `CreatePresigned*Url` creates nothing. */
export function createsResource(eventName: string): boolean {
  return /^Create[A-Z]/.test(eventName) && !eventName.startsWith('CreatePresigned');
}

/** Top-level `…Arn` values of the response: for a create, the resource it made. */
export function returnedArns(event: RuleEvent): string[] {
  return Object.entries(event.responseElements)
    .filter(([key, value]) => /Arn$/.test(key) && typeof value === 'string' && parseArn(value.trim()) !== null)
    .map(([, value]) => (value as string).trim());
}

/** Studio children whose ARN is `<type>/<domainId>/<name>`. */
const DOMAIN_CHILD_TYPES = new Set(['user-profile', 'space', 'app']);

function domainIdOfChild(arn: string): string | null {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'sagemaker' || !parsed.resourceType || !DOMAIN_CHILD_TYPES.has(parsed.resourceType)) return null;
  return parsed.resource.split('/')[1]?.toLowerCase() || null;
}

function domainIdOf(arn: string): string | null {
  const parsed = parseArn(arn);
  return parsed?.service === 'sagemaker' && parsed.resourceType === 'domain' ? parsed.resourceName?.toLowerCase() ?? null : null;
}

/**
 * The resources a call acted on, from everything it touched: a Studio domain only names where a
 * user profile, space or app lives (`CreatePresignedDomainUrl` passes `domainId` and
 * `userProfileName`), so it is left out when one of its children is touched too. Deterministic
 * order: as the event lists them.
 */
export function actedOnResources(event: RuleEvent): string[] {
  const childDomains = new Set(event.resourceArns.map(domainIdOfChild).filter((d): d is string => d !== null));
  return [...new Set(event.resourceArns)].filter((arn) => {
    const domainId = domainIdOf(arn);
    return domainId === null || !childDomains.has(domainId);
  });
}

export type Owner = RuleContext['resourceOwners'][string];

/**
 * The resource's owner entry at the event's time. SageMaker lower-cases names in its ARNs, so a
 * SageMaker ARN spelt with capitals falls back to a case-blind match; other ARNs match exactly.
 */
export function ownerOf(ctx: RuleContext, arn: string): Owner | null {
  if (Object.hasOwn(ctx.resourceOwners, arn)) return ctx.resourceOwners[arn];
  if (parseArn(arn)?.service !== 'sagemaker') return null;
  const wanted = arn.toLowerCase();
  const key = Object.keys(ctx.resourceOwners).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? null : ctx.resourceOwners[key];
}

/**
 * Whether govgraph knew anything of the resource's tags then. The context cannot tell "had no
 * tags" from "never seen" (both are `{ known: false, tags: {} }`), so only an entry with a team or
 * some tag counts as seen.
 */
export function tagsAreKnown(owner: Owner | null): owner is Owner {
  return owner !== null && (owner.known || Object.keys(owner.tags).length > 0);
}

/** The ARN named in an AWS denial message (`… on resource: arn:aws:…`), for evidence. */
export function deniedResourceOf(errorMessage: string | null): string | null {
  const match = /on resource:\s*(arn:[^\s,]+)/.exec(errorMessage ?? '');
  const arn = match ? match[1].replace(/\.$/, '') : null; // the sentence's full stop is not part of the ARN
  return arn && parseArn(arn) ? arn : null;
}

export const isIamUser = (principalType: string | null): boolean => principalType === 'IAM_USER' || principalType === 'IAMUser';

export interface CallerStudioUserId {
  id: string;
  source: string;
}

/**
 * Which person called, in the terms the studiouserid tag uses (seed 05): the principal's
 * `studiouserid` tag (federated users get it as a session tag, `${aws:PrincipalTag/studiouserid}`),
 * else for an IAM user its user name (`${aws:username}`); null when neither is known.
 */
export function callerStudioUserId(event: RuleEvent, ctx: RuleContext): CallerStudioUserId | null {
  const tagged = ctx.principalTags[STUDIO_USER_ID_TAG_KEY];
  if (typeof tagged === 'string' && tagged !== '') return { id: tagged, source: `principal tag ${STUDIO_USER_ID_TAG_KEY}` };
  if (isIamUser(event.principalType) && event.principalName) return { id: event.principalName, source: 'IAM user name (aws:username)' };
  return null;
}

/**
 * The Studio user profile a call names: a touched `user-profile` ARN (the primary one first), else
 * the ARN built from `domainId` and `userProfileName` in the request.
 */
export function userProfileArnOf(event: RuleEvent): string | null {
  const isProfile = (arn: string | null) => {
    const parsed = arn ? parseArn(arn) : null;
    return parsed?.service === 'sagemaker' && parsed.resourceType === 'user-profile';
  };
  if (isProfile(event.primaryResourceArn)) return event.primaryResourceArn;
  const touched = event.resourceArns.find(isProfile);
  if (touched) return touched;
  const { domainId, userProfileName } = event.requestParameters;
  if (typeof domainId !== 'string' || typeof userProfileName !== 'string' || !event.awsRegion || !event.accountId) return null;
  if (domainId.trim() === '' || userProfileName.trim() === '') return null;
  return buildSageMakerArn(event.awsRegion, event.accountId, 'user-profile', `${domainId.trim()}/${userProfileName.trim()}`);
}

/** `experiment`, `training-job`, … for messages; `resource` when the ARN says no type. */
function kindOf(arn: string): string {
  return parseArn(arn)?.resourceType ?? 'resource';
}

/** Why the owner team is unknown, as far as the context can tell (it cannot tell "no tags" from "never seen"). */
function unknownOwnerReason(owner: Owner | null, kind: string, teamTagKey: string): string {
  if (owner === null) return `govgraph knew nothing of the ${kind} at the time`;
  if (Object.keys(owner.tags).length === 0) return `the ${kind} had no ${teamTagKey} tag at the time (no tags known: never tagged, or never seen by govgraph)`;
  return `the ${kind} had no ${teamTagKey} tag at the time`;
}

/**
 * One verdict per resource the call acted on: the acting principal's team against the resource's
 * owner team as they stood at the event's time. Team values compare exactly, as the seed's
 * `StringEquals` does. Either team unknown → undecided, with the reason in evidence.
 */
export function crossTeamAssessments(event: RuleEvent, ctx: RuleContext, targets: readonly string[]): Assessment[] {
  const outcome = callOutcome(event);
  const action = `${event.eventSource.split('.')[0]}:${event.eventName}`;
  const deniedResource = deniedResourceOf(event.errorMessage);
  const base: Record<string, unknown> = {
    action,
    outcome,
    ...(event.errorCode ? { errorCode: event.errorCode } : {}),
    ...(deniedResource ? { deniedResource } : {}),
    mutating: isMutatingCall(event.eventName),
    teamTagKey: ctx.teamTagKey,
    principalTeam: ctx.principalTeam,
  };
  const who = ctx.principalTeam === null ? event.principalArn ?? 'an unknown principal' : `${event.principalArn ?? 'a principal'} (${ctx.principalTeam})`;
  const did = outcome === 'denied' ? `was denied ${action}` : `performed ${action}`;
  if (targets.length === 0) {
    return [{ verdict: 'undecided', resourceArn: null, message: `${who} ${did} on no resource the event names.`, evidence: { ...base, ownerTeam: null, undecided: 'the event names no resource it acted on' } }];
  }
  return targets.map((arn): Assessment => {
    const owner = ownerOf(ctx, arn);
    const ownerTeam = owner?.known ? owner.team : null;
    const evidence = { ...base, ownerTeam };
    if (ownerTeam === null) {
      return {
        verdict: 'undecided',
        resourceArn: arn,
        message: `${who} ${did} on ${arn}, whose owner team at the time is unknown.`,
        evidence: { ...evidence, undecided: unknownOwnerReason(owner, kindOf(arn), ctx.teamTagKey) },
      };
    }
    if (ctx.principalTeam === null) {
      return {
        verdict: 'undecided',
        resourceArn: arn,
        message: `${who} ${did} on ${ownerTeam}'s ${kindOf(arn)} ${arn}; the principal's team is unknown.`,
        evidence: { ...evidence, undecided: `the principal had no ${ctx.teamTagKey} tag at the time` },
      };
    }
    if (ownerTeam === ctx.principalTeam) {
      return { verdict: 'pass', resourceArn: arn, message: `${who} ${did} on its own team's ${kindOf(arn)}.`, evidence };
    }
    return {
      verdict: 'breach',
      resourceArn: arn,
      message: `${who} ${did} on ${ownerTeam}'s ${kindOf(arn)} ${arn}.`,
      evidence,
    };
  });
}
