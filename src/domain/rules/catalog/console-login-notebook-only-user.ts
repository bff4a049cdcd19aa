import { findingsOf, type Assessment } from '../assessment';
import { firstMatchingPattern } from '../principal-patterns';
import type { Rule, RuleContext, RuleEvent } from '../types';

const SIGNIN_SOURCE = 'signin.amazonaws.com';

/**
 * A failed sign-in carries no errorCode: CloudTrail writes `responseElements.ConsoleLogin:
 * "Failure"` and `errorMessage: "Failed authentication"`. Only `Success`, or no error at all when
 * the field is missing, is a login.
 */
function loginResult(event: RuleEvent): string | null {
  const value = event.responseElements.ConsoleLogin;
  return typeof value === 'string' ? value : null;
}

function succeeded(event: RuleEvent): boolean {
  if (event.errorCode || event.errorMessage) return false;
  const result = loginResult(event);
  return result === null || result === 'Success';
}

/**
 * A successful console sign-in by a principal configured as notebook-only. Patterns match the
 * event's principal ARN (for a federated or assumed-role sign-in: the role's ARN, not the session's).
 */
export function assessNotebookOnlyConsoleLogin(event: RuleEvent, ctx: RuleContext): Assessment[] {
  if (event.eventSource !== SIGNIN_SOURCE || event.eventName !== 'ConsoleLogin' || !succeeded(event)) return [];
  const patterns = ctx.config.notebookOnlyPrincipals;
  if (patterns.length === 0) return [];
  const matchedPattern = firstMatchingPattern(patterns, event.principalArn);
  const evidence: Record<string, unknown> = {
    principalArn: event.principalArn,
    principalName: event.principalName,
    consoleLogin: loginResult(event),
    matchedPattern,
    userAgent: event.userAgent,
  };
  const who = event.principalName ?? event.principalArn ?? 'an unknown principal';
  if (event.principalArn === null) {
    return [{ verdict: 'undecided', resourceArn: null, message: `A console sign-in by ${who} could not be matched: the event has no principal ARN.`, evidence: { ...evidence, undecided: 'the event names no principal ARN' } }];
  }
  if (matchedPattern === null) {
    return [{ verdict: 'pass', resourceArn: event.principalArn, message: `${who} is not configured as notebook-only.`, evidence }];
  }
  return [{
    verdict: 'breach',
    resourceArn: event.principalArn,
    message: `${who}, configured as notebook-only (${matchedPattern}), signed in to the AWS console.`,
    evidence,
  }];
}

export const consoleLoginNotebookOnlyUser: Rule = {
  id: 'console-login-notebook-only-user',
  title: 'Notebook-only user signed in to the AWS console',
  severity: 'MEDIUM',
  rationale:
    '04-access-management-qa: "Notebook access ONLY. No AWS console Access." The answer given is a presigned notebook URL '
    + '(CreatePresignedNotebookInstanceUrl) "to provide access to a notebook and not the AWS console". A ConsoleLogin by a principal listed in '
    + 'notebookOnlyPrincipals shows that such a principal still has a console password or a federation path to the console.',
  reads: [{ eventSource: SIGNIN_SOURCE, eventNames: ['ConsoleLogin'] }],
  successfulOnly: true,
  remediation:
    'Remove the IAM user\'s console password (aws iam delete-login-profile --user-name <name>) or the console federation path for the role; '
    + 'give the person notebook access through CreatePresignedNotebookInstanceUrl / CreatePresignedDomainUrl only.',
  evaluate: (event, ctx) => findingsOf(assessNotebookOnlyConsoleLogin(event, ctx)),
};
