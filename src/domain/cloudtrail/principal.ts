/**
 * Who acted: turns a record's `userIdentity` into the principal govgraph keys activity on.
 * Sessions resolve to the role that issued them, because teams, tags and policies live on the
 * role, not on a one-hour session. Never throws: published records carry placeholders ("...").
 */
import { buildIamArn, isArn, parseArn, partitionForRegion, type ParsedArn } from '../aws/arn';
import type { NormalizedPrincipal, PrincipalType } from './types';
import { isJsonObject, nonEmptyString } from './validate';

export interface ResolvedPrincipal {
  principal: NormalizedPrincipal | null;
  /** `userIdentity.arn` exactly as recorded (the session ARN for assumed roles). */
  userIdentityArn: string | null;
  /** the session part of an assumed-role ARN (`…:assumed-role/Role/<session>`) */
  sessionName: string | null;
  accessKeyId: string | null;
  invokedBy: string | null;
}

type Identity = Record<string, unknown>;
/** Resolvers that must build an ARN need the partition, known only from the record's region. */
type Resolver = (identity: Identity, partition: string) => NormalizedPrincipal | null;

export function resolvePrincipal(record: Record<string, unknown>): ResolvedPrincipal {
  const identity = record.userIdentity;
  if (!isJsonObject(identity)) {
    return { principal: null, userIdentityArn: null, sessionName: null, accessKeyId: null, invokedBy: null };
  }
  const userIdentityArn = nonEmptyString(identity.arn);
  return {
    principal: principalOf(identity, partitionForRegion(nonEmptyString(record.awsRegion))),
    userIdentityArn,
    sessionName: assumedRoleSession(userIdentityArn)?.sessionName ?? null,
    accessKeyId: nonEmptyString(identity.accessKeyId),
    invokedBy: nonEmptyString(identity.invokedBy),
  };
}

const RESOLVERS: Readonly<Record<string, Resolver>> = {
  IAMUser: iamUser,
  AssumedRole: assumedRole,
  Root: root,
  FederatedUser: federatedUser,
  SAMLUser: (identity) => externalUser(identity, 'SAML_USER', 'saml-user'),
  WebIdentityUser: (identity) => externalUser(identity, 'WEB_IDENTITY_USER', 'web-identity-user'),
  AWSService: awsService,
  AWSAccount: awsAccount,
  IdentityCenterUser: identityCenterUser,
};

function principalOf(identity: Identity, partition: string): NormalizedPrincipal | null {
  const type = nonEmptyString(identity.type);
  const resolver = type !== null && Object.hasOwn(RESOLVERS, type) ? RESOLVERS[type] : undefined;
  return resolver?.(identity, partition) ?? unknownPrincipal(identity);
}

/** The recorded ARN; else one built from the user name (sign-in events omit the ARN). */
function iamUser(identity: Identity, partition: string): NormalizedPrincipal | null {
  const arn = parseArn(identity.arn);
  const userName = userNameOf(identity);
  const accountId = nonEmptyString(identity.accountId);
  if (arn) {
    return principal(identity, identity.arn as string, 'IAM_USER', userName ?? arn.resourceName, arn.accountId || accountId);
  }
  const built = userName && accountId ? buildIamArn(accountId, 'user', userName, undefined, partition) : null;
  return isArn(built) ? principal(identity, built, 'IAM_USER', userName, accountId) : null;
}

/** AWS hides the name typed at a failed sign-in; that placeholder names nobody. */
const REDACTED_USER_NAME = 'HIDDEN_DUE_TO_SECURITY_REASONS';

function userNameOf(identity: Identity): string | null {
  const userName = nonEmptyString(identity.userName);
  return userName === REDACTED_USER_NAME ? null : userName;
}

/** Issuer first; else the role named in the session ARN; else the session itself. */
function assumedRole(identity: Identity): NormalizedPrincipal | null {
  return issuingRole(identity) ?? roleFromSessionArn(identity) ?? rawSession(identity);
}

function issuingRole(identity: Identity): NormalizedPrincipal | null {
  const context = isJsonObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isJsonObject(context.sessionIssuer) ? context.sessionIssuer : {};
  // The record is what we key on, even when a published example names a user as issuer;
  // what is no ARN at all ("...", `arn:aws::sts:…`) is no issuer.
  const arn = parseArn(issuer.arn);
  if (!arn) return null;
  const name = nonEmptyString(issuer.userName) ?? arn.resourceName ?? arn.resource;
  const accountId = nonEmptyString(issuer.accountId) ?? (arn.accountId || nonEmptyString(identity.accountId));
  return principal(issuer, issuer.arn as string, 'ROLE', name, accountId);
}

/** Session ARNs drop the role's path, so a role derived here may lack it (`role/Name`). */
function roleFromSessionArn(identity: Identity): NormalizedPrincipal | null {
  const session = assumedRoleSession(nonEmptyString(identity.arn));
  if (!session) return null;
  const { arn, roleName } = session;
  const roleArn = buildIamArn(arn.accountId, 'role', roleName, undefined, arn.partition);
  return {
    arn: roleArn,
    type: 'ROLE',
    accountId: arn.accountId || nonEmptyString(identity.accountId),
    name: roleName,
    awsPrincipalId: roleIdOf(nonEmptyString(identity.principalId)),
  };
}

