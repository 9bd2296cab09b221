/**
 * The member-role stack: deployed into every member account of the organization (with `cdk deploy`
 * or as a CloudFormation StackSet), it creates the roles through which Firebreak's responders in
 * the security account act there: the member role (EC2, and iam:PassRole for release), and, when a
 * playbook revokes role sessions, a separate session-revoker role that alone may write a role
 * policy. Each trusts exact responder role ARNs of the security account, never a name pattern. The template is self-contained on purpose: no assets, no
 * lookups, no account baked in at synth time, and no bootstrap-version rule, so that StackSets can
 * deploy the same template to accounts that were never CDK-bootstrapped.
 *
 * The role grants exactly the IAM actions of the deployed playbooks' steps that run in the member
 * account (EC2 and IAM; SNS, Step Functions and DynamoDB stay in the security account), and the
 * containment guard's ec2:DescribeInstances when a playbook is guarded, each scoped as narrowly as
 * its API allows by the rules the security account's responder roles use too (lib/stack/iam-scopes.ts).
 * See docs/organization.md for the topology and the blast radius.
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
import { DEFAULT_MEMBER_ROLE_NAME, DEFAULT_SESSION_REVOKER_ROLE_NAME } from '../aws/member-accounts';
import { ACTIONS, iamActionsForStep } from '../playbooks/actions';
import { GUARD_RESPONDER, isGuardedPlaybook } from '../playbooks/compile';
import { flattenSteps } from '../playbooks/model';
import type { Playbook } from '../playbooks/model';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../responders/containment-guard';
import type { PlannedStatement, QuarantineCopies, ScopeArns } from './iam-scopes';
import {
  acknowledgeWildcardResources,
  DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
  nagResourceName,
  planStatements,
  privilegedRoleArns,
  ROLE_POLICY_WRITES,
} from './iam-scopes';
import { RESPONDER_NAMES } from '../contracts/responders';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE } from '../contracts/security';

/** Responder roles in the security account are named with this prefix (see `responderRoleName`). */
export const DEFAULT_RESPONDER_ROLE_NAME_PREFIX = 'firebreak-responder-';

/** Services whose calls responders make in the finding's account (EC2 and IAM; Auto Scaling and Elastic Load Balancing for fleets). */
// route53resolver: DNS Firewall lives in the account of the instance's VPC (block-dns-domain).
// s3: the object a Malware Protection for S3 scan names lives in the bucket owner's account.
export const MEMBER_ACCOUNT_SERVICES = ['ec2', 'iam', 'autoscaling', 'elasticloadbalancing', 'route53resolver', 's3', 'securityhub'] as const;

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** An AWS region name such as eu-west-1 or us-gov-west-1. */
export const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** The responder whose IAM client the session-revoker role serves by default (`sessionRevokers`). */
export const SESSION_REVOKING_RESPONDER = RESPONDER_NAMES.quarantineInstance;

export interface MemberRoleStackProps extends StackProps {
  /**
   * The IAM actions the deployed playbooks need in a member account; compute them with
   * `memberRoleIamActions(playbooks)`. Only `ec2:`, `iam:`, `autoscaling:` and `elasticloadbalancing:` actions are accepted, and each must
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
   * The security-account responders that act in member accounts (`memberRoleResponders(playbooks)`):
   * the member role trusts exactly their roles, `<prefix><region>-<responder>` in each security region.
   */
  readonly responders: readonly string[];
  /**
   * The regions the Firebreak stack is deployed in (its responder role names carry the region).
   * When omitted the template takes one region as the `SecurityRegion` parameter (StackSets).
   * @default a CfnParameter `SecurityRegion`
   */
  readonly securityRegions?: readonly string[];
  /**
   * The prefix of the security-account responder role names (`responderRoleName`): exact names are
   * built from it, never a wildcard.
   * @default 'firebreak-responder-'
   */
  readonly responderRoleNamePrefix?: string;
  /**
   * Name of the role that may write role policies (session revocation); created only when
   * `iamActions` has iam:PutRolePolicy, trusted by quarantine-instance alone. Responders are
   * configured with the same name (`FIREBREAK_SESSION_REVOKER_ROLE_NAME`).
   * @default 'FirebreakSessionRevoker'
   */
  readonly sessionRevokerRoleName?: string;
  /**
   * The responders the session-revoker role trusts: those whose deployed steps write role policies
   * (`sessionRevokingResponders(playbooks)`), and no other.
   * @default [quarantine-instance]
   */
  readonly sessionRevokers?: readonly string[];
  /**
   * Administrator and break-glass role name patterns: neither role may write a policy to, or pass, them.
   * @default DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS
   */
  readonly privilegedRoleNamePatterns?: readonly string[];
  /**
   * Required as `sts:ExternalId` in the trust policy; responders send it
   * (`FIREBREAK_MEMBER_ROLE_EXTERNAL_ID`). Not a secret: a second, deploy-time agreed value.
   * @default none
   */
  readonly externalId?: string;
  /**
   * The forensic account evidence is copied to: the member role may share evidence snapshots with
   * it (and no other account). Required when a playbook copies evidence (copy-evidence).
   * @default none
   */
  readonly forensicAccountId?: string;
  /**
   * Where the quarantine copies go (`quarantineCopyDestinations(playbooks)`): the member role may
   * write copies there only. Required when `iamActions` has s3:PutObject.
   * @default none
   */
  readonly quarantineCopies?: QuarantineCopies;
}

