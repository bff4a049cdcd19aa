import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cloudTrailRecord,
  createTrainingJob,
  sageMakerArn,
  type Actor,
  type CloudTrailRecord,
} from '../../src/demo/cloudtrail-records';
import { resolvePrincipal } from '../../src/domain/cloudtrail/principal';
import { SAGEMAKER_CONFIG_RULES } from '../../src/domain/rules/catalog/sagemaker-config-index';
import { sagemakerDomainPublicInternet } from '../../src/domain/rules/catalog/sagemaker-domain-public-internet';
import { sagemakerEndpointConfigNoKms } from '../../src/domain/rules/catalog/sagemaker-endpoint-config-no-kms';
import { sagemakerEndpointDeployUnauthorized } from '../../src/domain/rules/catalog/sagemaker-endpoint-deploy-unauthorized';
import { sagemakerInstanceTypeNotAllowed } from '../../src/domain/rules/catalog/sagemaker-instance-type-not-allowed';
import { sagemakerModelNoNetworkIsolation } from '../../src/domain/rules/catalog/sagemaker-model-no-network-isolation';
import { sagemakerModelNoVpc } from '../../src/domain/rules/catalog/sagemaker-model-no-vpc';
import { sagemakerNotebookDirectInternet } from '../../src/domain/rules/catalog/sagemaker-notebook-direct-internet';
import { sagemakerNotebookNoKms } from '../../src/domain/rules/catalog/sagemaker-notebook-no-kms';
import { sagemakerNotebookNoVpc } from '../../src/domain/rules/catalog/sagemaker-notebook-no-vpc';
import { sagemakerNotebookOutsideServiceCatalog } from '../../src/domain/rules/catalog/sagemaker-notebook-outside-service-catalog';
import { sagemakerNotebookRootAccess } from '../../src/domain/rules/catalog/sagemaker-notebook-root-access';
import { sagemakerProcessingJobNoVpc } from '../../src/domain/rules/catalog/sagemaker-processing-job-no-vpc';
import { sagemakerTrainingJobNoIntercontainerEncryption } from '../../src/domain/rules/catalog/sagemaker-training-job-no-intercontainer-encryption';
import { sagemakerTrainingJobNoNetworkIsolation } from '../../src/domain/rules/catalog/sagemaker-training-job-no-network-isolation';
import { sagemakerTrainingJobNoOutputKms } from '../../src/domain/rules/catalog/sagemaker-training-job-no-output-kms';
import { sagemakerTrainingJobNoVolumeKms } from '../../src/domain/rules/catalog/sagemaker-training-job-no-volume-kms';
import { sagemakerTrainingJobNoVpc } from '../../src/domain/rules/catalog/sagemaker-training-job-no-vpc';
import { sagemakerTuningJobNoVpc } from '../../src/domain/rules/catalog/sagemaker-tuning-job-no-vpc';
import { matchesPrincipalPattern as globMatches } from '../../src/domain/rules/principal-patterns';
import { hasLocalStorageByName, isTrueFlag } from '../../src/domain/rules/request-fields';
import { DEFAULT_RULE_CONFIG, type Rule, type RuleConfig, type RuleContext, type RuleEvent } from '../../src/domain/rules/types';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Records in the real CloudTrail format, and the RuleEvent the evaluator would build from them.

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const T0 = new Date('2026-11-03T10:00:00Z');
const SAGEMAKER = 'sagemaker.amazonaws.com';
const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const SG = 'sg-0a1b2c3d4e5f60718';
const VPC_CONFIG = { securityGroupIds: [SG], subnets: [SUBNET] };
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/SageMakerExecutionRole`;
const APPROVED_PRODUCT = `arn:aws:catalog:${REGION}:${ACCOUNT}:product/prod-abcdefghijklm`;

/** The notebook's execution role, as in 03-preventive-controls' AccessDenied message. */
const notebookRole: Actor = { accountId: ACCOUNT, name: 'SageMakerExecRole-ml-product-team', kind: 'AssumedRole', sessionName: 'SageMaker' };
const mlopsRole: Actor = { accountId: ACCOUNT, name: 'mlops-deployer', kind: 'AssumedRole', sessionName: 'github-actions' };
const intern: Actor = { accountId: ACCOUNT, name: 'intern', kind: 'IAMUser' };

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RuleEvent from a CloudTrail record: parameters as logged, primary resource from the response's `…Arn`. */
function toRuleEvent(record: CloudTrailRecord, opts: { primaryResourceArn?: string } = {}): RuleEvent {
  const requestParameters = isObj(record.requestParameters) ? record.requestParameters : {};
  const responseElements = isObj(record.responseElements) ? record.responseElements : {};
  const fromResponse = Object.entries(responseElements).find(([k, v]) => /Arn$/.test(k) && typeof v === 'string')?.[1] as string | undefined;
  const primaryResourceArn = fromResponse ?? opts.primaryResourceArn ?? null;
  const { principal } = resolvePrincipal(record);
  return {
    eventId: record.eventID,
    eventTime: new Date(record.eventTime),
    eventSource: String(record.eventSource),
    eventName: String(record.eventName),
    awsRegion: typeof record.awsRegion === 'string' ? record.awsRegion : null,
    accountId: typeof record.recipientAccountId === 'string' ? record.recipientAccountId : null,
    principalArn: principal?.arn ?? null,
    principalType: principal?.type ?? null,
    principalName: principal?.name ?? null,
    errorCode: typeof record.errorCode === 'string' ? record.errorCode : null,
    errorMessage: typeof record.errorMessage === 'string' ? record.errorMessage : null,
    requestParameters,
    responseElements,
    resourceArns: primaryResourceArn ? [primaryResourceArn] : [],
    primaryResourceArn,
    userAgent: typeof record.userAgent === 'string' ? record.userAgent : null,
  };
}

function context(o: { config?: Partial<RuleConfig>; team?: string | null; resourceOwners?: RuleContext['resourceOwners'] } = {}): RuleContext {
  const team = o.team === undefined ? 'teamA' : o.team;
  return {
    teamTagKey: 'team',
    config: { ...DEFAULT_RULE_CONFIG, ...o.config },
    principalTeam: team,
    principalTags: team ? { team } : {},
    resourceOwners: o.resourceOwners ?? {},
  };
}

/** The same call, refused: AccessDenied as in 03-preventive-controls; CloudTrail then logs no responseElements. */
function denied(record: CloudTrailRecord): CloudTrailRecord {
  const action = `sagemaker:${String(record.eventName)}`;
  return {
    ...structuredClone(record),
    errorCode: 'AccessDenied',
    errorMessage: `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole-ml-product-team/SageMaker is not authorized to perform: ${action} with an explicit deny`,
    responseElements: null,
  };
}

function sagemakerCall(eventName: string, requestParameters: Json, responseElements: Json | null, actor: Actor = notebookRole): CloudTrailRecord {
  return cloudTrailRecord({ actor, time: T0, region: REGION, eventSource: SAGEMAKER, eventName, requestParameters, responseElements });
}

const TRAINING_JOB = 'churn-v7';
const TRAINING_ARN = sageMakerArn(REGION, ACCOUNT, 'training-job', TRAINING_JOB);

/** CreateTrainingJob from the record builder, then edited as a caller would have sent it. */
function trainingJob(edit: (rp: Json) => void = () => {}, o: { vpc?: boolean; instanceType?: string; actor?: Actor } = {}): CloudTrailRecord {
  const record = createTrainingJob({
    actor: o.actor ?? notebookRole, time: T0, region: REGION, jobName: TRAINING_JOB, team: 'teamA', vpc: o.vpc ?? true, instanceType: o.instanceType,
  });
  edit(record.requestParameters as Json);
  return record;
}

/** A training job meeting every guard rail. */
function compliantTrainingJob(): CloudTrailRecord {
  return trainingJob((rp) => {
    (rp.resourceConfig as Json).volumeKmsKeyId = KMS_KEY;
    (rp.outputDataConfig as Json).kmsKeyId = KMS_KEY;
    rp.enableNetworkIsolation = true;
    rp.enableInterContainerTrafficEncryption = true;
  });
}

const NOTEBOOK = 'ds-notebook-alice';
const NOTEBOOK_ARN = sageMakerArn(REGION, ACCOUNT, 'notebook-instance', NOTEBOOK);
const LOCKED_DOWN_NOTEBOOK: Json = {
  subnetId: SUBNET, securityGroupIds: [SG], directInternetAccess: 'Disabled', rootAccess: 'Disabled', kmsKeyId: KMS_KEY,
};

function createNotebook(params: Json = {}, actor: Actor = notebookRole): CloudTrailRecord {
  return sagemakerCall(
    'CreateNotebookInstance',
    { notebookInstanceName: NOTEBOOK, instanceType: 'ml.t3.medium', roleArn: EXEC_ROLE, volumeSizeInGB: 20, ...params },
    { notebookInstanceArn: NOTEBOOK_ARN },
    actor,
  );
}

/** UpdateNotebookInstance answers with an empty body: the notebook is known by its name only. */
function updateNotebook(params: Json): CloudTrailRecord {
  return sagemakerCall('UpdateNotebookInstance', { notebookInstanceName: NOTEBOOK, ...params }, {});
}
const updateEvent = (record: CloudTrailRecord) => toRuleEvent(record, { primaryResourceArn: NOTEBOOK_ARN });

const PROCESSING_JOB = 'churn-features-2026-11-03';
const PROCESSING_ARN = sageMakerArn(REGION, ACCOUNT, 'processing-job', PROCESSING_JOB);
function createProcessingJob(networkConfig: Json | undefined, instanceType = 'ml.m5.xlarge'): CloudTrailRecord {
  return sagemakerCall('CreateProcessingJob', {
    processingJobName: PROCESSING_JOB,
    processingResources: { clusterConfig: { instanceCount: 1, instanceType, volumeSizeInGB: 30 } },
    appSpecification: { imageUri: `141502667606.dkr.ecr.${REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3` },
    roleArn: EXEC_ROLE,
    stoppingCondition: { maxRuntimeInSeconds: 3600 },
    ...(networkConfig ? { networkConfig } : {}),
  }, { processingJobArn: PROCESSING_ARN });
}

const TUNING_JOB = 'churn-hpo-3';
const TUNING_ARN = sageMakerArn(REGION, ACCOUNT, 'hyper-parameter-tuning-job', TUNING_JOB);
function trainingDefinition(o: { name?: string; vpc: boolean; instanceType?: string }): Json {
  return {
    ...(o.name ? { definitionName: o.name } : {}),
    algorithmSpecification: { trainingImage: `683313688378.dkr.ecr.${REGION}.amazonaws.com/sagemaker-xgboost:1.7-1`, trainingInputMode: 'File' },
    roleArn: EXEC_ROLE,
    outputDataConfig: { s3OutputPath: `s3://ml-artifacts-${ACCOUNT}/${TUNING_JOB}/output` },
    resourceConfig: { instanceType: o.instanceType ?? 'ml.m5.xlarge', instanceCount: 1, volumeSizeInGB: 30 },
    stoppingCondition: { maxRuntimeInSeconds: 3600 },
    staticHyperParameters: { objective: 'binary:logistic' },
    ...(o.vpc ? { vpcConfig: VPC_CONFIG } : {}),
  };
}
function createTuningJob(definitions: { trainingJobDefinition?: Json; trainingJobDefinitions?: Json[] }): CloudTrailRecord {
  return sagemakerCall('CreateHyperParameterTuningJob', {
    hyperParameterTuningJobName: TUNING_JOB,
    hyperParameterTuningJobConfig: {
      strategy: 'Bayesian',
      hyperParameterTuningJobObjective: { type: 'Maximize', metricName: 'validation:auc' },
      resourceLimits: { maxNumberOfTrainingJobs: 20, maxParallelTrainingJobs: 2 },
    },
    ...definitions,
  }, { hyperParameterTuningJobArn: TUNING_ARN });
}

