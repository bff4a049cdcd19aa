import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simulateAccess, whoCan } from '../../src/access/access-service';
import { demoAuthorizationDetails, DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { DEMO_ACCOUNT } from '../../src/demo/story';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { InvalidInputError } from '../../src/read/errors';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * Cross-account requests on S3, whose ARNs name no account, through the access service: the
 * bucket's account from govgraph's inventory, the caller's aws:ResourceAccount, or unknown.
 * "Cross-account policy evaluation logic", IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:
 * the principal's identity-based policy and the resource-based policy in the bucket's account must both allow.
 */

const PARTNER = '444455556666';
// the demo's legacy role: an inline policy allowing s3:* on *, and no other grant on S3
const LEGACY_ROLE = `arn:aws:iam::${DEMO_ACCOUNT}:role/legacy/ml-legacy-adhoc-training`;
const PARTNER_BUCKET = 'arn:aws:s3:::partner-datasets';
const OWN_BUCKET = 'arn:aws:s3:::demo-own-datasets';
const AT = new Date(DEMO_IAM_SNAPSHOT_TIME.getTime() + 60_000);

describe('cross-account access to S3 buckets', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-cross-account-'));
    const snapshot = path.join(dir, `${DEMO_ACCOUNT}-authorization-details.json`);
    await writeFile(snapshot, JSON.stringify(demoAuthorizationDetails()));
    await ingestIamPaths(db.pool, [snapshot], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    // Arrange: two buckets in the inventory, as an account's resource listing records them (the account it listed)
    await db.pool.query(
      `INSERT INTO resources (arn, service, resource_type, name, account_id, first_seen, last_seen)
       VALUES ($1, 's3', NULL, 'partner-datasets', $2, $4, $4), ($3, 's3', NULL, 'demo-own-datasets', $5, $4, $4)`,
      [PARTNER_BUCKET, PARTNER, OWN_BUCKET, DEMO_IAM_SNAPSHOT_TIME, DEMO_ACCOUNT],
    );
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const getObject = (resourceArn: string, extra: Record<string, unknown> = {}) =>
    simulateAccess(db.pool, { principalArn: LEGACY_ROLE, action: 's3:GetObject', resourceArn, at: AT, ...extra });

  it("denies an object of another account's bucket on the identity policy alone, saying why", async () => {
    // Act
    const { decision } = await getObject(`${PARTNER_BUCKET}/train.csv`);

    // Assert
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY', resourceAccount: PARTNER, resourceAccountSource: 'INVENTORY' });
    expect(decision.explanation.join('\n')).toMatch(/account 444455556666 \(as govgraph's inventory records it\).*cross-account/);
    expect(decision.explanation.join('\n')).toMatch(/No resource-based policy of account 444455556666 allows it.*none was given/);
  });

  it('allows it when a bucket policy of that account allows the principal too', async () => {
    // Arrange
    const resourcePolicy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'ShareWithDemo', Effect: 'Allow', Principal: { AWS: LEGACY_ROLE }, Action: 's3:GetObject', Resource: `${PARTNER_BUCKET}/*` }],
    };

    // Act
    const { decision } = await getObject(`${PARTNER_BUCKET}/train.csv`, { resourcePolicy });

    // Assert
    expect(decision).toMatchObject({ decision: 'ALLOWED', resourceAccount: PARTNER, resourceAccountSource: 'INVENTORY' });
    expect(decision.decidingStatements.map((s) => [s.statement.sid, s.source.kind])).toEqual([
      ['AnyBucket', 'INLINE'],
      ['ShareWithDemo', 'RESOURCE_POLICY'],
    ]);
  });

  it("allows the principal's own account's bucket on the identity policy alone", async () => {
    // Act
    const { decision } = await getObject(`${OWN_BUCKET}/train.csv`);

    // Assert
    expect(decision).toMatchObject({ decision: 'ALLOWED', resourceAccount: DEMO_ACCOUNT, resourceAccountSource: 'INVENTORY' });
  });

  it("says a bucket govgraph does not know is of unknown account, judges it within the principal's account, and takes the caller's aws:ResourceAccount", async () => {
    // Act
    const unknown = (await getObject('arn:aws:s3:::never-listed/x')).decision;
    const given = (await getObject('arn:aws:s3:::never-listed/x', { context: [{ key: 'aws:ResourceAccount', values: [DEMO_ACCOUNT] }] })).decision;
    const contradicting = getObject(`arn:aws:sagemaker:us-east-1:${DEMO_ACCOUNT}:experiment/x`, { action: 'sagemaker:DescribeExperiment', context: [{ key: 'aws:ResourceAccount', values: [PARTNER] }] });

    // Assert
    expect(unknown).toMatchObject({ decision: 'ALLOWED', resourceAccount: null, resourceAccountSource: 'UNKNOWN' });
    expect(unknown.explanation[0]).toMatch(/never-listed\/x names no account and govgraph knows none for it: judged as in the principal's account/);
    expect(given).toMatchObject({ decision: 'ALLOWED', resourceAccount: DEMO_ACCOUNT, resourceAccountSource: 'CONTEXT' });
    await expect(contradicting).rejects.toThrow(InvalidInputError);
  });

  it("whoCan follows the same path: no one for another account's bucket, the legacy role for its own and for one of unknown account", async () => {
    // Act
    const partner = await whoCan(db.pool, { action: 's3:GetObject', resourceArn: `${PARTNER_BUCKET}/train.csv`, at: AT });
    const own = await whoCan(db.pool, { action: 's3:GetObject', resourceArn: `${OWN_BUCKET}/train.csv`, at: AT });
    const unknown = await whoCan(db.pool, { action: 's3:GetObject', resourceArn: 'arn:aws:s3:::never-listed/x', at: AT });

    // Assert
    expect(partner).toEqual([]);
    expect(own.map((g) => g.principal.arn)).toContain(LEGACY_ROLE);
    expect(own.every((g) => g.simulation.decision.resourceAccountSource === 'INVENTORY')).toBe(true);
    expect(unknown.map((g) => g.principal.arn)).toContain(LEGACY_ROLE);
    expect(unknown.every((g) => g.simulation.decision.resourceAccountSource === 'UNKNOWN')).toBe(true);
  });
});
