import {
  ABSENT, actedOnArn, hasLocalStorageByName, isJudgedCall, isObject, readKmsKey, requestedInstanceTypes, resourceLabel, SAGEMAKER_SOURCE,
} from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateEndpointConfig'] }];

/** Whether every production variant is serverless: SageMaker accepts no kmsKeyId for those (no ML storage volume to encrypt). */
function serverlessOnly(variants: unknown): boolean {
  return Array.isArray(variants) && variants.length > 0
    && variants.every((v) => isObject(v) && isObject(v.serverlessConfig) && v.instanceType === undefined);
}

/**
 * An endpoint configuration without kmsKeyId: the ML storage volumes of its hosting instances are
 * not encrypted with a customer managed key. Serverless-only configurations are not judged.
 */
export const sagemakerEndpointConfigNoKms: Rule = {
  id: 'sagemaker-endpoint-config-no-kms',
  title: 'Endpoint configuration without a customer managed KMS key',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VolumeKmsKey, to require that an encryption key is specified" (a condition key of '
    + 'CreateEndpointConfig); 04-access-management-qa: "To restrict model deployment, you can restrict users access to the '
    + 'following API calls, CreateEndpointConfig".',
  reads,
  successfulOnly: true,
  remediation:
    'Create a new endpoint configuration with kmsKeyId set to the team\'s customer managed key and update the endpoint to it; '
    + 'deny sagemaker:CreateEndpointConfig when sagemaker:VolumeKmsKey is absent.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const params = event.requestParameters;
    if (readKmsKey(params, 'kmsKeyId') !== null) return [];
    if (serverlessOnly(params.productionVariants)) return [];
    const resourceArn = actedOnArn(event, 'endpointConfigArn');
    const localStorage = requestedInstanceTypes(event.eventName, params).filter((t) => hasLocalStorageByName(t.instanceType));
    return [{
      resourceArn,
      message: `Endpoint configuration ${resourceLabel(event, 'endpointConfigName', resourceArn)} has no KMS key for its hosting volumes (kmsKeyId absent).`,
      evidence: {
        kmsKeyId: null,
        decidedBy: `${ABSENT}: SageMaker encrypts the hosting volumes with an AWS managed key, not one you control`,
        ...(localStorage.length > 0
          ? { note: `${localStorage.map((t) => t.instanceType).join(', ')} ha${localStorage.length > 1 ? 've' : 's'} local instance storage, for which SageMaker accepts no kmsKeyId` }
          : {}),
      },
    }];
  },
};