const MODEL = 'churn-v7-model';
const MODEL_ARN = sageMakerArn(REGION, ACCOUNT, 'model', MODEL);
function createModel(params: Json = {}): CloudTrailRecord {
  return sagemakerCall('CreateModel', {
    modelName: MODEL,
    primaryContainer: { image: `763104351884.dkr.ecr.${REGION}.amazonaws.com/pytorch-inference:2.1-cpu-py310`, modelDataUrl: `s3://ml-artifacts-${ACCOUNT}/${TRAINING_JOB}/output/model.tar.gz` },
    executionRoleArn: EXEC_ROLE,
    ...params,
  }, { modelArn: MODEL_ARN });
}

const ENDPOINT_CONFIG = 'churn-v7-config';
const ENDPOINT_CONFIG_ARN = sageMakerArn(REGION, ACCOUNT, 'endpoint-config', ENDPOINT_CONFIG);
const instanceVariant = (instanceType = 'ml.m5.large', name = 'AllTraffic'): Json => ({
  variantName: name, modelName: MODEL, initialInstanceCount: 1, instanceType, initialVariantWeight: 1,
});
function createEndpointConfig(params: Json = {}, actor: Actor = mlopsRole): CloudTrailRecord {
  return sagemakerCall('CreateEndpointConfig', { endpointConfigName: ENDPOINT_CONFIG, productionVariants: [instanceVariant()], ...params }, { endpointConfigArn: ENDPOINT_CONFIG_ARN }, actor);
}

const ENDPOINT = 'churn-prod';
const ENDPOINT_ARN = sageMakerArn(REGION, ACCOUNT, 'endpoint', ENDPOINT);
function createEndpoint(actor: Actor): CloudTrailRecord {
  return sagemakerCall('CreateEndpoint', { endpointName: ENDPOINT, endpointConfigName: ENDPOINT_CONFIG }, { endpointArn: ENDPOINT_ARN }, actor);
}

const DOMAIN_ID = 'd-abcdefghijkl';
const DOMAIN_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:domain/${DOMAIN_ID}`;
function createDomain(params: Json = {}): CloudTrailRecord {
  return sagemakerCall('CreateDomain', {
    domainName: 'ds-studio',
    authMode: 'IAM',
    defaultUserSettings: { executionRole: EXEC_ROLE },
    subnetIds: [SUBNET],
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    ...params,
  }, { domainArn: DOMAIN_ARN, url: `https://${DOMAIN_ID}.studio.${REGION}.sagemaker.aws` }, intern);
}
function updateDomain(params: Json = {}): CloudTrailRecord {
  return sagemakerCall('UpdateDomain', { domainId: DOMAIN_ID, ...params }, { domainArn: DOMAIN_ARN }, intern);
}

