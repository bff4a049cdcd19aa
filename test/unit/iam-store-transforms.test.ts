import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { iamChangesFromEvent } from '../../src/iam/cloudtrail-changes';
import { decodePolicyDocument } from '../../src/iam/policy-document';
import { PolicyEvaluationError } from '../../src/domain/iam/types';
import { Actor, cloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { demoAuthorizationDetails, NOTEBOOK_PRODUCT_POLICY_V2, SAGEMAKER_PRESIGNED_URL } from '../../src/demo/iam-story';

const SAMPLES = path.resolve(__dirname, '../../../shared/samples/aws');
const haveSamples = existsSync(SAMPLES);
if (!haveSamples) console.warn(`iam-store-transforms.test: ${SAMPLES} is absent, the tests on published records are skipped`);
const itWithSamples = haveSamples ? it : it.skip;
const sampleLines = (file: string): Record<string, unknown>[] =>
  !haveSamples ? [] : readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

const A = '111122223333';
const page = (response: unknown, position = 'document') => ({ response, source: 'test.json', position });

/** The same listing as the SDK returns it: documents URL-encoded (RFC 3986), dates as Date. */
function asSdkResponse(cli: unknown): unknown {
  const walk = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (typeof v !== 'object' || v === null) return typeof v === 'string' && /Date$/.test(key ?? '') ? new Date(v) : v;
    if (key && /Document$/.test(key)) return encodeURIComponent(JSON.stringify(v));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
  };
  return walk(cli);
}

