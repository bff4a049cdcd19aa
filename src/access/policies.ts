/**
 * Stored grants → the policies the engine evaluates, and the pieces of a decision people read: the
 * statement as written and the condition tests it made. Statements are normalised once per
 * request and shared by every principal that receives them (the same managed policy version, the
 * same group policy), so the engine compiles each once however many principals `whoCan` weighs.
 */
import {
  DEFAULT_POLICY_VERSION,
  evaluateConditionBlock,
  normalizeStatement,
  parseConditionOperator,
  parsePolicyDocument,
  PolicyEvaluationError,
  substituteVariables,
  contextValues,
  type PolicyKind,
  type PolicySource,
  type PolicyStatement,
  type RequestContext,
  type SourcedPolicy,
} from '../domain/iam';
import type { PolicyGrantRow } from '../iam/grants-read';
import { InvalidInputError } from '../read/errors';

/** Kinds that are identity-based policies (the principal's own, attached, or through a group). */
export const IDENTITY_KINDS: readonly PolicyKind[] = ['INLINE', 'MANAGED', 'GROUP_INLINE', 'GROUP_MANAGED'];

/** The statement as its policy document holds it, for each normalised statement govgraph built. */
const asWritten = new WeakMap<PolicyStatement, Record<string, unknown>>();

export function statementAsWritten(statement: PolicyStatement): Record<string, unknown> | null {
  return asWritten.get(statement) ?? null;
}

const sourceKey = (s: PolicySource) => [s.kind, s.policyArn ?? '', s.policyName ?? '', s.versionId ?? '', s.viaGroupArn ?? '', s.attachedToArn ?? ''].join('\u0000');

/**
 * A policy shared by several principals keeps one identity: a managed policy version (directly,
 * through a group or as a boundary) or a group's inline policy. Only a principal's own inline
 * policies are its alone.
 */
function sharedKey(grant: PolicyGrantRow): string {
  const s = grant.source;
  if (s.policyArn) return `${s.kind === 'PERMISSIONS_BOUNDARY' ? 'B' : 'M'} ${s.policyArn} ${s.versionId ?? ''} ${grant.statementIndex}`;
  if (s.kind === 'GROUP_INLINE') return `G ${s.viaGroupArn ?? ''} ${s.policyName ?? ''} ${grant.statementIndex}`;
  return '';
}

/** The Version the engine reads a grant's statement under: its document's, else AWS's default (2008-10-17). */
export const versionOf = (grant: PolicyGrantRow): string => grant.documentVersion ?? DEFAULT_POLICY_VERSION;

/**
 * Normalises grants into statements, once each: a statement shared by many principals is one
 * object (the engine caches its compiled form per object).
 */
export class StatementNormalizer {
  private readonly shared = new Map<string, PolicyStatement>();
  /** statements read once for many grants (serviceGrantsAt parses each distinct text once) */
  private readonly sameObject = new WeakMap<object, Map<string, PolicyStatement>>();

  statementOf(grant: PolicyGrantRow): PolicyStatement {
    const key = sharedKey(grant);
    const version = versionOf(grant);
    const byObject = key ? undefined : this.sameObject.get(grant.statement);
    const objectKey = `${version} ${grant.statementIndex}`;
    const cached = key ? this.shared.get(key) : byObject?.get(objectKey);
    if (cached) return cached;
    let statement: PolicyStatement;
    try {
      statement = normalizeStatement(grant.statement, grant.statementIndex, version);
    } catch (err) {
      // AWS refuses such a policy when it is saved: a stored one is worth saying where it is.
      const where = grant.source.policyArn ?? `${grant.source.policyName ?? 'a policy'} of ${grant.source.attachedToArn ?? grant.principalArn}`;
      throw new Error(`the stored policy ${where} cannot be evaluated: ${(err as Error).message}`);
    }
    asWritten.set(statement, grant.statement);
    if (key) this.shared.set(key, statement);
    else if (byObject) byObject.set(objectKey, statement);
    else this.sameObject.set(grant.statement, new Map([[objectKey, statement]]));
    return statement;
  }

