import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, Browser } from 'playwright-core';
import { buildComplianceReport, ComplianceReport } from '../../src/report';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { FROM, govgraph, HOSTILE_TEAM, seedReportData, TO, WINDOW } from '../support/report-data';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the test leaves its screenshot, to look at. */
const SCREENSHOT = path.join(os.tmpdir(), 'govgraph-report.png');
const GENERATED_AT = '2026-11-06T09:30:00Z';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  process.stderr.write(`report-html.test: ${CHROMIUM} not found; skipping the headless browser test of the HTML report (apt-get install chromium)\n`);
}

(haveChromium ? describe : describe.skip)('the HTML report in headless Chromium', () => {
  let db: TestDatabase;
  let browser: Browser;
  let file: string;
  let report: ComplianceReport;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReportData(db.pool);
    file = path.join(await mkdtemp(path.join(os.tmpdir(), 'govgraph-report-html-')), 'report.html');
    const r = await govgraph(['report', '--from', FROM, '--to', TO, '--generated-at', GENERATED_AT, '--format', 'html', '--out', file], { DATABASE_URL: db.url });
    if (r.code !== 0) throw new Error(`govgraph report failed: ${r.stderr}`);
    report = await buildComplianceReport(db.pool, { ...WINDOW, generatedAt: new Date(GENERATED_AT) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await db?.drop();
  });

  it('renders the chart and the tables, with no error and no request but the file itself', async () => {
    // Arrange
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    const url = pathToFileURL(file).href;

    // Act
    await page.goto(url, { waitUntil: 'load' });
    const count = (selector: string) => page.locator(selector).count();
    const chart = await page.locator('#trend-chart').boundingBox();
    const dayLabels = await page.locator('#trend-chart text.day').allTextContents();
    const axisTitles = await page.locator('#trend-chart text.axis-title').allTextContents();
    const teamCells = await page.locator('#teams tbody tr td:first-child').allTextContents();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    process.stdout.write(`report-html.test: screenshot at ${SCREENSHOT}\n`);

    // Assert: nothing but the file, nothing wrong
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(requests).toEqual([url]);
    expect(dialogs).toEqual([]);
    expect(await count('script, img, iframe, object, embed, link[rel=stylesheet]')).toBe(0);
    // the chart: one bar segment per non-zero status of a day, every day labelled, both axes titled
    const segments = report.daily.reduce((n, d) => n + [d.open, d.resolved, d.suppressed].filter((v) => v > 0).length, 0);
    expect(segments).toBeGreaterThan(3);
    expect(await count('#trend-chart rect.bar')).toBe(segments);
    expect(chart!.width).toBeGreaterThan(600);
    expect(chart!.height).toBeGreaterThan(250);
    expect(dayLabels).toEqual(report.daily.map((d) => d.day));
    expect(axisTitles).toEqual(['Violations', 'Day (UTC, by event time)']);
    // the tables, row for row
    expect(await count('#teams tbody tr')).toBe(report.teams.length);
    expect(await count('#rules tbody tr')).toBe(report.rules.length);
    expect(await count('#resources tbody tr')).toBe(10);
    expect(await count('#principals tbody tr')).toBe(report.worstPrincipals.length);
    expect(await count('#daily tbody tr')).toBe(report.daily.length);
    expect(teamCells).toEqual(report.teams.map((t) => t.team ?? '(no team)'));
    expect(teamCells).toContain(HOSTILE_TEAM); // shown as text, never run
    expect(await page.locator('#team-filter').textContent()).toBe('all teams');
    await page.close();
  });
});