/** Deeply frozen, so a rule that wrote to its input would throw. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

const isRuleEvent = (value: CloudTrailRecord | RuleEvent): value is RuleEvent => typeof value.eventId === 'string';

function run(rule: Rule, record: CloudTrailRecord | RuleEvent, ctx: RuleContext = context()) {
  const event = isRuleEvent(record) ? record : toRuleEvent(record);
  return rule.evaluate(frozen(event), frozen(ctx));
}

// ---------------------------------------------------------------------------------------------

describe('the SageMaker configuration catalog', () => {
  it('holds 18 rules with the contract ids, each judging only successful SageMaker calls', () => {
    // Arrange
    const expected = [
      'sagemaker-training-job-no-vpc', 'sagemaker-processing-job-no-vpc', 'sagemaker-tuning-job-no-vpc', 'sagemaker-model-no-vpc',
      'sagemaker-notebook-no-vpc', 'sagemaker-notebook-direct-internet', 'sagemaker-notebook-root-access', 'sagemaker-notebook-no-kms',
      'sagemaker-training-job-no-volume-kms', 'sagemaker-training-job-no-output-kms', 'sagemaker-training-job-no-network-isolation',
      'sagemaker-training-job-no-intercontainer-encryption', 'sagemaker-model-no-network-isolation', 'sagemaker-endpoint-config-no-kms',
      'sagemaker-domain-public-internet', 'sagemaker-instance-type-not-allowed', 'sagemaker-endpoint-deploy-unauthorized',
      'sagemaker-notebook-outside-service-catalog',
    ];

    // Act
    const ids = SAGEMAKER_CONFIG_RULES.map((r) => r.id);

    // Assert
    expect([...ids].sort()).toEqual([...expected].sort());
    for (const rule of SAGEMAKER_CONFIG_RULES) {
      expect(rule.successfulOnly).toBe(true);
      expect(rule.reads.every((r) => r.eventSource === SAGEMAKER && r.eventNames.length > 0)).toBe(true);
      expect(rule.title.length).toBeGreaterThan(0);
      expect(rule.remediation.length).toBeGreaterThan(0);
    }
  });

  it('cites a seed in every rationale, quoting it', () => {
    // Arrange
    const seeds = /(01-self-service-guard-rails|03-preventive-controls|04-access-management-qa)/;

    // Act
    const withoutCitation = SAGEMAKER_CONFIG_RULES.filter((r) => !seeds.test(r.rationale) || !r.rationale.includes('"'));

    // Assert
    expect(withoutCitation.map((r) => r.id)).toEqual([]);
  });

  it('quotes the seeds word for word', () => {
    // Arrange
    const seedDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'seeds');
    if (!fs.existsSync(seedDir)) return;
    const seedText = fs.readdirSync(seedDir).map((f) => fs.readFileSync(path.join(seedDir, f), 'utf8')).join('\n').replace(/\s+/g, ' ');

    // Act: every quoted passage of a rationale that names a seed
    const misquoted: string[] = [];
    for (const rule of SAGEMAKER_CONFIG_RULES) {
      for (const [, quote] of rule.rationale.matchAll(/"([^"]{12,})"/g)) {
        if (!seedText.includes(quote.replace(/\s+/g, ' '))) misquoted.push(`${rule.id}: ${quote}`);
      }
    }

    // Assert
    expect(misquoted).toEqual([]);
  });
});

/** For each rule: one call per event name it reads that breaks it, and the context that makes it judge. */
const BREAKING_CALLS: { rule: Rule; record: CloudTrailRecord; ctx: RuleContext; primaryResourceArn?: string; resourceArn: string }[] = [
  { rule: sagemakerTrainingJobNoVpc, record: trainingJob(() => {}, { vpc: false }), ctx: context(), resourceArn: TRAINING_ARN },
  { rule: sagemakerProcessingJobNoVpc, record: createProcessingJob(undefined), ctx: context(), resourceArn: PROCESSING_ARN },
  { rule: sagemakerTuningJobNoVpc, record: createTuningJob({ trainingJobDefinition: trainingDefinition({ vpc: false }) }), ctx: context(), resourceArn: TUNING_ARN },
  { rule: sagemakerModelNoVpc, record: createModel(), ctx: context(), resourceArn: MODEL_ARN },
  { rule: sagemakerNotebookNoVpc, record: createNotebook(), ctx: context(), resourceArn: NOTEBOOK_ARN },
  { rule: sagemakerNotebookDirectInternet, record: createNotebook(), ctx: context(), resourceArn: NOTEBOOK_ARN },
  { rule: sagemakerNotebookRootAccess, record: createNotebook(), ctx: context(), resourceArn: NOTEBOOK_ARN },
  { rule: sagemakerNotebookRootAccess, record: updateNotebook({ rootAccess: 'Enabled' }), ctx: context(), primaryResourceArn: NOTEBOOK_ARN, resourceArn: NOTEBOOK_ARN },
  { rule: sagemakerNotebookNoKms, record: createNotebook(), ctx: context(), resourceArn: NOTEBOOK_ARN },
  { rule: sagemakerTrainingJobNoVolumeKms, record: trainingJob(), ctx: context(), resourceArn: TRAINING_ARN },
  { rule: sagemakerTrainingJobNoOutputKms, record: trainingJob(), ctx: context(), resourceArn: TRAINING_ARN },
  { rule: sagemakerTrainingJobNoNetworkIsolation, record: trainingJob(), ctx: context(), resourceArn: TRAINING_ARN },
  { rule: sagemakerTrainingJobNoIntercontainerEncryption, record: trainingJob(), ctx: context(), resourceArn: TRAINING_ARN },
  { rule: sagemakerModelNoNetworkIsolation, record: createModel(), ctx: context(), resourceArn: MODEL_ARN },
  { rule: sagemakerEndpointConfigNoKms, record: createEndpointConfig(), ctx: context(), resourceArn: ENDPOINT_CONFIG_ARN },
  { rule: sagemakerDomainPublicInternet, record: createDomain(), ctx: context(), resourceArn: DOMAIN_ARN },
  { rule: sagemakerDomainPublicInternet, record: updateDomain({ appNetworkAccessType: 'PublicInternetOnly' }), ctx: context(), resourceArn: DOMAIN_ARN },
  ...(['CreateNotebookInstance', 'UpdateNotebookInstance', 'CreateTrainingJob', 'CreateHyperParameterTuningJob', 'CreateProcessingJob', 'CreateEndpointConfig'] as const).map((name) => {
    const big = 'ml.p4d.24xlarge';
    const records: Record<typeof name, [CloudTrailRecord, string]> = {
      CreateNotebookInstance: [createNotebook({ ...LOCKED_DOWN_NOTEBOOK, instanceType: big }), NOTEBOOK_ARN],
      UpdateNotebookInstance: [updateNotebook({ instanceType: big }), NOTEBOOK_ARN],
      CreateTrainingJob: [trainingJob(() => {}, { instanceType: big }), TRAINING_ARN],
      CreateHyperParameterTuningJob: [createTuningJob({ trainingJobDefinition: trainingDefinition({ vpc: true, instanceType: big }) }), TUNING_ARN],
      CreateProcessingJob: [createProcessingJob({ vpcConfig: VPC_CONFIG }, big), PROCESSING_ARN],
      CreateEndpointConfig: [createEndpointConfig({ productionVariants: [instanceVariant(big)] }), ENDPOINT_CONFIG_ARN],
    };
    const [record, resourceArn] = records[name];
    return {
      rule: sagemakerInstanceTypeNotAllowed, record, resourceArn, primaryResourceArn: resourceArn,
      ctx: context({ config: { instanceTypeAllowList: { teamA: ['ml.t3.medium', 'ml.m5.xlarge', 'ml.m5.large'] } } }),
    };
  }),
  { rule: sagemakerEndpointDeployUnauthorized, record: createEndpointConfig({}, intern), ctx: context({ config: { deployers: [`arn:aws:iam::${ACCOUNT}:role/mlops-*`] } }), resourceArn: ENDPOINT_CONFIG_ARN },
  { rule: sagemakerEndpointDeployUnauthorized, record: createEndpoint(intern), ctx: context({ config: { deployers: [`arn:aws:iam::${ACCOUNT}:role/mlops-*`] } }), resourceArn: ENDPOINT_ARN },
  { rule: sagemakerNotebookOutsideServiceCatalog, record: createNotebook(LOCKED_DOWN_NOTEBOOK), ctx: context({ config: { serviceCatalogProducts: [APPROVED_PRODUCT] } }), resourceArn: NOTEBOOK_ARN },
];

