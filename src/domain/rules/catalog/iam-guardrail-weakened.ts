import { buildIamArn, partitionForRegion } from '../../aws/arn';
import { PolicyEvaluationError } from '../../iam';
import {
  guardRailWeakenings,
  IAM_SOURCE,
  iamChangeOf,
  type GuardRailWeakening,
  type IamChangeTarget,
} from '../iam-guardrails';
import { isJudgedCall } from '../request-fields';
import type { Finding, IamPolicyInForce, IamPolicyState, Rule, RuleContext, RuleEvent, Severity } from '../types';

/** The IAM changes that can take a guard rail out of force or loosen one. */
export const GUARDRAIL_CHANGE_EVENTS: readonly string[] = [
  'PutRolePolicy', 'PutUserPolicy', 'PutGroupPolicy',
  'CreatePolicyVersion', 'SetDefaultPolicyVersion',
  'DeleteRolePolicy', 'DeleteUserPolicy', 'DeleteGroupPolicy',
  'DetachRolePolicy', 'DetachUserPolicy', 'DetachGroupPolicy',
  'DeletePolicy',
  'DeleteRolePermissionsBoundary', 'DeleteUserPermissionsBoundary',
  'PutRolePermissionsBoundary', 'PutUserPermissionsBoundary',
  'RemoveUserFromGroup',
];

const reads = [{ eventSource: IAM_SOURCE, eventNames: [...GUARDRAIL_CHANGE_EVENTS] }];

const UNKNOWN: IamPolicyState = { known: false, policies: [] };

/** The ARN a finding is filed under: the managed policy, else the user, group or role whose policies changed. */
function targetArn(event: RuleEvent, target: IamChangeTarget, ctx: RuleContext): string {
  if (target.kind === 'MANAGED_POLICY') return target.policyArn!;
  const entity = target.entity!;
  return ctx.iam?.entityArns[`${entity.type}/${entity.name}`] ?? buildIamArn(event.accountId ?? '', entity.type, entity.name, undefined, partitionForRegion(event.awsRegion));
}

function targetLabel(target: IamChangeTarget): string {
  const entity = target.entity ? `${target.entity.type} ${target.entity.name}` : '';
  switch (target.kind) {
    case 'INLINE_POLICY':
      return `inline policy ${target.policyName} of ${entity}`;
    case 'MANAGED_POLICY':
      return `managed policy ${target.policyArn}`;
    case 'ATTACHMENT':
      return `managed policy ${target.policyArn} attached to ${entity}`;
    case 'PERMISSIONS_BOUNDARY':
      return `the permissions boundary of ${entity}`;
    case 'GROUP_MEMBERSHIP':
      return `the policies of group ${target.groupName} for ${entity}`;
  }
}

const policyName = (p: IamPolicyInForce) => p.policyName ?? p.policyArn ?? p.kind;

/** What stood after the event for one policy of before: the document the event carries, the store's, or none. */
function afterDocumentFor(target: IamChangeTarget, after: IamPolicyState): { document: unknown | null; versionId: string | null; unknown?: string } {
  if (target.removes) return { document: null, versionId: null };
  if (target.eventDocument !== undefined && target.eventDocument !== null) return { document: target.eventDocument, versionId: target.versionId };
  if (!after.known) return { document: null, versionId: null, unknown: 'govgraph has no record of what was in force after the event' };
  const p = after.policies[0];
  if (!p) return { document: null, versionId: null };
  if (p.document === null) return { document: null, versionId: p.versionId, unknown: `govgraph has no copy of ${policyName(p)} version ${p.versionId ?? '?'}, now in force` };
  return { document: p.document, versionId: p.versionId };
}

interface Judged {
  weakened: (GuardRailWeakening & { policy: { kind: string; policyArn: string | null; policyName: string | null; versionBefore: string | null; versionAfter: string | null } })[];
  undecided: string[];
}

function judge(event: RuleEvent, target: IamChangeTarget, ctx: RuleContext): Judged {
  const states = ctx.iam?.targets[target.key];
  const before = states?.before ?? UNKNOWN;
  const out: Judged = { weakened: [], undecided: [] };
  const account = event.accountId ?? 'the account';
  if (!before.known) {
    out.undecided.push(`govgraph has no record of ${targetLabel(target)} before this event (no IAM snapshot of ${account} at or before ${event.eventTime.toISOString()}, and no earlier change of it): whether it removed or loosened a guard rail is unknown`);
    return out;
  }
  // a managed policy that reached no one was in force for no one: deleting it takes nothing away
  if (target.kind === 'MANAGED_POLICY' && target.removes && states?.reach?.before === 0) return out;
  const after = afterDocumentFor(target, states?.after ?? UNKNOWN);
  if (after.unknown) {
    out.undecided.push(`${after.unknown}: the guard rails after it cannot be compared`);
    return out;
  }
  const boundaryRemoved = target.kind === 'PERMISSIONS_BOUNDARY' && target.removes;
  for (const p of before.policies) {
    if (p.document === null) {
      out.undecided.push(`govgraph knows ${policyName(p)} version ${p.versionId ?? '?'} was in force before the event but has no copy of it`);
      continue;
    }
    try {
      for (const w of guardRailWeakenings(p.document, after.document, { teamTagKey: ctx.teamTagKey, boundaryRemoved })) {
        out.weakened.push({ ...w, policy: { kind: p.kind, policyArn: p.policyArn, policyName: p.policyName, versionBefore: p.versionId, versionAfter: after.versionId } });
      }
    } catch (err) {
      if (!(err instanceof PolicyEvaluationError) && !(err instanceof SyntaxError) && !(err instanceof URIError)) throw err;
      out.undecided.push(`a policy document cannot be read (${err.message}), so the guard rails of ${policyName(p)} cannot be compared`);
    }
  }
  return out;
}

