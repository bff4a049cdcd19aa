/**
 * Reading input files for the fetch stage: which files a set of paths names, their text
 * (gzip or not), and JSON values from them line by line or as whole documents. The readers
 * built on these report bad content as rejections; only a path that cannot be read throws.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import Parser from 'stream-json/Parser';
import StreamValues from 'stream-json/streamers/StreamValues';

/** Names a directory walk picks up; a file named explicitly is read whatever its name. */
const INPUT_SUFFIXES = ['.json', '.jsonl', '.ndjson', '.gz'];

/** How much of a file's start is looked at to choose how to read it. */
const PEEK_CHARS = 1 << 20;

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many symbolic links',
};

/** An error from the file system (it names a syscall), as opposed to bad content. */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return typeof err === 'object' && err !== null && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** `cannot read /x/y: no such file or directory` */
export function cannotRead(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = (code && FS_REASONS[code]) ?? errorMessage(err);
  return new Error(`cannot read ${path}: ${reason}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What broke a stream of content: zlib errors carry a `Z_…` code, the JSON parser's do not. */
export function describeBreak(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_') ? 'corrupt gzip data' : 'invalid JSON';
}

function isInputName(name: string): boolean {
  const lower = name.toLowerCase();
  return INPUT_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/** Code-unit order: the same on every machine, whatever the locale. */
const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The files the given paths name, in a deterministic order: a file as given, a directory
 * walked recursively in name order (symbolic links followed, each directory once). Every
 * given path is checked before the first file comes out, so a typo fails before any work.
 */
export async function* listInputFiles(paths: string[]): AsyncGenerator<string> {
  const kinds: Array<'file' | 'directory'> = [];
  for (const path of paths) {
    try {
      kinds.push((await stat(path)).isDirectory() ? 'directory' : 'file');
    } catch (err) {
      throw cannotRead(path, err);
    }
  }
  const visited = new Set<string>();
  for (const [i, path] of paths.entries()) {
    if (kinds[i] === 'file') yield path;
    else yield* walkDirectory(path, visited);
  }
}

async function* walkDirectory(dir: string, visited: Set<string>): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    // a directory reached twice (a link loop, or named twice) is read once
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw cannotRead(dir, err);
  }
  for (const entry of entries.sort(byName)) {
    const path = join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(path);
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        throw cannotRead(path, err);
      }
    }
    if (isDirectory) yield* walkDirectory(path, visited);
    else if (isFile && isInputName(entry.name)) yield path;
  }
}

/**
 * The file's content as bytes, gunzipped when it is gzip. Gzip is recognised by its magic
 * bytes (1f 8b), so a compressed file without `.gz` and a plain one with it both read right.
 */
export async function openTextStream(file: string): Promise<Readable> {
  let raw: Readable;
  let gzip: boolean;
  try {
    const handle = await open(file, 'r');
    try {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await handle.read(magic, 0, 2, 0);
      gzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    } catch (err) {
      await handle.close();
      throw err;
    }
    raw = handle.createReadStream({ start: 0 });
  } catch (err) {
    throw cannotRead(file, err);
  }
  if (!gzip) return raw;
  const gunzip = createGunzip();
  // pipeline passes a read error on to the gunzip stream and closes the file when it is destroyed
  pipeline(raw, gunzip, () => undefined);
  return gunzip;
}

/** The start of a file, enough to decide how to read it. */
export interface FileStart {
  /** the text from the first non-blank character on (a byte-order mark dropped), at most about 1 MiB */
  head: string;
  /** the first non-blank line, or null when it is longer than what was looked at */
  firstLine: string | null;
  /** the first non-blank line parses as JSON on its own */
  firstLineIsJson: boolean;
  /** something other than whitespace follows the first non-blank line */
  moreLines: boolean;
}

export async function peekFileStart(file: string): Promise<FileStart> {
  const input = await openTextStream(file);
  const decoder = new StringDecoder('utf8');
  let text = '';
  let ended = true;
  try {
    for await (const chunk of input) {
      text += decoder.write(chunk as Buffer);
      if (secondLineStarted(leadingTrimmed(text)) || text.length > PEEK_CHARS) {
        ended = false;
        break; // leaving the loop destroys the stream: the rest of the file is not read
      }
    }
  } catch (err) {
    if (isFileSystemError(err)) throw cannotRead(file, err);
    // bad content (corrupt gzip) is reported by the reader that comes next
  } finally {
    input.destroy();
  }
  const head = leadingTrimmed(text);
  const newline = head.indexOf('\n');
  const firstLine = newline >= 0 ? head.slice(0, newline).replace(/\r$/, '') : ended ? head : null;
  return {
    head: head.slice(0, PEEK_CHARS),
    firstLine,
    firstLineIsJson: firstLine !== null && parsesAsJson(firstLine),
    moreLines: newline >= 0 && /\S/.test(head.slice(newline + 1)),
  };
}

const leadingTrimmed = (text: string): string => text.replace(/^\uFEFF/, '').trimStart();

function secondLineStarted(head: string): boolean {
  const newline = head.indexOf('\n');
  return newline >= 0 && /\S/.test(head.slice(newline + 1));
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** One line of a JSON Lines file (blank lines are skipped; `line` counts every line from 1). */
export type JsonLine =
  | { kind: 'json'; line: number; text: string; value: unknown }
  | { kind: 'not-json'; line: number; text: string; reason: string }
  /** the content stopped being readable (corrupt gzip): nothing follows */
  | { kind: 'broken'; line: number; reason: string };

export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  const input = await openTextStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let count = 0;
  let broken: JsonLine | null = null;
  try {
    for await (const raw of lines) {
      count += 1;
      const text = count === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let parsed: JsonLine;
      try {
        parsed = { kind: 'json', line: count, text, value: JSON.parse(text) };
      } catch (err) {
        parsed = { kind: 'not-json', line: count, text, reason: errorMessage(err) };
      }
      yield parsed;
    }
  } catch (err) {
    if (isFileSystemError(err)) throw cannotRead(file, err);
    const where = count > 0 ? ` after line ${count}` : '';
    broken = { kind: 'broken', line: count + 1, reason: `${describeBreak(err)}${where}: ${errorMessage(err)}` };
  } finally {
    lines.close();
    input.destroy();
  }
  if (broken) yield broken;
}

/** A stream-json token; with packed, unstreamed values only whole keys, strings and numbers come. */
export interface JsonToken {
  name: string;
  value?: string;
}

/** Receives tokens one at a time and puts what they complete in `out`. */
export interface JsonTokenWalker<T> {
  readonly out: T[];
  push(token: JsonToken): void;
}

/**
 * Feeds every token of a file holding one or more JSON documents (pretty-printed or
 * concatenated) to `walker`, yielding what it completes. The file is read one chunk at a time
 * and only once the walker's output has been taken, so memory stays bounded. Throws where the
 * JSON or the gzip stream breaks, after yielding everything completed before that point.
 */
export async function* walkJsonTokens<T>(file: string, walker: JsonTokenWalker<T>): AsyncGenerator<T> {
  const input = await openTextStream(file);
  const parser = new Parser({ jsonStreaming: true, packValues: true, streamValues: false });
  let failure: unknown = null;
  // Never paused, the parser hands each token over as it is found: none is still buffered
  // inside the stream when an error stops it, so every record before a break comes out.
  parser.on('data', (token: JsonToken) => walker.push(token));
  parser.on('error', (err) => {
    failure ??= err;
  });
  const ended = new Promise<void>((resolve) => {
    parser.once('end', resolve);
    parser.once('close', resolve);
  });
  const chunks = input[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (walker.out.length > 0) {
        yield* walker.out.splice(0);
        continue;
      }
      if (failure) throw failure;
      const next = await chunks.next();
      if (next.done) break;
      parser.write(next.value);
    }
    parser.end();
    await ended;
    yield* walker.out.splice(0);
    if (failure) throw failure;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** Each whole JSON document in the file, numbered from 1; throws where the JSON breaks. */
export async function* readJsonDocuments(file: string): AsyncGenerator<{ index: number; value: unknown }> {
  const input = await openTextStream(file);
  const values = new StreamValues();
  pipeline(input, new Parser({ jsonStreaming: true }), values, () => undefined);
  for await (const item of values as AsyncIterable<{ key: number; value: unknown }>) {
    yield { index: item.key + 1, value: item.value };
  }
}

/**
 * Reads a file as whole documents; where the JSON breaks, says so once after what was read.
 * When it breaks before anything came out and the file has several lines, it is read as
 * JSON Lines instead: a first line that is not JSON is then one rejection among good lines.
 */
export async function* readDocumentOrLines<T>(
  file: string,
  how: {
    lineFallback: boolean;
    document: () => AsyncIterable<T>;
    lines: () => AsyncIterable<T>;
    positionOf: (item: T) => string;
    broken: (position: string, reason: string) => T;
  },
): AsyncGenerator<T> {
  let last: string | null = null;
  let failure: unknown = null;
  const items = how.document()[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await items.next();
      } catch (err) {
        failure = err;
        break;
      }
      if (next.done) return;
      last = how.positionOf(next.value);
      yield next.value;
    }
  } finally {
    // a consumer that stops early closes the file
    if (failure === null) await items.return?.();
  }
  if (isFileSystemError(failure)) throw cannotRead(file, failure);
  if (last === null && how.lineFallback) {
    yield* how.lines();
    return;
  }
  const what = describeBreak(failure);
  yield last === null
    ? how.broken('document', `${what}: ${errorMessage(failure)}`)
    : how.broken(`after ${last}`, `${what} after ${last}: ${errorMessage(failure)}`);
}
