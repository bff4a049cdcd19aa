import { actedOnArn, isJudgedCall, requestedInstanceTypes, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{
  eventSource: SAGEMAKER_SOURCE,
  eventNames: [
    'CreateNotebookInstance', 'UpdateNotebookInstance', 'CreateTrainingJob', 'CreateHyperParameterTuningJob',
    'CreateProcessingJob', 'CreateEndpointConfig',
  ],
}];

/** The response field holding the ARN each call creates (UpdateNotebookInstance returns none). */
const ARN_KEY: Record<string, string> = {
  CreateNotebookInstance: 'notebookInstanceArn',
  UpdateNotebookInstance: 'notebookInstanceArn',
  CreateTrainingJob: 'trainingJobArn',
  CreateHyperParameterTuningJob: 'hyperParameterTuningJobArn',
  CreateProcessingJob: 'processingJobArn',
  CreateEndpointConfig: 'endpointConfigArn',
};

/**
 * An instance type outside the acting team's allow-list (config `instanceTypeAllowList[team]`).
 * Not judged: a team with no list (unrestricted), and a principal whose team is unknown
 * (`principalTeam` null): without a team there is no list to hold the call against, and guessing
 * one would blame the wrong team. A team listed with [] may use no instance type at all.
 * One finding per call, listing every requested type outside the list with the field it came from.
 */
export const sagemakerInstanceTypeNotAllowed: Rule = {
  id: 'sagemaker-instance-type-not-allowed',
  title: 'Instance type outside the team\'s allow-list',
  severity: 'MEDIUM',
  rationale:
    '04-access-management-qa, "Restricting Notebook instance type & Training instance type for Data Science Team": the answer found '
    + 'that "SageMaker currently does not have service-specific context keys that can be used in the Condition element" for '
    + 'instance types, so the restriction could not be enforced by IAM there; this rule detects it instead, per team. Tuning jobs '
    + '(which start training jobs) and UpdateNotebookInstance (which changes a notebook\'s type) are read too, being the other doors '
    + 'to the same instances.',
  reads,
  successfulOnly: true,
  remediation:
    'Stop or resize the resource to an allowed instance type, or add the type to the team\'s instanceTypeAllowList if it is '
    + 'approved; deny the create calls with the sagemaker:InstanceTypes condition key where it applies.',
  evaluate(event, ctx): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const team = ctx.principalTeam;
    if (team === null) return [];
    const lists = ctx.config.instanceTypeAllowList;
    if (!Object.prototype.hasOwnProperty.call(lists, team)) return [];
    const allowed = lists[team];
    const allowedSet = new Set(allowed.map((t) => t.trim().toLowerCase()));
    const outside = requestedInstanceTypes(event.eventName, event.requestParameters)
      .filter((r) => !allowedSet.has(r.instanceType.toLowerCase()));
    if (outside.length === 0) return [];
    const resourceArn = actedOnArn(event, ARN_KEY[event.eventName]);
    const types = [...new Set(outside.map((r) => r.instanceType))].join(', ');
    return [{
      resourceArn,
      message: `${event.eventName} by team ${team} asked for ${types}, outside the team's allowed instance types (${allowed.length > 0 ? allowed.join(', ') : 'none'}).`,
      evidence: {
        team,
        teamFrom: 'the acting principal\'s team tag at the event\'s time',
        notAllowed: outside,
        allowed,
      },
    }];
  },
};