describe.each(BREAKING_CALLS.map((c) => [c.rule.id, String(c.record.eventName), c] as const))('%s on %s', (_id, _name, c) => {
  it('fires on the successful call, naming the created resource', () => {
    // Arrange
    const event = toRuleEvent(c.record, { primaryResourceArn: c.primaryResourceArn });

    // Act
    const findings = run(c.rule, event, c.ctx);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].resourceArn).toBe(c.resourceArn);
    expect(findings[0].message.length).toBeGreaterThan(0);
    expect(Object.keys(findings[0].evidence).length).toBeGreaterThan(0);
  });

  it('never fires on the same call denied (errorCode set, no responseElements)', () => {
    // Arrange
    const event = toRuleEvent(denied(c.record), { primaryResourceArn: c.primaryResourceArn });

    // Act
    const findings = run(c.rule, event, c.ctx);

    // Assert
    expect(event.errorCode).toBe('AccessDenied');
    expect(findings).toEqual([]);
  });

  it('is deterministic: the same event and context give the same findings', () => {
    // Arrange
    const event = toRuleEvent(c.record, { primaryResourceArn: c.primaryResourceArn });

    // Act
    const first = run(c.rule, event, c.ctx);
    const second = run(c.rule, event, c.ctx);

    // Assert
    expect(second).toEqual(first);
  });

  it('ignores calls it does not read', () => {
    // Arrange: the same parameters under another event name
    const event = { ...toRuleEvent(c.record, { primaryResourceArn: c.primaryResourceArn }), eventName: 'DescribeTrainingJob' };

    // Act
    const findings = run(c.rule, event, c.ctx);

    // Assert
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('sagemaker-training-job-no-vpc', () => {
  it('fires when vpcConfig is absent, as the SDK leaves it out', () => {
    // Arrange
    const record = trainingJob(() => {}, { vpc: false });

    // Act
    const findings = run(sagemakerTrainingJobNoVpc, record);

    // Assert
    expect(findings).toEqual([{
      resourceArn: TRAINING_ARN,
      message: expect.stringContaining('churn-v7'),
      evidence: { vpcConfig: null, decidedBy: expect.stringContaining('absent from the request') },
    }]);
  });

  it('fires when vpcConfig has an empty subnets list', () => {
    // Arrange
    const record = trainingJob((rp) => { rp.vpcConfig = { securityGroupIds: [SG], subnets: [] }; });

    // Act
    const findings = run(sagemakerTrainingJobNoVpc, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ vpcConfig: { securityGroupIds: [SG], subnets: [] }, decidedBy: expect.stringContaining('no subnets') });
  });

  it('does not fire when vpcConfig names subnets', () => {
    // Arrange
    const record = trainingJob(() => {}, { vpc: true });

    // Act
    const findings = run(sagemakerTrainingJobNoVpc, record);

    // Assert
    expect(findings).toEqual([]);
  });

  it('falls back to the event\'s primary resource when the response carries no ARN', () => {
    // Arrange
    const record = trainingJob(() => {}, { vpc: false });
    record.responseElements = null;
    const event = toRuleEvent(record, { primaryResourceArn: TRAINING_ARN });

    // Act
    const findings = run(sagemakerTrainingJobNoVpc, event);

    // Assert
    expect(findings[0].resourceArn).toBe(TRAINING_ARN);
  });
});

describe('sagemaker-processing-job-no-vpc', () => {
  it('fires without networkConfig, and with networkConfig but no vpcConfig', () => {
    // Arrange
    const none = createProcessingJob(undefined);
    const isolatedOnly = createProcessingJob({ enableNetworkIsolation: true });

    // Act
    const a = run(sagemakerProcessingJobNoVpc, none);
    const b = run(sagemakerProcessingJobNoVpc, isolatedOnly);

    // Assert
    expect(a).toHaveLength(1);
    expect(a[0].evidence).toEqual({ 'networkConfig.vpcConfig': null, decidedBy: expect.stringContaining('absent from the request') });
    expect(b).toHaveLength(1);
  });

  it('fires on an empty subnets list and not on a real VpcConfig', () => {
    // Arrange
    const empty = createProcessingJob({ vpcConfig: { securityGroupIds: [SG], subnets: [] } });
    const inVpc = createProcessingJob({ vpcConfig: VPC_CONFIG });

    // Act / Assert
    expect(run(sagemakerProcessingJobNoVpc, empty)).toHaveLength(1);
    expect(run(sagemakerProcessingJobNoVpc, inVpc)).toEqual([]);
  });
});

describe('sagemaker-tuning-job-no-vpc', () => {
  it('names every definition without a VPC in one finding', () => {
    // Arrange
    const record = createTuningJob({
      trainingJobDefinitions: [
        trainingDefinition({ name: 'xgb-large', vpc: true }),
        trainingDefinition({ name: 'xgb-small', vpc: false }),
        trainingDefinition({ vpc: false }),
      ],
    });

    // Act
    const findings = run(sagemakerTuningJobNoVpc, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].resourceArn).toBe(TUNING_ARN);
    expect(findings[0].message).toContain('2 of 3');
    expect(findings[0].evidence).toEqual({
      definitionsInRequest: 3,
      definitionsWithoutVpc: [
        { definition: 'trainingJobDefinitions[1]', definitionName: 'xgb-small', vpcConfig: null, decidedBy: expect.stringContaining('absent from the request') },
        { definition: 'trainingJobDefinitions[2]', definitionName: null, vpcConfig: null, decidedBy: expect.stringContaining('absent from the request') },
      ],
    });
  });

  it('judges the single trainingJobDefinition, an empty subnets list counting as none', () => {
    // Arrange
    const def = { ...trainingDefinition({ vpc: true }), vpcConfig: { securityGroupIds: [SG], subnets: [] } };
    const record = createTuningJob({ trainingJobDefinition: def });

    // Act
    const findings = run(sagemakerTuningJobNoVpc, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect((findings[0].evidence.definitionsWithoutVpc as Json[])[0]).toMatchObject({ definition: 'trainingJobDefinition' });
  });

  it('does not fire when every definition has a VPC', () => {
    // Arrange
    const record = createTuningJob({
      trainingJobDefinition: trainingDefinition({ vpc: true }),
      trainingJobDefinitions: [trainingDefinition({ name: 'a', vpc: true })],
    });

    // Act / Assert
    expect(run(sagemakerTuningJobNoVpc, record)).toEqual([]);
  });
});

describe('sagemaker-model-no-vpc', () => {
  it('fires without vpcConfig and not with one', () => {
    // Arrange
    const without = createModel();
    const within = createModel({ vpcConfig: VPC_CONFIG });

    // Act
    const findings = run(sagemakerModelNoVpc, without);

    // Assert
    expect(findings).toEqual([{ resourceArn: MODEL_ARN, message: expect.any(String), evidence: { vpcConfig: null, decidedBy: expect.stringContaining('absent') } }]);
    expect(run(sagemakerModelNoVpc, within)).toEqual([]);
  });
});

describe('sagemaker-notebook-no-vpc', () => {
  it('fires without subnetId, labelling the absence', () => {
    // Arrange
    const record = createNotebook();

    // Act
    const findings = run(sagemakerNotebookNoVpc, record);

    // Assert
    expect(findings).toEqual([{
      resourceArn: NOTEBOOK_ARN,
      message: expect.stringContaining(NOTEBOOK),
      evidence: { subnetId: null, decidedBy: expect.stringContaining('absent from the request') },
    }]);
  });

  it('fires on a blank subnetId and not on a real one', () => {
    // Arrange
    const blank = createNotebook({ subnetId: '' });
    const inVpc = createNotebook({ subnetId: SUBNET, securityGroupIds: [SG] });

    // Act
    const findings = run(sagemakerNotebookNoVpc, blank);

    // Assert
    expect(findings[0].evidence).toEqual({ subnetId: '', decidedBy: expect.stringContaining('blank') });
    expect(run(sagemakerNotebookNoVpc, inVpc)).toEqual([]);
  });
});

describe('sagemaker-notebook-direct-internet', () => {
  it('fires when directInternetAccess is absent: the API default is Enabled', () => {
    // Arrange: in a VPC, but direct internet access left to the default
    const record = createNotebook({ subnetId: SUBNET, securityGroupIds: [SG] });

    // Act
    const findings = run(sagemakerNotebookDirectInternet, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ directInternetAccess: 'Enabled', decidedBy: 'absent from the request: the API default is Enabled' });
    expect(findings[0].message).toContain('the API default');
  });

  it('fires when directInternetAccess is "Enabled" and reads it from its own field, not rootAccess', () => {
    // Arrange: root access disabled must not hide direct internet access (the Prowler mix-up)
    const record = createNotebook({ subnetId: SUBNET, directInternetAccess: 'Enabled', rootAccess: 'Disabled' });

    // Act
    const findings = run(sagemakerNotebookDirectInternet, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ directInternetAccess: 'Enabled', decidedBy: 'set in the request' });
  });

  it('does not fire on "Disabled", even with root access enabled', () => {
    // Arrange
    const record = createNotebook({ subnetId: SUBNET, directInternetAccess: 'Disabled', rootAccess: 'Enabled' });

    // Act / Assert
    expect(run(sagemakerNotebookDirectInternet, record)).toEqual([]);
  });

  it('treats a boolean as not "Disabled": the API takes only the strings Enabled/Disabled', () => {
    // Arrange: a tool comparing with booleans would take false for "off"
    const record = createNotebook({ subnetId: SUBNET, directInternetAccess: false });

    // Act
    const findings = run(sagemakerNotebookDirectInternet, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence.directInternetAccess).toBe(false);
  });
});

