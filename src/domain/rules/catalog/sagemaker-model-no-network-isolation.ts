import { actedOnArn, isJudgedCall, readFlag, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateModel'] }];

/** A model whose inference containers may call out to the network: enableNetworkIsolation not true (absent = false). */
export const sagemakerModelNoNetworkIsolation: Rule = {
  id: 'sagemaker-model-no-network-isolation',
  title: 'Model without network isolation',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:NetworkIsolation, to ensure that models or training jobs cannot communicate with the network".',
  reads,
  successfulOnly: true,
  remediation:
    'Create the model again with enableNetworkIsolation true and point its endpoints at it; deny sagemaker:CreateModel unless '
    + 'sagemaker:NetworkIsolation is true.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const flag = readFlag(event.requestParameters, 'enableNetworkIsolation');
    if (flag.on) return [];
    const resourceArn = actedOnArn(event, 'modelArn');
    return [{
      resourceArn,
      message: `Model ${resourceLabel(event, 'modelName', resourceArn)} runs without network isolation (enableNetworkIsolation ${JSON.stringify(flag.value)}${flag.requested ? '' : ', the API default'}).`,
      evidence: { enableNetworkIsolation: flag.value, decidedBy: flag.decidedBy },
    }];
  },
};
