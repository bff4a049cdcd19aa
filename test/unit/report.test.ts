import { fillDays } from '../../src/report/build';
import { csvField } from '../../src/report/render-csv';
import { trendChart, yScale } from '../../src/report/render-html';
import { escapeHtml, escapeMarkdown } from '../../src/report/text';
import { parseReportTime } from '../../src/report/time';

describe('report boundaries', () => {
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T08:30:00Z', '2026-11-01T08:30:00.000Z'],
    ['2026-11-01T08:30Z', '2026-11-01T08:30:00.000Z'],
    ['2026-11-01T08:30:00.25+01:00', '2026-11-01T07:30:00.250Z'],
    ['2026-11-01 08:30:00-0530', '2026-11-01T14:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseReportTime(text, '--from').toISOString()).toBe(iso);
  });

  it.each([
    ['2026-02-29', /not a valid date/], // not a leap year: refused, not rolled over to March 1
    ['2026-13-01', /not a valid date/],
    ['2026-11-01T24:00:00Z', /not a valid date/],
    ['2026-11-01T08:00:00', /no time zone offset/],
    ['2026-11-01T08:00:00+25:00', /invalid offset/],
    ['11/01/2026', /not an ISO 8601/],
    ['', /not an ISO 8601/],
  ])('refuses %j', (text, message) => {
    expect(() => parseReportTime(text, '--to')).toThrow(message);
  });
});

describe('report escaping', () => {
  it('quotes CSV fields as RFC 4180 says, and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\ronly')).toBe('"cr\ronly"');
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-3)).toBe('-3');
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('escapes HTML text and attribute values', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('keeps a Markdown cell one cell: pipes, line breaks, HTML and emphasis escaped', () => {
    expect(escapeMarkdown('a|b\nc <b>*x*</b> [l](u) `c`')).toBe('a\\|b c \\<b\\>\\*x\\*\\</b\\> \\[l\\](u) \\`c\\`');
  });
});

describe('report trend', () => {
  const zero = { open: 0, resolved: 0, suppressed: 0, total: 0 };

  it('lists every UTC day of a window, the exclusive end excluded', () => {
    const days = fillDays([{ day: '2026-11-02', ...zero, open: 2, total: 2 }], new Date('2026-11-01T12:00:00Z'), new Date('2026-11-04T00:00:00Z'));
    expect(days.map((d) => [d.day, d.total])).toEqual([['2026-11-01', 0], ['2026-11-02', 2], ['2026-11-03', 0]]);
  });

  it('over a long window, lists the days from the first to the last with violations', () => {
    const data = [{ day: '2026-11-02', ...zero, total: 1 }, { day: '2026-11-04', ...zero, total: 3 }];
    const days = fillDays(data, new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z'));
    expect(days.map((d) => d.day)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(fillDays([], new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z'))).toEqual([]);
  });

  it('puts the y axis top on a round number with at most 6 steps', () => {
    expect(yScale(0)).toEqual({ top: 1, step: 1 });
    expect(yScale(5)).toEqual({ top: 5, step: 1 });
    expect(yScale(19)).toEqual({ top: 20, step: 5 });
    expect(yScale(7)).toEqual({ top: 8, step: 2 });
    expect(yScale(1234)).toEqual({ top: 1500, step: 500 });
  });

  it('draws one bar segment per non-zero status of a day, and says when there is nothing', () => {
    const svg = trendChart([{ day: '2026-11-02', open: 2, resolved: 1, suppressed: 0, total: 3 }, { day: '2026-11-03', ...zero }]);
    expect(svg.match(/<rect class="bar /g)).toHaveLength(2);
    expect(trendChart([{ day: '2026-11-03', ...zero }])).toContain('No violations in this window');
  });
});
