import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { ALL_RULES } from '../domain/rules/registry';
import type { Rule } from '../domain/rules/types';
import {
  ComplianceReport,
  DailyFigures,
  MAX_TREND_DAYS,
  RefusedCallFigures,
  REPORT_SCHEMA,
  ReportError,
  ReportSeverity,
  RuleFigures,
  SEVERITIES,
  SeverityCounts,
  StatusCounts,
  TeamFigures,
  WORST_LIMIT,
  WorstFigures,
} from './types';

export interface ReportOptions {
  /** inclusive, by violation event time */
  from: Date;
  /** exclusive */
  to: Date;
  /** only this team's violations */
  team?: string | null;
  /** the generation time the report states; default now */
  generatedAt?: Date;
  /** add the "Refused API calls" section (per identity, from the access log) */
  accessLog?: boolean;
}

/**
 * The compliance report of a window: five GROUP BY queries over the violations table (per team,
 * per rule, per UTC day, worst resources, worst principals), read in one REPEATABLE READ
 * transaction so every figure comes from the same snapshot. Orders are fixed in SQL with the "C"
 * collation (byte order, whatever the database's locale), so the same data always gives the same
 * report.
 */
export async function buildComplianceReport(pool: Pool, opts: ReportOptions, catalog: readonly Rule[] = ALL_RULES): Promise<ComplianceReport> {
  const { from, to } = opts;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new ReportError('the report window needs valid --from and --to times');
  if (from.getTime() >= to.getTime()) throw new ReportError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const team = opts.team ?? null;
  const generatedAt = opts.generatedAt ?? new Date();

  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const params = [from, to, team];
    const teams = await teamFigures(client, params);
    const rules = await ruleFigures(client, params, catalog);
    const days = await dailyFigures(client, params);
    const worstResources = await worstFigures(client, params, 'resource_arn');
    const worstPrincipals = await worstFigures(client, params, 'principal_arn');
    const refusedApiCalls = opts.accessLog ? await refusedCallFigures(client, [from, to]) : undefined;
    await client.query('COMMIT');
    return {
      schema: REPORT_SCHEMA,
      window: { from: from.toISOString(), to: to.toISOString() },
      team,
      generatedAt: generatedAt.toISOString(),
      catalog: catalogVersion(catalog),
      totals: sumTeams(teams),
      teams,
      rules,
      daily: fillDays(days, from, to),
      worstResources,
      worstPrincipals,
      ...(refusedApiCalls ? { refusedApiCalls } : {}),
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The size of the rule catalog and a short fingerprint of its rule ids and default severities. */
export function catalogVersion(catalog: readonly Rule[]): { rules: number; fingerprint: string } {
  const ids = catalog.map((r) => `${r.id}:${r.severity}`).sort();
  return { rules: catalog.length, fingerprint: `sha256:${createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16)}` };
}

// $1 from, $2 to, $3 team (null: all)
const WINDOW = `v.event_time >= $1 AND v.event_time < $2 AND ($3::text IS NULL OR v.team = $3)`;

const STATUS_COLUMNS = `
  count(*) FILTER (WHERE v.status = 'OPEN')::int AS open,
  count(*) FILTER (WHERE v.status = 'RESOLVED')::int AS resolved,
  count(*) FILTER (WHERE v.status = 'SUPPRESSED')::int AS suppressed,
  count(*)::int AS total`;

/** One column per severity, lower-case (critical, high, …), counting the rows `where` allows. */
const severityColumns = (where: string, prefix = '') =>
  SEVERITIES.map((s) => `count(*) FILTER (WHERE ${where}v.severity = '${s}')::int AS ${prefix}${s.toLowerCase()}`).join(',\n  ');

type CountsRow = StatusCounts;
type SeverityRow = { critical: number; high: number; medium: number; low: number; info: number };
type OpenSeverityRow = { open_critical: number; open_high: number; open_medium: number; open_low: number; open_info: number };

const statusOf = (r: CountsRow): StatusCounts => ({ open: r.open, resolved: r.resolved, suppressed: r.suppressed, total: r.total });

async function teamFigures(client: PoolClient, params: unknown[]): Promise<TeamFigures[]> {
  const { rows } = await client.query<CountsRow & SeverityRow & { team: string | null }>(
    `SELECT v.team, ${STATUS_COLUMNS},
       ${severityColumns('')}
       FROM violations v
      WHERE ${WINDOW}
      GROUP BY v.team
      ORDER BY open DESC, total DESC, v.team COLLATE "C" NULLS LAST`,
    params,
  );
  return rows.map((r) => ({ team: r.team, ...statusOf(r), bySeverity: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, info: r.info } }));
}

async function ruleFigures(client: PoolClient, params: unknown[], catalog: readonly Rule[]): Promise<RuleFigures[]> {
  const { rows } = await client.query<CountsRow & { rule_id: string; severity_rank: number }>(
    `SELECT v.rule_id, ${STATUS_COLUMNS},
            min(array_position($4::text[], v.severity))::int AS severity_rank
       FROM violations v
      WHERE ${WINDOW}
      GROUP BY v.rule_id
      ORDER BY open DESC, total DESC, v.rule_id COLLATE "C"`,
    [...params, SEVERITIES],
  );
  const titles = new Map(catalog.map((r) => [r.id, r.title]));
  return rows.map((r) => ({
    ruleId: r.rule_id,
    title: titles.get(r.rule_id) ?? null,
    severity: SEVERITIES[r.severity_rank - 1] as ReportSeverity,
    ...statusOf(r),
  }));
}

async function dailyFigures(client: PoolClient, params: unknown[]): Promise<DailyFigures[]> {
  const { rows } = await client.query<CountsRow & { day: string }>(
    `SELECT to_char(v.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ${STATUS_COLUMNS}
       FROM violations v
      WHERE ${WINDOW}
      GROUP BY 1
      ORDER BY 1`,
    params,
  );
  return rows.map((r) => ({ day: r.day, ...statusOf(r) }));
}

async function worstFigures(client: PoolClient, params: unknown[], column: 'resource_arn' | 'principal_arn'): Promise<WorstFigures[]> {
  const present = column === 'resource_arn' ? `v.resource_arn <> ''` : `v.principal_arn IS NOT NULL`;
  const { rows } = await client.query<CountsRow & OpenSeverityRow & { arn: string }>(
    `SELECT v.${column} AS arn, ${STATUS_COLUMNS},
       ${severityColumns(`v.status = 'OPEN' AND `, 'open_')}
       FROM violations v
      WHERE ${WINDOW} AND ${present}
      GROUP BY v.${column}
     HAVING count(*) FILTER (WHERE v.status = 'OPEN') > 0
      ORDER BY open DESC, open_critical DESC, open_high DESC, open_medium DESC, open_low DESC, open_info DESC, v.${column} COLLATE "C"
      LIMIT ${WORST_LIMIT}`,
    params,
  );
  return rows.map((r) => ({
    arn: r.arn,
    ...statusOf(r),
    openBySeverity: { critical: r.open_critical, high: r.open_high, medium: r.open_medium, low: r.open_low, info: r.open_info },
  }));
}

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Refused calls of the window (by request time) per identity and role, with their error codes. */
async function refusedCallFigures(client: PoolClient, params: unknown[]): Promise<RefusedCallFigures[]> {
  const { rows } = await client.query<RefusedCallFigures>(
    `WITH per_code AS (
       SELECT a.identity_kind, a.identity_id, a.identity_name, a.role, a.error_code,
              count(*)::int AS n, min(a.at) AS first_at, max(a.at) AS last_at
         FROM api_access_log a
        WHERE a.outcome = 'refused' AND a.at >= $1 AND a.at < $2
        GROUP BY 1, 2, 3, 4, 5)
     SELECT identity_kind AS "identityKind", identity_id AS "identityId", identity_name AS "identityName", role,
            sum(n)::int AS total,
            jsonb_agg(jsonb_build_object('code', error_code, 'count', n) ORDER BY n DESC, error_code COLLATE "C") AS "byErrorCode",
            to_char(min(first_at) AT TIME ZONE 'UTC', ${ISO_MS}) AS first,
            to_char(max(last_at) AT TIME ZONE 'UTC', ${ISO_MS}) AS last
       FROM per_code
      GROUP BY identity_kind, identity_id, identity_name, role
      ORDER BY total DESC, identity_name COLLATE "C" NULLS LAST, identity_id COLLATE "C" NULLS LAST,
               role COLLATE "C" NULLS LAST, identity_kind COLLATE "C" NULLS LAST`,
    params,
  );
  return rows;
}

function sumTeams(teams: TeamFigures[]): ComplianceReport['totals'] {
  const totals = { open: 0, resolved: 0, suppressed: 0, total: 0, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } };
  for (const t of teams) {
    totals.open += t.open;
    totals.resolved += t.resolved;
    totals.suppressed += t.suppressed;
    totals.total += t.total;
    for (const k of Object.keys(totals.bySeverity) as (keyof SeverityCounts)[]) totals.bySeverity[k] += t.bySeverity[k];
  }
  return totals;
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Zero days filled in: every UTC day of the window when it spans at most MAX_TREND_DAYS days,
 * else every day between the first and the last one with violations.
 */
export function fillDays(days: DailyFigures[], from: Date, to: Date): DailyFigures[] {
  const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
  let first = startOfDay(from.getTime());
  let last = startOfDay(to.getTime() - 1);
  if ((last - first) / DAY_MS + 1 > MAX_TREND_DAYS) {
    if (days.length === 0) return [];
    first = Date.parse(`${days[0].day}T00:00:00Z`);
    last = Date.parse(`${days[days.length - 1].day}T00:00:00Z`);
  }
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out: DailyFigures[] = [];
  for (let ms = first; ms <= last; ms += DAY_MS) {
    const day = dayOf(ms);
    out.push(byDay.get(day) ?? { day, open: 0, resolved: 0, suppressed: 0, total: 0 });
  }
  return out;
}
