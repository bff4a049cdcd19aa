/**
 * Condition blocks, evaluated as "IAM JSON policy elements: Condition operators" and "Conditions with
 * multiple context keys or values" define them:
 *
 * - several operators: AND; several keys under one operator: AND; several values for one key: OR
 *   (a negated operator: the request value matches none of them);
 * - a key absent from the request: a plain operator is false, a negated one true, `…IfExists` true,
 *   `ForAllValues:` true, `ForAnyValue:` false; `Null` tests presence itself;
 * - with several request values (a multivalued key such as aws:TagKeys): `ForAnyValue:` needs one
 *   request value to match, `ForAllValues:` needs every one to. AWS says multivalued keys "require
 *   a condition set operator" and documents no result without one; we read a plain operator as
 *   needing one request value to match and a negated one as the negation of that;
 * - policy variables are substituted in String and Arn values only (2012-10-17 documents); a value
 *   whose variable has no value equals nothing, so a negated operator against it matches.
 *
 * A value that is not a number, date, IP address, boolean or base64 for its operator makes that
 * key's test false, whether the operator is negated or not: AWS refuses such policies when they are
 * saved, and a request that cannot be compared is not a match.
 */
import ipaddr from 'ipaddr.js';
import { matchesArnLike, matchesStringLike } from './match';
import { parseConditionOperator, type ParsedOperator } from './operators';
import { contextValues, hasVariables, literalTemplate, substituteVariables, type Substitution } from './variables';
import type { ConditionBlock, RequestContext } from './types';

export interface ConditionOutcome {
  matched: boolean;
  /** keys the block asked about that the request context lacked (variables' keys included), as written */
  missingKeys: string[];
}

export interface ConditionOptions {
  /** names the statement in errors, e.g. `statement AllowX` */
  where?: string;
  /** false for 2008-10-17 documents, which read `${…}` literally */
  substituteVariables?: boolean;
}

/** One key under one operator, compiled. */
interface CompiledEntry {
  operator: ParsedOperator;
  key: string;
  /** null when a policy value cannot be read for the operator's type: the test is then false */
  test: ((value: string, context: RequestContext, unresolved: string[]) => boolean | undefined) | null;
}

export interface CompiledConditionBlock {
  entries: CompiledEntry[];
}

const compiledWithVariables = new WeakMap<ConditionBlock, CompiledConditionBlock>();
const compiledLiteral = new WeakMap<ConditionBlock, CompiledConditionBlock>();

/** Evaluates a whole Condition block against the request context. */
export function evaluateConditionBlock(block: ConditionBlock, context: RequestContext, options: ConditionOptions = {}): ConditionOutcome {
  return evaluateCompiledCondition(compileConditionBlock(block, options), context);
}

/** Compiles (once per block object) so repeated evaluations parse nothing. */
export function compileConditionBlock(block: ConditionBlock, options: ConditionOptions = {}): CompiledConditionBlock {
  const substitute = options.substituteVariables !== false;
  const cache = substitute ? compiledWithVariables : compiledLiteral;
  const cached = cache.get(block);
  if (cached) return cached;
  const where = options.where ?? 'the condition block';
  const entries: CompiledEntry[] = [];
  for (const [name, keys] of Object.entries(block)) {
    const operator = parseConditionOperator(name, where);
    for (const [key, values] of Object.entries(keys)) entries.push({ operator, key, test: compileTest(operator, values, substitute) });
  }
  const compiled = { entries };
  cache.set(block, compiled);
  return compiled;
}

/** Every entry is evaluated (no short cut) so that missingKeys lists all the keys the block needed. */
export function evaluateCompiledCondition(block: CompiledConditionBlock, context: RequestContext): ConditionOutcome {
  let matched = true;
  const missingKeys: string[] = [];
  for (const entry of block.entries) {
    if (!evaluateEntry(entry, context, missingKeys)) matched = false;
  }
  return { matched, missingKeys: dedupe(missingKeys) };
}

function evaluateEntry(entry: CompiledEntry, context: RequestContext, missing: string[]): boolean {
  const { operator, key, test } = entry;
  const requestValues = contextValues(context, key);
  if (operator.family === 'Null') {
    if (requestValues === undefined) missing.push(key);
    return test !== null && test(requestValues === undefined ? 'absent' : 'present', context, missing) === true;
  }
  if (requestValues === undefined) {
    missing.push(key);
    if (operator.ifExists) return true;
    if (operator.setOperator === 'ForAllValues') return true;
    if (operator.setOperator === 'ForAnyValue') return false;
    return operator.negated;
  }
  if (test === null) return false;
  let unreadable = false;
  const matchesSome = (value: string): boolean => {
    const result = test(value, context, missing);
    if (result === undefined) unreadable = true;
    return result === true;
  };
  let result: boolean;
  if (operator.setOperator === 'ForAnyValue') {
    result = requestValues.some((v) => matchesSome(v) !== operator.negated);
  } else if (operator.setOperator === 'ForAllValues') {
    result = requestValues.every((v) => matchesSome(v) !== operator.negated);
  } else {
    const any = requestValues.some(matchesSome);
    result = operator.negated ? !any : any;
  }
  return unreadable ? false : result;
}

