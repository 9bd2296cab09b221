/**
 * Issue 8, infrastructure side: the resource policies and environment that keep Firebreak from
 * becoming the attack path. Each boundary is tried both ways, as an attacker with common
 * security-account permissions would and as Firebreak itself does, by evaluating the synthesized
 * statements (./policy-evaluation.ts) against the request.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SECURITY_ENV } from '../../lib/contracts/security';
import type { LocatedStatement } from './iam-catalog';
import { resolveIntrinsics, SAMPLE } from './iam-catalog';
import type { PolicyRequest } from './policy-evaluation';
import { evaluate } from './policy-evaluation';
import { action, ALARM, COMPROMISED, DEFAULT_ALERT, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

const ACCOUNT = SAMPLE.account;
const role = (name: string, account: string = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
const GAME_DAY_ROLE = role('GameDay');
const ADMIN = role('SecurityAdmin');
const CFN_EXEC_ROLE = role(`cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${SAMPLE.region}`);

type Template = ReturnType<typeof synthesize>['template'];
type Resources = Parameters<typeof resolveIntrinsics>[1];

function resolved(template: Template, value: unknown): unknown {
  return resolveIntrinsics(value, template.toJSON().Resources as Resources);
}

/** The resolved statements of one resource's policy property, with the resource the policy belongs to. */
function policyOf(template: Template, type: string, prefix: string, property: string, self?: string): LocatedStatement[] {
  const id = logicalIdOf(template, type, prefix);
  const document = resolved(template, resourcesOf(template, type)[id]!.Properties[property]) as { Statement: Record<string, unknown>[] };
  return document.Statement.map((statement) => ({ where: id, statement, ...(self ? { self } : {}) }));
}

/** The resolved statements of the policies attached to a responder's role. */
function responderPolicy(template: Template, responder: string): LocatedStatement[] {
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`);
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([id, policy]) =>
      (resolved(template, policy.Properties.PolicyDocument) as { Statement: Record<string, unknown>[] }).Statement.map((statement) => ({
        where: id,
        statement,
      })),
    );
}

function roleArnOf(template: Template, responder: string): string {
  return resolved(template, { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`), 'Arn'] }) as string;
}

