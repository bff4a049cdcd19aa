import { actedOnArn, isJudgedCall, readVpcConfig, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateTrainingJob'] }];

/** A training job created without a VPC: the exact case the seed's preventive control denies. */
export const sagemakerTrainingJobNoVpc: Rule = {
  id: 'sagemaker-training-job-no-vpc',
  title: 'Training job started outside a VPC',
  severity: 'HIGH',
  rationale:
    '03-preventive-controls: "implement a preventive control that will stop a training job from starting if it’s not launched '
    + 'within a VPC", "to complement the detective control"; 01-self-service-guard-rails lists "sagemaker:VpcSecurityGroupIds, '
    + 'to require that a VPC configuration is provided". This is the detective side: the training jobs that did start without a '
    + 'VPC (before the Deny was rolled out, or by a principal it does not reach).',
  reads,
  successfulOnly: true,
  remediation:
    'Stop the job if it is still running and start it again with vpcConfig (private subnets and security groups). Roll out the '
    + '03-preventive-controls explicit Deny of sagemaker:CreateTrainingJob when sagemaker:VpcSubnets is absent to every role that can train.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const vpc = readVpcConfig(event.requestParameters, 'vpcConfig');
    if (vpc.inVpc) return [];
    const resourceArn = actedOnArn(event, 'trainingJobArn');
    return [{
      resourceArn,
      message: `Training job ${resourceLabel(event, 'trainingJobName', resourceArn)} was started without a VPC (vpcConfig ${vpc.vpcConfig === null ? 'absent' : 'has no subnets'}).`,
      evidence: { vpcConfig: vpc.vpcConfig, decidedBy: vpc.decidedBy },
    }];
  },
};
