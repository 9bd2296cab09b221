/**
 * Every action Firebreak grants on Resource "*", across every template the app synthesizes (the
 * Firebreak stack, the member-role stack, the forensic-role stack), against a literal allow-list
 * per role kind; and the whole statement list of each kind of state-machine role.
 *
 * Why a test and not cdk-nag: cdk-nag's AwsSolutions-IAM5 finding for "*" is
 * `AwsSolutions-IAM5[Resource::*]`, one finding id per role whatever the actions. Every responder
 * and state-machine role already holds a justified "*" statement (X-Ray, and for state machines the
 * logs-delivery actions), so its acknowledgement also covers any action added on "*" later: cdk-nag
 * and the IAM-catalog check (which objects to "*" only for actions that have resource types) both
 * let `s3:PutAccountPublicAccessBlock` on "*" through. This file is what stops it.
 *
 * The actions on the list have no resource type in the Service Authorization Reference, so "*" is
 * the only resource they can have: EC2, Auto Scaling and ELB Describe*, Route 53 Resolver List*,
 * states:SendTask* (task tokens are not resources), X-Ray, and the CloudWatch Logs delivery actions
 * Step Functions needs for logging (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy).
 * Deny statements on "*" narrow, so they are not collected.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync, loadPlaybookFile } from '../../lib/playbooks/loader';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import type { Statement } from './support';
import { DEFAULT_ALERT, logicalIdOf, statementsOfRole, synthesize } from './support';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const XRAY_FROM_LAMBDA = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const STATE_MACHINE_LOGS_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
const STATE_MACHINE_XRAY = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];
const INSTANCE_READS = ['ec2:DescribeAddresses', 'ec2:DescribeIamInstanceProfileAssociations', 'ec2:DescribeInstances', 'ec2:DescribeSecurityGroups'];
const GROUP_READS = ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLifecycleHooks'];
const CLASSIC_LOAD_BALANCER_READ = 'elasticloadbalancing:DescribeLoadBalancers';
const LOAD_BALANCER_READS = [CLASSIC_LOAD_BALANCER_READ, 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'];
const SNAPSHOT_READS = ['ec2:DescribeInstanceTypes', 'ec2:DescribeInstances', 'ec2:DescribeLockedSnapshots', 'ec2:DescribeSnapshots'];
const BLOCK_DNS_READS = ['ec2:DescribeInstances', 'route53resolver:ListFirewallDomainLists', 'route53resolver:ListFirewallRuleGroupAssociations', 'route53resolver:ListFirewallRuleGroups'];
const UNBLOCK_DNS_READS = ['ec2:DescribeInstances', 'route53resolver:ListFirewallDomainLists', 'route53resolver:ListFirewallRuleGroups'];
// The regions enabled for the account, where the instances holding a role are looked for before its sessions are denied (row 2z): no resource type.
const HOLDER_REGIONS = 'ec2:DescribeRegions';

/**
 * The allow-list: every role kind that holds an Allow on "*", and exactly which actions. A role kind
 * missing here holds none; a new kind or a new action fails the test until it is added, on purpose.
 */
