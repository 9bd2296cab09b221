/**
 * The member-role stack: deployed into every member account of the organization (with `cdk deploy`
 * or as a CloudFormation StackSet), it creates the roles through which Firebreak's responders in
 * the security account act there: one role per responder, `<memberRoleName>-<responder>`, holding
 * that responder's grants and trusted by that responder's own role ARNs alone, and, for each
 * responder whose steps write role policies, a role of its own for the writes,
 * `<sessionRevokerRoleName>-<responder>`. One shared role would give every responder the union of
 * all their grants (block-dns-domain could pass roles to EC2 or disable access keys); per responder,
 * a responder reaches in a member account what its security-account role is granted for it, and
 * no more. The template is self-contained on purpose: no assets, no lookups, no account baked in
 * at synth time, and no bootstrap-version rule, so that StackSets can deploy the same template to
 * accounts that were never CDK-bootstrapped.
 *
 * Each role grants exactly the IAM actions of its responder's deployed steps that run in the member
 * account (EC2, IAM…; SNS, Step Functions and DynamoDB stay in the security account), and the
 * containment guard's reads when a playbook is guarded, each scoped as narrowly as its API allows
 * by the rules the security account's responder roles use too (lib/stack/iam-scopes.ts).
 * See docs/organization.md for the topology and the blast radius.
 */
import { FIREBREAK_RESPONDER_ROLE_NAME_PREFIX } from '../contracts/privileged-names';
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
import { DEFAULT_MEMBER_ROLE_NAME, DEFAULT_SESSION_REVOKER_ROLE_NAME, responderMemberRoleName } from '../aws/member-accounts';
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
  protectedTagKeyFor,
  ROLE_POLICY_WRITES,
} from './iam-scopes';
import { RESPONDER_NAMES } from '../contracts/responders';
import { pascal } from './defaults';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE } from '../contracts/security';

/** Responder roles in the security account are named with this prefix (see `responderRoleName`). */
export const DEFAULT_RESPONDER_ROLE_NAME_PREFIX = FIREBREAK_RESPONDER_ROLE_NAME_PREFIX;

/** Services whose calls responders make in the finding's account (EC2 and IAM; Auto Scaling and Elastic Load Balancing for fleets). */
// route53resolver: DNS Firewall lives in the account of the instance's VPC (block-dns-domain).
// s3: the object a Malware Protection for S3 scan names lives in the bucket owner's account.
export const MEMBER_ACCOUNT_SERVICES = ['ec2', 'iam', 'autoscaling', 'elasticloadbalancing', 'route53resolver', 's3', 'securityhub'] as const;

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** An AWS region name such as eu-west-1 or us-gov-west-1. */
export const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface MemberRoleStackProps extends StackProps {
  /**
   * By responder, the IAM actions its deployed steps need in a member account; compute them with
   * `memberAccountActionsByResponder(playbooks)`. Each responder gets a role of its own with exactly
   * these. Only actions of MEMBER_ACCOUNT_SERVICES are accepted, and each must have a scoping rule
   * (iam-scopes.ts): an unknown action fails the synth rather than being granted on `*`.
   */
  readonly responderActions: Readonly<Record<string, readonly string[]>>;
  /**
   * The security account (where Firebreak runs). When omitted the template takes it as the
   * `SecurityAccountId` parameter, which is how a StackSet passes it.
   * @default a CfnParameter `SecurityAccountId`
   */
  readonly securityAccountId?: string;
  /**
   * The configured member role name: each responder's role is `<roleName>-<responder>`
   * (`responderMemberRoleName`, at most 64 characters), and each responder function is given its
   * own (`FIREBREAK_MEMBER_ROLE_NAME`).
   * @default 'FirebreakResponder'
   */
  readonly roleName?: string;
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
   * The configured session-revoker role name: each responder whose actions write role policies
   * (iam:PutRolePolicy or iam:DeleteRolePolicy) gets a role `<sessionRevokerRoleName>-<responder>`
   * for them, trusted by that responder alone (`FIREBREAK_SESSION_REVOKER_ROLE_NAME`).
   * @default 'FirebreakSessionRevoker'
   */
  readonly sessionRevokerRoleName?: string;
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
   * The forensic account evidence is copied to: copy-evidence's role may share evidence snapshots with
   * it (and no other account). Required when a playbook copies evidence (copy-evidence).
   * @default none
   */
  readonly forensicAccountId?: string;
  /**
   * Where the quarantine copies go (`quarantineCopyDestinations(playbooks)`): the member role may
   * write copies there only. Required when a responder's actions have s3:PutObject.
   * @default none
   */
  readonly quarantineCopies?: QuarantineCopies;
  /**
   * The longest EBS Snapshot Lock the deployed playbooks configure, in days
   * (`evidenceLockMaxDays(playbooks)`): the member role may lock evidence for no longer. Required
   * when a responder's actions have ec2:LockSnapshot.
   * @default none
   */
  readonly evidenceLockMaxDays?: number;
  /**
   * The Security Hub workflow statuses the deployed write-back steps set
   * (`securityHubWorkflowStatuses(playbooks)`): the member role may set those only. Required when a
   * responder's actions have securityhub:BatchUpdateFindings.
   * @default none
   */
  readonly securityHubWorkflowStatuses?: readonly string[];
  /**
   * The deployment's protected tag key (`protectedTagKey`): every role but a release's is denied the
   * containing actions on a user, role or instance carrying it (DenyProtectedTagKey, iam-scopes.ts).
   * @default none
   */
  readonly protectedTagKey?: string;
}

