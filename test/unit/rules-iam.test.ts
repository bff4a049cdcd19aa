import { toRuleEvent } from '../../src/compliance/evaluate';
import { iamSnapshotStoredEvent } from '../../src/compliance/iam-context';
import { ruleEventOf } from '../support/rule-events';
import { Actor, cloudTrailRecord, CloudTrailRecord } from '../../src/demo/cloudtrail-records';
import {
  NOTEBOOK_PRODUCT_POLICY_ARN,
  NOTEBOOK_PRODUCT_POLICY_V1,
  NOTEBOOK_PRODUCT_POLICY_V2,
  SAGEMAKER_STUDIO_DEVELOPER,
  policyArn,
} from '../../src/demo/iam-story';
import { iamGuardrailWeakened } from '../../src/domain/rules/catalog/iam-guardrail-weakened';
import { IAM_RULES } from '../../src/domain/rules/catalog/iam-index';
import { iamTrainingWithoutVpcAllowed } from '../../src/domain/rules/catalog/iam-training-without-vpc-allowed';
import { guardAreaOf, guardRailWeakenings, iamChangeOf } from '../../src/domain/rules/iam-guardrails';
import { ALL_RULES } from '../../src/domain/rules/registry';
import {
  DEFAULT_RULE_CONFIG,
  type IamPolicyInForce,
  type IamPrincipalSimulation,
  type RuleContext,
  type RuleEvent,
  type RuleIamContext,
} from '../../src/domain/rules/types';

type Json = Record<string, unknown>;
const A = '111122223333';
const EXEC_ROLE = `arn:aws:iam::${A}:role/SageMakerExecRole-ml-product-team`;
const LEGACY_ROLE = `arn:aws:iam::${A}:role/legacy/ml-legacy-adhoc-training`;
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const catalogLaunch: Actor = { accountId: A, name: `SC-${A}-ProductLaunchRole`, kind: 'AssumedRole', sessionName: 'servicecatalog' };
const T = new Date('2026-11-04T10:00:00Z');

