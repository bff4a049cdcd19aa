import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EvaluationOptions } from '../../src/compliance/evaluate';
import { buildSageMakerArn } from '../../src/domain/aws/arn';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import {
  demoAuthorizationDetails,
  DEMO_IAM_SNAPSHOT_TIME,
  DEMO_PREVENTIVE_CONTROL_TIME,
  NOTEBOOK_PRODUCT_POLICY_ARN,
  NOTEBOOK_PRODUCT_POLICY_V2,
  SAGEMAKER_STUDIO_DEVELOPER,
} from '../../src/demo/iam-story';
import { DEMO_ACCOUNT, DEMO_DOMAIN_ID, DEMO_REGION } from '../../src/demo/story';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { allPages, countingPool, ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * Effective access over HTTP, on the demo story: its CloudTrail (with the preventive control's
 * CreatePolicyVersion), its tag inventory and its IAM snapshot, ingested through the real
 * pipeline. The seeds' outcomes, asked through simulate, whoCan, policyGrants, Principal.grants
 * and Violation.decision, as of moments before and after the control.
 */

const A = DEMO_ACCOUNT;
const sm = (type: string, name: string) => buildSageMakerArn(DEMO_REGION, A, type, name);
const role = (name: string, p = '/') => `arn:aws:iam::${A}:role${p}${name}`;
const user = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const session = (roleName: string, name = 'SageMaker') => `arn:aws:sts::${A}:assumed-role/${roleName}/${name}`;

const TEAM_A_ROLE = role('SageMakerStudioDeveloperTeamARole');
const TEAM_B_ROLE = role('SageMakerStudioDeveloperTeamBRole');
const EXEC_ROLE = role('SageMakerExecRole-ml-product-team');
const LEGACY_ROLE = role('ml-legacy-adhoc-training', '/legacy/');
const EXPERIMENT = sm('experiment', 'USERA1TEAMAEXPERIMENT1');
const profile = (name: string) => sm('user-profile', `${DEMO_DOMAIN_ID}/${name}`);
const TRAINING_JOB = sm('training-job', 'sagemaker-tensorflow-2026-11-03-14-00-00-880');
/** Before and after the preventive control's policy version became the default. */
const BEFORE = new Date(DEMO_PREVENTIVE_CONTROL_TIME.getTime() - 50 * 60_000).toISOString();
const AFTER = new Date(DEMO_PREVENTIVE_CONTROL_TIME.getTime() + 10 * 60_000).toISOString();

const DECISION = `decision deniedBy missingContextKeys explanation at principalArn sessionArn action resourceArn
  resourceTags { key value } context { key values } principal { arn type }
  decidingStatements { sid effect statementIndex statement source { kind policyArn policyName versionId viaGroup attachedTo }
    conditions { operator key policyValues resolvedValues requestValues matched } }`;
const SIMULATE = `query($principalArn: String!, $action: String!, $resourceArn: String, $context: [ContextEntryInput!], $at: DateTime) {
  simulate(principalArn: $principalArn, action: $action, resourceArn: $resourceArn, context: $context, at: $at) { ${DECISION} }
}`;
const WHO_CAN = `query($action: String!, $resourceArn: String, $context: [ContextEntryInput!], $at: DateTime) {
  whoCan(action: $action, resourceArn: $resourceArn, context: $context, at: $at) {
    principalArn principal { arn type } decision { decision at decidingStatements { sid source { policyName versionId } } }
  }
}`;
const GRANT = `principalArn accountId effect actions notActions resources notResources condition sid statementIndex statement validFrom validTo
  source { kind policyArn policyName versionId viaGroup attachedTo } principal { arn }`;
const POLICY_GRANTS = `query($principalArn: String, $action: String, $resourceArn: String, $at: DateTime, $kinds: [PolicyKind!], $effect: PolicyEffect, $first: Int, $after: String) {
  policyGrants(principalArn: $principalArn, action: $action, resourceArn: $resourceArn, at: $at, kinds: $kinds, effect: $effect, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${GRANT} } }
  }
}`;

type GrantNode = { principalArn: string; source: { kind: string; policyName: string | null; viaGroup: string | null }; statementIndex: number };

type Decision = {
  decision: string;
  deniedBy: string | null;
  missingContextKeys: string[];
  explanation: string[];
  context: { key: string; values: string[] }[];
  decidingStatements: { sid: string; effect: string; statement: unknown; source: Record<string, unknown>; conditions: Record<string, unknown>[] }[];
  [k: string]: unknown;
};

describe('the access API on the demo story', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let dir: string;
  const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };

  const simulate = async (variables: Record<string, unknown>): Promise<Decision> => (await api.data(SIMULATE, variables)).simulate;
  const contextOf = (d: Decision) => Object.fromEntries(d.context.map((e) => [e.key, e.values]));
  const errorOf = async (query: string, variables: Record<string, unknown>) => {
    const { body } = await api.post(query, variables);
    expect(body.errors).toHaveLength(1);
    return { code: body.errors![0].extensions?.code, message: body.errors![0].message };
  };
  const grantsPage = async (variables: Record<string, unknown>) => (await api.data(POLICY_GRANTS, variables)).policyGrants;
  /** Grants valid at a moment, read from the store directly: the oracle for listings. */
  const storedGrants = async (at: string, where = 'true', params: unknown[] = []) =>
    (
      await db.pool.query<{ principal_arn: string; sid: string | null; kind: string; statement_index: number; effect: string }>(
        `SELECT principal_arn, sid, kind, statement_index, effect FROM policy_grants g WHERE validity @> $1::timestamptz AND ${where}`,
        [at, ...params],
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-api-access-'));
    // Arrange: the demo's CloudTrail (rules evaluated as it is ingested) and tag inventory, then
    // its IAM snapshot as `govgraph ingest iam` reads a saved get-account-authorization-details
    await ingestDemo(db, { evaluation });
    const snapshot = path.join(dir, `${A}-authorization-details.json`);
    await writeFile(snapshot, JSON.stringify(demoAuthorizationDetails(), null, 2));
    const counts = await ingestIamPaths(db.pool, [snapshot], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    expect(counts).toMatchObject({ snapshots: 1, rejected: 0 });
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('simulate', () => {
    it("denies TeamB's role DeleteExperiment on TeamA's experiment, citing the ABAC statement and the team tags it compared", async () => {
      // Act: the session that was denied in CloudTrail
      const d = await simulate({ principalArn: session('SageMakerStudioDeveloperTeamBRole'), action: 'sagemaker:DeleteExperiment', resourceArn: EXPERIMENT, at: AFTER });

      // Assert
      expect(d).toMatchObject({
        decision: 'IMPLICIT_DENY',
        deniedBy: 'IDENTITY',
        principalArn: TEAM_B_ROLE,
        sessionArn: session('SageMakerStudioDeveloperTeamBRole'),
        principal: { arn: TEAM_B_ROLE, type: 'ROLE' },
        action: 'sagemaker:DeleteExperiment',
        resourceArn: EXPERIMENT,
        at: AFTER,
        resourceTags: [{ key: 'team', value: 'TeamA' }],
      });
      const abac = SAGEMAKER_STUDIO_DEVELOPER.Statement.find((s) => s.Sid === 'AmazonSageMakerUpdateDeleteExecutePolicy');
      expect(d.decidingStatements).toEqual([
        {
          sid: 'AmazonSageMakerUpdateDeleteExecutePolicy',
          effect: 'ALLOW',
          statementIndex: SAGEMAKER_STUDIO_DEVELOPER.Statement.indexOf(abac!),
          statement: abac,
          source: {
            kind: 'MANAGED',
            policyArn: `arn:aws:iam::${A}:policy/SageMakerStudioDeveloperAccess`,
            policyName: 'SageMakerStudioDeveloperAccess',
            versionId: 'v1',
            viaGroup: null,
            attachedTo: TEAM_B_ROLE,
          },
          conditions: [
            {
              operator: 'StringEquals',
              key: 'aws:PrincipalTag/team',
              policyValues: ['${sagemaker:ResourceTag/team}'],
              resolvedValues: ['TeamA'],
              requestValues: ['TeamB'],
              matched: false,
            },
          ],
        },
      ]);
      expect(contextOf(d)).toMatchObject({
        'aws:PrincipalTag/team': ['TeamB'],
        'sagemaker:ResourceTag/team': ['TeamA'],
        'aws:ResourceTag/team': ['TeamA'],
        'aws:PrincipalArn': [TEAM_B_ROLE],
        'aws:PrincipalAccount': [A],
        'aws:userid': ['AROA6ODU5QAHTEAMBROLE:SageMaker'],
      });
      expect(d.explanation.join('\n')).toMatch(/AmazonSageMakerUpdateDeleteExecutePolicy.*aws:PrincipalTag\/team.*"TeamA".*fails.*"TeamB"/);
    });

    it("allows TeamA's role the same call, by the same statement with its condition met", async () => {
      // Act
      const d = await simulate({ principalArn: TEAM_A_ROLE, action: 'sagemaker:DeleteExperiment', resourceArn: EXPERIMENT, at: AFTER });

      // Assert
      expect(d).toMatchObject({ decision: 'ALLOWED', deniedBy: null, sessionArn: null, principalArn: TEAM_A_ROLE });
      expect(d.decidingStatements.map((s) => [s.sid, s.source.policyName, s.conditions.map((c) => c.matched)])).toEqual([
        ['AmazonSageMakerUpdateDeleteExecutePolicy', 'SageMakerStudioDeveloperAccess', [true]],
      ]);
      expect(contextOf(d)['aws:PrincipalTag/team']).toEqual(['TeamA']);
    });

    it('reads resource tags known only from the tag inventory: TeamA may delete its model, TeamB may not', async () => {
      // Arrange: created before govgraph watched the account, so only GetResources listed its tags
      const model = sm('model', 'churn-model-v6');

      // Act
      const a = await simulate({ principalArn: TEAM_A_ROLE, action: 'sagemaker:DeleteModel', resourceArn: model });
      const b = await simulate({ principalArn: TEAM_B_ROLE, action: 'sagemaker:DeleteModel', resourceArn: model });

      // Assert
      expect([a.decision, b.decision]).toEqual(['ALLOWED', 'IMPLICIT_DENY']);
      expect(a.resourceTags).toEqual([{ key: 'team', value: 'TeamA' }]);
      expect(contextOf(b)['sagemaker:ResourceTag/team']).toEqual(['TeamA']);
    });

    it('says when govgraph has no record of the resource, and which keys were then missing', async () => {
      // Act
      const d = await simulate({ principalArn: TEAM_A_ROLE, action: 'sagemaker:DeleteExperiment', resourceArn: sm('experiment', 'never-seen') });

      // Assert
      expect(d).toMatchObject({ decision: 'IMPLICIT_DENY', missingContextKeys: ['sagemaker:ResourceTag/team'], resourceTags: [] });
      expect(d.explanation.join('\n')).toMatch(/no record of .*never-seen/);
    });

    it("denies a call on another account's resource unless a resource-based policy given allows it", async () => {
      // Arrange: the read-only policy allows sagemaker:Describe* on any resource
      const foreign = 'arn:aws:sagemaker:us-east-1:444455556666:experiment/partner-experiment';
      const resourcePolicy = {
        Version: '2012-10-17',
        Statement: [{ Sid: 'ShareWithTeamA', Effect: 'Allow', Principal: { AWS: TEAM_A_ROLE }, Action: 'sagemaker:DescribeExperiment', Resource: foreign }],
      };
      const query = `query($principalArn: String!, $resourceArn: String, $resourcePolicy: JSON) {
        simulate(principalArn: $principalArn, action: "sagemaker:DescribeExperiment", resourceArn: $resourceArn, resourcePolicy: $resourcePolicy) {
          decision deniedBy explanation decidingStatements { sid source { kind } } } }`;

      // Act
      const own = (await api.data(query, { principalArn: TEAM_A_ROLE, resourceArn: EXPERIMENT })).simulate;
      const denied = (await api.data(query, { principalArn: TEAM_A_ROLE, resourceArn: foreign })).simulate;
      const shared = (await api.data(query, { principalArn: TEAM_A_ROLE, resourceArn: foreign, resourcePolicy })).simulate;
      const notShared = (await api.data(query, { principalArn: TEAM_B_ROLE, resourceArn: foreign, resourcePolicy })).simulate;

      // Assert
      expect(own.decision).toBe('ALLOWED');
      expect(denied).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY', decidingStatements: [] });
      expect(denied.explanation.join('\n')).toMatch(/account 444455556666.*cross-account.*none was given/);
      expect(shared.decision).toBe('ALLOWED');
      expect(shared.decidingStatements.map((s: any) => [s.sid, s.source.kind])).toEqual([
        ['AmazonSageMakerDescribeReadyOnlyPolicy', 'MANAGED'],
        ['ShareWithTeamA', 'RESOURCE_POLICY'],
      ]);
      expect(notShared).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY' });
      expect(await errorOf(SIMULATE.replace('$at: DateTime)', '$at: DateTime, $rp: JSON)').replace('at: $at)', 'at: $at, resourcePolicy: $rp)'), {
        principalArn: TEAM_A_ROLE, action: 'sagemaker:DescribeExperiment', rp: { Statement: [{ Effect: 'Permit', Action: '*' }] },
      })).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^resourcePolicy: Effect must be "Allow" or "Deny"/) });
    });

    it('denies the notebook execution role a training job without sagemaker:VpcSubnets after the control, and allowed it before', async () => {
      // Act
      const after = await simulate({ principalArn: session('SageMakerExecRole-ml-product-team'), action: 'sagemaker:CreateTrainingJob', resourceArn: TRAINING_JOB, at: AFTER });
      const before = await simulate({ principalArn: EXEC_ROLE, action: 'sagemaker:CreateTrainingJob', resourceArn: TRAINING_JOB, at: BEFORE });
      const withVpc = await simulate({
        principalArn: EXEC_ROLE, action: 'sagemaker:CreateTrainingJob', resourceArn: TRAINING_JOB, at: AFTER,
        context: [{ key: 'sagemaker:VpcSubnets', values: ['subnet-0a1b2c3d4e5f60718'] }],
      });

      // Assert: the explicit Deny of the policy's second version
      const deny = NOTEBOOK_PRODUCT_POLICY_V2.Statement.find((s) => s.Effect === 'Deny')!;
      expect(after).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'IDENTITY', principalArn: EXEC_ROLE, missingContextKeys: ['sagemaker:VpcSubnets'] });
      expect(after.decidingStatements).toEqual([
        expect.objectContaining({
          sid: deny.Sid,
          effect: 'DENY',
          statement: deny,
          source: expect.objectContaining({ kind: 'MANAGED', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionId: 'v2' }),
          conditions: [{ operator: 'Null', key: 'sagemaker:VpcSubnets', policyValues: ['true'], resolvedValues: ['true'], requestValues: null, matched: true }],
        }),
      ]);
      expect(after.context.map((e) => e.key)).not.toContain('sagemaker:VpcSubnets');
      // before it, version 1 allowed it
      expect(before).toMatchObject({ decision: 'ALLOWED', at: BEFORE });
      expect(before.decidingStatements.map((s) => [s.sid, s.source.versionId])).toEqual([['SageMakerJobs', 'v1']]);
      // with a VPC the Deny does not apply
      expect(withVpc.decision).toBe('ALLOWED');
      expect(contextOf(withVpc)['sagemaker:VpcSubnets']).toEqual(['subnet-0a1b2c3d4e5f60718']);
    });

    it('lets a user open a Studio URL for the profile tagged with their user name, and no other', async () => {
      // Act
      const own = await simulate({ principalArn: user('user-a1'), action: 'sagemaker:CreatePresignedDomainUrl', resourceArn: profile('user-a1') });
      const other = await simulate({ principalArn: user('user-a2'), action: 'sagemaker:CreatePresignedDomainUrl', resourceArn: profile('user-a1') });

      // Assert
      expect(own.decision).toBe('ALLOWED');
      expect(own.decidingStatements.map((s) => [s.sid, s.source.kind, s.conditions])).toEqual([
        [
          'AmazonSageMakerPresignedUrlPolicy',
          'MANAGED',
          [{ operator: 'StringEquals', key: 'sagemaker:ResourceTag/studiouserid', policyValues: ['${aws:username}'], resolvedValues: ['user-a1'], requestValues: ['user-a1'], matched: true }],
        ],
      ]);
      expect(other).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY' });
      expect(other.decidingStatements[0].conditions).toEqual([
        { operator: 'StringEquals', key: 'sagemaker:ResourceTag/studiouserid', policyValues: ['${aws:username}'], resolvedValues: ['user-a2'], requestValues: ['user-a1'], matched: false },
      ]);
      expect(contextOf(other)['aws:username']).toEqual(['user-a2']);
    });

    it('refuses malformed or unknown input with BAD_USER_INPUT and an unknown principal with NOT_FOUND', async () => {
      const base = { principalArn: TEAM_A_ROLE, action: 'sagemaker:DeleteExperiment', resourceArn: EXPERIMENT };
      // Act + Assert
      expect(await errorOf(SIMULATE, { ...base, principalArn: 'SageMakerStudioDeveloperTeamARole' })).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/principalArn .* is not an ARN/) });
      expect(await errorOf(SIMULATE, { ...base, principalArn: `arn:aws:iam::${A}:group/studio-users` })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(SIMULATE, { ...base, resourceArn: 'experiment/usera1teamaexperiment1' })).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/resourceArn/) });
      expect(await errorOf(SIMULATE, { ...base, action: 'DeleteExperiment' })).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/service:Action/) });
      expect(await errorOf(SIMULATE, { ...base, action: 'sagemaker:DeleteExperiments' })).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/unknown action sagemaker:DeleteExperiments/) });
      expect(await errorOf(SIMULATE, { ...base, action: 'sagemaker:Delete*' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(SIMULATE, { ...base, context: [{ key: 'ec2:InstanceType', values: ['t3.micro'] }] })).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/ec2:InstanceType is not a condition key of sagemaker:DeleteExperiment/),
      });
      expect(await errorOf(SIMULATE, { ...base, at: '2026-11-31T25:00:00Z' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(SIMULATE, { ...base, principalArn: role('NoSuchRole') })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no IAM data for .*NoSuchRole/) });
      expect(await errorOf(SIMULATE, { ...base, principalArn: session('NoSuchRole') })).toMatchObject({ code: 'NOT_FOUND' });
      // before the role existed
      expect(await errorOf(SIMULATE, { ...base, at: '2026-10-01T00:00:00Z' })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/did not exist at 2026-10-01T00:00:00.000Z/) });
    });
  });

  describe('whoCan', () => {
    /** Principals with an unconditional Allow of the action, less those with the control's Deny: read from the stored grants. */
    const lackingTheDeny = async (at: string) => {
      const allowed = await storedGrants(at, `effect = 'Allow' AND NOT statement ? 'Condition' AND statement->'Action' ? 'sagemaker:CreateTrainingJob'`);
      const denied = await storedGrants(at, `effect = 'Deny' AND sid = $2`, ['DenyTrainingWithoutVpc']);
      const deniedSet = new Set(denied.map((g) => g.principal_arn));
      return [...new Set(allowed.map((g) => g.principal_arn))].filter((arn) => !deniedSet.has(arn)).sort();
    };

    it('names exactly the principals that can start a training job without a VPC, before and after the control', async () => {
      // Act
      const after = (await api.data(WHO_CAN, { action: 'sagemaker:CreateTrainingJob', at: AFTER })).whoCan;
      const before = (await api.data(WHO_CAN, { action: 'sagemaker:CreateTrainingJob', at: BEFORE })).whoCan;

      // Assert
      expect(after.map((g: any) => g.principalArn)).toEqual(await lackingTheDeny(AFTER));
      expect(after.map((g: any) => g.principalArn)).toEqual([LEGACY_ROLE]);
      expect(after[0]).toMatchObject({ principal: { arn: LEGACY_ROLE, type: 'ROLE' }, decision: { decision: 'ALLOWED', at: AFTER, decidingStatements: [{ sid: 'TrainAnything' }] } });
      expect(before.map((g: any) => g.principalArn)).toEqual(await lackingTheDeny(BEFORE));
      expect(before.map((g: any) => g.principalArn)).toEqual([EXEC_ROLE, LEGACY_ROLE]);
    });

    it("takes the request's context: with the team tag requested, TeamA's role may create a job tagged TeamA, TeamB's may not", async () => {
      // Act
      const { whoCan } = await api.data(WHO_CAN, {
        action: 'sagemaker:CreateTrainingJob',
        at: AFTER,
        context: [
          { key: 'aws:TagKeys', values: ['team'] },
          { key: 'aws:RequestTag/team', values: ['TeamA'] },
          { key: 'sagemaker:VpcSubnets', values: ['subnet-0a1b2c3d4e5f60718'] },
        ],
      });

      // Assert
      expect(whoCan.map((g: any) => g.principalArn)).toEqual([EXEC_ROLE, TEAM_A_ROLE, LEGACY_ROLE].sort());
      expect(whoCan.find((g: any) => g.principalArn === TEAM_A_ROLE).decision.decidingStatements).toEqual([{ sid: 'AmazonSageMakerCreate', source: { policyName: 'SageMakerStudioDeveloperAccess', versionId: 'v1' } }]);
    });

    it("keeps to an account: the one asked for, and the resource's own", async () => {
      // Act
      const query = `query($accountId: String, $resourceArn: String) { whoCan(action: "sagemaker:DeleteExperiment", resourceArn: $resourceArn, accountId: $accountId, at: "${AFTER}") { principalArn } }`;
      const here = (await api.data(query, { accountId: A, resourceArn: EXPERIMENT })).whoCan;
      const elsewhere = (await api.data(query, { accountId: '444455556666', resourceArn: EXPERIMENT })).whoCan;
      // sagemaker:Describe* is allowed on any resource to both team roles and the Studio users
      const describe = `query($resourceArn: String) { whoCan(action: "sagemaker:DescribeExperiment", resourceArn: $resourceArn, at: "${AFTER}") { principalArn } }`;
      const readers = (await api.data(describe, { resourceArn: EXPERIMENT })).whoCan;
      const foreign = (await api.data(describe, { resourceArn: 'arn:aws:sagemaker:us-east-1:444455556666:experiment/usera1teamaexperiment1' })).whoCan;

      // Assert: TeamA's role may delete TeamA's experiment; nobody reaches into another account without a resource policy
      expect(here.map((g: any) => g.principalArn)).toEqual([TEAM_A_ROLE]);
      expect(elsewhere).toEqual([]);
      expect(readers.map((g: any) => g.principalArn)).toEqual(expect.arrayContaining([TEAM_A_ROLE, TEAM_B_ROLE, user('user-a1')]));
      expect(foreign).toEqual([]);
      expect(await errorOf(query, { accountId: '1234' })).toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it('refuses an unknown action and an unsupported context key', async () => {
      expect(await errorOf(WHO_CAN, { action: 'sagemaker:CreateTrainingJobs' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(WHO_CAN, { action: 'sagemaker:CreateTrainingJob', context: [{ key: 's3:prefix', values: ['x'] }] })).toMatchObject({ code: 'BAD_USER_INPUT' });
    });
  });

  describe('policyGrants', () => {
    it('pages through every grant valid at a moment without gaps or repeats', async () => {
      // Act
      const { nodes, pages } = await allPages<GrantNode>((after) => grantsPage({ at: AFTER, first: 7, after }));

      // Assert
      const stored = await storedGrants(AFTER);
      expect(pages).toBe(Math.ceil(stored.length / 7));
      const key = (g: GrantNode) =>
        `${g.principalArn} ${g.source.kind} ${g.source.policyName} ${g.source.viaGroup} ${g.statementIndex}`;
      const keys = nodes.map(key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(nodes.length).toBe(stored.length);
      expect(nodes.map((n: any) => n.principalArn)).toEqual([...nodes.map((n: any) => n.principalArn)].sort());
      const first = await grantsPage({ at: AFTER, first: 7 });
      expect(first.totalCount).toBe(stored.length);
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    });

    it('keeps the grants whose statements cover an action and resource, in pages', async () => {
      // Act
      const { nodes } = await allPages((after) => grantsPage({ action: 'sagemaker:CreateTrainingJob', resourceArn: TRAINING_JOB, at: AFTER, first: 1, after }));
      const whole = await grantsPage({ action: 'sagemaker:CreateTrainingJob', resourceArn: TRAINING_JOB, at: AFTER, first: 50 });

      // Assert: the statements of the demo's policies naming CreateTrainingJob or Create*
      const got = nodes.map((n: any) => `${n.principalArn} ${n.sid} ${n.effect}`);
      expect(got).toEqual([
        `${EXEC_ROLE} SageMakerJobs ALLOW`,
        `${EXEC_ROLE} DenyTrainingWithoutVpc DENY`,
        `${TEAM_A_ROLE} AmazonSageMakerCreate ALLOW`,
        `${TEAM_B_ROLE} AmazonSageMakerCreate ALLOW`,
        `${LEGACY_ROLE} TrainAnything ALLOW`,
      ]);
      expect(whole.edges.map((e: any) => `${e.node.principalArn} ${e.node.sid} ${e.node.effect}`)).toEqual(got);
      expect(whole.totalCount).toBe(got.length);
      const deny = nodes.find((n: any) => n.sid === 'DenyTrainingWithoutVpc');
      expect(deny).toMatchObject({
        accountId: A,
        actions: ['sagemaker:CreateTrainingJob'],
        notActions: null,
        resources: ['*'],
        condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
        validFrom: DEMO_PREVENTIVE_CONTROL_TIME.toISOString(),
        validTo: null,
        source: { kind: 'MANAGED', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionId: 'v2', viaGroup: null, attachedTo: EXEC_ROLE },
        principal: { arn: EXEC_ROLE },
      });
      // an S3 object is covered by the bucket statements only
      const s3 = await grantsPage({ action: 's3:GetObject', resourceArn: `arn:aws:s3:::ml-artifacts-${A}/data/train.csv`, principalArn: TEAM_A_ROLE, at: AFTER });
      expect(s3.edges.map((e: any) => e.node.sid)).toEqual(['AmazonSageMakerCRUDAccessS3Policy']);
      const elsewhere = await grantsPage({ action: 's3:GetObject', resourceArn: 'arn:aws:s3:::someone-elses-bucket/x', principalArn: TEAM_A_ROLE, at: AFTER });
      expect(elsewhere.edges).toEqual([]);
    });

    it("answers as of a moment: the execution role's policy before and after the new version", async () => {
      // Act
      const before = await grantsPage({ principalArn: session('SageMakerExecRole-ml-product-team'), at: BEFORE, kinds: ['MANAGED'] });
      const after = await grantsPage({ principalArn: EXEC_ROLE, at: AFTER, kinds: ['MANAGED'] });

      // Assert
      const v1 = NOTEBOOK_PRODUCT_POLICY_V2.Statement.filter((s) => s.Effect === 'Allow');
      expect(before.edges.map((e: any) => e.node.statement)).toEqual(v1);
      expect(before.edges.every((e: any) => e.node.source.versionId === 'v1' && e.node.validTo === DEMO_PREVENTIVE_CONTROL_TIME.toISOString())).toBe(true);
      expect(after.edges.map((e: any) => e.node.statement)).toEqual(NOTEBOOK_PRODUCT_POLICY_V2.Statement);
      expect(after.edges.every((e: any) => e.node.source.versionId === 'v2' && e.node.validFrom === DEMO_PREVENTIVE_CONTROL_TIME.toISOString())).toBe(true);
      const denies = await grantsPage({ effect: 'DENY', at: AFTER });
      expect(denies.edges.map((e: any) => `${e.node.principalArn} ${e.node.sid}`)).toEqual(
        (await storedGrants(AFTER, `effect = 'Deny'`)).map((g) => `${g.principal_arn} ${g.sid}`),
      );
      const trust = await grantsPage({ principalArn: LEGACY_ROLE, kinds: ['TRUST_POLICY'] });
      expect(trust.edges.map((e: any) => e.node.statement)).toEqual([{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    });

    it('refuses a bad cursor, ARN or action', async () => {
      expect(await errorOf(POLICY_GRANTS, { after: 'not-a-cursor' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      const principalCursor = Buffer.from(JSON.stringify(['principal', '1'])).toString('base64url');
      expect(await errorOf(POLICY_GRANTS, { after: principalCursor })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(POLICY_GRANTS, { principalArn: 'user-a1' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(POLICY_GRANTS, { action: 'sagemaker:NoSuchThing' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await errorOf(POLICY_GRANTS, { first: 501 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    });
  });

  describe('Principal.grants', () => {
    const PRINCIPAL_GRANTS = `query($first: Int, $grants: Int, $at: DateTime) { principals(first: $first) { edges { node {
      arn type grants(first: $grants, at: $at) { totalCount edges { node { sid statementIndex source { kind policyName viaGroup } } } pageInfo { hasNextPage } }
    } } } }`;

    it("lists each IAM principal's grants as of a moment", async () => {
      // Act
      const { principals } = await api.data(PRINCIPAL_GRANTS, { first: 100, grants: 100, at: AFTER });

      // Assert
      const iam = principals.edges.map((e: any) => e.node).filter((p: any) => p.type === 'ROLE' || p.type === 'IAM_USER');
      expect(iam.length).toBeGreaterThan(5);
      for (const p of iam) {
        const stored = await storedGrants(AFTER, 'principal_arn = $2', [p.arn]);
        expect([p.arn, p.grants.totalCount]).toEqual([p.arn, stored.length]);
        expect(p.grants.edges.length).toBe(stored.length);
      }
      const a1 = iam.find((p: any) => p.arn === user('user-a1'));
      expect(a1.grants.edges.map((e: any) => e.node.source)).toContainEqual({ kind: 'GROUP_INLINE', policyName: 'StudioDomainAccess', viaGroup: `arn:aws:iam::${A}:group/studio-users` });
      const others = principals.edges.map((e: any) => e.node).filter((p: any) => p.type !== 'ROLE' && p.type !== 'IAM_USER');
      expect(others.every((p: any) => p.grants.totalCount === 0)).toBe(true);
    });

    it('costs the same number of SQL statements for 3 principals as for 30 (no N+1)', async () => {
      // Arrange
      const pool = countingPool(db.url);
      const counted = await startApi(db, { pool });
      try {
        const countFor = async (first: number) => {
          pool.queries = [];
          const data = await counted.data(PRINCIPAL_GRANTS, { first, grants: 5 });
          return { principals: data.principals.edges.length, statements: pool.queries.length };
        };
        // Act
        const few = await countFor(3);
        const many = await countFor(30);

        // Assert
        expect(many.principals).toBeGreaterThan(few.principals);
        expect(many.statements).toBe(few.statements);
      } finally {
        await counted.stop();
        await pool.end();
      }
    });
  });

  describe('Violation.decision', () => {
    it("explains the cross-team attempt by TeamB's role with the decision at the event's time, and is null for other rules", async () => {
      // Act
      const { violations } = await api.data(`{ violations(first: 500) { edges { node { ruleId eventTime principalArn resourceArn decision { ${DECISION} } } } } }`);

      // Assert
      const nodes = violations.edges.map((e: any) => e.node);
      const attempt = nodes.find((v: any) => v.ruleId === 'access-cross-team-attempt' && v.resourceArn === EXPERIMENT);
      expect(attempt.principalArn).toBe(TEAM_B_ROLE);
      expect(attempt.decision).toMatchObject({
        decision: 'IMPLICIT_DENY',
        deniedBy: 'IDENTITY',
        action: 'sagemaker:DeleteExperiment',
        resourceArn: EXPERIMENT,
        at: attempt.eventTime,
        principalArn: TEAM_B_ROLE,
        sessionArn: session('SageMakerStudioDeveloperTeamBRole'),
      });
      expect(attempt.decision.decidingStatements.map((s: any) => [s.sid, s.conditions.map((c: any) => [c.requestValues, c.resolvedValues, c.matched])])).toEqual([
        ['AmazonSageMakerUpdateDeleteExecutePolicy', [[['TeamB'], ['TeamA'], false]]],
      ]);
      // the same answer as simulate gives for that principal, action, resource and moment
      const direct = await simulate({ principalArn: session('SageMakerStudioDeveloperTeamBRole'), action: 'sagemaker:DeleteExperiment', resourceArn: EXPERIMENT, at: attempt.eventTime });
      expect(attempt.decision).toEqual(direct);
      const others = nodes.filter((v: any) => v.ruleId !== 'access-cross-team-attempt' && v.ruleId !== 'access-cross-team-action');
      expect(others.length).toBeGreaterThan(0);
      expect(others.every((v: any) => v.decision === null)).toBe(true);
    });
  });
});
