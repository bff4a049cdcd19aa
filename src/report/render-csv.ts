import type { ComplianceReport, RefusedCallFigures, SeverityCounts, StatusCounts } from './types';
import { identityLabel, severityValues } from './text';

/**
 * The report as one CSV (RFC 4180: CRLF line ends, a header row, fields holding a comma, a quote
 * or a line break quoted with quotes doubled). The first column, `section`, says what a row is:
 *
 * - `meta`: name/value pairs (schema, from, to, team, generated_at, catalog_rules, catalog_fingerprint)
 * - `total`, `team`: status counts; the severity columns count every violation of the window
 * - `rule`: name = rule id, title, severity (highest recorded), status counts
 * - `day`: name = UTC day, status counts
 * - `resource`, `principal`: name = ARN, status counts; the severity columns count OPEN violations only
 * - `refused_identity` (only with the access-log section): name = identity, title = role,
 *   total = refused calls, value = first/last refused call as an ISO 8601 interval
 * - `refused_code`: one per identity and error code: name = identity, title = role, total = calls, value = the code
 *
 * No CSV library is among the project's dependencies, and quoting is small enough to own. A
 * text value that a spreadsheet would take for a formula (starting with = + - @, a tab or a CR)
 * is prefixed with an apostrophe (OWASP's CSV injection advice): team names and ARNs come from
 * tags and events.
 */
export const CSV_COLUMNS = [
  'section', 'name', 'title', 'severity', 'open', 'resolved', 'suppressed', 'total',
  'critical', 'high', 'medium', 'low', 'info', 'value',
] as const;

type Field = string | number | null;

export function csvField(value: Field): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const counts = (s: StatusCounts): Field[] => [s.open, s.resolved, s.suppressed, s.total];
const severities = (s: SeverityCounts | null): Field[] => (s ? severityValues(s) : [null, null, null, null, null]);

function row(section: string, name: Field, title: Field, severity: Field, status: StatusCounts | null, sev: SeverityCounts | null, value: Field = null): Field[] {
  return [section, name, title, severity, ...(status ? counts(status) : [null, null, null, null]), ...severities(sev), value];
}

/** A row of the refused-calls section: the count in `total`, the other status columns empty. */
function refusedRow(section: string, x: RefusedCallFigures, total: number, value: string): Field[] {
  return [section, identityLabel(x), x.role, null, null, null, null, total, null, null, null, null, null, value];
}

export function renderCsv(r: ComplianceReport): string {
  const meta: [string, Field][] = [
    ['schema', r.schema],
    ['from', r.window.from],
    ['to', r.window.to],
    ['team', r.team],
    ['generated_at', r.generatedAt],
    ['catalog_rules', r.catalog.rules],
    ['catalog_fingerprint', r.catalog.fingerprint],
  ];
  const rows: Field[][] = [
    [...CSV_COLUMNS],
    ...meta.map(([k, v]) => row('meta', k, null, null, null, null, v)),
    row('total', null, null, null, r.totals, r.totals.bySeverity),
    ...r.teams.map((t) => row('team', t.team, null, null, t, t.bySeverity)),
    ...r.rules.map((x) => row('rule', x.ruleId, x.title, x.severity, x, null)),
    ...r.daily.map((d) => row('day', d.day, null, null, d, null)),
    ...r.worstResources.map((w) => row('resource', w.arn, null, null, w, w.openBySeverity)),
    ...r.worstPrincipals.map((w) => row('principal', w.arn, null, null, w, w.openBySeverity)),
    ...(r.refusedApiCalls ?? []).flatMap((x) => [
      refusedRow('refused_identity', x, x.total, `${x.first}/${x.last}`),
      ...x.byErrorCode.map((c) => refusedRow('refused_code', x, c.count, c.code)),
    ]),
  ];
  return rows.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}
