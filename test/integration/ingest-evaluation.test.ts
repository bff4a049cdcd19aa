import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import type { Pool } from 'pg';
import { EvaluationOptions, evaluateWindow, jsonbShaped, StoredEvent, toRuleEvent } from '../../src/compliance/evaluate';
import { cloudTrailRecord, CloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG, type Rule, type RuleContext, type Severity } from '../../src/domain/rules/types';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * Rules are evaluated at ingest from the records in hand, only on the events some rule reads,
 * with the tag history looked up only where a rule asks for it, while the next batch is being
 * written. None of that may change a violation: held here against a reference evaluator written
 * the plain way (every rule on every stored event, read back from audit_events, with the tags of
 * every (ARN, event) pair looked up in SQL).
 */

const TEAMS = ['TeamA', 'TeamB', 'TeamC', 'TeamD'];
const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'];
const ALL_TIME = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };
const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };

async function writeLogFile(file: string, records: CloudTrailRecord[]): Promise<string> {
  const gz = createGzip();
  const out = gz.pipe(createWriteStream(file));
  gz.end(`{"Records":[${records.map((r) => JSON.stringify(r)).join(',')}]}`);
  await once(out, 'finish');
  return file;
}

/** The team roles and the experiments the generator names, tagged with their teams before its first event. */
async function writeTagInventory(dir: string): Promise<string> {
  const tag = (arn: string, team: string) => ({ ResourceARN: arn, Tags: [{ Key: 'team', Value: team }] });
  const list = ACCOUNTS.flatMap((a) =>
    TEAMS.flatMap((team) => [
      tag(`arn:aws:iam::${a}:role/SageMakerStudioDeveloper${team}Role`, team),
      ...REGIONS.flatMap((r) => [0, 1, 2, 3, 4, 5, 6].map((u) => tag(`arn:aws:sagemaker:${r}:${a}:experiment/user${u}${team.toLowerCase()}experiment1`, team))),
    ]),
  );
  const file = path.join(dir, 'get-resources.json');
  await writeFile(file, JSON.stringify({ ResourceTagMappingList: list, PaginationToken: '' }));
  return file;
}

// ---- the reference: the evaluator as first written (read back, SQL tag lookup per pair, every rule) ----

const EVENT_COLUMNS = `e.event_id, e.event_time, e.event_source, e.event_name, e.aws_region, e.account_id, e.principal_arn,
  e.principal_type, e.error_code, e.error_message, e.user_agent, e.resource_arns,
  CASE WHEN json_typeof(e.raw->'requestParameters') = 'object' THEN (e.raw->'requestParameters')::jsonb END AS request_parameters,
  CASE WHEN json_typeof(e.raw->'responseElements') = 'object' THEN (e.raw->'responseElements')::jsonb END AS response_elements,
  e.raw->'userIdentity'->>'userName' AS user_name`;

interface Violation {
  rule_id: string;
  event_id: string;
  resource_arn: string;
  principal_arn: string | null;
  team: string | null;
  severity: string;
  message: string;
  evidence: Record<string, unknown>;
}