const ALLOWED_ON_ANY_RESOURCE: Record<string, readonly string[]> = {
  'dispatcher state machine': [...STATE_MACHINE_LOGS_DELIVERY, ...STATE_MACHINE_XRAY],
  'playbook state machine': [...STATE_MACHINE_LOGS_DELIVERY, ...STATE_MACHINE_XRAY],
  'approvals function': ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess', ...XRAY_FROM_LAMBDA],
  // The emergency pause: its one state-table key and the operations topic are named; only traces on "*".
  'emergency-pause function': XRAY_FROM_LAMBDA,
  'responder triage': XRAY_FROM_LAMBDA,
  'responder publish-alert': ['states:SendTaskHeartbeat', ...XRAY_FROM_LAMBDA],
  'responder containment-guard': ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroups', ...XRAY_FROM_LAMBDA],
  'responder quarantine-instance': [...INSTANCE_READS, HOLDER_REGIONS, ...GROUP_READS, ...LOAD_BALANCER_READS, ...XRAY_FROM_LAMBDA],
  // Release reads a recorded Classic Load Balancer before it registers the instance again (row 3l): known by name alone.
  'responder release-instance': [...INSTANCE_READS, ...GROUP_READS, CLASSIC_LOAD_BALANCER_READ, ...XRAY_FROM_LAMBDA],
  'responder snapshot-volumes': [...SNAPSHOT_READS, ...XRAY_FROM_LAMBDA],
  'responder copy-evidence': ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', ...XRAY_FROM_LAMBDA],
  'responder block-dns-domain': [...BLOCK_DNS_READS, ...XRAY_FROM_LAMBDA],
  'responder unblock-dns-domains': [...UNBLOCK_DNS_READS, ...XRAY_FROM_LAMBDA],
  'responder disable-access-key': XRAY_FROM_LAMBDA,
  // Which instances hold the role's instance profiles, a protected one keeping its sessions (row 2x): no resource type.
  'responder revoke-role-sessions': ['ec2:DescribeInstances', HOLDER_REGIONS, ...XRAY_FROM_LAMBDA],
  'responder release-credentials': XRAY_FROM_LAMBDA,
  'responder quarantine-s3-object': XRAY_FROM_LAMBDA,
  'responder release-s3-object': XRAY_FROM_LAMBDA,
  'responder update-security-hub-finding': XRAY_FROM_LAMBDA,
  // Every rule's second target: states:StartExecution of the dispatcher only, traces on "*".
  // Neither GuardDuty read has a resource type: the intake confirms an oversized finding with GuardDuty's copy.
  'responder oversized-event': ['guardduty:GetFindings', 'guardduty:ListDetectors', ...XRAY_FROM_LAMBDA],
  'member role containment-guard': ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroups'],
  'member role quarantine-instance': [...INSTANCE_READS, HOLDER_REGIONS, ...GROUP_READS, ...LOAD_BALANCER_READS],
  'member role release-instance': [...INSTANCE_READS, ...GROUP_READS, CLASSIC_LOAD_BALANCER_READ],
  'member role snapshot-volumes': SNAPSHOT_READS,
  'member role copy-evidence': ['ec2:DescribeInstances', 'ec2:DescribeSnapshots'],
  'member role revoke-role-sessions': ['ec2:DescribeInstances', HOLDER_REGIONS],
  'member role block-dns-domain': BLOCK_DNS_READS,
  'member role unblock-dns-domains': UNBLOCK_DNS_READS,
  'forensic role': ['ec2:DescribeSnapshots'],
};

const kebab = (pascal: string) => pascal.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();

