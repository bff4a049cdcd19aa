import { actedOnArn, isJudgedCall, readFlag, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateTrainingJob'] }];

/**
 * A training job without inter-container traffic encryption (absent = false). Fires for single-
 * instance jobs too: the request decides the setting, and a job's instance count says nothing of
 * the next run from the same code.
 */
export const sagemakerTrainingJobNoIntercontainerEncryption: Rule = {
  id: 'sagemaker-training-job-no-intercontainer-encryption',
  title: 'Training job without inter-container traffic encryption',
  severity: 'LOW',
  rationale:
    'No seed names it; 01-self-service-guard-rails asks that teams self-serve "while enforcing guard rails and best practice", '
    + 'with data protected by keys and network controls ("sagemaker:VolumeKmsKey, to require that an encryption key is specified", '
    + '"sagemaker:NetworkIsolation"). Encrypting traffic between the instances of a distributed training job is that best practice '
    + '(IAM\'s sagemaker:InterContainerTrafficEncryption condition key).',
  reads,
  successfulOnly: true,
  remediation:
    'Run distributed jobs with enableInterContainerTrafficEncryption true; deny sagemaker:CreateTrainingJob unless '
    + 'sagemaker:InterContainerTrafficEncryption is true.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const flag = readFlag(event.requestParameters, 'enableInterContainerTrafficEncryption');
    if (flag.on) return [];
    const resourceArn = actedOnArn(event, 'trainingJobArn');
    return [{
      resourceArn,
      message: `Training job ${resourceLabel(event, 'trainingJobName', resourceArn)} does not encrypt traffic between its instances (enableInterContainerTrafficEncryption ${JSON.stringify(flag.value)}${flag.requested ? '' : ', the API default'}).`,
      evidence: { enableInterContainerTrafficEncryption: flag.value, decidedBy: flag.decidedBy },
    }];
  },
};
