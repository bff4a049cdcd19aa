/**
 * IAM policy documents as AWS writes them → the normalised shapes of types.ts. Element names are
 * case-sensitive, as in AWS's grammar ("IAM JSON policy elements reference"); a problem names the
 * statement (its Sid, or its index) so the person fixing the policy can find it.
 */
import { parseConditionOperator } from './operators';
import {
  PolicyEvaluationError,
  type ConditionBlock,
  type Effect,
  type PolicyDocument,
  type PolicyPrincipal,
  type PolicyStatement,
} from './types';

/** The two versions of the policy language; AWS assumes 2008-10-17 when a document has none. */
export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;
export const DEFAULT_POLICY_VERSION = '2008-10-17';

const DOCUMENT_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set([
  'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
]);

/**
 * Parses a policy document given as a JSON string, a URL-encoded JSON string (as IAM's
 * GetAccountAuthorizationDetails and GetPolicyVersion return it), or an already parsed object.
 */
export function parsePolicyDocument(input: string | unknown): PolicyDocument {
  const raw = typeof input === 'string' ? parseJsonText(input) : input;
  if (!isPlainObject(raw)) throw new PolicyEvaluationError('policy document must be a JSON object');
  for (const key of Object.keys(raw)) {
    if (!DOCUMENT_ELEMENTS.has(key)) throw new PolicyEvaluationError(unknownElement(key, DOCUMENT_ELEMENTS, 'policy document'));
  }
  const version = raw.Version;
  if (version !== undefined && !(POLICY_VERSIONS as readonly unknown[]).includes(version)) {
    throw new PolicyEvaluationError(`unsupported policy Version ${JSON.stringify(version)} (expected "2012-10-17" or "2008-10-17")`);
  }
  if (raw.Id !== undefined && typeof raw.Id !== 'string') throw new PolicyEvaluationError('policy Id must be a string');
  if (raw.Statement === undefined) throw new PolicyEvaluationError('policy document has no Statement');
  const list = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  const effectiveVersion = (version as string | undefined) ?? DEFAULT_POLICY_VERSION;
  return {
    ...(version !== undefined ? { version: version as string } : {}),
    ...(raw.Id !== undefined ? { id: raw.Id as string } : {}),
    statements: list.map((statement, index) => normalizeStatement(statement, index, effectiveVersion)),
  };
}

/**
 * Normalises one statement: strings become one-element arrays, condition numbers and booleans
 * become strings, `Principal` becomes `'*'` or a map of principal type → values. `version` is the
 * document's Version (variables are substituted only under 2012-10-17); leave it out when unknown.
 */
export function normalizeStatement(raw: unknown, index: number, version?: string): PolicyStatement {
  const where = (sid: unknown) => (typeof sid === 'string' && sid !== '' ? `statement ${sid}` : `statement at index ${index}`);
  if (!isPlainObject(raw)) throw new PolicyEvaluationError(`${where(undefined)} must be a JSON object`);
  const label = where(raw.Sid);
  const fail = (problem: string): never => {
    throw new PolicyEvaluationError(`${problem} in ${label}`);
  };
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_ELEMENTS.has(key)) fail(unknownElement(key, STATEMENT_ELEMENTS, 'statement'));
  }
  if (raw.Sid !== undefined && typeof raw.Sid !== 'string') fail('Sid must be a string');

  if (raw.Effect === undefined) fail('Effect is missing');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') fail(`Effect must be "Allow" or "Deny", not ${JSON.stringify(raw.Effect)}`);
  const effect = raw.Effect as Effect;

  if (raw.Action !== undefined && raw.NotAction !== undefined) fail('a statement cannot have both Action and NotAction');
  if (raw.Action === undefined && raw.NotAction === undefined) fail('a statement needs Action or NotAction');
  if (raw.Resource !== undefined && raw.NotResource !== undefined) fail('a statement cannot have both Resource and NotResource');
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) fail('a statement cannot have both Principal and NotPrincipal');

  const statement: PolicyStatement = { index, effect };
  if (typeof raw.Sid === 'string') statement.sid = raw.Sid;
  if (raw.Action !== undefined) statement.action = stringList(raw.Action, 'Action', fail);
  if (raw.NotAction !== undefined) statement.notAction = stringList(raw.NotAction, 'NotAction', fail);
  // Role trust policies have no Resource: the resource is the role itself, so absence means "any".
  if (raw.Resource !== undefined) statement.resource = stringList(raw.Resource, 'Resource', fail);
  if (raw.NotResource !== undefined) statement.notResource = stringList(raw.NotResource, 'NotResource', fail);
  if (raw.Principal !== undefined) statement.principal = principal(raw.Principal, 'Principal', fail);
  if (raw.NotPrincipal !== undefined) statement.notPrincipal = principal(raw.NotPrincipal, 'NotPrincipal', fail);
  if (raw.Condition !== undefined) statement.condition = conditionBlock(raw.Condition, fail, label);
  if (version !== undefined) statement.version = version;
  return statement;
}

function parseJsonText(text: string): unknown {
  const trimmed = text.trim();
  let json = trimmed;
  if (!trimmed.startsWith('{') && /%[0-9a-f]{2}/i.test(trimmed)) {
    try {
      json = decodeURIComponent(trimmed);
    } catch {
      throw new PolicyEvaluationError('policy document is neither JSON nor URL-encoded JSON');
    }
  }
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new PolicyEvaluationError(`policy document is not valid JSON: ${(error as Error).message}`);
  }
}

function stringList(value: unknown, element: string, fail: (problem: string) => never): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`${element} is an empty list`);
  return list.map((item) => {
    if (typeof item !== 'string' || item === '') fail(`${element} entries must be non-empty strings, not ${JSON.stringify(item)}`);
    return item as string;
  });
}

function principal(value: unknown, element: string, fail: (problem: string) => never): PolicyPrincipal {
  if (value === '*') return '*';
  if (!isPlainObject(value)) fail(`${element} must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}`);
  const result: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(value as Record<string, unknown>)) {
    const list = Array.isArray(ids) ? ids : [ids];
    // Account ids are sometimes written as JSON numbers; AWS reads them as the 12-digit string.
    result[type] = list.map((id) => {
      if (typeof id === 'number' && Number.isInteger(id)) return String(id).padStart(12, '0');
      if (typeof id !== 'string' || id === '') fail(`${element}.${type} entries must be non-empty strings`);
      return id as string;
    });
  }
  return result;
}

function conditionBlock(value: unknown, fail: (problem: string) => never, label: string): ConditionBlock {
  if (!isPlainObject(value)) fail('Condition must be an object of operator → {key: values}');
  const block: ConditionBlock = {};
  for (const [operator, entries] of Object.entries(value as Record<string, unknown>)) {
    parseConditionOperator(operator, label); // an unknown operator is an error here, not a silent no-match later
    if (!isPlainObject(entries)) fail(`Condition operator ${operator} must map context keys to values`);
    const keys: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(entries as Record<string, unknown>)) {
      const list = Array.isArray(values) ? values : [values];
      keys[key] = list.map((v) => {
        if (typeof v === 'string') return v;
        // AWS compares numbers and booleans in their string form ("true", "3600").
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        return fail(`Condition ${operator} ${key} values must be strings, numbers or booleans, not ${JSON.stringify(v)}`);
      });
    }
    block[operator] = keys;
  }
  return block;
}

function unknownElement(key: string, known: Set<string>, where: string): string {
  const caseMatch = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
  return caseMatch
    ? `unknown ${where} element ${key} (element names are case-sensitive: ${caseMatch})`
    : `unknown ${where} element ${key}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
