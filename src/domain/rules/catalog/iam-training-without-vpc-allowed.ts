import {
  IAM_SNAPSHOT_EVENT,
  IAM_SNAPSHOT_SOURCE,
  IAM_SOURCE,
  iamChangeOf,
  isIamSnapshotEvent,
  TRAINING_ACTION,
} from '../iam-guardrails';
import { isJudgedCall } from '../request-fields';
import type { Finding, IamAccessAttempt, Rule, RuleContext, RuleEvent } from '../types';

/** The IAM changes that can give a principal CreateTrainingJob, or take a Deny of it away. */
export const ACCESS_CHANGE_EVENTS: readonly string[] = [
  'PutRolePolicy', 'PutUserPolicy', 'PutGroupPolicy',
  'DeleteRolePolicy', 'DeleteUserPolicy', 'DeleteGroupPolicy',
  'AttachRolePolicy', 'AttachUserPolicy', 'AttachGroupPolicy',
  'DetachRolePolicy', 'DetachUserPolicy', 'DetachGroupPolicy',
  'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicy',
  'AddUserToGroup', 'RemoveUserFromGroup',
  'PutRolePermissionsBoundary', 'PutUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary', 'DeleteUserPermissionsBoundary',
];

const reads = [
  { eventSource: IAM_SOURCE, eventNames: [...ACCESS_CHANGE_EVENTS] },
  { eventSource: IAM_SNAPSHOT_SOURCE, eventNames: [IAM_SNAPSHOT_EVENT] },
];

const describeAttempt = (a: IamAccessAttempt) =>
  Object.keys(a.requestTags).length === 0 ? 'with no tags' : `tagged ${Object.entries(a.requestTags).map(([k, v]) => `${k}=${v}`).join(', ')}`;

/**
 * A user or role that can start a training job without a VPC: `sagemaker:CreateTrainingJob` with
 * `sagemaker:VpcSubnets` and `sagemaker:VpcSecurityGroupIds` absent, simulated by the policy engine
 * on the grants in force (ctx.iam, see src/compliance/iam-context.ts), for the principals an IAM
 * change affects, and for every user and role of an account at an IAM snapshot. A principal is
 * reported when the request is allowed and was not just before (or govgraph cannot tell): the
 * change, or the snapshot, is what showed it. Its violations are resolved by the change that takes
 * the permission away again (src/compliance/iam-resolution.ts).
 */
export const iamTrainingWithoutVpcAllowed: Rule = {
  id: 'iam-training-without-vpc-allowed',
  title: 'Principal can start a training job without a VPC',
  severity: 'HIGH',
  rationale:
    '03-preventive-controls: "implement a preventive control that will stop a training job from starting if it’s not launched within a VPC", '
    + 'an explicit Deny on the policy "which grants a user’s notebook the permission to launch a training job", so that CreateTrainingJob without a VPC '
    + 'ends in "AccessDeniedException … with an explicit deny". A principal whose policies allow that request lacks the control: every training job it '
    + 'starts without vpcConfig is the breach sagemaker-training-job-no-vpc reports afterwards. HIGH, as that rule: the control is missing now, '
    + 'whether or not the principal has used the gap yet. The request is simulated as a compliant team member would make it apart from the VPC '
    + '(untagged, and tagged with the principal\'s own team, seed 05\'s ABAC condition on Create*), for any training job of the account.',
  reads,
  successfulOnly: true,
  remediation:
    'Attach the seed 03 Deny to the principal (or to a policy, permissions boundary or SCP that reaches it): '
    + '{"Effect": "Deny", "Action": "sagemaker:CreateTrainingJob", "Resource": "*", "Condition": {"Null": {"sagemaker:VpcSubnets": "true"}}}; '
    + 'or remove its CreateTrainingJob permission if it should not train at all.',
  evaluate(event: RuleEvent, ctx: RuleContext): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const snapshot = isIamSnapshotEvent(event);
    if (!snapshot && !iamChangeOf(event)) return [];
    const findings: Finding[] = [];
    for (const sim of ctx.iam?.trainingWithoutVpc ?? []) {
      const allowed = sim.attempts.find((a) => a.decision === 'ALLOWED');
      if (!allowed || sim.allowedBefore === true) continue;
      const allows = allowed.decidingStatements.filter((s) => s.effect === 'Allow');
      const by = allows.map((s) => `${s.sid ?? `statement #${s.statementIndex}`} of ${s.policyName ?? s.policyArn ?? s.kind}`).join(', ');
      const since = snapshot
        ? `as the IAM snapshot of ${event.accountId ?? 'its account'} taken at ${event.eventTime.toISOString()} shows`
        : sim.allowedBefore === false
          ? `since ${event.eventName} at ${event.eventTime.toISOString()}`
          : `after ${event.eventName} at ${event.eventTime.toISOString()} (govgraph cannot tell whether it could before)`;
      findings.push({
        resourceArn: sim.principalArn,
        principalArn: sim.principalArn,
        team: sim.team,
        message: `${sim.principalArn} can start a training job without a VPC ${since}: ${TRAINING_ACTION} with no ${sim.absentKeys.join(' or ')} (${describeAttempt(allowed)}) is allowed by ${by || 'its policies'}, and no Deny stops it.`,
        evidence: {
          principalArn: sim.principalArn,
          principalType: sim.principalType,
          principalTeam: sim.team,
          action: sim.action,
          resourceArn: sim.resourceArn,
          absentKeys: sim.absentKeys,
          requestTags: allowed.requestTags,
          decision: allowed.decision,
          decidingStatements: allows,
          missingContextKeys: allowed.missingContextKeys,
          attempts: sim.attempts.map((a) => ({ requestTags: a.requestTags, decision: a.decision })),
          allowedBefore: sim.allowedBefore,
          ...(sim.allowedBefore === null ? { undecided: 'govgraph had no IAM data of the account just before, so it cannot tell whether this principal could already' } : {}),
        },
      });
    }
    return findings;
  },
};
