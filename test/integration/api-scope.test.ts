import path from 'node:path';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws/client';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { createApiKey } from '../../src/auth/api-keys';
import { createOpenedPublisher, violationOpenedChannel } from '../../src/compliance/notify';
import { demoDir } from '../../src/demo/demo-files';
import { DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { tagsAt } from '../../src/read/tags-at';
import { buildGovgraphSchema } from '../../src/server/schema';
import { ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * Team scoping, proven over the whole schema: as a team-member of TeamA, over the demo story's two
 * teams, every query field is asked with every field below it (to a depth), and every subscription
 * is run; every object in the answers must be TeamA's, and every count must count only what the
 * list shows. The walk is generated from the schema, so a field added later is walked too, and an
 * object type it brings must be classified below before this test passes.
 */

const MEMBER_TEAM = 'TeamA';
const OTHER_TEAM = 'TeamB';
/** object levels below a root field that the walk selects */
const WALK_DEPTH = 4;

/** Types whose objects carry a team's rows: how to tell whose an object is. */
const TEAM_ROWS: Record<string, { key: string; set: keyof Allowed }> = {
  Principal: { key: 'arn', set: 'principals' },
  Resource: { key: 'arn', set: 'resources' },
  AuditEvent: { key: 'eventId', set: 'events' },
  Violation: { key: 'id', set: 'violations' },
  PolicyGrant: { key: 'principalArn', set: 'principals' },
  AccessGrantee: { key: 'principalArn', set: 'principals' },
};
/**
 * Types that hold no team's rows of their own: names and catalog entries everyone may read, the
 * parts of a row already checked through its parent, and whoOwns' own answer (README: Roles).
 */
const TEAM_FREE = new Set([
  'Team', 'Rule', 'RuleReads', 'PageInfo', 'Tag', 'TagPeriod', 'ViolationStatusChange', 'Decision', 'DecidingStatement',
  'PolicySource', 'ConditionTest', 'ContextEntry', 'Ownership', 'ResourceOwnership', 'OwnershipEvidence', 'OwnershipContact',
  'ComplianceSummaryRow',
]);
const isConnection = (name: string) => name.endsWith('Connection');
const isEdge = (name: string) => name.endsWith('Edge');

interface Allowed {
  principals: Set<string>;
  resources: Set<string>;
  events: Set<string>;
  violations: Set<string>;
}

/** GraphQL literal for a fixture value of an argument (enum values bare, the rest as JSON). */
const literal = (v: unknown, arg: GraphQLArgument): string => {
  const enumValue = isEnumType(getNamedType(arg.type));
  const one = (x: unknown) => (enumValue ? String(x) : JSON.stringify(x));
  return Array.isArray(v) ? `[${v.map(one).join(', ')}]` : one(v);
};

/** Arguments for a field: `first: 500`, and each required argument from the fixtures (a missing one fails the test). */
function argumentsFor(owner: string, field: GraphQLField<unknown, unknown>, fixtures: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const arg of field.args as readonly GraphQLArgument[]) {
    const key = `${owner}.${field.name}.${arg.name}`;
    if (arg.name === 'first') parts.push('first: 500');
    else if (key in fixtures || (isNonNullType(arg.type) && arg.defaultValue === undefined)) {
      const value = key in fixtures ? fixtures[key] : fixtures[arg.name];
      if (value === undefined) throw new Error(`the scope walk has no value for the required argument ${key}: add one to the fixtures`);
      parts.push(`${arg.name}: ${literal(value, arg)}`);
    }
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

/** Every field of the type, objects to WALK_DEPTH levels, each object with its __typename. */
function selection(type: GraphQLObjectType, level: number, fixtures: Record<string, unknown>): string {
  const parts = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    const args = argumentsFor(type.name, field, fixtures);
    if (isObjectType(named)) {
      if (level < WALK_DEPTH) parts.push(`${field.name}${args} { ${selection(named, level + 1, fixtures)} }`);
    } else if (isScalarType(named) || isEnumType(named)) {
      parts.push(`${field.name}${args}`);
    } else if (!isInputObjectType(named)) {
      throw new Error(`the scope walk cannot select ${type.name}.${field.name} (${String(field.type)}): teach it this kind of type`);
    }
  }
  return parts.join(' ');
}

/** Walks an answer: every object of a team type must be allowed; every complete page's count must be its length. */
function inspect(value: unknown, allowed: Allowed, seen: Map<string, number>, problems: string[], where: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => inspect(v, allowed, seen, problems, `${where}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  const typename = obj.__typename as string | undefined;
  if (typename) {
    seen.set(typename, (seen.get(typename) ?? 0) + 1);
    const rows = TEAM_ROWS[typename];
    if (rows) {
      const id = String(obj[rows.key]);
      if (!allowed[rows.set].has(id)) problems.push(`${where}: ${typename} ${id} is not ${MEMBER_TEAM}'s`);
    } else if (isConnection(typename)) {
      const page = obj as { edges?: unknown[]; pageInfo?: { hasNextPage?: boolean; hasPreviousPage?: boolean }; totalCount?: number };
      if (page.edges && page.pageInfo && !page.pageInfo.hasNextPage && !page.pageInfo.hasPreviousPage && page.totalCount !== page.edges.length) {
        problems.push(`${where}: totalCount ${page.totalCount} counts rows the page does not show (${page.edges.length})`);
      }
    } else if (!isEdge(typename) && !TEAM_FREE.has(typename)) {
      problems.push(`${where}: type ${typename} is not classified: add it to TEAM_ROWS (whose rows it holds) or TEAM_FREE`);
    }
  }
  for (const [k, v] of Object.entries(obj)) if (k !== '__typename' && k !== 'raw' && k !== 'evidence') inspect(v, allowed, seen, problems, `${where}.${k}`);
}

describe('team scoping: a team-member reads only its team, through every field of the schema', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let schema: GraphQLSchema;
  let memberKey: string;
  let allowed: Allowed;
  let other: Allowed;
  let redis: Redis;
  const prefix = testQueuePrefix();
  const clients: Client[] = [];
  const asMember = () => ({ authorization: `Bearer ${memberKey}` });
  const sql = async (text: string, values: unknown[] = []) => (await db.pool.query(text, values)).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestIamPaths(db.pool, [path.join(demoDir(), 'iam')], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    await ingestDemo(db, { evaluation: { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' } });
    // the walk asks every list with first: 500 at every level: well past the default cost limit
    api = await startApi(db, {}, { GRAPHQL_MAX_COST: '1000000000', GRAPHQL_MAX_DEPTH: '40', GOVGRAPH_QUEUE_PREFIX: prefix });
    schema = await buildGovgraphSchema();
    memberKey = (await createApiKey(db.pool, { name: 'teama-member', role: 'team-member', teams: [MEMBER_TEAM] })).key;
    redis = new Redis(REDIS_URL);

    // What TeamA's member may see, computed apart from the database's own scoping: current teams
    // for principals, resources and violations; for events, the team tags in force at the event
    // (the tag history read by the rules' own tagsAt).
    const teamRows = async (team: string): Promise<Allowed> => {
      const principals = new Set((await sql('SELECT p.arn FROM principals p JOIN teams t ON t.id = p.team_id WHERE t.name = $1', [team])).map((r) => r.arn));
      const resources = new Set((await sql('SELECT r.arn FROM resources r JOIN teams t ON t.id = r.owner_team_id WHERE t.name = $1', [team])).map((r) => r.arn));
      const violations = new Set((await sql('SELECT id::text AS id FROM violations WHERE team = $1', [team])).map((r) => r.id));
      const events = await sql('SELECT event_id, event_time, principal_arn, resource_arns FROM audit_events');
      const asks = events.flatMap((e) => [e.principal_arn, ...e.resource_arns].filter(Boolean).map((arn: string) => ({ event: e.event_id as string, arn, at: e.event_time as Date })));
      const answers = await tagsAt(db.pool, asks);
      const eventIds = new Set(asks.filter((_, i) => answers[i].tags.team === team).map((a) => a.event));
      return { principals, resources, events: eventIds, violations };
    };
    allowed = await teamRows(MEMBER_TEAM);
    other = await teamRows(OTHER_TEAM);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    redis?.disconnect();
    await api?.stop();
    await db?.drop();
  });

  /** Required arguments, pointing at the member's own rows or at the other team's. */
  const fixtures = (rows: Allowed, team: string): Record<string, unknown> => {
    const principal = [...rows.principals].find((a) => a.includes(':role/') || a.includes(':user/'));
    return {
      arn: [...rows.resources][0],
      'Query.principal.arn': principal,
      principalArn: principal,
      query: [...rows.resources][0],
      id: [...rows.violations][0],
      name: team,
      action: 'sagemaker:CreateTrainingJob',
      from: '2026-01-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
      groupBy: ['TEAM', 'RULE'],
    };
  };

  it('has rows of both teams to tell apart (the walk below is not vacuous)', () => {
    for (const rows of [allowed, other]) {
      expect(rows.principals.size).toBeGreaterThan(0);
      expect(rows.resources.size).toBeGreaterThan(0);
      expect(rows.events.size).toBeGreaterThan(0);
      expect(rows.violations.size).toBeGreaterThan(0);
    }
  });

  for (const target of ['its own rows', "the other team's rows"] as const) {
    it(`answers every query field with only TeamA's rows and counts, asked about ${target}`, async () => {
      // Arrange
      const rows = target === 'its own rows' ? allowed : other;
      const args = fixtures(rows, target === 'its own rows' ? MEMBER_TEAM : OTHER_TEAM);
      const query = schema.getQueryType()!;
      const seen = new Map<string, number>();
      const problems: string[] = [];
      const refused: string[] = [];

      // Act
      for (const field of Object.values(query.getFields())) {
        const named = getNamedType(field.type);
        const body = isObjectType(named) ? ` { ${selection(named, 1, args)} }` : '';
        const { status, body: answer } = await api.post(`{ ${field.name}${argumentsFor('Query', field, args)}${body} }`, undefined, asMember());
        const code = answer.errors?.[0]?.extensions?.code;
        if (code === 'FORBIDDEN') refused.push(field.name);
        else if (code && code !== 'NOT_FOUND') problems.push(`${field.name}: HTTP ${status} ${code} ${answer.errors![0].message}`);
        inspect(answer.data, allowed, seen, problems, field.name);
      }

      // Assert
      expect(problems).toEqual([]);
      expect(refused).toEqual(['apiAccessLog']);
      if (target === 'its own rows') {
        // the walk reached each kind of team row
        for (const type of ['Principal', 'Resource', 'AuditEvent', 'Violation', 'PolicyGrant']) expect(seen.get(type) ?? 0).toBeGreaterThan(0);
      }
    });
  }

  it("answers single lookups of the other team's rows as it answers unknown ones", async () => {
    // Arrange
    const principal = [...other.principals].find((a) => a.includes(':role/'))!;
    const resource = [...other.resources][0];
    const violation = [...other.violations][0];

    // Act
    const data = await api.data(
      `query($p: String!, $r: String!, $v: ID!) { principal(arn: $p) { arn } resource(arn: $r) { arn } violation(id: $v) { id } }`,
      { p: principal, r: resource, v: violation },
      asMember(),
    );
    const simulated = await api.post(`query($p: String!) { simulate(principalArn: $p, action: "sagemaker:CreateTrainingJob") { decision } }`, { p: principal }, asMember());
    const unknown = await api.post(`{ simulate(principalArn: "arn:aws:iam::111122223333:role/NoSuchRole", action: "sagemaker:CreateTrainingJob") { decision } }`, undefined, asMember());

    // Assert
    expect(data).toEqual({ principal: null, resource: null, violation: null });
    expect(simulated.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(simulated.body.errors?.[0].message.replace(principal, 'P')).toBe(unknown.body.errors?.[0].message.replace('arn:aws:iam::111122223333:role/NoSuchRole', 'P'));
  });

  it('counts in complianceSummary only the violations the member can list', async () => {
    // Act
    const { complianceSummary, violations } = await api.data(
      `{ complianceSummary(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", groupBy: [TEAM]) { team open resolved suppressed }
         violations(filter: { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" }, first: 0) { totalCount } }`,
      undefined,
      asMember(),
    );

    // Assert
    expect(complianceSummary.map((r: any) => r.team)).toEqual([MEMBER_TEAM]);
    const summed = complianceSummary.reduce((n: number, r: any) => n + r.open + r.resolved + r.suppressed, 0);
    expect(summed).toBe(violations.totalCount);
    expect(violations.totalCount).toBe(allowed.violations.size);
  });

  it("relays over every subscription only its team's new violations, nested fields included", async () => {
    // Arrange: every subscription field, walked like the queries
    const subscription = schema.getSubscriptionType()!;
    const client = createClient({ url: api.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: asMember(), retryAttempts: 0, lazy: true });
    clients.push(client);
    const received: unknown[] = [];
    const errors: unknown[] = [];
    const args = fixtures(allowed, MEMBER_TEAM);
    const unsubscribes = Object.values(subscription.getFields()).map((field) => {
      const named = getNamedType(field.type) as GraphQLObjectType;
      return client.subscribe(
        { query: `subscription { ${field.name}${argumentsFor('Subscription', field, args)} { ${selection(named, 1, args)} } }` },
        { next: (r) => (r.errors ? errors.push(...r.errors) : received.push(r.data)), error: (e) => errors.push(e), complete: () => undefined },
      );
    });
    const channel = violationOpenedChannel(prefix);
    for (let i = 0; i < 200 && ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] < 1; i++) await new Promise((r) => setTimeout(r, 25));

    // Act: announce both teams' violations as an evaluation would
    const mine = [...allowed.violations].slice(0, 3);
    const theirs = [...other.violations].slice(0, 3);
    await createOpenedPublisher(redis, channel, { warn: () => undefined })([...theirs, ...mine]);
    for (let i = 0; i < 200 && received.length < mine.length; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300)); // anything more that would come

    // Assert
    const problems: string[] = [];
    const seen = new Map<string, number>();
    inspect(received, allowed, seen, problems, 'violationOpened');
    expect(errors).toEqual([]);
    expect(problems).toEqual([]);
    expect(received.map((d: any) => d.violationOpened.id).sort()).toEqual([...mine].sort());
    unsubscribes.forEach((u) => u());
  });
});
