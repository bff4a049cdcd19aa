/** The IAM policy evaluation engine: pure, synchronous evaluation; the catalog is the one async part. */
export * from './types';
export { parsePolicyDocument, normalizeStatement, POLICY_VERSIONS, DEFAULT_POLICY_VERSION } from './policy-document';
export { parseConditionOperator, type ParsedOperator, type OperatorFamily, type SetOperator } from './operators';
export { matchesAction, matchesResource, matchResourcePattern, type ResourceMatch } from './match';
export { substituteVariables, variableKeys, hasVariables, contextValues, type Substitution, type TemplatePart } from './variables';
export { evaluateConditionBlock, parseDate, parseNumber, type ConditionOutcome, type ConditionOptions } from './conditions';
export { buildRequestContext, buildAuthorizationRequest, type RequestFacts, type PrincipalFacts, type ResourceFacts } from './context';
export { evaluateRequest, evaluateStatements, resourceAccountOf, type StatementsEvaluation, type PrincipalMatch } from './evaluate';
export { actionExists, conditionKeysForAction, expandActionPattern, validateRequest, isConditionKeyOfAction } from './catalog';