/** The IAM actions a responder's revoker role holds beside the writes: the reads that go with them (quarantine's instance profile, the named role's tags, the recorded policy, the profiles holding the role). */
const REVOKER_READS: readonly string[] = ['iam:GetInstanceProfile', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole'];

/**
 * The role reads a responder with a session revoker makes through it alone, never its member role:
 * quarantine-instance and revoke-role-sessions reach IAM through the revoker only (iamClientsFor),
 * and release-credentials reads a role (a drill's opt-in, GetRole) and its deny (GetRolePolicy)
 * through its revokerClients, its users through the member role (rows 1z, 1zd).
 */
const REVOKER_ONLY_READS: readonly string[] = ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole'];

/** The responders that act on a credential's user or role, whose rails the guard checks first. */
const CREDENTIAL_STEP_RESPONDERS: ReadonlySet<string> = new Set([RESPONDER_NAMES.disableAccessKey, RESPONDER_NAMES.revokeRoleSessions]);

/**
 * What the containment guard reads where the resource lives: the instance (its tags), its isolation
 * groups where a playbook releases instances (whether one held quarantined is in Firebreak's own,
 * row 15r), and, when a
 * deployed playbook cuts off credentials, the user's or role's tags and path (GetUser, GetRole) before
 * it takes a blast-radius slot.
 */
export function guardTargetAccountActions(playbooks: readonly Playbook[]): string[] {
  const cutsOffCredentials = playbooks.some((playbook) => flattenSteps(playbook.steps).some((step) => CREDENTIAL_STEP_RESPONDERS.has(ACTIONS[step.action].responder)));
  const releasesInstances = playbooks.some((playbook) => flattenSteps(playbook.steps).some((step) => ACTIONS[step.action].responder === RESPONDER_NAMES.releaseInstance));
  return [
    ...CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount,
    ...(releasesInstances ? CONTAINMENT_GUARD_IAM_ACTIONS.heldTargetAccount : []),
    ...(cutsOffCredentials ? CONTAINMENT_GUARD_IAM_ACTIONS.credentialTargetAccount : []),
  ];
}

/** True for an action of a service responders call in the finding's account (MEMBER_ACCOUNT_SERVICES). */
export function actsInMemberAccount(action: string): boolean {
  return MEMBER_ACCOUNT_SERVICES.some((service) => action.startsWith(`${service}:`));
}

/**
 * By responder, the IAM actions its steps in `playbooks` need in a member account (the containment
 * guard's reads when one of them is guarded); responders sorted, actions sorted without repeats.
 * A responder with none is left out: it gets no member-account role.
 */
export function memberAccountActionsByResponder(playbooks: readonly Playbook[]): Record<string, string[]> {
  const byResponder = new Map<string, Set<string>>();
  const add = (responder: string, actions: Iterable<string>) => {
    const kept = [...actions].filter(actsInMemberAccount);
    if (kept.length === 0) return;
    const known = byResponder.get(responder) ?? new Set<string>();
    kept.forEach((action) => known.add(action));
    byResponder.set(responder, known);
  };
  if (playbooks.some(isGuardedPlaybook)) add(GUARD_RESPONDER, guardTargetAccountActions(playbooks));
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) add(ACTIONS[step.action].responder, iamActionsForStep(step.action, step.with));
  }
  return Object.fromEntries([...byResponder.keys()].sort().map((responder) => [responder, [...byResponder.get(responder)!].sort()]));
}

