import { actedOnArn, isJudgedCall, readFlag, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateTrainingJob'] }];

/** A training job whose containers may call out to the network: enableNetworkIsolation not true (absent = false). */
export const sagemakerTrainingJobNoNetworkIsolation: Rule = {
  id: 'sagemaker-training-job-no-network-isolation',
  title: 'Training job without network isolation',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:NetworkIsolation, to ensure that models or training jobs cannot communicate with the network".',
  reads,
  successfulOnly: true,
  remediation:
    'Run the job again with enableNetworkIsolation true (inputs and outputs still move through SageMaker); deny '
    + 'sagemaker:CreateTrainingJob unless sagemaker:NetworkIsolation is true.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const flag = readFlag(event.requestParameters, 'enableNetworkIsolation');
    if (flag.on) return [];
    const resourceArn = actedOnArn(event, 'trainingJobArn');
    return [{
      resourceArn,
      message: `Training job ${resourceLabel(event, 'trainingJobName', resourceArn)} runs without network isolation (enableNetworkIsolation ${JSON.stringify(flag.value)}${flag.requested ? '' : ', the API default'}).`,
      evidence: { enableNetworkIsolation: flag.value, decidedBy: flag.decidedBy },
    }];
  },
};
