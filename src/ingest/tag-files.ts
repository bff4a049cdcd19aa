/**
 * Fetch stage for saved tag inventory: GetResources responses (Resource Groups Tagging API),
 * one per line or one pretty-printed document, as received from the SDK or the CLI, or with
 * the `{"status_code":200,"data":{…}}` wrapper that recorded boto3 responses carry.
 */
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { listInputFiles, peekFileStart, readDocumentOrLines, readJsonDocuments, readJsonLines } from './files';

export type TagItem =
  | { kind: 'mapping'; source: string; position: string; resourceArn: string; tags: Record<string, string> }
  | { kind: 'rejected'; rejected: RejectedRecord };

/** Every resource tag mapping in the files the paths name; throws only for a path that cannot be read. */
export async function* readTagMappingFiles(paths: string[]): AsyncGenerator<TagItem> {
  for await (const file of listInputFiles(paths)) yield* readTagMappingFile(file);
}

export async function* readTagMappingFile(file: string): AsyncGenerator<TagItem> {
  const start = await peekFileStart(file);
  const lines = () => readTagMappingLines(file);
  // a first line that is not JSON but is followed by more: most likely one pretty-printed document
  if (start.firstLineIsJson || !start.moreLines) return yield* lines();
  yield* readDocumentOrLines<TagItem>(file, {
    lineFallback: true,
    document: () => readTagMappingDocuments(file),
    lines,
    positionOf: (item) => (item.kind === 'mapping' ? item.position : item.rejected.position),
    broken: (position, reason) => rejected(file, position, reason, ''),
  });
}

async function* readTagMappingLines(file: string): AsyncGenerator<TagItem> {
  for await (const line of readJsonLines(file)) {
    const at = `line ${line.line}`;
    if (line.kind === 'json') yield* unwrapGetResources(line.value, file, [at], line.text);
    else if (line.kind === 'not-json') yield rejected(file, at, `not JSON: ${line.reason}`, line.text);
    else yield rejected(file, at, line.reason, '');
  }
}

async function* readTagMappingDocuments(file: string): AsyncGenerator<TagItem> {
  // GetResources pages hold at most 100 resources: building each document whole is cheap
  for await (const doc of readJsonDocuments(file)) {
    yield* unwrapGetResources(doc.value, file, doc.index > 1 ? [`value ${doc.index}`] : []);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const positionText = (path: string[]): string => (path.length > 0 ? path.join(' ') : 'document');

function rejected(source: string, position: string, reason: string, raw: string): TagItem {
  return { kind: 'rejected', rejected: { source, position, reason, raw } };
}

/** The tag mappings of one GetResources response (or of an array of them). */
export function* unwrapGetResources(value: unknown, source: string, path: string[], lineText?: string): Generator<TagItem> {
  const raw = () => lineText ?? JSON.stringify(value);
  if (Array.isArray(value)) {
    for (const [i, element] of value.entries()) yield* unwrapGetResources(element, source, [...path, `[${i}]`]);
    return;
  }
  let response = value;
  if (isObject(value) && 'status_code' in value && isObject(value.data)) {
    const status = value.status_code;
    if (typeof status !== 'number' || status < 200 || status > 299) {
      yield rejected(source, positionText(path), `GetResources response has status ${JSON.stringify(status)}`, raw());
      return;
    }
    response = value.data;
  }
  if (!isObject(response) || !Array.isArray(response.ResourceTagMappingList)) {
    yield rejected(source, positionText(path), 'not a GetResources response: no ResourceTagMappingList', raw());
    return;
  }
  for (const [i, mapping] of response.ResourceTagMappingList.entries()) {
    yield toTagItem(mapping, source, positionText([...path, `ResourceTagMappingList[${i}]`]));
  }
}

function toTagItem(mapping: unknown, source: string, position: string): TagItem {
  const reject = (reason: string) => rejected(source, position, reason, JSON.stringify(mapping) ?? '');
  if (!isObject(mapping)) return reject('resource tag mapping is not a JSON object');
  if (typeof mapping.ResourceARN !== 'string') return reject('ResourceARN is missing or not a string');
  // published CLI output has been seen with a leading space in ResourceARN
  const resourceArn = mapping.ResourceARN.trim();
  if (!resourceArn.startsWith('arn:')) return reject(`ResourceARN ${JSON.stringify(mapping.ResourceARN)} is not an ARN`);
  const tagList = mapping.Tags ?? [];
  if (!Array.isArray(tagList)) return reject('Tags is not a list');
  const tags: Array<[string, string]> = [];
  for (const [i, tag] of tagList.entries()) {
    if (!isObject(tag) || typeof tag.Key !== 'string' || typeof tag.Value !== 'string') {
      return reject(`Tags[${i}] is not {"Key": string, "Value": string}`);
    }
    tags.push([tag.Key, tag.Value]);
  }
  // fromEntries keeps any key (even `__proto__`) as an own property; a repeated key: the last wins
  return { kind: 'mapping', source, position, resourceArn, tags: Object.fromEntries(tags) };
}
