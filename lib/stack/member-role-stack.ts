/**
 * The member-role stack: deployed into every member account of the organization (with `cdk deploy`
 * or as a CloudFormation StackSet), it creates the one role through which Firebreak's responders in
 * the security account act on EC2 there. The template is self-contained on purpose: no assets, no
 * lookups, no account baked in at synth time, and no bootstrap-version rule, so that StackSets can
 * deploy the same template to accounts that were never CDK-bootstrapped.
 *
 * The role grants exactly the IAM actions of the deployed playbooks' steps that run in the member
 * account (EC2 and IAM; SNS, Step Functions and DynamoDB stay in the security account), each scoped
 * as narrowly as its API allows. See docs/organization.md for the topology and the blast radius.
 */
import {
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Duration,
  Stack,
  Token,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DEFAULT_MEMBER_ROLE_NAME, MANAGED_SECURITY_GROUP_TAG } from '../aws/member-accounts';
import { iamActionsForStep } from '../playbooks/actions';
import { flattenSteps } from '../playbooks/model';
import type { Playbook } from '../playbooks/model';

/** Responder roles in the security account are named with this prefix (see `responderRoleName`). */
export const DEFAULT_RESPONDER_ROLE_NAME_PREFIX = 'firebreak-responder-';

/** Services whose calls responders make in the finding's account (see `ClientFactory.ec2` / `.iam`). */
const MEMBER_ACCOUNT_SERVICES = ['ec2', 'iam'] as const;

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** sts:ExternalId: 2-1224 characters of `[\w+=,.@:/-]` (STS AssumeRole API reference). */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export interface MemberRoleStackProps extends StackProps {
  /**
   * The IAM actions the deployed playbooks need in a member account; compute them with
   * `memberRoleIamActions(playbooks)`. Only `ec2:` and `iam:` actions are accepted, and each must
   * have a scoping rule below: an unknown action fails the synth rather than being granted on `*`.
   */
  readonly iamActions: readonly string[];
  /**
   * The security account (where Firebreak runs). When omitted the template takes it as the
   * `SecurityAccountId` parameter, which is how a StackSet passes it.
   * @default a CfnParameter `SecurityAccountId`
   */
  readonly securityAccountId?: string;
  /**
   * Name of the member role; responders are configured with the same name (`FIREBREAK_MEMBER_ROLE_NAME`).
   * @default 'FirebreakResponder'
   */
  readonly roleName?: string;
  /**
   * Only security-account roles whose name starts with this prefix may assume the member role.
   * Conflicts with `responderRoleNames`.
   * @default 'firebreak-responder-'
   */
  readonly responderRoleNamePrefix?: string;
  /**
   * Exact names of the security-account responder roles allowed to assume the member role
   * (narrower than a prefix, but must be kept in step with the Firebreak stack). Conflicts with
   * `responderRoleNamePrefix`.
   * @default none: the prefix is used
   */
  readonly responderRoleNames?: readonly string[];
  /**
   * Required as `sts:ExternalId` in the trust policy; responders send it
   * (`FIREBREAK_MEMBER_ROLE_EXTERNAL_ID`). Not a secret: a second, deploy-time agreed value.
   * @default none
   */
  readonly externalId?: string;
}

/** Where the member role's statements point: ARN builders for this (member) account. */
interface MemberArns {
  /** Any resource of `resourceType` in this account, any region. */
  readonly ec2: (resourceType: string) => string;
  /** EC2 snapshot ARNs have an empty account field: `arn:aws:ec2:<region>::snapshot/<id>`. */
  readonly snapshots: string;
  readonly iam: (resourceType: string) => string;
  /** The member role itself. */
  readonly memberRole: string;
}

/** A group of APIs that share resources and conditions, and why its resources are the narrowest possible. */
interface ActionScope {
  readonly sid: string;
  readonly effect?: iam.Effect;
  /** The requested actions this statement grants (empty: no statement). */
  readonly actions: (requested: ReadonlySet<string>) => string[];
  readonly resources: (arns: MemberArns, requested: ReadonlySet<string>) => string[];
  readonly conditions?: (requested: ReadonlySet<string>) => Record<string, Record<string, string | string[]>>;
  /** Why each wildcard resource is unavoidable: the cdk-nag acknowledgment reason. */
  readonly why: string;
}

const EC2_ACTION_REFERENCE =
  'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html';

