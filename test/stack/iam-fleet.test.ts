/**
 * The fleet options' IAM (issue 11), from the synthesized templates: the quarantine and release
 * responder roles and the member role get the Auto Scaling and Elastic Load Balancing actions only
 * when a playbook turns the options on, each on the narrowest resources its API allows, and the
 * stacks stay cdk-nag clean with every wildcard acknowledged for its reason.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { memberAccountActionsByResponder, MemberRoleStack, memberRoleIamActions, memberRoleResponders } from '../../lib/stack/member-role-stack';
import type { Statement } from './support';
import { action, actionsOf, ALARM, COMPROMISED, DEFAULT_ALERT, logicalIdOf, playbook, statementsOfRole, synthesize, TRUST_CONTEXT } from './support';

const FLEET_CONTAIN = playbook(
  'fleet-contain',
  [
    {
      kind: 'parallel',
      id: 'respond',
      branches: [action('contain', 'quarantine-instance', { autoScaling: 'detach', deregisterFromLoadBalancers: true }), action('evidence', 'snapshot-volumes')],
    },
    action('alert', 'notify'),
  ],
  { findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 }, resourceKinds: ['ec2-instance'] },
);
const FLEET_RELEASE = playbook('fleet-release', [action('release', 'release-instance', { restoreAutoScaling: true, restoreLoadBalancers: true }), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0);

const isFleet = (a: string) => a.startsWith('autoscaling:') || a.startsWith('elasticloadbalancing:');

function statementsOf(template: Template, responder: 'QuarantineInstance' | 'ReleaseInstance'): Statement[] {
  return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`));
}

function bySid(statements: Statement[], sid: string): Statement | undefined {
  return statements.find((s) => s.Sid === sid);
}

const regionalArn = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:*:`, { Ref: 'AWS::AccountId' }, `:${resource}`]] });

describe('fleet IAM in the security-account responder roles', () => {
  it('grants no Auto Scaling or ELB action when no playbook turns the options on', () => {
    const { template } = synthesize();
    const fleet = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      ((p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement).flatMap(actionsOf).filter(isFleet),
    );
    expect(fleet).toEqual([]);
  });

  it('scopes the quarantine role: Describe* on *, the group changes on Auto Scaling group ARNs, deregistration on target groups and classic load balancers', () => {
    const { template } = synthesize({ playbooks: [FLEET_CONTAIN, FLEET_RELEASE, DEFAULT_ALERT] });
    const statements = statementsOf(template, 'QuarantineInstance');
    expect(bySid(statements, 'DescribeAutoScalingAndLoadBalancers')).toMatchObject({
      Effect: 'Allow',
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLifecycleHooks',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      Resource: '*',
    });
    expect(bySid(statements, 'TakeInstancesOutOfAutoScalingGroups')).toEqual({
      Sid: 'TakeInstancesOutOfAutoScalingGroups',
      Effect: 'Allow',
      Action: ['autoscaling:SetInstanceProtection', 'autoscaling:DetachInstances'],
      Resource: regionalArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    });
    // ATTACK (pending-wait): an instance a launch hook holds in Pending:Wait cannot leave; its wait is
    // extended instead, on the same resources as the group changes, in a statement of its own.
    expect(bySid(statements, 'KeepPendingInstancesInWait')).toEqual({
      Sid: 'KeepPendingInstancesInWait',
      Effect: 'Allow',
      Action: 'autoscaling:RecordLifecycleActionHeartbeat',
      Resource: regionalArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    });
    expect(bySid(statements, 'DeregisterFromTargetGroups')).toMatchObject({ Action: 'elasticloadbalancing:DeregisterTargets', Resource: regionalArn('elasticloadbalancing', 'targetgroup/*/*') });
    expect(bySid(statements, 'DeregisterFromClassicLoadBalancers')).toMatchObject({
      Action: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      Resource: regionalArn('elasticloadbalancing', 'loadbalancer/*'),
    });
    // Standby is not what this playbook does: not granted.
    expect(statements.flatMap(actionsOf)).not.toContain('autoscaling:EnterStandby');
  });

  it('scopes the release role to putting the instance back: attach or exit standby, registration, never detach or deregister', () => {
    const { template } = synthesize({ playbooks: [FLEET_CONTAIN, FLEET_RELEASE, DEFAULT_ALERT] });
    const actions = statementsOf(template, 'ReleaseInstance').flatMap(actionsOf).filter(isFleet);
    expect(actions).toEqual(expect.arrayContaining(['autoscaling:AttachInstances', 'autoscaling:ExitStandby', 'autoscaling:SetInstanceProtection', 'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:RegisterInstancesWithLoadBalancer']));
    expect(actions).not.toContain('autoscaling:DetachInstances');
    expect(actions).not.toContain('elasticloadbalancing:DeregisterTargets');
  });

  it('lets the release role read a recorded Classic Load Balancer before registering with it (row 3l): DescribeLoadBalancers on * only, beside the group reads', () => {
    const { template } = synthesize({ playbooks: [FLEET_CONTAIN, FLEET_RELEASE, DEFAULT_ALERT] });
    const statements = statementsOf(template, 'ReleaseInstance');
    expect(bySid(statements, 'DescribeAutoScalingAndLoadBalancers')).toEqual({
      Sid: 'DescribeAutoScalingAndLoadBalancers',
      Effect: 'Allow',
      Action: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLifecycleHooks', 'elasticloadbalancing:DescribeLoadBalancers'],
      Resource: '*',
    });
    // Registration stays on the registration resources, never on *.
    expect(bySid(statements, 'DeregisterFromClassicLoadBalancers')).toMatchObject({
      Action: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      Resource: regionalArn('elasticloadbalancing', 'loadbalancer/*'),
    });
    // With only restoreLoadBalancers on, the read comes with it.
    const lbOnly = playbook('lb-release', [action('release', 'release-instance', { restoreLoadBalancers: true }), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0);
    const alone = statementsOf(synthesize({ playbooks: [FLEET_CONTAIN, lbOnly, DEFAULT_ALERT] }).template, 'ReleaseInstance');
    expect(bySid(alone, 'DescribeAutoScalingAndLoadBalancers')).toMatchObject({ Action: 'elasticloadbalancing:DescribeLoadBalancers', Resource: '*' });
  });
});