/** Every IAM action the member-account roles of `playbooks` hold together; sorted, without repeats. */
export function memberRoleIamActions(playbooks: readonly Playbook[]): string[] {
  return [...new Set(Object.values(memberAccountActionsByResponder(playbooks)).flat())].sort();
}

/** A responder's two member-account roles: their names, and what each holds (empty: no such role). */
export interface ResponderMemberRoles {
  readonly memberName: string;
  readonly member: string[];
  readonly revokerName: string;
  readonly revoker: string[];
}

/**
 * A responder's member-account roles, for the member-role stack that creates them and the security
 * stack that names them to the responder: of its actions that act in member accounts, the
 * role-policy writes (and the reads that go with them) in `<revokerRoleName>-<responder>`,
 * everything else in `<roleName>-<responder>`.
 */
export function responderMemberRoles(roleName: string, revokerRoleName: string, responder: string, actions: Iterable<string>): ResponderMemberRoles {
  const here = [...actions].filter(actsInMemberAccount);
  const writes = here.filter((action) => (ROLE_POLICY_WRITES as readonly string[]).includes(action));
  return {
    memberName: responderMemberRoleName(roleName, responder),
    member: writes.length === 0 ? here : here.filter((action) => !writes.includes(action) && !REVOKER_ONLY_READS.includes(action)),
    revokerName: responderMemberRoleName(revokerRoleName, responder),
    revoker: writes.length === 0 ? [] : [...writes, ...here.filter((action) => REVOKER_READS.includes(action))],
  };
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
  /**
   * The served accounts (`servedAccountIds`). When any is listed, the grant is limited with
   * `aws:ResourceAccount` to member roles in those accounts, as the client factories are (an
   * organization's other accounts out of reach in IAM too). @default none: every account the
   * organization condition allows
   */
  readonly servedAccountIds?: readonly string[];
  /**
   * The forensic account (`forensicAccountId`), never served: when no served account is listed,
   * the grant excludes it with `aws:ResourceAccount`, so a member role deployed there (a StackSet
   * over the whole organization) cannot be assumed, as the client factories refuse it. @default none
   */
  readonly forensicAccountId?: string;
  /** The statement id. @default 'AssumeFirebreakMemberRole' */
  readonly sid?: string;
}

/**
 * Lets a security-account responder role assume its member role (`memberRoleName`, the responder's
 * own `<name>-<responder>`) in any member account (the account is the finding's, known only at run
 * time), and acknowledges that wildcard for cdk-nag.
 */