/** `ec2:CreateTags` is allowed on what these actions create, only as part of creating it. */
const CREATION_TAGGING: ReadonlyArray<{ createAction: string; resourceType: 'security-group' | 'snapshot' }> = [
  { createAction: 'CreateSecurityGroup', resourceType: 'security-group' },
  { createAction: 'CreateSnapshots', resourceType: 'snapshot' },
  { createAction: 'CreateSnapshot', resourceType: 'snapshot' },
];

/** EC2 actions that need iam:PassRole on the role of the instance profile they associate. */
const NEEDS_PASS_ROLE = new Set(['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation']);

function requestedOf(...actions: string[]): (requested: ReadonlySet<string>) => string[] {
  return (requested) => actions.filter((action) => requested.has(action));
}

function creationTagging(requested: ReadonlySet<string>): typeof CREATION_TAGGING {
  return requested.has('ec2:CreateTags')
    ? CREATION_TAGGING.filter(({ createAction }) => requested.has(`ec2:${createAction}`))
    : [];
}

function oneOrMany(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}

/**
 * One scope per group of EC2/IAM APIs, in statement order. The resource types each API authorizes
 * on come from the EC2 Service Authorization Reference (EC2_ACTION_REFERENCE). Regions are `*`
 * because one role in the account serves Firebreak in every region; the account is always this one.
 */
const SCOPES: readonly ActionScope[] = [
  {
    sid: 'DescribeForTriageAndEvidence',
    actions: (requested) => [...requested].filter((action) => /^ec2:Describe[A-Za-z]+$/.test(action)).sort(),
    resources: () => ['*'],
    why: `EC2 Describe* actions do not support resource-level permissions: the EC2 Service Authorization Reference lists no resource type for them (${EC2_ACTION_REFERENCE}).`,
  },
  {
    sid: 'MoveNetworkInterfacesBetweenGroups',
    actions: requestedOf('ec2:ModifyNetworkInterfaceAttribute'),
    resources: (arns) => [arns.ec2('network-interface'), arns.ec2('security-group')],
    why: 'Containment moves every ENI of the instance a finding names (known only at run time) to the isolation groups, and release moves it back to its recorded groups; the API authorizes on the ENI and on each group.',
  },
  {
    sid: 'ContainInstances',
    actions: requestedOf(
      'ec2:ModifyInstanceAttribute',
      'ec2:DisassociateIamInstanceProfile',
      'ec2:AssociateIamInstanceProfile',
      'ec2:ReplaceIamInstanceProfileAssociation',
    ),
    resources: (arns) => [arns.ec2('instance')],
    why: 'The instance a finding names is known only at run time; these APIs authorize on the instance.',
  },
  {
    sid: 'CreateIsolationGroups',
    actions: requestedOf('ec2:CreateSecurityGroup'),
    resources: (arns) => [arns.ec2('security-group'), arns.ec2('vpc')],
    why: 'Isolation groups are created on first need in whatever VPC the contained instance lives in, with ids that cannot be known in advance.',
  },
  {
    sid: 'ChangeRulesOfFirebreakGroupsOnly',
    actions: requestedOf(
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:DeleteSecurityGroup',
    ),
    resources: (arns) => [arns.ec2('security-group')],
    // Only groups Firebreak created (tagged at creation, see TagResourcesAtCreation, which forbids
    // tagging existing groups) can have their rules changed: no application group can be opened.
    conditions: () => ({
      StringEquals: { [`aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value },
    }),
    why: `Isolation group ids are known only at run time; the aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key} condition limits the statement to the groups Firebreak created.`,
  },
  {
    sid: 'SnapshotVolumesForEvidence',
    actions: requestedOf('ec2:CreateSnapshots', 'ec2:CreateSnapshot'),
    resources: (arns, requested) => [
      ...(requested.has('ec2:CreateSnapshots') ? [arns.ec2('instance')] : []),
      arns.ec2('volume'),
      arns.snapshots,
    ],
    why: 'Evidence covers every volume of the instance a finding names; new snapshot ids cannot be known in advance and snapshot ARNs carry no account id.',
  },
  {
    sid: 'TagContainedInstances',
    actions: requestedOf('ec2:CreateTags', 'ec2:DeleteTags'),
    resources: (arns) => [arns.ec2('instance')],
    why: 'Contained instances are tagged with the incident key and status (release restores their tags); the instance is known only at run time.',
  },
  {
    sid: 'TagResourcesAtCreation',
    actions: (requested) => (creationTagging(requested).length > 0 ? ['ec2:CreateTags'] : []),
    resources: (arns, requested) => [
      ...new Set(
        creationTagging(requested).map(({ resourceType }) =>
          resourceType === 'snapshot' ? arns.snapshots : arns.ec2(resourceType),
        ),
      ),
    ],
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
    conditions: (requested) => ({
      StringEquals: { 'ec2:CreateAction': oneOrMany(creationTagging(requested).map(({ createAction }) => createAction)) },
    }),
    why: 'Creation-time tags (TagSpecifications) on the isolation groups and evidence snapshots Firebreak creates; ec2:CreateAction forbids tagging an existing group or snapshot.',
  },
  {
    sid: 'PassInstanceRolesBackToEc2',
    actions: requestedOf('iam:PassRole'),
    resources: (arns) => [arns.iam('role')],
    // AssociateIamInstanceProfile (release) needs iam:PassRole on the profile's role, which is only
    // known from the quarantine record: the service can be pinned, the role cannot.
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }),
    why: 'Release re-associates the instance profile recorded at quarantine time, whose role is known only then; iam:PassedToService limits the pass to EC2.',
  },
  {
    sid: 'ReadInstanceProfiles',
    actions: requestedOf('iam:GetInstanceProfile'),
    resources: (arns) => [arns.iam('instance-profile')],
    why: 'The instance profile of a contained instance is known only at run time.',
  },
  {
    sid: 'RevokeInstanceRoleSessions',
    actions: requestedOf('iam:PutRolePolicy', 'iam:DeleteRolePolicy'),
    resources: (arns) => [arns.iam('role')],
    why: 'Revoking sessions writes a deny-older-sessions inline policy on the role of the instance profile, known only at run time; IAM offers no condition key on policy content, so DenyChangesToThisRole stops the role from granting itself more.',
  },
  {
    // role/* above includes this very role: without the deny a session could write itself an admin policy.
    sid: 'DenyChangesToThisRole',
    effect: iam.Effect.DENY,
    actions: requestedOf('iam:PutRolePolicy', 'iam:DeleteRolePolicy'),
    resources: (arns) => [arns.memberRole],
    why: 'Not a finding: a Deny grants nothing.',
  },
];

/** The IAM actions the member role needs for `playbooks`: their steps' EC2 and IAM actions, sorted, without repeats. */
export function memberRoleIamActions(playbooks: readonly Playbook[]): string[] {
  const actions = new Set<string>();
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      for (const action of iamActionsForStep(step.action, step.with)) {
        if (MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`))) actions.add(action);
      }
    }
  }
  return [...actions].sort();
}

