import path from 'node:path';
import type { Config } from '../config/config';
import { loadEvaluationOptions } from '../compliance/setup';
import { createPool } from '../db/connections';
import { migrate } from '../db/migrate';
import { redactUrl } from '../db/redact';
import { ingestCloudTrailPaths, ingestTagPaths } from '../ingest/ingest-files';
import { ingestIamPaths } from '../ingest/iam-ingest';
import { DEMO_IAM_SNAPSHOT_TIME } from './iam-story';
import { createApiKey } from '../auth/api-keys';
import { createApp } from '../server/app';
import { demoDir } from './demo-files';
import { DEMO_ACCOUNT, DEMO_REGION } from './story';

/** When the demo's GetResources listing was taken: the end of the story's second day. */
const DEMO_LISTING_TIME = new Date('2026-11-03T23:00:00Z');

/**
 * The example queries the demo prints, and the README shows (a test runs each one against the
 * demo data, so they cannot rot).
 */
export const DEMO_QUERIES: { title: string; query: string }[] = [
  {
    title: 'Who owns churn-v7? (a chatops bot)',
    query: `{
  whoOwns(query: "churn-v7") {
    team { name }
    basis
    message
    evidence { kind tagKey tagValue since eventName }
    createdBy { arn }
    contacts { principalArn eventCount }
  }
}`,
  },
  {
    title: "Did anyone from TeamB touch TeamA's experiment? (a security dashboard)",
    query: `{
  auditEvents(filter: { resourceArn: "arn:aws:sagemaker:${DEMO_REGION}:${DEMO_ACCOUNT}:experiment/usera1teamaexperiment1" }, first: 10) {
    totalCount
    edges { node { eventTime eventName errorCode sessionName principal { arn team { name } } } }
  }
}`,
  },
  {
    title: 'Which training jobs does TeamA own, and who created them?',
    query: `{
  resources(filter: { team: "TeamA", resourceType: "training-job" }, first: 10) {
    totalCount
    edges { node { name arn createdAt createdBy { arn } tags { key value } } }
  }
}`,
  },
];

export interface DemoOptions {
  /** keep the API (and workers) running after printing the answers */
  serve: boolean;
  port: number;
  out?: (text: string) => void;
}

/**
 * `govgraph demo`: migrates, ingests the demo's IAM snapshot, CloudTrail log files and GetResources pages
 * (idempotent: a second run stores nothing new), starts the API, and prints three example
 * queries with their answers, asked over HTTP like any client would.
 */
export async function runDemo(config: Config, opts: DemoOptions): Promise<{ url: string; key: string; stop: () => Promise<void> }> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const migrated = await migrate(config.DATABASE_URL);
  out(`database ${redactUrl(config.DATABASE_URL)}: ${migrated.applied.length} migration(s) applied\n`);
  const pool = createPool(config.DATABASE_URL);
  let key = '';
  try {
    const dir = demoDir();
    const evaluation = await loadEvaluationOptions(config);
    // IAM first, so rules evaluated as the events are stored see the policies in force
    const iam = await ingestIamPaths(pool, [path.join(dir, 'iam')], { teamTagKey: config.TEAM_TAG_KEY, at: DEMO_IAM_SNAPSHOT_TIME, evaluation });
    out(`iam: users ${iam.users}, groups ${iam.groups}, roles ${iam.roles}, policies ${iam.policies}, grants ${iam.grants}, rejected ${iam.rejected}\n`);
    const ct = await ingestCloudTrailPaths(pool, [path.join(dir, 'cloudtrail')], { teamTagKey: config.TEAM_TAG_KEY, evaluation });
    out(`cloudtrail: read ${ct.read}, stored ${ct.stored}, duplicates ${ct.duplicates}, conflicts ${ct.conflicts}, rejected ${ct.rejected}\n`);
    const tags = await ingestTagPaths(pool, [path.join(dir, 'tags')], { teamTagKey: config.TEAM_TAG_KEY, complete: true, at: DEMO_LISTING_TIME });
    out(`tags: read ${tags.read}, resources ${tags.resources}, deleted ${tags.deleted}, rejected ${tags.rejected}\n`);
    // every call needs a credential: the demo makes an admin key (each run its own) and uses it
    ({ key } = await createApiKey(pool, { name: 'demo-admin', role: 'admin' }));
  } finally {
    await pool.end();
  }
  const app = await createApp(config);
  const { url } = await app.start(opts.port, config.HOST);
  out(`\ngovgraph API at ${url}\nadmin API key (shown once; keep it secret): ${key}\n`);
  out(`try it: curl -s ${url} -H 'content-type: application/json' -H 'authorization: Bearer ${key}' -d '{"query":"{ teams { name } }"}'\n`);
  for (const q of DEMO_QUERIES) {
    const answer = await askGraphQL(url, q.query, undefined, key);
    out(`\n# ${q.title}\n${q.query}\n→ ${JSON.stringify(answer, null, 2)}\n`);
  }
  if (!opts.serve) {
    await app.stop();
  } else {
    out(`\nThe API keeps running at ${url} (Ctrl-C to stop). Start the workers beside it with \`npx govgraph worker\`.\n`);
  }
  return { url, key, stop: () => app.stop() };
}

export async function askGraphQL(url: string, query: string, variables?: Record<string, unknown>, key?: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}
