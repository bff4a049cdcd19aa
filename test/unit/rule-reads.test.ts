import { toRuleEvent } from '../../src/compliance/evaluate';
import { iamSnapshotStoredEvent } from '../../src/compliance/iam-context';
import { ruleEventOf } from '../support/rule-events';
import { Actor, cloudTrailRecord, CloudTrailRecord, sageMakerArn } from '../../src/demo/cloudtrail-records';
import { generateCloudTrailRecords } from '../../src/demo/generate';
import { demoCloudTrailRecords } from '../../src/demo/story';
import { considersCall, ruleReads, rulesReading } from '../../src/domain/rules/reads';
import { GUARDRAIL_CHANGE_EVENTS } from '../../src/domain/rules/catalog/iam-guardrail-weakened';
import { ACCESS_CHANGE_EVENTS } from '../../src/domain/rules/catalog/iam-training-without-vpc-allowed';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG, type RuleConfig, type RuleContext, type RuleEvent, type RuleIamContext } from '../../src/domain/rules/types';

/**
 * The evaluator runs a rule only on the events its `reads` names (src/domain/rules/reads.ts).
 * That is only sound if no rule ever reports on an event it does not read: held here for every
 * rule, over the demo story and generated records under every event name and source they use.
 */

// a configuration under which every rule has something to report
const CONFIG: RuleConfig = {
  ...DEFAULT_RULE_CONFIG,
  instanceTypeAllowList: { TeamA: ['ml.nothing'], TeamB: ['ml.nothing'], TeamC: ['ml.nothing'], TeamD: ['ml.nothing'] },
  deployers: ['arn:aws:iam::999999999999:role/nobody'],
  notebookOnlyPrincipals: ['arn:aws:iam::*'],
  serviceCatalogProducts: ['arn:aws:catalog:us-east-1:999999999999:product/prod-none'],
};

/** Bare creates (API defaults everywhere, no tags) of the kinds the story and the generator leave out. */
function bareCreates(): CloudTrailRecord[] {
  const actor: Actor = { accountId: '111122223333', name: 'SageMakerStudioDeveloperTeamBRole', kind: 'AssumedRole', sessionName: 'me' };
  const kinds: [string, string, string][] = [
    ['CreateProcessingJob', 'processingJobName', 'processing-job'],
    ['CreateHyperParameterTuningJob', 'hyperParameterTuningJobName', 'hyper-parameter-tuning-job'],
    ['CreateModel', 'modelName', 'model'],
    ['CreateEndpointConfig', 'endpointConfigName', 'endpoint-config'],
    ['CreateEndpoint', 'endpointName', 'endpoint'],
    ['CreateTrainingJob', 'trainingJobName', 'training-job'],
  ];
  return kinds.map(([eventName, nameKey, type], i) => {
    const arnKey = `${type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Arn`;
    return cloudTrailRecord({
      actor, time: new Date(Date.UTC(2026, 10, 5, 10, i)), region: 'us-east-1', eventSource: 'sagemaker.amazonaws.com', eventName,
      requestParameters: { [nameKey]: `bare-${i}`, instanceType: 'ml.p4d.24xlarge', endpointConfigName: 'bare-3', trainingJobDefinition: { definitionName: 'd' } },
      responseElements: { [arnKey]: sageMakerArn('us-east-1', '111122223333', type, `bare-${i}`) },
    });
  });
}

/** Every IAM change the IAM rules read, each naming all it could need (iamChangeOf takes its own). */
function iamChanges(): CloudTrailRecord[] {
  const actor: Actor = { accountId: '111122223333', name: 'platform-admin', kind: 'IAMUser' };
  const requestParameters = {
    roleName: 'SageMakerExecRole', userName: 'usera1', groupName: 'TeamA', policyName: 'guard-rails',
    policyArn: 'arn:aws:iam::111122223333:policy/SageMakerNotebookProductPolicy', permissionsBoundary: 'arn:aws:iam::111122223333:policy/Boundary',
    policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sagemaker:*', Resource: '*' }] }),
    setAsDefault: true, versionId: 'v3',
  };
  const names = [...new Set([...GUARDRAIL_CHANGE_EVENTS, ...ACCESS_CHANGE_EVENTS])];
  return names.map((eventName, i) => cloudTrailRecord({
    actor, time: new Date(Date.UTC(2026, 10, 6, 10, i)), region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, requestParameters,
    responseElements: eventName === 'CreatePolicyVersion' ? { policyVersion: { versionId: 'v3', isDefaultVersion: true } } : null,
  }));
}

function ruleEvents(): RuleEvent[] {
  const records = [...demoCloudTrailRecords(), ...generateCloudTrailRecords(400), ...bareCreates(), ...iamChanges()];
  const events = records.map(ruleEventOf);
  return [...events, toRuleEvent(iamSnapshotStoredEvent({ accountId: '111122223333', takenAt: new Date('2026-11-06T12:00:00Z') }))];
}

/** ctx.iam in which every principal has just become able to train without a VPC (and no target's past is known). */
const IAM_CONTEXT: RuleIamContext = {
  targets: {},
  entityArns: {},
  trainingWithoutVpc: [{
    principalArn: 'arn:aws:iam::111122223333:role/SageMakerExecRole', principalType: 'ROLE', team: 'TeamB', action: 'sagemaker:CreateTrainingJob',
    resourceArn: 'arn:aws:sagemaker:*:111122223333:training-job/*', absentKeys: ['sagemaker:VpcSubnets', 'sagemaker:VpcSecurityGroupIds'],
    attempts: [{ requestTags: {}, decision: 'ALLOWED', decidingStatements: [], missingContextKeys: [] }], allowedBefore: false,
  }],
};