export function grantAssumeMemberRole(responderRole: iam.IRole, options: GrantAssumeMemberRoleOptions = {}): void {
  const memberRoleName = options.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!Token.isUnresolved(memberRoleName) && !ROLE_NAME.test(memberRoleName)) {
    throw new Error(`grantAssumeMemberRole: memberRoleName '${memberRoleName}' is not a valid IAM role name`);
  }
  if (options.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(options.organizationId)) {
    throw new Error(`grantAssumeMemberRole: organizationId must look like o-xxxxxxxxxx, got '${options.organizationId}'`);
  }
  for (const account of [...(options.servedAccountIds ?? []), ...(options.forensicAccountId !== undefined ? [options.forensicAccountId] : [])]) {
    if (!/^\d{12}$/.test(account)) throw new Error(`grantAssumeMemberRole: account ids have 12 digits, got '${account}'`);
  }
  const stack = Stack.of(responderRole);
  const resource = `arn:${stack.partition}:iam::*:role/${memberRoleName}`;
  responderRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: options.sid ?? 'AssumeFirebreakMemberRole',
      actions: ['sts:AssumeRole'],
      resources: [resource],
      ...assumeConditions(options),
    }),
  );
  Validations.of(responderRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(stack.resolve(resource))}]`,
    reason:
      "Responders act in the account of each finding, known only at run time; the grant names one of this responder's own member-account roles, whose trust policy admits only this responder's roles.",
  });
}

/**
 * Where a responder may assume its member role: the organization (`aws:ResourceOrgID`), narrowed to
 * the served accounts when any is listed, else every account but the forensic one
 * (`aws:ResourceAccount`, which STS sets to the role's account). The client factories refuse the
 * same accounts before they call STS (unservedAccountReason): this is the same rail in IAM, for a
 * caller that gets past the code.
 */
function assumeConditions(options: GrantAssumeMemberRoleOptions): { conditions?: Record<string, Record<string, string | string[]>> } {
  const served = [...new Set(options.servedAccountIds ?? [])];
  const within: Record<string, string | string[]> = {
    ...(options.organizationId !== undefined ? { 'aws:ResourceOrgID': options.organizationId } : {}),
    ...(served.length > 0 ? { 'aws:ResourceAccount': served } : {}),
  };
  const conditions = {
    ...(Object.keys(within).length > 0 ? { StringEquals: within } : {}),
    ...(served.length === 0 && options.forensicAccountId !== undefined ? { StringNotEquals: { 'aws:ResourceAccount': options.forensicAccountId } } : {}),
  };
  return Object.keys(conditions).length > 0 ? { conditions } : {};
}

/** The responders a set of playbooks runs that act in member accounts (EC2 or IAM), the guard included when a playbook is guarded; sorted. */
export function memberRoleResponders(playbooks: readonly Playbook[]): string[] {
  return Object.keys(memberAccountActionsByResponder(playbooks));
}

/** The roles that Firebreak's responders in the security account assume to act in this member account, one set per responder. */
export class MemberRoleStack extends Stack {
  /** By responder: its member role, everything it does here except writing role policies. */
  public readonly roles: ReadonlyMap<string, iam.Role>;
  /** By responder whose steps write role policies: its session-revoker role (the writes, and the reads that go with them). */
  public readonly sessionRevokerRoles: ReadonlyMap<string, iam.Role>;
  /** The security account id (a parameter reference when synthesized for StackSets). */
  public readonly securityAccountId: string;

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, {
      ...props,
      description:
        props.description ??
        "Firebreak member roles: one per responder, so that each security-account responder acts in this account with its own grants only",
      // StackSet targets are not CDK-bootstrapped: no BootstrapVersion parameter or rule.
      synthesizer: props.synthesizer ?? new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const roleName = props.roleName ?? DEFAULT_MEMBER_ROLE_NAME;
    const revokerRoleName = props.sessionRevokerRoleName ?? DEFAULT_SESSION_REVOKER_ROLE_NAME;
    validateProps(props, roleName);
    const plans = Object.entries(props.responderActions).map(([responder, actions]) => ({
      responder,
      ...responderMemberRoles(roleName, revokerRoleName, responder, actions),
    }));

    this.securityAccountId =
      props.securityAccountId ??
      new CfnParameter(this, 'SecurityAccountId', {
        type: 'String',
        description: 'The Firebreak security account (the GuardDuty delegated administrator) whose responders may assume these roles',
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

    // Trusting the account alone would let *any* principal in the security account that holds
    // sts:AssumeRole on `*` (an administrator, a CI role, another team's function) act as Firebreak
    // here. aws:PrincipalArn is the ARN of the calling role itself, never of a session name it can
    // choose; compared with StringEquals against exact role ARNs, it admits exactly the one
    // responder's roles (one per security region), not whoever can create a role with a matching
    // name. sts:ExternalId, when set, is the AWS-recommended guard against a confused deputy.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    const trustOf = (responder: string) => {
      const roleArns = regions.map((region) => `arn:${this.partition}:iam::${this.securityAccountId}:role/${responderRoleName(responder, region, prefix)}`);
      return new iam.AccountPrincipal(this.securityAccountId).withConditions({
        StringEquals: {
          'aws:PrincipalArn': roleArns.length === 1 ? roleArns[0]! : roleArns,
          ...(props.externalId !== undefined ? { 'sts:ExternalId': props.externalId } : {}),
        },
      });
    };

    const roleArn = (name: string) => `arn:${this.partition}:iam::${this.account}:role/${name}`;
    // No security-account resources: an SNS or DynamoDB action finds no scope here (and is refused above).
    const arns: ScopeArns = {
      ec2: (resourceType) => `arn:${this.partition}:ec2:*:${this.account}:${resourceType}/*`,
      route53resolver: (resourceType) => `arn:${this.partition}:route53resolver:*:${this.account}:${resourceType}/*`,
      snapshots: `arn:${this.partition}:ec2:*::snapshot/*`,
      iam: (resourceType) => `arn:${this.partition}:iam::${this.account}:${resourceType}/*`,
      regional: (service, resource) => `arn:${this.partition}:${service}:*:${this.account}:${resource}`,
      s3: { arn: (path) => `arn:${this.partition}:s3:::${path}`, account: this.account },
      // Every role of this stack: no responder may write a policy to, or pass, any of them.
      ownRoles: plans.flatMap((plan) => [roleArn(plan.memberName), ...(plan.revoker.length > 0 ? [roleArn(plan.revokerName)] : [])]),
      privilegedRoles: privilegedRoleArns(
        `arn:${this.partition}:iam::${this.account}:role/`,
        props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
      ),
      privilegedUsers: privilegedRoleArns(
        `arn:${this.partition}:iam::${this.account}:user/`,
        props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS,
      ),
    };
    const scopeOptions = {
      ...(props.forensicAccountId !== undefined ? { forensicAccountId: props.forensicAccountId } : {}),
      ...(props.quarantineCopies !== undefined ? { quarantineCopies: props.quarantineCopies } : {}),
      ...(props.evidenceLockMaxDays !== undefined ? { evidenceLockMaxDays: props.evidenceLockMaxDays } : {}),
      ...(props.securityHubWorkflowStatuses !== undefined ? { securityHubWorkflowStatuses: props.securityHubWorkflowStatuses } : {}),
    };

    // Responders need seconds; role chaining caps sessions at one hour anyway. Each wildcard is the
    // narrowest the API allows; each is acknowledged with its scope's reason, so a new wildcard
    // appears as a new, unacknowledged cdk-nag finding.
    const assumedRole = (id: string, role: { name: string; responder: string; description: string; policy: string; planned: PlannedStatement[]; output: string }) => {
      const created = new iam.Role(this, id, {
        roleName: role.name,
        description: role.description,
        assumedBy: trustOf(role.responder),
        maxSessionDuration: Duration.hours(1),
        inlinePolicies: { [role.policy]: new iam.PolicyDocument({ statements: role.planned.map((entry) => entry.statement) }) },
      });
      acknowledgeWildcardResources(created, role.planned.flatMap((entry) => entry.wildcards));
      new CfnOutput(this, `${id}Arn`, { value: created.roleArn, description: role.output });
      return created;
    };

    const roles = new Map<string, iam.Role>();
    const revokers = new Map<string, iam.Role>();
    for (const plan of plans) {
      const { responder } = plan;
      if (plan.member.length > 0) {
        roles.set(
          responder,
          assumedRole(`MemberRole${pascal(responder)}`, {
            name: plan.memberName,
            responder,
            description: `Assumed by the Firebreak ${responder} responder in the security account, for its own actions in this account only`,
            policy: 'FirebreakResponse',
            planned: planStatements(plan.member, arns, { ...scopeOptions, ...protectedTagKeyFor(responder, props.protectedTagKey) }),
            output: `The role the Firebreak ${responder} responder assumes in this account`,
          }),
        );
      }
      // Writing role policies is the widest power Firebreak holds: in a role of its own, trusted by
      // this responder alone. Which role is the quarantined instance's own (or the finding's) is
      // decided by the responder; IAM cannot express it, so DenyProtectedRoles keeps the writes
      // off Firebreak's own, administrator and break-glass roles, and DenyProtectedTagKey off a
      // role carrying the protected tag key (not for release-credentials: it only deletes).
      if (plan.revoker.length > 0) {
        revokers.set(
          responder,
          assumedRole(`SessionRevokerRole${pascal(responder)}`, {
            name: plan.revokerName,
            responder,
            description: `Assumed by the Firebreak ${responder} responder only, for its role-policy writes (session revocation) in this account`,
            policy: 'FirebreakSessionRevocation',
            planned: planStatements(plan.revoker, arns, protectedTagKeyFor(responder, props.protectedTagKey)),
            output: `The role the Firebreak ${responder} responder assumes here to write role policies`,
          }),
        );
      }
    }
    this.roles = roles;
    this.sessionRevokerRoles = revokers;
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
  if (Object.keys(props.responderActions).length === 0) {
    throw new Error('MemberRoleStack: responderActions is empty; compute it with memberAccountActionsByResponder(playbooks)');
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
  if (props.protectedTagKey !== undefined && (Token.isUnresolved(props.protectedTagKey) || !/^\S(.{0,126}\S)?$/s.test(props.protectedTagKey))) {
    // The key is part of a condition key name (aws:ResourceTag/<key>): a literal tag key only.
    throw new Error('MemberRoleStack: protectedTagKey must be a literal tag key of 1 to 128 characters, without leading or trailing spaces');
  }
  if (props.externalId !== undefined && !EXTERNAL_ID_PATTERN.test(props.externalId)) {
    throw new Error(`MemberRoleStack: externalId must be ${EXTERNAL_ID_RULE}`);
  }
  if (props.responderRoleNamePrefix !== undefined && !/^[\w+=,.@-]+$/.test(props.responderRoleNamePrefix)) {
    throw new Error('MemberRoleStack: responderRoleNamePrefix must be a non-empty IAM role name prefix (no wildcard)');
  }
  for (const [responder, actions] of Object.entries(props.responderActions)) {
    if (actions.length === 0) throw new Error(`MemberRoleStack: responderActions['${responder}'] is empty; leave out a responder that does nothing here`);
  }
  for (const action of Object.values(props.responderActions).flat()) {
    if (action.includes('*')) {
      throw new Error(`MemberRoleStack: '${action}' is a wildcard action; list the exact actions the playbooks need`);
    }
    if (!actsInMemberAccount(action)) {
      throw new Error(
        `MemberRoleStack: '${action}' is not an EC2, IAM, Auto Scaling, Elastic Load Balancing or Route 53 Resolver action; responders call it in the security account, not through the member role`,
      );
    }
  }
}
