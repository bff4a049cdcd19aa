import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { ingestCloudTrailPaths } from '../../src/ingest/ingest-files';
import { countingPool, ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * No N+1: the SQL statements a request runs do not grow with the page. Counted at the pg pool
 * the API reads through (each pool.query is one round trip).
 */

const EVENT_PAGE = `query($first: Int) { auditEvents(first: $first) {
  edges { cursor node {
    eventId eventName
    principal { arn type team { name } tags { key value } }
    resources { arn tags { key value } ownerTeam { name } createdBy { arn team { name } } }
  } }
  pageInfo { hasNextPage endCursor }
} }`;

describe('SQL statements per request', () => {
  let db: TestDatabase;
  let pool: ReturnType<typeof countingPool>;
  let api: RunningApi;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-api-count-'));
    // several accounts, regions, teams, users and roles; creates, tags and reads
    const file = path.join(dir, 'generated.jsonl');
    await writeFile(file, [...generateCloudTrailRecords(1200)].map((r) => JSON.stringify(r)).join('\n'));
    await ingestCloudTrailPaths(db.pool, [file], { teamTagKey: 'team' });
    await ingestDemo(db);
    pool = countingPool(db.url);
    api = await startApi(db, { pool });
  });
  afterAll(async () => {
    await api?.stop();
    await pool?.end();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const countFor = async (query: string, variables?: Record<string, unknown>) => {
    pool.queries = [];
    const data = await api.data(query, variables);
    return { data, statements: pool.queries.length, sql: [...pool.queries] };
  };

  it('runs a small fixed number of statements for a page of 100 events with principals, teams and resources', async () => {
    // Act
    const page100 = await countFor(EVENT_PAGE, { first: 100 });
    const page10 = await countFor(EVENT_PAGE, { first: 10 });
    const page500 = await countFor(EVENT_PAGE, { first: 500 });

    // Assert: the page really holds what would cost a query per row without batching
    const nodes = page100.data.auditEvents.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(100);
    expect(new Set(nodes.map((n: any) => n.principal?.arn)).size).toBeGreaterThan(10);
    const resources = nodes.flatMap((n: any) => n.resources);
    console.info(`page of 100: ${new Set(nodes.map((n: any) => n.principal?.arn)).size} principals (${nodes.filter((n: any) => n.principal?.team).length} events with a team), ${resources.length} resources (${resources.filter((r: any) => r.ownerTeam).length} owned, ${resources.filter((r: any) => r.createdBy).length} with a creator)`);
    expect(nodes.filter((n: any) => n.principal?.team).length).toBeGreaterThan(20);
    expect(resources.length).toBeGreaterThan(50);
    expect(resources.filter((r: any) => r.ownerTeam).length).toBeGreaterThan(20);
    expect(resources.filter((r: any) => r.createdBy).length).toBeGreaterThan(10);
    // events; principals by id; resources by ARN; teams by id (principal teams and resource owners may
    // land in one batch or two); creators by id; their teams
    console.info(`SQL statements for a page of 10 / 100 / 500 events with principals, teams and resources: ${page10.statements} / ${page100.statements} / ${page500.statements}\n${page100.sql.map((s) => s.replace(/\s+/g, ' ').slice(0, 90)).join('\n')}`);
    expect(page100.statements).toBeLessThanOrEqual(7);
    expect(page10.statements).toBeLessThanOrEqual(7);
    expect(page500.statements).toBeLessThanOrEqual(7);
    // one statement per kind of row
    const kinds = page100.sql.map((s) => /FROM (\w+)/.exec(s)?.[1]);
    expect(kinds.filter((k) => k === 'audit_events')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'resources')).toHaveLength(1);
  });

  it('adds exactly one statement for totalCount', async () => {
    // Act
    const without = await countFor('{ auditEvents(first: 100) { edges { node { eventId } } } }');
    const withCount = await countFor('{ auditEvents(first: 100) { totalCount edges { node { eventId } } } }');

    // Assert
    expect(without.statements).toBe(1);
    expect(withCount.statements).toBe(2);
  });

  it('batches nested connections too: every team with members, their events, and resources with theirs', async () => {
    // Act
    const r = await countFor(`{ teams {
      name
      members(first: 20) { totalCount edges { node { arn team { name } recentEvents(first: 3) { eventId principal { arn } } } } }
      resources(first: 20) { totalCount edges { node { arn ownerTeam { name } tagHistory { key value } events(first: 2) { totalCount edges { node { eventId } } } } } }
      recentEvents(first: 5) { eventId resources { arn } }
    } }`);

    // Assert
    expect(r.data.teams.length).toBeGreaterThanOrEqual(5);
    expect(r.data.teams.some((t: any) => t.members.edges.some((m: any) => m.node.recentEvents.length > 0))).toBe(true);
    console.info(`SQL statements for every team (${r.data.teams.length}) with members, resources and their events: ${r.statements}`);
    expect(r.statements).toBeLessThanOrEqual(16);
  });
});
