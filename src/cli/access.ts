/**
 * `govgraph simulate`, `who-can` and `grants`: thin callers of src/access. They print what the
 * GraphQL API answers (`--json`: the same objects, through the resolvers' own mappers), or lines
 * for people.
 */
import 'reflect-metadata'; // before the type-graphql classes the resolver module brings in
import { readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import { listPolicyGrants, simulateAccess, whoCan, type ContextEntry, type SimulateInput, type Simulation } from '../access/access-service';
import { checkPrincipalArn, notFoundAt, principalAccessAt } from '../access/facts';
import { callerPolicy } from '../access/policies';
import type { PolicyKind } from '../domain/iam';
import { InvalidInputError } from '../read/errors';
import { grantPageRequest, type KeyedGrant } from '../read/grants';
import { MAX_PAGE_SIZE } from '../read/pagination';
import { toDecision, toPolicyGrant } from '../resolvers/access.resolver';
import type { ConditionTest, DecidingStatement } from '../schema/access.type';
import { PolicyEffect, type PolicySource } from '../schema/policy-grant.type';

/**
 * `key=value[,value]…` → a context entry: commas separate the values of a multivalued key, `\,` is a
 * comma inside a value and `\\` a backslash (as Helm's and kubectl's `--set` write them); `key=` is
 * the key with no value (absent).
 */
export function parseContextOption(text: string): ContextEntry {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidInputError(`--context "${text}" must be key=value[,value…], e.g. sagemaker:VpcSubnets=subnet-0abc`, '--context');
  const value = text.slice(eq + 1);
  return { key: text.slice(0, eq), values: value === '' ? [] : splitValues(value) };
}

/** `a,b\,c` → `a`, `b,c`: commas split, `\,` and `\\` are a literal comma and backslash, any other backslash stays. */
function splitValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === ',' || text[i + 1] === '\\')) current += text[++i];
    else if (c === ',') {
      values.push(current);
      current = '';
    } else current += c;
  }
  values.push(current);
  return values;
}

/** A JSON file a flag names; a missing, unreadable or non-JSON file is one line naming the flag and the file. */
async function readJsonFile(flag: string, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InvalidInputError(`${flag} ${file}: ${problem}`, flag);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')); // a byte-order mark (editors on Windows) is not content
  } catch (err) {
    throw new InvalidInputError(`${flag} ${file}: not JSON (${(err as Error).message})`, flag);
  }
}

/** A policy document file, checked as GraphQL checks its policy arguments (the file named on failure). */
async function readPolicyFile(flag: string, file: string, kind: PolicyKind, name: string): Promise<unknown> {
  const document = await readJsonFile(flag, file);
  callerPolicy(document, kind, `${flag} ${file}`, name);
  return document;
}

const CONTEXT_VALUE = 'a string, number or boolean, or a list of them';

/**
 * `--context-file FILE`: a JSON object of condition key → value (a string, number or boolean) or
 * list of values, or GraphQL's own `context` list of `{ "key", "values" }`. Values are taken as
 * written, commas included; `[]` is the key with no value (as `--context key=`).
 */
export async function readContextFile(file: string): Promise<ContextEntry[]> {
  const flag = '--context-file';
  const json = await readJsonFile(flag, file);
  const fail = (problem: string): never => {
    throw new InvalidInputError(`${flag} ${file}: ${problem}`, flag);
  };
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  const valuesOf = (key: string, v: unknown): string[] => {
    if (scalar(v)) return [String(v)];
    if (Array.isArray(v) && v.every(scalar)) return v.map(String);
    return fail(`the value of ${key} must be ${CONTEXT_VALUE}`);
  };
  if (Array.isArray(json)) {
    return json.map((e: unknown, i) => {
      const entry = e as { key?: unknown; values?: unknown } | null;
      if (!entry || typeof entry !== 'object' || typeof entry.key !== 'string' || !Array.isArray(entry.values)) {
        return fail(`entry ${i} must be { "key": "…", "values": […] }`);
      }
      return { key: entry.key, values: valuesOf(entry.key, entry.values) };
    });
  }
  if (json === null || typeof json !== 'object') return fail('must be a JSON object of condition key → value or list of values, e.g. {"aws:SourceIp": "10.0.0.0/8"}');
  return Object.entries(json).map(([key, v]) => ({ key, values: valuesOf(key, v) }));
}

/** The context the flags give: every `--context`, then the `--context-file` entries (a key given twice is refused by the service). */
export async function contextEntries(flags: readonly string[], file?: string): Promise<ContextEntry[]> {
  const entries = flags.map(parseContextOption);
  return file === undefined ? entries : [...entries, ...(await readContextFile(file))];
}

