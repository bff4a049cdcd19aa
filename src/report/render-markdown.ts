import type { ComplianceReport, RefusedCallFigures, WorstFigures } from './types';
import { WORST_LIMIT } from './types';
import {
  catalogLabel,
  errorCodesLabel,
  escapeMarkdown as md,
  identityLabel,
  REFUSED_CALLS_NOTE,
  roleLabel,
  SEVERITY_HEADERS,
  severityValues,
  STATUS_NOTE,
  teamFilterLabel,
  teamLabel,
  WINDOW_NOTE,
} from './text';

type Cell = string | number;

function table(headers: string[], numericFrom: number, rows: Cell[][]): string[] {
  if (rows.length === 0) return ['_None._'];
  const align = headers.map((_, i) => (i >= numericFrom ? '---:' : '---'));
  return [
    `| ${headers.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => (typeof c === 'number' ? String(c) : md(c))).join(' | ')} |`),
  ];
}

function worst(rows: WorstFigures[], what: string): string[] {
  return table(
    ['#', what, 'Open', 'Resolved', 'Suppressed', 'Total', ...SEVERITY_HEADERS.map((h) => `Open ${h.toLowerCase()}`)],
    2,
    rows.map((r, i) => [i + 1, r.arn, r.open, r.resolved, r.suppressed, r.total, ...severityValues(r.openBySeverity)]),
  );
}

function refusedCalls(rows: RefusedCallFigures[]): string[] {
  return [
    '## Refused API calls',
    '',
    `Per identity: ${REFUSED_CALLS_NOTE}.`,
    '',
    ...table(
      ['Identity', 'Role', 'By error code', 'First', 'Last', 'Refused'],
      5,
      rows.map((x) => [identityLabel(x), roleLabel(x), errorCodesLabel(x), x.first, x.last, x.total]),
    ),
    '',
  ];
}

/** The report as GitHub-flavoured Markdown: a header, then one table per section. */
export function renderMarkdown(r: ComplianceReport): string {
  const t = r.totals;
  const lines = [
    '# Compliance report',
    '',
    `- Window: ${md(r.window.from)} to ${md(r.window.to)} (${WINDOW_NOTE})`,
    `- Team: ${md(teamFilterLabel(r))}`,
    `- Generated: ${md(r.generatedAt)} (${STATUS_NOTE})`,
    `- Rule catalog: ${md(catalogLabel(r))}`,
    '',
    '## Summary',
    '',
    ...table(['Open', 'Resolved', 'Suppressed', 'Total', ...SEVERITY_HEADERS], 0, [[t.open, t.resolved, t.suppressed, t.total, ...severityValues(t.bySeverity)]]),
    '',
    '## Teams',
    '',
    'Severity columns count every violation of the window, whatever its status.',
    '',
    ...table(
      ['Team', 'Open', 'Resolved', 'Suppressed', 'Total', ...SEVERITY_HEADERS],
      1,
      r.teams.map((x) => [teamLabel(x.team), x.open, x.resolved, x.suppressed, x.total, ...severityValues(x.bySeverity)]),
    ),
    '',
    '## Rules',
    '',
    `Rules with violations in the window (the catalog has ${r.catalog.rules}); severity is the highest recorded.`,
    '',
    ...table(
      ['Rule', 'Title', 'Severity', 'Open', 'Resolved', 'Suppressed', 'Total'],
      3,
      r.rules.map((x) => [x.ruleId, x.title ?? '(not in the catalog)', x.severity, x.open, x.resolved, x.suppressed, x.total]),
    ),
    '',
    '## Daily trend',
    '',
    'Violations by the UTC day of their event, by status.',
    '',
    ...table(['Day (UTC)', 'Open', 'Resolved', 'Suppressed', 'Total'], 1, r.daily.map((x) => [x.day, x.open, x.resolved, x.suppressed, x.total])),
    '',
    `## Worst resources`,
    '',
    `Top ${WORST_LIMIT} by open violations; the severity columns count open violations.`,
    '',
    ...worst(r.worstResources, 'Resource'),
    '',
    `## Worst principals`,
    '',
    `Top ${WORST_LIMIT} by open violations; the severity columns count open violations.`,
    '',
    ...worst(r.worstPrincipals, 'Principal'),
    '',
    ...(r.refusedApiCalls ? refusedCalls(r.refusedApiCalls) : []),
  ];
  return lines.join('\n');
}
