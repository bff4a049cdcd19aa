import { buildSageMakerArn } from '../../src/domain/aws/arn';
import { normalizeCloudTrailRecord } from '../../src/domain/cloudtrail/normalize';
import { Actor, cloudTrailRecord, CloudTrailRecord, createTrainingJob } from '../../src/demo/cloudtrail-records';
import { DEMO_ACCOUNT, DEMO_DOMAIN_ID, DEMO_REGION, demoCloudTrailRecords } from '../../src/demo/story';
import { isMutatingCall } from '../../src/domain/rules/access-facts';
import { accessCrossTeamAction, assessCrossTeamAction } from '../../src/domain/rules/catalog/access-cross-team-action';
import { accessCrossTeamAttempt, assessCrossTeamAttempt } from '../../src/domain/rules/catalog/access-cross-team-attempt';
import { ACCESS_AND_TAGGING_RULES } from '../../src/domain/rules/catalog/access-index';
import { assessNotebookOnlyConsoleLogin, consoleLoginNotebookOnlyUser } from '../../src/domain/rules/catalog/console-login-notebook-only-user';
import { assessPresignedUrlOtherUser, studioPresignedUrlOtherUser } from '../../src/domain/rules/catalog/studio-presigned-url-other-user';
import { studioUserProfileMissingStudioUserId } from '../../src/domain/rules/catalog/studio-user-profile-missing-studiouserid';
import { taggingMissingTeamTag } from '../../src/domain/rules/catalog/tagging-missing-team-tag';
import { assessTeamTagMismatch, taggingTeamTagMismatch } from '../../src/domain/rules/catalog/tagging-team-tag-mismatch';
import { firstMatchingPattern, matchesPrincipalPattern } from '../../src/domain/rules/principal-patterns';
import { DEFAULT_RULE_CONFIG, type RuleConfig, type RuleContext } from '../../src/domain/rules/types';
import { ruleEventOf } from '../support/rule-events';

type Json = Record<string, unknown>;
type Tags = Record<string, string>;

const A = DEMO_ACCOUNT;
const R = DEMO_REGION;
const sm = (type: string, name: string) => buildSageMakerArn(R, A, type, name);
const profileArn = (name: string) => sm('user-profile', `${DEMO_DOMAIN_ID}/${name}`);
const DOMAIN_ARN = sm('domain', DEMO_DOMAIN_ID);
const EXPERIMENT_ARN = sm('experiment', 'USERA1TEAMAEXPERIMENT1');
const t = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute));

