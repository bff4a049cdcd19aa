/**
 * The transform stage for IAM snapshots: GetAccountAuthorizationDetails pages (as the SDK returns
 * them, documents URL-encoded and dates as Date; or as the AWS CLI saves them, documents decoded
 * and dates as ISO strings) → the facts one account's snapshot lists. Pure: a malformed entry comes
 * back as a rejection with its reason, and the rest of the snapshot stands.
 */
import { parseArn } from '../domain/aws/arn';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import {
  attachmentKey,
  entityKey,
  IamEntityType,
  IamFact,
  IamPrincipalSighting,
  inlinePolicyKey,
  membershipKey,
  PolicyVersionDocument,
} from './facts';
import { decodePolicyDocument, documentSha256 } from './policy-document';

/** One GetAccountAuthorizationDetails response (page) and where it came from. */
export interface AuthorizationDetailsPage {
  response: unknown;
  /** file path, or `get-account-authorization-details:<account>` */
  source: string;
  /** where in the source: `document`, `value 2`, `page 3` */
  position: string;
}

export interface AuthorizationSnapshot {
  accountId: string;
  facts: IamFact[];
  versions: PolicyVersionDocument[];
  principals: IamPrincipalSighting[];
  rejected: RejectedRecord[];
  counts: { users: number; groups: number; roles: number; policies: number };
  /** canonical hash of what the snapshot says: the same listing from the SDK or the CLI hashes alike */
  contentSha256: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const IAM_NAME = /^[\w+=,.@-]+$/;

/** ISO text of a CreateDate given as Date (SDK) or string (CLI: `2026-11-02T08:00:00+00:00`). */
function isoDate(v: unknown): string | null {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

/** Whether a page says more pages follow (SDK: IsTruncated; CLI with --max-items: NextToken). */
export function pageIsTruncated(response: unknown): boolean {
  return isObject(response) && (response.IsTruncated === true || str(response.NextToken) !== null);
}

/** Whether the value looks like a GetAccountAuthorizationDetails response at all. */
export function isAuthorizationDetailsResponse(value: unknown): value is Record<string, unknown> {
  return isObject(value) && ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'].some((k) => Array.isArray(value[k]));
}

/** The 12-digit account the first user, group, role or customer managed policy ARN names. */
export function accountOfPages(pages: AuthorizationDetailsPage[]): string | null {
  for (const { response } of pages) {
    if (!isObject(response)) continue;
    for (const list of ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies']) {
      for (const entry of Array.isArray(response[list]) ? response[list] : []) {
        const account = isObject(entry) ? parseArn(entry.Arn)?.accountId : undefined;
        if (account && /^\d{12}$/.test(account)) return account;
      }
    }
  }
  return null;
}

/**
 * The facts of one account's snapshot, from all of its pages. `accountId`: the account the
 * listing is of (the SDK caller knows it); otherwise it comes from the ARNs. Entries of another
 * account, without a name or ARN, or with a document that is not a policy are rejected.
 */
export function transformAuthorizationDetails(pages: AuthorizationDetailsPage[], opts: { accountId?: string } = {}): AuthorizationSnapshot {
  const accountId = opts.accountId ?? accountOfPages(pages);
  if (!accountId) throw new Error(`${pages[0]?.source ?? 'the listing'}: no user, group, role or customer managed policy ARN names the account`);
  const facts = new Map<string, IamFact>();
  const versions = new Map<string, PolicyVersionDocument>();
  const principals = new Map<string, IamPrincipalSighting>();
  const rejected: RejectedRecord[] = [];
  const counts = { users: 0, groups: 0, roles: 0, policies: 0 };
  const add = (f: IamFact) => facts.set(`${f.kind} ${f.key}`, f);

  for (const page of pages) {
    const reject = (position: string, reason: string, raw: unknown) =>
      rejected.push({ source: page.source, position: `${page.position} ${position}`, reason, raw: JSON.stringify(raw) ?? '' });
    if (!isAuthorizationDetailsResponse(page.response)) {
      rejected.push({ source: page.source, position: page.position, reason: 'not a GetAccountAuthorizationDetails response', raw: JSON.stringify(page.response) ?? '' });
      continue;
    }
    const r = page.response;
    const each = (list: string, fn: (entry: Record<string, unknown>, at: string) => void) => {
      const entries = r[list];
      if (entries !== undefined && !Array.isArray(entries)) return reject(list, `${list} is not a list`, entries);
      for (const [i, entry] of (entries ?? []).entries()) {
        const at = `${list}[${i}]`;
        if (!isObject(entry)) reject(at, 'entry is not a JSON object', entry);
        else fn(entry, at);
      }
    };

    /** Checks what every entity shares; null (and a rejection) when the entry cannot be used. */
    const entity = (type: IamEntityType, entry: Record<string, unknown>, at: string, nameField: string, idField: string) => {
      const name = str(entry[nameField]);
      const arn = str(entry.Arn);
      const parsed = parseArn(arn);
      if (!name || !IAM_NAME.test(name)) return void reject(at, `${nameField} is missing or not an IAM name`, entry);
      if (!arn || !parsed || parsed.service !== 'iam' || parsed.resourceType !== type) return void reject(at, `Arn ${JSON.stringify(entry.Arn)} is not an IAM ${type} ARN`, entry);
      if (parsed.accountId !== accountId) return void reject(at, `Arn names account ${parsed.accountId}, not ${accountId}`, entry);
      const key = entityKey(type, name);
      add({ kind: 'ENTITY', key, payload: { arn, id: str(entry[idField]), path: str(entry.Path) ?? '/', createDate: isoDate(entry.CreateDate) } });
      return { key, name, arn };
    };

    /** Inline policies and attachments of an entity; a bad one is rejected alone. */
    const policiesOf = (type: IamEntityType, name: string, entry: Record<string, unknown>, at: string, inlineField: string) => {
      const inline = entry[inlineField];
      for (const [i, p] of (Array.isArray(inline) ? inline : []).entries()) {
        const pAt = `${at}.${inlineField}[${i}]`;
        const policyName = isObject(p) ? str(p.PolicyName) : null;
        if (!isObject(p) || !policyName) {
          reject(pAt, 'inline policy without PolicyName', p);
          continue;
        }
        try {
          add({ kind: 'INLINE_POLICY', key: inlinePolicyKey(type, name, policyName), payload: { document: decodePolicyDocument(p.PolicyDocument, `inline policy ${policyName} of ${type} ${name}`) } });
        } catch (err) {
          reject(pAt, (err as Error).message, p);
        }
      }
      const attached = entry.AttachedManagedPolicies;
      for (const [i, a] of (Array.isArray(attached) ? attached : []).entries()) {
        const policyArn = isObject(a) ? str(a.PolicyArn) : null;
        if (!policyArn || parseArn(policyArn)?.resourceType !== 'policy') {
          reject(`${at}.AttachedManagedPolicies[${i}]`, 'attached policy without a policy ARN', a);
          continue;
        }
        add({ kind: 'ATTACHMENT', key: attachmentKey(type, name, policyArn), payload: {} });
      }
    };

    const boundaryOf = (key: string, entry: Record<string, unknown>, at: string) => {
      if (entry.PermissionsBoundary === undefined || entry.PermissionsBoundary === null) return;
      const policyArn = isObject(entry.PermissionsBoundary) ? str(entry.PermissionsBoundary.PermissionsBoundaryArn) : null;
      if (!policyArn) return reject(`${at}.PermissionsBoundary`, 'permissions boundary without PermissionsBoundaryArn', entry.PermissionsBoundary);
      add({ kind: 'PERMISSIONS_BOUNDARY', key, payload: { policyArn } });
    };

    /** null when the listing says nothing about tags (no `Tags` element): the tag history is then left as it is */
    const tagsOf = (entry: Record<string, unknown>): Record<string, string> | null => {
      if (entry.Tags === undefined || entry.Tags === null) return null;
      const tags: Record<string, string> = {};
      for (const t of Array.isArray(entry.Tags) ? entry.Tags : []) {
        if (isObject(t) && typeof t.Key === 'string' && typeof t.Value === 'string') tags[t.Key] = t.Value;
      }
      return tags;
    };

    each('UserDetailList', (u, at) => {
      const e = entity('user', u, at, 'UserName', 'UserId');
      if (!e) return;
      counts.users++;
      policiesOf('user', e.name, u, at, 'UserPolicyList');
      boundaryOf(e.key, u, at);
      for (const [i, g] of (Array.isArray(u.GroupList) ? u.GroupList : []).entries()) {
        if (typeof g !== 'string' || !IAM_NAME.test(g)) reject(`${at}.GroupList[${i}]`, 'group name is not an IAM name', g);
        else add({ kind: 'GROUP_MEMBERSHIP', key: membershipKey(g, e.name), payload: {} });
      }
      principals.set(e.arn, { arn: e.arn, type: 'IAM_USER', accountId, name: e.name, awsPrincipalId: str(u.UserId), tags: tagsOf(u) });
    });

    each('GroupDetailList', (g, at) => {
      const e = entity('group', g, at, 'GroupName', 'GroupId');
      if (!e) return;
      counts.groups++;
      policiesOf('group', e.name, g, at, 'GroupPolicyList');
    });

    each('RoleDetailList', (role, at) => {
      const e = entity('role', role, at, 'RoleName', 'RoleId');
      if (!e) return;
      counts.roles++;
      if (role.AssumeRolePolicyDocument !== undefined) {
        try {
          add({ kind: 'TRUST_POLICY', key: e.key, payload: { document: decodePolicyDocument(role.AssumeRolePolicyDocument, `trust policy of role ${e.name}`) } });
        } catch (err) {
          reject(`${at}.AssumeRolePolicyDocument`, (err as Error).message, role.AssumeRolePolicyDocument);
        }
      }
      policiesOf('role', e.name, role, at, 'RolePolicyList');
      boundaryOf(e.key, role, at);
      principals.set(e.arn, { arn: e.arn, type: 'ROLE', accountId, name: e.name, awsPrincipalId: str(role.RoleId), tags: tagsOf(role) });
    });

    each('Policies', (p, at) => {
      const arn = str(p.Arn);
      const parsed = parseArn(arn);
      if (!arn || !parsed || parsed.service !== 'iam' || parsed.resourceType !== 'policy') return reject(at, `Arn ${JSON.stringify(p.Arn)} is not an IAM policy ARN`, p);
      // AWS managed policies (account `aws`) belong to every account; customer managed ones to theirs
      if (parsed.accountId !== 'aws' && parsed.accountId !== accountId) return reject(at, `Arn names account ${parsed.accountId}, not ${accountId}`, p);
      const list = Array.isArray(p.PolicyVersionList) ? p.PolicyVersionList : [];
      const defaultVersionId = str(p.DefaultVersionId) ?? list.filter(isObject).map((v) => (v.IsDefaultVersion === true ? str(v.VersionId) : null)).find((v) => v) ?? null;
      if (!defaultVersionId) return reject(at, 'managed policy without DefaultVersionId', p);
      for (const [i, v] of list.entries()) {
        const versionId = isObject(v) ? str(v.VersionId) : null;
        if (!isObject(v) || !versionId) {
          reject(`${at}.PolicyVersionList[${i}]`, 'policy version without VersionId', v);
          continue;
        }
        try {
          const document = decodePolicyDocument(v.Document, `version ${versionId} of ${arn}`);
          versions.set(`${arn} ${versionId}`, { policyArn: arn, versionId, document, createdAt: isoDate(v.CreateDate) ? new Date(isoDate(v.CreateDate)!) : null });
        } catch (err) {
          reject(`${at}.PolicyVersionList[${i}]`, (err as Error).message, v);
        }
      }
      counts.policies++;
      add({ kind: 'MANAGED_POLICY', key: arn, payload: { defaultVersionId } });
    });
  }

  const sortedFacts = [...facts.values()].sort((a, b) => cmp(`${a.kind} ${a.key}`, `${b.kind} ${b.key}`));
  const sortedVersions = [...versions.values()].sort((a, b) => cmp(`${a.policyArn} ${a.versionId}`, `${b.policyArn} ${b.versionId}`));
  const sortedPrincipals = [...principals.values()].sort((a, b) => cmp(a.arn, b.arn));
  return {
    accountId,
    facts: sortedFacts,
    versions: sortedVersions,
    principals: sortedPrincipals,
    rejected,
    counts,
    contentSha256: documentSha256({
      facts: sortedFacts,
      versions: sortedVersions.map((v) => ({ ...v, createdAt: v.createdAt?.toISOString() ?? null })),
      tags: sortedPrincipals.map((p) => [p.arn, p.tags]),
    }),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
