import { createClient, type Client } from 'graphql-ws/client';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { evaluateWindow, type EvaluationOptions } from '../../src/compliance/evaluate';
import { createOpenedPublisher, violationOpenedChannel } from '../../src/compliance/notify';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestDemo, RunningApi, startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * violationOpened over WebSocket (graphql-ws), across API instances: the evaluator publishes the
 * ids it inserts to Redis; every API instance relays the matching violations to its subscribers.
 */

const SUBSCRIPTION = `subscription($filter: ViolationFilter) {
  violationOpened(filter: $filter) { id ruleId severity status team eventTime resource { arn ownerTeam { name } } event { eventName } rule { severity } }
}`;

/** Collects what one subscription receives until `count` arrived (or the wait ends). */
function collect(client: Client, query: string, variables: Record<string, unknown>) {
  const received: any[] = [];
  const errors: unknown[] = [];
  let notify = () => {};
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) received.push((result.data as any).violationOpened);
        notify();
      },
      error: (err) => {
        errors.push(err);
        notify();
      },
      complete: () => notify(),
    },
  );
  const until = (done: () => boolean, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited ${ms} ms: ${received.length} received, errors ${JSON.stringify(errors)}`)), ms);
      notify = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        }
      };
      notify();
    });
  return { received, errors, unsubscribe, until };
}

describe('violationOpened subscriptions', () => {
  let db: TestDatabase;
  let apiA: RunningApi;
  let apiB: RunningApi;
  let redis: Redis;
  const clients: Client[] = [];
  const prefix = testQueuePrefix();
  const channel = violationOpenedChannel(prefix);
  const wsClient = (api: RunningApi, headers?: Record<string, string>) => {
    const client = createClient({
      url: api.url.replace(/^http/, 'ws'),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers });
        }
      },
      // the credential travels in connection_init
      connectionParams: { authorization: `Bearer ${api.adminKey}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  };
  /** Redis SUBSCRIBE is asynchronous: wait until both instances listen on the channel before publishing. */
  const listeners = async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1];
  const waitForListeners = async (n: number) => {
    for (let i = 0; i < 200 && (await listeners()) < n; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await listeners()).toBe(n);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    // Arrange: two API instances of one deployment (same prefix), as behind a load balancer
    apiA = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix });
    apiB = await startApi(db, {}, { GOVGRAPH_QUEUE_PREFIX: prefix });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await apiA?.stop();
    await apiB?.stop();
    redis?.disconnect();
    await db?.drop();
  });

  it('delivers the violations an ingestion opens to subscribers of every instance, each as its filter asks', async () => {
    // Arrange
    const all = collect(wsClient(apiA), SUBSCRIPTION, {});
    const teamA = collect(wsClient(apiB), SUBSCRIPTION, { filter: { team: 'TeamA', severity: 'MEDIUM' } });
    await waitForListeners(2);
    const published: string[][] = [];
    const publish = createOpenedPublisher(redis, channel, { warn: () => {} });
    const evaluation: EvaluationOptions = {
      rules: [...ALL_RULES],
      config: DEFAULT_RULE_CONFIG,
      teamTagKey: 'team',
      onOpened: async (ids) => {
        published.push(ids);
        await publish(ids);
      },
    };

    // Act: the demo story ingested, rules evaluated as it is stored (as the worker does)
    await ingestDemo(db, { evaluation });
    const { rows } = await db.pool.query('SELECT id::text, team, severity FROM violations ORDER BY event_time, id');
    await all.until(() => all.received.length >= rows.length);
    const wantTeamA = rows.filter((r) => r.team === 'TeamA' && r.severity === 'MEDIUM').map((r) => r.id);
    await teamA.until(() => teamA.received.length >= wantTeamA.length);

    // Assert
    expect(rows.length).toBeGreaterThan(20);
    expect(published.flat().sort()).toEqual(rows.map((r) => r.id).sort());
    expect(all.errors).toEqual([]);
    expect(all.received.map((v) => v.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(wantTeamA.length).toBeGreaterThanOrEqual(2);
    expect(teamA.received.map((v) => v.id).sort()).toEqual([...wantTeamA].sort());
    expect(teamA.received.filter((v) => v.team !== 'TeamA' || v.severity !== 'MEDIUM')).toEqual([]);
    const churn = all.received.find((v) => v.ruleId === 'sagemaker-training-job-no-vpc');
    expect(churn).toMatchObject({ team: 'TeamA', resource: { arn: expect.stringMatching(/training-job\/churn-v7$/), ownerTeam: { name: 'TeamA' } }, event: { eventName: 'CreateTrainingJob' } });
    // each message's violations arrive oldest offending event first
    const times = all.received.map((v) => v.eventTime);
    expect(times.slice(0, published[0].length)).toEqual([...times.slice(0, published[0].length)].sort());
  });

  it('announces nothing when the same events are evaluated again (nothing new is inserted)', async () => {
    // Arrange
    const opened: string[][] = [];
    const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team', onOpened: async (ids) => void opened.push(ids) };

    // Act
    const counts = await evaluateWindow(db.pool, { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') }, evaluation);

    // Assert
    expect(counts.findings).toBeGreaterThan(20);
    expect(opened).toEqual([]);
  });

  it('serves only subscriptions over WebSocket: mutations stay behind HTTP and its CSRF prevention', async () => {
    // Arrange
    const client = wsClient(apiA);
    const { rows: [v] } = await db.pool.query("SELECT id::text FROM violations WHERE status = 'OPEN' ORDER BY id LIMIT 1");

    // Act
    const mutation = collect(client, 'mutation($id: ID!) { suppressViolation(id: $id, reason: "over ws") { id } }', { id: v.id });
    await mutation.until(() => mutation.errors.length > 0);

    // Assert
    expect(JSON.stringify(mutation.errors)).toMatch(/only subscriptions are served over WebSocket/);
    expect((await db.pool.query('SELECT status FROM violations WHERE id = $1', [v.id])).rows[0].status).toBe('OPEN');
  });

  it('stops relaying to a subscriber that unsubscribed, and goes on for the others', async () => {
    // Arrange
    const stays = collect(wsClient(apiB), SUBSCRIPTION, {});
    const leaves = collect(wsClient(apiB), SUBSCRIPTION, {});
    await new Promise((r) => setTimeout(r, 200)); // both subscriptions reach the server
    const { rows: [v] } = await db.pool.query('SELECT id::text FROM violations ORDER BY id LIMIT 1');

    // Act
    leaves.unsubscribe();
    await new Promise((r) => setTimeout(r, 100));
    await createOpenedPublisher(redis, channel, { warn: () => {} })([v.id]);
    await stays.until(() => stays.received.length >= 1);

    // Assert
    expect(stays.received.map((x) => x.id)).toEqual([v.id]);
    expect(leaves.received).toEqual([]);
  });
});