describe('sagemaker-notebook-root-access', () => {
  it('fires on a create without rootAccess: the API default is Enabled', () => {
    // Arrange
    const record = createNotebook({ subnetId: SUBNET, directInternetAccess: 'Disabled' });

    // Act
    const findings = run(sagemakerNotebookRootAccess, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ rootAccess: 'Enabled', decidedBy: 'absent from the request on create: the API default is Enabled' });
  });

  it('fires on a create with rootAccess "Enabled" and not with "Disabled"', () => {
    // Arrange
    const enabled = createNotebook({ rootAccess: 'Enabled', directInternetAccess: 'Disabled' });
    const disabled = createNotebook({ rootAccess: 'Disabled', directInternetAccess: 'Enabled' });

    // Act / Assert
    expect(run(sagemakerNotebookRootAccess, enabled)[0].evidence).toEqual({ rootAccess: 'Enabled', decidedBy: 'set in the CreateNotebookInstance request' });
    expect(run(sagemakerNotebookRootAccess, disabled)).toEqual([]);
  });

  it('fires on an update setting rootAccess "Enabled", naming the notebook from the event', () => {
    // Arrange
    const event = updateEvent(updateNotebook({ rootAccess: 'Enabled' }));

    // Act
    const findings = run(sagemakerNotebookRootAccess, event);

    // Assert
    expect(findings).toEqual([{
      resourceArn: NOTEBOOK_ARN,
      message: expect.stringContaining('updated'),
      evidence: { rootAccess: 'Enabled', decidedBy: 'set in the UpdateNotebookInstance request' },
    }]);
  });

  it('does not fire on an update that leaves rootAccess out (unchanged) or disables it', () => {
    // Arrange
    const untouched = updateEvent(updateNotebook({ instanceType: 'ml.t3.large' }));
    const disabling = updateEvent(updateNotebook({ rootAccess: 'Disabled' }));

    // Act / Assert
    expect(run(sagemakerNotebookRootAccess, untouched)).toEqual([]);
    expect(run(sagemakerNotebookRootAccess, disabling)).toEqual([]);
  });
});

describe('sagemaker-notebook-no-kms', () => {
  it('fires without kmsKeyId and not with one', () => {
    // Arrange
    const without = createNotebook({ subnetId: SUBNET });
    const withKey = createNotebook({ kmsKeyId: KMS_KEY });

    // Act
    const findings = run(sagemakerNotebookNoKms, without);

    // Assert
    expect(findings).toEqual([{ resourceArn: NOTEBOOK_ARN, message: expect.any(String), evidence: { kmsKeyId: null, decidedBy: expect.stringContaining('absent from the request') } }]);
    expect(run(sagemakerNotebookNoKms, withKey)).toEqual([]);
  });
});

describe('sagemaker-training-job-no-volume-kms', () => {
  it('fires without resourceConfig.volumeKmsKeyId and not with one', () => {
    // Arrange
    const without = trainingJob();
    const withKey = trainingJob((rp) => { (rp.resourceConfig as Json).volumeKmsKeyId = KMS_KEY; });

    // Act
    const findings = run(sagemakerTrainingJobNoVolumeKms, without);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ 'resourceConfig.volumeKmsKeyId': null, decidedBy: expect.stringContaining('absent from the request') });
    expect(run(sagemakerTrainingJobNoVolumeKms, withKey)).toEqual([]);
  });

  it('does not take the output key for the volume key', () => {
    // Arrange
    const record = trainingJob((rp) => { (rp.outputDataConfig as Json).kmsKeyId = KMS_KEY; });

    // Act / Assert
    expect(run(sagemakerTrainingJobNoVolumeKms, record)).toHaveLength(1);
  });

  it('still fires on an instance type with local storage, saying no volume key is accepted for it', () => {
    // Arrange
    const record = trainingJob(() => {}, { instanceType: 'ml.g4dn.xlarge' });

    // Act
    const findings = run(sagemakerTrainingJobNoVolumeKms, record);

    // Assert
    expect(findings[0].evidence.note).toContain('ml.g4dn.xlarge has local instance storage');
  });
});

