import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import type { EvaluationOptions } from '../../src/compliance/evaluate';
import { loadConfig } from '../../src/config/config';
import { writeDemoFiles } from '../../src/demo/demo-files';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { createApiKey } from '../../src/auth/api-keys';
import { createApp, type App, type AppDeps } from '../../src/server/app';
import type { TestDatabase } from './postgres';
import { REDIS_URL } from './redis';

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface RunningApi {
  app: App;
  /** http://127.0.0.1:<port> */
  base: string;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** an admin API key made for this API; sent by post() and data() unless headers say otherwise */
  adminKey: string;
  /** POST a GraphQL operation as a client would (headers replace the admin key's `authorization`; `authorization: ''` sends none); returns the HTTP status and the parsed body */
  post<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLResponse<T> }>;
  /** POST and fail on any GraphQL error: the data */
  data<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

/** The API as `govgraph serve` runs it (createApp + start), on a free port, over the test database. */
export async function startApi(db: TestDatabase, deps: AppDeps = {}, env: Record<string, string> = {}): Promise<RunningApi> {
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL, ...env });
  const app = await createApp(config, { log: pino({ level: 'silent' }), ...deps });
  const { url } = await app.start(0);
  const adminKey = (await createApiKey(db.pool, { name: 'test-admin', role: 'admin' })).key;
  const post = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const sent: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${adminKey}`, ...headers };
    if (sent.authorization === '') delete sent.authorization;
    const res = await fetch(url, { method: 'POST', headers: sent, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as GraphQLResponse };
  };
  return {
    app,
    adminKey,
    url,
    base: url.replace(/\/graphql$/, ''),
    post,
    async data(query, variables, headers) {
      const { status, body } = await post(query, variables, headers);
      if (body.errors || status !== 200) throw new Error(`GraphQL errors (HTTP ${status}): ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    stop: () => app.stop(),
  };
}

/**
 * The demo story through the real pipeline: its CloudTrail log files (rules evaluated as they are
 * stored when `evaluation` is given), then its tag listing (complete, after day 2).
 */
export async function ingestDemo(db: TestDatabase, opts: { evaluation?: EvaluationOptions } = {}): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-api-demo-'));
  try {
    const files = await writeDemoFiles(dir);
    await ingestCloudTrailPaths(db.pool, files.filter((f) => f.includes(`${path.sep}cloudtrail${path.sep}`)), { teamTagKey: 'team', evaluation: opts.evaluation });
    await ingestTagPaths(db.pool, files.filter((f) => f.includes(`${path.sep}tags${path.sep}`)), {
      teamTagKey: 'team',
      complete: true,
      at: new Date(Date.UTC(2026, 10, 4, 0, 0)),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A pool whose every query is recorded (one pg round trip per entry). */
export function countingPool(url: string): Pool & { queries: string[] } {
  const pool = new Pool({ connectionString: url, max: 4 }) as Pool & { queries: string[] };
  pool.on('error', () => undefined); // as createTestDatabase's pool: a connection closing as the database is dropped
  pool.queries = [];
  const counted = (target: { query: (...args: unknown[]) => unknown }) => {
    const query = target.query.bind(target);
    target.query = (...args: unknown[]) => {
      const text = args[0];
      const sql = typeof text === 'string' ? text : (text as { text?: string })?.text ?? String(text);
      // a request session's own statements (its transaction, role and scope; its end) are not the request's reads
      // nor is authentication (one lookup of the API key, before the request's reads)
      if (!/^(BEGIN ISOLATION LEVEL|COMMIT$|ROLLBACK$)/.test(sql) && !/FROM api_keys WHERE id = \$1/.test(sql)) pool.queries.push(sql);
      return query(...args);
    };
  };
  counted(pool as unknown as { query: (...args: unknown[]) => unknown });
  // request sessions query through clients of the pool
  pool.on('connect', (client) => counted(client as unknown as { query: (...args: unknown[]) => unknown }));
  return pool;
}

/** Follows `after: endCursor` until the last page; returns every page's nodes in order. */
export async function allPages<T>(
  fetchPage: (after: string | null) => Promise<{ edges: { cursor: string; node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>,
): Promise<{ nodes: T[]; pages: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const page = await fetchPage(after);
    pages++;
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return { nodes, pages };
    if (pages > 10_000) throw new Error('pagination does not end');
    after = page.pageInfo.endCursor;
  }
}
