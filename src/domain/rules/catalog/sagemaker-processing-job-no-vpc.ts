import { actedOnArn, isJudgedCall, readVpcConfig, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateProcessingJob'] }];

/** A processing job created without networkConfig.vpcConfig (an empty subnets list counts as none). */
export const sagemakerProcessingJobNoVpc: Rule = {
  id: 'sagemaker-processing-job-no-vpc',
  title: 'Processing job started outside a VPC',
  severity: 'HIGH',
  rationale:
    '01-self-service-guard-rails: "sagemaker:VpcSecurityGroupIds, to require that a VPC configuration is provided", and the '
    + 'detective control "to detect any Amazon SageMaker resources that are run in a non-compliant manner". A processing job '
    + 'reads and writes the same data as a training job; 03-preventive-controls\' "stop a training job from starting if it’s not '
    + 'launched within a VPC" guards only CreateTrainingJob, so processing jobs are the way around it.',
  reads,
  successfulOnly: true,
  remediation:
    'Run the job again with networkConfig.vpcConfig (private subnets and security groups), and extend the 03-preventive-controls '
    + 'Deny to sagemaker:CreateProcessingJob when sagemaker:VpcSubnets is absent.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const vpc = readVpcConfig(event.requestParameters, 'networkConfig.vpcConfig');
    if (vpc.inVpc) return [];
    const resourceArn = actedOnArn(event, 'processingJobArn');
    return [{
      resourceArn,
      message: `Processing job ${resourceLabel(event, 'processingJobName', resourceArn)} was started without a VPC (networkConfig.vpcConfig ${vpc.vpcConfig === null ? 'absent' : 'has no subnets'}).`,
      evidence: { 'networkConfig.vpcConfig': vpc.vpcConfig, decidedBy: vpc.decidedBy },
    }];
  },
};
