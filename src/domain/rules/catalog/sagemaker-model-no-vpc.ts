import { actedOnArn, isJudgedCall, readVpcConfig, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateModel'] }];

/** A model whose containers (hosting, batch transform) run outside a VPC. */
export const sagemakerModelNoVpc: Rule = {
  id: 'sagemaker-model-no-vpc',
  title: 'Model created without a VPC',
  severity: 'MEDIUM',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VpcSecurityGroupIds, to require that a VPC configuration is provided" (a condition '
    + 'key of CreateModel) and the detective control "to detect any Amazon SageMaker resources that are run in a non-compliant '
    + 'manner". Without vpcConfig the model\'s inference containers run in the SageMaker service network, not yours.',
  reads,
  successfulOnly: true,
  remediation:
    'Create the model again with vpcConfig (private subnets and security groups) and move endpoints and transform jobs to it; '
    + 'require sagemaker:VpcSubnets on sagemaker:CreateModel.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const vpc = readVpcConfig(event.requestParameters, 'vpcConfig');
    if (vpc.inVpc) return [];
    const resourceArn = actedOnArn(event, 'modelArn');
    return [{
      resourceArn,
      message: `Model ${resourceLabel(event, 'modelName', resourceArn)} was created without a VPC (vpcConfig ${vpc.vpcConfig === null ? 'absent' : 'has no subnets'}).`,
      evidence: { vpcConfig: vpc.vpcConfig, decidedBy: vpc.decidedBy },
    }];
  },
};
