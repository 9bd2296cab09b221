/**
 * The game day reads the deployed roles' policies and the dispatcher's rules from the synthesized
 * templates, resolved to its own resources, and routes events through those rules as EventBridge does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  busFor,
  deployedPolicies,
  deployedRules,
  memberAccountRoles,
  resolveIntrinsics,
  routeEvent,
  statementSids,
  withoutStatements,
} from '../../lib/gameday/deployment';
import type { DeployedRule, LocalDeploymentResources } from '../../lib/gameday/deployment';
import { KNOWN_STATEMENT_SIDS } from '../../lib/gameday/statement-sids';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { LOCAL_GAMEDAY_PRINCIPAL } from '../../lib/gameday/definitions';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SeededSimulatedAws } from '../support/sim-builder';
import { synthesizeDefinitions } from '../../lib/stack/app';
import type { SynthesizedDeployment } from '../../lib/stack/app';
import { LOCAL_DEPLOYMENT } from '../support/local-deployment';

const LOCAL: LocalDeploymentResources = LOCAL_DEPLOYMENT;

let deployment: SynthesizedDeployment;
beforeAll(async () => {
  // The game day's own deployment: enforce, with game days enabled for its local principal.
  const definitions = await synthesizeDefinitions({ context: { mode: 'enforce', gameDayPrincipals: [LOCAL_GAMEDAY_PRINCIPAL] } });
  deployment = definitions.deployment as SynthesizedDeployment;
}, 60_000);

const statements = (documents: readonly { Statement: unknown }[]) => documents.flatMap((document) => document.Statement as PolicyStatement[]);

describe('deployedPolicies', () => {
  it('gives every responder, the dispatcher and each playbook machine its synthesized policy, resolved to the game day’s resources', () => {
    const { roles } = deployedPolicies(deployment, LOCAL);
    expect([...roles.keys()]).toEqual(
      expect.arrayContaining([
        'firebreak-responder-eu-west-1-quarantine-instance',
        'firebreak-responder-eu-west-1-publish-alert',
        'firebreak-dispatcher',
        'firebreak-states-compromised-ec2-instance',
      ]),
    );
    const quarantine = statements(roles.get('firebreak-responder-eu-west-1-quarantine-instance') ?? []);
    expect(quarantine).toContainEqual(
      expect.objectContaining({ Sid: 'ContainInstances', Resource: 'arn:aws:ec2:*:111122223333:instance/*' }),
    );
    expect(quarantine).toContainEqual(expect.objectContaining({ Sid: 'KeepIncidentState', Resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/firebreak-state' }));
    const alert = statements(roles.get('firebreak-responder-eu-west-1-publish-alert') ?? []);
    expect(alert).toContainEqual(expect.objectContaining({ Sid: 'PublishAlerts', Resource: LOCAL.alertTopicArn }));
    expect(alert).toContainEqual(expect.objectContaining({ Sid: 'EncryptAlertsWithTheTopicKey', Resource: LOCAL.alertKeyArn }));
    const dispatcher = statements(roles.get('firebreak-dispatcher') ?? []);
    expect(dispatcher).toContainEqual(
      expect.objectContaining({ Sid: 'StartPlaybooks', Resource: expect.arrayContaining(['arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-compromised-ec2-instance']) }),
    );
    // Nothing is left unresolved.
    expect(JSON.stringify([...roles.values()])).not.toMatch(/Fn::|"Ref"/);
  });

  it('knows every Sid the templates use (removedStatements are checked against this list at load time)', () => {
    const all = [deployment.template, deployment.memberRoleTemplate].flatMap((template) =>
      Object.values(template?.Resources ?? {}).flatMap((resource) => {
        const documents = [
          ...(resource.Type === 'AWS::IAM::Policy' ? [resource.Properties?.PolicyDocument] : []),
          ...((resource.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((policy) => policy.PolicyDocument),
        ] as { Statement: PolicyStatement[] }[];
        return statementSids(documents);
      }),
    );
    expect(all.length).toBeGreaterThan(10);
    expect([...new Set(all)].filter((sid) => !KNOWN_STATEMENT_SIDS.includes(sid))).toEqual([]);
  });

  it('resolves the member role’s policy for a member account, trusting the security account', () => {
    const documents = memberAccountRoles(deployment, LOCAL, '444455556666')?.get('member-role:quarantine-instance')?.documents ?? [];
    expect(statements(documents)).toContainEqual(expect.objectContaining({ Sid: 'ContainInstances', Resource: 'arn:aws:ec2:*:444455556666:instance/*' }));
  });

  // The trust is exact (lib/stack/member-role-stack.ts): the simulated STS, which evaluates trust
  // policies with their conditions, admits a responder role of the security account and refuses
  // any other role there, even one allowed sts:AssumeRole on everything.
  it('resolves the member role’s trust policy, which admits a responder role and refuses any other role of the security account', async () => {
    const MEMBER = '444455556666';
    const trust = memberAccountRoles(deployment, LOCAL, MEMBER)?.get('member-role:quarantine-instance')?.trustPolicy;
    expect(trust).toBeDefined();
    const sim = new SeededSimulatedAws({ defaultAccount: LOCAL.account, defaultRegion: LOCAL.region });
    const roleName = String(deployment.memberRoleTemplate?.Resources[deployment.logicalIds.memberRoles?.['quarantine-instance'] ?? '']?.Properties?.RoleName);
    expect(roleName).toBe('FirebreakResponder-quarantine-instance');
    sim.addRole({ account: MEMBER, name: roleName, trustPolicy: trust! });
    const assumeAs = async (role: string) =>
      (await sim.clientFactory({ principal: `arn:aws:iam::${LOCAL.account}:role/${role}` }).sts()).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/${roleName}`, RoleSessionName: 'firebreak' }),
      );

    const responder = await assumeAs('firebreak-responder-eu-west-1-quarantine-instance');
    const outcome = (promise: Promise<unknown>) => promise.then(() => 'admitted', (error: Error) => error.name);

    expect(responder.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/${roleName}/firebreak`);
    expect(await outcome(assumeAs('Admin'))).toBe('AccessDenied');
    // Another responder's role: its own member role is another.
    expect(await outcome(assumeAs('firebreak-responder-eu-west-1-snapshot-volumes'))).toBe('AccessDenied');
    expect(await outcome(assumeAs('firebreak-responder-eu-west-1-quarantine-instance-copy'))).toBe('AccessDenied');
  });

  it('reads the managed policies CDK moves a large default policy into (OverflowPolicy), as IAM attaches them', async () => {
    // A member-account deployment: quarantine-instance's default policy is over CDK's estimate of
    // what fits inline, so CDK moves statements into a managed policy of the role.
    const member = (await synthesizeDefinitions({ context: { mode: 'enforce', gameDayPrincipals: [LOCAL_GAMEDAY_PRINCIPAL], memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5' } }))
      .deployment as SynthesizedDeployment;
    const overflow = Object.entries(member.template.Resources).filter(([id, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy' && id.startsWith('ResponderQuarantineInstanceRoleOverflowPolicy'));
    expect(overflow).not.toEqual([]);
    const quarantine = statements(deployedPolicies(member, LOCAL).roles.get('firebreak-responder-eu-west-1-quarantine-instance') ?? []);
    for (const [, policy] of overflow) {
      // By Sid, or by its actions for a statement CDK wrote without one (X-Ray's, once the policy is this large).
      for (const { Sid, Action } of (policy.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement) {
        expect(quarantine).toContainEqual(expect.objectContaining(Sid !== undefined ? { Sid } : { Action }));
      }
    }
  }, 60_000);

  it('takes a statement out by Sid and says which Sids it did not find', () => {
    const { roles } = deployedPolicies(deployment, LOCAL);
    const quarantine = roles.get('firebreak-responder-eu-west-1-quarantine-instance') ?? [];
    const { documents, missing } = withoutStatements(quarantine, ['ContainInstances', 'NoSuchSid']);
    expect(statementSids(documents)).not.toContain('ContainInstances');
    expect(statementSids(documents)).toContain('MoveNetworkInterfacesBetweenGroups');
    expect(missing).toEqual(['NoSuchSid']);
  });
});

describe('deployedRules and routeEvent', () => {
  it('reads the rules that target the dispatcher with their bus and pattern', () => {
    const rules = deployedRules(deployment, LOCAL);
    expect(rules.map((rule) => rule.name).sort()).toEqual(['CloudWatchAlarmsRule', 'GameDayBusRule', 'GuardDutyFindingsRule', 'S3ObjectScanResultsRule']);
    const guardDuty = rules.find((rule) => rule.name === 'GuardDutyFindingsRule');
    expect(guardDuty?.pattern).toMatchObject({ source: ['aws.guardduty'], detail: { severity: [{ numeric: ['>=', 1] }] } });
    // EventBridge starts the dispatcher as the target's role, whose policy the game day has too.
    expect(guardDuty?.targetRole).toBe('firebreak-cfn-DispatcherStateMachineEventsRole');
    const eventsRole = statements(deployedPolicies(deployment, LOCAL).roles.get('firebreak-cfn-DispatcherStateMachineEventsRole') ?? []);
    expect(eventsRole).toContainEqual(
      expect.objectContaining({ Action: 'states:StartExecution', Resource: 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-dispatcher' }),
    );
  });

  // The game day delivers the whole event to each target and keeps what a target could not take in
  // the undelivered-events queue: true of the synthesized targets (no Input, InputPath or
  // InputTransformer; a DeadLetterConfig each), and refused, not silently rehearsed, for any other.
  it('FIDELITY (fid-patterns) refuses to rehearse a rule whose target reshapes the event or has no dead-letter queue', () => {
    const changed = (change: (target: Record<string, unknown>) => void) => {
      const template = structuredClone(deployment.template);
      const rule = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Events::Rule' && JSON.stringify(resource.Properties?.EventPattern).includes('aws.guardduty'));
      change(((rule?.Properties?.Targets ?? []) as Record<string, unknown>[])[0] as Record<string, unknown>);
      return { ...deployment, template };
    };
    expect(() => deployedRules(changed((target) => (target.InputPath = '$.detail')), LOCAL)).toThrow(/GuardDutyFindingsRule.*InputPath/);
    expect(() => deployedRules(changed((target) => (target.Input = '{}')), LOCAL)).toThrow(/GuardDutyFindingsRule.*Input/);
    expect(() => deployedRules(changed((target) => (target.InputTransformer = { InputTemplate: '"x"' })), LOCAL)).toThrow(/GuardDutyFindingsRule.*InputTransformer/);
    expect(() => deployedRules(changed((target) => delete target.DeadLetterConfig), LOCAL)).toThrow(/GuardDutyFindingsRule.*dead-letter/);
    expect(() => deployedRules(deployment, LOCAL)).not.toThrow();
  });

  const rules: DeployedRule[] = [
    { name: 'Findings', logicalId: 'Findings1', bus: 'default', pattern: { source: ['aws.guardduty'], detail: { severity: [{ numeric: ['>=', 4] }] } } },
    { name: 'GameDay', logicalId: 'GameDay1', bus: 'firebreak-gameday', pattern: { source: ['firebreak.gameday'] } },
  ];

  it('puts aws.* events on the default bus and others where a rule expects their source', () => {
    expect(busFor({ source: 'aws.guardduty' }, rules)).toBe('default');
    expect(busFor({ source: 'firebreak.gameday' }, rules)).toBe('firebreak-gameday');
    expect(busFor({ source: 'acme.forwarder' }, rules)).toBe('default');
    expect(busFor('not an event', rules)).toBe('default');
  });

  it('delivers through every matching rule of the bus, and says why each other rule refused', () => {
    expect(routeEvent({ source: 'aws.guardduty', detail: { severity: 8 } }, 'default', rules)).toEqual({ bus: 'default', matched: ['Findings'], refused: [] });
    expect(routeEvent({ source: 'aws.guardduty', detail: { severity: 2 } }, 'default', rules)).toEqual({
      bus: 'default',
      matched: [],
      refused: [{ rule: 'Findings', reason: 'detail.severity: 2 does not match [{"numeric":[">=",4]}]' }],
    });
    // A game-day event put on the default bus reaches no rule once the game-day rule has a bus of its own.
    expect(routeEvent({ source: 'firebreak.gameday' }, 'default', rules).matched).toEqual([]);
  });

  it('resolves CloudFormation intrinsics', () => {
    const lookup = (id: string, attribute: string) => `${id}.${attribute}`;
    expect(resolveIntrinsics({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x']] }, lookup)).toBe('arn:AWS::Partition.Ref:x');
    expect(resolveIntrinsics({ 'Fn::Sub': 'arn:${AWS::Partition}:sns:${Topic.Name}' }, lookup)).toBe('arn:AWS::Partition.Ref:sns:Topic.Name');
    expect(resolveIntrinsics({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, lookup)).toBe('b');
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, lookup)).toThrow(/cannot resolve Fn::ImportValue/);
  });
});