function rawSession(identity: Identity): NormalizedPrincipal | null {
  const raw = keyableArn(identity.arn);
  if (!raw) return null;
  const name = raw.slice(raw.lastIndexOf('/') + 1) || raw;
  return principal(identity, raw, 'ASSUMED_ROLE_SESSION', name, nonEmptyString(identity.accountId));
}

function root(identity: Identity, partition: string): NormalizedPrincipal | null {
  const parsed = parseArn(identity.arn);
  const arn = parsed?.service === 'iam' && parsed.resourceType === 'root' ? parsed : null;
  const accountId = (arn?.accountId || null) ?? nonEmptyString(identity.accountId);
  if (arn) return principal(identity, identity.arn as string, 'ROOT', 'root', accountId);
  if (accountId) return principal(identity, accountRootArn(accountId, partition), 'ROOT', 'root', accountId);
  return null;
}

function federatedUser(identity: Identity): NormalizedPrincipal | null {
  const arn = parseArn(identity.arn);
  if (arn?.service !== 'sts' || arn.resourceType !== 'federated-user') return null;
  const name = arn.resourceName ?? arn.resource;
  return principal(identity, identity.arn as string, 'FEDERATED_USER', name, arn.accountId || nonEmptyString(identity.accountId));
}

/** SAML and web-identity users have no ARN: key them on the provider and the user name. */
function externalUser(identity: Identity, type: PrincipalType, prefix: string): NormalizedPrincipal | null {
  const provider = nonEmptyString(identity.identityProvider);
  const userName = nonEmptyString(identity.userName);
  if (!provider || !userName) return null;
  return principal(identity, `${prefix}:${provider}/${userName}`, type, userName, null);
}

/** A service principal is global: no account, so it stays one principal across accounts. */
function awsService(identity: Identity): NormalizedPrincipal | null {
  const service = nonEmptyString(identity.invokedBy);
  return service ? principal(identity, service, 'AWS_SERVICE', service, null) : null;
}

function awsAccount(identity: Identity, partition: string): NormalizedPrincipal | null {
  const accountId = nonEmptyString(identity.accountId);
  return accountId ? principal(identity, accountRootArn(accountId, partition), 'AWS_ACCOUNT', accountId, accountId) : null;
}

/** No ARN and no user name in these records: key on the identity store and its user id. */
function identityCenterUser(identity: Identity): NormalizedPrincipal | null {
  const onBehalfOf = isJsonObject(identity.onBehalfOf) ? identity.onBehalfOf : {};
  const userId = nonEmptyString(onBehalfOf.userId);
  if (!userId) return unknownPrincipal(identity);
  const store = parseArn(onBehalfOf.identityStoreArn)?.resourceName ?? null;
  const key = store ? `identity-center-user:${store}/${userId}` : `identity-center-user:${userId}`;
  return principal(identity, key, 'IDENTITY_CENTER_USER', userId, nonEmptyString(identity.accountId));
}

/** Types we do not model, or records whose known type lacks its key fields. */
function unknownPrincipal(identity: Identity): NormalizedPrincipal | null {
  const raw = keyableArn(identity.arn);
  if (!raw) return null;
  const name = parseArn(raw)?.resourceName ?? raw;
  return principal(identity, raw, 'UNKNOWN', name, nonEmptyString(identity.accountId));
}

function principal(
  source: Identity,
  arn: string,
  type: PrincipalType,
  name: string | null,
  accountId: string | null,
): NormalizedPrincipal {
  return { arn, type, accountId, name: name ?? arn, awsPrincipalId: nonEmptyString(source.principalId) };
}

/** Something that at least claims to be an ARN; placeholders like "..." or "arn" key nothing. */
function keyableArn(value: unknown): string | null {
  const text = nonEmptyString(value)?.trim() ?? null;
  return text !== null && text.startsWith('arn:') && text.length > 'arn:'.length ? text : null;
}

function accountRootArn(accountId: string, partition: string): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

interface AssumedRoleSession {
  arn: ParsedArn;
  roleName: string;
  sessionName: string;
}

/** `arn:aws:sts::<acct>:assumed-role/<RoleName>/<session>` → its parts; null for anything else. */
function assumedRoleSession(value: string | null): AssumedRoleSession | null {
  const arn = parseArn(value);
  if (!arn || arn.service !== 'sts' || arn.resourceType !== 'assumed-role') return null;
  const segments = arn.resource.split('/');
  if (segments.length < 3 || !segments[1] || !segments[segments.length - 1]) return null;
  return { arn, roleName: segments[1], sessionName: segments[segments.length - 1] };
}

/** A session's principalId is `<role id>:<session>`; session names cannot contain colons. */
function roleIdOf(principalId: string | null): string | null {
  if (!principalId) return null;
  const colon = principalId.lastIndexOf(':');
  return colon > 0 ? principalId.slice(0, colon) : null;
}
