/**
 * `govgraph simulate`, `who-can` and `grants`: thin callers of src/access. They print what the
 * GraphQL API answers (`--json`: the same objects, through the resolvers' own mappers), or lines
 * for people.
 */
import 'reflect-metadata'; // before the type-graphql classes the resolver module brings in
import type { Pool } from 'pg';
import { listPolicyGrants, simulateAccess, whoCan, type ContextEntry, type Simulation } from '../access/access-service';
import { checkPrincipalArn, notFoundAt, principalAccessAt } from '../access/facts';
import { grantPageRequest, type KeyedGrant } from '../read/grants';
import { MAX_PAGE_SIZE } from '../read/pagination';
import { toDecision, toPolicyGrant } from '../resolvers/access.resolver';
import type { ConditionTest, DecidingStatement } from '../schema/access.type';
import { PolicyEffect, type PolicySource } from '../schema/policy-grant.type';

/** `key=value[,value]…` → a context entry; `key=` is the key with no value (absent). */
export function parseContextOption(text: string): ContextEntry {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--context "${text}" must be key=value[,value…], e.g. sagemaker:VpcSubnets=subnet-0abc`);
  const value = text.slice(eq + 1);
  return { key: text.slice(0, eq), values: value === '' ? [] : value.split(',') };
}

/** GraphQL serialises an enum by its name: `Allow` → `ALLOW`. */
const effectName = (effect: PolicyEffect) => (effect === PolicyEffect.DENY ? 'DENY' : 'ALLOW');

/** The Decision as GraphQL gives it (its own fields; `principal`, a link to the Principal, left out). */
function decisionJson(sim: Simulation) {
  const d = toDecision(sim);
  return {
    decision: d.decision,
    decidingStatements: d.decidingStatements.map((s) => ({ ...s, effect: effectName(s.effect) })),
    missingContextKeys: d.missingContextKeys,
    deniedBy: d.deniedBy,
    explanation: d.explanation,
    at: d.at,
    principalArn: d.principalArn,
    sessionArn: d.sessionArn,
    action: d.action,
    resourceArn: d.resourceArn,
    resourceTags: d.resourceTags,
    context: d.context,
  };
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

export async function runSimulate(pool: Pool, principalArn: string, action: string, resourceArn: string | undefined, o: AccessOptions): Promise<string> {
  const sim = await simulateAccess(pool, { principalArn, action, resourceArn, context: o.context, at: o.at });
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