describe('sagemaker-training-job-no-output-kms', () => {
  it('fires without outputDataConfig.kmsKeyId and not with one', () => {
    // Arrange
    const volumeOnly = trainingJob((rp) => { (rp.resourceConfig as Json).volumeKmsKeyId = KMS_KEY; });
    const withKey = trainingJob((rp) => { (rp.outputDataConfig as Json).kmsKeyId = KMS_KEY; });

    // Act
    const findings = run(sagemakerTrainingJobNoOutputKms, volumeOnly);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ 'outputDataConfig.kmsKeyId': null, decidedBy: expect.stringContaining('absent from the request') });
    expect(run(sagemakerTrainingJobNoOutputKms, withKey)).toEqual([]);
  });
});

describe.each([
  ['sagemaker-training-job-no-network-isolation', sagemakerTrainingJobNoNetworkIsolation, 'enableNetworkIsolation', (edit: (rp: Json) => void) => trainingJob(edit)],
  ['sagemaker-training-job-no-intercontainer-encryption', sagemakerTrainingJobNoIntercontainerEncryption, 'enableInterContainerTrafficEncryption', (edit: (rp: Json) => void) => trainingJob(edit)],
  ['sagemaker-model-no-network-isolation', sagemakerModelNoNetworkIsolation, 'enableNetworkIsolation', (edit: (rp: Json) => void) => {
    const r = createModel();
    edit(r.requestParameters as Json);
    return r;
  }],
] as const)('%s', (_id, rule, flag, build) => {
  it(`fires when ${flag} is absent: the API default is false`, () => {
    // Arrange
    const record = build(() => {});

    // Act
    const findings = run(rule, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ [flag]: false, decidedBy: 'absent from the request: the API default is false' });
  });

  it.each([[false], ['false'], ['FALSE']])(`fires when ${flag} is %p`, (value) => {
    // Arrange
    const record = build((rp) => { rp[flag] = value; });

    // Act
    const findings = run(rule, record);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ [flag]: value, decidedBy: 'set in the request' });
  });

  it.each([[true], ['true'], ['True']])(`does not fire when ${flag} is %p (boolean or string)`, (value) => {
    // Arrange
    const record = build((rp) => { rp[flag] = value; });

    // Act / Assert
    expect(run(rule, record)).toEqual([]);
  });

  it(`fires on a value that is not true (1) and says so`, () => {
    // Arrange
    const record = build((rp) => { rp[flag] = 1; });

    // Act
    const findings = run(rule, record);

    // Assert
    expect(findings[0].evidence).toEqual({ [flag]: 1, decidedBy: 'set in the request to a value that is not true (number)' });
  });
});

describe('sagemaker-endpoint-config-no-kms', () => {
  it('fires without kmsKeyId and not with one', () => {
    // Arrange
    const without = createEndpointConfig();
    const withKey = createEndpointConfig({ kmsKeyId: KMS_KEY });

    // Act
    const findings = run(sagemakerEndpointConfigNoKms, without);

    // Assert
    expect(findings).toEqual([{ resourceArn: ENDPOINT_CONFIG_ARN, message: expect.any(String), evidence: { kmsKeyId: null, decidedBy: expect.stringContaining('absent from the request') } }]);
    expect(run(sagemakerEndpointConfigNoKms, withKey)).toEqual([]);
  });

  it('does not judge a serverless-only configuration (SageMaker takes no kmsKeyId for it)', () => {
    // Arrange
    const record = createEndpointConfig({
      productionVariants: [{ variantName: 'AllTraffic', modelName: MODEL, serverlessConfig: { memorySizeInMB: 2048, maxConcurrency: 5 } }],
    });

    // Act / Assert
    expect(run(sagemakerEndpointConfigNoKms, record)).toEqual([]);
  });

  it('still judges a configuration mixing serverless and instance variants', () => {
    // Arrange
    const record = createEndpointConfig({
      productionVariants: [
        { variantName: 'serverless', modelName: MODEL, serverlessConfig: { memorySizeInMB: 2048, maxConcurrency: 5 } },
        instanceVariant('ml.m5.large', 'instances'),
      ],
    });

    // Act / Assert
    expect(run(sagemakerEndpointConfigNoKms, record)).toHaveLength(1);
  });
});

describe('sagemaker-domain-public-internet', () => {
  it('fires on CreateDomain without appNetworkAccessType: the API default is PublicInternetOnly', () => {
    // Arrange
    const record = createDomain();

    // Act
    const findings = run(sagemakerDomainPublicInternet, record);

    // Assert
    expect(findings).toEqual([{
      resourceArn: DOMAIN_ARN,
      message: expect.stringContaining('ds-studio'),
      evidence: { appNetworkAccessType: 'PublicInternetOnly', decidedBy: 'absent from the request on create: the API default is PublicInternetOnly' },
    }]);
  });

  it('fires on CreateDomain with PublicInternetOnly and not with VpcOnly', () => {
    // Arrange
    const pub = createDomain({ appNetworkAccessType: 'PublicInternetOnly' });
    const vpc = createDomain({ appNetworkAccessType: 'VpcOnly' });

    // Act / Assert
    expect(run(sagemakerDomainPublicInternet, pub)[0].evidence).toEqual({ appNetworkAccessType: 'PublicInternetOnly', decidedBy: 'set in the CreateDomain request' });
    expect(run(sagemakerDomainPublicInternet, vpc)).toEqual([]);
  });

  it('fires on UpdateDomain only when it sets PublicInternetOnly', () => {
    // Arrange
    const toPublic = updateDomain({ appNetworkAccessType: 'PublicInternetOnly' });
    const untouched = updateDomain({ defaultUserSettings: { executionRole: EXEC_ROLE } });
    const toVpc = updateDomain({ appNetworkAccessType: 'VpcOnly', subnetIds: [SUBNET] });

    // Act
    const findings = run(sagemakerDomainPublicInternet, toPublic);

    // Assert
    expect(findings).toEqual([{
      resourceArn: DOMAIN_ARN,
      message: expect.stringContaining(DOMAIN_ID),
      evidence: { appNetworkAccessType: 'PublicInternetOnly', decidedBy: 'set in the UpdateDomain request' },
    }]);
    expect(run(sagemakerDomainPublicInternet, untouched)).toEqual([]);
    expect(run(sagemakerDomainPublicInternet, toVpc)).toEqual([]);
  });
});