/** Contexts in which ownership always crosses teams (and IAM changes open access), and in which nothing is known. */
function contextsFor(event: RuleEvent): RuleContext[] {
  const owners = (team: string | null): RuleContext['resourceOwners'] =>
    Object.fromEntries(event.resourceArns.map((arn) => [arn, { team, known: team !== null, tags: team ? { team, studiouserid: 'someone-else' } : ({} as Record<string, string>) }]));
  return [
    { teamTagKey: 'team', config: CONFIG, principalTeam: 'TeamB', principalTags: { team: 'TeamB', studiouserid: 'me' }, resourceOwners: owners('TeamA'), iam: IAM_CONTEXT },
    { teamTagKey: 'team', config: CONFIG, principalTeam: null, principalTags: {}, resourceOwners: owners(null) },
  ];
}

describe('rules report only on the events they declare they read', () => {
  const events = ruleEvents();
  const names = [...new Set(events.map((e) => e.eventName).concat(ALL_RULES.flatMap((r) => r.reads.flatMap((x) => x.eventNames)).map((n) => n.replace('*', 'Thing'))))];
  const sources = [...new Set(events.map((e) => e.eventSource).concat(ALL_RULES.flatMap((r) => r.reads.map((x) => x.eventSource))))];

  it('finds something on the corpus as read, so the check below can fail', () => {
    // Act
    const reported = ALL_RULES.filter((rule) => events.some((e) => contextsFor(e).some((ctx) => rule.evaluate(e, ctx).length > 0)));

    // Assert: every rule, the IAM ones included, reports on this corpus as it is
    expect(ALL_RULES.filter((r) => !reported.includes(r)).map((r) => r.id)).toEqual([]);
  });

  it.each(ALL_RULES.map((r) => [r.id, r] as const))('%s reports nothing on an event it does not read', (_id, rule) => {
    // Arrange: every event of the corpus, also under every other name and source
    const offenders: string[] = [];
    for (const base of events) {
      for (const eventSource of sources) {
        for (const eventName of names) {
          if (ruleReads(rule, eventSource, eventName)) continue;
          const event = { ...base, eventSource, eventName };
          // Act
          for (const ctx of contextsFor(event)) {
            if (rule.evaluate(event, ctx).length > 0) offenders.push(`${eventSource} ${eventName} (${base.eventName})`);
          }
        }
      }
    }

    // Assert
    expect(offenders.slice(0, 5)).toEqual([]);
  });

  it.each(ALL_RULES.map((r) => [r.id, r] as const))('%s reports nothing on a call whose outcome it does not consider', (_id, rule) => {
    // Arrange: every event of the corpus as a success, a denial and another failure
    const outcomes = [
      { errorCode: null, errorMessage: null },
      { errorCode: 'AccessDenied', errorMessage: 'User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: sagemaker:DeleteExperiment' },
      { errorCode: 'ValidationException', errorMessage: 'Could not find experiment' },
    ];
    const offenders: string[] = [];
    for (const base of events) {
      for (const outcome of outcomes) {
        if (considersCall(rule, outcome.errorCode)) continue;
        const event = { ...base, ...outcome };
        // Act
        for (const ctx of contextsFor(event)) {
          if (rule.evaluate(event, ctx).length > 0) offenders.push(`${event.eventName} ${outcome.errorCode ?? 'succeeded'}`);
        }
      }
    }

    // Assert
    expect(offenders.slice(0, 5)).toEqual([]);
  });

  it('leaves out of a rule of denied calls the successful and the otherwise failed ones', () => {
    // Arrange
    const deniedOnly = { successfulOnly: false, deniedOnly: true };

    // Act / Assert
    expect(considersCall(deniedOnly, 'AccessDenied')).toBe(true);
    expect(considersCall(deniedOnly, null)).toBe(false);
    expect(considersCall(deniedOnly, 'ValidationException')).toBe(false);
    expect(considersCall({ successfulOnly: true }, null)).toBe(true);
    expect(considersCall({ successfulOnly: true }, 'AccessDenied')).toBe(false);
  });

  it('matches event names exactly, by prefix (`Create*`) or any (`*`)', () => {
    // Arrange
    const rule = { reads: [{ eventSource: 'sagemaker.amazonaws.com', eventNames: ['CreateTrainingJob', 'Update*'] }] };
    const any = { reads: [{ eventSource: 'signin.amazonaws.com', eventNames: ['*'] }] };

    // Act / Assert
    expect(ruleReads(rule, 'sagemaker.amazonaws.com', 'CreateTrainingJob')).toBe(true);
    expect(ruleReads(rule, 'sagemaker.amazonaws.com', 'CreateTrainingJobs')).toBe(false);
    expect(ruleReads(rule, 'sagemaker.amazonaws.com', 'UpdateDomain')).toBe(true);
    expect(ruleReads(rule, 'iam.amazonaws.com', 'UpdateDomain')).toBe(false);
    expect(ruleReads(any, 'signin.amazonaws.com', 'ConsoleLogin')).toBe(true);
    expect(ruleReads(any, 'sagemaker.amazonaws.com', 'ConsoleLogin')).toBe(false);
    expect(rulesReading([rule, any])('signin.amazonaws.com', 'ConsoleLogin')).toEqual([any]);
  });
});
