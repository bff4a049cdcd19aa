import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTagMappingFiles, type TagItem } from '../../src/ingest/tag-files';

const REPO_ROOT = resolve(__dirname, '..', '..');
const SAMPLES = resolve(REPO_ROOT, '../shared/samples/aws');

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const mappings = (items: TagItem[]) => items.flatMap((i) => (i.kind === 'mapping' ? [i] : []));
const rejections = (items: TagItem[]) => items.flatMap((i) => (i.kind === 'rejected' ? [i.rejected] : []));
const positions = (items: TagItem[]) => items.map((i) => (i.kind === 'mapping' ? i.position : i.rejected.position));

const trainingJob = 'arn:aws:sagemaker:eu-west-1:111122223333:training-job/churn-v7';
const notebook = 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/team-a-nb';

describe('readTagMappingFiles', () => {
  let dir: string;
  const write = (name: string, content: string | Buffer): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'govgraph-tag-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads one GetResources page per line, plain or wrapped as a recorded response', async () => {
    // Arrange
    const file = write(
      'pages.jsonl',
      [
        { PaginationToken: 'next', ResourceTagMappingList: [{ ResourceARN: trainingJob, Tags: [{ Key: 'team', Value: 'TeamA' }] }] },
        { status_code: 200, data: { PaginationToken: '', ResourceTagMappingList: [{ ResourceARN: ` ${notebook}`, Tags: [] }] } },
      ]
        .map((p) => JSON.stringify(p))
        .join('\n'),
    );

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(items).toEqual([
      { kind: 'mapping', source: file, position: 'line 1 ResourceTagMappingList[0]', resourceArn: trainingJob, tags: { team: 'TeamA' } },
      { kind: 'mapping', source: file, position: 'line 2 ResourceTagMappingList[0]', resourceArn: notebook, tags: {} },
    ]);
  });

  it('rejects what is not a tag mapping and goes on with the rest of the file', async () => {
    // Arrange
    const lines = [
      JSON.stringify({
        ResourceTagMappingList: [
          { ResourceARN: 'training-job/churn-v7', Tags: [] },
          { ResourceARN: trainingJob, Tags: [{ Key: 'team' }] },
          { ResourceARN: notebook, Tags: [{ Key: 'team', Value: 'TeamB' }, { Key: 'studiouserid', Value: 'alice' }] },
        ],
      }),
      '{"ResourceTagMappingList": [',
      JSON.stringify({ status_code: 500, data: { Error: { Code: 'ThrottlingException' } } }),
      JSON.stringify({ Records: [] }),
    ];
    const file = write('mixed.jsonl', lines.join('\n'));

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(items.map((i) => (i.kind === 'mapping' ? [i.position, i.tags] : [i.rejected.position, i.rejected.reason]))).toEqual([
      ['line 1 ResourceTagMappingList[0]', 'ResourceARN "training-job/churn-v7" is not an ARN'],
      ['line 1 ResourceTagMappingList[1]', 'Tags[0] is not {"Key": string, "Value": string}'],
      ['line 1 ResourceTagMappingList[2]', { team: 'TeamB', studiouserid: 'alice' }],
      ['line 2', expect.stringMatching(/^not JSON: /)],
      ['line 3', 'GetResources response has status 500'],
      ['line 4', 'not a GetResources response: no ResourceTagMappingList'],
    ]);
    expect(rejections(items)[2].raw).toBe(lines[1]);
  });

  it('reads a pretty-printed, gzipped response as one document', async () => {
    // Arrange
    const response = { PaginationToken: '', ResourceTagMappingList: [{ ResourceARN: trainingJob, Tags: [{ Key: 'team', Value: 'TeamA' }] }] };
    const file = write('page.json.gz', gzipSync(JSON.stringify(response, null, 2)));

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(items).toEqual([{ kind: 'mapping', source: file, position: 'ResourceTagMappingList[0]', resourceArn: trainingJob, tags: { team: 'TeamA' } }]);
  });

  it('keeps the mappings read before a pretty-printed document breaks and says where', async () => {
    // Arrange
    const first = { ResourceTagMappingList: [{ ResourceARN: trainingJob, Tags: [] }] };
    const file = write('broken.json', `${JSON.stringify(first, null, 2)}\n{\n  "ResourceTagMappingList": [\n`);

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(positions(items)).toEqual(['ResourceTagMappingList[0]', 'after ResourceTagMappingList[0]']);
    expect(rejections(items)[0].reason).toMatch(/^invalid JSON after ResourceTagMappingList\[0\]: /);
  });

  it('walks a directory recursively and fails clearly on a missing path', async () => {
    // Arrange
    mkdirSync(join(dir, 'tree/eu-west-1'), { recursive: true });
    const page = (arn: string) => JSON.stringify({ ResourceTagMappingList: [{ ResourceARN: arn, Tags: [] }] });
    writeFileSync(join(dir, 'tree/eu-west-1/2.json'), page(notebook));
    writeFileSync(join(dir, 'tree/1.json'), page(trainingJob));
    writeFileSync(join(dir, 'tree/notes.md'), '# not read');
    const missing = join(dir, 'nope');

    // Act
    const items = await collect(readTagMappingFiles([join(dir, 'tree')]));
    const failure = collect(readTagMappingFiles([missing]));

    // Assert
    expect(mappings(items).map((m) => m.resourceArn)).toEqual([trainingJob, notebook]);
    await expect(failure).rejects.toThrow(`cannot read ${missing}: no such file or directory`);
  });
});

const samplesPresent = existsSync(SAMPLES);
if (!samplesPresent) console.warn(`published AWS samples not found at ${SAMPLES}: sample tests skipped`);
const describeSamples = samplesPresent ? describe : describe.skip;
const sampleFiles = samplesPresent ? readdirSync(SAMPLES).filter((f) => f.endsWith('.getresources.jsonl')).sort() : ['(samples absent)'];

describeSamples('published GetResources samples', () => {
  it.each(sampleFiles)('reads %s: one mapping for every listed resource, none rejected', async (name) => {
    // Arrange
    const file = join(SAMPLES, name);
    const pages = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { data?: { ResourceTagMappingList: unknown[] }; ResourceTagMappingList?: unknown[] });
    const expected = pages.reduce((n, p) => n + (p.data ?? p).ResourceTagMappingList!.length, 0);

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(items).toHaveLength(expected);
    expect(rejections(items)).toEqual([]);
    expect(mappings(items).every((m) => m.resourceArn.startsWith('arn:') && m.resourceArn === m.resourceArn.trim())).toBe(true);
  });

  it('trims the leading space of the published CLI example ARN', async () => {
    // Arrange
    const file = join(SAMPLES, 'aws-cli.getresources.jsonl');

    // Act
    const items = await collect(readTagMappingFiles([file]));

    // Assert
    expect(mappings(items)).toEqual([
      {
        kind: 'mapping',
        source: file,
        position: 'line 1 ResourceTagMappingList[0]',
        resourceArn: 'arn:aws:inspector:us-west-2:123456789012:target/0-nvgVhaxX/template/0-7sbz2Kz0',
        tags: { Environment: 'Production' },
      },
    ]);
  });
});