/** The name a security-account responder role must have to be trusted by member roles, e.g. `firebreak-responder-eu-west-1-quarantine-instance`. */
export function responderRoleName(
  responder: string,
  region: string,
  prefix: string = DEFAULT_RESPONDER_ROLE_NAME_PREFIX,
): string {
  const name = `${prefix}${region}-${responder}`;
  // IAM role names are global to the account, hence the region; they are at most 64 characters.
  if (!Token.isUnresolved(name) && !ROLE_NAME.test(name)) {
    throw new Error(`Responder role name '${name}' is not a valid IAM role name (at most 64 of [\\w+=,.@-])`);
  }
  return name;
}

export interface GrantAssumeMemberRoleOptions {
  /** The member role name, as deployed by `MemberRoleStack`. @default 'FirebreakResponder' */
  readonly memberRoleName?: string;
  /**
   * The organization id (`o-…`). When set, the grant is limited with `aws:ResourceOrgID` to member
   * roles in accounts of this organization, so a forged event naming an outside account cannot send
   * a responder there. @default none: any account's role of that name
   */
  readonly organizationId?: string;
}

/**
 * Lets a security-account responder role assume the member role in any member account (the
 * account is the finding's, known only at run time), and acknowledges that wildcard for cdk-nag.
 */
export function grantAssumeMemberRole(responderRole: iam.IRole, options: GrantAssumeMemberRoleOptions = {}): void {
  const memberRoleName = options.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!Token.isUnresolved(memberRoleName) && !ROLE_NAME.test(memberRoleName)) {
    throw new Error(`grantAssumeMemberRole: memberRoleName '${memberRoleName}' is not a valid IAM role name`);
  }
  if (options.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(options.organizationId)) {
    throw new Error(`grantAssumeMemberRole: organizationId must look like o-xxxxxxxxxx, got '${options.organizationId}'`);
  }
  const stack = Stack.of(responderRole);
  const resource = `arn:${stack.partition}:iam::*:role/${memberRoleName}`;
  responderRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeFirebreakMemberRole',
      actions: ['sts:AssumeRole'],
      resources: [resource],
      ...(options.organizationId !== undefined
        ? { conditions: { StringEquals: { 'aws:ResourceOrgID': options.organizationId } } }
        : {}),
    }),
  );
  Validations.of(responderRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(stack.resolve(resource))}]`,
    reason:
      'Responders act in the account of each finding, known only at run time; the grant names the one member role, whose trust policy admits only Firebreak responder roles.',
  });
}

/** The role that Firebreak's responders in the security account assume to act in this member account. */
export class MemberRoleStack extends Stack {
  /** The member role. */
  public readonly role: iam.Role;
  /** The security account id (a parameter reference when synthesized for StackSets). */
  public readonly securityAccountId: string;
  /** The permission statements granted, in order (for review and tests). */
  public readonly statements: readonly iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, {
      ...props,
      description:
        props.description ??
        'Firebreak member role: lets the security account responders contain EC2 instances in this account',
      // StackSet targets are not CDK-bootstrapped: no BootstrapVersion parameter or rule.
      synthesizer: props.synthesizer ?? new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const roleName = props.roleName ?? DEFAULT_MEMBER_ROLE_NAME;
    validateProps(props, roleName);

    this.securityAccountId =
      props.securityAccountId ??
      new CfnParameter(this, 'SecurityAccountId', {
        type: 'String',
        description: 'The Firebreak security account (the GuardDuty delegated administrator) whose responders may assume this role',
        allowedPattern: '^\\d{12}$',
        constraintDescription: 'a 12-digit AWS account id',
      }).valueAsString;

    const trustedRoleArns = (props.responderRoleNames ?? [
      `${props.responderRoleNamePrefix ?? DEFAULT_RESPONDER_ROLE_NAME_PREFIX}*`,
    ]).map((name) => `arn:${this.partition}:iam::${this.securityAccountId}:role/${name}`);

    // Trusting the account alone would let *any* principal in the security account that holds
    // sts:AssumeRole on `*` (an administrator, a CI role, another team's function) act as Firebreak
    // here. aws:PrincipalArn is the ARN of the calling role itself, never of a session name it can
    // choose, so it narrows the trust to Firebreak's responder roles; sts:ExternalId, when set,
    // is the AWS-recommended guard against a confused deputy being tricked into using its own
    // permissions on another party's behalf.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    const trustConditions: Record<string, Record<string, string | string[]>> = {
      ArnLike: { 'aws:PrincipalArn': trustedRoleArns.length === 1 ? trustedRoleArns[0]! : trustedRoleArns },
      ...(props.externalId !== undefined ? { StringEquals: { 'sts:ExternalId': props.externalId } } : {}),
    };

    const arns: MemberArns = {
      ec2: (resourceType) => `arn:${this.partition}:ec2:*:${this.account}:${resourceType}/*`,
      snapshots: `arn:${this.partition}:ec2:*::snapshot/*`,
      iam: (resourceType) => `arn:${this.partition}:iam::${this.account}:${resourceType}/*`,
      memberRole: `arn:${this.partition}:iam::${this.account}:role/${roleName}`,
    };
    const planned = planStatements(props.iamActions, arns);
    this.statements = planned.map((entry) => entry.statement);

    this.role = new iam.Role(this, 'MemberRole', {
      roleName,
      description: 'Assumed by Firebreak responders in the security account to contain EC2 instances and preserve evidence',
      assumedBy: new iam.AccountPrincipal(this.securityAccountId).withConditions(trustConditions),
      // Responders need seconds; role chaining caps sessions at one hour anyway.
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { FirebreakResponse: new iam.PolicyDocument({ statements: [...this.statements] }) },
    });

    acknowledgeUnavoidableWildcards(this.role, planned);

    new CfnOutput(this, 'MemberRoleArn', {
      value: this.role.roleArn,
      description: 'The role Firebreak responders assume in this account',
    });
  }
}

function validateProps(props: MemberRoleStackProps, roleName: string): void {
  if (props.responderRoleNamePrefix !== undefined && props.responderRoleNames !== undefined) {
    throw new Error('MemberRoleStack: responderRoleNamePrefix and responderRoleNames conflict; set one of them');
  }
  if (!Token.isUnresolved(roleName) && !ROLE_NAME.test(roleName)) {
    throw new Error(`MemberRoleStack: roleName '${roleName}' is not a valid IAM role name`);
  }
  if (
    props.securityAccountId !== undefined &&
    !Token.isUnresolved(props.securityAccountId) &&
    !ACCOUNT_ID.test(props.securityAccountId)
  ) {
    throw new Error(`MemberRoleStack: securityAccountId must be a 12-digit account id, got '${props.securityAccountId}'`);
  }
  if (props.externalId !== undefined && !EXTERNAL_ID.test(props.externalId)) {
    throw new Error('MemberRoleStack: externalId must be 2-1224 characters of [\\w+=,.@:/-]');
  }
  if (props.responderRoleNamePrefix !== undefined && !/^[\w+=,.@/-]+$/.test(props.responderRoleNamePrefix)) {
    throw new Error('MemberRoleStack: responderRoleNamePrefix must be a non-empty IAM role name prefix (no wildcard)');
  }
  if (props.responderRoleNames?.length === 0) {
    throw new Error('MemberRoleStack: responderRoleNames must name at least one role');
  }
  if (props.iamActions.length === 0) {
    throw new Error('MemberRoleStack: iamActions is empty; compute it with memberRoleIamActions(playbooks)');
  }
}

interface PlannedStatement {
  readonly statement: iam.PolicyStatement;
  /** The resources of an Allow statement, with why they cannot be narrower. */
  readonly wildcards: ReadonlyArray<{ resource: string; why: string }>;
}