const doc = (...Statement: Json[]) => ({ Version: '2012-10-17', Statement });
const KMS_KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${A}:key/0000aaaa-00aa-00aa-00aa-000000000000`;
const DENY_NO_VPC = NOTEBOOK_PRODUCT_POLICY_V2.Statement[4];
const DENY_OTHER_KMS = { Sid: 'DenyOtherVolumeKeys', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { StringNotEquals: { 'sagemaker:VolumeKmsKey': [KMS_KEY] } } };
const LOGS = NOTEBOOK_PRODUCT_POLICY_V1.Statement[3];

/** An IAM call as CloudTrail logs it: names in requestParameters, policyDocument as a JSON string. */
function iamCall(eventName: string, requestParameters: Json, o: { responseElements?: Json; actor?: Actor; errorCode?: string } = {}): CloudTrailRecord {
  return cloudTrailRecord({
    actor: o.actor ?? admin, time: T, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, requestParameters,
    responseElements: o.responseElements ?? null, userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.prompt/off command/iam',
    ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: `User: arn:aws:iam::${A}:user/platform-admin is not authorized to perform: iam:${eventName}` } : {}),
  });
}

const createPolicyVersion = (document: Json, setAsDefault = true, versionId = 'v3') =>
  iamCall('CreatePolicyVersion', { policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, policyDocument: JSON.stringify(document), setAsDefault },
    { actor: catalogLaunch, responseElements: { policyVersion: { versionId, isDefaultVersion: setAsDefault, createDate: 'Nov 4, 2026, 10:00:00 AM' } } });
const putRolePolicy = (roleName: string, policyName: string, document: Json) =>
  iamCall('PutRolePolicy', { roleName, policyName, policyDocument: JSON.stringify(document) });


const managed = (document: Json | null, versionId = 'v2', kind: IamPolicyInForce['kind'] = 'MANAGED', attachedToArn: string | null = null): IamPolicyInForce => ({
  kind, policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, policyName: 'SageMakerNotebookProductPolicy', versionId, attachedToArn, document,
});
const inline = (name: string, attachedToArn: string, document: Json | null, kind: IamPolicyInForce['kind'] = 'INLINE'): IamPolicyInForce => ({
  kind, policyArn: null, policyName: name, versionId: null, attachedToArn, document,
});

/** ctx.iam as src/compliance/iam-context.ts gives it for the event's one change target. */
function contextFor(event: RuleEvent, o: { before?: IamPolicyInForce[] | 'unknown'; after?: IamPolicyInForce[]; reach?: { before: number; after: number }; simulations?: IamPrincipalSimulation[]; teamTagKey?: string; entityArns?: Record<string, string> } = {}): RuleContext {
  const target = iamChangeOf(event);
  const iam: RuleIamContext = {
    targets: target ? {
      [target.key]: {
        before: o.before === 'unknown' ? { known: false, policies: [] } : { known: true, policies: o.before ?? [] },
        after: { known: true, policies: o.after ?? [] },
        ...(o.reach ? { reach: o.reach } : {}),
      },
    } : {},
    entityArns: o.entityArns ?? { 'role/SageMakerExecRole-ml-product-team': EXEC_ROLE },
    trainingWithoutVpc: o.simulations ?? [],
  };
  return { teamTagKey: o.teamTagKey ?? 'team', config: DEFAULT_RULE_CONFIG, principalTeam: 'platform', principalTags: { team: 'platform' }, resourceOwners: {}, iam };
}

const weakened = (findings: { evidence: Json }[]) => (findings[0]?.evidence.weakened ?? []) as Json[];

describe('iam-guardrail-weakened', () => {
  it('fires CRITICAL when a new default version drops the seed 03 Deny of training without a VPC, naming policy, statement, key and change', () => {
    // Arrange: v2 (with the Deny) in force; v3 is v1's text again
    const event = ruleEventOf(createPolicyVersion(NOTEBOOK_PRODUCT_POLICY_V1));

    // Act
    const findings = iamGuardrailWeakened.evaluate(event, contextFor(event, { before: [managed(NOTEBOOK_PRODUCT_POLICY_V2)], after: [managed(NOTEBOOK_PRODUCT_POLICY_V1, 'v3')] }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ resourceArn: NOTEBOOK_PRODUCT_POLICY_ARN, severity: 'CRITICAL' });
    expect(findings[0].message).toContain('Deny DenyTrainingWithoutVpc guarding sagemaker:VpcSubnets (removed)');
    expect(weakened(findings)).toEqual([
      expect.objectContaining({
        policy: expect.objectContaining({ policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionBefore: 'v2', versionAfter: 'v3' }),
        statement: { sid: 'DenyTrainingWithoutVpc', index: 4, effect: 'Deny' },
        guardedKeys: [{ key: 'sagemaker:VpcSubnets', area: 'VPC' }],
        change: 'REMOVED',
        before: DENY_NO_VPC,
        after: null,
        preventiveVpcControl: true,
      }),
    ]);
  });

  it('does not fire when the change adds the Deny (the preventive control rolled out), nor for a version that does not become the default', () => {
    // Arrange
    const rollout = ruleEventOf(createPolicyVersion(NOTEBOOK_PRODUCT_POLICY_V2, true, 'v2'));
    const draft = ruleEventOf(createPolicyVersion(NOTEBOOK_PRODUCT_POLICY_V1, false));

    // Act
    const onRollout = iamGuardrailWeakened.evaluate(rollout, contextFor(rollout, { before: [managed(NOTEBOOK_PRODUCT_POLICY_V1, 'v1')] }));
    const onDraft = iamGuardrailWeakened.evaluate(draft, contextFor(draft, { before: [managed(NOTEBOOK_PRODUCT_POLICY_V2)] }));

    // Assert
    expect(onRollout).toEqual([]);
    expect(iamChangeOf(draft)).toBeNull();
    expect(onDraft).toEqual([]);
  });

  it('does not fire when only an unrelated statement of a guard-rail policy changes', () => {
    // Arrange: the Logs statement loses an action; the Deny is untouched
    const before = doc(LOGS, DENY_NO_VPC);
    const after = doc({ ...LOGS, Action: ['logs:CreateLogGroup', 'logs:PutLogEvents'] }, DENY_NO_VPC);
    const event = ruleEventOf(putRolePolicy('SageMakerExecRole-ml-product-team', 'Guards', after));

    // Act
    const findings = iamGuardrailWeakened.evaluate(event, contextFor(event, { before: [inline('Guards', EXEC_ROLE, before)] }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('reports a loosened test: the VPC Null test flipped, and a KMS Deny exempting one more key; a narrowed exemption list is no finding', () => {
    // Arrange
    const flipped = { ...DENY_NO_VPC, Condition: { Null: { 'sagemaker:VpcSubnets': 'false' } } };
    const moreKeys = { ...DENY_OTHER_KMS, Condition: { StringNotEquals: { 'sagemaker:VolumeKmsKey': [KMS_KEY, OTHER_KEY] } } };
    const loosen = ruleEventOf(putRolePolicy('SageMakerExecRole-ml-product-team', 'Guards', doc(flipped, moreKeys)));
    const tighten = ruleEventOf(putRolePolicy('SageMakerExecRole-ml-product-team', 'Guards', doc(DENY_NO_VPC, DENY_OTHER_KMS)));

    // Act
    const loosened = iamGuardrailWeakened.evaluate(loosen, contextFor(loosen, { before: [inline('Guards', EXEC_ROLE, doc(DENY_NO_VPC, DENY_OTHER_KMS))] }));
    const tightened = iamGuardrailWeakened.evaluate(tighten, contextFor(tighten, { before: [inline('Guards', EXEC_ROLE, doc(DENY_NO_VPC, moreKeys))] }));

    // Assert
    expect(loosened).toHaveLength(1);
    expect(loosened[0]).toMatchObject({ resourceArn: EXEC_ROLE, severity: 'CRITICAL' });
    expect(weakened(loosened).map((w) => [(w.statement as Json).sid, w.change, w.changes])).toEqual([
      ['DenyTrainingWithoutVpc', 'LOOSENED', ['the test on sagemaker:VpcSubnets changed from Null sagemaker:VpcSubnets "true" to Null sagemaker:VpcSubnets "false"']],
      ['DenyOtherVolumeKeys', 'LOOSENED', [`StringNotEquals sagemaker:VolumeKmsKey now also exempts "${OTHER_KEY}"`]],
    ]);
    expect(tightened).toEqual([]);
  });

  it('reports a Deny that gained a condition (it now applies in fewer requests), at HIGH for a KMS guard', () => {
    // Arrange: TeamB is exempted from the KMS Deny
    const exempted = { ...DENY_OTHER_KMS, Condition: { ...DENY_OTHER_KMS.Condition, StringNotEquals: { ...DENY_OTHER_KMS.Condition.StringNotEquals, 'aws:PrincipalTag/team': 'TeamB' } } };
    const event = ruleEventOf(putRolePolicy('SageMakerExecRole-ml-product-team', 'Guards', doc(exempted)));

    // Act
    const findings = iamGuardrailWeakened.evaluate(event, contextFor(event, { before: [inline('Guards', EXEC_ROLE, doc(DENY_OTHER_KMS))] }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('HIGH');
    expect(weakened(findings)[0]).toMatchObject({
      change: 'LOOSENED', guardedKeys: [{ key: 'sagemaker:VolumeKmsKey', area: 'KMS' }],
      changes: ['a condition was added (StringNotEquals aws:PrincipalTag/team "TeamB"): the Deny now applies only when it holds too'],
    });
  });

  it("reports the seed 05 ABAC Allow losing its team-tag condition, and a new unconditioned Allow bypassing the Create* tag conditions", () => {
    // Arrange
    const [createApp, passRole, invoke, addTags, create, updateDelete] = SAGEMAKER_STUDIO_DEVELOPER.Statement;
    const noTeamCheck = doc(createApp, passRole, invoke, addTags, create, { ...updateDelete, Condition: undefined });
    const bypass = doc(...SAGEMAKER_STUDIO_DEVELOPER.Statement, { Sid: 'CreateAnything', Effect: 'Allow', Action: 'sagemaker:CreateTrainingJob', Resource: '*' });
    const edit = (d: Json, versionId: string) => ruleEventOf(iamCall('CreatePolicyVersion', { policyArn: policyArn('SageMakerStudioDeveloperAccess'), policyDocument: JSON.stringify(d), setAsDefault: true }, { responseElements: { policyVersion: { versionId, isDefaultVersion: true } } }));
    const before = [{ ...managed(SAGEMAKER_STUDIO_DEVELOPER, 'v1'), policyArn: policyArn('SageMakerStudioDeveloperAccess'), policyName: 'SageMakerStudioDeveloperAccess' }];

    // Act
    const e1 = edit(noTeamCheck, 'v2');
    const e2 = edit(bypass, 'v3');
    const dropped = iamGuardrailWeakened.evaluate(e1, contextFor(e1, { before }));
    const bypassed = iamGuardrailWeakened.evaluate(e2, contextFor(e2, { before }));

    // Assert
    expect(dropped[0]).toMatchObject({ resourceArn: policyArn('SageMakerStudioDeveloperAccess'), severity: 'HIGH' });
    expect(weakened(dropped)).toEqual([expect.objectContaining({
      statement: { sid: 'AmazonSageMakerUpdateDeleteExecutePolicy', index: 5, effect: 'Allow' },
      guardedKeys: [{ key: 'aws:PrincipalTag/team', area: 'TEAM_TAGS' }],
      change: 'LOOSENED',
      changes: ['the condition StringEquals aws:PrincipalTag/team "${sagemaker:ResourceTag/team}" was removed: the Allow no longer requires it'],
    })]);
    expect(weakened(bypassed)).toEqual([expect.objectContaining({
      statement: { sid: 'AmazonSageMakerCreate', index: 4, effect: 'Allow' },
      guardedKeys: [{ key: 'aws:TagKeys', area: 'TEAM_TAGS' }, { key: 'aws:RequestTag/team', area: 'TEAM_TAGS' }],
      changes: ['Allow CreateAnything now grants sagemaker:CreateTrainingJob without the condition on aws:TagKeys, aws:RequestTag/team'],
    })]);
  });

  it('reports policies taken out of force: a deleted inline Deny, a detached product policy, a user leaving a group with a Deny, a removed boundary', () => {
    // Arrange
    const deleteInline = ruleEventOf(iamCall('DeleteRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyName: 'Guards' }));
    const detach = ruleEventOf(iamCall('DetachRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN }));
    const leave = ruleEventOf(iamCall('RemoveUserFromGroup', { groupName: 'studio-users', userName: 'user-b1' }));
    const unbound = ruleEventOf(iamCall('DeleteRolePermissionsBoundary', { roleName: 'SageMakerExecRole-ml-product-team' }));
    const boundary = doc({ Sid: 'TrainOnlyInVpc', Effect: 'Allow', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'false' } } }, { Sid: 'Rest', Effect: 'Allow', NotAction: 'sagemaker:CreateTrainingJob', Resource: '*' });
    const userB1 = `arn:aws:iam::${A}:user/user-b1`;

    // Act
    const r1 = iamGuardrailWeakened.evaluate(deleteInline, contextFor(deleteInline, { before: [inline('Guards', EXEC_ROLE, doc(DENY_OTHER_KMS))] }));
    const r2 = iamGuardrailWeakened.evaluate(detach, contextFor(detach, { before: [managed(NOTEBOOK_PRODUCT_POLICY_V2, 'v2', 'MANAGED', EXEC_ROLE)] }));
    const r3 = iamGuardrailWeakened.evaluate(leave, contextFor(leave, { before: [inline('StudioGuards', `arn:aws:iam::${A}:group/studio-users`, doc(DENY_NO_VPC), 'GROUP_INLINE')], entityArns: { 'user/user-b1': userB1 } }));
    const r4 = iamGuardrailWeakened.evaluate(unbound, contextFor(unbound, { before: [{ ...managed(boundary, 'v1', 'PERMISSIONS_BOUNDARY', EXEC_ROLE), policyArn: policyArn('TrainingBoundary') }] }));

    // Assert
    expect(r1.map((f) => [f.resourceArn, f.severity, weakened([f]).map((w) => w.change)])).toEqual([[EXEC_ROLE, 'HIGH', ['REMOVED']]]);
    expect(r2.map((f) => [f.resourceArn, f.severity, weakened([f]).map((w) => (w.statement as Json).sid)])).toEqual([[EXEC_ROLE, 'CRITICAL', ['DenyTrainingWithoutVpc']]]);
    expect(r3.map((f) => [f.resourceArn, f.severity])).toEqual([[userB1, 'CRITICAL']]);
    expect(weakened(r4)).toEqual([expect.objectContaining({ statement: { sid: 'TrainOnlyInVpc', index: 0, effect: 'Allow' }, change: 'REMOVED', changes: ['the permissions boundary is gone, and Allow TrainOnlyInVpc with it'] })]);
  });

  it('does not fire when what is taken away held no guard rail, or was not in force', () => {
    // Arrange
    const deleteLogs = ruleEventOf(iamCall('DeleteRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyName: 'Logs' }));
    const deleteUnattached = ruleEventOf(iamCall('DeletePolicy', { policyArn: NOTEBOOK_PRODUCT_POLICY_ARN }));
    const leaveNothing = ruleEventOf(iamCall('RemoveUserFromGroup', { groupName: 'studio-users', userName: 'user-b1' }));

    // Act / Assert: an Allow-only policy deleted takes access away, not a guard rail
    expect(iamGuardrailWeakened.evaluate(deleteLogs, contextFor(deleteLogs, { before: [inline('Logs', EXEC_ROLE, doc(LOGS))] }))).toEqual([]);
    // a managed policy that reached nobody was in force for nobody
    expect(iamGuardrailWeakened.evaluate(deleteUnattached, contextFor(deleteUnattached, { before: [managed(NOTEBOOK_PRODUCT_POLICY_V2)], reach: { before: 0, after: 0 } }))).toEqual([]);
    // the user was not in the group then (known: no policies in force through it)
    expect(iamGuardrailWeakened.evaluate(leaveNothing, contextFor(leaveNothing, { before: [] }))).toEqual([]);
  });

  it('says so, at LOW, when govgraph does not know the policy before the change, and never fires on a failed call', () => {
    // Arrange
    const event = ruleEventOf(putRolePolicy('SageMakerExecRole-ml-product-team', 'Guards', doc(LOGS)));
    const denied = ruleEventOf(iamCall('DeleteRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyName: 'Guards' }, { errorCode: 'AccessDenied' }));

    // Act
    const findings = iamGuardrailWeakened.evaluate(event, contextFor(event, { before: 'unknown' }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ resourceArn: EXEC_ROLE, severity: 'LOW' });
    expect(findings[0].evidence.weakened).toEqual([]);
    expect(findings[0].evidence.undecided).toMatch(/^govgraph has no record of inline policy Guards of role SageMakerExecRole-ml-product-team before this event \(no IAM snapshot of 111122223333 at or before 2026-11-04T10:00:00.000Z/);
    expect(iamGuardrailWeakened.evaluate(denied, contextFor(denied, { before: [inline('Guards', EXEC_ROLE, doc(DENY_NO_VPC))] }))).toEqual([]);
  });

  it('takes the team tag key from the configuration', () => {
    // Arrange / Act / Assert
    expect(guardAreaOf('aws:PrincipalTag/project', [], 'project')).toBe('TEAM_TAGS');
    expect(guardAreaOf('aws:PrincipalTag/team', [], 'project')).toBeNull();
    expect(guardAreaOf('aws:TagKeys', ['project'], 'project')).toBe('TEAM_TAGS');
    expect(guardAreaOf('aws:TagKeys', ['team'], 'project')).toBeNull();
    expect(guardAreaOf('sagemaker:OutputKmsKeyArn', [], 'team')).toBe('KMS');
    expect(guardAreaOf('sagemaker:InterContainerTrafficEncryption', [], 'team')).toBe('NETWORK');
    const abac = doc({ Sid: 'Own', Effect: 'Allow', Action: 'sagemaker:Delete*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/project': '${sagemaker:ResourceTag/project}' } } });
    const open = doc({ Sid: 'Own', Effect: 'Allow', Action: 'sagemaker:Delete*', Resource: '*' });
    expect(guardRailWeakenings(abac, open, { teamTagKey: 'project' })).toHaveLength(1);
    expect(guardRailWeakenings(abac, open, { teamTagKey: 'team' })).toEqual([]);
  });
});

describe('iam-training-without-vpc-allowed', () => {
  const allowedBy = { kind: 'INLINE', policyArn: null, policyName: 'AdHocTraining', versionId: null, viaGroupArn: null, attachedToArn: LEGACY_ROLE, sid: 'TrainAnything', statementIndex: 0, effect: 'Allow' as const, statement: { Sid: 'TrainAnything', Effect: 'Allow', Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:AddTags'], Resource: '*' } };
  const sim = (principalArn: string, decision: 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY', allowedBefore: boolean | null, team: string | null = 'TeamB'): IamPrincipalSimulation => ({
    principalArn, principalType: 'ROLE', team, action: 'sagemaker:CreateTrainingJob', resourceArn: `arn:aws:sagemaker:*:${A}:training-job/*`,
    absentKeys: ['sagemaker:VpcSubnets', 'sagemaker:VpcSecurityGroupIds'],
    attempts: [{ requestTags: {}, decision, decidingStatements: decision === 'ALLOWED' ? [allowedBy] : [], missingContextKeys: [] }],
    allowedBefore,
  });

  it('reports each principal the change left able to train without a VPC, filed under the principal and its team, with the deciding Allow', () => {
    // Arrange
    const event = ruleEventOf(iamCall('DetachRolePolicy', { roleName: 'ml-legacy-adhoc-training', policyArn: policyArn('DenyTrainingWithoutVpc') }));
    const ctx = contextFor(event, { simulations: [sim(LEGACY_ROLE, 'ALLOWED', false), sim(EXEC_ROLE, 'EXPLICIT_DENY', false, 'TeamA')] });

    // Act
    const findings = iamTrainingWithoutVpcAllowed.evaluate(event, ctx);

    // Assert
    expect(findings).toEqual([expect.objectContaining({
      resourceArn: LEGACY_ROLE, principalArn: LEGACY_ROLE, team: 'TeamB',
      evidence: expect.objectContaining({ decision: 'ALLOWED', decidingStatements: [allowedBy], allowedBefore: false, absentKeys: ['sagemaker:VpcSubnets', 'sagemaker:VpcSecurityGroupIds'] }),
    })]);
    expect(findings[0].message).toBe(`${LEGACY_ROLE} can start a training job without a VPC since DetachRolePolicy at 2026-11-04T10:00:00.000Z: sagemaker:CreateTrainingJob with no sagemaker:VpcSubnets or sagemaker:VpcSecurityGroupIds (with no tags) is allowed by TrainAnything of AdHocTraining, and no Deny stops it.`);
  });

  it('does not report a principal the change did not open (allowed already), nor one still denied', () => {
    // Arrange
    const event = ruleEventOf(putRolePolicy('ml-legacy-adhoc-training', 'Logs', doc(LOGS)));

    // Act
    const findings = iamTrainingWithoutVpcAllowed.evaluate(event, contextFor(event, { simulations: [sim(LEGACY_ROLE, 'ALLOWED', true), sim(EXEC_ROLE, 'IMPLICIT_DENY', false)] }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('reports every allowed principal of an IAM snapshot govgraph had no earlier picture of, saying it cannot tell whether they could before', () => {
    // Arrange
    const event = toRuleEvent(iamSnapshotStoredEvent({ accountId: A, takenAt: new Date('2026-11-02T08:30:00Z') }));

    // Act
    const findings = iamTrainingWithoutVpcAllowed.evaluate(event, contextFor(event, { simulations: [sim(LEGACY_ROLE, 'ALLOWED', null), sim(EXEC_ROLE, 'EXPLICIT_DENY', null)] }));

    // Assert
    expect(event.eventId).toBe(`iam-snapshot:${A}:2026-11-02T08:30:00.000Z`);
    expect(findings.map((f) => [f.resourceArn, f.evidence.undecided])).toEqual([[LEGACY_ROLE, 'govgraph had no IAM data of the account just before, so it cannot tell whether this principal could already']]);
    expect(findings[0].message).toContain('as the IAM snapshot of 111122223333 taken at 2026-11-02T08:30:00.000Z shows');
  });

  it('is in the catalog, and reads only what it judges', () => {
    // Arrange
    const attach = ruleEventOf(iamCall('AttachRolePolicy', { roleName: 'ml-legacy-adhoc-training', policyArn: policyArn('AdHoc') }));
    const ctx = contextFor(attach, { simulations: [sim(LEGACY_ROLE, 'ALLOWED', false)] });

    // Act / Assert
    expect(ALL_RULES).toEqual(expect.arrayContaining(IAM_RULES));
    expect(iamTrainingWithoutVpcAllowed.evaluate(attach, ctx)).toHaveLength(1);
    expect(iamTrainingWithoutVpcAllowed.evaluate({ ...attach, eventName: 'ListRoles' }, ctx)).toEqual([]);
    expect(iamTrainingWithoutVpcAllowed.evaluate({ ...attach, errorCode: 'AccessDenied' }, ctx)).toEqual([]);
    // attaching a policy only adds: it is no guard-rail weakening
    expect(iamGuardrailWeakened.evaluate(attach, ctx)).toEqual([]);
  });
});
