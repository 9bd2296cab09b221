/**
 * The member-role stack: deployed into every member account of the organization (with `cdk deploy`
 * or as a CloudFormation StackSet), it creates the one role through which Firebreak's responders in
 * the security account act on EC2 there. The template is self-contained on purpose: no assets, no
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
import { DEFAULT_MEMBER_ROLE_NAME } from '../aws/member-accounts';
import { iamActionsForStep } from '../playbooks/actions';
import { isGuardedPlaybook } from '../playbooks/compile';
import { flattenSteps } from '../playbooks/model';
import type { Playbook } from '../playbooks/model';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../responders/containment-guard';
import type { ScopeArns } from './iam-scopes';
import { acknowledgeWildcardResources, nagResourceName, planStatements } from './iam-scopes';

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

/**
 * The IAM actions the member role needs for `playbooks`: their steps' EC2 and IAM actions, and the
 * containment guard's (it reads the instance's tags) when one of them is guarded; sorted, without repeats.
 */
export function memberRoleIamActions(playbooks: readonly Playbook[]): string[] {
  const actions = new Set<string>();
  if (playbooks.some(isGuardedPlaybook)) CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount.forEach((action) => actions.add(action));
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

    // No security-account resources: an SNS or DynamoDB action finds no scope here (and is refused above).
    const arns: ScopeArns = {
      ec2: (resourceType) => `arn:${this.partition}:ec2:*:${this.account}:${resourceType}/*`,
      snapshots: `arn:${this.partition}:ec2:*::snapshot/*`,
      iam: (resourceType) => `arn:${this.partition}:iam::${this.account}:${resourceType}/*`,
      ownRoles: [`arn:${this.partition}:iam::${this.account}:role/${roleName}`],
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

    // Each wildcard is the narrowest the API allows; each is acknowledged with its scope's reason,
    // so a new wildcard appears as a new, unacknowledged cdk-nag finding.
    acknowledgeWildcardResources(this.role, planned.flatMap((entry) => entry.wildcards));

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
  for (const action of props.iamActions) {
    if (action.includes('*')) {
      throw new Error(`MemberRoleStack: '${action}' is a wildcard action; list the exact actions the playbooks need`);
    }
    if (!MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`))) {
      throw new Error(
        `MemberRoleStack: '${action}' is not an EC2 or IAM action; responders call it in the security account, not through the member role`,
      );
    }
  }
}
