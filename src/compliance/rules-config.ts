import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_RULE_CONFIG, RuleConfig, Severity } from '../domain/rules/types';

/**
 * The rule configuration file (YAML, or JSON, which YAML reads too): allow-lists, deployers,
 * notebook-only principals, the Service Catalog product, severity overrides, disabled rules and
 * suppressions by pattern with expiry. Validated at start; every problem is reported with the
 * line it is on.
 */

const severity = z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO']);
const isoDate = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a date (use 2027-01-31 or an ISO 8601 time)` });
    return z.NEVER;
  }
  return d;
});

const SuppressionSchema = z.object({
  rule: z.string().min(1).describe('rule id, or * for every rule'),
  resource: z.string().min(1).default('*'),
  principal: z.string().min(1).default('*'),
  reason: z.string().min(1),
  until: isoDate.optional(),
}).strict();

export const RulesFileSchema = z.object({
  teamTagKey: z.string().min(1).optional(),
  instanceTypeAllowList: z.record(z.string(), z.array(z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'an instance type looks like ml.m5.xlarge'))).default({}),
  deployers: z.array(z.string().min(1)).default([]),
  notebookOnlyPrincipals: z.array(z.string().min(1)).default([]),
  serviceCatalogProducts: z.array(z.string().regex(/^arn:[\w-]+:catalog:/, 'a Service Catalog product ARN starts with arn:aws:catalog:')).default([]),
  severityOverrides: z.record(z.string(), severity).default({}),
  disabledRules: z.array(z.string()).default([]),
  suppressions: z.array(SuppressionSchema).default([]),
}).strict();

export type Suppression = z.infer<typeof SuppressionSchema>;
export interface RulesFile {
  config: RuleConfig;
  suppressions: Suppression[];
}

export class RulesConfigError extends Error {}

/** Parses and validates the file's text; `knownRuleIds` catches typos in rule ids. */
export function parseRulesConfig(text: string, file: string, opts: { knownRuleIds: string[]; teamTagKey: string }): RulesFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? `${file}` : `${file}:${lines.linePos(offset).line}`);
  if (doc.errors.length > 0) {
    throw new RulesConfigError(`invalid rule configuration:\n${doc.errors.map((e) => `  ${at(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n')}`);
  }
  const parsed = RulesFileSchema.safeParse(doc.toJS() ?? {});
  const problems: string[] = [];
  const lineOf = (path: (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return file;
  };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      problems.push(`  ${lineOf(path)}: ${path.join('.') || '(top level)'}: ${issue.message}`);
    }
  } else {
    const f = parsed.data;
    const known = new Set(opts.knownRuleIds);
    const check = (ids: string[], where: string) =>
      ids.forEach((id, i) => { if (!known.has(id)) problems.push(`  ${lineOf([where, i])}: ${where}: unknown rule "${id}"`); });
    check(f.disabledRules, 'disabledRules');
    for (const id of Object.keys(f.severityOverrides)) if (!known.has(id)) problems.push(`  ${lineOf(['severityOverrides', id])}: severityOverrides: unknown rule "${id}"`);
    f.suppressions.forEach((s, i) => { if (s.rule !== '*' && !known.has(s.rule)) problems.push(`  ${lineOf(['suppressions', i, 'rule'])}: suppressions.${i}.rule: unknown rule "${s.rule}"`); });
    if (f.teamTagKey !== undefined && f.teamTagKey !== opts.teamTagKey) {
      problems.push(`  ${lineOf(['teamTagKey'])}: teamTagKey: "${f.teamTagKey}" differs from TEAM_TAG_KEY "${opts.teamTagKey}" used for ingestion`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new RulesConfigError(`invalid rule configuration:\n${problems.join('\n')}`);
  const f = parsed.data;
  return {
    config: {
      instanceTypeAllowList: f.instanceTypeAllowList,
      deployers: f.deployers,
      notebookOnlyPrincipals: f.notebookOnlyPrincipals,
      serviceCatalogProducts: f.serviceCatalogProducts,
      severityOverrides: f.severityOverrides as Record<string, Severity>,
      disabledRules: f.disabledRules,
    },
    suppressions: f.suppressions,
  };
}

export async function loadRulesConfig(file: string | undefined, opts: { knownRuleIds: string[]; teamTagKey: string }): Promise<RulesFile> {
  if (!file) return { config: DEFAULT_RULE_CONFIG, suppressions: [] };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RulesConfigError(`cannot read the rule configuration ${file}: ${(err as Error).message}`);
  }
  return parseRulesConfig(text, file, opts);
}
