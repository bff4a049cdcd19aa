import { matchesPrincipalPattern } from '../principal-patterns';
import { actedOnArn, isJudgedCall, resourceLabel, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateEndpointConfig', 'CreateEndpoint'] }];

/**
 * A deployment step (CreateEndpointConfig, CreateEndpoint) by a principal not in config `deployers`
 * (ARN globs, `*` = any run of characters, case-sensitive as IAM's ArnLike). The principal is the
 * event's principal key: for an assumed-role session, the role that issued it. Not judged when
 * `deployers` is empty (the rule is not configured). A call whose principal is unknown fires: it
 * cannot be shown to come from a deployer, and the evidence says the principal is unknown.
 */
export const sagemakerEndpointDeployUnauthorized: Rule = {
  id: 'sagemaker-endpoint-deploy-unauthorized',
  title: 'Model deployed by a principal that is not an approved deployer',
  severity: 'HIGH',
  rationale:
    '04-access-management-qa, "Restricting Sage Maker Model deployment": "To restrict model deployment, you can restrict users '
    + 'access to the following API calls, CreateEndpointConfig [10], which creates an endpoint configuration that SageMaker hosting '
    + 'services uses to deploy models and, CreateEndpoint [11], which creates an endpoint using the endpoint configuration specified." '
    + 'This rule detects those calls by anyone outside the approved deployers.',
  reads,
  successfulOnly: true,
  remediation:
    'Confirm the deployment with its owner; delete the endpoint (configuration) if it was not approved, and remove '
    + 'sagemaker:CreateEndpointConfig/CreateEndpoint from the principal\'s policies. Add the principal to deployers if it is approved.',
  evaluate(event, ctx): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const deployers = ctx.config.deployers;
    if (deployers.length === 0) return [];
    const principal = event.principalArn;
    if (principal !== null && deployers.some((pattern) => matchesPrincipalPattern(pattern, principal))) return [];
    const isEndpoint = event.eventName === 'CreateEndpoint';
    const resourceArn = actedOnArn(event, isEndpoint ? 'endpointArn' : 'endpointConfigArn');
    const label = resourceLabel(event, isEndpoint ? 'endpointName' : 'endpointConfigName', resourceArn);
    return [{
      resourceArn,
      message: `${principal ?? 'An unknown principal'} called ${event.eventName} (${label}) but is not an approved deployer.`,
      evidence: {
        principalArn: principal,
        decidedBy: principal === null
          ? 'the principal is unknown: it cannot be matched to any deployer'
          : 'the principal matches none of the deployers patterns',
        deployers,
        ...(isEndpoint && typeof event.requestParameters.endpointConfigName === 'string'
          ? { endpointConfigName: event.requestParameters.endpointConfigName }
          : {}),
      },
    }];
  },
};
