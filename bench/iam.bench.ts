/**
 * `npm run bench:iam [-- --accounts N --principals P --requests R --who-can W]`: builds a fresh
 * database with N accounts (default 10) of P IAM principals each (default 500: 380 roles, 120
 * users), 5,000 principals in all, their policies as an organisation under guard rails has them —
 * the seeds' ABAC team policies, Deny guard rails (no training job without a VPC, no notebook with
 * direct internet access, a region guard written with NotAction), permissions boundaries, group
 * policies, inline policies with policy variables and IpAddress/Bool conditions — about 50,000
 * policy grants, and a tag inventory of their teams' SageMaker resources. Each account's IAM goes
 * in as `govgraph ingest iam` reads a saved get-account-authorization-details (set-based load,
 * one refresh of the account's grants), the tags as `govgraph ingest tags` reads GetResources pages.
 *
 * Then it times `simulate` over R requests (default 300: ABAC deletes on own and other teams'
 * resources, training jobs with and without a VPC, Studio URLs for own and others' profiles, S3
 * reads under a `${aws:PrincipalTag/team}` resource) as the service call and as the GraphQL query
 * over HTTP through the real server (target: median under 2 ms), and `whoCan` over W requests
 * (default 10; target: under 1 s), both ways. The last line is one JSON object.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import pino from 'pino';
import { simulateAccess, whoCan, type ContextEntry, type SimulateInput, type WhoCanInput } from '../src/access/access-service';
import { loadConfig } from '../src/config/config';
import { migrate } from '../src/db/migrate';
import { ingestIamPaths } from '../src/ingest/iam-ingest';
import { ingestTagPaths } from '../src/ingest/ingest-files';
import { createApp } from '../src/server/app';
import { seededRandom } from '../src/demo/random';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const TEAMS = ['TeamA', 'TeamB', 'TeamC', 'Forecasting', 'Pricing', 'Fraud', 'Search', 'Recsys', 'Vision', 'NLP', 'Risk', 'Growth'];
const REGION = 'us-east-1';
const SNAPSHOT_AT = new Date('2026-11-20T06:00:00Z');
const TAGGED_AT = new Date('2026-11-21T06:00:00Z');
const AT = new Date('2026-11-25T12:00:00Z');


const accountId = (i: number) => String(100000000000 + i * 111111111).padStart(12, '0');
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const tags = (o: Record<string, string>) => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

const READ_ONLY = doc(
  { Sid: 'SageMakerRead', Effect: 'Allow', Action: ['sagemaker:Describe*', 'sagemaker:List*', 'sagemaker:Search', 'sagemaker:GetSearchSuggestions'], Resource: '*' },
  { Sid: 'NetworkRead', Effect: 'Allow', Action: ['ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'], Resource: '*' },
  { Sid: 'LogsRead', Effect: 'Allow', Action: ['logs:Get*', 'logs:Describe*', 'cloudwatch:Get*'], Resource: '*' },
);
const STUDIO_DEVELOPER = doc(
  { Sid: 'StudioApps', Effect: 'Allow', Action: ['sagemaker:CreateApp', 'sagemaker:InvokeEndpoint', 'sagemaker:AddTags'], Resource: '*' },
  {
    Sid: 'CreateTagged', Effect: 'Allow', Action: ['sagemaker:Create*'], Resource: '*',
    Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] }, StringEqualsIfExists: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' } },
  },
  {
    Sid: 'ChangeOwnTeams', Effect: 'Allow',
    Action: ['sagemaker:Delete*', 'sagemaker:Stop*', 'sagemaker:Update*', 'sagemaker:Start*', 'sagemaker:AssociateTrialComponent', 'sagemaker:DisassociateTrialComponent', 'sagemaker:BatchPutMetrics'],
    Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': '${sagemaker:ResourceTag/team}' } },
  },
  { Sid: 'PassExecutionRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } },
);
const GUARD_RAILS = doc(
  {
    Sid: 'DenyJobsWithoutVpc', Effect: 'Deny', Action: ['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateHyperParameterTuningJob'], Resource: '*',
    Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
  },
  { Sid: 'DenyDirectInternet', Effect: 'Deny', Action: 'sagemaker:CreateNotebookInstance', Resource: '*', Condition: { StringEquals: { 'sagemaker:DirectInternetAccess': 'Enabled' } } },
  {
    Sid: 'DenyOutsideRegions', Effect: 'Deny', NotAction: ['iam:*', 'sts:*', 'organizations:*', 'support:*'], Resource: '*',
    Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
  },
);
const PROTECT_TEAM_TAG = doc({
  Sid: 'DenyTeamRetag', Effect: 'Deny', Action: ['sagemaker:AddTags', 'sagemaker:DeleteTags'], Resource: '*',
  Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } },
});
const BOUNDARY = doc(
  { Sid: 'EverythingButIam', Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
  { Sid: 'PassAndReadRoles', Effect: 'Allow', Action: ['iam:PassRole', 'iam:Get*', 'iam:List*'], Resource: '*' },
);
const PRESIGNED_URL = doc({
  Sid: 'OwnStudioProfile', Effect: 'Allow', Action: 'sagemaker:CreatePresignedDomainUrl', Resource: '*',
  Condition: { StringEquals: { 'sagemaker:ResourceTag/studiouserid': '${aws:username}' } },
});
const TRUST = doc({ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' });

/** One account's get-account-authorization-details, in the AWS CLI's shape. */
function authorizationDetails(account: number, principals: number): Record<string, unknown> {
  const A = accountId(account);
  const policyArn = (name: string) => `arn:aws:iam::${A}:policy/${name}`;
  const attached = (...names: string[]) => names.map((n) => ({ PolicyName: n, PolicyArn: policyArn(n) }));
  const roles = Math.round(principals * 0.76);
  const users = principals - roles;
  const managed = (name: string, document: unknown) => ({
    PolicyName: name, PolicyId: `ANPA${account}${name.toUpperCase().slice(0, 8)}`, Arn: policyArn(name), Path: '/', DefaultVersionId: 'v1',
    AttachmentCount: 1, PermissionsBoundaryUsageCount: 0, IsAttachable: true, CreateDate: iso(SNAPSHOT_AT), UpdateDate: iso(SNAPSHOT_AT),
    PolicyVersionList: [{ Document: document, VersionId: 'v1', IsDefaultVersion: true, CreateDate: iso(SNAPSHOT_AT) }],
  });
  const RoleDetailList = Array.from({ length: roles }, (_, i) => {
    const team = TEAMS[i % TEAMS.length];
    const name = `${team}-ds-role-${i}`;
    return {
      Path: '/', RoleName: name, RoleId: `AROA${account}X${i}`, Arn: `arn:aws:iam::${A}:role/${name}`, CreateDate: iso(SNAPSHOT_AT),
      AssumeRolePolicyDocument: TRUST, InstanceProfileList: [],
      RolePolicyList: [
        ...(i % 2 === 0
          ? [{
              PolicyName: 'TeamBucket',
              PolicyDocument: doc({
                Sid: 'TeamBucketObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::ml-${aws:PrincipalTag/team}/*',
                ...(i % 4 === 0 ? { Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } } : {}),
              }),
            }]
          : []),
        // the odd hand-made role that predates the guard rails
        ...(i % 50 === 10 ? [{ PolicyName: 'AdHocTraining', PolicyDocument: doc({ Sid: 'TrainAnything', Effect: 'Allow', Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob'], Resource: '*' }) }] : []),
      ],
      AttachedManagedPolicies: attached('DataScienceReadOnly', 'StudioDeveloper', ...(i % 10 === 0 ? [] : ['GuardRails']), ...(i % 3 === 0 ? ['ProtectTeamTag'] : [])),
      ...(i % 4 === 1 ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: policyArn('DataScienceBoundary') } } : {}),
      Tags: tags({ team }),
      RoleLastUsed: {},
    };
  });
  const UserDetailList = Array.from({ length: users }, (_, i) => {
    const team = TEAMS[(i * 5) % TEAMS.length];
    const name = `user-${account}-${i}`;
    return {
      Path: '/', UserName: name, UserId: `AIDA${account}X${i}`, Arn: `arn:aws:iam::${A}:user/${name}`, CreateDate: iso(SNAPSHOT_AT),
      GroupList: ['studio-users', ...(i % 20 === 0 ? ['admins'] : [])],
      UserPolicyList: [{
        PolicyName: 'HomePrefix',
        PolicyDocument: doc({ Sid: 'OwnHome', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::ml-home/${aws:username}/*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }),
      }],
      AttachedManagedPolicies: i % 3 === 0 ? attached('ProtectTeamTag') : [],
      Tags: tags({ team, studiouserid: name }),
    };
  });
  return {
    UserDetailList,
    GroupDetailList: [
      {
        Path: '/', GroupName: 'studio-users', GroupId: `AGPA${account}STUDIO`, Arn: `arn:aws:iam::${A}:group/studio-users`, CreateDate: iso(SNAPSHOT_AT),
        GroupPolicyList: [{ PolicyName: 'FindProfiles', PolicyDocument: doc({ Sid: 'FindProfiles', Effect: 'Allow', Action: ['sagemaker:DescribeDomain', 'sagemaker:ListUserProfiles'], Resource: '*' }) }],
        AttachedManagedPolicies: attached('DataScienceReadOnly', 'StudioPresignedUrl'),
      },
      {
        Path: '/', GroupName: 'admins', GroupId: `AGPA${account}ADMINS`, Arn: `arn:aws:iam::${A}:group/admins`, CreateDate: iso(SNAPSHOT_AT),
        GroupPolicyList: [{ PolicyName: 'AdminWithMfa', PolicyDocument: doc({ Sid: 'AdminWithMfa', Effect: 'Allow', NotAction: ['organizations:*', 'account:*'], Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }) }],
        AttachedManagedPolicies: [],
      },
    ],
    RoleDetailList,
    Policies: [
      managed('DataScienceReadOnly', READ_ONLY),
      managed('StudioDeveloper', STUDIO_DEVELOPER),
      managed('GuardRails', GUARD_RAILS),
      managed('ProtectTeamTag', PROTECT_TEAM_TAG),
      managed('DataScienceBoundary', BOUNDARY),
      managed('StudioPresignedUrl', PRESIGNED_URL),
    ],
  };
}

/** The account's SageMaker resources, tagged with their teams (and Studio profiles with their users), as GetResources pages. */
function resourcePages(account: number, principals: number): { arns: { kind: string; arn: string; team: string; user?: string }[]; pages: unknown[] } {
  const A = accountId(account);
  const users = principals - Math.round(principals * 0.76);
  const sm = (type: string, name: string) => `arn:aws:sagemaker:${REGION}:${A}:${type}/${name}`;
  const arns: { kind: string; arn: string; team: string; user?: string }[] = [];
  for (let i = 0; i < 300; i++) arns.push({ kind: 'experiment', arn: sm('experiment', `exp-${i}`), team: TEAMS[i % TEAMS.length] });
  for (let i = 0; i < 300; i++) arns.push({ kind: 'training-job', arn: sm('training-job', `job-${i}`), team: TEAMS[(i * 7) % TEAMS.length] });
  for (let i = 0; i < 100; i++) arns.push({ kind: 'notebook-instance', arn: sm('notebook-instance', `nb-${i}`), team: TEAMS[(i * 5) % TEAMS.length] });
  for (let i = 0; i < users; i++) arns.push({ kind: 'user-profile', arn: sm('user-profile', `d-bench${account}/user-${account}-${i}`), team: TEAMS[(i * 5) % TEAMS.length], user: `user-${account}-${i}` });
  const pages: unknown[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const slice = arns.slice(i, i + 100);
    pages.push({
      ResourceTagMappingList: slice.map((r) => ({ ResourceARN: r.arn, Tags: tags({ team: r.team, ...(r.user ? { studiouserid: r.user } : {}) }) })),
      PaginationToken: i + 100 < arns.length ? `page-${i + 100}` : '',
    });
  }
  return { arns, pages };
}

/** The simulate requests: a mix of what the platform team and the rules ask. */
function simulateRequests(n: number, accounts: number, principals: number, resources: ReturnType<typeof resourcePages>['arns'][]): SimulateInput[] {
  const random = seededRandom(20261201);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const roles = Math.round(principals * 0.76);
  const users = principals - roles;
  const out: SimulateInput[] = [];
  for (let k = 0; k < n; k++) {
    const account = Math.floor(random() * accounts);
    const A = accountId(account);
    const roleIndex = Math.floor(random() * roles);
    const roleName = `${TEAMS[roleIndex % TEAMS.length]}-ds-role-${roleIndex}`;
    const sessionArn = `arn:aws:sts::${A}:assumed-role/${roleName}/SageMaker`;
    const roleArn = `arn:aws:iam::${A}:role/${roleName}`;
    const of = (kind: string) => resources[account].filter((r) => r.kind === kind);
    const r = random();
    if (r < 0.4) {
      const target = pick([...of('experiment'), ...of('notebook-instance')]);
      const action = target.kind === 'experiment' ? pick(['sagemaker:DeleteExperiment', 'sagemaker:UpdateExperiment']) : pick(['sagemaker:StopNotebookInstance', 'sagemaker:DeleteNotebookInstance']);
      out.push({ principalArn: pick([sessionArn, roleArn]), action, resourceArn: target.arn, at: AT });
    } else if (r < 0.65) {
      const context: ContextEntry[] = random() < 0.5 ? [{ key: 'sagemaker:VpcSubnets', values: ['subnet-0a1b2c3d4e5f60718'] }] : [];
      if (random() < 0.5) context.push({ key: 'aws:TagKeys', values: ['team'] }, { key: 'aws:RequestTag/team', values: [TEAMS[roleIndex % TEAMS.length]] });
      out.push({ principalArn: sessionArn, action: 'sagemaker:CreateTrainingJob', resourceArn: pick(of('training-job')).arn, context, at: AT });
    } else if (r < 0.85) {
      const u = Math.floor(random() * users);
      const profile = random() < 0.5 ? of('user-profile')[u] : pick(of('user-profile'));
      out.push({ principalArn: `arn:aws:iam::${A}:user/user-${account}-${u}`, action: 'sagemaker:CreatePresignedDomainUrl', resourceArn: profile.arn, at: AT });
    } else {
      const team = random() < 0.5 ? TEAMS[roleIndex % TEAMS.length] : pick(TEAMS);
      // the team's bucket is in the role's account: an S3 ARN names none, so the request says so
      out.push({ principalArn: roleArn, action: 's3:GetObject', resourceArn: `arn:aws:s3:::ml-${team}/features/part-${k}.parquet`, context: [{ key: 'aws:SourceIp', values: ['10.1.2.3'] }, { key: 'aws:ResourceAccount', values: [A] }], at: AT });
    }
  }
  return out;
}

function whoCanRequests(n: number, resources: ReturnType<typeof resourcePages>['arns'][]): WhoCanInput[] {
  // without a resource ARN the region is not known: say it, as every real request carries it
  const region: ContextEntry = { key: 'aws:RequestedRegion', values: [REGION] };
  const base: WhoCanInput[] = [
    { action: 'sagemaker:CreateTrainingJob', context: [region], at: AT },
    { action: 'sagemaker:CreateTrainingJob', context: [region, { key: 'sagemaker:VpcSubnets', values: ['subnet-1'] }, { key: 'aws:TagKeys', values: ['team'] }, { key: 'aws:RequestTag/team', values: ['Fraud'] }], at: AT },
    { action: 'sagemaker:DeleteExperiment', resourceArn: resources[0].find((r) => r.kind === 'experiment')!.arn, at: AT },
    { action: 'sagemaker:StopNotebookInstance', resourceArn: resources[1 % resources.length].find((r) => r.kind === 'notebook-instance')!.arn, at: AT },
    { action: 'sagemaker:CreatePresignedDomainUrl', resourceArn: resources[2 % resources.length].find((r) => r.kind === 'user-profile')!.arn, at: AT },
    { action: 'sagemaker:CreateNotebookInstance', context: [region, { key: 'sagemaker:DirectInternetAccess', values: ['Disabled'] }, { key: 'aws:TagKeys', values: ['team'] }], at: AT },
    // an S3 ARN names no account: given aws:ResourceAccount, whoCan narrows to that account's principals
    { action: 's3:GetObject', resourceArn: 'arn:aws:s3:::ml-Pricing/features/part-1.parquet', context: [{ key: 'aws:SourceIp', values: ['10.1.2.3'] }, { key: 'aws:ResourceAccount', values: [accountId(0)] }], at: AT },
    { action: 'sagemaker:UpdateTrainingJob', resourceArn: resources[3 % resources.length].find((r) => r.kind === 'training-job')!.arn, at: AT },
    { action: 'iam:PassRole', context: [{ key: 'iam:PassedToService', values: ['sagemaker.amazonaws.com'] }], at: AT },
    { action: 'sagemaker:AddTags', context: [region, { key: 'aws:TagKeys', values: ['project'] }], at: AT },
  ];
  return Array.from({ length: n }, (_, i) => base[i % base.length]);
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function time<T>(items: T[], f: (item: T) => Promise<unknown>): Promise<number[]> {
  for (const item of items.slice(0, Math.min(20, items.length))) await f(item); // warm: plan cache, catalog, buffers
  const out: number[] = [];
  for (const item of items) {
    const t0 = process.hrtime.bigint();
    await f(item);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

const SIMULATE = `query($principalArn: String!, $action: String!, $resourceArn: String, $context: [ContextEntryInput!], $at: DateTime) {
  simulate(principalArn: $principalArn, action: $action, resourceArn: $resourceArn, context: $context, at: $at) {
    decision deniedBy missingContextKeys decidingStatements { sid effect source { kind policyName versionId } conditions { key matched } }
  } }`;
const WHO_CAN = `query($action: String!, $resourceArn: String, $context: [ContextEntryInput!], $at: DateTime) {
  whoCan(action: $action, resourceArn: $resourceArn, context: $context, at: $at) { principalArn decision { decision decidingStatements { sid } } } }`;

async function main(): Promise<void> {
  const accounts = arg('accounts', 10);
  const principals = arg('principals', 500);
  const requests = arg('requests', 300);
  const whoCanRuns = arg('who-can', 10);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `govgraph_bench_iam_${Date.now()}`;
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-bench-iam-'));
  try {
    await migrate(url.toString());
    const pool = new Pool({ connectionString: url.toString(), max: 4 });
    // pool.end() resolves before its connections have closed; the DROP … WITH (FORCE) at the end may terminate one
    pool.on('error', () => undefined);
    process.stderr.write(`loading ${accounts} accounts × ${principals} principals…\n`);
    const t0 = Date.now();
    const resources: ReturnType<typeof resourcePages>['arns'][] = [];
    for (let a = 0; a < accounts; a++) {
      const file = path.join(dir, `${accountId(a)}-authorization-details.json`);
      await writeFile(file, JSON.stringify(authorizationDetails(a, principals)));
      await ingestIamPaths(pool, [file], { teamTagKey: 'team', at: SNAPSHOT_AT });
      const { arns, pages } = resourcePages(a, principals);
      resources.push(arns);
      const tagDir = path.join(dir, `tags-${a}`);
      await mkdir(tagDir);
      await Promise.all(pages.map((p, i) => writeFile(path.join(tagDir, `page-${String(i).padStart(3, '0')}.json`), JSON.stringify(p))));
      await ingestTagPaths(pool, [tagDir], { teamTagKey: 'team', at: TAGGED_AT });
    }
    await pool.query('ANALYZE');
    const loadSeconds = (Date.now() - t0) / 1000;
    const { rows: [counts] } = await pool.query<{ principals: number; grants: number; identity: number; resources: number }>(
      `SELECT (SELECT count(DISTINCT principal_arn)::int FROM policy_grants WHERE validity @> $1::timestamptz) AS principals,
              (SELECT count(*)::int FROM policy_grants WHERE validity @> $1::timestamptz) AS grants,
              (SELECT count(*)::int FROM policy_grants WHERE validity @> $1::timestamptz AND kind <> 'TRUST_POLICY') AS identity,
              (SELECT count(*)::int FROM resources) AS resources`,
      [AT],
    );
    process.stderr.write(`loaded in ${loadSeconds.toFixed(1)} s: ${counts.principals} principals, ${counts.grants} grants (${counts.identity} identity and boundary), ${counts.resources} resources\n`);

    // no credentials (loopback only) and the per-credential limits lifted: the bench times evaluation, not the API's guards
    const config = loadConfig({ DATABASE_URL: url.toString(), GOVGRAPH_AUTH: 'none', RATE_LIMIT_PER_MINUTE: '1000000000', API_MAX_CONCURRENT_PER_CREDENTIAL: '1000' });
    const app = await createApp(config, { log: pino({ level: 'silent' }) });
    const { url: api } = await app.start(0);
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { errors?: unknown; data?: Record<string, unknown> };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data!;
    };
    const vars = (r: SimulateInput | WhoCanInput) => ({ ...r, at: r.at?.toISOString() });

    const sims = simulateRequests(requests, accounts, principals, resources);
    const outcomes: Record<string, number> = {};
    for (const r of sims) {
      const d = (await simulateAccess(pool, r)).decision.decision;
      outcomes[d] = (outcomes[d] ?? 0) + 1;
    }
    const simService = await time(sims, (r) => simulateAccess(pool, r));
    const simGraphql = await time(sims, (r) => post(SIMULATE, vars(r)));
    // what any request costs this server over HTTP: the floor under the GraphQL figures
    const emptyQuery = await time(sims, () => post('{ __typename }', {}));
    process.stderr.write(`simulate ×${sims.length} ${JSON.stringify(outcomes)}: service median ${quantile(simService, 0.5).toFixed(2)} ms p95 ${quantile(simService, 0.95).toFixed(2)} ms; graphql median ${quantile(simGraphql, 0.5).toFixed(2)} ms p95 ${quantile(simGraphql, 0.95).toFixed(2)} ms (an empty query: ${quantile(emptyQuery, 0.5).toFixed(2)} ms)\n`);

    const whos = whoCanRequests(whoCanRuns, resources);
    const allowed: number[] = [];
    for (const r of whos) allowed.push((await whoCan(pool, r)).length);
    const whoService = await time(whos, (r) => whoCan(pool, r));
    const whoGraphql = await time(whos, (r) => post(WHO_CAN, vars(r)));
    process.stderr.write(`whoCan ×${whos.length} (allowed ${allowed.join(', ')}): service median ${quantile(whoService, 0.5).toFixed(0)} ms max ${Math.max(...whoService).toFixed(0)} ms; graphql median ${quantile(whoGraphql, 0.5).toFixed(0)} ms max ${Math.max(...whoGraphql).toFixed(0)} ms\n`);

    await app.stop();
    await pool.end();
    const round = (x: number, d = 2) => +x.toFixed(d);
    process.stdout.write(`${JSON.stringify({
      accounts, principals: counts.principals, grants: counts.grants, identityAndBoundaryGrants: counts.identity, resources: counts.resources, loadSeconds: round(loadSeconds, 1),
      simulate: {
        requests: sims.length, outcomes,
        serviceMedianMs: round(quantile(simService, 0.5)), serviceP95Ms: round(quantile(simService, 0.95)),
        graphqlMedianMs: round(quantile(simGraphql, 0.5)), graphqlP95Ms: round(quantile(simGraphql, 0.95)),
        emptyQueryMedianMs: round(quantile(emptyQuery, 0.5)), targetMedianMs: 2,
      },
      whoCan: {
        requests: whos.length, allowed,
        serviceMedianMs: round(quantile(whoService, 0.5), 0), serviceMaxMs: round(Math.max(...whoService), 0),
        graphqlMedianMs: round(quantile(whoGraphql, 0.5), 0), graphqlMaxMs: round(Math.max(...whoGraphql), 0), targetMs: 1000,
      },
    })}\n`);
  } finally {
    if (process.env.BENCH_KEEP_DB) process.stderr.write(`kept database ${dbName}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:iam failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