describe('transformAuthorizationDetails', () => {
  it('reads the AWS CLI form (decoded documents) and the SDK form (URL-encoded) to the same snapshot', () => {
    // Arrange
    const cli = demoAuthorizationDetails();
    const sdk = asSdkResponse(cli) as { RoleDetailList: { AssumeRolePolicyDocument: unknown }[] };
    expect(typeof sdk.RoleDetailList[0].AssumeRolePolicyDocument).toBe('string');
    expect(sdk.RoleDetailList[0].AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22/);

    // Act
    const fromCli = transformAuthorizationDetails([page(cli)]);
    const fromSdk = transformAuthorizationDetails([page(sdk)]);

    // Assert
    expect(fromSdk.facts).toEqual(fromCli.facts);
    expect(fromSdk.versions).toEqual(fromCli.versions);
    expect(fromSdk.contentSha256).toBe(fromCli.contentSha256);
    expect(fromCli).toMatchObject({ accountId: A, rejected: [], counts: { users: 4, groups: 2, roles: 5, policies: 7 } });
    expect(fromCli.facts.filter((f) => f.kind === 'GROUP_MEMBERSHIP').map((f) => f.key)).toEqual([
      'group/platform-admins|user/platform-admin', 'group/studio-users|user/user-a1', 'group/studio-users|user/user-a2', 'group/studio-users|user/user-b1',
    ]);
    expect(fromCli.facts.find((f) => f.key === 'role/ml-legacy-adhoc-training' && f.kind === 'ENTITY')?.payload).toEqual({
      arn: `arn:aws:iam::${A}:role/legacy/ml-legacy-adhoc-training`, id: 'AROA6ODU5QAHLEGACY001', path: '/legacy/', createDate: '2025-06-12T15:30:00.000Z',
    });
    expect(fromCli.principals.find((p) => p.name === 'user-a1')).toEqual({
      arn: `arn:aws:iam::${A}:user/user-a1`, type: 'IAM_USER', accountId: A, name: 'user-a1', awsPrincipalId: 'AIDA6ODU5QAHEXAMPLEA1', tags: { team: 'TeamA', studiouserid: 'user-a1' },
    });
  });

  it('takes a listing in pages (Marker / IsTruncated) as one snapshot', () => {
    // Arrange: users and groups on page 1, roles and policies on page 2
    const all = demoAuthorizationDetails() as Record<string, unknown>;
    const first = { UserDetailList: all.UserDetailList, GroupDetailList: all.GroupDetailList, RoleDetailList: [], Policies: [], IsTruncated: true, Marker: 'page-2' };
    const second = { UserDetailList: [], GroupDetailList: [], RoleDetailList: all.RoleDetailList, Policies: all.Policies, IsTruncated: false };

    // Act
    const paged = transformAuthorizationDetails([page(first, 'page 1'), page(second, 'page 2')]);

    // Assert
    expect(paged.facts).toEqual(transformAuthorizationDetails([page(all)]).facts);
    expect(paged.counts).toEqual({ users: 4, groups: 2, roles: 5, policies: 7 });
  });

  it('keeps a malformed entry aside with its reason and the rest of the listing', () => {
    // Arrange
    const details = demoAuthorizationDetails() as { UserDetailList: Record<string, unknown>[]; RoleDetailList: Record<string, unknown>[] };
    details.UserDetailList.push({ UserId: 'AIDANONAME', Arn: `arn:aws:iam::${A}:user/nobody` });
    details.UserDetailList.push({ UserName: 'elsewhere', Arn: 'arn:aws:iam::999988887777:user/elsewhere' });
    details.RoleDetailList[4].RolePolicyList = [{ PolicyName: 'Broken', PolicyDocument: '%7B%22Version%22%3A' }, { PolicyName: 'NoEffect', PolicyDocument: { Statement: [{ Action: '*', Resource: '*' }] } }];

    // Act
    const snapshot = transformAuthorizationDetails([page(details)]);

    // Assert
    expect(snapshot.rejected.map((r) => [r.position, r.reason])).toEqual([
      ['document UserDetailList[4]', 'UserName is missing or not an IAM name'],
      ['document UserDetailList[5]', 'Arn names account 999988887777, not 111122223333'],
      ['document RoleDetailList[4].RolePolicyList[0]', expect.stringMatching(/^inline policy Broken of role ml-legacy-adhoc-training is not JSON/)],
      ['document RoleDetailList[4].RolePolicyList[1]', 'inline policy NoEffect of role ml-legacy-adhoc-training: Statement[0] has Effect undefined; expected "Allow" or "Deny"'],
    ]);
    expect(snapshot.counts).toEqual({ users: 4, groups: 2, roles: 5, policies: 7 });
    expect(snapshot.facts.some((f) => f.key === 'role/ml-legacy-adhoc-training' && f.kind === 'ENTITY')).toBe(true);
  });

  it('a listing without Tags says nothing about tags (null), one with an empty list says there are none', () => {
    const role = (name: string, extra: object) => ({ RoleName: name, RoleId: `AROA${name}`, Arn: `arn:aws:iam::${A}:role/${name}`, ...extra });
    const snapshot = transformAuthorizationDetails([page({ RoleDetailList: [role('quiet', {}), role('bare', { Tags: [] })] })]);
    expect(snapshot.principals.map((p) => [p.name, p.tags])).toEqual([['bare', {}], ['quiet', null]]);
  });

  it('says which account it cannot find rather than guessing', () => {
    expect(() => transformAuthorizationDetails([page({ UserDetailList: [], Policies: [] })])).toThrow(/no user, group, role or customer managed policy ARN names the account/);
  });
});

describe('decodePolicyDocument', () => {
  it('decodes URL-encoded and plain JSON text, and takes objects as they are', () => {
    const json = JSON.stringify(SAGEMAKER_PRESIGNED_URL);
    expect(decodePolicyDocument(encodeURIComponent(json))).toEqual(SAGEMAKER_PRESIGNED_URL);
    expect(decodePolicyDocument(json)).toEqual(SAGEMAKER_PRESIGNED_URL);
    expect(decodePolicyDocument(SAGEMAKER_PRESIGNED_URL)).toBe(SAGEMAKER_PRESIGNED_URL);
  });

  it('refuses what is not a policy, with a PolicyEvaluationError saying why', () => {
    expect(() => decodePolicyDocument('{"Version": "2012-10-17",')).toThrow(PolicyEvaluationError);
    expect(() => decodePolicyDocument('%E0%A4%A')).toThrow(/neither JSON nor URL-encoded JSON/);
    expect(() => decodePolicyDocument({ Version: '2012-10-17' })).toThrow(/has no Statement/);
    expect(() => decodePolicyDocument({ Statement: [{ Effect: 'allow', Action: '*' }] })).toThrow(/Statement\[0\] has Effect "allow"/);
  });
});