/** The responders that act on a credential's user or role, whose rails the guard checks first. */
const CREDENTIAL_STEP_RESPONDERS: ReadonlySet<string> = new Set([RESPONDER_NAMES.disableAccessKey, RESPONDER_NAMES.revokeRoleSessions]);

/**
 * What the containment guard reads where the resource lives: the instance (its tags), and, when a
 * deployed playbook cuts off credentials, the user's or role's tags (ListUserTags, GetRole) before
 * it takes a blast-radius slot.
 */
export function guardTargetAccountActions(playbooks: readonly Playbook[]): string[] {
  const cutsOffCredentials = playbooks.some((playbook) => flattenSteps(playbook.steps).some((step) => CREDENTIAL_STEP_RESPONDERS.has(ACTIONS[step.action].responder)));
  return [...CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount, ...(cutsOffCredentials ? CONTAINMENT_GUARD_IAM_ACTIONS.credentialTargetAccount : [])];
}

/**
 * The IAM actions the member role needs for `playbooks`: their steps' EC2 and IAM actions, and the
 * containment guard's (it reads the instance's or the credential's tags) when one of them is guarded; sorted, without repeats.
 */
export function memberRoleIamActions(playbooks: readonly Playbook[]): string[] {
  const actions = new Set<string>();
  if (playbooks.some(isGuardedPlaybook)) guardTargetAccountActions(playbooks).forEach((action) => actions.add(action));
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
  /** The statement id. @default 'AssumeFirebreakMemberRole' */
  readonly sid?: string;
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
      sid: options.sid ?? 'AssumeFirebreakMemberRole',
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

/** The responders a set of playbooks runs that act in member accounts (EC2 or IAM), the guard included when a playbook is guarded; sorted. */
export function memberRoleResponders(playbooks: readonly Playbook[]): string[] {
  const responders = new Set<string>();
  if (playbooks.some(isGuardedPlaybook)) responders.add(GUARD_RESPONDER);
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      const actions = iamActionsForStep(step.action, step.with);
      if (actions.some((action) => MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`)))) {
        responders.add(ACTIONS[step.action].responder);
      }
    }
  }
  return [...responders].sort();
}

/** The responders whose deployed steps write role policies (quarantine with revokeRoleSessions, revoke-role-sessions): the session revoker trusts them alone; sorted. */
export function sessionRevokingResponders(playbooks: readonly Playbook[]): string[] {
  const responders = new Set<string>();
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      if (iamActionsForStep(step.action, step.with).some((action) => (ROLE_POLICY_WRITES as readonly string[]).includes(action))) {
        responders.add(ACTIONS[step.action].responder);
      }
    }
  }
  return [...responders].sort();
}

/** The roles that Firebreak's responders in the security account assume to act in this member account. */
export class MemberRoleStack extends Stack {
  /** The member role: everything the responders do here except writing role policies. */
  public readonly role: iam.Role;
  /** The session-revoker role (iam:PutRolePolicy), when a playbook revokes role sessions. */
  public readonly sessionRevokerRole?: iam.Role;
  /** The security account id (a parameter reference when synthesized for StackSets). */
  public readonly securityAccountId: string;
  /** The permission statements of the member role, in order (for review and tests). */
  public readonly statements: readonly iam.PolicyStatement[];
  /** The permission statements of the session-revoker role, in order (empty without it). */
  public readonly sessionRevokerStatements: readonly iam.PolicyStatement[];

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

    const regions: readonly string[] =
      props.securityRegions ??
      [
        new CfnParameter(this, 'SecurityRegion', {
          type: 'String',
          description: 'The region of the Firebreak stack in the security account (its responder role names carry it)',
          allowedPattern: REGION_NAME.source,
          constraintDescription: 'a region name such as eu-west-1',
        }).valueAsString,
      ];
    const prefix = props.responderRoleNamePrefix ?? DEFAULT_RESPONDER_ROLE_NAME_PREFIX;
    const responderRoleArns = (responders: readonly string[]) =>
      regions.flatMap((region) =>
        responders.map((responder) => `arn:${this.partition}:iam::${this.securityAccountId}:role/${responderRoleName(responder, region, prefix)}`),
      );

    // Trusting the account alone would let *any* principal in the security account that holds
    // sts:AssumeRole on `*` (an administrator, a CI role, another team's function) act as Firebreak
    // here. aws:PrincipalArn is the ARN of the calling role itself, never of a session name it can
    // choose; compared with StringEquals against exact role ARNs, it admits exactly Firebreak's
    // responder roles, not whoever can create a role with a matching name. sts:ExternalId, when
    // set, is the AWS-recommended guard against a confused deputy.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    const trustOf = (roleArns: readonly string[]) =>
      new iam.AccountPrincipal(this.securityAccountId).withConditions({
        StringEquals: {
          'aws:PrincipalArn': roleArns.length === 1 ? roleArns[0]! : [...roleArns],
          ...(props.externalId !== undefined ? { 'sts:ExternalId': props.externalId } : {}),
        },
      });

    const revokerRoleName = props.sessionRevokerRoleName ?? DEFAULT_SESSION_REVOKER_ROLE_NAME;
    const roleArn = (name: string) => `arn:${this.partition}:iam::${this.account}:role/${name}`;
    const revokes = props.iamActions.some((action) => (ROLE_POLICY_WRITES as readonly string[]).includes(action));
    // No security-account resources: an SNS or DynamoDB action finds no scope here (and is refused above).
    const arns: ScopeArns = {
      ec2: (resourceType) => `arn:${this.partition}:ec2:*:${this.account}:${resourceType}/*`,
      route53resolver: (resourceType) => `arn:${this.partition}:route53resolver:*:${this.account}:${resourceType}/*`,
      snapshots: `arn:${this.partition}:ec2:*::snapshot/*`,
      iam: (resourceType) => `arn:${this.partition}:iam::${this.account}:${resourceType}/*`,
      regional: (service, resource) => `arn:${this.partition}:${service}:*:${this.account}:${resource}`,
      s3: { arn: (path) => `arn:${this.partition}:s3:::${path}`, account: this.account },
      ownRoles: [roleArn(roleName), ...(revokes ? [roleArn(revokerRoleName)] : [])],
      privilegedRoles: privilegedRoleArns(
        `arn:${this.partition}:iam::${this.account}:role/`,
        props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
      ),
      privilegedUsers: privilegedRoleArns(
        `arn:${this.partition}:iam::${this.account}:user/`,
        props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
      ),
    };

    // Writing role policies is the widest power Firebreak holds: it lives in a role of its own, that
    // only quarantine-instance may assume; the member role (every responder) never has it.
    // iam:GetRolePolicy (release-credentials) goes with the writes: it is read through the same role.
    const memberActions = props.iamActions.filter((action) => !(ROLE_POLICY_WRITES as readonly string[]).includes(action) && action !== 'iam:GetRolePolicy');
    const planned = planStatements(memberActions, arns, {
      ...(props.forensicAccountId !== undefined ? { forensicAccountId: props.forensicAccountId } : {}),
      ...(props.quarantineCopies !== undefined ? { quarantineCopies: props.quarantineCopies } : {}),
    });
    this.statements = planned.map((entry) => entry.statement);

    // Responders need seconds; role chaining caps sessions at one hour anyway. Each wildcard is the
    // narrowest the API allows; each is acknowledged with its scope's reason, so a new wildcard
    // appears as a new, unacknowledged cdk-nag finding.
    const assumedRole = (id: string, role: { name: string; description: string; trusted: readonly string[]; policy: string; planned: PlannedStatement[]; output: string }) => {
      const created = new iam.Role(this, id, {
        roleName: role.name,
        description: role.description,
        assumedBy: trustOf(responderRoleArns(role.trusted)),
        maxSessionDuration: Duration.hours(1),
        inlinePolicies: { [role.policy]: new iam.PolicyDocument({ statements: role.planned.map((entry) => entry.statement) }) },
      });
      acknowledgeWildcardResources(created, role.planned.flatMap((entry) => entry.wildcards));
      new CfnOutput(this, `${id}Arn`, { value: created.roleArn, description: role.output });
      return created;
    };

    this.role = assumedRole('MemberRole', {
      name: roleName,
      description: 'Assumed by Firebreak responders in the security account to contain EC2 instances and preserve evidence',
      trusted: props.responders,
      policy: 'FirebreakResponse',
      planned,
      output: 'The role Firebreak responders assume in this account',
    });

    if (!revokes) {
      this.sessionRevokerStatements = [];
      return;
    }
    // The session-revoker role: the role policy writes, and reading the instance profile whose role
    // they go to. Which role is the quarantined instance's own is decided by the responder (from
    // the instance's profile association, read from EC2); IAM cannot express it, so this role is
    // kept to non-Firebreak, non-privileged roles by DenyProtectedRoles, and trusted by
    // quarantine-instance alone.
    const revokerActions = [
      ...props.iamActions.filter((action) => (ROLE_POLICY_WRITES as readonly string[]).includes(action)),
      'iam:GetInstanceProfile',
      // revoke-role-sessions reads the named role's tags (protected, game-day opt-in) first.
      ...(props.iamActions.includes('iam:GetRole') ? ['iam:GetRole'] : []),
      // release-credentials reads the revoke-sessions policy it recorded, before deleting it.
      ...(props.iamActions.includes('iam:GetRolePolicy') ? ['iam:GetRolePolicy'] : []),
    ];
    const revokerPlanned = planStatements(revokerActions, arns);
    const sessionRevokers = props.sessionRevokers ?? [SESSION_REVOKING_RESPONDER];
    this.sessionRevokerStatements = revokerPlanned.map((entry) => entry.statement);
    this.sessionRevokerRole = assumedRole('SessionRevokerRole', {
      name: revokerRoleName,
      description: `Assumed by the Firebreak ${sessionRevokers.join(' and ')} responder${sessionRevokers.length > 1 ? 's' : ''} only, to revoke the sessions of a compromised role`,
      trusted: sessionRevokers,
      policy: 'FirebreakSessionRevocation',
      planned: revokerPlanned,
      output: `The role the Firebreak ${sessionRevokers.join(' and ')} responder${sessionRevokers.length > 1 ? 's' : ''} assume${sessionRevokers.length > 1 ? '' : 's'} here to revoke role sessions`,
    });
  }
}

function validateProps(props: MemberRoleStackProps, roleName: string): void {
  for (const [key, name] of [
    ['roleName', roleName],
    ['sessionRevokerRoleName', props.sessionRevokerRoleName],
  ] as const) {
    if (name !== undefined && !Token.isUnresolved(name) && !ROLE_NAME.test(name)) {
      throw new Error(`MemberRoleStack: ${key} '${name}' is not a valid IAM role name`);
    }
  }
  if (props.sessionRevokerRoleName !== undefined && props.sessionRevokerRoleName === roleName) {
    throw new Error('MemberRoleStack: roleName and sessionRevokerRoleName must differ: the session revoker is a role of its own');
  }
  if (props.responders.length === 0) {
    throw new Error('MemberRoleStack: responders is empty; compute it with memberRoleResponders(playbooks)');
  }
  for (const region of props.securityRegions ?? []) {
    if (!Token.isUnresolved(region) && !REGION_NAME.test(region)) {
      throw new Error(`MemberRoleStack: securityRegions must be region names such as eu-west-1, got '${region}'`);
    }
  }
  if (props.securityRegions?.length === 0) {
    throw new Error('MemberRoleStack: securityRegions is empty; name the region(s) of the Firebreak stack, or omit it for the SecurityRegion parameter');
  }
  if (
    props.securityAccountId !== undefined &&
    !Token.isUnresolved(props.securityAccountId) &&
    !ACCOUNT_ID.test(props.securityAccountId)
  ) {
    throw new Error(`MemberRoleStack: securityAccountId must be a 12-digit account id, got '${props.securityAccountId}'`);
  }
  if (props.externalId !== undefined && !EXTERNAL_ID_PATTERN.test(props.externalId)) {
    throw new Error(`MemberRoleStack: externalId must be ${EXTERNAL_ID_RULE}`);
  }
  if (props.responderRoleNamePrefix !== undefined && !/^[\w+=,.@-]+$/.test(props.responderRoleNamePrefix)) {
    throw new Error('MemberRoleStack: responderRoleNamePrefix must be a non-empty IAM role name prefix (no wildcard)');
  }
  if (props.iamActions.length === 0) {
    throw new Error('MemberRoleStack: iamActions is empty; compute it with memberRoleIamActions(playbooks)');
  }
  for (const action of props.iamActions) {
    if (action.includes('*')) {
      throw new Error(`MemberRoleStack: '${action}' is a wildcard action; list the exact actions the playbooks need`);
    }
    if (!MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`))) {
      throw new Error(
        `MemberRoleStack: '${action}' is not an EC2, IAM, Auto Scaling, Elastic Load Balancing or Route 53 Resolver action; responders call it in the security account, not through the member role`,
      );
    }
  }
}
