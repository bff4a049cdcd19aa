import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCloudTrailFile, readCloudTrailPaths, type SourceItem } from '../../src/ingest/cloudtrail-files';
import { listInputFiles } from '../../src/ingest/files';

const REPO_ROOT = resolve(__dirname, '..', '..');
const SAMPLES = resolve(REPO_ROOT, '../shared/samples/aws');
const CLOUDTRAIL_SAMPLE = /\.(cloudtrail|logfile|eventbridge|lookupevents|cloudwatch-logs-subscription)\.jsonl$/;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const records = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'record' ? [i.record] : []));
const rejections = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'rejected' ? [i.rejected] : []));
const positions = (items: SourceItem[]) => items.map((i) => (i.kind === 'record' ? i.record.position : i.rejected.position));

function cloudTrailRecord(n: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventTime: '2024-03-01T12:00:00Z',
    eventSource: 'sagemaker.amazonaws.com',
    eventName: 'CreateTrainingJob',
    awsRegion: 'eu-west-1',
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::111122223333:assumed-role/ds-team-a/user${n}` },
    requestParameters: { trainingJobName: `churn-v${n}`, vpcConfig: { subnets: ['subnet-1'] } },
  };
}

describe('readCloudTrailFile', () => {
  let dir: string;
  const write = (name: string, content: string | Buffer): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'govgraph-cloudtrail-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams every record of a gzipped log file delivered on one line', async () => {
    // Arrange
    const logFile = { Records: Array.from({ length: 20_000 }, (_, n) => cloudTrailRecord(n)) };
    const file = write('111122223333_CloudTrail_eu-west-1_20240301T1200Z_big.json.gz', gzipSync(JSON.stringify(logFile)));

    // Act
    let count = 0;
    let rejected = 0;
    let first: SourceItem | undefined;
    let last: SourceItem | undefined;
    for await (const item of readCloudTrailFile(file)) {
      if (item.kind === 'record') count += 1;
      else rejected += 1;
      first ??= item;
      last = item;
    }

    // Assert
    expect(count).toBe(20_000);
    expect(rejected).toBe(0);
    expect(first).toEqual({
      kind: 'record',
      record: { source: file, position: 'Records[0]', value: cloudTrailRecord(0), text: JSON.stringify(cloudTrailRecord(0)) },
    });
    expect(last?.kind === 'record' && last.record.position).toBe('Records[19999]');
  });

  it('recognises gzip by its magic bytes, not by the file name', async () => {
    // Arrange
    const content = JSON.stringify({ Records: [cloudTrailRecord(1)] });
    const gzippedAsJson = write('compressed.json', gzipSync(content));
    const plainAsGz = write('plain.json.gz', content);

    // Act
    const fromGzipped = await collect(readCloudTrailFile(gzippedAsJson));
    const fromPlain = await collect(readCloudTrailFile(plainAsGz));

    // Assert
    expect(records(fromGzipped).map((r) => r.value)).toEqual([cloudTrailRecord(1)]);
    expect(records(fromPlain).map((r) => r.value)).toEqual([cloudTrailRecord(1)]);
  });

  it('keeps the records read before a log file breaks and says where it broke', async () => {
    // Arrange
    const whole = JSON.stringify({ Records: [cloudTrailRecord(0), cloudTrailRecord(1), cloudTrailRecord(2), cloudTrailRecord(3)] });
    const cut = whole.indexOf(`"eventID":"${String(cloudTrailRecord(3).eventID)}"`);
    const file = write('truncated.json', whole.slice(0, cut + 5));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(positions(items)).toEqual(['Records[0]', 'Records[1]', 'Records[2]', 'Records[3]']);
    expect(rejections(items)[0].reason).toMatch(/the file ends inside Records\[3\]/);
  });

  it('keeps each log-file record\'s text exactly as received, across concatenated log files', async () => {
    // Arrange: a pretty-printed first file (strings holding braces, brackets and escaped quotes) and a second one
    const first = { ...cloudTrailRecord(1), requestParameters: { note: 'a } and a ] and a \\" quote, [{' } };
    const firstText = JSON.stringify(first, null, 2);
    const secondText = JSON.stringify(cloudTrailRecord(2));
    const file = write('concatenated.json', `{\n  "Records": [\n${firstText}\n  ]\n}\n{"Records":[${secondText}]}`);

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(positions(items)).toEqual(['Records[0]', 'value 2 Records[0]']);
    expect(records(items).map((r) => r.text)).toEqual([firstText, secondText]);
    expect(records(items)[0].value).toEqual(first);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7])(
    'finds where each record ends when escapes fall across read boundaries (shifted by %i)',
    async (shift) => {
      // Arrange: strings full of backslashes and escaped quotes, in a plain file larger than many
      // read chunks; the padding moves every chunk boundary by one more character
      const tricky = ['\\', '\\"', 'a\\\\', '"quoted"', '\\\\"}]{[', 'end\\'];
      const recs = Array.from({ length: 1500 }, (_, n) => ({
        ...cloudTrailRecord(n),
        requestParameters: { note: tricky[n % tricky.length].repeat(20 + (n % 7)), path: `C:\\data\\${n}\\` },
      }));
      const texts = recs.map((r) => JSON.stringify(r));
      const file = write(`escapes-${shift}.json`, `${' '.repeat(shift)}{"Records":[${texts.join(',')}]}`);

      // Act
      const items = await collect(readCloudTrailFile(file));

      // Assert
      expect(rejections(items)).toEqual([]);
      expect(records(items).map((r) => r.text)).toEqual(texts);
      expect(records(items).map((r) => r.value)).toEqual(recs);
    },
  );

  it('rejects a bad record deep inside a large log file on its own and keeps every other record', async () => {
    // Arrange
    const lines = Array.from({ length: 5_000 }, (_, n) => JSON.stringify(cloudTrailRecord(n)));
    lines[4_000] = '{"eventVersion": 1.08.1}';
    const file = write('bad-record.json.gz', gzipSync(`{"Records":[${lines.join(',')}]}`));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(records(items)).toHaveLength(4_999);
    expect(rejections(items)).toEqual([
      { source: file, position: 'Records[4000]', reason: expect.stringMatching(/^not JSON: /), raw: '{"eventVersion": 1.08.1}' },
    ]);
    expect(records(items)[4_000].position).toBe('Records[4001]');
  });

  it('reports a gzip stream that ends early after the records it held', async () => {
    // Arrange
    const whole = gzipSync(JSON.stringify({ Records: Array.from({ length: 2_000 }, (_, n) => cloudTrailRecord(n)) }));
    const file = write('truncated.json.gz', whole.subarray(0, Math.floor(whole.length / 2)));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    const rejected = rejections(items);
    expect(records(items).length).toBeGreaterThan(0);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toMatch(/^corrupt gzip data after Records\[\d+\]: /);
    expect(items[items.length - 1].kind).toBe('rejected');
  });

  it('reads JSON Lines around a malformed line, keeping each line as received', async () => {
    // Arrange
    const lines = [
      JSON.stringify(cloudTrailRecord(1)),
      `  ${JSON.stringify(cloudTrailRecord(2), null, 0)}`,
      '{"eventID": "broken", ',
      '',
      JSON.stringify(cloudTrailRecord(4)),
    ];
    const file = write('events.jsonl', `${lines.join('\r\n')}\n`);

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(positions(items)).toEqual(['line 1', 'line 2', 'line 3', 'line 5']);
    expect(records(items).map((r) => r.text)).toEqual([lines[0], lines[1], lines[4]]);
    expect(rejections(items)).toEqual([
      { source: file, position: 'line 3', reason: expect.stringMatching(/^not JSON: /), raw: '{"eventID": "broken", ' },
    ]);
  });

  it('unwraps each envelope AWS delivers records in, line by line', async () => {
    // Arrange
    const [a, b, c] = [cloudTrailRecord(1), cloudTrailRecord(2), cloudTrailRecord(3)];
    const insight = { eventVersion: '1.07', eventTime: '2024-03-01T12:00:00Z', eventID: 'insight-1', eventType: 'AwsCloudTrailInsight' };
    const lines = [
      { Records: [a, b] },
      { version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sagemaker', detail: c },
      { version: '0', 'detail-type': 'AWS Console Sign In via CloudTrail', source: 'aws.signin', detail: a },
      { version: '0', 'detail-type': 'SageMaker Training Job State Change', source: 'aws.sagemaker', detail: {} },
      { Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(a) }, { EventId: 'y', CloudTrailEvent: '{"eventID":' }, insight] },
      { messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(b) }] },
      { messageType: 'CONTROL_MESSAGE', logEvents: [{ id: '2', timestamp: 2, message: 'CWL CONTROL MESSAGE: Checking health' }] },
      [c, { Records: [a] }],
      { QueryStatus: 'FINISHED', QueryResultRows: [[{ eventID: 'x' }]] },
    ];
    const file = write('envelopes.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(items.map((i) => (i.kind === 'record' ? [i.record.position, i.record.value] : [i.rejected.position, i.rejected.reason]))).toEqual([
      ['line 1 Records[0]', a],
      ['line 1 Records[1]', b],
      ['line 2 detail', c],
      ['line 3 detail', a],
      ['line 4', 'EventBridge detail-type "SageMaker Training Job State Change" is not a CloudTrail event'],
      ['line 5 Events[0]', a],
      ['line 5 Events[1]', expect.stringMatching(/^CloudTrailEvent is not JSON: /)],
      ['line 5 Events[2]', insight],
      ['line 6 logEvents[0]', b],
      ['line 8 [0]', c],
      ['line 8 [1] Records[0]', a],
      ['line 9', 'CloudTrail Lake query results are not supported'],
    ]);
    expect(records(items)[2].text).toBe(JSON.stringify(c));
  });

  it('reads a pretty-printed EventBridge envelope as one document', async () => {
    // Arrange
    const record = cloudTrailRecord(7);
    const envelope = { version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sagemaker', detail: record };
    const file = write('envelope.json', JSON.stringify(envelope, null, 2));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(items).toEqual([{ kind: 'record', record: { source: file, position: 'detail', value: record, text: JSON.stringify(record) } }]);
  });

  it('streams a pretty-printed log file and log files concatenated into one', async () => {
    // Arrange
    const pretty = write('pretty.json', JSON.stringify({ Records: [cloudTrailRecord(1), cloudTrailRecord(2)] }, null, 2));
    const concatenated = write(
      'concatenated.json',
      `${JSON.stringify({ Records: [cloudTrailRecord(1)] })}${JSON.stringify({ Records: [cloudTrailRecord(2), cloudTrailRecord(3)] })}`,
    );

    // Act
    const fromPretty = await collect(readCloudTrailFile(pretty));
    const fromConcatenated = await collect(readCloudTrailFile(concatenated));

    // Assert
    expect(positions(fromPretty)).toEqual(['Records[0]', 'Records[1]']);
    expect(positions(fromConcatenated)).toEqual(['Records[0]', 'value 2 Records[0]', 'value 2 Records[1]']);
    expect(records(fromConcatenated).map((r) => r.value)).toEqual([cloudTrailRecord(1), cloudTrailRecord(2), cloudTrailRecord(3)]);
  });

  it('reads a file of whole log files, one per line, as JSON Lines', async () => {
    // Arrange
    const file = write(
      'log-files.jsonl',
      [{ Records: [cloudTrailRecord(1), cloudTrailRecord(2)] }, { Records: [cloudTrailRecord(3)] }].map((l) => JSON.stringify(l)).join('\n'),
    );

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(positions(items)).toEqual(['line 1 Records[0]', 'line 1 Records[1]', 'line 2 Records[0]']);
  });

  it('falls back to line-by-line rejections when a first bad line is not the start of a document', async () => {
    // Arrange
    const file = write('bad-first-line.jsonl', ['not json at all', JSON.stringify(cloudTrailRecord(2)), JSON.stringify(cloudTrailRecord(3))].join('\n'));

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(positions(items)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(rejections(items)).toEqual([{ source: file, position: 'line 1', reason: expect.stringMatching(/^not JSON: /), raw: 'not json at all' }]);
  });

  it('keeps a "__proto__" key of a streamed record as data', async () => {
    // Arrange
    const line = '{"Records":[{"eventID":"p","requestParameters":{"__proto__":{"polluted":true},"name":"x"}}]}';
    const file = write('proto.json', line);

    // Act
    const [item] = await collect(readCloudTrailFile(file));

    // Assert
    expect(item.kind === 'record' && item.record.text).toBe(JSON.stringify(JSON.parse(line).Records[0]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('yields nothing for an empty file', async () => {
    // Arrange
    const file = write('empty.json', '\n\n');

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(items).toEqual([]);
  });
});

describe('readCloudTrailPaths', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'govgraph-cloudtrail-paths-'));
    mkdirSync(join(dir, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/01'), { recursive: true });
    mkdirSync(join(dir, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02/29'), { recursive: true });
    const day = (d: string) => join(dir, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024', d);
    writeFileSync(join(day('03/01'), 'b.json.gz'), gzipSync(JSON.stringify({ Records: [cloudTrailRecord(3)] })));
    writeFileSync(join(day('03/01'), 'a.json'), JSON.stringify({ Records: [cloudTrailRecord(2)] }));
    writeFileSync(join(day('02/29'), 'z.jsonl'), JSON.stringify(cloudTrailRecord(1)));
    writeFileSync(join(day('03/01'), 'README.txt'), 'not an input file');
    writeFileSync(join(dir, 'events.ndjson'), JSON.stringify(cloudTrailRecord(4)));
    writeFileSync(join(dir, 'named-explicitly.txt'), JSON.stringify(cloudTrailRecord(5)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks a directory tree in name order, reading only JSON and gzip files', async () => {
    // Arrange
    const root = join(dir, 'AWSLogs');

    // Act
    const files = await collect(listInputFiles([root, join(dir, 'events.ndjson')]));
    const items = await collect(readCloudTrailPaths([root, join(dir, 'events.ndjson')]));

    // Assert
    const base = join(root, '111122223333/CloudTrail/eu-west-1/2024');
    expect(files).toEqual([join(base, '02/29/z.jsonl'), join(base, '03/01/a.json'), join(base, '03/01/b.json.gz'), join(dir, 'events.ndjson')]);
    expect(records(items).map((r) => r.value)).toEqual([1, 2, 3, 4].map(cloudTrailRecord));
    expect(records(items).map((r) => r.source)).toEqual(files);
  });

  it('reads a file named explicitly whatever its extension', async () => {
    // Arrange
    const file = join(dir, 'named-explicitly.txt');

    // Act
    const items = await collect(readCloudTrailPaths([file]));

    // Assert
    expect(records(items).map((r) => r.value)).toEqual([cloudTrailRecord(5)]);
  });

  it('fails with a clear message for a path that does not exist, before reading any other', async () => {
    // Arrange
    const missing = join(dir, 'no-such-dir', 'x.json');
    const read: SourceItem[] = [];

    // Act
    const run = async () => {
      for await (const item of readCloudTrailPaths([join(dir, 'events.ndjson'), missing])) read.push(item);
    };

    // Assert
    await expect(run()).rejects.toThrow(`cannot read ${missing}: no such file or directory`);
    expect(read).toEqual([]);
  });
});

const samplesPresent = existsSync(SAMPLES);
if (!samplesPresent) console.warn(`published AWS samples not found at ${SAMPLES}: sample tests skipped`);
const describeSamples = samplesPresent ? describe : describe.skip;
const sampleFiles = samplesPresent ? readdirSync(SAMPLES).filter((f) => CLOUDTRAIL_SAMPLE.test(f)).sort() : ['(samples absent)'];

/** Records inside one published line, counted from the envelope shapes without the reader. */
function recordsInside(value: Record<string, unknown>): number {
  for (const key of ['Records', 'Events', 'logEvents']) {
    if (Array.isArray(value[key])) return (value[key] as unknown[]).length;
  }
  return 1; // a bare record, or an EventBridge envelope with its record in detail
}

describeSamples('published AWS samples', () => {
  it.each(sampleFiles)('reads %s: one item for every record inside, none rejected', async (name) => {
    // Arrange
    const file = join(SAMPLES, name);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const expected = lines.reduce((n, l) => n + recordsInside(JSON.parse(l) as Record<string, unknown>), 0);

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(items).toHaveLength(expected);
    expect(rejections(items)).toEqual([]);
    expect(records(items).every((r) => r.source === file)).toBe(true);
    expect(new Set(positions(items)).size).toBe(items.length);
  });

  it('rejects every CloudTrail Lake query result, one per line', async () => {
    // Arrange
    const file = join(SAMPLES, 'awsdocs-cloudtrail-user-guide.lake-query-results.jsonl');
    const lineCount = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(rejections(items).map((r) => r.reason)).toEqual(Array(lineCount).fill('CloudTrail Lake query results are not supported'));
  });

  it('reads the string-encoded LookupEvents records as the objects they encode', async () => {
    // Arrange
    const file = join(SAMPLES, 'aws-cli.lookupevents.jsonl');
    const published = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]) as { Events: Array<{ CloudTrailEvent: string }> };

    // Act
    const items = await collect(readCloudTrailFile(file));

    // Assert
    expect(records(items).map((r) => r.value)).toEqual(published.Events.map((e) => JSON.parse(e.CloudTrailEvent)));
  });
});