/** `--request-tag key=value` → the request's tags (aws:RequestTag/key and aws:TagKeys, derived by the service). */
export function parseRequestTags(flags: readonly string[]): Record<string, string> | null {
  if (flags.length === 0) return null;
  const tags: Record<string, string> = {};
  for (const text of flags) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new InvalidInputError(`--request-tag "${text}" must be key=value, e.g. team=TeamA`, '--request-tag');
    const key = text.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(tags, key)) throw new InvalidInputError(`--request-tag ${key} is given twice; a request carries one value per tag key`, '--request-tag');
    tags[key] = text.slice(eq + 1); // the value as written: commas and = included
  }
  return tags;
}

/** `[LEVEL:]FILE`: LEVEL a label such as root, ou-ab12-cdef5678 or an account id; none: root. */
const SCP_SPEC = /^([A-Za-z0-9][A-Za-z0-9_-]*):(.+)$/;

/**
 * `--scp [LEVEL:]FILE`…: each file one SCP document; the documents with the same LEVEL label are the
 * SCPs attached at that level of the organisation, and every level must allow (root first: levels
 * in the order their label is first given; a file without a label is at `root`).
 */
export async function readScpLevels(flags: readonly string[]): Promise<unknown[][] | null> {
  if (flags.length === 0) return null;
  const levels = new Map<string, unknown[]>();
  const specs = flags.map((text) => {
    const m = SCP_SPEC.exec(text);
    return m ? { level: m[1], file: m[2] } : { level: 'root', file: text };
  });
  for (const { level } of specs) if (!levels.has(level)) levels.set(level, []);
  const order = [...levels.keys()];
  for (const { level, file } of specs) {
    const list = levels.get(level)!;
    list.push(await readPolicyFile('--scp', file, 'SCP', `SCP ${list.length + 1} at level ${order.indexOf(level) + 1} (${level})`));
  }
  return [...levels.values()];
}

/** What `simulate` may be given beyond the principal's stored policies, from the flags' files. */
export type SimulationExtras = Pick<SimulateInput, 'resourcePolicy' | 'sessionPolicy' | 'serviceControlPolicies' | 'requestTags'>;

export async function readSimulationExtras(flags: { resourcePolicy?: string; sessionPolicy?: string; scp?: string[]; requestTag?: string[] }): Promise<SimulationExtras> {
  const out: SimulationExtras = {};
  if (flags.resourcePolicy !== undefined) out.resourcePolicy = await readPolicyFile('--resource-policy', flags.resourcePolicy, 'RESOURCE_POLICY', 'resource policy');
  if (flags.sessionPolicy !== undefined) out.sessionPolicy = await readPolicyFile('--session-policy', flags.sessionPolicy, 'SESSION_POLICY', 'session policy');
  const scps = await readScpLevels(flags.scp ?? []);
  if (scps) out.serviceControlPolicies = scps;
  const tags = parseRequestTags(flags.requestTag ?? []);
  if (tags) out.requestTags = tags;
  return out;
}

/** GraphQL serialises an enum by its name: `Allow` → `ALLOW`. */
const effectName = (effect: PolicyEffect) => (effect === PolicyEffect.DENY ? 'DENY' : 'ALLOW');

/** The Decision as GraphQL gives it: every field of toDecision's, but `principal` (a link to the Principal). */
function decisionJson(sim: Simulation) {
  const { principalKey: _link, ...d } = toDecision(sim);
  return { ...d, decidingStatements: d.decidingStatements.map((s) => ({ ...s, effect: effectName(s.effect) })) };
}

/** A PolicyGrant as GraphQL gives it (`principal` left out). */
function grantJson(g: KeyedGrant) {
  const p = toPolicyGrant(g);
  return {
    principalArn: p.principalArn,
    accountId: p.accountId,
    effect: effectName(p.effect),
    actions: p.actions,
    notActions: p.notActions,
    resources: p.resources,
    notResources: p.notResources,
    condition: p.condition,
    sid: p.sid,
    statementIndex: p.statementIndex,
    source: p.source,
    validFrom: p.validFrom,
    validTo: p.validTo,
    statement: p.statement,
  };
}

const quoted = (values: readonly (string | null)[]) => (values.length === 0 ? '(none)' : values.map((v) => (v === null ? '(no value)' : JSON.stringify(v))).join(', '));

/** `MANAGED SageMakerStudioDeveloperAccess v1`, `GROUP_INLINE team-a via arn:…:group/TeamA`. */
function policyLabel(s: PolicySource): string {
  return [s.kind, s.policyName ?? s.policyArn, s.versionId, s.viaGroup ? `via ${s.viaGroup}` : null].filter(Boolean).join(' ');
}

const statementLabel = (sid: string | null, index: number) => (sid ? `${sid} (#${index})` : `statement #${index}`);

function conditionLine(t: ConditionTest): string {
  const request = t.requestValues === null ? '(absent)' : quoted(t.requestValues);
  return `${t.operator} ${t.key}: policy ${quoted(t.policyValues)}, substituted ${quoted(t.resolvedValues)}; request ${request} → ${t.matched ? 'holds' : 'fails'}`;
}

