import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { allPages, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/** The API over published AWS records (../shared/samples/aws, read in place). */
const SAMPLES = path.resolve(__dirname, '../../../shared/samples/aws');
const haveSamples = existsSync(SAMPLES);
if (!haveSamples) console.warn(`notice: ${SAMPLES} not found; the API tests on published samples are skipped`);
const describeSamples = haveSamples ? describe : describe.skip;

const sampleFiles = (kinds: string[]) =>
  haveSamples
    ? readdirSync(SAMPLES).filter((f) => kinds.some((k) => f.endsWith(`.${k}.jsonl`))).sort().map((f) => path.join(SAMPLES, f))
    : [];

/** Many lookups in one request, as aliases: `x0: field(arn: $v0) {…} x1: …`. */
function aliased(field: string, argType: string, keys: string[], selection: string): { query: string; variables: Record<string, string> } {
  const vars = keys.map((_, i) => `$v${i}: ${argType}`).join(', ');
  const body = keys.map((_, i) => `x${i}: ${field}(arn: $v${i}) { ${selection} }`).join('\n');
  return { query: `query(${vars}) { ${body} }`, variables: Object.fromEntries(keys.map((k, i) => [`v${i}`, k])) };
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

describeSamples('the GraphQL API on published AWS samples', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const sql = async (text: string, params: unknown[] = []) => (await db.pool.query(text, params)).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestCloudTrailPaths(db.pool, sampleFiles(['cloudtrail', 'logfile', 'eventbridge', 'lookupevents', 'cloudwatch-logs-subscription']), { teamTagKey: 'team' });
    await ingestTagPaths(db.pool, sampleFiles(['getresources']), { teamTagKey: 'team' });
    api = await startApi(db);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  it('pages through every stored event, newest first, each with its record as received', async () => {
    // Arrange
    const stored = await sql('SELECT event_id, raw::jsonb AS raw FROM audit_events ORDER BY event_time DESC, event_id DESC');
    const q = `query($after: String) { auditEvents(first: 37, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { eventId raw principal { arn type } resources { arn } } } } }`;

    // Act
    let total = -1;
    const { nodes, pages } = await allPages(async (after) => {
      const conn = (await api.data(q, { after })).auditEvents;
      total = conn.totalCount;
      return conn;
    });

    // Assert
    expect(stored.length).toBeGreaterThan(200);
    expect(total).toBe(stored.length);
    expect(pages).toBe(Math.ceil(stored.length / 37));
    expect(nodes.map((n: any) => n.eventId)).toEqual(stored.map((r) => r.event_id));
    nodes.forEach((n: any, i: number) => expect(n.raw).toEqual(stored[i].raw));
  });

  it('filters the published events as SQL over the store would', async () => {
    // Arrange
    const [{ n: sagemaker }] = await sql("SELECT count(*)::int AS n FROM audit_events WHERE event_source = 'sagemaker.amazonaws.com'");
    const denied = await sql("SELECT event_id FROM audit_events WHERE error_code = 'AccessDenied' AND event_time >= '2014-01-01' ORDER BY event_time DESC, event_id DESC");
    const [busiest] = await sql('SELECT p.arn, count(*)::int AS n FROM audit_events e JOIN principals p ON p.id = e.principal_id GROUP BY p.arn ORDER BY n DESC, p.arn LIMIT 1');
    const [touched] = await sql('SELECT a AS arn, count(*)::int AS n FROM audit_events, unnest(resource_arns) a GROUP BY a ORDER BY n DESC, a LIMIT 1');
    const q = 'query($f: AuditEventFilter) { auditEvents(filter: $f, first: 500) { totalCount edges { node { eventId } } } }';

    // Act
    const bySource = (await api.data(q, { f: { eventSource: 'sagemaker.amazonaws.com' } })).auditEvents;
    const byError = (await api.data(q, { f: { errorCode: 'AccessDenied', from: '2014-01-01T00:00:00Z' } })).auditEvents;
    const byPrincipal = (await api.data(q, { f: { principalArn: busiest.arn } })).auditEvents;
    const byResource = (await api.data(q, { f: { resourceArn: touched.arn } })).auditEvents;

    // Assert
    expect(sagemaker).toBeGreaterThan(0);
    expect(denied.length).toBeGreaterThan(0);
    expect(bySource.totalCount).toBe(sagemaker);
    expect(byError.edges.map((e: any) => e.node.eventId)).toEqual(denied.map((r) => r.event_id));
    expect(byPrincipal.totalCount).toBe(busiest.n);
    expect(byResource.totalCount).toBe(touched.n);
  });

  it('finds every stored principal by its key, whatever its kind, and pages through them all', async () => {
    // Arrange
    const stored = await sql('SELECT arn, principal_type AS type FROM principals ORDER BY id');

    // Act
    const found: any[] = [];
    for (const chunk of chunks(stored.map((p) => p.arn as string), 25)) {
      const { query, variables } = aliased('principal', 'String!', chunk, 'arn type name recentEvents(first: 1) { eventId }');
      found.push(...Object.values(await api.data(query, variables)));
    }
    const listed = await allPages(async (after) => (await api.data('query($after: String) { principals(first: 25, after: $after) { pageInfo { hasNextPage endCursor } edges { node { arn } } } }', { after })).principals);

    // Assert: synthetic keys (web identity, services) and ARNs as recorded are all reachable
    expect(new Set(stored.map((p) => p.type)).size).toBeGreaterThanOrEqual(5);
    expect(found).toEqual(stored.map((p) => expect.objectContaining({ arn: p.arn, type: p.type })));
    expect(found.every((p) => p.recentEvents.length === 1)).toBe(true);
    expect(listed.nodes.map((n: any) => n.arn)).toEqual(stored.map((p) => p.arn));
  });

  it('finds every stored resource by ARN and filters them by service and tag', async () => {
    // Arrange
    const stored = await sql('SELECT arn, service FROM resources ORDER BY id');
    const [tag] = await sql("SELECT k AS key, v AS value, count(*)::int AS n FROM resources, jsonb_each_text(tags) AS t(k, v) GROUP BY k, v ORDER BY n DESC, k LIMIT 1");
    const [svc] = await sql('SELECT service, count(*)::int AS n FROM resources GROUP BY service ORDER BY n DESC, service LIMIT 1');
    const q = 'query($f: ResourceFilter) { resources(filter: $f, first: 500) { totalCount edges { node { arn tags { key value } } } } }';

    // Act
    const found: any[] = [];
    for (const chunk of chunks(stored.map((r) => r.arn as string), 25)) {
      const { query, variables } = aliased('resource', 'String!', chunk, 'arn service tags { key value } tagHistory { key } ownerTeam { name } events(first: 1) { totalCount }');
      found.push(...Object.values(await api.data(query, variables)));
    }
    const byTag = (await api.data(q, { f: { tagKey: tag.key, tagValue: tag.value } })).resources;
    const byService = (await api.data(q, { f: { service: svc.service } })).resources;

    // Assert
    expect(found.map((r) => r.arn)).toEqual(stored.map((r) => r.arn));
    expect(byTag.totalCount).toBe(tag.n);
    for (const { node } of byTag.edges) expect(node.tags).toContainEqual({ key: tag.key, value: tag.value });
    expect(byService.totalCount).toBe(svc.n);
  });

  it('knows no team where no sample carries a team tag, and whoOwns says so plainly', async () => {
    // Arrange
    const teams = await sql('SELECT name FROM teams ORDER BY name');
    const [endpoint] = await sql("SELECT arn FROM resources WHERE service = 'sagemaker' ORDER BY id LIMIT 1");

    // Act
    const data = await api.data(`query($arn: String!) {
      teams { name }
      owner: whoOwns(query: $arn) { matchedBy basis teamName message resources { arn } }
    }`, { arn: endpoint.arn });

    // Assert
    expect(data.teams).toEqual(teams);
    expect(data.owner).toMatchObject({ matchedBy: 'ARN', resources: [{ arn: endpoint.arn }] });
    expect(typeof data.owner.message).toBe('string');
    if (data.owner.basis === 'UNKNOWN') expect(data.owner.teamName).toBeNull();
  });
});