describe('fleet IAM in the member role', () => {
  it('collects the fleet actions of the deployed playbooks and scopes them by the same rules', () => {
    const iamActions = memberRoleIamActions([FLEET_CONTAIN, FLEET_RELEASE]);
    expect(iamActions).toEqual(expect.arrayContaining(['autoscaling:DetachInstances', 'autoscaling:AttachInstances', 'elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets']));
    expect(memberRoleResponders([FLEET_CONTAIN, FLEET_RELEASE])).toEqual(expect.arrayContaining(['quarantine-instance', 'release-instance']));
    const app = new App();
    const stack = new MemberRoleStack(app, 'FirebreakMemberRole', { responderActions: memberAccountActionsByResponder([FLEET_CONTAIN, FLEET_RELEASE]) });
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] } }> };
    // Each responder's own role: quarantine takes instances out, release puts them back.
    const statementsOf = (responder: string) => template.Resources[stack.getLogicalId(stack.roles.get(responder)!.node.defaultChild as CfnElement)]!.Properties.Policies[0]!.PolicyDocument.Statement;
    expect(bySid(statementsOf('quarantine-instance'), 'TakeInstancesOutOfAutoScalingGroups')).toEqual({
      Sid: 'TakeInstancesOutOfAutoScalingGroups',
      Effect: 'Allow',
      Action: ['autoscaling:SetInstanceProtection', 'autoscaling:DetachInstances'],
      Resource: regionalArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    });
    expect(bySid(statementsOf('quarantine-instance'), 'KeepPendingInstancesInWait')).toEqual({
      Sid: 'KeepPendingInstancesInWait',
      Effect: 'Allow',
      Action: 'autoscaling:RecordLifecycleActionHeartbeat',
      Resource: regionalArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    });
    expect(bySid(statementsOf('release-instance'), 'TakeInstancesOutOfAutoScalingGroups')?.Action).toEqual(expect.arrayContaining(['autoscaling:AttachInstances']));
    // Release extends no wait: it never holds the heartbeat.
    expect(statementsOf('release-instance').flatMap(actionsOf)).not.toContain('autoscaling:RecordLifecycleActionHeartbeat');
    expect(bySid(statementsOf('quarantine-instance'), 'DeregisterFromTargetGroups')?.Resource).toEqual(regionalArn('elasticloadbalancing', 'targetgroup/*/*'));
  });
});

describe('cdk-nag with the fleet options on', () => {
  it('synthesizes with zero unacknowledged findings', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'firebreak-nag-fleet-'));
    const { app } = await buildFirebreakApp({
      playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT, FLEET_CONTAIN, FLEET_RELEASE],
      context: { ...SKIP_BUNDLING_CONTEXT, ...TRUST_CONTEXT },
      cfnValidation: false,
      outdir,
    });
    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    expect(report.pluginReports.filter((p) => p.pluginName === 'AwsSolutions').flatMap((p) => p.violations)).toEqual([]);
    expect(error).toBeUndefined();
  }, 120_000);
});