function statementLines(s: DecidingStatement): string[] {
  const lines = [`  ${s.effect} ${statementLabel(s.sid, s.statementIndex)} in ${policyLabel(s.source)}${s.source.policyArn ? ` (${s.source.policyArn})` : ''}`];
  for (const t of s.conditions) lines.push(`    ${conditionLine(t)}`);
  return lines;
}

/** The simulation for people: the decision first, then why. */
function decisionText(sim: Simulation): string {
  const d = toDecision(sim);
  const tags = d.resourceTags.map((t) => `${t.key}=${t.value}`).join(', ');
  const lines = [
    `decision   ${d.decision}`,
    `denied by  ${d.deniedBy ?? '-'}`,
    `principal  ${d.principalArn}${d.sessionArn ? ` (session ${d.sessionArn})` : ''}`,
    `action     ${d.action}`,
    `resource   ${d.resourceArn}${tags ? ` (tags ${tags})` : ''}`,
    `at         ${d.at.toISOString()}`,
    `deciding statements:${d.decidingStatements.length === 0 ? ' none' : ''}`,
    ...d.decidingStatements.flatMap(statementLines),
    `missing context keys: ${d.missingContextKeys.length === 0 ? 'none' : d.missingContextKeys.join(', ')}`,
    'explanation:',
    ...d.explanation.map((e) => `  ${e}`),
  ];
  return `${lines.join('\n')}\n`;
}

export interface AccessOptions {
  context: ContextEntry[];
  at: Date;
  json: boolean;
}

/** The same service call as GraphQL `simulate`, with the files' policies and the request's tags. */
export async function runSimulate(pool: Pool, principalArn: string, action: string, resourceArn: string | undefined, o: AccessOptions & SimulationExtras): Promise<string> {
  const sim = await simulateAccess(pool, {
    principalArn,
    action,
    resourceArn,
    context: o.context,
    at: o.at,
    resourcePolicy: o.resourcePolicy,
    sessionPolicy: o.sessionPolicy,
    serviceControlPolicies: o.serviceControlPolicies,
    requestTags: o.requestTags,
  });
  return o.json ? `${JSON.stringify(decisionJson(sim))}\n` : decisionText(sim);
}

/** One line per allowed principal (text), or the array of AccessGrantee (JSON); `none` says when the text is empty. */
export async function runWhoCan(pool: Pool, action: string, resourceArn: string | undefined, o: AccessOptions & { accountId?: string }): Promise<{ out: string; none: string | null }> {
  const grantees = await whoCan(pool, { action, resourceArn, context: o.context, at: o.at, accountId: o.accountId });
  if (o.json) return { out: `${JSON.stringify(grantees.map((g) => ({ principalArn: g.principal.arn, decision: decisionJson(g.simulation) })))}\n`, none: null };
  const lines = grantees.map((g) => {
    const why = toDecision(g.simulation).decidingStatements.map((s) => `${statementLabel(s.sid, s.statementIndex)} in ${policyLabel(s.source)}`);
    return `${g.principal.arn}  ${why.join('; ')}\n`;
  });
  const none = lines.length === 0 ? `no IAM user or role is allowed ${action} on ${resourceArn ?? '*'} at ${o.at.toISOString()}` : null;
  return { out: lines.join(''), none };
}

function grantLine(g: KeyedGrant): string {
  const p = toPolicyGrant(g);
  const list = (label: string, v: string[] | null) => (v ? [`${label} ${v.join(',')}`] : []);
  const principal = (p.statement as { Principal?: unknown }).Principal;
  const parts = [
    p.effect,
    policyLabel(p.source),
    statementLabel(p.sid, p.statementIndex),
    ...list('Action', p.actions),
    ...list('NotAction', p.notActions),
    ...list('Resource', p.resources),
    ...list('NotResource', p.notResources),
    ...(principal !== undefined ? [`Principal ${JSON.stringify(principal)}`] : []),
    ...(p.condition ? [`Condition ${JSON.stringify(p.condition)}`] : []),
    `since ${p.validFrom.toISOString()}`,
  ];
  return `${parts.join('  ')}\n`;
}

/** Every grant of the principal valid at the moment, page after page. */
export async function runGrants(pool: Pool, principalArn: string, o: { at: Date; json: boolean }): Promise<string> {
  const grants: KeyedGrant[] = [];
  let after: string | null = null;
  do {
    const { page } = await listPolicyGrants(pool, { principalArn, at: o.at }, grantPageRequest(MAX_PAGE_SIZE, after));
    grants.push(...page.edges.map((e) => e.node));
    after = page.hasNextPage ? page.edges[page.edges.length - 1].cursor : null;
  } while (after !== null);
  if (grants.length === 0) {
    // no grant: say whether govgraph knows the principal then at all (as simulate does)
    const key = checkPrincipalArn(principalArn);
    if (!(await principalAccessAt(pool, key, o.at)).principal) throw await notFoundAt(pool, key, o.at);
  }
  return o.json ? `${JSON.stringify(grants.map(grantJson))}\n` : grants.map(grantLine).join('');
}
