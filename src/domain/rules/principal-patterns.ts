/**
 * Principal patterns of the rule configuration (`notebookOnlyPrincipals`, `deployers`, suppressions):
 * an ARN where `*` stands for any run of characters, possibly none, and every other character
 * stands for itself. Matching is case-sensitive, as IAM's `ArnLike` is. Unlike `ArnLike`, a `*`
 * may run across `:` and `/` (`arn:aws:iam::*` matches every IAM ARN of every account), and `?`
 * is an ordinary character: the configuration documents `*` only.
 */

/** Compiled patterns, keyed by pattern text; configuration holds a handful, so the bound is generous. */
const compiled = new Map<string, RegExp>();
const MAX_CACHED = 1024;

/** The text with every character that means something in a regular expression escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The anchored expression a pattern stands for. Surrounding whitespace is dropped: an ARN never
 * contains any, so a stray space in the configuration would otherwise make a pattern match nothing.
 */
export function principalPatternRegExp(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const source = pattern.trim().split('*').map(escapeRegExp).join('[\\s\\S]*');
  const re = new RegExp(`^${source}$`);
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

/** Whether `value` matches `pattern` (pattern first, as the configuration reads: "this pattern covers that ARN"). */
export function matchesPrincipalPattern(pattern: string, value: string): boolean {
  return principalPatternRegExp(pattern).test(value);
}

/** The first pattern that covers `value`, for evidence; null when none does or there is no value. */
export function firstMatchingPattern(patterns: readonly string[], value: string | null): string | null {
  if (value === null) return null;
  return patterns.find((pattern) => matchesPrincipalPattern(pattern, value)) ?? null;
}