/** The kind of a role (or of an unattached managed policy) from its logical id, CDK's hash left off. */
function roleKind(logicalId: string): string {
  const id = logicalId.replace(/[0-9A-F]{8}$/, '');
  const patterns: [RegExp, (match: RegExpMatchArray) => string][] = [
    [/^DispatcherStateMachineRole$/, () => 'dispatcher state machine'],
    [/^Playbook\w+StateMachineRole$/, () => 'playbook state machine'],
    [/^ApprovalsFunctionRole$/, () => 'approvals function'],
    [/^EmergencyPauseFunctionRole$/, () => 'emergency-pause function'],
    [/^Responder(\w+)Role$/, (m) => `responder ${kebab(m[1]!)}`],
    [/^MemberRole(\w+)$/, (m) => `member role ${kebab(m[1]!)}`],
    [/^SessionRevokerRole(\w+)$/, () => 'session revoker role'],
    [/^ForensicRole$/, () => 'forensic role'],
  ];
  for (const [pattern, kind] of patterns) {
    const match = id.match(pattern);
    if (match) return kind(match);
  }
  return id;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Every (role kind, action) an Allow statement grants on "*", from identity policies: the roles'
 * own (AWS::IAM::Policy), their inline policies (member and forensic roles) and managed policies.
 * A NotResource or NotAction Allow is reported as such (it is broader still).
 */
function grantsOnAnyResource(templates: readonly { Resources: Resources }[]): Record<string, string[]> {
  const found = new Map<string, Set<string>>();
  const collect = (kinds: readonly string[], document: unknown) => {
    for (const statement of list((document as { Statement?: unknown }).Statement) as Record<string, unknown>[]) {
      if (statement.Effect !== 'Allow') continue;
      const broad = statement.NotResource !== undefined ? ' (NotResource)' : list(statement.Resource).includes('*') ? '' : undefined;
      if (broad === undefined) continue;
      const actions = statement.NotAction !== undefined ? list(statement.NotAction).map((a) => `NotAction ${String(a)}`) : list(statement.Action).map(String);
      for (const kind of kinds) for (const action of actions) found.set(kind, (found.get(kind) ?? new Set()).add(`${action}${broad}`));
    }
  };
  for (const { Resources } of templates) {
    for (const [id, resource] of Object.entries(Resources)) {
      const properties = resource.Properties ?? {};
      if (resource.Type === 'AWS::IAM::Role') {
        for (const policy of list(properties.Policies) as { PolicyDocument: unknown }[]) collect([roleKind(id)], policy.PolicyDocument);
      } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
        const roles = list(properties.Roles).map((role) => roleKind(String((role as { Ref?: unknown }).Ref)));
        collect(roles.length > 0 ? roles : [roleKind(id)], properties.PolicyDocument);
      }
    }
  }
  return Object.fromEntries([...found].map(([kind, actions]) => [kind, [...actions].sort()]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

/** Each (kind, action) found that the allow-list does not hold, as `kind: action`. */
function beyondAllowList(found: Record<string, string[]>): string[] {
  return Object.entries(found).flatMap(([kind, actions]) => actions.filter((action) => !(ALLOWED_ON_ANY_RESOURCE[kind] ?? []).includes(action)).map((action) => `${kind}: ${action}`));
}

/**
 * The widest deployment: every shipped playbook, with the forensic copy (copy-evidence) and the
 * Security Hub write-back (update-security-hub-finding) the game day deploys in place of two of
 * them, and every setting that adds a role or a policy.
 */
async function widestApp(mutate?: (stack: Stack) => void) {
  const replaced = ['compromised-ec2-instance', 'release-instance'];
  const playbooks = [
    ...loadPlaybookDirectorySync('playbooks').filter((playbook) => !replaced.includes(playbook.name)),
    await loadPlaybookFile('playbooks/scenarios/forensic/compromised-ec2-instance.yaml'),
    await loadPlaybookFile('playbooks/scenarios/security-hub/release-instance.yaml'),
  ];
  const context = {
    ...SKIP_BUNDLING_CONTEXT,
    memberRoleName: 'FirebreakResponder',
    organizationId: 'o-a1b2c3d4e5',
    memberRoleExternalId: 'firebreak-org-7f3a',
    securityRegions: ['eu-west-1', 'us-east-1'],
    gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'],
    servedAccountIds: ['222233334444'],
    alertEmails: ['oncall@example.com'],
    alertSubscriberArns: ['arn:aws:iam::123456789012:role/ChatOps'],
    keyAdminArns: ['arn:aws:iam::123456789012:role/KeyCustodian'],
    protectedTagKey: 'firebreak:protected',
    forensicAccountId: '444455556666',
    forensicKmsKeyArn: 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  };
  const built = await buildFirebreakApp({ playbooks, context, nag: false, cfnValidation: false });
  mutate?.(built.stack);
  const assembly = built.app.synth();
  const stacks = [built.stack, built.memberRole, built.forensicRole];
  if (stacks.some((stack) => stack === undefined)) throw new Error('expected the Firebreak, member-role and forensic-role stacks');
  return stacks.map((stack) => assembly.getStackArtifact(stack!.artifactId).template as { Resources: Resources });
}

describe('actions granted on Resource "*"', () => {
  it('are exactly the allow-list, per role kind, across the Firebreak, member-role and forensic-role templates', async () => {
    const found = grantsOnAnyResource(await widestApp());
    expect(beyondAllowList(found)).toEqual([]);
    // Both ways: every kind on the list is still synthesized with every action it lists, so the
    // list cannot go stale into allowing what no role holds any more.
    expect(found).toEqual(Object.fromEntries(Object.entries(ALLOWED_ON_ANY_RESOURCE).map(([kind, actions]) => [kind, [...actions].sort()]).sort(([a], [b]) => String(a).localeCompare(String(b)))));
  }, 60_000);

  it('catch a new action on "*" in a role whose "*" acknowledgement cdk-nag already holds (a state machine, a responder)', async () => {
    const injected = ['s3:PutAccountPublicAccessBlock', 'iam:DeleteAccountPasswordPolicy'];
    const found = grantsOnAnyResource(
      await widestApp((stack) => {
        const roles = stack.node.findAll().filter((c): c is iam.Role => c instanceof iam.Role);
        for (const path of ['Playbooks/PlaybookDefaultAlert/StateMachine/Role', 'Responders/ResponderSnapshotVolumes/Role']) {
          const role = roles.find((r) => r.node.path.endsWith(path));
          if (!role) throw new Error(`no role at ${path}: ${roles.map((r) => r.node.path).join(', ')}`);
          role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: injected, resources: ['*'] }));
        }
      }),
    );
    expect(beyondAllowList(found).sort()).toEqual([
      'playbook state machine: iam:DeleteAccountPasswordPolicy',
      'playbook state machine: s3:PutAccountPublicAccessBlock',
      'responder snapshot-volumes: iam:DeleteAccountPasswordPolicy',
      'responder snapshot-volumes: s3:PutAccountPublicAccessBlock',
    ]);
  }, 60_000);

  it('report a NotResource or NotAction Allow as broader than any allowed action', () => {
    const template = {
      Resources: {
        ResponderTriageRole070E9002: { Type: 'AWS::IAM::Role', Properties: {} },
        ResponderTriageRoleDefaultPolicy8588FABB: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'ResponderTriageRole070E9002' }],
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
                { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::firebreak-evidence/*' },
                { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
                { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' },
              ],
            },
          },
        },
      },
    };
    expect(beyondAllowList(grantsOnAnyResource([template]))).toEqual(['responder triage: NotAction iam:*', 'responder triage: s3:GetObject (NotResource)']);
  });
});

describe('state-machine roles, statement by statement', () => {
  const shipped = loadPlaybookDirectorySync('playbooks');
  const sequence = shipped.filter((playbook) => playbook.name.startsWith('attack-sequence-ec2'));
  const { template } = synthesize({ playbooks: [...sequence, DEFAULT_ALERT] });
  const logsDelivery: Statement = { Action: STATE_MACHINE_LOGS_DELIVERY, Effect: 'Allow', Resource: '*' };
  const xray: Statement = { Action: STATE_MACHINE_XRAY, Effect: 'Allow', Resource: '*' };
  const fn = (prefix: string) => ({ 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', prefix), 'Arn'] });
  const machine = (prefix: string) => ({ Ref: logicalIdOf(template, 'AWS::StepFunctions::StateMachine', prefix) });
  const roleStatements = (prefix: string) => statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', prefix));
  const inThisAccount = (rest: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest[0], { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...rest.slice(1)]] });

  it('the dispatcher: logs delivery and X-Ray on "*", then triage and alerts, the automatic playbooks, the kept-events queue and incident# items', () => {
    expect(roleStatements('DispatcherStateMachineRole')).toEqual([
      logsDelivery,
      xray,
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [fn('ResponderTriageFunction'), fn('ResponderPublishAlertFunction')], Sid: 'InvokeResponders' },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: [machine('PlaybookAttackSequenceEc2StateMachine'), machine('PlaybookDefaultAlertStateMachine')], Sid: 'StartPlaybooks' },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', 'UnprocessableEventsQueue'), 'Arn'] }, Sid: 'KeepUnprocessableEvents' },
      {
        Action: 'dynamodb:UpdateItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::DynamoDB::Table', 'StateTable'), 'Arn'] },
        Sid: 'RecordTriage',
      },
    ]);
  });

  it('a plain playbook (default-alert): logs delivery and X-Ray on "*", and its own responders only', () => {
    expect(roleStatements('PlaybookDefaultAlertStateMachineRole')).toEqual([
      logsDelivery,
      xray,
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: fn('ResponderPublishAlertFunction'), Sid: 'InvokeResponders' },
    ]);
  });

  it('a sequence parent (attack-sequence-ec2): besides those, only its per-instance playbook, its executions and the .sync rule', () => {
    const child = machine('PlaybookAttackSequenceEc2InstanceStateMachine');
    expect(roleStatements('PlaybookAttackSequenceEc2StateMachineRole')).toEqual([
      logsDelivery,
      xray,
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: fn('ResponderPublishAlertFunction'), Sid: 'InvokeResponders' },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: child, Sid: 'StartPerInstancePlaybooks' },
      {
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Effect: 'Allow',
        Resource: inThisAccount([':states:', ':execution:', { 'Fn::Select': [6, { 'Fn::Split': [':', child] }] }, ':*']),
        Sid: 'FollowPerInstanceExecutions',
      },
      {
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Effect: 'Allow',
        Resource: inThisAccount([':events:', ':rule/StepFunctionsGetEventsForStepFunctionsExecutionRule']),
        Sid: 'PerInstanceCompletionEvents',
      },
    ]);
  });

  it('a per-instance playbook (attack-sequence-ec2-instance): logs delivery and X-Ray on "*", and its own responders only', () => {
    expect(roleStatements('PlaybookAttackSequenceEc2InstanceStateMachineRole')).toEqual([
      logsDelivery,
      xray,
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [fn('ResponderContainmentGuardFunction'), fn('ResponderPublishAlertFunction'), fn('ResponderQuarantineInstanceFunction'), fn('ResponderSnapshotVolumesFunction')],
        Sid: 'InvokeResponders',
      },
    ]);
  });
});