describe('sagemaker-instance-type-not-allowed', () => {
  const allowList = { teamA: ['ml.t3.medium', 'ml.m5.xlarge'], teamB: ['ml.g4dn.xlarge'] };

  it('fires on a training instance type outside the acting team\'s list, with field and list in the evidence', () => {
    // Arrange
    const record = trainingJob(() => {}, { instanceType: 'ml.p3.16xlarge' });

    // Act
    const findings = run(sagemakerInstanceTypeNotAllowed, record, context({ config: { instanceTypeAllowList: allowList } }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: TRAINING_ARN,
      message: expect.stringContaining('ml.p3.16xlarge'),
      evidence: {
        team: 'teamA',
        teamFrom: expect.any(String),
        notAllowed: [{ field: 'resourceConfig.instanceType', instanceType: 'ml.p3.16xlarge' }],
        allowed: ['ml.t3.medium', 'ml.m5.xlarge'],
      },
    }]);
  });

  it('does not fire on an allowed type, nor for a team without a list, nor when the team is unknown', () => {
    // Arrange
    const allowed = trainingJob(() => {}, { instanceType: 'ml.m5.xlarge' });
    const big = trainingJob(() => {}, { instanceType: 'ml.p3.16xlarge' });
    const config = { instanceTypeAllowList: allowList };

    // Act / Assert
    expect(run(sagemakerInstanceTypeNotAllowed, allowed, context({ config }))).toEqual([]);
    expect(run(sagemakerInstanceTypeNotAllowed, big, context({ config, team: 'teamC' }))).toEqual([]);
    expect(run(sagemakerInstanceTypeNotAllowed, big, context({ config, team: null }))).toEqual([]);
    expect(run(sagemakerInstanceTypeNotAllowed, big, context({ config, team: 'constructor' }))).toEqual([]);
  });

  it('reads the notebook, processing and every endpoint variant\'s instance type', () => {
    // Arrange
    const config = { instanceTypeAllowList: allowList };
    const nb = createNotebook({ instanceType: 'ml.p3.2xlarge' });
    const proc = createProcessingJob(undefined, 'ml.r5.24xlarge');
    const ec = createEndpointConfig({ productionVariants: [instanceVariant('ml.m5.xlarge', 'a'), instanceVariant('ml.c5.9xlarge', 'b')] });

    // Act
    const [n] = run(sagemakerInstanceTypeNotAllowed, nb, context({ config }));
    const [p] = run(sagemakerInstanceTypeNotAllowed, proc, context({ config }));
    const [e] = run(sagemakerInstanceTypeNotAllowed, ec, context({ config }));

    // Assert
    expect(n.evidence.notAllowed).toEqual([{ field: 'instanceType', instanceType: 'ml.p3.2xlarge' }]);
    expect(p.evidence.notAllowed).toEqual([{ field: 'processingResources.clusterConfig.instanceType', instanceType: 'ml.r5.24xlarge' }]);
    expect(e.evidence.notAllowed).toEqual([{ field: 'productionVariants[1].instanceType', instanceType: 'ml.c5.9xlarge' }]);
    expect(e.resourceArn).toBe(ENDPOINT_CONFIG_ARN);
  });

  it('reads heterogeneous training clusters and tuning job definitions', () => {
    // Arrange
    const config = { instanceTypeAllowList: allowList };
    const hetero = trainingJob((rp) => {
      rp.resourceConfig = {
        instanceGroups: [
          { instanceGroupName: 'cpu', instanceType: 'ml.m5.xlarge', instanceCount: 2 },
          { instanceGroupName: 'gpu', instanceType: 'ml.p4d.24xlarge', instanceCount: 1 },
        ],
        volumeSizeInGB: 30,
      };
    });
    const tuning = createTuningJob({ trainingJobDefinitions: [trainingDefinition({ name: 'big', vpc: true, instanceType: 'ml.p3.8xlarge' })] });

    // Act
    const [h] = run(sagemakerInstanceTypeNotAllowed, hetero, context({ config }));
    const [t] = run(sagemakerInstanceTypeNotAllowed, tuning, context({ config }));

    // Assert
    expect(h.evidence.notAllowed).toEqual([{ field: 'resourceConfig.instanceGroups[1].instanceType', instanceType: 'ml.p4d.24xlarge' }]);
    expect(t.evidence.notAllowed).toEqual([{ field: 'trainingJobDefinitions[0].resourceConfig.instanceType', instanceType: 'ml.p3.8xlarge' }]);
  });

  it('does not judge an update that leaves the instance type unchanged, nor a serverless variant', () => {
    // Arrange
    const config = { instanceTypeAllowList: allowList };
    const update = updateEvent(updateNotebook({ rootAccess: 'Disabled' }));
    const serverless = createEndpointConfig({ productionVariants: [{ variantName: 'AllTraffic', modelName: MODEL, serverlessConfig: { memorySizeInMB: 2048, maxConcurrency: 5 } }] });

    // Act / Assert
    expect(run(sagemakerInstanceTypeNotAllowed, update, context({ config }))).toEqual([]);
    expect(run(sagemakerInstanceTypeNotAllowed, serverless, context({ config }))).toEqual([]);
  });

  it('lets a team listed with no types use none', () => {
    // Arrange
    const record = createNotebook({ instanceType: 'ml.t3.medium' });

    // Act
    const findings = run(sagemakerInstanceTypeNotAllowed, record, context({ config: { instanceTypeAllowList: { teamA: [] } } }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence.allowed).toEqual([]);
  });
});

describe('sagemaker-endpoint-deploy-unauthorized', () => {
  const deployers = [`arn:aws:iam::${ACCOUNT}:role/mlops-*`];

  it('fires on CreateEndpoint by a principal matching no deployer pattern', () => {
    // Arrange
    const record = createEndpoint(intern);

    // Act
    const findings = run(sagemakerEndpointDeployUnauthorized, record, context({ config: { deployers } }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: ENDPOINT_ARN,
      message: expect.stringContaining(`arn:aws:iam::${ACCOUNT}:user/intern`),
      evidence: {
        principalArn: `arn:aws:iam::${ACCOUNT}:user/intern`,
        decidedBy: 'the principal matches none of the deployers patterns',
        deployers,
        endpointConfigName: ENDPOINT_CONFIG,
      },
    }]);
  });

  it('does not fire for a session of a deployer role (matched on the issuing role), nor when deployers is empty', () => {
    // Arrange
    const byDeployer = createEndpointConfig({}, mlopsRole);
    const byIntern = createEndpointConfig({}, intern);

    // Act / Assert
    expect(run(sagemakerEndpointDeployUnauthorized, byDeployer, context({ config: { deployers } }))).toEqual([]);
    expect(run(sagemakerEndpointDeployUnauthorized, byIntern, context({ config: { deployers: [] } }))).toEqual([]);
  });

  it('matches exact ARNs too, and treats * as the only wildcard', () => {
    // Arrange
    const record = createEndpoint(intern);
    const exact = context({ config: { deployers: [`arn:aws:iam::${ACCOUNT}:user/intern`] } });
    const dotIsLiteral = context({ config: { deployers: [`arn:aws:iam::${ACCOUNT}:user/inter.`] } });

    // Act / Assert
    expect(run(sagemakerEndpointDeployUnauthorized, record, exact)).toEqual([]);
    expect(run(sagemakerEndpointDeployUnauthorized, record, dotIsLiteral)).toHaveLength(1);
  });

  it('fires when the principal is unknown, saying so', () => {
    // Arrange
    const event = { ...toRuleEvent(createEndpoint(intern)), principalArn: null };

    // Act
    const findings = run(sagemakerEndpointDeployUnauthorized, event, context({ config: { deployers } }));

    // Assert
    expect(findings[0].evidence).toMatchObject({ principalArn: null, decidedBy: expect.stringContaining('unknown') });
  });
});

