/**
 * Fetch stage for CloudTrail files: every record inside a file, whatever AWS wrapped it in,
 * as a SourceRecord with its position, or a rejection saying why it could not be read.
 * Log files as delivered to S3 (`{"Records":[…]}`, often one line of hundreds of MB) are
 * streamed record by record so memory stays flat.
 */
import type { SourceItem } from '../domain/cloudtrail/source-item';
import {
  errorMessage,
  type JsonToken,
  type JsonTokenWalker,
  listInputFiles,
  peekFileStart,
  readDocumentOrLines,
  readJsonLines,
  walkJsonTokens,
} from './files';

/** A record read from a file, or what could not be read as one (shared with the LookupEvents reader). */
export type { SourceItem };

/** A log file starts this way; pretty-printed ones too. */
import { scanLogFile } from './log-file-scanner';
const LOG_FILE_START = /^\{\s*"Records"\s*:\s*\[/;

export async function* readCloudTrailPaths(paths: string[]): AsyncGenerator<SourceItem> {
  for await (const file of listInputFiles(paths)) yield* readCloudTrailFile(file);
}

/**
 * Reads one file: a log file (`{"Records":[…]}`, streamed), JSON Lines of records or of any
 * envelope below, or one pretty-printed document. Throws only when the file cannot be read.
 */
export async function* readCloudTrailFile(file: string): AsyncGenerator<SourceItem> {
  const start = await peekFileStart(file);
  const lines = () => readCloudTrailLines(file);
  // a first line that parses on its own, and more lines: JSON Lines, even of whole log files
  if (start.firstLineIsJson && start.moreLines) return yield* lines();
  const logFile = LOG_FILE_START.test(start.head);
  // the common case, and the large one: a log file as delivered to S3
  if (logFile) return yield* scanLogFile(file);
  // a first line that is not JSON but is followed by more: most likely one pretty-printed document
  const prettyDocument = !start.firstLineIsJson && start.moreLines;
  if (!logFile && !prettyDocument) return yield* lines();
  yield* readDocumentOrLines<SourceItem>(file, {
    lineFallback: prettyDocument,
    document: () => readCloudTrailDocuments(file),
    lines,
    positionOf: positionOfItem,
    broken: (position, reason) => rejectedItem(file, position, reason, ''),
  });
}

async function* readCloudTrailLines(file: string): AsyncGenerator<SourceItem> {
  for await (const line of readJsonLines(file)) {
    const at = `line ${line.line}`;
    if (line.kind === 'json') yield* unwrapCloudTrailValue(line.value, { source: file, path: [at], lineText: line.text });
    else if (line.kind === 'not-json') yield rejectedItem(file, at, `not JSON: ${line.reason}`, line.text);
    else yield rejectedItem(file, at, line.reason, '');
  }
}

function readCloudTrailDocuments(file: string): AsyncGenerator<SourceItem> {
  return walkJsonTokens(file, new CloudTrailDocumentWalker(file));
}

interface UnwrapContext {
  source: string;
  /** position so far: `line 3`, `Records[2]`… */
  path: string[];
  /** the exact line, when the value is a whole line of JSON Lines */
  lineText?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const positionText = (path: string[]): string => (path.length > 0 ? path.join(' ') : 'document');

const positionOfItem = (item: SourceItem): string => (item.kind === 'record' ? item.record.position : item.rejected.position);

function recordItem(source: string, path: string[], value: unknown, text?: string): SourceItem {
  return { kind: 'record', record: { source, position: positionText(path), value, text: text ?? JSON.stringify(value) } };
}

function rejectedItem(source: string, position: string, reason: string, raw: string): SourceItem {
  return { kind: 'rejected', rejected: { source, position, reason, raw } };
}

/** A record by shape: what an Insights event listed by LookupEvents looks like inline. */
const looksLikeRecord = (value: Record<string, unknown>): boolean => 'eventID' in value || 'eventTime' in value;

/**
 * The CloudTrail records inside one JSON value, by envelope. Anything that is not a known
 * envelope is taken as a bare record: validation, the next stage, says what is wrong with it.
 */
export function* unwrapCloudTrailValue(value: unknown, ctx: UnwrapContext): Generator<SourceItem> {
  const { source, path } = ctx;
  const raw = () => ctx.lineText ?? JSON.stringify(value);
  if (Array.isArray(value)) {
    for (const [i, element] of value.entries()) yield* unwrapCloudTrailValue(element, { source, path: [...path, `[${i}]`] });
    return;
  }
  if (!isObject(value)) {
    yield recordItem(source, path, value, ctx.lineText);
    return;
  }
  if (Array.isArray(value.Records)) {
    for (const [i, record] of value.Records.entries()) yield recordItem(source, [...path, `Records[${i}]`], record);
    return;
  }
  if ('QueryResultRows' in value) {
    yield rejectedItem(source, positionText(path), 'CloudTrail Lake query results are not supported', raw());
    return;
  }
  const detailType = value['detail-type'];
  if (typeof detailType === 'string') {
    if (!detailType.includes('via CloudTrail')) {
      yield rejectedItem(source, positionText(path), `EventBridge detail-type ${JSON.stringify(detailType)} is not a CloudTrail event`, raw());
    } else if (!isObject(value.detail)) {
      yield rejectedItem(source, positionText(path), 'EventBridge event has no detail object', raw());
    } else {
      yield recordItem(source, [...path, 'detail'], value.detail);
    }
    return;
  }
  // Test events are often saved without detail-type; `source: "aws.*"` and a detail object still say EventBridge.
  if (isObject(value.detail) && typeof value.source === 'string' && value.source.startsWith('aws.') && !looksLikeRecord(value)) {
    yield recordItem(source, [...path, 'detail'], value.detail);
    return;
  }
  if (Array.isArray(value.Events)) {
    for (const [i, event] of value.Events.entries()) yield lookupEventItem(source, [...path, `Events[${i}]`], event);
    return;
  }
  if (Array.isArray(value.logEvents)) {
    // a control message only checks that the destination is reachable: it carries no records
    if (value.messageType === 'CONTROL_MESSAGE') return;
    for (const [i, logEvent] of value.logEvents.entries()) yield logEventItem(source, [...path, `logEvents[${i}]`], logEvent);
    return;
  }
  yield recordItem(source, path, value, ctx.lineText);
}

/** LookupEvents gives the record as a JSON string in `CloudTrailEvent`; Insights events come inline. */
function lookupEventItem(source: string, path: string[], event: unknown): SourceItem {
  if (isObject(event) && typeof event.CloudTrailEvent === 'string') {
    return parsedStringItem(source, path, event.CloudTrailEvent, 'CloudTrailEvent');
  }
  if (isObject(event) && looksLikeRecord(event)) return recordItem(source, path, event);
  return rejectedItem(source, positionText(path), 'LookupEvents event has no CloudTrailEvent', JSON.stringify(event));
}

/** A CloudWatch Logs subscription carries each record as the `message` string of a log event. */
function logEventItem(source: string, path: string[], logEvent: unknown): SourceItem {
  if (isObject(logEvent) && typeof logEvent.message === 'string') return parsedStringItem(source, path, logEvent.message, 'message');
  return rejectedItem(source, positionText(path), 'CloudWatch Logs event has no message', JSON.stringify(logEvent));
}

function parsedStringItem(source: string, path: string[], text: string, field: string): SourceItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return rejectedItem(source, positionText(path), `${field} is not JSON: ${errorMessage(err)}`, text);
  }
  return recordItem(source, path, value);
}

/**
 * Builds one JSON value from parser tokens. Unlike stream-json's Assembler, a `__proto__` key
 * stays an ordinary property (as with JSON.parse) instead of replacing the object's prototype,
 * so no field of a record is lost.
 */
class JsonValueBuilder {
  private readonly containers: Array<unknown[] | Record<string, unknown>> = [];
  private readonly keys: Array<string | null> = [];
  private key: string | null = null;
  value: unknown = undefined;

  /** true when the token completes the value */
  push(token: JsonToken): boolean {
    switch (token.name) {
      case 'startObject':
        return this.open({});
      case 'startArray':
        return this.open([]);
      case 'endObject':
      case 'endArray':
        return this.close();
      case 'keyValue':
        this.key = token.value ?? '';
        return false;
      case 'stringValue':
        return this.add(token.value ?? '');
      case 'numberValue':
        return this.add(Number(token.value));
      case 'nullValue':
        return this.add(null);
      case 'trueValue':
        return this.add(true);
      case 'falseValue':
        return this.add(false);
      default:
        return false;
    }
  }

  private open(container: unknown[] | Record<string, unknown>): boolean {
    this.keys.push(this.key);
    this.containers.push(container);
    this.key = null;
    return false;
  }

  private close(): boolean {
    const done = this.containers.pop();
    this.key = this.keys.pop() ?? null;
    return this.add(done);
  }

  private add(value: unknown): boolean {
    const parent = this.containers[this.containers.length - 1];
    if (parent === undefined) {
      this.value = value;
      return true;
    }
    const key = this.key ?? '';
    if (Array.isArray(parent)) parent.push(value);
    else if (key === '__proto__') Object.defineProperty(parent, key, { value, writable: true, enumerable: true, configurable: true });
    else parent[key] = value;
    this.key = null;
    return false;
  }
}

/**
 * Walks the tokens of one or more concatenated JSON documents. The `Records` array of a
 * top-level object and the elements of a top-level array are built one element at a time, so
 * a log file of any size needs memory for one record only; any other top-level value is built
 * whole and unwrapped. Positions: `Records[i]`, `[i]`, `detail`…; from the second document on
 * they start with `value N`.
 */
class CloudTrailDocumentWalker implements JsonTokenWalker<SourceItem> {
  readonly out: SourceItem[] = [];
  private documents = 0;
  /** the top-level object being built (without its streamed Records) */
  private top: JsonValueBuilder | null = null;
  /** nesting depth inside `top` */
  private depth = 0;
  private recordsKeyPending = false;
  private recordsStreamed = false;
  private elements: { kind: 'Records' | 'array'; index: number; current: JsonValueBuilder | null } | null = null;

  constructor(private readonly source: string) {}

  push(token: JsonToken): void {
    if (this.elements) this.pushElement(token, this.elements);
    else if (this.top) this.pushTopObject(token, this.top);
    else this.startDocument(token);
  }

  private prefix(): string[] {
    return this.documents > 1 ? [`value ${this.documents}`] : [];
  }

  private startDocument(token: JsonToken): void {
    this.documents += 1;
    if (token.name === 'startObject') {
      this.top = new JsonValueBuilder();
      this.top.push(token);
      this.depth = 1;
      this.recordsStreamed = false;
    } else if (token.name === 'startArray') {
      this.elements = { kind: 'array', index: 0, current: null };
    } else {
      const scalar = new JsonValueBuilder();
      scalar.push(token);
      this.out.push(...unwrapCloudTrailValue(scalar.value, { source: this.source, path: this.prefix() }));
    }
  }

  private pushTopObject(token: JsonToken, top: JsonValueBuilder): void {
    if (this.recordsKeyPending) {
      this.recordsKeyPending = false;
      if (token.name === 'startArray') {
        this.elements = { kind: 'Records', index: 0, current: null };
        return;
      }
      top.push({ name: 'keyValue', value: 'Records' });
    } else if (this.depth === 1 && token.name === 'keyValue' && token.value === 'Records') {
      this.recordsKeyPending = true; // streamed only if its value is an array
      return;
    }
    if (token.name === 'startObject' || token.name === 'startArray') this.depth += 1;
    else if (token.name === 'endObject' || token.name === 'endArray') this.depth -= 1;
    if (!top.push(token)) return;
    this.top = null;
    // a log file's other keys (none in practice) carry no records
    if (!this.recordsStreamed) this.out.push(...unwrapCloudTrailValue(top.value, { source: this.source, path: this.prefix() }));
  }

  private pushElement(token: JsonToken, elements: NonNullable<CloudTrailDocumentWalker['elements']>): void {
    if (elements.current === null) {
      if (token.name === 'endArray') {
        this.elements = null;
        if (elements.kind === 'Records') this.recordsStreamed = true;
        return;
      }
      elements.current = new JsonValueBuilder();
    }
    if (!elements.current.push(token)) return;
    const value = elements.current.value;
    elements.current = null;
    const i = elements.index++;
    if (elements.kind === 'Records') this.out.push(recordItem(this.source, [...this.prefix(), `Records[${i}]`], value));
    else this.out.push(...unwrapCloudTrailValue(value, { source: this.source, path: [...this.prefix(), `[${i}]`] }));
  }
}
