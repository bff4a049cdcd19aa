import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readMigrations } from '../../src/db/migrate';
import { cloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { govgraph } from '../support/cli';
import { adminQuery, createTestDatabase, databaseUrl, TestDatabase } from '../support/postgres';

describe('the govgraph CLI', () => {
  let db: TestDatabase;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-cli-'));
    const actor = { accountId: '444455556666', name: 'data-scientist-1', kind: 'IAMUser' as const };
    const lines = [0, 1, 2].map((i) =>
      JSON.stringify(cloudTrailRecord({ actor, time: new Date(Date.UTC(2026, 10, 3, 12, i)), region: 'eu-west-1', eventSource: 'sagemaker.amazonaws.com', eventName: 'ListNotebookInstances' })),
    );
    file = path.join(dir, 'events.jsonl');
    await writeFile(file, [...lines, 'not json at all'].join('\n'));
  });
  afterAll(() => db.drop());

  it('`ingest cloudtrail --json` prints only one JSON object with the counts, and a rerun stores nothing new', async () => {
    // Act
    const first = await govgraph(['ingest', 'cloudtrail', '--json', file], { DATABASE_URL: db.url });
    const second = await govgraph(['ingest', 'cloudtrail', '--json', dir], { DATABASE_URL: db.url });

    // Assert
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ read: 4, stored: 3, duplicates: 0, conflicts: 0, rejected: 1 });
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(second.stdout)).toEqual({ read: 4, stored: 0, duplicates: 3, conflicts: 0, rejected: 1 });
  });

  it('without --json ends with a one-line summary', async () => {
    // Act
    const r = await govgraph(['ingest', 'cloudtrail', file], { DATABASE_URL: db.url });

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cloudtrail: read 4, stored 0, duplicates 3, conflicts 0, rejected 1\n$/);
  });

  it('`ingest tags --json` prints the tag counts', async () => {
    // Arrange
    const tags = path.join(dir, 'get-resources.json');
    await writeFile(tags, JSON.stringify({
      PaginationToken: '',
      ResourceTagMappingList: [
        { ResourceARN: 'arn:aws:sagemaker:eu-west-1:444455556666:notebook-instance/teama-nb-1', Tags: [{ Key: 'team', Value: 'TeamA' }] },
        { ResourceARN: 'not-an-arn', Tags: [] },
      ],
    }));

    // Act
    const r = await govgraph(['ingest', 'tags', '--json', tags], { DATABASE_URL: db.url });

    // Assert
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ read: 2, resources: 1, deleted: 0, rejected: 1 });
  });

  it('exits non-zero with a clear message for an unreadable path', async () => {
    // Act
    const r = await govgraph(['ingest', 'cloudtrail', '--json', path.join(dir, 'missing.json')], { DATABASE_URL: db.url });

    // Assert
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cannot read .*missing\.json: no such file or directory/);
  });

  it('exits non-zero with a clear message when the database is down, without printing the password', async () => {
    // Act
    const r = await govgraph(['ingest', 'cloudtrail', file], { DATABASE_URL: 'postgresql://govgraph:s3cret@127.0.0.1:1/govgraph' });

    // Assert
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot connect to the database .*connection refused/);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('validates configuration at start and names what is wrong', async () => {
    // Act
    const r = await govgraph(['ingest', 'cloudtrail', file], { DATABASE_URL: db.url, GOVGRAPH_ACCOUNTS: '1234,111122223333', REDIS_URL: 'localhost:6379' });

    // Assert
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/GOVGRAPH_ACCOUNTS/);
    expect(r.stderr).toMatch(/REDIS_URL/);
  });

  it('`migrate` creates and migrates a new database, then reports nothing to do', async () => {
    // Arrange
    const name = `govgraph_test_cli_migrate_${process.pid}`;
    const url = databaseUrl(name);

    try {
      // Act
      const first = await govgraph(['migrate'], { DATABASE_URL: url });
      const second = await govgraph(['migrate'], { DATABASE_URL: url });

      // Assert
      expect(first.code).toBe(0);
      const n = (await readMigrations()).length;
      expect(first.stdout).toContain(`created; ${n} migration(s) applied`);
      expect(second.stdout).toContain(`0 migration(s) applied, ${n} already applied`);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
