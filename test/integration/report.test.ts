import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { buildComplianceReport, ComplianceReport, renderMarkdown, SEVERITIES } from '../../src/report';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { AWKWARD_TEAM, FROM, govgraph, HOSTILE_PRINCIPAL, HOSTILE_RESOURCE, HOSTILE_TEAM, seedReportData, TO, WINDOW } from '../support/report-data';

const GENERATED_AT = '2026-11-06T09:30:00Z';

/** One stored violation count per combination, read with SQL of the test's own (no shared code with src/report). */
interface Combo {
  team: string | null;
  rule_id: string;
  resource_arn: string;
  principal_arn: string | null;
  severity: string;
  status: string;
  day: string;
  n: number;
}

type Tally = { open: number; resolved: number; suppressed: number; total: number; sev: Record<string, number>; openSev: Record<string, number> };
const emptyTally = (): Tally => ({ open: 0, resolved: 0, suppressed: 0, total: 0, sev: {}, openSev: {} });

function tally<K>(rows: Combo[], key: (r: Combo) => K | undefined): Map<K, Tally> {
  const out = new Map<K, Tally>();
  for (const r of rows) {
    const k = key(r);
    if (k === undefined) continue;
    const t = out.get(k) ?? emptyTally();
    t[r.status.toLowerCase() as 'open' | 'resolved' | 'suppressed'] += r.n;
    t.total += r.n;
    t.sev[r.severity] = (t.sev[r.severity] ?? 0) + r.n;
    if (r.status === 'OPEN') t.openSev[r.severity] = (t.openSev[r.severity] ?? 0) + r.n;
    out.set(k, t);
  }
  return out;
}

/** Byte order of UTF-8, as the report promises (whatever the database's collation). */
const byName = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sevCounts = (m: Record<string, number>) => Object.fromEntries(SEVERITIES.map((s) => [s.toLowerCase(), m[s] ?? 0]));
const statusCounts = (t: Tally) => ({ open: t.open, resolved: t.resolved, suppressed: t.suppressed, total: t.total });