type ValueTest = NonNullable<CompiledEntry['test']>;

/** The positive test "does this request value match any policy value?" (negation is applied by the caller). */
function compileTest(operator: ParsedOperator, values: string[], substitute: boolean): ValueTest | null {
  switch (operator.family) {
    case 'String':
    case 'Arn':
      return stringTest(operator, values, substitute);
    case 'Numeric':
      return orderedTest(operator, values.map(parseNumber), parseNumber);
    case 'Date':
      return orderedTest(operator, values.map(parseDate), parseDate);
    case 'Bool': {
      const wanted = values.map(parseBool);
      if (wanted.some((w) => w === undefined)) return null;
      return (value) => {
        const actual = parseBool(value);
        return actual === undefined ? undefined : wanted.includes(actual);
      };
    }
    case 'Binary': {
      const wanted = values.map(parseBase64);
      if (wanted.some((w) => w === undefined)) return null;
      return (value) => {
        const actual = parseBase64(value);
        return actual === undefined ? undefined : wanted.some((w) => w!.equals(actual));
      };
    }
    case 'IpAddress': {
      const ranges = values.map(parseCidr);
      if (ranges.some((r) => r === undefined)) return null;
      return (value) => {
        const address = parseIp(value);
        if (address === undefined) return undefined;
        return ranges.some((range) => range![0].kind() === address.kind() && address.match(range!));
      };
    }
    case 'Null': {
      const wanted = values.map(parseBool);
      if (wanted.some((w) => w === undefined)) return null;
      // "true": the key must be absent; "false": it must be present.
      return (presence) => wanted.includes(presence === 'absent');
    }
  }
}

function stringTest(operator: ParsedOperator, values: string[], substitute: boolean): ValueTest {
  const needsSubstitution = substitute && values.some(hasVariables);
  const { comparison, family } = operator;
  if (!needsSubstitution && comparison === 'equals' && family === 'String') {
    const set = new Set(values);
    return (value) => set.has(value);
  }
  if (!needsSubstitution && comparison === 'equalsIgnoreCase') {
    const set = new Set(values.map((v) => v.toLowerCase()));
    return (value) => set.has(value.toLowerCase());
  }
  const statics = needsSubstitution ? null : values.map(literalTemplate);
  return (value, context, unresolved) => {
    const substitutions: Substitution[] =
      statics ?? values.map((v) => (hasVariables(v) ? substituteVariables(v, context) : literalTemplate(v)));
    return substitutions.some((s) => {
      if (s.value === null) {
        unresolved.push(...s.unresolvedKeys);
        return false; // effectively null: equal to and like nothing
      }
      if (family === 'Arn') return matchesArnLike(s.parts, value);
      if (comparison === 'like') return matchesStringLike(s.parts, value);
      if (comparison === 'equalsIgnoreCase') return s.value.toLowerCase() === value.toLowerCase();
      return s.value === value;
    });
  };
}

function orderedTest(operator: ParsedOperator, wanted: (number | undefined)[], parse: (v: string) => number | undefined): ValueTest | null {
  if (wanted.some((w) => w === undefined)) return null;
  const limits = wanted as number[];
  const compare = COMPARE[operator.comparison];
  return (value) => {
    const actual = parse(value);
    return actual === undefined ? undefined : limits.some((limit) => compare(actual, limit));
  };
}

const COMPARE: Record<string, (actual: number, limit: number) => boolean> = {
  equals: (a, l) => a === l,
  lt: (a, l) => a < l,
  le: (a, l) => a <= l,
  gt: (a, l) => a > l,
  ge: (a, l) => a >= l,
};

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

const EPOCH = /^\d+(\.\d+)?$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** ISO 8601 (`2026-11-10`, `2026-11-10T12:00:00Z`, with offset or fraction) or epoch seconds → epoch ms. */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH.test(trimmed)) return Number(trimmed) * 1000;
  const match = ISO_8601.exec(trimmed);
  if (!match) return undefined;
  // A time without a zone is read as UTC (JavaScript would read it as local time).
  let iso = match[4] !== undefined && match[10] === undefined ? `${trimmed}Z` : trimmed;
  iso = iso.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseBool(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.IPv4.parse(trimmed);
  // An IPv4-mapped IPv6 address is compared as the IPv4 address it carries.
  if (ipaddr.IPv6.isValid(trimmed)) return ipaddr.process(trimmed);
  return undefined;
}

/** `203.0.113.0/24`, `2001:DB8::/32`, or a bare address (IPv4 /32, IPv6 /128). */
function parseCidr(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = parseIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
  if (address === undefined) return undefined;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (slash < 0) return [address, max];
  const bitsText = trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  let bits = Number(bitsText);
  // `::ffff:10.0.0.0/104` was mapped to IPv4 above; its prefix counts the 96 mapping bits.
  if (address.kind() === 'ipv4' && ipaddr.IPv6.isValid(trimmed.slice(0, slash))) bits -= 96;
  if (bits < 0 || bits > max) return undefined;
  return [address, bits];
}

function dedupe(list: string[]): string[] {
  return list.length <= 1 ? list : [...new Set(list)];
}