describe('iamChangesFromEvent', () => {
  const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
  const at = new Date('2026-11-03T13:50:00Z');
  const iam = (eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null, errorCode?: string) =>
    cloudTrailRecord({ actor: admin, time: at, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, requestParameters, responseElements, errorCode });
  const changesOf = (record: Record<string, unknown>) => iamChangesFromEvent(record).changes?.changes;

  // Published records (the CloudTrail User Guide's IAM examples); they carry no eventID, so one is added to the copy read here.
  const published = sampleLines('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl').filter((r) => r.eventSource === 'iam.amazonaws.com');
  const publishedRecord = (name: string) => ({ ...published.find((r) => r.eventName === name)!, eventID: `sample-${name}` });

  itWithSamples('CreateUser, AddUserToGroup and CreateRole as published: entity, membership, trust policy', () => {
    // Act
    const user = iamChangesFromEvent(publishedRecord('CreateUser'));
    const member = iamChangesFromEvent(publishedRecord('AddUserToGroup'));
    const role = iamChangesFromEvent(publishedRecord('CreateRole'));

    // Assert
    expect(user.changes).toMatchObject({ accountId: '123456789012', at: new Date('2014-03-24T21:11:59Z'), eventId: 'sample-CreateUser' });
    expect(user.changes?.changes).toEqual([
      { op: 'ASSERT', kind: 'ENTITY', key: 'user/Bob', payload: { arn: 'arn:aws:iam::123456789012:user/Bob', id: 'EXAMPLEUSERID', path: '/', createDate: '2014-03-24T21:11:59.000Z' } },
    ]);
    expect(user.changes?.principals).toEqual([{ arn: 'arn:aws:iam::123456789012:user/Bob', type: 'IAM_USER', accountId: '123456789012', name: 'Bob', awsPrincipalId: 'EXAMPLEUSERID', tags: null }]);
    expect(member.changes?.changes).toEqual([{ op: 'ASSERT', kind: 'GROUP_MEMBERSHIP', key: 'group/admin|user/Bob', payload: {} }]);
    expect(role.problems).toEqual([]);
    expect(role.changes?.changes).toEqual([
      { op: 'ASSERT', kind: 'ENTITY', key: 'role/TestRole', payload: { arn: 'arn:aws:iam::123456789012:role/TestRole', id: 'AROAIUU2EOWSWPGX2UJUO', path: '/', createDate: '2014-03-25T20:17:37.000Z' } },
      { op: 'ASSERT', kind: 'TRUST_POLICY', key: 'role/TestRole', payload: { document: { Version: '2012-10-17', Statement: [{ Sid: '', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' }] } } },
    ]);
  });

  itWithSamples('read-only and failed IAM calls change nothing', () => {
    const reads = sampleLines('awsdocs-iam-user-guide.cloudtrail.jsonl').filter((r) => r.eventSource === 'iam.amazonaws.com');
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(iamChangesFromEvent(r)).toEqual({ changes: null, problems: [] });
    expect(iamChangesFromEvent(iam('AttachRolePolicy', { roleName: 'R', policyArn: `arn:aws:iam::${A}:policy/P` }, null, 'AccessDenied'))).toEqual({ changes: null, problems: [] });
  });

  it('inline policies: Put*Policy parses the JSON-string document, Delete*Policy retracts', () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    for (const [noun, param, type] of [['Role', 'roleName', 'role'], ['User', 'userName', 'user'], ['Group', 'groupName', 'group']] as const) {
      expect(changesOf(iam(`Put${noun}Policy`, { [param]: 'x', policyName: 'read', policyDocument: JSON.stringify(document, null, 2) }))).toEqual([
        { op: 'ASSERT', kind: 'INLINE_POLICY', key: `${type}/x/read`, payload: { document } },
      ]);
      expect(changesOf(iam(`Delete${noun}Policy`, { [param]: 'x', policyName: 'read' }))).toEqual([{ op: 'RETRACT', kind: 'INLINE_POLICY', key: `${type}/x/read`, payload: {} }]);
    }
  });

  it('an unparsable policyDocument is a problem with its reason, not an exception', () => {
    const result = iamChangesFromEvent(iam('PutRolePolicy', { roleName: 'x', policyName: 'p', policyDocument: '{"Statement": [' }));
    expect(result.changes?.changes).toEqual([]);
    expect(result.problems).toEqual([expect.stringMatching(/^PutRolePolicy policy p of role x is not JSON: /)]);
  });

  it('attachments and permissions boundaries of roles, users and groups', () => {
    const policyArn = `arn:aws:iam::${A}:policy/P`;
    expect(changesOf(iam('AttachRolePolicy', { roleName: 'R', policyArn }))).toEqual([{ op: 'ASSERT', kind: 'ATTACHMENT', key: `role/R|${policyArn}`, payload: {} }]);
    expect(changesOf(iam('DetachUserPolicy', { userName: 'U', policyArn }))).toEqual([{ op: 'RETRACT', kind: 'ATTACHMENT', key: `user/U|${policyArn}`, payload: {} }]);
    expect(changesOf(iam('AttachGroupPolicy', { groupName: 'G', policyArn }))).toEqual([{ op: 'ASSERT', kind: 'ATTACHMENT', key: `group/G|${policyArn}`, payload: {} }]);
    expect(changesOf(iam('PutRolePermissionsBoundary', { roleName: 'R', permissionsBoundary: policyArn }))).toEqual([{ op: 'ASSERT', kind: 'PERMISSIONS_BOUNDARY', key: 'role/R', payload: { policyArn } }]);
    expect(changesOf(iam('DeleteUserPermissionsBoundary', { userName: 'U' }))).toEqual([{ op: 'RETRACT', kind: 'PERMISSIONS_BOUNDARY', key: 'user/U', payload: {} }]);
    expect(iamChangesFromEvent(iam('AttachRolePolicy', { roleName: 'R', policyArn: 'not-an-arn' })).problems).toEqual(['AttachRolePolicy: requestParameters.policyArn "not-an-arn" is not a policy ARN']);
  });

  it('managed policies: CreatePolicy, CreatePolicyVersion with setAsDefault, SetDefaultPolicyVersion, DeletePolicy', () => {
    const policyArn = `arn:aws:iam::${A}:policy/SageMakerNotebookProductPolicy`;
    const created = iamChangesFromEvent(iam('CreatePolicy', { policyName: 'P', policyDocument: JSON.stringify(SAGEMAKER_PRESIGNED_URL), path: '/team/' }, { policy: { policyName: 'P', arn: `arn:aws:iam::${A}:policy/team/P`, defaultVersionId: 'v1', policyId: 'ANPAEXAMPLE' } }));
    expect(created.changes?.changes).toEqual([{ op: 'ASSERT', kind: 'MANAGED_POLICY', key: `arn:aws:iam::${A}:policy/team/P`, payload: { defaultVersionId: 'v1' } }]);
    expect(created.changes?.versions).toEqual([{ policyArn: `arn:aws:iam::${A}:policy/team/P`, versionId: 'v1', document: SAGEMAKER_PRESIGNED_URL, createdAt: at }]);

    const version = iamChangesFromEvent(iam('CreatePolicyVersion', { policyArn, policyDocument: JSON.stringify(NOTEBOOK_PRODUCT_POLICY_V2), setAsDefault: true }, { policyVersion: { versionId: 'v2', isDefaultVersion: true, createDate: 'Nov 3, 2026, 1:50:00 PM' } }));
    expect(version.changes?.changes).toEqual([{ op: 'ASSERT', kind: 'MANAGED_POLICY', key: policyArn, payload: { defaultVersionId: 'v2' } }]);
    expect(version.changes?.versions).toEqual([{ policyArn, versionId: 'v2', document: NOTEBOOK_PRODUCT_POLICY_V2, createdAt: at }]);

    const notDefault = iamChangesFromEvent(iam('CreatePolicyVersion', { policyArn, policyDocument: JSON.stringify(NOTEBOOK_PRODUCT_POLICY_V2) }, { policyVersion: { versionId: 'v3', isDefaultVersion: false } }));
    expect(notDefault.changes?.changes).toEqual([]);
    expect(notDefault.changes?.versions.map((v) => v.versionId)).toEqual(['v3']);

    expect(changesOf(iam('SetDefaultPolicyVersion', { policyArn, versionId: 'v1' }))).toEqual([{ op: 'ASSERT', kind: 'MANAGED_POLICY', key: policyArn, payload: { defaultVersionId: 'v1' } }]);
    expect(changesOf(iam('DeletePolicyVersion', { policyArn, versionId: 'v3' }))).toEqual([]);
    expect(changesOf(iam('DeletePolicy', { policyArn }))).toEqual([{ op: 'RETRACT', kind: 'MANAGED_POLICY', key: policyArn, payload: {} }]);
  });

  it('memberships, trust policy updates, and entities created and deleted', () => {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    expect(changesOf(iam('RemoveUserFromGroup', { groupName: 'G', userName: 'U' }))).toEqual([{ op: 'RETRACT', kind: 'GROUP_MEMBERSHIP', key: 'group/G|user/U', payload: {} }]);
    expect(changesOf(iam('UpdateAssumeRolePolicy', { roleName: 'R', policyDocument: JSON.stringify(trust) }))).toEqual([{ op: 'ASSERT', kind: 'TRUST_POLICY', key: 'role/R', payload: { document: trust } }]);
    const role = changesOf(iam('CreateRole', { roleName: 'R', path: '/svc/', assumeRolePolicyDocument: JSON.stringify(trust), permissionsBoundary: `arn:aws:iam::${A}:policy/B`, tags: [{ key: 'team', value: 'TeamA' }] }, { role: { arn: `arn:aws:iam::${A}:role/svc/R`, roleId: 'AROAEXAMPLE', path: '/svc/' } }));
    expect(role).toEqual([
      { op: 'ASSERT', kind: 'ENTITY', key: 'role/R', payload: { arn: `arn:aws:iam::${A}:role/svc/R`, id: 'AROAEXAMPLE', path: '/svc/', createDate: at.toISOString() } },
      { op: 'ASSERT', kind: 'TRUST_POLICY', key: 'role/R', payload: { document: trust } },
      { op: 'ASSERT', kind: 'PERMISSIONS_BOUNDARY', key: 'role/R', payload: { policyArn: `arn:aws:iam::${A}:policy/B` } },
    ]);
    // without responseElements the ARN is built from path and name
    expect(changesOf(iam('CreateGroup', { groupName: 'G', path: '/ds/' }))).toEqual([
      { op: 'ASSERT', kind: 'ENTITY', key: 'group/G', payload: { arn: `arn:aws:iam::${A}:group/ds/G`, id: null, path: '/ds/', createDate: at.toISOString() } },
    ]);
    expect(changesOf(iam('DeleteRole', { roleName: 'R' }))).toEqual([
      { op: 'RETRACT', kind: 'ENTITY', key: 'role/R', payload: {} },
      { op: 'RETRACT', kind: 'TRUST_POLICY', key: 'role/R', payload: {} },
      { op: 'RETRACT', kind: 'PERMISSIONS_BOUNDARY', key: 'role/R', payload: {} },
    ]);
    expect(changesOf(iam('DeleteGroup', { groupName: 'G' }))).toEqual([{ op: 'RETRACT', kind: 'ENTITY', key: 'group/G', payload: {} }]);
  });

  it('names what is missing from a request', () => {
    expect(iamChangesFromEvent(iam('AddUserToGroup', { groupName: 'G' })).problems).toEqual(['AddUserToGroup: requestParameters.userName is missing']);
    expect(iamChangesFromEvent(iam('CreatePolicyVersion', { policyArn: `arn:aws:iam::${A}:policy/P`, policyDocument: JSON.stringify(SAGEMAKER_PRESIGNED_URL), setAsDefault: true })).problems).toEqual([
      'CreatePolicyVersion: responseElements.policyVersion.versionId is missing, so the version cannot be named',
    ]);
  });
});
