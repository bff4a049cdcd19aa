import type { SourceItem } from '../domain/cloudtrail/source-item';
import { describeBreak, errorMessage, openTextStream } from './files';

/**
 * The fast path for CloudTrail log files as delivered to S3: `{"Records":[…]}`, usually one line
 * of up to hundreds of MB. A scanner finds where each element of the Records array begins and
 * ends (tracking strings, escapes and nesting only), and each element is then parsed with the
 * native JSON.parse. This is several times faster than a JavaScript JSON tokenizer, keeps memory
 * to one record at a time, and gives each record's exact text as received. A malformed record
 * is rejected on its own and the scan goes on; concatenated log files are read one after another.
 */

const LOG_FILE_START = /^\s*\{\s*"Records"\s*:\s*\[/;
const RAW_LIMIT = 1 << 20; // a rejected fragment is kept up to 1 MiB

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

type Phase = 'start' | 'elements' | 'end';

export async function* scanLogFile(file: string): AsyncGenerator<SourceItem> {
  const stream = await openTextStream(file);
  stream.setEncoding('utf8');
  let buf = '';
  let i = 0; // scan position in buf
  let phase: Phase = 'start';
  let document = 0;
  let index = 0; // element index within the current Records array
  let elementStart = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const position = () => `${document > 0 ? `value ${document + 1} ` : ''}Records[${index}]`;
  const record = (text: string): SourceItem => {
    try {
      return { kind: 'record', record: { source: file, position: position(), value: JSON.parse(text), text } };
    } catch (err) {
      return { kind: 'rejected', rejected: { source: file, position: position(), reason: `not JSON: ${(err as Error).message}`, raw: text.slice(0, RAW_LIMIT) } };
    }
  };

  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      buf = elementStart >= 0 ? buf.slice(elementStart) + chunk : buf.slice(i) + chunk;
      i = elementStart >= 0 ? i - elementStart : 0;
      if (elementStart >= 0) elementStart = 0;
      while (i < buf.length) {
        if (phase === 'start') {
          const rest = buf.slice(i);
          if (/^\s*$/.test(rest)) {
            i = buf.length;
            break;
          }
          const m = LOG_FILE_START.exec(rest);
          if (!m) {
            if (rest.length < 64 && !/[^\s{":Rrecods]/.test(rest)) break; // the opening may be split across chunks
            yield rejected(file, document > 0 ? `value ${document + 1}` : 'document', 'not a CloudTrail log file: expected {"Records":[', rest);
            return;
          }
          i += m[0].length;
          phase = 'elements';
          index = 0;
          continue;
        }
        if (phase === 'end') {
          // after the array: the closing brace of the document, then maybe another log file
          const c = buf.charCodeAt(i);
          if (c === CLOSE_BRACE) {
            phase = 'start';
            document++;
            i++;
          } else if (isSpace(c)) i++;
          else {
            yield rejected(file, `after ${position()}`, 'unexpected content after the Records array', buf.slice(i, i + 200));
            return;
          }
          continue;
        }
        // phase 'elements'
        if (elementStart < 0) {
          const c = buf.charCodeAt(i);
          if (isSpace(c) || c === COMMA) {
            i++;
            continue;
          }
          if (c === CLOSE_BRACKET) {
            phase = 'end';
            i++;
            continue;
          }
          elementStart = i;
          depth = 0;
          inString = false;
          escaped = false;
        }
        // inside an element: find where it ends
        let end = -1;
        for (; i < buf.length; i++) {
          if (inString) {
            // Most of a record is string content: jump to its closing quote natively.
            const close = closingQuote(buf, i, escaped);
            if (close < 0) {
              escaped = endsInEscape(buf, escaped ? i + 1 : i);
              i = buf.length;
              break;
            }
            i = close;
            inString = false;
            escaped = false;
            continue;
          }
          const c = buf.charCodeAt(i);
          if (c === QUOTE) inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            depth--;
            if (depth === 0) {
              end = i + 1;
              break;
            }
            if (depth < 0) {
              end = i; // a scalar element followed by the array's end
              break;
            }
          } else if (depth === 0 && c === COMMA) {
            end = i; // a scalar element
            break;
          }
        }
        if (end < 0) break; // need the next chunk
        yield record(buf.slice(elementStart, end).trim());
        index++;
        i = end;
        elementStart = -1;
      }
    }
  } catch (err) {
    // e.g. a gzip stream cut short: what was read stays stored
    yield rejected(file, `after ${position()}`, `${describeBreak(err)} after ${position()}: ${errorMessage(err)}`, '');
    return;
  }
  if (elementStart >= 0) {
    yield rejected(file, position(), `the file ends inside ${position()} (truncated?)`, buf.slice(elementStart, elementStart + RAW_LIMIT));
  } else if (phase === 'elements' || phase === 'end') {
    yield rejected(file, `after ${position()}`, 'the file ends before the Records array is closed (truncated?)', '');
  }
}

/**
 * Where the string being scanned from `from` ends: the first quote not escaped by an odd run of
 * backslashes before it; -1 when the buffer ends first. `escaped`: the character at `from` is
 * escaped (the previous buffer ended on a backslash).
 */
function closingQuote(buf: string, from: number, escaped: boolean): number {
  let at = escaped ? from + 1 : from;
  for (;;) {
    const q = buf.indexOf('"', at);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k >= at && buf.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    at = q + 1;
  }
}

/** Whether a string's content running to the end of the buffer ends on an unpaired backslash. */
function endsInEscape(buf: string, from: number): boolean {
  let backslashes = 0;
  for (let k = buf.length - 1; k >= from && buf.charCodeAt(k) === BACKSLASH; k--) backslashes++;
  return backslashes % 2 === 1;
}

function rejected(source: string, position: string, reason: string, raw: string): SourceItem {
  return { kind: 'rejected', rejected: { source, position, reason, raw: raw.slice(0, RAW_LIMIT) } };
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export const looksLikeLogFile = (head: string): boolean => LOG_FILE_START.test(head);