// The story's cast (src/demo/story.ts), same names and kinds.
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const userA1: Actor = { accountId: A, name: 'user-a1', kind: 'IAMUser' };
const userA2: Actor = { accountId: A, name: 'user-a2', kind: 'IAMUser' };
const userB1: Actor = { accountId: A, name: 'user-b1', kind: 'IAMUser' };
const teamARole: Actor = { accountId: A, name: 'SageMakerStudioDeveloperTeamARole', kind: 'AssumedRole', sessionName: 'SageMaker' };
const teamBRole: Actor = { accountId: A, name: 'SageMakerStudioDeveloperTeamBRole', kind: 'AssumedRole', sessionName: 'SageMaker' };
const federatedRole: Actor = { accountId: A, name: 'StudioFederatedDataScientist', kind: 'AssumedRole', sessionName: 'alice@example.com' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A RuleEvent as the evaluator (src/compliance/evaluate.ts) builds one: principal from the
 * normalised record (a session resolves to its role), principalName = userIdentity.userName else
 * the name in the principal ARN, primaryResourceArn = the first `…Arn` in the response, else the
 * first touched resource of the event's own service (for CreatePresignedDomainUrl: the domain).
 */

/**
 * The context as of the event's time, built like the evaluator's: the principal's tags, and for
 * each touched resource its tags then (`'unseen'`: govgraph never saw it, so no tags).
 */
function contextAt(o: { principalTags?: Tags; owners?: Record<string, Tags | 'unseen'>; config?: Partial<RuleConfig>; teamTagKey?: string } = {}): RuleContext {
  const teamTagKey = o.teamTagKey ?? 'team';
  const principalTags = o.principalTags ?? {};
  const resourceOwners: RuleContext['resourceOwners'] = {};
  for (const [arn, tags] of Object.entries(o.owners ?? {})) {
    const known = tags === 'unseen' ? {} : tags;
    const team = known[teamTagKey] ?? null;
    resourceOwners[arn] = { team, known: team !== null, tags: known };
  }
  return {
    teamTagKey,
    config: { ...DEFAULT_RULE_CONFIG, ...o.config },
    principalTeam: principalTags[teamTagKey] ?? null,
    principalTags,
    resourceOwners,
  };
}

/** The one story record `pick` accepts. */
function storyRecord(pick: (r: Json) => boolean): CloudTrailRecord {
  const found = demoCloudTrailRecords().filter(pick);
  if (found.length !== 1) throw new Error(`expected one story record, found ${found.length}`);
  return found[0];
}

const params = (r: Json): Json => (isObject(r.requestParameters) ? r.requestParameters : {});

function sageMakerCall(actor: Actor, time: Date, eventName: string, requestParameters: Json, more: { responseElements?: Json; errorCode?: string; errorMessage?: string } = {}): CloudTrailRecord {
  return cloudTrailRecord({ actor, time, region: R, eventSource: 'sagemaker.amazonaws.com', eventName, requestParameters, ...more });
}

/** CreatePresignedDomainUrl as the story records it (console user agent, URL hidden by CloudTrail). */
function presignedUrl(actor: Actor, profile: string, outcome: 'allowed' | 'denied' | 'failed', time = t(3, 10)): CloudTrailRecord {
  const errors = {
    allowed: {},
    denied: {
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:iam::${A}:user/${actor.name} is not authorized to perform: sagemaker:CreatePresignedDomainUrl on resource: ${profileArn(profile)} because no identity-based policy allows the sagemaker:CreatePresignedDomainUrl action`,
    },
    failed: { errorCode: 'ResourceNotFound', errorMessage: `User profile ${profile} does not exist` },
  }[outcome];
  return cloudTrailRecord({
    actor, time, region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreatePresignedDomainUrl', userAgent: 'console.amazonaws.com',
    requestParameters: { domainId: DEMO_DOMAIN_ID, userProfileName: profile },
    ...(outcome === 'allowed' ? { responseElements: { authorizedUrl: 'HIDDEN_DUE_TO_SECURITY_REASONS' } } : errors),
  });
}

function createUserProfile(profile: string, tags: Json[] | undefined, actor = admin): CloudTrailRecord {
  return sageMakerCall(actor, t(2, 8, 30), 'CreateUserProfile', {
    domainId: DEMO_DOMAIN_ID, userProfileName: profile, ...(tags ? { tags } : {}),
    userSettings: { executionRole: `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamARole` },
  }, { responseElements: { userProfileArn: profileArn(profile) } });
}

function deleteExperiment(actor: Actor, outcome: 'allowed' | 'denied'): CloudTrailRecord {
  return sageMakerCall(actor, t(3, 9, 15), 'DeleteExperiment', { experimentName: 'USERA1TEAMAEXPERIMENT1' }, outcome === 'denied'
    ? { errorCode: 'AccessDenied', errorMessage: `User: arn:aws:sts::${A}:assumed-role/${actor.name}/SageMaker is not authorized to perform: sagemaker:DeleteExperiment on resource: ${EXPERIMENT_ARN}` }
    : { responseElements: { experimentArn: EXPERIMENT_ARN } });
}

const TEAM_A_USER: Tags = { team: 'TeamA' };
const USER_A1_TAGS: Tags = { team: 'TeamA', studiouserid: 'user-a1' };
const USER_A2_TAGS: Tags = { team: 'TeamA', studiouserid: 'user-a2' };
const USER_B1_TAGS: Tags = { team: 'TeamB', studiouserid: 'user-b1' };
const PLATFORM: Tags = { team: 'platform' };

// ---------------------------------------------------------------------------------------------

describe('principal patterns', () => {
  it('lets * stand for any run of characters, anchored at both ends', () => {
    // Arrange
    const pattern = `arn:aws:iam::${A}:user/user-a*`;

    // Act
    const results = [
      matchesPrincipalPattern(pattern, `arn:aws:iam::${A}:user/user-a1`),
      matchesPrincipalPattern(pattern, `arn:aws:iam::${A}:user/user-a`),
      matchesPrincipalPattern(pattern, `arn:aws:iam::${A}:user/user-b1`),
      matchesPrincipalPattern(pattern, `xarn:aws:iam::${A}:user/user-a1`),
      matchesPrincipalPattern(`arn:aws:iam::*:role/Team*Role`, `arn:aws:iam::444455556666:role/TeamBRole`),
    ];

    // Assert
    expect(results).toEqual([true, true, false, false, true]);
  });

  it('takes every other character literally: dots, pluses, parentheses, question marks are not regex syntax', () => {
    // Arrange
    const dotted = `arn:aws:iam::${A}:user/first.last`;

    // Act
    const results = [
      matchesPrincipalPattern(dotted, `arn:aws:iam::${A}:user/firstXlast`),
      matchesPrincipalPattern(dotted, dotted),
      matchesPrincipalPattern(`arn:aws:iam::${A}:user/a+b`, `arn:aws:iam::${A}:user/aab`),
      matchesPrincipalPattern(`arn:aws:iam::${A}:user/a+b`, `arn:aws:iam::${A}:user/a+b`),
      matchesPrincipalPattern(`arn:aws:iam::${A}:user/(x)?`, `arn:aws:iam::${A}:user/(x)?`),
      matchesPrincipalPattern(`arn:aws:iam::${A}:user/(x)?`, `arn:aws:iam::${A}:user/`),
      matchesPrincipalPattern('^arn$', '^arn$'),
    ];

    // Assert
    expect(results).toEqual([false, true, false, true, true, false, true]);
  });

  it('is case-sensitive, as ArnLike is', () => {
    // Arrange / Act
    const matched = matchesPrincipalPattern(`arn:aws:iam::${A}:user/User-A1`, `arn:aws:iam::${A}:user/user-a1`);

    // Assert
    expect(matched).toBe(false);
  });

  it('matches anything, even the empty string, with a lone *; ignores spaces around a pattern', () => {
    // Arrange / Act / Assert
    expect(matchesPrincipalPattern('*', '')).toBe(true);
    expect(matchesPrincipalPattern('*', `arn:aws:iam::${A}:root`)).toBe(true);
    expect(matchesPrincipalPattern(` arn:aws:iam::${A}:user/user-a1 `, `arn:aws:iam::${A}:user/user-a1`)).toBe(true);
  });

  it('names the first pattern that matches, and none for a missing principal', () => {
    // Arrange
    const patterns = [`arn:aws:iam::${A}:user/contractor-*`, `arn:aws:iam::${A}:user/*`, '*'];

    // Act / Assert
    expect(firstMatchingPattern(patterns, `arn:aws:iam::${A}:user/user-a1`)).toBe(`arn:aws:iam::${A}:user/*`);
    expect(firstMatchingPattern(patterns, null)).toBeNull();
    expect(firstMatchingPattern([], `arn:aws:iam::${A}:user/user-a1`)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('tagging-missing-team-tag', () => {
  it("stays silent on the story's TeamA experiment, created with team=TeamA", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateExperiment'));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ principalTags: TEAM_A_USER }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('reports a training job created without any tags, on the ARN SageMaker returned', () => {
    // Arrange
    const event = ruleEventOf(createTrainingJob({ actor: teamARole, time: t(2, 11), region: R, jobName: 'churn-v9', team: null, vpc: true }));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ principalTags: TEAM_A_USER }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: sm('training-job', 'churn-v9'),
      message: 'The training job churn-v9 was created without the "team" tag (no tags at all).',
      evidence: { teamTagKey: 'team', teamTag: null, tagsParameter: 'absent', requestedTagKeys: [] },
    }]);
  });

  it('does not take a "Team" tag for the "team" tag: tag keys are case-sensitive', () => {
    // Arrange
    const event = ruleEventOf(sageMakerCall(teamARole, t(2, 11), 'CreateExperiment', {
      experimentName: 'churn-exp', tags: [{ key: 'Team', value: 'TeamA' }, { key: 'project', value: 'churn' }],
    }, { responseElements: { experimentArn: sm('experiment', 'churn-exp') } }));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ principalTags: TEAM_A_USER }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toBe('The experiment churn-exp was created without the "team" tag (only "Team", which is not the same key).');
    expect(findings[0].evidence).toMatchObject({ teamTag: null, nearMissKeys: ['Team'], requestedTagKeys: ['Team', 'project'] });
  });

  it('reads tags written the API way ({Key, Value}) as well as the CloudTrail way ({key, value})', () => {
    // Arrange
    const event = ruleEventOf(sageMakerCall(teamARole, t(2, 11), 'CreateModel', {
      modelName: 'churn-model-v7', tags: [{ Key: 'team', Value: 'TeamA' }],
    }, { responseElements: { modelArn: sm('model', 'churn-model-v7') } }));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ principalTags: TEAM_A_USER }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('reports a team tag with an empty value: it names no team', () => {
    // Arrange
    const event = ruleEventOf(sageMakerCall(teamARole, t(2, 11), 'CreateEndpoint', {
      endpointName: 'churn-scoring', endpointConfigName: 'churn-scoring-config', tags: [{ key: 'team', value: '' }],
    }, { responseElements: { endpointArn: sm('endpoint', 'churn-scoring') } }));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ principalTags: TEAM_A_USER }));

    // Assert
    expect(findings).toEqual([expect.objectContaining({
      resourceArn: sm('endpoint', 'churn-scoring'),
      message: 'The endpoint churn-scoring was created with an empty "team" tag, which names no team.',
    })]);
  });

  it('uses the configured team tag key', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateExperiment'));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt({ teamTagKey: 'owner-team' }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ teamTagKey: 'owner-team', teamTag: null, requestedTagKeys: ['team'] });
  });

  it('reports a Studio user profile tagged with studiouserid only, as the seed\'s CLI example does: it has no owner team', () => {
    // Arrange
    const event = ruleEventOf(createUserProfile('user-c1', [{ key: 'studiouserid', value: 'user-c1' }]));

    // Act
    const findings = taggingMissingTeamTag.evaluate(event, contextAt());

    // Assert
    expect(findings).toEqual([expect.objectContaining({ resourceArn: profileArn('user-c1') })]);
  });

  it('ignores denied creates, presigned URLs, apps and calls of other services', () => {
    // Arrange
    const events = [
      ruleEventOf(storyRecord((r) => r.eventName === 'CreateTrainingJob' && r.errorCode === 'AccessDenied')),
      ruleEventOf(presignedUrl(userA1, 'user-a1', 'allowed')),
      ruleEventOf(sageMakerCall(userA1, t(3, 10), 'CreateApp', { domainId: DEMO_DOMAIN_ID, userProfileName: 'user-a1', appType: 'JupyterServer', appName: 'default' },
        { responseElements: { appArn: sm('app', `${DEMO_DOMAIN_ID}/user-a1/jupyterserver/default`) } })),
      ruleEventOf(storyRecord((r) => r.eventName === 'CreateRole' && params(r).roleName === 'SageMakerStudioDeveloperTeamARole')),
    ];
    const withoutTag = ruleEventOf(storyRecord((r) => r.eventName === 'CreateTrainingJob' && r.errorCode === 'AccessDenied'));
    withoutTag.requestParameters = { ...withoutTag.requestParameters, tags: [] };

    // Act
    const findings = [...events, withoutTag].flatMap((e) => taggingMissingTeamTag.evaluate(e, contextAt()));

    // Assert
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('tagging-team-tag-mismatch', () => {
  it("reports TeamB's role creating a training job tagged team=TeamA", () => {
    // Arrange
    const event = ruleEventOf(createTrainingJob({ actor: teamBRole, time: t(2, 13), region: R, jobName: 'fraud-detect-2', team: 'TeamA', vpc: true }));

    // Act
    const findings = taggingTeamTagMismatch.evaluate(event, contextAt({ principalTags: { team: 'TeamB' } }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: sm('training-job', 'fraud-detect-2'),
      message: `The training job fraud-detect-2 was created by a member of TeamB but tagged team=TeamA.`,
      evidence: { teamTagKey: 'team', requestedTeam: 'TeamA', principalTeam: 'TeamB' },
    }]);
  });

  it("stays silent when the tag names the creator's team (the story's TeamA jobs)", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateTrainingJob' && params(r).trainingJobName === 'churn-v7'));

    // Act
    const findings = taggingTeamTagMismatch.evaluate(event, contextAt({ principalTags: { team: 'TeamA' } }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('compares team values exactly: teama is not TeamA', () => {
    // Arrange
    const event = ruleEventOf(createTrainingJob({ actor: teamARole, time: t(2, 13), region: R, jobName: 'churn-v10', team: 'teama', vpc: true }));

    // Act
    const findings = taggingTeamTagMismatch.evaluate(event, contextAt({ principalTags: { team: 'TeamA' } }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toEqual({ teamTagKey: 'team', requestedTeam: 'teama', principalTeam: 'TeamA' });
  });

  it("emits nothing when the creator's team is unknown, and says so", () => {
    // Arrange: the story's Service Catalog launch role has no team tag
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateNotebookInstance' && params(r).notebookInstanceName === 'teama-ds-notebook'));
    const ctx = contextAt({ principalTags: {} });

    // Act
    const findings = taggingTeamTagMismatch.evaluate(event, ctx);
    const assessed = assessTeamTagMismatch(event, ctx);

    // Assert
    expect(findings).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({
      verdict: 'undecided',
      resourceArn: sm('notebook-instance', 'teama-ds-notebook'),
      evidence: expect.objectContaining({ principalTeam: null, requestedTeam: 'TeamA', undecided: expect.stringContaining('no "team" tag') }),
    })]);
  });

  it('leaves user profiles and domains alone: admins create them for the team they serve', () => {
    // Arrange
    const profile = ruleEventOf(storyRecord((r) => r.eventName === 'CreateUserProfile' && params(r).userProfileName === 'user-a1'));
    const domain = ruleEventOf(storyRecord((r) => r.eventName === 'CreateDomain'));

    // Act
    const findings = [profile, domain].flatMap((e) => taggingTeamTagMismatch.evaluate(e, contextAt({ principalTags: { team: 'SecurityTeam' } })));

    // Assert
    expect(findings).toEqual([]);
  });

  it('has nothing to compare when the team tag is missing (that is tagging-missing-team-tag)', () => {
    // Arrange
    const event = ruleEventOf(createTrainingJob({ actor: teamARole, time: t(2, 11), region: R, jobName: 'churn-v9', team: null, vpc: true }));

    // Act
    const assessed = assessTeamTagMismatch(event, contextAt({ principalTags: { team: 'TeamA' } }));

    // Assert
    expect(assessed).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('studio-user-profile-missing-studiouserid', () => {
  it("reports the story's contractor-x profile, created without studiouserid", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateUserProfile' && params(r).userProfileName === 'contractor-x'));

    // Act
    const findings = studioUserProfileMissingStudioUserId.evaluate(event, contextAt());

    // Assert
    expect(findings).toEqual([{
      resourceArn: profileArn('contractor-x'),
      message: 'Studio user profile contractor-x was created without a "studiouserid" tag (no such tag): it is bound to no person.',
      evidence: { domainId: DEMO_DOMAIN_ID, userProfileName: 'contractor-x', studiouserid: null, tagsParameter: 'present', requestedTagKeys: ['team'] },
    }]);
  });

  it("stays silent on user-a1's profile, bound to user-a1", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreateUserProfile' && params(r).userProfileName === 'user-a1'));

    // Act
    const findings = studioUserProfileMissingStudioUserId.evaluate(event, contextAt());

    // Assert
    expect(findings).toEqual([]);
  });

  it('does not take "StudioUserId" for "studiouserid": tag keys are case-sensitive', () => {
    // Arrange
    const event = ruleEventOf(createUserProfile('user-c2', [{ key: 'team', value: 'TeamA' }, { key: 'StudioUserId', value: 'user-c2' }]));

    // Act
    const findings = studioUserProfileMissingStudioUserId.evaluate(event, contextAt());

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ studiouserid: null, nearMissKeys: ['StudioUserId'] });
  });

  it('reports an empty studiouserid, and a profile created with no tags at all', () => {
    // Arrange
    const empty = ruleEventOf(createUserProfile('user-c3', [{ key: 'studiouserid', value: '' }]));
    const untagged = ruleEventOf(createUserProfile('user-c4', undefined));

    // Act
    const findings = [empty, untagged].flatMap((e) => studioUserProfileMissingStudioUserId.evaluate(e, contextAt()));

    // Assert
    expect(findings.map((f) => [f.resourceArn, f.evidence.tagsParameter])).toEqual([[profileArn('user-c3'), 'present'], [profileArn('user-c4'), 'absent']]);
  });

  it('ignores a CreateUserProfile that failed', () => {
    // Arrange
    const record = createUserProfile('user-c5', undefined);
    const event = { ...ruleEventOf(record), errorCode: 'AccessDenied', errorMessage: 'not authorized', responseElements: {} };

    // Act
    const findings = studioUserProfileMissingStudioUserId.evaluate(event, contextAt());

    // Assert
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('studio-presigned-url-other-user', () => {
  const owners = { [DOMAIN_ARN]: PLATFORM, [profileArn('user-a1')]: USER_A1_TAGS, [profileArn('user-a2')]: USER_A2_TAGS, [profileArn('contractor-x')]: { team: 'TeamB' } };

  it("reports user-a2 denied a URL for user-a1's profile (the story's attempt), on the profile and not the domain", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreatePresignedDomainUrl' && r.errorCode === 'AccessDenied'));
    expect(event.primaryResourceArn).toBe(DOMAIN_ARN); // the evaluator's pick; the rule finds the profile itself

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_A2_TAGS, owners }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: profileArn('user-a1'),
      message: `user-a2 was denied opening a Studio URL for the user profile of user-a1 (${profileArn('user-a1')}).`,
      evidence: {
        outcome: 'denied', errorCode: 'AccessDenied', userProfileName: 'user-a1',
        callerStudioUserId: 'user-a2', callerIdSource: 'principal tag studiouserid', profileStudioUserId: 'user-a1',
        case: "another person's profile", findingSeverity: 'MEDIUM',
      },
    }]);
  });

  it("reports the same request as HIGH when it succeeded: the isolation failed", () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userA2, 'user-a1', 'allowed'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_A2_TAGS, owners }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ outcome: 'succeeded', findingSeverity: 'HIGH', profileStudioUserId: 'user-a1' });
  });

  it('stays silent when user-a1 opens their own profile', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreatePresignedDomainUrl' && r.userIdentity !== undefined && (r.userIdentity as Json).userName === 'user-a1'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_A1_TAGS, owners }));

    // Assert
    expect(findings).toEqual([]);
  });

  it("falls back to the IAM user name (${aws:username}) when the user carries no studiouserid tag", () => {
    // Arrange
    const own = ruleEventOf(presignedUrl(userA1, 'user-a1', 'allowed'));
    const other = ruleEventOf(presignedUrl(userA2, 'user-a1', 'allowed'));

    // Act
    const ownFindings = studioPresignedUrlOtherUser.evaluate(own, contextAt({ principalTags: TEAM_A_USER, owners }));
    const otherFindings = studioPresignedUrlOtherUser.evaluate(other, contextAt({ principalTags: TEAM_A_USER, owners }));

    // Assert
    expect(ownFindings).toEqual([]);
    expect(otherFindings).toHaveLength(1);
    expect(otherFindings[0].evidence).toMatchObject({ callerStudioUserId: 'user-a2', callerIdSource: 'IAM user name (aws:username)' });
  });

  it("reports user-b1 opening the untagged contractor-x profile (the story's unguarded profile) as HIGH", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreatePresignedDomainUrl' && params(r).userProfileName === 'contractor-x'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_B1_TAGS, owners }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: profileArn('contractor-x'),
      message: `user-b1 opened a Studio URL for user profile ${profileArn('contractor-x')}, which no "studiouserid" tag binds to anyone.`,
      evidence: {
        outcome: 'succeeded', userProfileName: 'contractor-x', callerStudioUserId: 'user-b1', callerIdSource: 'principal tag studiouserid',
        profileStudioUserId: null, case: 'unguarded profile', findingSeverity: 'HIGH',
      },
    }]);
  });

  it('reports a denied request for an unguarded profile as LOW', () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userB1, 'contractor-x', 'denied'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_B1_TAGS, owners }));

    // Assert
    expect(findings.map((f) => f.evidence.findingSeverity)).toEqual(['LOW']);
  });

  it('treats a profile tagged "StudioUserId" as unguarded: the policy reads the exact key', () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userA1, 'user-a1', 'allowed'));
    const ctx = contextAt({ principalTags: USER_A1_TAGS, owners: { [profileArn('user-a1')]: { team: 'TeamA', StudioUserId: 'user-a1' } } });

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, ctx);

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ case: 'unguarded profile', profileNearMissKeys: ['StudioUserId'] });
  });

  it("compares a federated session's studiouserid principal tag with the profile's", () => {
    // Arrange: the evaluator folds the session's transitive studiouserid tag into principalTags
    const event = ruleEventOf(presignedUrl(federatedRole, 'user-a1', 'allowed'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: { team: 'TeamA', studiouserid: 'alice' }, owners }));

    // Assert
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ callerStudioUserId: 'alice', profileStudioUserId: 'user-a1', findingSeverity: 'HIGH' });
  });

  it('emits nothing when the caller cannot be named in studiouserid terms (a role session without the tag), and says so', () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(teamARole, 'user-a1', 'allowed'));
    const ctx = contextAt({ principalTags: TEAM_A_USER, owners });

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, ctx);
    const assessed = assessPresignedUrlOtherUser(event, ctx);

    // Assert
    expect(findings).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({ verdict: 'undecided', evidence: expect.objectContaining({ callerStudioUserId: null, undecided: expect.stringContaining('not an IAM user') }) })]);
  });

  it("emits nothing when govgraph knew none of the profile's tags at the time, and says so", () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userA2, 'user-a9', 'allowed'));
    const ctx = contextAt({ principalTags: USER_A2_TAGS, owners: { [DOMAIN_ARN]: PLATFORM, [profileArn('user-a9')]: 'unseen' } });

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, ctx);
    const assessed = assessPresignedUrlOtherUser(event, ctx);

    // Assert
    expect(findings).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({ verdict: 'undecided', resourceArn: profileArn('user-a9'), evidence: expect.objectContaining({ profileStudioUserId: null }) })]);
  });

  it('ignores requests that failed for another reason than a denial', () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userA2, 'user-a1', 'failed'));

    // Act
    const findings = studioPresignedUrlOtherUser.evaluate(event, contextAt({ principalTags: USER_A2_TAGS, owners }));

    // Assert
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('access-cross-team-attempt', () => {
  it("reports TeamB's role denied DeleteExperiment on TeamA's experiment (the story's attempt)", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'DeleteExperiment'));

    // Act
    const findings = accessCrossTeamAttempt.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: EXPERIMENT_ARN,
      message: `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole (TeamB) was denied sagemaker:DeleteExperiment on TeamA's experiment ${EXPERIMENT_ARN}.`,
      evidence: {
        action: 'sagemaker:DeleteExperiment', outcome: 'denied', errorCode: 'AccessDenied', deniedResource: EXPERIMENT_ARN,
        mutating: true, teamTagKey: 'team', principalTeam: 'TeamB', ownerTeam: 'TeamA',
      },
    }]);
  });

  it.each(['AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation'])('counts errorCode %s as a denial', (errorCode) => {
    // Arrange
    const event = { ...ruleEventOf(deleteExperiment(teamBRole, 'denied')), errorCode };

    // Act
    const findings = accessCrossTeamAttempt.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('emits nothing when the owner is unknown, and the evidence says why', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'DeleteExperiment'));
    const ctx = contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { project: 'churn' } } });

    // Act
    const findings = accessCrossTeamAttempt.evaluate(event, ctx);
    const assessed = assessCrossTeamAttempt(event, ctx);

    // Assert
    expect(findings).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({
      verdict: 'undecided',
      resourceArn: EXPERIMENT_ARN,
      evidence: expect.objectContaining({ ownerTeam: null, undecided: 'the experiment had no team tag at the time' }),
    })]);
  });

  it('says so too when govgraph never saw the resource', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'DeleteExperiment'));
    const ctx = contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: 'unseen' } });

    // Act
    const assessed = assessCrossTeamAttempt(event, ctx);

    // Assert
    expect(assessed[0].verdict).toBe('undecided');
    expect(assessed[0].evidence.undecided).toMatch(/never seen by govgraph/);
  });

  it("emits nothing when the principal's team is unknown, and says so", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'DeleteExperiment'));
    const ctx = contextAt({ principalTags: {}, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } });

    // Act
    const assessed = assessCrossTeamAttempt(event, ctx);

    // Assert
    expect(accessCrossTeamAttempt.evaluate(event, ctx)).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({ verdict: 'undecided', evidence: expect.objectContaining({ principalTeam: null, ownerTeam: 'TeamA' }) })]);
  });

  it('stays silent on a denial within the same team, a success, and a failure that is no denial', () => {
    // Arrange
    const ctxB = contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } });
    const sameTeam = ruleEventOf(deleteExperiment(teamARole, 'denied'));
    const succeeded = ruleEventOf(deleteExperiment(teamBRole, 'allowed'));
    const notFound = { ...ruleEventOf(deleteExperiment(teamBRole, 'denied')), errorCode: 'ResourceNotFound' };

    // Act
    const findings = [
      ...accessCrossTeamAttempt.evaluate(sameTeam, contextAt({ principalTags: { team: 'TeamA' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } })),
      ...accessCrossTeamAttempt.evaluate(succeeded, ctxB),
      ...accessCrossTeamAttempt.evaluate(notFound, ctxB),
    ];

    // Assert
    expect(findings).toEqual([]);
  });

  it("judges a denied Studio URL on the profile, not on the platform's domain", () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userB1, 'user-a1', 'denied'));
    const ctx = contextAt({ principalTags: USER_B1_TAGS, owners: { [DOMAIN_ARN]: PLATFORM, [profileArn('user-a1')]: USER_A1_TAGS } });

    // Act
    const findings = accessCrossTeamAttempt.evaluate(event, ctx);

    // Assert
    expect(findings.map((f) => [f.resourceArn, f.evidence.ownerTeam])).toEqual([[profileArn('user-a1'), 'TeamA']]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('access-cross-team-action', () => {
  it("reports TeamB's role deleting TeamA's experiment: the isolation failed", () => {
    // Arrange
    const event = ruleEventOf(deleteExperiment(teamBRole, 'allowed'));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: EXPERIMENT_ARN,
      message: `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole (TeamB) performed sagemaker:DeleteExperiment on TeamA's experiment ${EXPERIMENT_ARN}.`,
      evidence: { action: 'sagemaker:DeleteExperiment', outcome: 'succeeded', mutating: true, teamTagKey: 'team', principalTeam: 'TeamB', ownerTeam: 'TeamA' },
    }]);
  });

  it("reports TeamB re-tagging TeamA's experiment (AddTags, which the seed allows on *)", () => {
    // Arrange
    const event = ruleEventOf(sageMakerCall(teamBRole, t(3, 12), 'AddTags', { resourceArn: EXPERIMENT_ARN, tags: [{ key: 'team', value: 'TeamB' }] },
      { responseElements: { tags: [{ key: 'team', value: 'TeamB' }] } }));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings.map((f) => [f.resourceArn, f.evidence.action])).toEqual([[EXPERIMENT_ARN, 'sagemaker:AddTags']]);
  });

  it("reports TeamB stopping TeamA's training job", () => {
    // Arrange
    const jobArn = sm('training-job', 'churn-v7');
    const event = ruleEventOf(sageMakerCall(teamBRole, t(2, 12), 'StopTrainingJob', { trainingJobName: 'churn-v7' }));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [jobArn]: { team: 'TeamA', project: 'churn' } } }));

    // Assert
    expect(findings.map((f) => f.resourceArn)).toEqual([jobArn]);
  });

  it('compares team values exactly: a principal tagged teama changing a TeamA resource is another team', () => {
    // Arrange
    const event = ruleEventOf(deleteExperiment(teamARole, 'allowed'));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'teama' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toHaveLength(1);
  });

  it('ignores reads: the seed lets every team Describe/List/Search everything', () => {
    // Arrange
    const event = ruleEventOf(sageMakerCall(teamBRole, t(3, 9), 'DescribeExperiment', { experimentName: 'USERA1TEAMAEXPERIMENT1' }));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('leaves the resource a create made to the tagging rules, but judges what the create used', () => {
    // Arrange: TeamB creates a job tagged TeamA (mismatch's case), and an app in TeamA's user profile
    const job = ruleEventOf(createTrainingJob({ actor: teamBRole, time: t(2, 13), region: R, jobName: 'fraud-detect-2', team: 'TeamA', vpc: true }));
    const appArn = sm('app', `${DEMO_DOMAIN_ID}/user-a1/jupyterserver/default`);
    const app = ruleEventOf(sageMakerCall(teamBRole, t(3, 10), 'CreateApp', { domainId: DEMO_DOMAIN_ID, userProfileName: 'user-a1', appType: 'JupyterServer', appName: 'default' },
      { responseElements: { appArn } }));
    const ctx = contextAt({
      principalTags: { team: 'TeamB' },
      owners: { [sm('training-job', 'fraud-detect-2')]: { team: 'TeamA' }, [DOMAIN_ARN]: PLATFORM, [profileArn('user-a1')]: USER_A1_TAGS, [appArn]: { team: 'TeamA' } },
    });

    // Act
    const jobFindings = accessCrossTeamAction.evaluate(job, ctx);
    const appFindings = accessCrossTeamAction.evaluate(app, ctx);

    // Assert
    expect(jobFindings).toEqual([]);
    expect(appFindings.map((f) => f.resourceArn)).toEqual([profileArn('user-a1')]);
  });

  it("stays silent when user-a1 opens their own profile in the platform team's domain", () => {
    // Arrange
    const event = ruleEventOf(presignedUrl(userA1, 'user-a1', 'allowed'));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: USER_A1_TAGS, owners: { [DOMAIN_ARN]: PLATFORM, [profileArn('user-a1')]: USER_A1_TAGS } }));

    // Assert
    expect(findings).toEqual([]);
  });

  it('emits nothing when the owner is unknown, and the evidence says why', () => {
    // Arrange
    const event = ruleEventOf(deleteExperiment(teamBRole, 'allowed'));
    const ctx = contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { project: 'churn' } } });

    // Act
    const findings = accessCrossTeamAction.evaluate(event, ctx);
    const assessed = assessCrossTeamAction(event, ctx);

    // Assert
    expect(findings).toEqual([]);
    expect(assessed).toEqual([expect.objectContaining({ verdict: 'undecided', evidence: expect.objectContaining({ ownerTeam: null, undecided: 'the experiment had no team tag at the time' }) })]);
  });

  it('does not judge denied calls (that is access-cross-team-attempt)', () => {
    // Arrange
    const event = ruleEventOf(deleteExperiment(teamBRole, 'denied'));

    // Act
    const findings = accessCrossTeamAction.evaluate(event, contextAt({ principalTags: { team: 'TeamB' }, owners: { [EXPERIMENT_ARN]: { team: 'TeamA' } } }));

    // Assert
    expect(findings).toEqual([]);
  });

  it.each([
    ['StartTrainingJob', true], ['StopNotebookInstance', true], ['UpdateEndpoint', true], ['AddTags', true], ['DeleteTags', true],
    ['AssociateTrialComponent', true], ['BatchPutMetrics', true], ['PutModelPackageGroupPolicy', true], ['CreatePresignedDomainUrl', true],
    ['DescribeExperiment', false], ['ListTrainingJobs', false], ['Search', false], ['BatchDescribeModelPackage', false], ['Startup', false],
  ])('classes %s as mutating: %s', (eventName, mutating) => {
    // Arrange / Act / Assert
    expect(isMutatingCall(eventName)).toBe(mutating);
  });
});

// ---------------------------------------------------------------------------------------------

describe('console-login-notebook-only-user', () => {
  const notebookOnly = { notebookOnlyPrincipals: [`arn:aws:iam::${A}:user/user-a*`] };

  it("reports the story's user-a1 console sign-in when user-a* is notebook-only", () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'ConsoleLogin'));

    // Act
    const findings = consoleLoginNotebookOnlyUser.evaluate(event, contextAt({ config: notebookOnly }));

    // Assert
    expect(findings).toEqual([{
      resourceArn: `arn:aws:iam::${A}:user/user-a1`,
      message: `user-a1, configured as notebook-only (arn:aws:iam::${A}:user/user-a*), signed in to the AWS console.`,
      evidence: {
        principalArn: `arn:aws:iam::${A}:user/user-a1`, principalName: 'user-a1', consoleLogin: 'Success',
        matchedPattern: `arn:aws:iam::${A}:user/user-a*`, userAgent: expect.stringContaining('Safari'),
      },
    }]);
  });

  it('stays silent for principals outside the list, for a pattern of another case, and when the list is empty', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'ConsoleLogin'));

    // Act
    const findings = [
      ...consoleLoginNotebookOnlyUser.evaluate(event, contextAt({ config: { notebookOnlyPrincipals: [`arn:aws:iam::${A}:user/user-b*`] } })),
      ...consoleLoginNotebookOnlyUser.evaluate(event, contextAt({ config: { notebookOnlyPrincipals: [`arn:aws:iam::${A}:user/User-A1`] } })),
      ...consoleLoginNotebookOnlyUser.evaluate(event, contextAt()),
    ];

    // Assert
    expect(findings).toEqual([]);
  });

  it('ignores a failed sign-in, which CloudTrail records without an errorCode', () => {
    // Arrange
    const event = ruleEventOf(cloudTrailRecord({
      actor: userA1, time: t(2, 9), region: R, eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin',
      errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' },
    }));
    const ctx = contextAt({ config: notebookOnly });

    // Act
    const findings = consoleLoginNotebookOnlyUser.evaluate(event, ctx);

    // Assert
    expect(event.errorCode).toBeNull();
    expect(findings).toEqual([]);
    expect(assessNotebookOnlyConsoleLogin(event, ctx)).toEqual([]);
  });

  it('matches a federated console sign-in on the role the session belongs to', () => {
    // Arrange
    const event = ruleEventOf(cloudTrailRecord({
      actor: federatedRole, time: t(2, 9), region: R, eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin',
      responseElements: { ConsoleLogin: 'Success' },
    }));

    // Act
    const findings = consoleLoginNotebookOnlyUser.evaluate(event, contextAt({ config: { notebookOnlyPrincipals: [`arn:aws:iam::${A}:role/StudioFederated*`] } }));

    // Assert
    expect(findings.map((f) => f.resourceArn)).toEqual([`arn:aws:iam::${A}:role/StudioFederatedDataScientist`]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the access and tagging catalog', () => {
  /**
   * Replays the story as the evaluator would: each event sees the tags as they stood before it
   * (the inventory effects of earlier events), then its own effects apply.
   */
  function replayStory(config: Partial<RuleConfig>): { ruleId: string; eventName: string; resourceArn: string | null; severity: unknown }[] {
    const tagsByArn = new Map<string, Tags>();
    const out: { ruleId: string; eventName: string; resourceArn: string | null; severity: unknown }[] = [];
    for (const record of demoCloudTrailRecords()) {
      const event = ruleEventOf(record);
      const owners: Record<string, Tags | 'unseen'> = {};
      for (const arn of event.resourceArns) owners[arn] = tagsByArn.get(arn) ?? 'unseen';
      const ctx = contextAt({ principalTags: event.principalArn ? tagsByArn.get(event.principalArn) ?? {} : {}, owners, config });
      for (const rule of ACCESS_AND_TAGGING_RULES) {
        if (rule.successfulOnly && event.errorCode) continue;
        for (const f of rule.evaluate(event, ctx)) out.push({ ruleId: rule.id, eventName: event.eventName, resourceArn: f.resourceArn, severity: f.evidence.findingSeverity ?? rule.severity });
      }
      for (const effect of normalizeCloudTrailRecord(record).effects) {
        if (effect.kind === 'create') tagsByArn.set(effect.arn, { ...effect.tags });
        if (effect.kind === 'tag') tagsByArn.set(effect.arn, { ...Object.fromEntries(Object.entries(tagsByArn.get(effect.arn) ?? {}).filter(([k]) => !effect.remove.includes(k))), ...effect.set });
      }
    }
    return out;
  }

  it('finds in the demo story exactly what the seeds say should be seen', () => {
    // Arrange
    const config = { notebookOnlyPrincipals: [`arn:aws:iam::${A}:user/user-a*`] };

    // Act
    const found = replayStory(config);

    // Assert
    expect(found).toEqual([
      { ruleId: 'studio-user-profile-missing-studiouserid', eventName: 'CreateUserProfile', resourceArn: profileArn('contractor-x'), severity: 'MEDIUM' },
      { ruleId: 'console-login-notebook-only-user', eventName: 'ConsoleLogin', resourceArn: `arn:aws:iam::${A}:user/user-a1`, severity: 'MEDIUM' },
      { ruleId: 'access-cross-team-attempt', eventName: 'DeleteExperiment', resourceArn: EXPERIMENT_ARN, severity: 'MEDIUM' },
      { ruleId: 'studio-presigned-url-other-user', eventName: 'CreatePresignedDomainUrl', resourceArn: profileArn('user-a1'), severity: 'MEDIUM' },
      { ruleId: 'studio-presigned-url-other-user', eventName: 'CreatePresignedDomainUrl', resourceArn: profileArn('contractor-x'), severity: 'HIGH' },
    ]);
  });

  it('has seven rules with unique contract ids, each citing a seed and saying what it reads', () => {
    // Arrange
    const ids = ACCESS_AND_TAGGING_RULES.map((r) => r.id);

    // Act / Assert
    expect(ids).toEqual([
      'tagging-missing-team-tag', 'tagging-team-tag-mismatch', 'studio-user-profile-missing-studiouserid', 'studio-presigned-url-other-user',
      'access-cross-team-attempt', 'access-cross-team-action', 'console-login-notebook-only-user',
    ]);
    for (const rule of ACCESS_AND_TAGGING_RULES) {
      expect(rule.rationale).toMatch(/0[45]-/);
      expect(rule.reads.length).toBeGreaterThan(0);
      expect(rule.remediation.length).toBeGreaterThan(20);
    }
  });

  it('is deterministic and leaves its inputs untouched', () => {
    // Arrange
    const event = ruleEventOf(storyRecord((r) => r.eventName === 'CreatePresignedDomainUrl' && params(r).userProfileName === 'contractor-x'));
    const ctx = contextAt({ principalTags: USER_B1_TAGS, owners: { [DOMAIN_ARN]: PLATFORM, [profileArn('contractor-x')]: { team: 'TeamB' } } });
    const before = JSON.stringify([event, ctx]);

    // Act
    const first = ACCESS_AND_TAGGING_RULES.map((r) => r.evaluate(event, ctx));
    const second = ACCESS_AND_TAGGING_RULES.map((r) => r.evaluate(event, ctx));

    // Assert
    expect(second).toEqual(first);
    expect(JSON.stringify([event, ctx])).toBe(before);
  });
});