/** A small RFC 4180 reader, for the test only: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      (record = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || record.length) throw new Error('the CSV does not end with CRLF');
  return records;
}

describe('govgraph report', () => {
  let db: TestDatabase;
  let combos: Combo[];
  const run = (args: string[]) => govgraph(['report', '--from', FROM, '--to', TO, '--generated-at', GENERATED_AT, ...args], { DATABASE_URL: db.url });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReportData(db.pool);
    ({ rows: combos } = await db.pool.query<Combo>(
      `SELECT team, rule_id, resource_arn, principal_arn, severity, status,
              (event_time AT TIME ZONE 'UTC')::date::text AS day, count(*)::int AS n
         FROM violations
        WHERE event_time >= $1 AND event_time < $2
        GROUP BY 1, 2, 3, 4, 5, 6, 7`,
      [WINDOW.from, WINDOW.to],
    ));
  });
  afterAll(() => db.drop());

  it('gives the figures that SQL of its own gives, in the stated order', async () => {
    // Arrange: the expected figures, from the test's own query
    const teams = [...tally(combos, (r) => r.team)]
      .sort(([a, x], [b, y]) => y.open - x.open || y.total - x.total || (a === null ? 1 : b === null ? -1 : byName(a, b)))
      .map(([team, t]) => ({ team, ...statusCounts(t), bySeverity: sevCounts(t.sev) }));
    const titles = new Map(ALL_RULES.map((r) => [r.id, r.title]));
    const rules = [...tally(combos, (r) => r.rule_id)]
      .sort(([a, x], [b, y]) => y.open - x.open || y.total - x.total || byName(a, b))
      .map(([ruleId, t]) => ({ ruleId, title: titles.get(ruleId) ?? null, severity: SEVERITIES.find((s) => t.sev[s])!, ...statusCounts(t) }));
    const byDay = tally(combos, (r) => r.day);
    const daily = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'].map((day) => ({ day, ...statusCounts(byDay.get(day) ?? emptyTally()) }));
    const worst = (m: Map<string, Tally>) =>
      [...m]
        .filter(([, t]) => t.open > 0)
        .sort(([a, x], [b, y]) => y.open - x.open || SEVERITIES.reduce((d, s) => d || (y.openSev[s] ?? 0) - (x.openSev[s] ?? 0), 0) || byName(a, b))
        .slice(0, 10)
        .map(([arn, t]) => ({ arn, ...statusCounts(t), openBySeverity: sevCounts(t.openSev) }));
    const all = tally(combos, () => 'all').get('all')!;

    // Act
    const report = await buildComplianceReport(db.pool, { ...WINDOW, generatedAt: new Date(GENERATED_AT) });

    // Assert
    expect(report.totals).toEqual({ ...statusCounts(all), bySeverity: sevCounts(all.sev) });
    expect(report.teams).toEqual(teams);
    expect(report.rules).toEqual(rules);
    expect(report.daily).toEqual(daily);
    expect(report.worstResources).toEqual(worst(tally(combos, (r) => (r.resource_arn === '' ? undefined : r.resource_arn))));
    expect(report.worstPrincipals).toEqual(worst(tally(combos, (r) => r.principal_arn ?? undefined)));
    expect(report).toMatchObject({
      window: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-05T00:00:00.000Z' },
      team: null,
      generatedAt: '2026-11-06T09:30:00.000Z',
      catalog: { rules: ALL_RULES.length, fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) },
    });
    // the data are what the test thinks they are: the demo, the extras, the window's edges
    expect(report.totals.total).toBeGreaterThan(20);
    expect(report.totals.open * report.totals.resolved * report.totals.suppressed).toBeGreaterThan(0);
    expect(report.rules.find((r) => r.ruleId === 'retired-rule')).toEqual({ ruleId: 'retired-rule', title: null, severity: 'INFO', open: 0, resolved: 0, suppressed: 1, total: 1 }); // at --from: inclusive
    expect(report.daily[0]).toEqual({ day: '2026-11-01', open: 0, resolved: 0, suppressed: 1, total: 1 });
    expect(report.teams.at(-1)).toEqual({ team: AWKWARD_TEAM, open: 0, resolved: 0, suppressed: 1, total: 1, bySeverity: { critical: 0, high: 0, medium: 1, low: 0, info: 0 } });
    expect(report.worstResources.filter((w) => /outside-(before|at-to)/.test(w.arn))).toEqual([]); // before; at --to: exclusive
    const openResources = [...tally(combos, (r) => (r.resource_arn === '' ? undefined : r.resource_arn))].filter(([, t]) => t.open > 0);
    expect(openResources.length).toBeGreaterThan(10);
    expect(report.worstResources).toHaveLength(10); // cut at 10
    // tie-a and tie-b (TeamC's only resources) are tied on every figure: by name, tie-a comes first
    const teamC = await buildComplianceReport(db.pool, { ...WINDOW, team: 'TeamC', generatedAt: new Date(GENERATED_AT) });
    expect(teamC.worstResources.map((w) => w.arn.slice(-5))).toEqual(['tie-a', 'tie-b']);
    // 1 open CRITICAL ranks before 1 open HIGH (the principals the IAM snapshot found able to train without a VPC)
    const ones = report.worstResources.filter((w) => w.open === 1);
    expect(ones[0]).toMatchObject({ arn: HOSTILE_RESOURCE, openBySeverity: { critical: 1 } });
    expect(ones.slice(1).length).toBeGreaterThan(0);
    expect(ones.slice(1).every((w) => w.openBySeverity.critical === 0 && w.openBySeverity.high === 1)).toBe(true);
  });

  it('prints Markdown: the header, then one table per section, the same as the domain renders', async () => {
    // Act
    const r = await run([]);
    const report = await buildComplianceReport(db.pool, { ...WINDOW, generatedAt: new Date(GENERATED_AT) });

    // Assert
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(renderMarkdown(report));
    expect(r.stdout).toContain('- Window: 2026-11-01T00:00:00.000Z to 2026-11-05T00:00:00.000Z (by violation event time; from inclusive, to exclusive; days are UTC)\n');
    expect(r.stdout).toContain('- Team: all teams\n');
    expect(r.stdout).toContain('- Generated: 2026-11-06T09:30:00.000Z');
    expect(r.stdout).toContain(`- Rule catalog: ${ALL_RULES.length} rules (sha256:`);
    const headings = r.stdout.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## Summary', '## Teams', '## Rules', '## Daily trend', '## Worst resources', '## Worst principals']);
    const a = report.teams.find((t) => t.team === 'TeamA')!;
    const s = a.bySeverity;
    expect(r.stdout).toContain(`| TeamA | ${a.open} | ${a.resolved} | ${a.suppressed} | ${a.total} | ${s.critical} | ${s.high} | ${s.medium} | ${s.low} | ${s.info} |\n`);
    const none = report.teams.find((t) => t.team === null)!;
    expect(r.stdout).toContain(`| (no team) | ${none.open} | ${none.resolved} | ${none.suppressed} | ${none.total} |`);
    // names from tags and events cannot break a row or inject HTML
    expect(r.stdout).toContain('| Data, "Science" \\| ML | 0 | 0 | 1 | 1 |');
    expect(r.stdout).toContain('| \\<script\\>alert(1)\\</script\\> | 1 |');
    expect(r.stdout).not.toContain('<script>');
  });

  it('prints one RFC 4180 CSV with a section column', async () => {
    // Act
    const r = await run(['--format', 'csv']);
    const report = await buildComplianceReport(db.pool, { ...WINDOW, generatedAt: new Date(GENERATED_AT) });

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    expect(r.stdout.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF record ends only
    expect(r.stdout).toContain('\r\nteam,"Data, ""Science"" | ML",,,0,0,1,1,0,0,1,0,0,\r\n');
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header).toEqual(['section', 'name', 'title', 'severity', 'open', 'resolved', 'suppressed', 'total', 'critical', 'high', 'medium', 'low', 'info', 'value']);
    for (const row of rows) expect(row).toHaveLength(header.length);
    const section = (name: string) => rows.filter((x) => x[0] === name);
    const meta = Object.fromEntries(section('meta').map((x) => [x[1], x[13]]));
    expect(meta).toEqual({
      schema: 'govgraph.compliance-report/1', from: '2026-11-01T00:00:00.000Z', to: '2026-11-05T00:00:00.000Z', team: '',
      generated_at: '2026-11-06T09:30:00.000Z', catalog_rules: String(ALL_RULES.length), catalog_fingerprint: report.catalog.fingerprint,
    });
    const num = (x: string[]) => x.slice(4, 13).map((v) => (v === '' ? null : Number(v)));
    expect(section('total').map(num)).toEqual([[report.totals.open, report.totals.resolved, report.totals.suppressed, report.totals.total, ...Object.values(report.totals.bySeverity)]]);
    expect(section('team').map((x) => [x[1], ...num(x)])).toEqual(report.teams.map((t) => [t.team ?? '', t.open, t.resolved, t.suppressed, t.total, ...Object.values(t.bySeverity)]));
    expect(section('rule').map((x) => x.slice(1, 8))).toEqual(report.rules.map((x) => [x.ruleId, x.title ?? '', x.severity, ...[x.open, x.resolved, x.suppressed, x.total].map(String)]));
    expect(section('day').map((x) => [x[1], ...num(x).slice(0, 4)])).toEqual(report.daily.map((d) => [d.day, d.open, d.resolved, d.suppressed, d.total]));
    expect(section('resource').map((x) => [x[1], ...num(x)])).toEqual(report.worstResources.map((w) => [w.arn, w.open, w.resolved, w.suppressed, w.total, ...Object.values(w.openBySeverity)]));
    expect(section('principal').map((x) => x[1])).toEqual(report.worstPrincipals.map((w) => w.arn));
    expect(section('team').map((x) => x[1])).toContain(HOSTILE_TEAM);
  });

  it('prints JSON: the report as built, nothing else', async () => {
    // Act
    const r = await run(['--format', 'json']);
    const report = await buildComplianceReport(db.pool, { ...WINDOW, generatedAt: new Date(GENERATED_AT) });

    // Assert
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(r.stdout.endsWith('}\n')).toBe(true);
  });

  it('--team TeamA counts only TeamA violations, and says so', async () => {
    // Arrange
    const mine = combos.filter((c) => c.team === 'TeamA');
    const all = tally(mine, () => 'all').get('all')!;
    const arns = new Set(mine.filter((c) => c.status === 'OPEN').map((c) => c.resource_arn));

    // Act
    const r = await run(['--format', 'json', '--team', 'TeamA']);
    const md = await run(['--team', 'TeamA']);

    // Assert
    expect(r.code).toBe(0);
    const report: ComplianceReport = JSON.parse(r.stdout);
    expect(report.team).toBe('TeamA');
    expect(report.teams.map((t) => t.team)).toEqual(['TeamA']);
    expect(report.totals).toEqual({ ...statusCounts(all), bySeverity: sevCounts(all.sev) });
    expect(report.rules.reduce((n, x) => n + x.total, 0)).toBe(all.total);
    expect(report.daily.reduce((n, x) => n + x.total, 0)).toBe(all.total);
    for (const w of report.worstResources) expect(arns).toContain(w.arn);
    expect(report.worstPrincipals.map((w) => w.arn)).not.toContain(HOSTILE_PRINCIPAL);
    expect(md.stdout).toContain('- Team: TeamA\n');
  });

  it('gives byte-identical output for the same command, in every format, to stdout or --out', async () => {
    // Arrange
    const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-report-'));

    for (const format of ['md', 'csv', 'json', 'html']) {
      // Act
      const first = await run(['--format', format]);
      const second = await run(['--format', format]);
      const file = path.join(dir, `report.${format}`);
      const written = await run(['--format', format, '--out', file]);

      // Assert
      expect(first.code).toBe(0);
      expect(second.stdout).toBe(first.stdout);
      expect(written.stdout).toMatch(new RegExp(`^report: wrote .*report\\.${format} \\(${format}, \\d+ violations\\)\\n$`));
      expect(await readFile(file, 'utf8')).toBe(first.stdout);
    }
  });

  it('HTML-escapes every value from tags and events', async () => {
    // Act
    const r = await run(['--format', 'html']);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).not.toMatch(/<(script|img|iframe|object|embed|svg onload)\b/i); // only escaped, as text
    expect(r.stdout).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(r.stdout).toContain('user/&lt;img src=x onerror=alert(2)&gt;');
    expect(r.stdout).toContain('notebook-instance/&quot;&gt;&lt;svg onload=alert(3)&gt;');
    expect(r.stdout).toContain('Data, &quot;Science&quot; | ML');
    // self-contained: nothing to fetch
    expect(r.stdout).not.toMatch(/(src|href)="(?!data:)/);
    expect(r.stdout).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
  });

  it.each([
    [['--from', 'yesterday'], /--from "yesterday" is not an ISO 8601 date or date-time/],
    [['--from', '2026-02-30'], /--from "2026-02-30" is not a valid date or time/],
    [['--to', '2026-11-05T08:00:00'], /--to "2026-11-05T08:00:00" has no time zone offset/],
    [['--generated-at', 'now'], /--generated-at "now" is not an ISO 8601/],
    [['--from', '2026-11-05', '--to', '2026-11-01'], /--from \(2026-11-05T00:00:00\.000Z\) must be before --to \(2026-11-01T00:00:00\.000Z\)/],
    [['--team', ''], /--team needs a team name/],
    [['--format', 'xml'], /argument 'xml' is invalid\. Allowed choices are md, csv, json, html/],
    [['--out', '/nonexistent-dir/report.md'], /cannot write \/nonexistent-dir\/report\.md: no such directory/],
  ])('exits 1 with a clear message for %j', async (args, message) => {
    // Act (later options win over the defaults run() puts first)
    const r = await run(args);

    // Assert
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 naming the missing option', async () => {
    // Act
    const r = await govgraph(['report', '--from', FROM], { DATABASE_URL: db.url });

    // Assert
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/required option '--to <time>' not specified/);
  });
});