async function referenceViolations(pool: Pool, rules: Rule[]): Promise<Violation[]> {
  const { rows: stored } = await pool.query<StoredEvent>(`SELECT ${EVENT_COLUMNS} FROM audit_events e ORDER BY e.event_time, e.event_id`);
  const events = stored.map(toRuleEvent);
  const pairs = events.flatMap((e) => [e.principalArn, ...e.resourceArns].filter((a): a is string => a !== null).map((arn) => ({ arn, at: e.eventTime, eventId: e.eventId })));
  const { rows } = await pool.query<{ arn: string; event_id: string; known: boolean; tags: Record<string, string> | null }>(
    `SELECT q.arn, q.event_id, r.id IS NOT NULL AS known,
            (SELECT jsonb_object_agg(x.tag_key, x.tag_value)
               FROM (SELECT DISTINCT ON (c.tag_key) c.tag_key, c.tag_value
                       FROM resource_tag_changes c
                      WHERE c.resource_id = r.id AND c.changed_at <= q.at
                        AND c.source_event_id IS DISTINCT FROM q.event_id
                      ORDER BY c.tag_key, c.changed_at DESC, c.id DESC) x
              WHERE x.tag_value IS NOT NULL) AS tags
       FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS q(arn, at, event_id)
       LEFT JOIN resources r ON r.arn = q.arn`,
    [pairs.map((p) => p.arn), pairs.map((p) => p.at), pairs.map((p) => p.eventId)],
  );
  const tags = new Map(rows.map((r) => [`${r.event_id}|${r.arn}`, { known: r.known, tags: r.tags ?? {} }]));
  const out = new Map<string, Violation>();
  for (const event of events) {
    const principal = event.principalArn ? tags.get(`${event.eventId}|${event.principalArn}`) : undefined;
    const resourceOwners: RuleContext['resourceOwners'] = {};
    for (const arn of event.resourceArns) {
      const t = tags.get(`${event.eventId}|${arn}`) ?? { known: false, tags: {} };
      resourceOwners[arn] = { team: t.tags.team ?? null, known: t.tags.team !== undefined, tags: t.tags };
    }
    const ctx: RuleContext = { teamTagKey: 'team', config: DEFAULT_RULE_CONFIG, principalTeam: principal?.tags.team ?? null, principalTags: principal?.tags ?? {}, resourceOwners };
    for (const rule of rules) {
      if (rule.successfulOnly && event.errorCode) continue;
      for (const f of rule.evaluate(event, ctx)) {
        const own = f.evidence.findingSeverity;
        const severity = f.severity ?? (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'].includes(own as string) ? (own as Severity) : rule.severity);
        const v: Violation = {
          rule_id: rule.id,
          event_id: event.eventId,
          resource_arn: f.resourceArn ?? '',
          principal_arn: event.principalArn,
          team: ctx.principalTeam ?? (f.resourceArn ? ctx.resourceOwners[f.resourceArn]?.team ?? null : null),
          severity,
          message: f.message,
          evidence: JSON.parse(JSON.stringify({ eventId: event.eventId, eventName: event.eventName, ...f.evidence })),
        };
        out.set(`${v.rule_id}|${v.event_id}|${v.resource_arn}`, v);
      }
    }
  }
  return [...out.values()].sort(byKey);
}

const byKey = (a: Violation, b: Violation) => {
  const ka = `${a.rule_id}|${a.event_id}|${a.resource_arn}`;
  const kb = `${b.rule_id}|${b.event_id}|${b.resource_arn}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

async function storedViolations(pool: Pool): Promise<Violation[]> {
  const { rows } = await pool.query<Violation>('SELECT rule_id, event_id, resource_arn, principal_arn, team, severity, message, evidence FROM violations');
  return rows.sort(byKey);
}

describe('rule evaluation at ingest, overlapped with the next batch', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-ingest-eval-'));
  });
  afterAll(() => db.drop());

  it('stores the violations the plain evaluator finds, and govgraph evaluate finds them again', async () => {
    // Arrange: teams tagged before the first event; 3,000 records in batches of 250
    await ingestTagPaths(db.pool, [await writeTagInventory(dir)], { teamTagKey: 'team', at: new Date('2026-09-01T00:00:00Z') });
    const file = await writeLogFile(path.join(dir, 'generated.json.gz'), [...generateCloudTrailRecords(3000)]);

    // Act
    const counts = await ingestCloudTrailPaths(db.pool, [file], { teamTagKey: 'team', batchSize: 250, evaluation });
    const atIngest = await storedViolations(db.pool);
    const reference = await referenceViolations(db.pool, [...ALL_RULES]);
    const again = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    const afterEvaluate = await storedViolations(db.pool);

    // Assert
    expect(counts.stored).toBe(3000);
    const rulesFound = new Set(reference.map((v) => v.rule_id));
    expect([...rulesFound]).toEqual(expect.arrayContaining(['access-cross-team-attempt', 'sagemaker-training-job-no-vpc', 'sagemaker-notebook-direct-internet']));
    expect(reference.some((v) => v.team !== null)).toBe(true);
    expect(atIngest).toEqual(reference);
    expect(again.withdrawn).toBe(0);
    expect(afterEvaluate).toEqual(reference);
  });

  it('stops before the next batch commits when the evaluation of a batch fails', async () => {
    // Arrange: a rule that breaks on the 150th record; batches of 100
    const records = [...generateCloudTrailRecords(400, new Date(Date.UTC(2026, 6, 1)))].map((r, i) => ({ ...r, eventID: `breaking-${i}` }));
    const breaking: Rule = { ...ALL_RULES[0], id: 'breaks', reads: [{ eventSource: '*', eventNames: ['*'] }], evaluate: (e) => {
      if (e.eventId === records[149].eventID) throw new Error('rule broke');
      return [];
    } };
    const file = await writeLogFile(path.join(dir, 'breaking.json.gz'), records);
    const before = Number((await db.pool.query('SELECT count(*) AS n FROM audit_events')).rows[0].n);

    // Act
    const outcome = ingestCloudTrailPaths(db.pool, [file], { teamTagKey: 'team', batchSize: 100, evaluation: { ...evaluation, rules: [breaking] } });

    // Assert: batches 1 and 2 are stored, batch 3 (loaded meanwhile) is not
    await expect(outcome).rejects.toThrow('rule broke');
    const after = Number((await db.pool.query('SELECT count(*) AS n FROM audit_events')).rows[0].n);
    expect(after - before).toBe(200);
  });

  it('gives the rules a record as Postgres jsonb would: same values, keys in its order', async () => {
    // Arrange
    const text = '{"zz":1,"a":{"bb":[{"y":1,"x":2.50}],"b":null},"é":1,"e":2,"__proto__":{"k":1},"10":1,"9":2,"ab":"dup1","ab":"dup2","ä":"x","b\u00e9":"\\u00e9\\n"}';

    // Act
    const { rows: [pg] } = await db.pool.query('SELECT ($1::json)::jsonb AS v', [text]);

    // Assert
    expect(JSON.stringify(jsonbShaped(JSON.parse(text)))).toBe(JSON.stringify(pg.v));
    expect(Object.keys(jsonbShaped(JSON.parse(text)) as object)).toEqual(Object.keys(pg.v));
  });

  it('copies every column through COPY exactly, tabs, newlines, backslashes and quotes included', async () => {
    // Arrange: a pretty-printed log file (tabs, CRLF) whose record carries every character COPY treats specially
    const record = cloudTrailRecord({
      actor: { accountId: '111122223333', name: 'platform-admin', kind: 'IAMUser' },
      time: new Date(Date.UTC(2026, 5, 1, 12)), region: 'us-east-1', eventSource: 'sagemaker.amazonaws.com', eventName: 'DescribeExperiment',
      requestParameters: { experimentName: 'Odd"Name\\With\\\\N' },
      userAgent: 'agent\twith\ttabs \\N',
      errorCode: 'ValidationException',
      errorMessage: 'line one\nline two\r\nback\\slash "quoted" \\N',
    });
    const recordText = JSON.stringify(record, null, '\t').replace(/\n/g, '\r\n');
    const file = path.join(dir, 'odd.json');
    await writeFile(file, `{"Records":[\r\n${recordText}\r\n]}`);

    // Act
    await ingestCloudTrailPaths(db.pool, [file], { teamTagKey: 'team' });
    const { rows: [stored] } = await db.pool.query(
      'SELECT raw::text AS raw, user_agent, error_message, resource_arns, session_name FROM audit_events WHERE event_id = $1',
      [record.eventID],
    );

    // Assert
    expect(stored.raw).toBe(recordText);
    expect(stored.user_agent).toBe('agent\twith\ttabs \\N');
    expect(stored.error_message).toBe('line one\nline two\r\nback\\slash "quoted" \\N');
    expect(stored.session_name).toBeNull();
    expect(stored.resource_arns).toEqual(['arn:aws:sagemaker:us-east-1:111122223333:experiment/odd"name\\with\\\\n']);
  });
});
