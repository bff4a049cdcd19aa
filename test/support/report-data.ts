import path from 'node:path';
import type { Pool } from 'pg';
import { EvaluationOptions } from '../../src/compliance/evaluate';
import { demoDir } from '../../src/demo/demo-files';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';

/** The report tests' window: the demo story (2026-11-02 and -03) and the rows added below. */
export const FROM = '2026-11-01';
export const TO = '2026-11-05';
export const WINDOW = { from: new Date(`${FROM}T00:00:00Z`), to: new Date(`${TO}T00:00:00Z`) };

export const HOSTILE_TEAM = '<script>alert(1)</script>';
export const HOSTILE_PRINCIPAL = 'arn:aws:iam::111122223333:user/<img src=x onerror=alert(2)>';
export const HOSTILE_RESOURCE = 'arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/"><svg onload=alert(3)>';
/** a comma, quotes and a pipe: CSV quoting and Markdown cell escaping */
export const AWKWARD_TEAM = 'Data, "Science" | ML';

const sm = (what: string) => `arn:aws:sagemaker:us-east-1:111122223333:${what}`;

interface Extra {
  rule: string;
  event: string;
  time: string;
  resource?: string;
  principal?: string | null;
  team: string | null;
  severity: string;
  status: 'OPEN' | 'RESOLVED' | 'SUPPRESSED';
}

/**
 * Beside the demo's violations: a hostile team, principal and resource (escaping), a team whose
 * name needs CSV quoting, a violation with no team, no resource and a rule the catalog does not
 * have, exactly at the window's start (inclusive), two just outside it (before; exactly at its
 * exclusive end), and two resources tied on everything but their name.
 */
const EXTRAS: Extra[] = [
  { rule: 'sagemaker-notebook-direct-internet', event: 'extra-hostile', time: '2026-11-04T10:00:00Z', resource: HOSTILE_RESOURCE, principal: HOSTILE_PRINCIPAL, team: HOSTILE_TEAM, severity: 'CRITICAL', status: 'OPEN' },
  { rule: 'access-cross-team-attempt', event: 'extra-awkward', time: '2026-11-04T11:00:00Z', principal: null, team: AWKWARD_TEAM, severity: 'MEDIUM', status: 'SUPPRESSED' },
  { rule: 'retired-rule', event: 'extra-at-from', time: '2026-11-01T00:00:00Z', principal: null, team: null, severity: 'INFO', status: 'SUPPRESSED' },
  { rule: 'sagemaker-notebook-no-vpc', event: 'extra-before', time: '2026-10-31T23:59:59.999Z', resource: sm('notebook-instance/outside-before'), team: 'TeamA', severity: 'HIGH', status: 'OPEN' },
  { rule: 'sagemaker-notebook-no-vpc', event: 'extra-at-to', time: '2026-11-05T00:00:00Z', resource: sm('notebook-instance/outside-at-to'), team: 'TeamA', severity: 'HIGH', status: 'OPEN' },
  { rule: 'sagemaker-notebook-no-kms', event: 'extra-tie-b', time: '2026-11-04T12:00:00Z', resource: sm('notebook-instance/tie-b'), principal: 'arn:aws:iam::111122223333:user/tie-b', team: 'TeamC', severity: 'LOW', status: 'OPEN' },
  { rule: 'sagemaker-notebook-no-kms', event: 'extra-tie-a', time: '2026-11-04T12:00:00Z', resource: sm('notebook-instance/tie-a'), principal: 'arn:aws:iam::111122223333:user/tie-a', team: 'TeamC', severity: 'LOW', status: 'OPEN' },
];

/** The demo story ingested with evaluation (as compliance.test.ts does), then the rows above. */
export async function seedReportData(pool: Pool): Promise<void> {
  const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
  // as the demo does: IAM first, so the rules judging IAM changes know the policies they change
  await ingestIamPaths(pool, [path.join(demoDir(), 'iam')], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME, evaluation });
  await ingestCloudTrailPaths(pool, [path.join(demoDir(), 'cloudtrail')], { teamTagKey: 'team', evaluation });
  await ingestTagPaths(pool, [path.join(demoDir(), 'tags')], { teamTagKey: 'team', complete: true, at: new Date('2026-11-03T23:00:00Z') });
  // violations is a normal table: the rows go in as the evaluator would store them
  await pool.query(
    `INSERT INTO violations (rule_id, event_id, event_time, resource_arn, principal_arn, team, account_id, region, severity, message, evidence, status)
     SELECT u.rule, u.event, u.time, u.resource, u.principal, u.team, '111122223333', 'us-east-1', u.severity, 'inserted by the report tests', '{}'::jsonb, u.status
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
            AS u(rule, event, time, resource, principal, team, severity, status)`,
    [
      EXTRAS.map((e) => e.rule), EXTRAS.map((e) => e.event), EXTRAS.map((e) => e.time), EXTRAS.map((e) => e.resource ?? ''),
      EXTRAS.map((e) => (e.principal === undefined ? 'arn:aws:iam::111122223333:user/extra' : e.principal)),
      EXTRAS.map((e) => e.team), EXTRAS.map((e) => e.severity), EXTRAS.map((e) => e.status),
    ],
  );
}

/** The CLI as a user runs it (shared with the other CLI tests). */
export { govgraph } from './cli';
