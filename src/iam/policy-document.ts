/**
 * Policy documents as they arrive: URL-encoded strings (GetAccountAuthorizationDetails through the
 * SDK, RFC 3986), plain JSON strings (CloudTrail's `requestParameters.policyDocument`), or objects
 * already decoded (AWS CLI output). Pure.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { PolicyEvaluationError } from '../domain/iam/types';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The document as a JSON object, checked enough to be stored as grants: a `Statement` that is one
 * statement object or a list of them, each with `Effect` Allow or Deny. Throws a
 * PolicyEvaluationError saying what is wrong.
 */
export function decodePolicyDocument(value: unknown, what = 'policy document'): Record<string, unknown> {
  let doc: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') throw new PolicyEvaluationError(`${what} is empty`);
    doc = parseJsonText(text.startsWith('{') ? text : urlDecoded(text, what), what);
  }
  if (!isObject(doc)) throw new PolicyEvaluationError(`${what} is not a JSON object`);
  const statement = doc.Statement;
  const statements = Array.isArray(statement) ? statement : statement === undefined ? null : [statement];
  if (statements === null) throw new PolicyEvaluationError(`${what} has no Statement`);
  statements.forEach((s, i) => {
    if (!isObject(s)) throw new PolicyEvaluationError(`${what}: Statement[${i}] is not an object`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw new PolicyEvaluationError(`${what}: Statement[${i}] has Effect ${JSON.stringify(s.Effect)}; expected "Allow" or "Deny"`);
    }
  });
  return doc;
}

function urlDecoded(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PolicyEvaluationError(`${what} is neither JSON nor URL-encoded JSON`);
  }
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PolicyEvaluationError(`${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** SHA-256 of the canonical JSON: the same document however its keys and whitespace were written. */
export function documentSha256(doc: unknown): string {
  return createHash('sha256').update(stringify(doc) ?? 'null').digest('hex');
}
