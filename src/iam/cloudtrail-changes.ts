/**
 * The transform stage for IAM changes between snapshots: one CloudTrail record of a successful IAM
 * call → the facts it asserts or retracts at its eventTime. Pure. CloudTrail names users, groups
 * and roles by name and logs `policyDocument` as a JSON string; a document that cannot be read is a
 * problem reported with its reason, never an exception.
 *
 * Tags (TagRole, UntagRole, TagUser, UntagUser and the tags of CreateRole/CreateUser) are not
 * handled here: the inventory's tag history already records them for the role or user ARN.
 */
import { buildIamArn, parseArn, partitionForRegion } from '../domain/aws/arn';
import {
  attachmentKey,
  entityKey,
  IamEntityType,
  IamEventChanges,
  IamFactChange,
  IamPrincipalSighting,
  inlinePolicyKey,
  membershipKey,
  PolicyVersionDocument,
} from './facts';
import { decodePolicyDocument } from './policy-document';

export interface IamEventTransform {
  /** null when the record is not a successful IAM change this store models */
  changes: IamEventChanges | null;
  /** why (part of) the change could not be applied */
  problems: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

const ENTITY_PARAM: Record<IamEntityType, string> = { user: 'userName', group: 'groupName', role: 'roleName' };
const ENTITY_NOUN: Record<string, IamEntityType> = { User: 'user', Group: 'group', Role: 'role' };

/** The IAM event names this transform reads; every other IAM call changes no grant. */
export const IAM_CHANGE_EVENTS: ReadonlySet<string> = new Set([
  'PutRolePolicy', 'PutUserPolicy', 'PutGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'DeleteGroupPolicy',
  'AttachRolePolicy', 'AttachUserPolicy', 'AttachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'DetachGroupPolicy',
  'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion',
  'AddUserToGroup', 'RemoveUserFromGroup',
  'PutRolePermissionsBoundary', 'PutUserPermissionsBoundary', 'DeleteRolePermissionsBoundary', 'DeleteUserPermissionsBoundary',
  'CreateRole', 'UpdateAssumeRolePolicy', 'CreateUser', 'CreateGroup', 'DeleteRole', 'DeleteUser', 'DeleteGroup',
]);

/** Whether a record is worth transforming: a successful call of an IAM change event. */
export function isIamChangeRecord(record: Record<string, unknown>): boolean {
  return record.eventSource === 'iam.amazonaws.com' && typeof record.eventName === 'string' && IAM_CHANGE_EVENTS.has(record.eventName) && str(record.errorCode) === null;
}

export function iamChangesFromEvent(record: Record<string, unknown>): IamEventTransform {
  if (!isIamChangeRecord(record)) return { changes: null, problems: [] };
  const eventName = record.eventName as string;
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const accountId = str(record.recipientAccountId) ?? str(identity.accountId);
  const eventId = str(record.eventID);
  const at = typeof record.eventTime === 'string' ? new Date(record.eventTime) : new Date(NaN);
  if (!accountId || !/^\d{12}$/.test(accountId)) return { changes: null, problems: [`${eventName}: no 12-digit account (recipientAccountId or userIdentity.accountId)`] };
  if (!eventId || Number.isNaN(at.getTime())) return { changes: null, problems: [`${eventName}: no eventID or eventTime`] };

  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  const response = isObject(record.responseElements) ? record.responseElements : {};
  const partition = partitionForRegion(str(record.awsRegion));
  const changes: IamFactChange[] = [];
  const versions: PolicyVersionDocument[] = [];
  const principals: IamPrincipalSighting[] = [];
  const problems: string[] = [];
  const assert = (kind: IamFactChange['kind'], key: string, payload: Record<string, unknown> = {}) => changes.push({ op: 'ASSERT', kind, key, payload });
  const retract = (kind: IamFactChange['kind'], key: string) => changes.push({ op: 'RETRACT', kind, key, payload: {} });
  const need = (field: string): string | null => {
    const v = str(params[field]);
    if (!v) problems.push(`${eventName}: requestParameters.${field} is missing`);
    return v;
  };
  const document = (field: string, what: string): Record<string, unknown> | null => {
    try {
      return decodePolicyDocument(params[field], `${eventName} ${what}`);
    } catch (err) {
      problems.push((err as Error).message);
      return null;
    }
  };
  const policyArnParam = (field = 'policyArn'): string | null => {
    const arn = need(field);
    if (arn && parseArn(arn)?.resourceType !== 'policy') {
      problems.push(`${eventName}: requestParameters.${field} ${JSON.stringify(arn)} is not a policy ARN`);
      return null;
    }
    return arn;
  };

  // Put/Delete<Entity>Policy, Attach/Detach<Entity>Policy, Put/Delete<Entity>PermissionsBoundary
  const m = /^(Put|Delete|Attach|Detach)(Role|User|Group)(Policy|PermissionsBoundary)$/.exec(eventName);
  if (m) {
    const [, verb, noun, what] = m;
    const type = ENTITY_NOUN[noun];
    const name = need(ENTITY_PARAM[type]);
    if (name && what === 'PermissionsBoundary') {
      if (verb === 'Put') {
        const policyArn = policyArnParam('permissionsBoundary');
        if (policyArn) assert('PERMISSIONS_BOUNDARY', entityKey(type, name), { policyArn });
      } else retract('PERMISSIONS_BOUNDARY', entityKey(type, name));
    } else if (name && (verb === 'Put' || verb === 'Delete')) {
      const policyName = need('policyName');
      if (policyName && verb === 'Put') {
        const doc = document('policyDocument', `policy ${policyName} of ${type} ${name}`);
        if (doc) assert('INLINE_POLICY', inlinePolicyKey(type, name, policyName), { document: doc });
      } else if (policyName) retract('INLINE_POLICY', inlinePolicyKey(type, name, policyName));
    } else if (name) {
      const policyArn = policyArnParam();
      if (policyArn) (verb === 'Attach' ? assert : retract)('ATTACHMENT', attachmentKey(type, name, policyArn));
    }
    return result();
  }

  switch (eventName) {
    case 'CreatePolicy': {
      const policyName = need('policyName');
      const created = isObject(response.policy) ? response.policy : {};
      const arn = str(created.arn) ?? (policyName ? buildIamArn(accountId, 'policy', policyName, str(params.path) ?? undefined, partition) : null);
      const doc = document('policyDocument', `policy ${policyName ?? '?'}`);
      if (arn && doc) {
        const versionId = str(created.defaultVersionId) ?? 'v1'; // a new policy's only version is v1
        versions.push({ policyArn: arn, versionId, document: doc, createdAt: at });
        assert('MANAGED_POLICY', arn, { defaultVersionId: versionId });
      }
      break;
    }
    case 'DeletePolicy': {
      const arn = policyArnParam();
      if (arn) retract('MANAGED_POLICY', arn);
      break;
    }
    case 'CreatePolicyVersion': {
      const arn = policyArnParam();
      const created = isObject(response.policyVersion) ? response.policyVersion : {};
      const versionId = str(created.versionId);
      const doc = document('policyDocument', `version of ${arn ?? '?'}`);
      if (!versionId) problems.push(`${eventName}: responseElements.policyVersion.versionId is missing, so the version cannot be named`);
      if (arn && doc && versionId) {
        versions.push({ policyArn: arn, versionId, document: doc, createdAt: at });
        const setAsDefault = params.setAsDefault === true || params.setAsDefault === 'true' || created.isDefaultVersion === true;
        if (setAsDefault) assert('MANAGED_POLICY', arn, { defaultVersionId: versionId });
      }
      break;
    }
    case 'SetDefaultPolicyVersion': {
      const arn = policyArnParam();
      const versionId = need('versionId');
      if (arn && versionId) assert('MANAGED_POLICY', arn, { defaultVersionId: versionId });
      break;
    }
    case 'DeletePolicyVersion':
      // IAM refuses to delete the default version, so no grant changes; its document stays on record.
      break;
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup': {
      const group = need('groupName');
      const user = need('userName');
      if (group && user) (eventName === 'AddUserToGroup' ? assert : retract)('GROUP_MEMBERSHIP', membershipKey(group, user));
      break;
    }
    case 'CreateRole':
    case 'CreateUser':
    case 'CreateGroup': {
      const type = ENTITY_NOUN[eventName.slice('Create'.length)];
      const name = need(ENTITY_PARAM[type]);
      if (!name) break;
      const created = isObject(response[type]) ? (response[type] as Record<string, unknown>) : {};
      const path = str(created.path) ?? str(params.path) ?? '/';
      const arn = str(created.arn) ?? buildIamArn(accountId, type, name, path, partition);
      const id = str(created[`${type}Id`]);
      assert('ENTITY', entityKey(type, name), { arn, id, path, createDate: at.toISOString() });
      if (type !== 'group') principals.push({ arn, type: type === 'user' ? 'IAM_USER' : 'ROLE', accountId, name, awsPrincipalId: id, tags: null });
      if (type === 'role') {
        const doc = document('assumeRolePolicyDocument', `trust policy of role ${name}`);
        if (doc) assert('TRUST_POLICY', entityKey(type, name), { document: doc });
      }
      const boundary = str(params.permissionsBoundary);
      if (boundary && type !== 'group') assert('PERMISSIONS_BOUNDARY', entityKey(type, name), { policyArn: boundary });
      break;
    }
    case 'UpdateAssumeRolePolicy': {
      const name = need('roleName');
      const doc = name ? document('policyDocument', `trust policy of role ${name}`) : null;
      if (name && doc) assert('TRUST_POLICY', entityKey('role', name), { document: doc });
      break;
    }
    case 'DeleteRole':
    case 'DeleteUser':
    case 'DeleteGroup': {
      const type = ENTITY_NOUN[eventName.slice('Delete'.length)];
      const name = need(ENTITY_PARAM[type]);
      if (!name) break;
      retract('ENTITY', entityKey(type, name));
      // what lives and dies with the entity (IAM requires policies and memberships removed first)
      if (type === 'role') retract('TRUST_POLICY', entityKey(type, name));
      if (type !== 'group') retract('PERMISSIONS_BOUNDARY', entityKey(type, name));
      break;
    }
  }
  return result();

  function result(): IamEventTransform {
    return { changes: { eventId: eventId!, accountId: accountId!, at, changes, versions, principals }, problems };
  }
}
