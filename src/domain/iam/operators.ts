/**
 * Condition operator names → what they mean ("IAM JSON policy elements: Condition operators").
 * A name is a base operator, optionally suffixed `IfExists` (all but Null) and optionally
 * prefixed by a set operator, `ForAnyValue:` or `ForAllValues:`.
 */
import { PolicyEvaluationError } from './types';

export type OperatorFamily = 'String' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'IpAddress' | 'Arn' | 'Null';
export type Comparison = 'equals' | 'equalsIgnoreCase' | 'like' | 'lt' | 'le' | 'gt' | 'ge' | 'inRange' | 'null';
export type SetOperator = 'ForAnyValue' | 'ForAllValues';

export interface ParsedOperator {
  /** as written in the policy */
  name: string;
  /** canonical base name, e.g. `StringNotEquals` */
  base: string;
  family: OperatorFamily;
  comparison: Comparison;
  /** `Not…` operators: true when the request value matches none of the policy values */
  negated: boolean;
  ifExists: boolean;
  setOperator: SetOperator | null;
}

type BaseDefinition = Pick<ParsedOperator, 'base' | 'family' | 'comparison' | 'negated'>;

const BASES: readonly BaseDefinition[] = [
  { base: 'StringEquals', family: 'String', comparison: 'equals', negated: false },
  { base: 'StringNotEquals', family: 'String', comparison: 'equals', negated: true },
  { base: 'StringEqualsIgnoreCase', family: 'String', comparison: 'equalsIgnoreCase', negated: false },
  { base: 'StringNotEqualsIgnoreCase', family: 'String', comparison: 'equalsIgnoreCase', negated: true },
  { base: 'StringLike', family: 'String', comparison: 'like', negated: false },
  { base: 'StringNotLike', family: 'String', comparison: 'like', negated: true },
  { base: 'NumericEquals', family: 'Numeric', comparison: 'equals', negated: false },
  { base: 'NumericNotEquals', family: 'Numeric', comparison: 'equals', negated: true },
  { base: 'NumericLessThan', family: 'Numeric', comparison: 'lt', negated: false },
  { base: 'NumericLessThanEquals', family: 'Numeric', comparison: 'le', negated: false },
  { base: 'NumericGreaterThan', family: 'Numeric', comparison: 'gt', negated: false },
  { base: 'NumericGreaterThanEquals', family: 'Numeric', comparison: 'ge', negated: false },
  { base: 'DateEquals', family: 'Date', comparison: 'equals', negated: false },
  { base: 'DateNotEquals', family: 'Date', comparison: 'equals', negated: true },
  { base: 'DateLessThan', family: 'Date', comparison: 'lt', negated: false },
  { base: 'DateLessThanEquals', family: 'Date', comparison: 'le', negated: false },
  { base: 'DateGreaterThan', family: 'Date', comparison: 'gt', negated: false },
  { base: 'DateGreaterThanEquals', family: 'Date', comparison: 'ge', negated: false },
  { base: 'Bool', family: 'Bool', comparison: 'equals', negated: false },
  { base: 'BinaryEquals', family: 'Binary', comparison: 'equals', negated: false },
  { base: 'IpAddress', family: 'IpAddress', comparison: 'inRange', negated: false },
  { base: 'NotIpAddress', family: 'IpAddress', comparison: 'inRange', negated: true },
  // AWS documents ArnEquals and ArnLike identically: both take wildcards, component by component.
  { base: 'ArnEquals', family: 'Arn', comparison: 'like', negated: false },
  { base: 'ArnLike', family: 'Arn', comparison: 'like', negated: false },
  { base: 'ArnNotEquals', family: 'Arn', comparison: 'like', negated: true },
  { base: 'ArnNotLike', family: 'Arn', comparison: 'like', negated: true },
  { base: 'Null', family: 'Null', comparison: 'null', negated: false },
];

const BY_LOWER_NAME = new Map(BASES.map((b) => [b.base.toLowerCase(), b]));
const parsed = new Map<string, ParsedOperator>();

/**
 * Parses an operator name; an unknown one is a PolicyEvaluationError naming the statement
 * (`where`, e.g. "statement AllowX"). Names are matched without regard to case, so a policy AWS
 * accepted is never refused here.
 */
export function parseConditionOperator(name: string, where: string): ParsedOperator {
  const cached = parsed.get(name);
  if (cached) return cached;
  let rest = name;
  let setOperator: SetOperator | null = null;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'foranyvalue') setOperator = 'ForAnyValue';
    else if (prefix === 'forallvalues') setOperator = 'ForAllValues';
    else throw unknownOperator(name, where);
    rest = rest.slice(colon + 1);
  }
  let base = BY_LOWER_NAME.get(rest.toLowerCase());
  let ifExists = false;
  if (!base && rest.toLowerCase().endsWith('ifexists')) {
    base = BY_LOWER_NAME.get(rest.slice(0, -'ifexists'.length).toLowerCase());
    ifExists = true;
    if (base?.family === 'Null') {
      throw new PolicyEvaluationError(`condition operator ${name} is not valid (Null has no IfExists form) in ${where}`);
    }
  }
  if (!base) throw unknownOperator(name, where);
  const result: ParsedOperator = { name, ...base, ifExists, setOperator };
  parsed.set(name, result);
  return result;
}

function unknownOperator(name: string, where: string): PolicyEvaluationError {
  return new PolicyEvaluationError(`unknown condition operator ${name} in ${where}`);
}