function environments(template: Template): Record<string, unknown>[] {
  return Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map(
    (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
  );
}

describe('game days: never on the default bus, only on a bus of their own for named principals', () => {
  it('accepts no game-day event at all by default: no bus, no rule for firebreak.gameday, and says so', () => {
    const { template } = synthesize();

    expect(resourcesOf(template, 'AWS::Events::EventBus')).toEqual({});
    const sources = Object.values(resourcesOf(template, 'AWS::Events::Rule')).flatMap(
      (rule) => (rule.Properties.EventPattern as { source: string[] }).source,
    );
    expect(sources).not.toContain('firebreak.gameday');
    expect(environments(template).every((variables) => variables[SECURITY_ENV.gameDayEnabled] === 'false')).toBe(true);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.GameDaysEnabled?.Value).toBe('false');
    expect(outputs.GameDayEventBusName).toBeUndefined();
    expect(outputs.EventBusName).toBeUndefined();
  });

  it('puts no rule for game-day events on the default bus even when game days are on', () => {
    const { template } = synthesize({ gameDayPrincipals: [GAME_DAY_ROLE] });

    const defaultBusRules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((rule) => rule.Properties.EventBusName === undefined);
    // GuardDuty findings, Malware Protection for S3 scan results (also source aws.guardduty), alarms.
    expect(defaultBusRules.flatMap((rule) => (rule.Properties.EventPattern as { source: string[] }).source)).toEqual([
      'aws.guardduty',
      'aws.guardduty',
      'aws.cloudwatch',
    ]);
  });

  it('creates the bus <stackName>-gameday with its policy set on the bus itself, and outputs its name', () => {
    const { template } = synthesize({ gameDayPrincipals: [GAME_DAY_ROLE] });

    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'Firebreak-gameday', Policy: Match.objectLike({ Version: '2012-10-17' }) });
    expect(resourcesOf(template, 'AWS::Events::EventBusPolicy')).toEqual({});
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.GameDayEventBusName?.Value).toEqual({ Ref: logicalIdOf(template, 'AWS::Events::EventBus', 'GameDayBus') });
    expect(outputs.GameDaysEnabled?.Value).toBe('true');
    expect(environments(template).every((variables) => variables[SECURITY_ENV.gameDayEnabled] === 'true')).toBe(true);
  });

  it('lets the named game-day principals put events, and denies everyone else, administrators of the account included', () => {
    const sso = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_GameDay_*`;
    const { template } = synthesize({ gameDayPrincipals: [GAME_DAY_ROLE, sso] });
    const busArn = `arn:aws:events:${SAMPLE.region}:${ACCOUNT}:event-bus/Firebreak-gameday`;
    const policy = policyOf(template, 'AWS::Events::EventBus', 'GameDayBus', 'Policy', busArn);
    const put = (request: Omit<PolicyRequest, 'action' | 'resource'>) => evaluate(policy, { action: 'events:PutEvents', resource: busArn, ...request });

    expect(put({ principalArn: GAME_DAY_ROLE })).toBe('allow');
    expect(put({ principalArn: role('aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_GameDay_0123abcd') })).toBe('allow');
    // The attack of issue 8: any principal with events:PutEvents forging a finding.
    expect(put({ principalArn: ADMIN })).toBe('explicit-deny');
    expect(put({ principalArn: role('GameDayImpostor') })).toBe('explicit-deny');
    expect(put({ principalArn: role('GameDay', '210987654321') })).toBe('explicit-deny');
    expect(put({ principalArn: `arn:aws:iam::${ACCOUNT}:root` })).toBe('explicit-deny');
    // Services and other buses' rules have no principal ARN: denied too.
    expect(put({ service: 'events.amazonaws.com' })).toBe('explicit-deny');
  });

  it('refuses a principal that is not an IAM user, role or root ARN (a role session, a bare account id)', () => {
    expect(() => synthesize({ gameDayPrincipals: [`arn:aws:sts::${ACCOUNT}:assumed-role/GameDay/alice`] })).toThrow(/not an IAM principal ARN/);
    expect(() => synthesize({ gameDayPrincipals: [ACCOUNT] })).toThrow(/not an IAM principal ARN/);
  });
});

describe('the deployment’s own facts in every responder’s environment', () => {
  it('gives every responder the effective mode: dry-run unless the deployment enforces, dry-run always winning', () => {
    const modeOf = (props: Parameters<typeof synthesize>[0]) => [...new Set(environments(synthesize(props).template).map((v) => v[SECURITY_ENV.mode]))];
    expect(modeOf({})).toEqual(['dry-run']);
    expect(modeOf({ mode: 'enforce' })).toEqual(['enforce']);
    expect(modeOf({ mode: 'dry-run' })).toEqual(['dry-run']);
    expect(modeOf({ forceDryRun: true })).toEqual(['dry-run']);
  });

  it('gives every responder the served accounts and the organization, and none when not configured', () => {
    const configured = environments(
      synthesize({
        servedAccountIds: ['222233334444', '555566667777'],
        memberRoleName: 'FirebreakResponder',
        organizationId: 'o-a1b2c3d4e5',
      }).template,
    );
    expect(configured.length).toBeGreaterThan(3);
    for (const variables of configured) {
      expect(variables).toMatchObject({
        [SECURITY_ENV.servedAccountIds]: '222233334444,555566667777',
        [SECURITY_ENV.organizationId]: 'o-a1b2c3d4e5',
        [SECURITY_ENV.securityAccountId]: { Ref: 'AWS::AccountId' },
      });
    }
    for (const variables of environments(synthesize().template)) {
      expect(variables[SECURITY_ENV.servedAccountIds]).toBe('');
      expect(variables[SECURITY_ENV.organizationId]).toBeUndefined();
    }
  });

  it('refuses a served account that is not a 12-digit id', () => {
    expect(() => synthesize({ servedAccountIds: ['12345'] })).toThrow(/servedAccountIds must be 12-digit account ids/);
  });
});

describe('the alert topic: only Firebreak publishes, only the deployment and named principals subscribe', () => {
  const subscriber = role('ChatOps');
  const { template } = synthesize({ alertSubscriberArns: [subscriber], alertEmails: ['oncall@example.com'] });
  const topicArn = resolved(template, { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'AlertTopic') }) as string;
  const policy = policyOf(template, 'AWS::SNS::TopicPolicy', 'AlertTopicPolicy', 'PolicyDocument');
  const ask = (action: string, request: Omit<PolicyRequest, 'action' | 'resource'>) =>
    evaluate(policy, { action, resource: topicArn, context: { 'aws:SecureTransport': 'true' }, ...request });

  it('lets publish-alert publish and CloudWatch alarms of this account, and denies every other principal', () => {
    expect(ask('sns:Publish', { principalArn: roleArnOf(template, 'PublishAlert') })).toBe('no-allow'); // its IAM policy allows it
    expect(ask('sns:Publish', { service: 'cloudwatch.amazonaws.com', context: { 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'true' } })).toBe('allow');
    // A forged alert (or a flood of them) from anyone else.
    expect(ask('sns:Publish', { principalArn: ADMIN })).toBe('explicit-deny');
    expect(ask('sns:Publish', { principalArn: roleArnOf(template, 'Triage') })).toBe('explicit-deny');
    expect(ask('sns:Publish', { service: 'events.amazonaws.com' })).toBe('explicit-deny');
  });

  it('lets the deployment and the configured subscribers subscribe, and denies every other principal', () => {
    expect(ask('sns:Subscribe', { principalArn: CFN_EXEC_ROLE })).toBe('no-allow');
    expect(ask('sns:Subscribe', { principalArn: subscriber })).toBe('no-allow');
    // Subscribing to read approval requests and incident details.
    expect(ask('sns:Subscribe', { principalArn: ADMIN })).toBe('explicit-deny');
    expect(ask('sns:Subscribe', { principalArn: roleArnOf(template, 'PublishAlert') })).toBe('explicit-deny');
  });

  it('keeps refusing publishing without TLS', () => {
    expect(ask('sns:Publish', { principalArn: roleArnOf(template, 'PublishAlert'), context: { 'aws:SecureTransport': 'false' } })).toBe('explicit-deny');
  });
});

describe('a second channel: the operations topic, with a key of its own', () => {
  it('encrypts the operations topic with a separate, rotating key that only publish-alert (its backup copies) and CloudWatch may publish with', () => {
    const { template } = synthesize();
    const alertKey = logicalIdOf(template, 'AWS::KMS::Key', 'AlertKey');
    const operationsKey = logicalIdOf(template, 'AWS::KMS::Key', 'OperationsKey');
    expect(alertKey).not.toBe(operationsKey);
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Firebreak alerts', KmsMasterKeyId: { 'Fn::GetAtt': [alertKey, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Firebreak operations', KmsMasterKeyId: { 'Fn::GetAtt': [operationsKey, 'Arn'] } });
    expect(resourcesOf(template, 'AWS::KMS::Key')[operationsKey]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });

    const topicArn = resolved(template, { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'OperationsTopic') }) as string;
    const policy = policyOf(template, 'AWS::SNS::TopicPolicy', 'OperationsTopicPolicy', 'PolicyDocument');
    const publish = (request: Omit<PolicyRequest, 'action' | 'resource'>) =>
      evaluate(policy, { action: 'sns:Publish', resource: topicArn, ...request, context: { 'aws:SecureTransport': 'true', ...request.context } });
    expect(publish({ service: 'cloudwatch.amazonaws.com', context: { 'aws:SourceAccount': ACCOUNT } })).toBe('allow');
    // Issue 13: the operations topic is publish-alert's backup channel; its role alone is not denied.
    expect(publish({ principalArn: roleArnOf(template, 'PublishAlert') })).not.toBe('explicit-deny');
    expect(publish({ principalArn: roleArnOf(template, 'QuarantineInstance') })).toBe('explicit-deny');
    expect(publish({ principalArn: ADMIN })).toBe('explicit-deny');
  });

  it('subscribes the operations e-mails, the alert e-mails when none are given', () => {
    const endpoints = (props: Parameters<typeof synthesize>[0]) => {
      const { template } = synthesize(props);
      const topic = logicalIdOf(template, 'AWS::SNS::Topic', 'OperationsTopic');
      return Object.values(resourcesOf(template, 'AWS::SNS::Subscription'))
        .filter((s) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify({ Ref: topic }))
        .map((s) => s.Properties.Endpoint);
    };
    expect(endpoints({ alertEmails: ['oncall@example.com'] })).toEqual(['oncall@example.com']);
    expect(endpoints({ alertEmails: ['oncall@example.com'], operationsEmails: ['platform@example.com'] })).toEqual(['platform@example.com']);
  });
});

describe('the key policies: one call by an ordinary administrator cannot switch alerting off', () => {
  const keyPolicy = (template: Template, key: 'AlertKey' | 'OperationsKey') => {
    const keyArn = resolved(template, { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', key), 'Arn'] }) as string;
    return { keyArn, policy: policyOf(template, 'AWS::KMS::Key', key, 'KeyPolicy', keyArn) };
  };

  for (const key of ['AlertKey', 'OperationsKey'] as const) {
    it(`${key}: denies disabling, deleting and rewriting to administrators; the account root user keeps them by default`, () => {
      const { template } = synthesize();
      const { keyArn, policy } = keyPolicy(template, key);
      const ask = (action: string, principalArn: string) => evaluate(policy, { action, resource: keyArn, principalArn });

      for (const action of ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']) {
        expect(ask(action, ADMIN), `${action} by an administrator`).toBe('explicit-deny');
        expect(ask(action, roleArnOf(template, 'PublishAlert')), `${action} by a Firebreak role`).toBe('explicit-deny');
        expect(ask(action, `arn:aws:iam::${ACCOUNT}:root`), `${action} by the root user`).toBe('allow');
      }
      // Ordinary use and administration stay delegated to IAM.
      expect(ask('kms:DescribeKey', ADMIN)).toBe('allow');
      expect(ask('kms:EnableKey', ADMIN)).toBe('allow');
    });
  }

  it('is lockout-safe: the deployment may put the policy it deploys (KMS checks that at creation), but not disable or delete the key', () => {
    const { template } = synthesize();
    const { keyArn, policy } = keyPolicy(template, 'AlertKey');
    expect(evaluate(policy, { action: 'kms:PutKeyPolicy', resource: keyArn, principalArn: CFN_EXEC_ROLE })).toBe('allow');
    expect(evaluate(policy, { action: 'kms:DisableKey', resource: keyArn, principalArn: CFN_EXEC_ROLE })).toBe('explicit-deny');
    expect(evaluate(policy, { action: 'kms:ScheduleKeyDeletion', resource: keyArn, principalArn: CFN_EXEC_ROLE })).toBe('explicit-deny');
  });

  it('gives the configured key administrators, and only them, the power to switch a key off', () => {
    const custodian = role('KeyCustodian');
    const { template } = synthesize({ keyAdminArns: [custodian] });
    const { keyArn, policy } = keyPolicy(template, 'AlertKey');
    expect(evaluate(policy, { action: 'kms:DisableKey', resource: keyArn, principalArn: custodian })).toBe('allow');
    expect(evaluate(policy, { action: 'kms:DisableKey', resource: keyArn, principalArn: `arn:aws:iam::${ACCOUNT}:root` })).toBe('explicit-deny');
    expect(evaluate(policy, { action: 'kms:PutKeyPolicy', resource: keyArn, principalArn: custodian })).toBe('allow');
  });

  it('lets CloudWatch alarms of this account use each key, and no other service', () => {
    const { template } = synthesize();
    for (const key of ['AlertKey', 'OperationsKey'] as const) {
      const { keyArn, policy } = keyPolicy(template, key);
      const cloudwatch = { action: 'kms:GenerateDataKey', resource: keyArn, service: 'cloudwatch.amazonaws.com' };
      expect(evaluate(policy, { ...cloudwatch, context: { 'aws:SourceAccount': ACCOUNT } })).toBe('allow');
      expect(evaluate(policy, { ...cloudwatch, context: { 'aws:SourceAccount': '210987654321' } })).toBe('no-allow');
      expect(evaluate(policy, { ...cloudwatch, service: 'events.amazonaws.com' })).toBe('no-allow');
    }
  });

  it('refuses a deployment with no known deployment principal or no key administrator', () => {
    expect(() => synthesize({ deploymentPrincipalArns: [] })).toThrow(/no deployment principal is known/);
    expect(() => synthesize({ keyAdminArns: [] })).toThrow(/keyAdminArns is empty/);
  });
});

describe('nothing silent: alarms on both channels for every way an execution or a responder fails', () => {
  const PLAYBOOKS = [COMPROMISED, ALARM, DEFAULT_ALERT];
  const { template } = synthesize({ playbooks: PLAYBOOKS });
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  const bothChannels = [{ Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'AlertTopic') }, { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'OperationsTopic') }];

  it('alarms on ExecutionsFailed, ExecutionsTimedOut and ExecutionsAborted of every playbook and of the dispatcher', () => {
    const machines = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(PLAYBOOKS.length + 1);
    for (const machine of machines) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        const matching = alarms.filter(
          (alarm) =>
            alarm.Properties.MetricName === metric &&
            JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: machine } }]),
        );
        expect(matching, `${metric} of ${machine}`).toHaveLength(1);
        expect(matching[0]!.Properties).toMatchObject({
          Namespace: 'AWS/States',
          Statistic: 'Sum',
          Period: 60,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: bothChannels,
        });
      }
    }
  });

  it('alarms on the Errors of every responder Lambda', () => {
    const functions = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const fn of functions) {
      const matching = alarms.filter(
        (alarm) =>
          alarm.Properties.MetricName === 'Errors' &&
          JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fn } }]),
      );
      expect(matching, fn).toHaveLength(1);
      expect(matching[0]!.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1, AlarmActions: bothChannels });
    }
  });

  it('sends every alarm of the stack to both channels', () => {
    // Per execution ending, per function, per kept-events queue, and issue 13's three: time to containment, alert delivery, backup channel.
    expect(alarms.length).toBe((PLAYBOOKS.length + 1) * 3 + Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).length + 2 + 3);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual(bothChannels);
  });
});

describe('security-account responder roles: role policies and PassRole never reach Firebreak’s own or privileged roles', () => {
  const revoking = playbook('revoking', [action('contain', 'quarantine-instance', { revokeRoleSessions: true }), action('alert', 'notify')]);
  const release = playbook('release', [action('release', 'release-instance'), action('alert', 'notify')], {}, 0);
  const { template } = synthesize({ playbooks: [revoking, release, DEFAULT_ALERT] });
  const PRIVILEGED = [
    role('OrgAdmin'),
    role('sysadmin'),
    role('BreakGlass'),
    role('emergency-break-glass'),
    role('OrganizationAccountAccessRole'),
    role('aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123abcd'),
    role('aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0123abcd'),
  ];
  const FIREBREAK_ROLES = [role('firebreak-responder-eu-west-1-quarantine-instance'), role('Firebreak-ResponderTriageRole1234')];

  it('lets quarantine-instance write a role policy to an application role, and never to Firebreak’s own or a privileged role', () => {
    const policy = responderPolicy(template, 'QuarantineInstance');
    const put = (resource: string) => evaluate(policy, { action: 'iam:PutRolePolicy', resource });
    expect(put(role('web-app-instance-role'))).toBe('allow');
    for (const protectedRole of [...PRIVILEGED, ...FIREBREAK_ROLES]) expect(put(protectedRole), protectedRole).toBe('explicit-deny');
  });

  it('lets release-instance pass an application role to EC2 only, and never Firebreak’s own or a privileged role', () => {
    const policy = responderPolicy(template, 'ReleaseInstance');
    const pass = (resource: string, service = 'ec2.amazonaws.com') =>
      evaluate(policy, { action: 'iam:PassRole', resource, context: { 'iam:PassedToService': service } });
    expect(pass(role('web-app-instance-role'))).toBe('allow');
    expect(pass(role('web-app-instance-role'), 'lambda.amazonaws.com')).toBe('no-allow');
    for (const protectedRole of [...PRIVILEGED, ...FIREBREAK_ROLES]) expect(pass(protectedRole), protectedRole).toBe('explicit-deny');
  });

  it('takes the privileged patterns from configuration, Firebreak’s own roles always kept out', () => {
    const { template: custom } = synthesize({ playbooks: [revoking, DEFAULT_ALERT], privilegedRoleNamePatterns: ['Root*'] });
    const policy = responderPolicy(custom, 'QuarantineInstance');
    const put = (resource: string) => evaluate(policy, { action: 'iam:PutRolePolicy', resource });
    expect(put(role('RootOperator'))).toBe('explicit-deny');
    expect(put(role('team/RootOperator'))).toBe('explicit-deny');
    expect(put(role('OrgAdmin'))).toBe('allow');
    expect(put(FIREBREAK_ROLES[0]!)).toBe('explicit-deny');
  });

  it('lets each responder assume only its own member-account roles, the session revoker only where it writes role policies', () => {
    const { template: members } = synthesize({
      playbooks: [revoking, release, DEFAULT_ALERT],
      memberRoleName: 'FirebreakResponder',
      organizationId: 'o-a1b2c3d4e5',
    });
    const assume = (responder: string, name: string) =>
      evaluate(responderPolicy(members, responder), {
        action: 'sts:AssumeRole',
        resource: role(name, '222233334444'),
        context: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' },
      });
    expect(assume('QuarantineInstance', 'FirebreakSessionRevoker-quarantine-instance')).toBe('allow');
    expect(assume('QuarantineInstance', 'FirebreakResponder-quarantine-instance')).toBe('allow');
    expect(assume('QuarantineInstance', 'FirebreakResponder-release-instance')).toBe('no-allow');
    expect(assume('QuarantineInstance', 'FirebreakResponder')).toBe('no-allow');
    expect(assume('ReleaseInstance', 'FirebreakSessionRevoker-quarantine-instance')).toBe('no-allow');
    expect(assume('ReleaseInstance', 'FirebreakResponder-quarantine-instance')).toBe('no-allow');
    expect(assume('ReleaseInstance', 'FirebreakResponder-release-instance')).toBe('allow');
    // Outside the organization: never (a forged event naming an outside account).
    expect(
      evaluate(responderPolicy(members, 'QuarantineInstance'), {
        action: 'sts:AssumeRole',
        resource: role('FirebreakResponder-quarantine-instance', '222233334444'),
        context: { 'aws:ResourceOrgID': 'o-zzzzzzzzzz' },
      }),
    ).toBe('no-allow');
    // Each function is told its own role names; only the one that writes role policies has a revoker.
    const variablesOf = (responder: string) =>
      (resourcesOf(members, 'AWS::Lambda::Function')[Object.keys(resourcesOf(members, 'AWS::Lambda::Function')).find((id) => id.startsWith(`Responder${responder}Function`))!]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variablesOf('QuarantineInstance')).toMatchObject({
      [SECURITY_ENV.memberRoleName]: 'FirebreakResponder-quarantine-instance',
      [SECURITY_ENV.sessionRevokerRoleName]: 'FirebreakSessionRevoker-quarantine-instance',
    });
    expect(variablesOf('ReleaseInstance')[SECURITY_ENV.memberRoleName]).toBe('FirebreakResponder-release-instance');
    expect(variablesOf('ReleaseInstance')[SECURITY_ENV.sessionRevokerRoleName]).toBeUndefined();
    for (const variables of environments(members)) expect(variables[SECURITY_ENV.memberRoleName]).toEqual(expect.stringMatching(/^FirebreakResponder/));
  });
});