  /** One principal's grants → its policies, one per source, statements in document order. */
  policiesOf(grants: PolicyGrantRow[]): SourcedPolicy[] {
    const bySource = new Map<string, SourcedPolicy>();
    for (const grant of [...grants].sort((a, b) => a.statementIndex - b.statementIndex)) {
      const key = sourceKey(grant.source);
      let policy = bySource.get(key);
      if (!policy) {
        policy = { source: grant.source, document: { statements: [] } };
        bySource.set(key, policy);
      }
      policy.document.statements.push(this.statementOf(grant));
    }
    return [...bySource.values()];
  }
}

/** The identity policies and the permissions boundary (undefined: none set) of one principal's grants. */
export function splitGrants(normalizer: StatementNormalizer, grants: PolicyGrantRow[]): { identity: SourcedPolicy[]; boundaries: SourcedPolicy[] | undefined } {
  const identity = grants.filter((g) => IDENTITY_KINDS.includes(g.source.kind));
  const boundary = grants.filter((g) => g.source.kind === 'PERMISSIONS_BOUNDARY');
  return {
    identity: normalizer.policiesOf(identity),
    boundaries: boundary.length > 0 ? normalizer.policiesOf(boundary) : undefined,
  };
}

/** A policy the caller passes (resource, session, SCP) → a sourced policy; a bad one is BAD_USER_INPUT naming the argument. */
export function callerPolicy(document: unknown, kind: PolicyKind, argument: string, name: string): SourcedPolicy {
  let parsed;
  try {
    parsed = parsePolicyDocument(document);
  } catch (err) {
    if (err instanceof PolicyEvaluationError) throw new InvalidInputError(`${argument}: ${err.message}`, argument);
    throw err;
  }
  const raw = (typeof document === 'string' ? JSON.parse(decodeIfNeeded(document)) : document) as { Statement: unknown };
  const rawList = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  parsed.statements.forEach((s, i) => asWritten.set(s, rawList[i] as Record<string, unknown>));
  return { source: { kind, policyArn: null, policyName: name, versionId: null, viaGroupArn: null, attachedToArn: null }, document: parsed };
}

function decodeIfNeeded(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed);
}

/** One key under one operator of a statement's Condition, as the request met it. */
export interface ConditionTest {
  operator: string;
  key: string;
  /** the policy's values as written (`${aws:PrincipalTag/team}`) */
  policyValues: string[];
  /** the policy's values with variables substituted from the request; null for a value whose variable had no value */
  resolvedValues: (string | null)[];
  /** the request's values for the key; null when the request did not have it */
  requestValues: string[] | null;
  matched: boolean;
}

/** Every condition test of a statement against the request context, in the order written. */
export function conditionTests(statement: PolicyStatement, context: RequestContext): ConditionTest[] {
  if (!statement.condition) return [];
  const substitute = statement.version === undefined || statement.version === '2012-10-17';
  const where = statement.sid ? `statement ${statement.sid}` : `statement at index ${statement.index}`;
  const tests: ConditionTest[] = [];
  for (const [operator, keys] of Object.entries(statement.condition)) {
    const family = parseConditionOperator(operator, where).family;
    const substitutes = substitute && (family === 'String' || family === 'Arn');
    for (const [key, values] of Object.entries(keys)) {
      const outcome = evaluateConditionBlock({ [operator]: { [key]: values } }, context, { where, substituteVariables: substitute });
      tests.push({
        operator,
        key,
        policyValues: values,
        resolvedValues: values.map((v) => (substitutes ? substituteVariables(v, context).value : v)),
        requestValues: contextValues(context, key) ?? null,
        matched: outcome.matched,
      });
    }
  }
  return tests;
}
