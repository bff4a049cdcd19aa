import { ABSENT, actedOnArn, isJudgedCall, readKmsKey, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateNotebookInstance'] }];

/** A notebook instance whose ML storage volume is not encrypted with a customer managed key (kmsKeyId absent). */
export const sagemakerNotebookNoKms: Rule = {
  id: 'sagemaker-notebook-no-kms',
  title: 'Notebook instance volume without a customer managed KMS key',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VolumeKmsKey, to require that an encryption key is specified" (a condition key of '
    + 'CreateNotebookInstance). Without kmsKeyId the notebook\'s storage volume, where /home/ec2-user/SageMaker persists '
    + '(04-access-management-qa), is encrypted with a key the team does not control.',
  reads,
  successfulOnly: true,
  remediation:
    'Create the notebook again with kmsKeyId set to the team\'s customer managed key and move its files; '
    + 'deny sagemaker:CreateNotebookInstance when sagemaker:VolumeKmsKey is absent.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    if (readKmsKey(event.requestParameters, 'kmsKeyId') !== null) return [];
    const resourceArn = actedOnArn(event, 'notebookInstanceArn');
    return [{
      resourceArn,
      message: `Notebook instance ${resourceLabel(event, 'notebookInstanceName', resourceArn)} was created without a KMS key for its storage volume (kmsKeyId absent).`,
      evidence: {
        kmsKeyId: null,
        decidedBy: `${ABSENT} (or blank): SageMaker encrypts the volume with an AWS managed key, not one you control`,
      },
    }];
  },
};
