/**
 * The request context derived from what govgraph knows about a principal, a resource and a
 * request (AWS global condition context keys). Only keys whose value is known are produced: a key
 * guessed wrong would decide a policy wrongly, while an absent key is something a policy (and the
 * Decision's missingContextKeys) can show.
 */
import { parseArn } from '../aws/arn';
import type { PrincipalType } from '../cloudtrail/types';
import type { AuthorizationRequest, RequestContext } from './types';

export interface PrincipalFacts {
  /** govgraph's principal ARN (for an assumed-role session, the issuing role's ARN) */
  arn: string;
  type: PrincipalType;
  accountId: string | null;
  /** user name, role name, federated user name, service name… */
  name: string | null;
  /** the unique id when known: `AIDA…` for a user, `AROA…` (or `AROA…:session`) for a role */
  userId?: string | null;
  /** the role session's name, when known (part of aws:userid for roles) */
  sessionName?: string | null;
  /** the session's own ARN (`arn:aws:sts::…:assumed-role/Role/name`), when known */
  sessionArn?: string | null;
  tags?: Record<string, string>;
}

export interface ResourceFacts {
  arn: string;
  tags?: Record<string, string>;
  /** the account govgraph's inventory records the resource in: what tells it for ARNs that name none (S3) */
  accountId?: string | null;
}

export interface RequestFacts {
  principal: PrincipalFacts;
  /** null for actions that take no resource (`Resource: "*"`) */
  resource: ResourceFacts | null;
  /** `service:Action` */
  action: string;
  /** tags the request itself sets (CreateTrainingJob's Tags, AddTags…) */
  requestTags?: Record<string, string>;
  /** caller-supplied context entries; they override derived ones */
  extra?: Record<string, string | string[]>;
  /** when the request is made (aws:CurrentTime, aws:EpochTime) */
  at: Date;
}

/** aws:PrincipalType by govgraph principal type ("Principal key values" table of the variables page). */
const AWS_PRINCIPAL_TYPE: Partial<Record<PrincipalType, string>> = {
  IAM_USER: 'User',
  ROLE: 'AssumedRole', // a role acts only through sessions
  ASSUMED_ROLE_SESSION: 'AssumedRole',
  SAML_USER: 'AssumedRole',
  WEB_IDENTITY_USER: 'AssumedRole',
  IDENTITY_CENTER_USER: 'AssumedRole',
  FEDERATED_USER: 'FederatedUser',
  ROOT: 'Account',
  AWS_ACCOUNT: 'Account',
};

const PRINCIPAL_ARN_TYPES: ReadonlySet<PrincipalType> = new Set(['IAM_USER', 'ROLE', 'FEDERATED_USER', 'ROOT', 'AWS_ACCOUNT']);
const SESSION_TYPES: ReadonlySet<PrincipalType> = new Set(['ROLE', 'ASSUMED_ROLE_SESSION', 'SAML_USER', 'WEB_IDENTITY_USER', 'IDENTITY_CENTER_USER']);

export function buildRequestContext(facts: RequestFacts): RequestContext {
  const context: RequestContext = {};
  const set = (key: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') context[key] = [value];
  };
  const { principal } = facts;

  // aws:PrincipalArn of a session is the role's ARN. When only the session is known (the role's
  // path cannot be derived from it), or govgraph keys the principal on something that is no ARN
  // (SAML and web-identity users, services), the key is left out.
  if (PRINCIPAL_ARN_TYPES.has(principal.type) && parseArn(principal.arn)) set('aws:PrincipalArn', principal.arn);
  set('aws:PrincipalAccount', principal.accountId);
  set('aws:PrincipalType', AWS_PRINCIPAL_TYPE[principal.type]);
  set('aws:PrincipalIsAWSService', principal.type === 'AWS_SERVICE' ? 'true' : principal.type === 'UNKNOWN' ? null : 'false');
  if (principal.type === 'AWS_SERVICE') set('aws:PrincipalServiceName', principal.name);
  if (principal.type === 'IAM_USER') set('aws:username', principal.name);
  set('aws:userid', userId(principal));
  for (const [key, value] of Object.entries(principal.tags ?? {})) context[`aws:PrincipalTag/${key}`] = [value];

  if (facts.resource) {
    const arn = parseArn(facts.resource.arn);
    for (const [key, value] of Object.entries(facts.resource.tags ?? {})) {
      context[`aws:ResourceTag/${key}`] = [value];
      // Services also publish the tag under their own prefix (sagemaker:ResourceTag/team).
      if (arn) context[`${arn.service}:ResourceTag/${key}`] = [value];
    }
    if (arn) {
      set('aws:RequestedRegion', arn.region);
      set('aws:ResourceAccount', arn.accountId || facts.resource.accountId);
    }
  }

  const requestTags = Object.entries(facts.requestTags ?? {});
  for (const [key, value] of requestTags) context[`aws:RequestTag/${key}`] = [value];
  if (requestTags.length > 0) context['aws:TagKeys'] = requestTags.map(([key]) => key);

  set('aws:CurrentTime', facts.at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  set('aws:EpochTime', String(Math.floor(facts.at.getTime() / 1000)));

  for (const [key, value] of Object.entries(facts.extra ?? {})) {
    // An override replaces the derived key whatever case either was written in.
    for (const existing of Object.keys(context)) if (existing.toLowerCase() === key.toLowerCase()) delete context[existing];
    context[key] = Array.isArray(value) ? [...value] : [value];
  }
  return context;
}

/** The request the engine evaluates, from the same facts. */
export function buildAuthorizationRequest(facts: RequestFacts): AuthorizationRequest {
  const request: AuthorizationRequest = {
    principalArn: facts.principal.arn,
    action: facts.action,
    resourceArn: facts.resource?.arn ?? '*',
    context: buildRequestContext(facts),
  };
  if (facts.principal.sessionArn) request.sessionArn = facts.principal.sessionArn;
  // The engine tells the inventory's account from one the caller gave (the Decision says which).
  const inventoryAccount = facts.resource?.accountId;
  if (inventoryAccount && !parseArn(facts.resource!.arn)?.accountId) request.inventoryAccountId = inventoryAccount;
  return request;
}

/** aws:userid per principal type: AIDA… for users, role-id:session for sessions, account for root. */
function userId(principal: PrincipalFacts): string | null {
  const id = principal.userId ?? null;
  if (principal.type === 'ROOT') return principal.accountId;
  if (principal.type === 'FEDERATED_USER') return principal.accountId && principal.name ? `${principal.accountId}:${principal.name}` : null;
  if (SESSION_TYPES.has(principal.type)) {
    if (id?.includes(':')) return id;
    return id && principal.sessionName ? `${id}:${principal.sessionName}` : null;
  }
  return principal.type === 'IAM_USER' ? id : null;
}
