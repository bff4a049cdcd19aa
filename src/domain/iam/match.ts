/**
 * Action and resource patterns ("IAM JSON policy elements: Action", "…: Resource").
 *
 * - Actions: `service:Action`, case-insensitive; `*` is any run of characters, `?` one character.
 * - Resources: case-sensitive ARNs. In the first five colon-separated segments a wildcard stays
 *   inside its segment, except that "if the * wildcard is the last character of a resource ARN
 *   segment, it can expand to match beyond the colon boundaries"; in the resource part (after the
 *   fifth colon) `*` and `?` match anything, `/` and `:` included. Variables are substituted first
 *   (2012-10-17 documents); an entry with an unresolved variable matches no resource.
 *
 * Patterns compile to RegExp once and are cached: `whoCan` tests tens of thousands of statements
 * per request.
 */
import { escapeRegExp } from '../rules/principal-patterns';
import { hasVariables, literalTemplate, substituteVariables, type TemplatePart } from './variables';
import type { RequestContext } from './types';

const CACHE_LIMIT = 50_000;
const actionPatterns = new Map<string, RegExp | string>();
const arnPatterns = new Map<string, RegExp>();
const likePatterns = new Map<string, RegExp>();
const arnLikePatterns = new Map<string, RegExp>();

/** Does an Action/NotAction entry match the requested action? */
export function matchesAction(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  let compiled = actionPatterns.get(pattern);
  if (compiled === undefined) {
    const lower = pattern.toLowerCase();
    compiled = /[*?]/.test(lower) ? new RegExp(`^${globBody([{ text: lower, literal: false }])}$`, 's') : lower;
    remember(actionPatterns, pattern, compiled);
  }
  return typeof compiled === 'string' ? compiled === action.toLowerCase() : compiled.test(action.toLowerCase());
}

export interface ResourceMatch {
  matched: boolean;
  /** keys of variables in the pattern that had no value (the entry then matches nothing) */
  unresolvedKeys: string[];
}

/**
 * Does a Resource/NotResource entry match the ARN? `substitute` is false for 2008-10-17
 * documents, whose `${…}` is literal text.
 */
export function matchResourcePattern(pattern: string, arn: string, context: RequestContext, substitute = true): ResourceMatch {
  if (pattern === '*') return { matched: true, unresolvedKeys: [] };
  const substitution = substitute && hasVariables(pattern) ? substituteVariables(pattern, context) : literalTemplate(pattern);
  if (substitution.value === null) return { matched: false, unresolvedKeys: substitution.unresolvedKeys };
  return { matched: compiled(arnPatterns, substitution.parts, arnPatternBody).test(arn), unresolvedKeys: [] };
}

/** Boolean form of matchResourcePattern. */
export function matchesResource(pattern: string, arn: string, context: RequestContext = {}): boolean {
  return matchResourcePattern(pattern, arn, context).matched;
}

/** StringLike: case-sensitive, `*` and `?` anywhere; literal parts (variables, escapes) never act as wildcards. */
export function matchesStringLike(parts: TemplatePart[], value: string): boolean {
  return compiled(likePatterns, parts, globBody).test(value);
}

/**
 * ArnLike/ArnEquals: "Each of the six colon-delimited components of the ARN is checked separately",
 * so a wildcard never crosses a colon in the first five; the resource component takes anything.
 */
export function matchesArnLike(parts: TemplatePart[], value: string): boolean {
  if (parts.length === 1 && !parts[0].literal && parts[0].text === '*') return true;
  return compiled(arnLikePatterns, parts, arnLikeBody).test(value);
}

function compiled(cache: Map<string, RegExp>, parts: TemplatePart[], body: (parts: TemplatePart[]) => string): RegExp {
  const key = parts.length === 1 && !parts[0].literal ? parts[0].text : JSON.stringify(parts);
  let regex = cache.get(key);
  if (!regex) {
    regex = new RegExp(`^${body(parts)}$`, 's');
    remember(cache, key, regex);
  }
  return regex;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  // Substituted patterns vary per principal; a full clear keeps memory bounded at a rare recompile.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

interface PatternChar {
  ch: string;
  literal: boolean;
}

function chars(parts: TemplatePart[]): PatternChar[] {
  const out: PatternChar[] = [];
  for (const part of parts) for (const ch of part.text) out.push({ ch, literal: part.literal });
  return out;
}

function globBody(parts: TemplatePart[]): string {
  return chars(parts)
    .map(({ ch, literal }) => (literal ? escapeRegExp(ch) : ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch)))
    .join('');
}

/** A Resource entry: a `*` ending one of the first five segments may run across colons. */
function arnPatternBody(parts: TemplatePart[]): string {
  return arnBody(parts, true);
}

/** ArnLike/ArnEquals: a wildcard never leaves its segment among the first five. */
function arnLikeBody(parts: TemplatePart[]): string {
  return arnBody(parts, false);
}

function arnBody(parts: TemplatePart[], segmentEndStarCrossesColons: boolean): string {
  const list = chars(parts);
  let colons = 0;
  return list
    .map(({ ch, literal }, i) => {
      if (ch === ':') {
        colons++;
        return ':';
      }
      if (literal || (ch !== '*' && ch !== '?')) return escapeRegExp(ch);
      if (colons >= 5) return ch === '*' ? '.*' : '.';
      if (ch === '?') return '[^:]';
      const next = list[i + 1];
      return segmentEndStarCrossesColons && (next === undefined || next.ch === ':') ? '.*' : '[^:]*';
    })
    .join('');
}
