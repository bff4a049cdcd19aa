import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { ingestCloudTrailPaths } from '../../src/ingest/ingest-files';
import { allPages, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/** Keyset pagination while events keep arriving: no gap, no repeat. */
describe('pagination while the store grows', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let dir: string;
  const start = new Date(Date.UTC(2026, 9, 1));
  const ingest = async (name: string, records: object[]) => {
    const file = path.join(dir, name);
    await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n'));
    await ingestCloudTrailPaths(db.pool, [file], { teamTagKey: 'team' });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-api-pages-'));
    await ingest('initial.jsonl', [...generateCloudTrailRecords(400, start)]);
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns every event that existed when paging began exactly once, while newer and late events arrive between pages', async () => {
    // Arrange
    const before = (await db.pool.query('SELECT event_id FROM audit_events ORDER BY event_time DESC, event_id DESC')).rows.map((r) => r.event_id);
    const q = `query($after: String) { auditEvents(first: 45, after: $after) { pageInfo { hasNextPage endCursor } edges { node { eventId eventTime } } } }`;
    let page = 0;

    // Act: after each page, events arrive: some newer than everything, some (late deliveries) older
    const { nodes } = await allPages(async (after) => {
      const conn = (await api.data(q, { after })).auditEvents;
      page++;
      const newer = [...generateCloudTrailRecords(5, new Date(Date.UTC(2026, 10, 1, page)))].map((r) => ({ ...r, eventID: `newer-${page}-${r.eventID}` }));
      const late = [...generateCloudTrailRecords(3, new Date(start.getTime() - 86_400_000 + page * 60_000))].map((r) => ({ ...r, eventID: `late-${page}-${r.eventID}` }));
      await ingest(`arrivals-${page}.jsonl`, [...newer, ...late]);
      return conn;
    });

    // Assert
    const ids = nodes.map((n: any) => n.eventId);
    expect(new Set(ids).size).toBe(ids.length); // no repeat
    expect(ids.filter((id: string) => !id.startsWith('newer-') && !id.startsWith('late-')).length).toBe(before.length);
    expect(ids.filter((id: string) => before.includes(id))).toEqual(before); // no gap, same order
    expect(ids.some((id: string) => id.startsWith('newer-'))).toBe(false); // newer events sort before the first page
    const times = nodes.map((n: any) => n.eventTime);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('pages principals and resources by id without gap or repeat', async () => {
    // Arrange
    const principals = (await db.pool.query('SELECT arn FROM principals ORDER BY id')).rows.map((r) => r.arn);
    const resources = (await db.pool.query('SELECT arn FROM resources ORDER BY id')).rows.map((r) => r.arn);

    // Act
    const p = await allPages(async (after) => (await api.data('query($after: String) { principals(first: 7, after: $after) { pageInfo { hasNextPage endCursor } edges { node { arn } } } }', { after })).principals);
    const r = await allPages(async (after) => (await api.data('query($after: String) { resources(first: 13, after: $after) { pageInfo { hasNextPage endCursor } edges { node { arn } } } }', { after })).resources);

    // Assert
    expect(principals.length).toBeGreaterThan(20);
    expect(resources.length).toBeGreaterThan(50);
    expect(p.nodes.map((n: any) => n.arn)).toEqual(principals);
    expect(r.nodes.map((n: any) => n.arn)).toEqual(resources);
  });
});