const statementLabel = (w: GuardRailWeakening) => `${w.statement.effect} ${w.statement.sid ?? `statement #${w.statement.index}`}`;

/**
 * An IAM change that removes or loosens a guard rail: a Deny (or an Allow's condition) testing the
 * VPC, KMS, network-isolation/internet or team-tag condition keys, compared between the policy in
 * force just before the event and the one after it.
 */
export const iamGuardrailWeakened: Rule = {
  id: 'iam-guardrail-weakened',
  title: 'IAM change removes or loosens a SageMaker guard rail',
  severity: 'HIGH',
  rationale:
    '01-self-service-guard-rails: the guard rails are IAM conditions, "sagemaker:VolumeKmsKey, to require that an encryption key is specified", '
    + '"sagemaker:VpcSecurityGroupIds, to require that a VPC configuration is provided", "sagemaker:DirectInternetAccess", "sagemaker:NetworkIsolation"; '
    + '03-preventive-controls: "a preventive control that will stop a training job from starting if it’s not launched within a VPC" is an explicit Deny '
    + 'in the notebook role\'s policy; 05-studio-team-isolation-abac: team isolation is the condition "aws:PrincipalTag/team": "${sagemaker:ResourceTag/team}" '
    + 'and the aws:TagKeys / aws:RequestTag/team conditions on Create*. A change that removes or weakens one of those statements undoes the control for '
    + 'everyone the policy reaches, silently, until the next breach shows up in the detective rules. HIGH; CRITICAL when it is the seed 03 control itself '
    + '(a Deny of sagemaker:CreateTrainingJob guarding sagemaker:VpcSubnets or VpcSecurityGroupIds), whose removal re-opens exactly the breach '
    + 'sagemaker-training-job-no-vpc can only report after the fact; LOW when govgraph does not know the policy before the change (it says so, and does not guess).',
  reads,
  successfulOnly: true,
  remediation:
    'Restore the statement from the previous policy version (SetDefaultPolicyVersion, or put the inline policy back) and find out who changed it and why. '
    + 'Keep guard rails in policies the data-science roles cannot change (a Service Catalog product\'s policy, a permissions boundary or an SCP), '
    + 'and require review for changes to them.',
  evaluate(event: RuleEvent, ctx: RuleContext): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const target = iamChangeOf(event);
    if (!target) return [];
    const { weakened, undecided } = judge(event, target, ctx);
    if (weakened.length === 0 && undecided.length === 0) return [];
    const resourceArn = targetArn(event, target, ctx);
    const states = ctx.iam?.targets[target.key];
    const change = {
      kind: target.kind,
      entity: target.entity ? `${target.entity.type}/${target.entity.name}` : null,
      policyName: target.policyName,
      policyArn: target.policyArn,
      groupName: target.groupName,
      versionId: target.versionId,
      removes: target.removes,
    };
    const evidence: Record<string, unknown> = {
      change,
      policiesBefore: (states?.before.policies ?? []).map((p) => ({ kind: p.kind, policyArn: p.policyArn, policyName: p.policyName, versionId: p.versionId, attachedToArn: p.attachedToArn })),
      ...(states?.reach ? { reach: states.reach } : {}),
      weakened: weakened.map((w) => ({
        policy: w.policy,
        statement: w.statement,
        guardedKeys: w.guardedKeys,
        change: w.change,
        changes: w.changes,
        before: w.before,
        after: w.after,
        preventiveVpcControl: w.preventiveVpcControl,
      })),
      ...(undecided.length > 0 ? { undecided: undecided.join('; ') } : {}),
    };
    if (weakened.length === 0) {
      return [{
        resourceArn,
        severity: 'LOW',
        message: `${event.eventName} changed ${targetLabel(target)}; govgraph cannot tell whether it removed or loosened a guard rail (${undecided[0]}).`,
        evidence,
      }];
    }
    const severity: Severity = weakened.some((w) => w.preventiveVpcControl) ? 'CRITICAL' : 'HIGH';
    const list = weakened.map((w) => `${statementLabel(w)} guarding ${w.guardedKeys.map((g) => g.key).join(', ')} (${w.change.toLowerCase()})`).join('; ');
    return [{
      resourceArn,
      severity,
      message: `${event.eventName} on ${targetLabel(target)} ${weakened.some((w) => w.change === 'REMOVED') ? 'removes or loosens' : 'loosens'} ${weakened.length === 1 ? 'a guard rail' : `${weakened.length} guard rails`}: ${list}.`,
      evidence,
    }];
  },
};