/** Groups `iamActions` into scoped statements; refuses any action it has no scoping rule for. */
function planStatements(iamActions: readonly string[], arns: MemberArns): PlannedStatement[] {
  const requested = new Set(iamActions);
  for (const action of requested) {
    if (action.includes('*')) {
      throw new Error(`MemberRoleStack: '${action}' is a wildcard action; list the exact actions the playbooks need`);
    }
    if (!MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`))) {
      throw new Error(
        `MemberRoleStack: '${action}' is not an EC2 or IAM action; responders call it in the security account, not through the member role`,
      );
    }
  }
  if ([...requested].some((action) => NEEDS_PASS_ROLE.has(action))) requested.add('iam:PassRole');

  const granted = new Set<string>();
  const planned: PlannedStatement[] = [];
  for (const scope of SCOPES) {
    const actions = scope.actions(requested);
    if (actions.length === 0) continue;
    const effect = scope.effect ?? iam.Effect.ALLOW;
    if (effect === iam.Effect.ALLOW) actions.forEach((action) => granted.add(action));
    const resources = scope.resources(arns, requested);
    planned.push({
      statement: new iam.PolicyStatement({
        sid: scope.sid,
        effect,
        actions,
        resources,
        ...(scope.conditions ? { conditions: scope.conditions(requested) } : {}),
      }),
      wildcards: effect === iam.Effect.ALLOW ? resources.map((resource) => ({ resource, why: scope.why })) : [],
    });
  }
  const ungranted = [...requested].filter((action) => !granted.has(action)).sort();
  if (ungranted.length > 0) {
    throw new Error(
      `MemberRoleStack: no scoping rule for ${ungranted.join(', ')}; add one to SCOPES in lib/stack/member-role-stack.ts rather than granting it on '*'`,
    );
  }
  return planned;
}

/**
 * cdk-nag's AwsSolutions-IAM5 reports every wildcard resource. Each one here is the narrowest the
 * API allows (the incident's resource ids are known only at run time), so each is acknowledged
 * individually with the reason from its scope; a new wildcard appears as a new, unacknowledged finding.
 */
function acknowledgeUnavoidableWildcards(role: iam.Role, planned: readonly PlannedStatement[]): void {
  const stack = Stack.of(role);
  const reasons = new Map<string, string[]>();
  for (const { wildcards } of planned) {
    for (const { resource, why } of wildcards) {
      const finding = `Resource::${nagResourceName(stack.resolve(resource))}`;
      reasons.set(finding, [...(reasons.get(finding) ?? []), why]);
    }
  }
  for (const [finding, whys] of reasons) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason: [...new Set(whys)].join(' '),
    });
  }
}

/** How cdk-nag prints a resolved resource: intrinsic references become `<Logical::Id>`. */
function nagResourceName(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'object' && resolved !== null) {
    const record = resolved as Record<string, unknown>;
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(nagResourceName).join(join[0]);
    }
  }
  return JSON.stringify(resolved);
}
