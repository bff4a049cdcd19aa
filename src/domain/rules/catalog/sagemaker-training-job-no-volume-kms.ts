import { ABSENT, actedOnArn, fieldAt, hasLocalStorageByName, isJudgedCall, nonBlank, readKmsKey, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateTrainingJob'] }];

/**
 * A training job whose ML storage volumes are not encrypted with a customer managed key
 * (resourceConfig.volumeKmsKeyId absent). SageMaker refuses that key for instance types with
 * local instance storage; the finding still stands (the seed's sagemaker:VolumeKmsKey condition
 * would deny those jobs too) and its evidence says so, for whoever reviews it.
 */
export const sagemakerTrainingJobNoVolumeKms: Rule = {
  id: 'sagemaker-training-job-no-volume-kms',
  title: 'Training job volumes without a customer managed KMS key',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VolumeKmsKey, to require that an encryption key is specified" '
    + '(the condition key on resourceConfig.volumeKmsKeyId of CreateTrainingJob).',
  reads,
  successfulOnly: true,
  remediation:
    'Run the job again with resourceConfig.volumeKmsKeyId set to the team\'s customer managed key; deny sagemaker:CreateTrainingJob '
    + 'when sagemaker:VolumeKmsKey is absent (instance types with local NVMe storage are encrypted by hardware and take no key).',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const params = event.requestParameters;
    if (readKmsKey(params, 'resourceConfig.volumeKmsKeyId') !== null) return [];
    const resourceArn = actedOnArn(event, 'trainingJobArn');
    const instanceType = nonBlank(fieldAt(params, 'resourceConfig.instanceType'));
    return [{
      resourceArn,
      message: `Training job ${resourceLabel(event, 'trainingJobName', resourceArn)} was started without a KMS key for its storage volumes (resourceConfig.volumeKmsKeyId absent).`,
      evidence: {
        'resourceConfig.volumeKmsKeyId': null,
        decidedBy: `${ABSENT}: SageMaker encrypts the volumes with an AWS managed key, not one you control`,
        ...(instanceType !== null && hasLocalStorageByName(instanceType)
          ? { note: `${instanceType} has local instance storage: SageMaker accepts no volume KMS key for it; its NVMe volumes are encrypted by hardware` }
          : {}),
      },
    }];
  },
};