describe('sagemaker-notebook-outside-service-catalog', () => {
  const config = { serviceCatalogProducts: [APPROVED_PRODUCT] };
  const scTags = (productArn: string) => [
    { key: 'aws:cloudformation:stack-name', value: 'SC-111122223333-pp-abcdefghijklm' },
    { key: 'aws:servicecatalog:portfolioArn', value: `arn:aws:catalog:${REGION}:${ACCOUNT}:portfolio/port-abcdefghijklm` },
    { key: 'aws:servicecatalog:productArn', value: productArn },
    { key: 'team', value: 'teamA' },
  ];
  const launchRole: Actor = { accountId: ACCOUNT, name: 'SCLaunchRole-ds-notebook', kind: 'AssumedRole', sessionName: 'AWSCloudFormation' };

  it('fires on a notebook created without the Service Catalog product tag', () => {
    // Arrange
    const record = createNotebook({ ...LOCKED_DOWN_NOTEBOOK, tags: [{ key: 'team', value: 'teamA' }] });

    // Act
    const findings = run(sagemakerNotebookOutsideServiceCatalog, record, context({ config }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: NOTEBOOK_ARN,
      message: expect.stringContaining('not created through Service Catalog'),
      evidence: { 'aws:servicecatalog:productArn': null, decidedBy: expect.stringContaining('no aws:servicecatalog:productArn tag'), approvedProducts: [APPROVED_PRODUCT] },
    }]);
  });

  it('does not fire on a notebook provisioned from the approved product', () => {
    // Arrange
    const record = createNotebook({ ...LOCKED_DOWN_NOTEBOOK, tags: scTags(APPROVED_PRODUCT) }, launchRole);

    // Act / Assert
    expect(run(sagemakerNotebookOutsideServiceCatalog, record, context({ config }))).toEqual([]);
  });

  it('fires on a notebook from another Service Catalog product', () => {
    // Arrange
    const other = `arn:aws:catalog:${REGION}:${ACCOUNT}:product/prod-zzzzzzzzzzzzz`;
    const record = createNotebook({ ...LOCKED_DOWN_NOTEBOOK, tags: scTags(other) }, launchRole);

    // Act
    const findings = run(sagemakerNotebookOutsideServiceCatalog, record, context({ config }));

    // Assert
    expect(findings[0].evidence).toMatchObject({ 'aws:servicecatalog:productArn': other, decidedBy: expect.stringContaining('request\'s tags') });
  });

  it('accepts the product tag from the notebook\'s known tags when the request carried none', () => {
    // Arrange
    const record = createNotebook(LOCKED_DOWN_NOTEBOOK, launchRole);
    const ctx = context({ config, resourceOwners: { [NOTEBOOK_ARN]: { team: 'teamA', known: true, tags: { team: 'teamA', 'aws:servicecatalog:productArn': APPROVED_PRODUCT } } } });

    // Act / Assert
    expect(run(sagemakerNotebookOutsideServiceCatalog, record, ctx)).toEqual([]);
  });

  it('is not judged when no product is configured', () => {
    // Arrange
    const record = createNotebook(LOCKED_DOWN_NOTEBOOK);

    // Act / Assert
    expect(run(sagemakerNotebookOutsideServiceCatalog, record, context())).toEqual([]);
  });
});

describe('a notebook and a training job meeting every guard rail', () => {
  it('raise no finding from any rule', () => {
    // Arrange
    const ctx = context({
      config: {
        instanceTypeAllowList: { teamA: ['ml.t3.medium', 'ml.m5.xlarge'] },
        deployers: [`arn:aws:iam::${ACCOUNT}:role/mlops-*`],
        serviceCatalogProducts: [APPROVED_PRODUCT],
      },
    });
    const notebook = createNotebook({ ...LOCKED_DOWN_NOTEBOOK, tags: [{ key: 'aws:servicecatalog:productArn', value: APPROVED_PRODUCT }] });
    const training = compliantTrainingJob();

    // Act
    const findings = SAGEMAKER_CONFIG_RULES.flatMap((rule) => [...run(rule, notebook, ctx), ...run(rule, training, ctx)]);

    // Assert
    expect(findings).toEqual([]);
  });
});

describe('request field helpers', () => {
  it('reads boolean true and the string "true" as set, nothing else', () => {
    // Arrange
    const values: unknown[] = [true, 'true', 'TRUE', ' true ', false, 'false', 1, null, undefined, 'yes'];

    // Act
    const read = values.map(isTrueFlag);

    // Assert
    expect(read).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });

  it('globs ARNs with * only, anchored at both ends', () => {
    // Act / Assert
    expect(globMatches('arn:aws:iam::*:role/mlops-*', `arn:aws:iam::${ACCOUNT}:role/mlops-deployer`)).toBe(true);
    expect(globMatches('arn:aws:iam::*:role/mlops', `arn:aws:iam::${ACCOUNT}:role/mlops-deployer`)).toBe(false);
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('arn:aws:iam::1?:user/a', 'arn:aws:iam::12:user/a')).toBe(false);
  });

  it('knows local-storage instance types by their naming', () => {
    // Act / Assert
    expect(['ml.m5d.large', 'ml.g4dn.xlarge', 'ml.p4d.24xlarge', 'ml.c6id.large'].map(hasLocalStorageByName)).toEqual([true, true, true, true]);
    expect(['ml.m5.large', 'ml.t3.medium', 'ml.c5n.xlarge', 'ml.inf1.xlarge'].map(hasLocalStorageByName)).toEqual([false, false, false, false]);
  });
});

// ---------------------------------------------------------------------------------------------
// A record AWS published (the SageMaker developer guide's CreateModel), when the samples are here.

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples', 'aws', 'awsdocs-sagemaker-developer-guide.cloudtrail.jsonl');
const describeWithSamples = fs.existsSync(SAMPLES) ? describe : describe.skip;

describeWithSamples('on the SageMaker developer guide\'s published records', () => {
  const records = () => fs.readFileSync(SAMPLES, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as CloudTrailRecord);

  it('finds the published CreateModel without VPC and without network isolation', () => {
    // Arrange
    const record = records().find((r) => r.eventName === 'CreateModel');
    if (!record) throw new Error('the published CreateModel record is gone');

    // Act
    const noVpc = run(sagemakerModelNoVpc, record);
    const noIsolation = run(sagemakerModelNoNetworkIsolation, record);

    // Assert
    expect(noVpc).toHaveLength(1);
    expect(noVpc[0].resourceArn).toBe((record.responseElements as Json).modelArn);
    expect(noIsolation[0].evidence).toEqual({ enableNetworkIsolation: false, decidedBy: 'absent from the request: the API default is false' });
  });

  it('flags the published CreateEndpoint by user "intern" when only a deployer role may deploy', () => {
    // Arrange
    const record = records().find((r) => r.eventName === 'CreateEndpoint');
    if (!record) throw new Error('the published CreateEndpoint record is gone');
    const ctx = context({ config: { deployers: ['arn:aws:iam::123456789012:role/mlops-*'] } });

    // Act
    const findings = run(sagemakerEndpointDeployUnauthorized, record, ctx);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence.principalArn).toBe('arn:aws:iam::123456789012:user/intern');
  });
});
