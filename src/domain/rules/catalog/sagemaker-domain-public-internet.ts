import { ABSENT, actedOnArn, isJudgedCall, SAGEMAKER_SOURCE } from '../request-fields';
import type { Finding, Rule } from '../types';

const reads = [{ eventSource: SAGEMAKER_SOURCE, eventNames: ['CreateDomain', 'UpdateDomain'] }];

const PUBLIC = 'PublicInternetOnly';

/**
 * A Studio domain whose apps reach the internet through SageMaker's network. On CreateDomain,
 * `appNetworkAccessType` absent = PublicInternetOnly (the API default) and anything but VpcOnly
 * fires; on UpdateDomain absent = unchanged, and only an explicit PublicInternetOnly fires.
 */
export const sagemakerDomainPublicInternet: Rule = {
  id: 'sagemaker-domain-public-internet',
  title: 'Studio domain with public internet access',
  severity: 'HIGH',
  rationale:
    '01-self-service-guard-rails: "sagemaker:DirectInternetAccess, to ensure that notebooks do not have Internet access", with '
    + '"private access to approved Python packages from the data science environments" through a PyPI mirror. Studio notebooks '
    + 'are the same data science environments; appNetworkAccessType PublicInternetOnly gives every app in the domain direct '
    + 'internet access (05-studio-team-isolation-abac sets Studio up for the same teams).',
  reads,
  successfulOnly: true,
  remediation:
    'Update the domain to appNetworkAccessType VpcOnly (with subnets that reach the PyPI mirror and VPC endpoints; no app may be '
    + 'running during the change); deny sagemaker:CreateDomain/UpdateDomain unless sagemaker:AppNetworkAccessType is VpcOnly.',
  evaluate(event): Finding[] {
    if (!isJudgedCall(event, reads)) return [];
    const raw = event.requestParameters.appNetworkAccessType;
    const requested = raw !== undefined && raw !== null;
    const isCreate = event.eventName === 'CreateDomain';
    const isPublic = typeof raw === 'string' && raw.trim().toLowerCase() === PUBLIC.toLowerCase();
    const isVpcOnly = typeof raw === 'string' && raw.trim().toLowerCase() === 'vpconly';
    const fires = isCreate ? !isVpcOnly : isPublic;
    if (!fires) return [];
    const resourceArn = actedOnArn(event, 'domainArn');
    const label = typeof event.requestParameters.domainName === 'string'
      ? event.requestParameters.domainName
      : (typeof event.requestParameters.domainId === 'string' ? event.requestParameters.domainId : resourceArn ?? 'the domain');
    return [{
      resourceArn,
      message: isCreate
        ? `Studio domain ${label} was created with public internet access (appNetworkAccessType ${requested ? String(raw) : `${PUBLIC}, the API default`}).`
        : `Studio domain ${label} was switched to public internet access (appNetworkAccessType ${String(raw)}).`,
      evidence: {
        appNetworkAccessType: requested ? raw : PUBLIC,
        decidedBy: requested ? `set in the ${event.eventName} request` : `${ABSENT} on create: the API default is ${PUBLIC}`,
      },
    }];
  },
};
