/**
 * Policy variables ("IAM policy elements: Variables and tags"): `${aws:username}`,
 * `${aws:PrincipalTag/team}`, any context key, defaults `${aws:PrincipalTag/team, 'none'}` and the
 * escapes `${*}`, `${?}`, `${$}` (a literal `*`, `?`, `$` that never acts as a wildcard).
 *
 * AWS's rules for a variable with no value (no such key in the request, or a multivalued key, which
 * cannot be a variable), and no default: the value is "effectively null", so a Resource or
 * NotResource entry holding it matches no resource, a condition value holding it equals or is like
 * nothing, and therefore a negated operator (StringNotEquals…) against it *does* match. Only
 * documents of Version 2012-10-17 substitute variables; 2008-10-17 reads `${…}` literally.
 */
import type { RequestContext } from './types';

/** A piece of a substituted string: `literal` text came from a variable or an escape and holds no wildcards. */
export interface TemplatePart {
  text: string;
  literal: boolean;
}

export interface Substitution {
  /** the substituted string; null when a variable had no value and no default */
  value: string | null;
  parts: TemplatePart[];
  /** context keys (as written) whose variables could not be resolved */
  unresolvedKeys: string[];
}

type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'escape'; text: string }
  | { kind: 'variable'; key: string; fallback: string | null };

const ESCAPES: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };
const templates = new Map<string, Segment[]>();
const TEMPLATE_CACHE_LIMIT = 20_000;

export function hasVariables(text: string): boolean {
  return text.includes('${');
}

/** The context keys a string refers to through variables (defaults included), as written. */
export function variableKeys(text: string): string[] {
  return parseTemplate(text).flatMap((s) => (s.kind === 'variable' ? [s.key] : []));
}

/** Substitutes the variables of `text` from the request context. */
export function substituteVariables(text: string, context: RequestContext): Substitution {
  const parts: TemplatePart[] = [];
  const unresolvedKeys: string[] = [];
  for (const segment of parseTemplate(text)) {
    if (segment.kind === 'text') parts.push({ text: segment.text, literal: false });
    else if (segment.kind === 'escape') parts.push({ text: segment.text, literal: true });
    else {
      const values = contextValues(context, segment.key);
      if (values !== undefined && values.length === 1) parts.push({ text: values[0], literal: true });
      else if (segment.fallback !== null) parts.push({ text: segment.fallback, literal: true });
      else unresolvedKeys.push(segment.key);
    }
  }
  return { value: unresolvedKeys.length > 0 ? null : parts.map((p) => p.text).join(''), parts, unresolvedKeys };
}

/** The text as written, with no substitution (2008-10-17 documents): every character is pattern text. */
export function literalTemplate(text: string): Substitution {
  return { value: text, parts: [{ text, literal: false }], unresolvedKeys: [] };
}

/**
 * A context key's values, the key compared without regard to case ("Key names are
 * case-insensitive"). An empty list counts as absent. No index is cached on the context, so a
 * caller may reuse and change one context object between evaluations.
 */
export function contextValues(context: RequestContext, key: string): string[] | undefined {
  let values = Object.prototype.hasOwnProperty.call(context, key) ? context[key] : undefined;
  if (values === undefined) {
    const lower = key.toLowerCase();
    for (const candidate in context) {
      if (candidate.length === key.length && candidate.toLowerCase() === lower && Object.prototype.hasOwnProperty.call(context, candidate)) {
        values = context[candidate];
        break;
      }
    }
  }
  return values !== undefined && values.length > 0 ? values : undefined;
}

function parseTemplate(text: string): Segment[] {
  const cached = templates.get(text);
  if (cached) return cached;
  const segments: Segment[] = [];
  let buffer = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      buffer += text.slice(i);
      break;
    }
    buffer += text.slice(i, start);
    const parsed = parseReference(text, start);
    if (!parsed) {
      buffer += '${';
      i = start + 2;
      continue;
    }
    if (buffer) segments.push({ kind: 'text', text: buffer });
    buffer = '';
    segments.push(parsed.segment);
    i = parsed.end;
  }
  if (buffer) segments.push({ kind: 'text', text: buffer });
  if (templates.size >= TEMPLATE_CACHE_LIMIT) templates.clear();
  templates.set(text, segments);
  return segments;
}

/** `${…}` at `start` → its segment and the index after `}`; null when it is not a variable (kept literally). */
function parseReference(text: string, start: number): { segment: Segment; end: number } | null {
  const open = start + 2;
  const escape = ESCAPES[text[open]];
  if (escape !== undefined && text[open + 1] === '}') return { segment: { kind: 'escape', text: escape }, end: open + 2 };
  let j = open;
  while (j < text.length && text[j] !== '}' && text[j] !== ',') j++;
  if (j >= text.length) return null;
  const key = text.slice(open, j).trim();
  // A context key is `prefix:name`; anything else (`${var.bucket}` from a template tool) is text.
  if (!/^[A-Za-z0-9-]+:\S+$/.test(key)) return null;
  if (text[j] === '}') return { segment: { kind: 'variable', key, fallback: null }, end: j + 1 };
  // `${key, 'default'}`: spaces around the comma and the quotes are ignored.
  let k = j + 1;
  while (text[k] === ' ') k++;
  if (text[k] !== "'") return null;
  const close = text.indexOf("'", k + 1);
  if (close < 0) return null;
  let m = close + 1;
  while (text[m] === ' ') m++;
  if (text[m] !== '}') return null;
  return { segment: { kind: 'variable', key, fallback: text.slice(k + 1, close) }, end: m + 1 };
}
