import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { demoAuthorizationDetails } from '../../src/demo/iam-story';
import { govgraph } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/postgres';

describe('govgraph ingest iam', () => {
  let db: TestDatabase;
  let dir: string;
  let cliFile: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-iam-cli-'));
    // as `aws iam get-account-authorization-details > f.json` saves it: pretty-printed, documents decoded
    cliFile = path.join(dir, 'authorization-details.json');
    await writeFile(cliFile, JSON.stringify(demoAuthorizationDetails(), null, 4));
    await utimes(cliFile, new Date('2026-11-02T08:30:00Z'), new Date('2026-11-02T08:30:00Z'));
  });
  afterAll(() => db.drop());

  it('--json prints one object of counts; the snapshot time is the file mtime; a rerun stores nothing new', async () => {
    // Act
    const first = await govgraph(['ingest', 'iam', '--json', cliFile], { DATABASE_URL: db.url });
    const again = await govgraph(['ingest', 'iam', '--json', cliFile], { DATABASE_URL: db.url });

    // Assert
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    const counts = JSON.parse(first.stdout);
    expect(counts).toMatchObject({ users: 4, groups: 2, roles: 5, policies: 7, rejected: 0, snapshots: 1, duplicates: 0 });
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM policy_grants WHERE validity @> '2026-11-02T08:30:00Z'::timestamptz");
    expect(counts.grants).toBe(rows[0].n);
    expect(JSON.parse(again.stdout)).toMatchObject({ snapshots: 0, duplicates: 1, grants: counts.grants });
    expect((await db.pool.query('SELECT taken_at FROM iam_snapshots')).rows).toEqual([{ taken_at: new Date('2026-11-02T08:30:00Z') }]);
  });

  it('SDK pages in a directory with --at are one snapshot; a bad file is kept aside and the rest stored', async () => {
    // Arrange: the listing as two SDK pages (documents URL-encoded), and two files that are not listings
    const pages = path.join(dir, 'pages');
    await mkdir(pages);
    const all = demoAuthorizationDetails() as Record<string, unknown[]>;
    const encode = (entries: unknown[]) => JSON.parse(JSON.stringify(entries), (key, v) => (/Document$/.test(key) && typeof v === 'object' ? encodeURIComponent(JSON.stringify(v)) : v));
    await writeFile(path.join(pages, 'page-1.json'), JSON.stringify({ UserDetailList: encode(all.UserDetailList), GroupDetailList: encode(all.GroupDetailList), IsTruncated: true, Marker: 'm2' }));
    await writeFile(path.join(pages, 'page-2.json'), JSON.stringify({ RoleDetailList: encode(all.RoleDetailList), Policies: encode(all.Policies), IsTruncated: false }));
    await writeFile(path.join(pages, 'page-3.json'), '{"UserDetailList": [');
    await writeFile(path.join(pages, 'zz-other.json'), JSON.stringify({ Records: [] }));

    // Act
    const r = await govgraph(['ingest', 'iam', '--json', '--at', '2026-11-04T08:30:00Z', pages], { DATABASE_URL: db.url });

    // Assert
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ users: 4, roles: 5, policies: 7, rejected: 2, snapshots: 1 });
    const rejected = await db.pool.query('SELECT source, position, reason FROM rejected_records ORDER BY source');
    expect(rejected.rows).toEqual([
      { source: path.join(pages, 'page-3.json'), position: 'document', reason: expect.stringMatching(/^not JSON: /) },
      { source: path.join(pages, 'zz-other.json'), position: 'document', reason: expect.stringMatching(/^not a GetAccountAuthorizationDetails response/) },
    ]);
    // the same content as the first snapshot: every fact goes on, none is retracted at the second
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM iam_fact_changes WHERE op = 'RETRACT'");
    expect(rows[0].n).toBe(0);
  });

  it('a truncated listing whose next page is missing stores nothing of it', async () => {
    // Arrange
    const lone = path.join(dir, 'lone-page.json');
    const all = demoAuthorizationDetails() as Record<string, unknown[]>;
    await writeFile(lone, JSON.stringify({ UserDetailList: all.UserDetailList, IsTruncated: true, Marker: 'next' }));

    // Act
    const r = await govgraph(['ingest', 'iam', '--json', '--at', '2026-11-05T08:30:00Z', lone], { DATABASE_URL: db.url });

    // Assert
    expect(JSON.parse(r.stdout)).toMatchObject({ snapshots: 0, rejected: 1 });
    const { rows } = await db.pool.query('SELECT reason FROM rejected_records WHERE source = $1', [lone]);
    expect(rows).toEqual([{ reason: expect.stringMatching(/^incomplete listing: its last page is truncated/) }]);
  });

  it('says in one line what is wrong with a path or --at', async () => {
    const missing = await govgraph(['ingest', 'iam', path.join(dir, 'nope.json')], { DATABASE_URL: db.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^govgraph: cannot read .*nope\.json: no such file or directory\n$/);
    const badAt = await govgraph(['ingest', 'iam', '--at', 'yesterday', cliFile], { DATABASE_URL: db.url });
    expect(badAt.code).toBe(1);
    expect(badAt.stderr).toBe('govgraph: --at "yesterday" is not an ISO 8601 date or time\n');
  });
});
