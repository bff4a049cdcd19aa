import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { demoDir } from '../../src/demo/demo-files';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { createsResource } from '../../src/domain/rules/access-facts';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const SAMPLES = path.resolve(__dirname, '../../../shared/samples/aws');

/**
 * The inventory's references to teams, principals and resources are kept by the code that writes
 * them, not by foreign keys (see migration 20261201040000_inventory_references): after every kind
 * of input, in and out of order and again, none may point at a row that is not there.
 */
describe('the inventory references only rows that exist', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-references-'));
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('after the demo, generated records out of order and again, the published samples and tag syncs', async () => {
    // Arrange: generated records as two log files, the later half first, in small batches
    const records = [...generateCloudTrailRecords(3000)];
    const early = path.join(dir, 'early.json.gz');
    const late = path.join(dir, 'late.json.gz');
    await writeFile(early, gzipSync(JSON.stringify({ Records: records.slice(0, 1500) })));
    await writeFile(late, gzipSync(JSON.stringify({ Records: records.slice(1500) })));
    const evaluation = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
    const samples = existsSync(SAMPLES)
      ? readdirSync(SAMPLES).filter((f) => /\.(cloudtrail|logfile|eventbridge|lookupevents)\.jsonl$/.test(f)).map((f) => path.join(SAMPLES, f))
      : [];
    const tagSamples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => f.endsWith('.getresources.jsonl')).map((f) => path.join(SAMPLES, f)) : [];

    // Act
    await ingestCloudTrailPaths(db.pool, [path.join(demoDir(), 'cloudtrail')], { teamTagKey: 'team', evaluation });
    await ingestTagPaths(db.pool, [path.join(demoDir(), 'tags')], { teamTagKey: 'team', complete: true });
    await ingestCloudTrailPaths(db.pool, [late], { teamTagKey: 'team', batchSize: 250, evaluation });
    await ingestCloudTrailPaths(db.pool, [early, late], { teamTagKey: 'team', batchSize: 400, evaluation });
    if (samples.length > 0) await ingestCloudTrailPaths(db.pool, samples, { teamTagKey: 'team' });
    if (tagSamples.length > 0) await ingestTagPaths(db.pool, tagSamples, { teamTagKey: 'team' });

    // Assert: the inventory was written (the check below is not vacuous), and nothing dangles
    const { rows: [written] } = await db.pool.query(
      `SELECT (SELECT count(*) FROM resources WHERE owner_team_id IS NOT NULL)::int AS owned,
              (SELECT count(*) FROM resources WHERE created_by_principal_id IS NOT NULL)::int AS created,
              (SELECT count(*) FROM resource_tag_changes)::int AS changes`,
    );
    const creates = records.filter((r) => createsResource(String(r.eventName))).length;
    expect(written.owned).toBeGreaterThanOrEqual(creates);
    expect(written.created).toBeGreaterThanOrEqual(creates);
    expect(written.changes).toBeGreaterThanOrEqual(creates);
    const { rows: dangling } = await db.pool.query(
      `SELECT 'resources.owner_team_id' AS ref, count(*)::int AS n FROM resources r
        WHERE r.owner_team_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM teams t WHERE t.id = r.owner_team_id)
       UNION ALL
       SELECT 'resources.created_by_principal_id', count(*)::int FROM resources r
        WHERE r.created_by_principal_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM principals p WHERE p.id = r.created_by_principal_id)
       UNION ALL
       SELECT 'resource_tag_changes.resource_id', count(*)::int FROM resource_tag_changes c
        WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.id = c.resource_id)`,
    );
    expect(dangling).toEqual([
      { ref: 'resources.owner_team_id', n: 0 },
      { ref: 'resources.created_by_principal_id', n: 0 },
      { ref: 'resource_tag_changes.resource_id', n: 0 },
    ]);
  });
});
