import { ABSENT, actedOnArn, isJudgedCall, readKmsKey, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateTrainingJob'] }];

/** A training job whose model artifacts go to S3 without a customer managed key (outputDataConfig.kmsKeyId absent). */
export const sagemakerTrainingJobNoOutputKms: Rule = {
  id: 'sagemaker-training-job-no-output-kms',
  title: 'Training job output without a customer managed KMS key',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VolumeKmsKey, to require that an encryption key is specified" states the intent: '
    + 'data the teams produce is encrypted with keys they control. The model artifacts in outputDataConfig are that data '
    + '(IAM\'s sagemaker:OutputKmsKey condition key guards them the same way); 04-access-management-qa restricts who reads the '
    + 'SageMaker S3 buckets, which a customer managed key enforces a second time.',
  reads,
  successfulOnly: true,
  remediation:
    'Run the job again with outputDataConfig.kmsKeyId set to the team\'s customer managed key (re-encrypt existing artifacts); '
    + 'deny sagemaker:CreateTrainingJob when sagemaker:OutputKmsKey is absent.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    if (readKmsKey(event.requestParameters, 'outputDataConfig.kmsKeyId') !== null) return [];
    const resourceArn = actedOnArn(event, 'trainingJobArn');
    return [{
      resourceArn,
      message: `Training job ${resourceLabel(event, 'trainingJobName', resourceArn)} writes its model artifacts without a KMS key (outputDataConfig.kmsKeyId absent).`,
      evidence: {
        'outputDataConfig.kmsKeyId': null,
        decidedBy: `${ABSENT}: SageMaker uses the account's default key for Amazon S3, not one you control`,
      },
    }];
  },
};
