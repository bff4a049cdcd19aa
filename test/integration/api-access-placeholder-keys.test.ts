import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { demoAuthorizationDetails, DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { DEMO_ACCOUNT } from '../../src/demo/story';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * Context keys written with a placeholder in the Service Authorization Reference, given to `simulate`
 * over HTTP: accepted where the action lists the key, refused with the key named where it does not.
 */

const ROLE = `arn:aws:iam::${DEMO_ACCOUNT}:role/SageMakerStudioDeveloperTeamARole`;
const OBJECT = 'arn:aws:s3:::amzn-s3-demo-bucket/report.csv';
const SIMULATE = `query($principalArn: String!, $action: String!, $resourceArn: String, $context: [ContextEntryInput!], $at: DateTime) {
  simulate(principalArn: $principalArn, action: $action, resourceArn: $resourceArn, context: $context, at: $at) { decision context { key values } }
}`;

describe('simulate with placeholder condition keys', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let dir: string;
  const at = new Date(DEMO_IAM_SNAPSHOT_TIME.getTime() + 60_000).toISOString();

  const post = (action: string, context: { key: string; values: string[] }[]) => api.post(SIMULATE, { principalArn: ROLE, action, resourceArn: OBJECT, context, at });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-placeholder-keys-'));
    const snapshot = path.join(dir, `${DEMO_ACCOUNT}-authorization-details.json`);
    await writeFile(snapshot, JSON.stringify(demoAuthorizationDetails(), null, 2));
    await ingestIamPaths(db.pool, [snapshot], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts S3's s3:ExistingObjectTag/<key> on s3:GetObject, tag keys with spaces included", async () => {
    // Actions, resources, and condition keys for Amazon S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
    // s3:ExistingObjectTag/<key> on GetObject; a tag key may hold spaces (Tag Editor, Service quotas,
    // https://docs.aws.amazon.com/tag-editor/latest/userguide/reference.html).
    const { body } = await post('s3:GetObject', [
      { key: 's3:ExistingObjectTag/environment', values: ['production'] },
      { key: 's3:ExistingObjectTag/cost center', values: ['ml'] },
    ]);

    expect(body.errors).toBeUndefined();
    const context = Object.fromEntries((body.data as { simulate: { context: { key: string; values: string[] }[] } }).simulate.context.map((e) => [e.key, e.values]));
    expect(context).toMatchObject({ 's3:ExistingObjectTag/environment': ['production'], 's3:ExistingObjectTag/cost center': ['ml'] });
  });

  it('refuses a key that only shares the fixed part, or one the action does not list, naming it', async () => {
    // Act
    const prefixOnly = await post('s3:GetObject', [{ key: 's3:ExistingObjectTagX', values: ['x'] }]);
    const wrongAction = await post('s3:PutObject', [{ key: 's3:ExistingObjectTag/environment', values: ['x'] }]);

    // Assert
    expect(prefixOnly.body.errors?.[0]).toMatchObject({ message: 's3:ExistingObjectTagX is not a condition key of s3:GetObject', extensions: { code: 'BAD_USER_INPUT' } });
    expect(wrongAction.body.errors?.[0]).toMatchObject({ message: 's3:ExistingObjectTag/environment is not a condition key of s3:PutObject', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
