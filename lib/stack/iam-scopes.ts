/**
 * Least privilege, in one place, for both stacks: the responder roles in the security account
 * (lib/stack/firebreak-stack.ts) and the member role every member account deploys
 * (lib/stack/member-role-stack.ts). A role's policy is exactly the union of `iamActionsForStep`
 * over the deployed steps it serves (plus, for a responder, the security-account services it uses:
 * the alert topic, its KMS key, the state table); each action is granted on the narrowest
 * resources its API authorizes on. An action without a scoping rule here fails the synth: nothing
 * is ever granted on `*` by default.
 *
 * Resource types per EC2 API come from the EC2 Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 * The ARNs pin the account the role lives in, not the region: responders act in the finding's
 * region, which is not the stack's when one central region handles every region (docs/organization.md).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { RESPONDER_NAMES } from '../contracts/responders';
import { privilegedArnResources } from '../contracts/privileged-names';
import { MANAGED_SECURITY_GROUP_TAG, SECURITY_GROUP_TAG_KEYS, SECURITY_TAGS } from '../contracts/security';
import { DENY_ALL_POLICY_NAME } from '../playbooks/credential-options';
import type { Playbook } from '../playbooks/model';
import { flattenSteps } from '../playbooks/model';
import { quarantineS3ObjectOptions } from '../playbooks/quarantine-s3-object-options';
import { FIREBREAK_TAGS } from '../responders/instance-state';
import { EVIDENCE_TAG_KEYS } from '../responders/snapshot-plan';
import { FLEET_SCOPES } from './iam-scopes-fleet';
import { GUARDDUTY_SCAN_STATUS_TAG_KEY, MALWARE_OBJECT_TAGS, QUARANTINE_PREFIX, quarantineBucketDirectory, THREATS_FOUND } from '../responders/s3-malware-object';
import { SECURITY_HUB_FIELDS_NEVER_SET, SECURITY_HUB_NOTE_AUTHOR, SECURITY_HUB_WORKFLOW_STATUSES } from '../playbooks/security-hub-options';
import { S3_ENCRYPTION_CONTEXT_KEY } from '../contracts/iam-actions';

/** AWS's managed deny-all policy, in any partition (the only policy disable-access-key may attach). */
const DENY_ALL_POLICY_ARN = `arn:*:iam::aws:policy/${DENY_ALL_POLICY_NAME}`;

/** Where a role's statements point: ARN builders for the account the role lives in. */
export interface ScopeArns {
  /** Any resource of `resourceType` in this account, any region. */
  readonly ec2: (resourceType: string) => string;
  /** Any Route 53 Resolver resource of `resourceType` in this account, any region. */
  readonly route53resolver: (resourceType: string) => string;
  /** EC2 snapshot ARNs carry no account id: `arn:aws:ec2:<region>::snapshot/<id>`. */
  readonly snapshots: string;
  readonly iam: (resourceType: string) => string;
  /**
   * Any resource of another regional service in this account, any region:
   * `arn:<partition>:<service>:*:<account>:<resource>` (Auto Scaling groups, target groups).
   * @default none: the fleet actions find no scope, and the plan fails
   */
  readonly regional?: (service: string, resource: string) => string;
  /**
   * S3 ARNs of `path` (`bucket/key`; S3 ARNs carry no account id or region) and the account the role
   * lives in (s3:ResourceAccount: the objects it may read and tag are this account's).
   * @default none: S3 actions find no scope
   */
  readonly s3?: { readonly arn: (path: string) => string; readonly account: string };
  /** Firebreak's own roles in this account (the role itself included): never written to, never passed. */
  readonly ownRoles: readonly string[];
  /**
   * Administrator and break-glass roles of this account, as role ARN patterns (see
   * `privilegedRoleArns`): never written to, never passed, whatever a finding names.
   * @default none
   */
  readonly privilegedRoles?: readonly string[];
  /**
   * Administrator and break-glass users of this account, as user ARN patterns (the same name
   * patterns): their keys are never disabled, no policy is attached to them.
   * @default none
   */
  readonly privilegedUsers?: readonly string[];
  /** Security-account resources; a member role has none, so their actions find no scope there. */
  readonly alertTopic?: string;
  readonly alertKey?: string;
  readonly stateTable?: string;
  /**
   * Executions of this deployment's guarded playbooks, one ARN pattern per playbook
   * (`…:execution:<stackName>-<playbook>:*`): the only ones the guard can clear.
   */
  readonly playbookExecutions?: readonly string[];
}

/** ARN builders for the security account and the resources the Firebreak stack created. */
export interface ResponderArns extends ScopeArns {
  readonly alertTopic: string;
  readonly alertKey: string;
  readonly stateTable: string;
}

/** How a role's statements are narrowed beyond the actions it needs. */
export interface ScopeOptions {
  /**
   * The partition-key patterns of the state-table items the role may touch
   * (`dynamodb:LeadingKeys`, e.g. `blast#*`): each responder owns its own kind of item.
   * @default every item of the table
   */
  readonly stateTableKeys?: readonly string[];
  /**
   * Partition-key patterns the role may only READ (GetItem), such as the containment grants and
   * approvals a mutating responder checks but must never write.
   * @default none
   */
  readonly stateTableReadOnlyKeys?: readonly string[];
  /**
   * The forensic account evidence snapshots may be shared with (ec2:ModifySnapshotAttribute is
   * granted only for adding this account: `ec2:Add/userId`).
   * @default none: the share is not granted, and a playbook that copies evidence fails the synth
   */
  readonly forensicAccountId?: string;
  /**
   * Where the deployed quarantine-s3-object steps copy infected objects (`quarantineCopyDestinations`):
   * s3:PutObject is granted there only. Required when s3:PutObject is requested.
   * @default none: a plan with s3:PutObject fails
   */
  readonly quarantineCopies?: QuarantineCopies;
  /**
   * The deployment's protected tag key (`protectedTagKey`): the containing actions
   * (`PROTECTED_TAG_DENIED_ACTIONS`) are denied on any user, role or instance carrying it, whatever
   * its value. Pass it for every role but a release's (`protectedTagKeyFor`).
   * @default none: protection by tag is the code's alone
   */
  readonly protectedTagKey?: string;
  /**
   * The longest EBS Snapshot Lock the deployed snapshot-volumes steps configure, in days
   * (`evidenceLockMaxDays(playbooks)`): ec2:LockSnapshot is granted only with a duration up to it
   * (`ec2:SnapshotLockDuration`), so that the role cannot lock a snapshot for longer than the
   * deployment chose (a compliance lock cannot be removed by anyone, the root user included, and
   * its storage is paid for as long). Required when ec2:LockSnapshot is requested.
   * @default none: a plan with ec2:LockSnapshot fails
   */
  readonly evidenceLockMaxDays?: number;
  /**
   * The Security Hub workflow statuses the deployed write-back steps set
   * (`securityHubWorkflowStatuses(playbooks)`): securityhub:BatchUpdateFindings is granted only to
   * set those (`securityhub:ASFFSyntaxPath/Workflow.Status`), so that a deployment that never
   * resolves a finding grants no RESOLVED. Required when securityhub:BatchUpdateFindings is requested.
   * @default none: a plan with securityhub:BatchUpdateFindings fails
   */
  readonly securityHubWorkflowStatuses?: readonly string[];
}

/** The destinations of the deployed quarantine copies, known at synth from the playbooks' options. */
export interface QuarantineCopies {
  /** A step copies into the scanned object's own bucket (`quarantineCopy: {}`). */
  readonly ownBucket: boolean;
  /** The quarantine buckets steps copy into (`quarantineCopy: { bucket, bucketOwner }`), each with the account that owns it. */
  readonly buckets: ReadonlyArray<{ readonly bucket: string; readonly bucketOwner: string }>;
}

/** Where the quarantine-s3-object steps of `playbooks` copy objects (their `quarantineCopy` options), buckets sorted. */
export function quarantineCopyDestinations(playbooks: readonly Playbook[]): QuarantineCopies {
  const destinations = playbooks
    .flatMap((playbook) => flattenSteps(playbook.steps))
    .filter((step) => step.action === RESPONDER_NAMES.quarantineS3Object)
    .flatMap((step) => {
      const copy = quarantineS3ObjectOptions.parse(step.with).quarantineCopy;
      return copy === undefined ? [] : [copy];
    });
  const buckets = new Map<string, { bucket: string; bucketOwner: string }>();
  for (const { bucket, bucketOwner } of destinations) {
    if (bucket !== undefined && bucketOwner !== undefined) buckets.set(`${bucket}|${bucketOwner}`, { bucket, bucketOwner });
  }
  return {
    ownBucket: destinations.some((copy) => copy.bucket === undefined),
    buckets: [...buckets.values()].sort((a, b) => a.bucket.localeCompare(b.bucket) || a.bucketOwner.localeCompare(b.bucketOwner)),
  };
}

/** A group of APIs that share resources and conditions, and why its resources are the narrowest possible. */
interface ActionScope {
  readonly sid: string;
  readonly effect?: iam.Effect;
  /** The requested actions this statement grants (empty: no statement). */
  readonly actions: (requested: ReadonlySet<string>) => string[];
  /** The resources (empty: no statement, so its actions stay ungranted and the plan fails). */
  readonly resources: (arns: ScopeArns, requested: ReadonlySet<string>, options: ScopeOptions) => string[];
  /**
   * Resources the statement matches all but (NotResource), in place of `resources` when not empty.
   * An Allow may use it only where a Deny of the same role bounds the action to named resources, or
   * where its actions authorize on one resource type only, which the NotResource names (S3's object
   * tag actions: `<bucket>/*` leaves every object but that bucket's).
   * @default none: `resources`
   */
  readonly notResources?: (arns: ScopeArns, requested: ReadonlySet<string>, options: ScopeOptions) => string[];
  readonly conditions?: (
    requested: ReadonlySet<string>,
    options: ScopeOptions,
    arns: ScopeArns,
  ) => Record<string, Record<string, string | string[]>> | undefined;
  /** Why each wildcard resource is unavoidable: the cdk-nag acknowledgment reason. */
  readonly why: string;
  /** Whether the scope applies to this role at all (default: always). */
  readonly applies?: (options: ScopeOptions) => boolean;
}

const EC2_REFERENCE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html';
const RESOLVER_REFERENCE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53resolver.html';
const S3_REFERENCE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html';
const SECURITY_HUB_REFERENCE = 'https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html';

/** The resources of Route 53 Resolver `types` in the role's account. */
function resolverArns(arns: ScopeArns, ...types: string[]): string[] {
  return types.map(arns.route53resolver);
}

/** `ec2:CreateTags` on what these create, only as part of creating it (TagSpecifications). */
const CREATION_TAGGING: ReadonlyArray<{ createAction: string; resourceType: 'security-group' | 'snapshot' }> = [
  { createAction: 'CreateSecurityGroup', resourceType: 'security-group' },
  { createAction: 'CreateSnapshots', resourceType: 'snapshot' },
  { createAction: 'CreateSnapshot', resourceType: 'snapshot' },
];

/** Actions that change the contained instance itself: only a role with one of them tags instances (quarantine, release; never snapshot). */
const INSTANCE_CHANGING = [
  'ec2:ModifyInstanceAttribute',
  'ec2:DisassociateIamInstanceProfile',
  'ec2:AssociateIamInstanceProfile',
  'ec2:ReplaceIamInstanceProfileAssociation',
  // The metadata service during quarantine, restored by release (issue 11).
  'ec2:ModifyInstanceMetadataOptions',
];

/**
 * The values of ModifyInstanceAttribute's Attribute enum
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html) that
 * Firebreak never sets: every one but disableApiTermination, instanceInitiatedShutdownBehavior and
 * blockDeviceMapping, the three quarantine sets (quarantine-evidence.ts) and release sets back
 * (release-restore.ts).
 */
export const INSTANCE_ATTRIBUTES_NEVER_SET = [
  'userData',
  'groupSet',
  'instanceType',
  'kernel',
  'ramdisk',
  'sourceDestCheck',
  'disableApiStop',
  'enaSupport',
  'sriovNetSupport',
  'ebsOptimized',
  'enclaveOptions',
  'rootDeviceName',
  'productCodes',
] as const;

/**
 * The actions that contain a user, role or instance, each authorized on that resource (whose tags
 * IAM reads as aws:ResourceTag): denied on one carrying the protected tag key. Not CreateSnapshots
 * (a protected instance still gets evidence), not CreateTags (Firebreak's own keys, no containment),
 * and not ModifyNetworkInterfaceAttribute: moving an ENI authorizes on the ENI and the groups,
 * whose tags are their own, never the instance's, so IAM cannot tie an ENI move to the instance's tag.
 */
export const PROTECTED_TAG_DENIED_ACTIONS = [
  'ec2:ModifyInstanceAttribute',
  'ec2:DisassociateIamInstanceProfile',
  'ec2:ModifyInstanceMetadataOptions',
  'iam:PutRolePolicy',
  'iam:UpdateAccessKey',
  'iam:AttachUserPolicy',
] as const;

/**
 * The responders that undo a containment. Their roles get no protected-tag Deny: a resource tagged
 * protected after it was contained must still be released (its termination protection, metadata
 * settings and access keys given back), or the tag would keep it contained for good.
 */
export const RELEASING_RESPONDERS: ReadonlySet<string> = new Set([RESPONDER_NAMES.releaseInstance, RESPONDER_NAMES.releaseCredentials]);

/** The `protectedTagKey` scope option for `responder`'s roles: the deployment's key, except for a release. */
export function protectedTagKeyFor(responder: string, protectedTagKey: string | undefined): { protectedTagKey?: string } {
  return protectedTagKey === undefined || RELEASING_RESPONDERS.has(responder) ? {} : { protectedTagKey };
}

/** The IAM actions that write a role's policy: session revocation, the most dangerous power Firebreak holds. */
export const ROLE_POLICY_WRITES = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'] as const;

/**
 * Administrator and break-glass roles (and users), by name pattern: Firebreak never writes a policy
 * to them nor passes them to EC2, whatever a finding or a record names (the list lives in the
 * contracts, where the credential responders read it too). `privilegedRoleNamePatterns` replaces it.
 */
export { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS } from '../contracts/privileged-names';

/** A role name pattern: the characters of an IAM role name, plus the `*` wildcard and an optional path (`aws-reserved/*`). */
export const ROLE_NAME_PATTERN = /^[\w+=,.@*/-]{1,512}$/;

/**
 * Role ARN patterns for name patterns: each under the root path and under any path (SSO roles live
 * under `/aws-reserved/sso.amazonaws.com/`), since a role ARN carries its path and IAM matches the
 * whole ARN. `arnPrefix` is `arn:<partition>:iam::<account>:role/`.
 */
export function privilegedRoleArns(arnPrefix: string, patterns: readonly string[]): string[] {
  const arns = new Set<string>();
  for (const pattern of patterns) {
    if (!ROLE_NAME_PATTERN.test(pattern)) {
      throw new Error(`privileged role name pattern '${pattern}' is not a role name with optional * wildcards`);
    }
    // `*` also matches `/`, so a pattern starting with `*` covers every path already; a pattern
    // with a path names where the role lives. The responders read the same list (privilegedPathReason).
    for (const resource of privilegedArnResources(pattern)) arns.add(`${arnPrefix}${resource}`);
  }
  return [...arns];
}

/** EC2 actions that need iam:PassRole on the role of the instance profile they associate. */
const NEEDS_PASS_ROLE = new Set(['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation']);

function requestedOf(...actions: string[]): (requested: ReadonlySet<string>) => string[] {
  return (requested) => actions.filter((action) => requested.has(action));
}

function creationTagging(requested: ReadonlySet<string>, resourceType: 'security-group' | 'snapshot'): typeof CREATION_TAGGING {
  return requested.has('ec2:CreateTags')
    ? CREATION_TAGGING.filter((entry) => entry.resourceType === resourceType && requested.has(`ec2:${entry.createAction}`))
    : [];
}

/**
 * True for quarantine-instance's role, the one that creates the isolation groups: it moves ENIs
 * into Firebreak's groups only. release-instance's role restores the groups it recorded, whichever
 * they are, and creates none.
 */
function isolatesInFirebreakGroups(requested: ReadonlySet<string>): boolean {
  return requested.has('ec2:CreateSecurityGroup');
}

/**
 * The tag set of a quarantine copy, as quarantine-s3-object writes it (infectedTags): it carries the
 * infected tag (the bucket policy that denies reads of infected objects covers the copy from its
 * creation) and no key but Firebreak's two. StringEquals on s3:RequestObjectTag/<key> needs the key
 * present; ForAllValues on s3:RequestObjectTagKeys admits no other key.
 */
function copyTagConditions(owners: string | string[]): Record<string, Record<string, string | string[]>> {
  return {
    StringEquals: { 's3:ResourceAccount': owners, [`s3:RequestObjectTag/${MALWARE_OBJECT_TAGS.scan.key}`]: MALWARE_OBJECT_TAGS.scan.value },
    'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': [MALWARE_OBJECT_TAGS.scan.key, MALWARE_OBJECT_TAGS.incident.key] },
  };
}

/**
 * A quarantine copy's write, as quarantine-s3-object makes it: a CopyObject (s3:x-amz-copy-source
 * present: no upload of any other content), onto a key where nothing is yet (s3:if-none-match
 * present: S3 then refuses to overwrite, so an earlier copy, evidence of its own incident, is never
 * replaced, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html),
 * with the tag set it writes on a copy. S3 takes only `*` in If-None-Match.
 */
function copyWriteConditions(owners: string | string[]): Record<string, Record<string, string | string[]>> {
  return { ...copyTagConditions(owners), Null: { 's3:if-none-match': 'false', 's3:x-amz-copy-source': 'false' } };
}

/**
 * The configured quarantine buckets' keys of the role's own account's copies
 * (`firebreak-quarantine/<own account>/*`): the bucket admits the roles of every served account,
 * and one account's role (a bug, a compromised responder) must not take the keys of another's copies.
 */
function quarantineBucketArns(arns: ScopeArns, options: ScopeOptions): string[] {
  const s3 = arns.s3;
  return s3 === undefined ? [] : [...new Set((options.quarantineCopies?.buckets ?? []).map(({ bucket }) => s3.arn(`${bucket}/${quarantineBucketDirectory(s3.account)}*`)))];
}

/**
 * Every key of the configured quarantine buckets, whoever's directory it is in. The owner's statements
 * that reach any object of its own account name all keys but these (NotResource, rows 16l and 16m):
 * IAM has no condition key on the object key, and there they would reach every account's copies.
 */
function quarantineBucketKeys(arns: ScopeArns, options: ScopeOptions): string[] {
  const s3 = arns.s3;
  return s3 === undefined ? [] : [...new Set((options.quarantineCopies?.buckets ?? []).map(({ bucket }) => s3.arn(`${bucket}/*`)))];
}

/**
 * True when a role copies both into the scanned object's own bucket and into quarantine buckets: in
 * the account that owns a quarantine bucket, "any bucket of the role's own account" includes it.
 */
function copiesInPlaceAndToQuarantineBuckets(options: ScopeOptions): boolean {
  return options.quarantineCopies?.ownBucket === true && (options.quarantineCopies?.buckets.length ?? 0) > 0;
}

/** The accounts that own the configured quarantine buckets (s3:ResourceAccount). */
function quarantineBucketOwners(options: ScopeOptions): string | string[] {
  return oneOrMany([...new Set((options.quarantineCopies?.buckets ?? []).map(({ bucketOwner }) => bucketOwner))].sort());
}

/** PutObjectTagging and its version form: what both S3 responders write an object's tag set with. */
const OBJECT_TAG_WRITES = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'];

/**
 * True for release-s3-object's role, the one that also deletes tag sets (DeleteObjectTagging): it
 * takes Firebreak's tags off infected objects. quarantine-s3-object's role never deletes a tag set;
 * it only marks objects infected.
 */
function rewritesInfectedTags(requested: ReadonlySet<string>): boolean {
  return requested.has('s3:DeleteObjectTagging');
}

function tagsInstances(requested: ReadonlySet<string>): boolean {
  return INSTANCE_CHANGING.some((action) => requested.has(action));
}

function oneOrMany(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}

function present(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

/** One scope per group of APIs, in statement order. */

/**
 * ModifySnapshotAttribute on evidence snapshots for the forensic copy, one direction only: `Add`
 * shares with the forensic account, `Remove` takes that share away; the other direction's keys and
 * the `all` group must be absent (Null), and the direction's user ids must all be the forensic account.
 */
function forensicShareScope(sid: string, side: 'Add' | 'Remove', what: string): ActionScope {
  const other = side === 'Add' ? 'Remove' : 'Add';
  return {
    sid,
    applies: (options) => options.forensicAccountId !== undefined,
    actions: requestedOf('ec2:ModifySnapshotAttribute'),
    resources: (arns) => [arns.snapshots],
    conditions: (_requested, options) => ({
      StringEquals: {
        [`aws:ResourceTag/${EVIDENCE_TAG_KEYS.evidence}`]: 'true',
        'ec2:Attribute': 'createVolumePermission',
      },
      'ForAllValues:StringEquals': { [`ec2:${side}/userId`]: options.forensicAccountId as string },
      Null: { [`ec2:${side}/group`]: 'true', [`ec2:${side}/userId`]: 'false', [`ec2:${other}/group`]: 'true', [`ec2:${other}/userId`]: 'true' },
    }),
    why: `Evidence snapshot ids are known only at run time and snapshot ARNs carry no account id; the aws:ResourceTag/${EVIDENCE_TAG_KEYS.evidence} and ec2:${side}/userId conditions limit the statement to ${what}.`,
  };
}

const SCOPES: readonly ActionScope[] = [
  {
    sid: 'DescribeForContainmentAndEvidence',
    actions: (requested) =>
      [...requested].filter((action) => /^ec2:Describe[A-Za-z]+$/.test(action) && action !== 'ec2:DescribeInstanceAttribute').sort(),
    resources: () => ['*'],
    why: `EC2 Describe* list actions do not support resource-level permissions: the EC2 Service Authorization Reference lists no resource type for them (${EC2_REFERENCE}).`,
  },
  {
    sid: 'ReadInstanceAttributes',
    actions: requestedOf('ec2:DescribeInstanceAttribute'),
    resources: (arns) => [arns.ec2('instance')],
    why: 'The instance a finding names is known only at run time; DescribeInstanceAttribute authorizes on the instance.',
  },
  {
    // Release moves each ENI back to its recorded groups, whichever they are; quarantine's ENI
    // half is here too, its groups in IntoFirebreakGroupsOnly below.
    sid: 'MoveNetworkInterfacesBetweenGroups',
    actions: requestedOf('ec2:ModifyNetworkInterfaceAttribute'),
    resources: (arns, requested) => [arns.ec2('network-interface'), ...(isolatesInFirebreakGroups(requested) ? [] : [arns.ec2('security-group')])],
    why: 'Containment moves every ENI of the instance a finding names (known only at run time) to the isolation groups, and release moves it back to its recorded groups; the API authorizes on the ENI and on each group.',
  },
  {
    // Quarantine puts only Firebreak's own groups (tagged at creation, which TagIsolationGroupsAtCreation
    // alone may do) on an ENI: never an application group, one open to the internet say. The
    // reference lists aws:ResourceTag on ModifyNetworkInterfaceAttribute's optional security-group
    // resource; whether EC2 authorizes the groups there is untried in a live account (if it did
    // not, this narrows nothing and breaks nothing).
    sid: 'IntoFirebreakGroupsOnly',
    actions: (requested) => (isolatesInFirebreakGroups(requested) ? requestedOf('ec2:ModifyNetworkInterfaceAttribute')(requested) : []),
    resources: (arns) => [arns.ec2('security-group')],
    conditions: () => ({
      StringEquals: { [`aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value },
    }),
    why: `Isolation group ids are known only at run time; the aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key} condition limits the groups quarantine may put on an ENI to the ones Firebreak created (${EC2_REFERENCE}).`,
  },
  {
    sid: 'ContainInstances',
    actions: requestedOf(...INSTANCE_CHANGING),
    resources: (arns) => [arns.ec2('instance')],
    why: 'The instance a finding names is known only at run time; these APIs authorize on the instance.',
  },
  {
    // ContainInstances allows every attribute of the instance (userData runs as root at the next
    // start; groupSet swaps its security groups). Quarantine and release set three only, so the
    // others are denied. A Deny, not a condition on the Allow: the values EC2 puts in ec2:Attribute
    // come from the Service Authorization Reference and the API's Attribute enum, untried against a
    // live account, and a Deny that does not match narrows nothing (fails open), where an Allow that
    // does not match would break containment (fail closed).
    sid: 'DenyInstanceAttributesFirebreakNeverSets',
    effect: iam.Effect.DENY,
    actions: requestedOf('ec2:ModifyInstanceAttribute'),
    resources: (arns) => [arns.ec2('instance')],
    conditions: () => ({ StringEqualsIgnoreCase: { 'ec2:Attribute': [...INSTANCE_ATTRIBUTES_NEVER_SET] } }),
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    sid: 'MoveElasticIpsOfContainedInstances',
    actions: requestedOf('ec2:DisassociateAddress', 'ec2:AssociateAddress'),
    resources: (arns) => [arns.ec2('elastic-ip'), arns.ec2('network-interface')],
    why: 'Quarantine disassociates the Elastic IPs of the instance a finding names and release re-associates them with the recorded ENI; both are known only at run time, and the APIs authorize on the address and the ENI.',
  },
  {
    // Only tagged as Firebreak's: every group the role can create is one it may later change the
    // rules of and put on an ENI, and no other.
    sid: 'CreateIsolationGroups',
    actions: requestedOf('ec2:CreateSecurityGroup'),
    resources: (arns) => [arns.ec2('security-group')],
    conditions: () => ({
      StringEquals: { [`aws:RequestTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value },
    }),
    why: `Isolation groups are created on first need, with ids that cannot be known in advance; aws:RequestTag/${MANAGED_SECURITY_GROUP_TAG.key} makes each carry Firebreak's tag.`,
  },
  {
    sid: 'CreateIsolationGroupsInAnyVpc',
    actions: requestedOf('ec2:CreateSecurityGroup'),
    resources: (arns) => [arns.ec2('vpc')],
    why: 'Isolation groups are created on first need in whatever VPC the contained instance lives in, known only at run time.',
  },
  {
    sid: 'ChangeRulesOfFirebreakGroupsOnly',
    actions: requestedOf(
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:DeleteSecurityGroup',
    ),
    resources: (arns) => [arns.ec2('security-group')],
    // Only groups Firebreak created (tagged at creation; TagIsolationGroupsAtCreation forbids tagging
    // an existing group) can have their rules changed: no application group can be opened.
    conditions: () => ({
      StringEquals: { [`aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value },
    }),
    why: `Isolation group ids are known only at run time; the aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key} condition limits the statement to the groups Firebreak created.`,
  },
  {
    sid: 'SnapshotVolumesForEvidence',
    actions: requestedOf('ec2:CreateSnapshots', 'ec2:CreateSnapshot'),
    resources: (arns, requested) => [...(requested.has('ec2:CreateSnapshots') ? [arns.ec2('instance')] : []), arns.ec2('volume')],
    why: 'Evidence covers every volume of the instance a finding names, known only at run time.',
  },
  {
    // Every snapshot the role creates is tagged evidence, so every one is lockable
    // (LockEvidenceSnapshots) and shareable with the forensic account as evidence, and no other is.
    // Its tag keys cannot be limited: CopyTagsFromSource copies the volume's own.
    sid: 'CreateEvidenceSnapshotsOnly',
    actions: requestedOf('ec2:CreateSnapshots', 'ec2:CreateSnapshot'),
    resources: (arns) => [arns.snapshots],
    conditions: () => ({ StringEquals: { [`aws:RequestTag/${EVIDENCE_TAG_KEYS.evidence}`]: 'true' } }),
    why: `New snapshot ids cannot be known in advance and snapshot ARNs carry no account id; aws:RequestTag/${EVIDENCE_TAG_KEYS.evidence} makes each carry Firebreak's evidence tag.`,
  },
  {
    // Only Firebreak's evidence snapshots (tagged at creation, TagResourcesAtCreation) can be
    // locked: the role cannot lock (and so pin the storage costs of) any other snapshot.
    sid: 'LockEvidenceSnapshots',
    actions: requestedOf('ec2:LockSnapshot'),
    // Only for as long as the deployed playbooks lock (ec2:SnapshotLockDuration, the request's
    // LockDuration in days; Firebreak never locks with an ExpirationDate, which the condition refuses).
    resources: (arns) => [arns.snapshots],
    conditions: (_requested, options) => ({
      StringEquals: { [`aws:ResourceTag/${EVIDENCE_TAG_KEYS.evidence}`]: 'true' },
      NumericLessThanEquals: { 'ec2:SnapshotLockDuration': String(options.evidenceLockMaxDays) },
    }),
    why: `Evidence snapshot ids are known only at run time and snapshot ARNs carry no account id; the aws:ResourceTag/${EVIDENCE_TAG_KEYS.evidence} condition limits the statement to the evidence snapshots Firebreak tagged at creation, and ec2:SnapshotLockDuration to the longest lock the deployed playbooks configure.`,
  },
  // Sharing evidence with the forensic account, and with nobody else: only snapshots Firebreak
  // tagged as evidence, only the createVolumePermission attribute, only adding that one account
  // (ec2:Add/userId; ec2:Add/group would be `all`, which ForAllValues on userId alone cannot stop,
  // so the group key is denied by its absence: Null = true), and removing nobody.
  forensicShareScope('ShareEvidenceWithTheForensicAccount', 'Add', 'sharing Firebreak\'s evidence with the forensic account only'),
  // Taking the forensic account's share away again once its copy completed (copy-evidence), and
  // nothing else: removing only that account, never adding anyone nor touching `all`.
  forensicShareScope('UnshareEvidenceFromTheForensicAccount', 'Remove', 'removing the forensic account\'s share of Firebreak\'s evidence once its copy completed'),
  {
    // Firebreak's own tag keys only (FIREBREAK_TAGS, the only keys quarantine and release write):
    // the role can neither take the protected tag key off an instance nor opt one in to game days
    // (firebreak:gameday-target). DeleteTags without Tags deletes every user tag of the instance
    // and carries no aws:TagKeys, which ForAllValues alone would let through: Null = false refuses it.
    sid: 'TagContainedInstances',
    actions: (requested) => (tagsInstances(requested) ? requestedOf('ec2:CreateTags', 'ec2:DeleteTags')(requested) : []),
    resources: (arns) => [arns.ec2('instance')],
    conditions: () => ({
      'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(FIREBREAK_TAGS) },
      Null: { 'aws:TagKeys': 'false' },
    }),
    why: `Contained instances are tagged with the incident key and status (release restores their tags); the instance is known only at run time, and aws:TagKeys limits the statement to Firebreak's own keys (${Object.values(FIREBREAK_TAGS).join(', ')}).`,
  },
  {
    // The isolation groups' tags at creation, and those keys only (aws:TagKeys): no tag another
    // policy grants access by rides along on a group Firebreak creates.
    sid: 'TagIsolationGroupsAtCreation',
    actions: (requested) => (creationTagging(requested, 'security-group').length > 0 ? ['ec2:CreateTags'] : []),
    resources: (arns) => [arns.ec2('security-group')],
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
    conditions: (requested) => ({
      StringEquals: { 'ec2:CreateAction': oneOrMany(creationTagging(requested, 'security-group').map(({ createAction }) => createAction)) },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [...SECURITY_GROUP_TAG_KEYS] },
    }),
    why: `Creation-time tags (TagSpecifications) on the isolation groups Firebreak creates; ec2:CreateAction forbids tagging an existing group, aws:TagKeys allows Firebreak's keys only (${SECURITY_GROUP_TAG_KEYS.join(', ')}).`,
  },
  {
    sid: 'TagResourcesAtCreation',
    actions: (requested) => (creationTagging(requested, 'snapshot').length > 0 ? ['ec2:CreateTags'] : []),
    resources: (arns) => [arns.snapshots],
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
    conditions: (requested) => ({
      StringEquals: { 'ec2:CreateAction': oneOrMany(creationTagging(requested, 'snapshot').map(({ createAction }) => createAction)) },
    }),
    why: 'Creation-time tags (TagSpecifications) on the evidence snapshots Firebreak creates; ec2:CreateAction forbids tagging an existing snapshot.',
  },
  {
    sid: 'ListDnsFirewall',
    actions: requestedOf('route53resolver:ListFirewallDomainLists', 'route53resolver:ListFirewallRuleGroups', 'route53resolver:ListFirewallRuleGroupAssociations'),
    resources: () => ['*'],
    why: `These Route 53 Resolver List actions do not support resource-level permissions: the Service Authorization Reference lists no resource type for them (${RESOLVER_REFERENCE}).`,
  },
  {
    // Created tagged firebreak:managed=true and only so: the condition keys are the ones the
    // reference lists for these actions (aws:RequestTag, aws:TagKeys). No other key: the code sends
    // none, and a tag another policy grants access by (ABAC) would hand Firebreak's list, group or
    // association to whoever that policy names.
    sid: 'CreateFirebreakDnsFirewall',
    actions: requestedOf('route53resolver:CreateFirewallDomainList', 'route53resolver:CreateFirewallRuleGroup', 'route53resolver:AssociateFirewallRuleGroup'),
    resources: (arns, requested) =>
      resolverArns(
        arns,
        ...(requested.has('route53resolver:CreateFirewallDomainList') ? ['firewall-domain-list'] : []),
        ...(requested.has('route53resolver:CreateFirewallRuleGroup') ? ['firewall-rule-group'] : []),
        ...(requested.has('route53resolver:AssociateFirewallRuleGroup') ? ['firewall-rule-group-association'] : []),
      ),
    conditions: () => ({
      StringEquals: { [`aws:RequestTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_SECURITY_GROUP_TAG.key] },
    }),
    why: `Firebreak's domain list, rule group and VPC associations are created on first need, with ids that cannot be known in advance; aws:RequestTag/${MANAGED_SECURITY_GROUP_TAG.key} makes each carry Firebreak's tag, and aws:TagKeys no other.`,
  },
  {
    // Only the domain list and rule group Firebreak created (tagged at creation, above): a list or
    // group someone else made under Firebreak's name is neither read nor changed. The reference
    // lists aws:ResourceTag on both resource types, which every one of these actions (the two
    // List actions included) authorizes on.
    sid: 'BlockDomainsInFirebreakDnsFirewall',
    actions: requestedOf('route53resolver:ListFirewallDomains', 'route53resolver:UpdateFirewallDomains', 'route53resolver:ListFirewallRules', 'route53resolver:CreateFirewallRule'),
    resources: (arns, requested) =>
      resolverArns(
        arns,
        'firewall-domain-list',
        ...(requested.has('route53resolver:ListFirewallRules') || requested.has('route53resolver:CreateFirewallRule') ? ['firewall-rule-group'] : []),
      ),
    conditions: () => ({ StringEquals: { [`aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key}`]: MANAGED_SECURITY_GROUP_TAG.value } }),
    why: `Firebreak's domain list and rule group are created in each member account and region on first need, so their ids are known only at run time; aws:ResourceTag/${MANAGED_SECURITY_GROUP_TAG.key} (listed on both resource types: ${RESOLVER_REFERENCE}) limits the statement to the ones Firebreak created.`,
  },
  {
    // The object a Malware Protection for S3 scan names (any bucket, any key: known only at run
    // time), and only in the role's own account: bucket names are global, s3:ResourceAccount is not.
    sid: 'ReadScannedObjects',
    actions: requestedOf('s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    conditions: (_requested, _options, arns) => ({ StringEquals: { 's3:ResourceAccount': arns.s3?.account ?? '' } }),
    why: `The bucket and key a Malware Protection for S3 scan names are known only at run time; s3:ResourceAccount limits the statement to objects of the role's own account (${S3_REFERENCE}).`,
  },
  {
    // Object tags drive access (bucket policies on s3:ExistingObjectTag) and lifecycle expiry, so a
    // tag set is written only as Firebreak writes it. Both S3 roles may write a set that marks the
    // object infected (s3:RequestObjectTag): quarantine to tag it, release to put the infected tags
    // back when a quarantine claimed the version while its own write took them off (the tag is then
    // gone, so RetagInfectedObjects below does not allow it; release-s3-object.ts).
    //
    // In the account that owns a quarantine bucket, "any object of the account" includes every other
    // account's copies there (row 16m): these three tag statements name any key but the quarantine
    // buckets' (NotResource; the object is the only resource type of their actions, so the statement
    // is the old grant less those buckets). A copy's own tags there are TagQuarantineCopiesInQuarantineBuckets'.
    sid: 'TagObjectsInfected',
    actions: requestedOf(...OBJECT_TAG_WRITES),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    notResources: (arns, _requested, options) => quarantineBucketKeys(arns, options),
    conditions: (_requested, _options, arns) => ({
      StringEquals: { 's3:ResourceAccount': arns.s3?.account ?? '', [`s3:RequestObjectTag/${MALWARE_OBJECT_TAGS.scan.key}`]: MALWARE_OBJECT_TAGS.scan.value },
    }),
    why: `The object a scan names is known only at run time; s3:RequestObjectTag/${MALWARE_OBJECT_TAGS.scan.key} admits only a tag set that marks it infected, in the role's own account (${S3_REFERENCE}).`,
  },
  {
    // Release (the role that also deletes tag sets) rewrites the tags only of an object still
    // tagged infected, as its delete below: s3:ExistingObjectTag.
    sid: 'RetagInfectedObjects',
    actions: (requested) => (rewritesInfectedTags(requested) ? requestedOf(...OBJECT_TAG_WRITES)(requested) : []),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    notResources: (arns, _requested, options) => quarantineBucketKeys(arns, options),
    conditions: (_requested, _options, arns) => ({
      StringEquals: { 's3:ResourceAccount': arns.s3?.account ?? '', [`s3:ExistingObjectTag/${MALWARE_OBJECT_TAGS.scan.key}`]: MALWARE_OBJECT_TAGS.scan.value },
    }),
    why: `The object a release names is known only at run time; s3:ExistingObjectTag/${MALWARE_OBJECT_TAGS.scan.key} limits the statement to objects Firebreak tagged infected, in the role's own account (${S3_REFERENCE}).`,
  },
  {
    // Release deletes a tag set only where Firebreak's infected tag is still on the object.
    sid: 'UntagInfectedObjects',
    actions: requestedOf('s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    notResources: (arns, _requested, options) => quarantineBucketKeys(arns, options),
    conditions: (_requested, _options, arns) => ({
      StringEquals: { 's3:ResourceAccount': arns.s3?.account ?? '', [`s3:ExistingObjectTag/${MALWARE_OBJECT_TAGS.scan.key}`]: MALWARE_OBJECT_TAGS.scan.value },
    }),
    why: `The object a release names is known only at run time; s3:ExistingObjectTag/${MALWARE_OBJECT_TAGS.scan.key} limits the statement to objects Firebreak tagged infected, in the role's own account.`,
  },
  {
    // GuardDuty's own verdict on the object (GuardDutyMalwareScanStatus=THREATS_FOUND): buckets deny
    // reading it by a policy on s3:ExistingObjectTag (AWS's tag-based access control for Malware
    // Protection for S3), so a tag set written without it, or with another value, makes the object
    // readable. Both S3 responders keep it in every set they write (rows 16n, 16o); these two Denies
    // hold the roles' own credentials to the same, whatever the code or a race sends: a write that
    // drops or changes the verdict, and a delete of a set that holds it (release deletes a set only
    // when it would be empty), are refused (row 16v).
    sid: 'DenyDroppingGuardDutyVerdict',
    effect: iam.Effect.DENY,
    actions: requestedOf(...OBJECT_TAG_WRITES),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    conditions: () => ({
      StringEquals: { [`s3:ExistingObjectTag/${GUARDDUTY_SCAN_STATUS_TAG_KEY}`]: THREATS_FOUND },
      StringNotEquals: { [`s3:RequestObjectTag/${GUARDDUTY_SCAN_STATUS_TAG_KEY}`]: THREATS_FOUND },
    }),
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    sid: 'DenyDeletingGuardDutyVerdict',
    effect: iam.Effect.DENY,
    actions: requestedOf('s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    conditions: () => ({ StringEquals: { [`s3:ExistingObjectTag/${GUARDDUTY_SCAN_STATUS_TAG_KEY}`]: THREATS_FOUND } }),
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    // The game-day opt-in (firebreak:gameday-target=true) lets drills act on a real object: only its
    // owner sets it. Both S3 responders write back the owner's own tags, never adding it; this Deny
    // holds the roles to that, a race included (the owner takes it off, or sets it to `false`, between
    // Firebreak's read of the tags and its write: the write is refused, and the retry reads the tags
    // again). The opt-in is the value, not the key: a write of `true` is refused unless the version
    // already holds `true`. StringNotEquals also matches when the version has no such tag (a negated
    // operator matches a key absent from the request context), so a key the owner set to another
    // value is covered as well as a missing one (row 16z; the Null test on the key alone was not:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    sid: 'DenyOptingObjectsInToGameDays',
    effect: iam.Effect.DENY,
    actions: requestedOf(...OBJECT_TAG_WRITES),
    resources: (arns) => present(arns.s3?.arn('*/*')),
    conditions: () => ({
      StringEquals: { [`s3:RequestObjectTag/${SECURITY_TAGS.gameDayTarget.key}`]: SECURITY_TAGS.gameDayTarget.value },
      StringNotEquals: { [`s3:ExistingObjectTag/${SECURITY_TAGS.gameDayTarget.key}`]: SECURITY_TAGS.gameDayTarget.value },
    }),
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    // The quarantine copy in the scanned object's own bucket (`quarantineCopy: {}`), under
    // firebreak-quarantine/ only, and only in the role's own account, as the objects it reads. Only
    // as quarantine-s3-object writes one (COPY_WRITE_CONDITIONS): a new copy, tagged infected. Its
    // tags (CopyObject's Tagging header is s3:PutObjectTagging too) are written under
    // TagObjectsInfected, as any object's of the account.
    //
    // The account that owns a quarantine bucket is a served account too (row 16l): there, any bucket
    // of the role's own account includes the quarantine bucket, and this statement would let the role
    // write under another account's directory (WriteQuarantineCopiesToQuarantineBuckets names its own
    // only). IAM has no condition key on the object key, and no pattern of `*` and `?` matches "any
    // bucket but one", so with quarantine buckets configured the statement is written as "any key but
    // the quarantine buckets'" (NotResource) and DenyWritesOutsideTheQuarantinePrefix below keeps it
    // under firebreak-quarantine/: together, the same grant less the quarantine buckets, in every
    // account the template is deployed to (only the owner's changes; the others never reached them).
    sid: 'WriteQuarantineCopies',
    applies: (options) => options.quarantineCopies?.ownBucket === true,
    actions: (requested) => (requested.has('s3:PutObject') ? ['s3:PutObject'] : []),
    resources: (arns) => present(arns.s3?.arn(`*/${QUARANTINE_PREFIX}*`)),
    notResources: (arns, _requested, options) => (copiesInPlaceAndToQuarantineBuckets(options) ? quarantineBucketKeys(arns, options) : []),
    conditions: (_requested, _options, arns) => copyWriteConditions(arns.s3?.account ?? ''),
    why: `Quarantine copies go under ${QUARANTINE_PREFIX} of the scanned object's own bucket, known only at run time; s3:ResourceAccount limits the statement to buckets of the role's own account, and the write must be a copy (s3:x-amz-copy-source), onto a free key (s3:if-none-match) and tagged as Firebreak tags a copy (s3:RequestObjectTag, s3:RequestObjectTagKeys; ${S3_REFERENCE}).`,
  },
  {
    // The bound of WriteQuarantineCopies' NotResource form: no s3:PutObject outside
    // firebreak-quarantine/, whatever an Allow says (an explicit Deny wins over every Allow).
    sid: 'DenyWritesOutsideTheQuarantinePrefix',
    effect: iam.Effect.DENY,
    applies: copiesInPlaceAndToQuarantineBuckets,
    actions: (requested) => (requested.has('s3:PutObject') ? ['s3:PutObject'] : []),
    resources: () => [],
    notResources: (arns) => present(arns.s3?.arn(`*/${QUARANTINE_PREFIX}*`)),
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    // The quarantine buckets the playbooks name (`quarantineCopy: { bucket, bucketOwner }`), known
    // at synth: those buckets only, under firebreak-quarantine/ only, and only while a configured
    // owner owns them (bucket names are global: a bucket deleted and re-created elsewhere is not written).
    sid: 'WriteQuarantineCopiesToQuarantineBuckets',
    applies: (options) => (options.quarantineCopies?.buckets.length ?? 0) > 0,
    actions: (requested) => (requested.has('s3:PutObject') ? ['s3:PutObject'] : []),
    resources: (arns, _requested, options) => quarantineBucketArns(arns, options),
    conditions: (_requested, options) => copyWriteConditions(quarantineBucketOwners(options)),
    why: `The key of a quarantine copy (${QUARANTINE_PREFIX}<account>/<bucket>/<key>) names the scanned object, known only at run time; the bucket is the configured quarantine bucket and s3:ResourceAccount its configured owner, the key under the role's own account's directory only (the bucket holds every served account's copies), and the write must be a copy onto a free key, tagged as Firebreak tags a copy (${S3_REFERENCE}).`,
  },
  {
    // The copy's tags in a quarantine bucket (CopyObject's Tagging header is s3:PutObjectTagging
    // too): only the set Firebreak writes on a copy. TagObjectsInfected does not reach there (its
    // s3:ResourceAccount is the role's own account).
    sid: 'TagQuarantineCopiesInQuarantineBuckets',
    applies: (options) => (options.quarantineCopies?.buckets.length ?? 0) > 0,
    actions: (requested) => (requested.has('s3:PutObject') ? ['s3:PutObjectTagging'] : []),
    resources: (arns, _requested, options) => quarantineBucketArns(arns, options),
    conditions: (_requested, options) => copyTagConditions(quarantineBucketOwners(options)),
    why: `The key of a quarantine copy names the scanned object, known only at run time; the bucket is the configured quarantine bucket, s3:ResourceAccount its configured owner, and the tag set only the one Firebreak writes on a copy (${S3_REFERENCE}).`,
  },
  {
    // A quarantine copy of an SSE-KMS object: S3 decrypts the source and encrypts the copy (under the
    // bucket's default SSE-KMS key) with the caller's permissions on the keys
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).
    // Only through S3 (kms:ViaService), only for S3 object encryption (S3 puts the object's ARN, or
    // the bucket's with an S3 Bucket Key, in the encryption context), only the account's own keys.
    sid: 'DecryptScannedObjectsThroughS3',
    actions: (requested) => (requested.has('s3:PutObject') ? ['kms:Decrypt', 'kms:GenerateDataKey'] : []),
    resources: (arns) => present(arns.s3 !== undefined ? arns.regional?.('kms', 'key/*') : undefined),
    conditions: (_requested, _options, arns) => ({
      StringLike: { 'kms:ViaService': 's3.*.amazonaws.com', [`kms:EncryptionContext:${S3_ENCRYPTION_CONTEXT_KEY}`]: arns.s3?.arn('*') ?? '' },
    }),
    why: `The key of an SSE-KMS object (and its bucket's default key) is known only at run time; the statement admits only the role's own account's keys, used through S3 (kms:ViaService) to encrypt or decrypt an S3 object (kms:EncryptionContext:${S3_ENCRYPTION_CONTEXT_KEY}), and only when a deployed playbook copies objects to quarantine.`,
  },
  {
    sid: 'PassInstanceRolesBackToEc2',
    actions: requestedOf('iam:PassRole'),
    resources: (arns) => [arns.iam('role')],
    // Release re-associates the instance profile recorded at quarantine time, whose role is only
    // known then: the receiving service can be pinned, the role cannot. Release checks the record's
    // MAC first, and whatever the record says, DenyProtectedRoles below keeps Firebreak's own,
    // administrator and break-glass roles out of reach.
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }),
    why: 'Release re-associates the instance profile recorded at quarantine time, whose role is known only then; iam:PassedToService limits the pass to EC2 and DenyProtectedRoles excludes Firebreak\'s own, administrator and break-glass roles.',
  },
  {
    sid: 'ReadInstanceProfiles',
    actions: requestedOf('iam:GetInstanceProfile'),
    resources: (arns) => [arns.iam('instance-profile')],
    why: 'The instance profile of a contained instance is known only at run time.',
  },
  {
    sid: 'RevokeInstanceRoleSessions',
    actions: requestedOf(...ROLE_POLICY_WRITES),
    resources: (arns) => [arns.iam('role')],
    why: 'Revoking sessions writes a deny-older-sessions inline policy to a role known only at run time: the role of the quarantined instance\'s profile (quarantine-instance with revokeRoleSessions, resolved from EC2) or the role a finding names (revoke-role-sessions: a claim of the finding, checked by its rails and the role\'s tags read with GetRole first); release-credentials deletes only the policy it recorded. IAM offers no condition key on policy content, so DenyProtectedRoles keeps Firebreak\'s own, administrator and break-glass roles out of reach whatever the finding names.',
  },
  {
    sid: 'ReadNamedRoles',
    actions: requestedOf('iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole'),
    resources: (arns) => [arns.iam('role')],
    why: 'The containment guard and revoke-role-sessions read the tags of the role a finding names (protected, game-day opt-in), quarantine-instance those of the role of the instance\'s profile before revoking its sessions, release-credentials reads the revoke-sessions policy it recorded before deleting it, and both revoking steps list the instance profiles holding the role (ListInstanceProfilesForRole, authorized on the role) to find a protected instance holding it; the role is known only at run time.',
  },
  {
    // ListAccessKeys rather than GetAccessKeyLastUsed for "is this key the named user's": both are
    // authorized on a user (Service Authorization Reference: resource type user*, no condition key),
    // but ListAccessKeys on the user the finding names, GetAccessKeyLastUsed on whoever owns the key;
    // and ListAccessKeys is a List action, answering the user's key ids and their status only.
    // GetAccessKeyLastUsed only follows a key whose user IAM no longer knows by the finding's name
    // (renamed since: renamed-key-owner.ts, followKeyToRenamedUser), for the guard and
    // disable-access-key alone (release-credentials acts on the name its record gives); no narrower
    // resource than user/* exists for it.
    sid: 'ReadNamedUsers',
    actions: requestedOf('iam:GetUser', 'iam:ListUserTags', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'),
    resources: (arns) => [arns.iam('user')],
    why: 'The containment guard (before it takes a blast-radius slot), disable-access-key and release-credentials read the IAM user a finding names: its path (privileged name patterns, as the deny reads its ARN) and tags (GetUser; release-credentials ListUserTags: protected, game-day opt-in) and its access keys (the finding\'s key must be that user\'s); the guard and disable-access-key follow the finding\'s key to its owner (GetAccessKeyLastUsed) when IAM knows no user of the finding\'s name (renamed since the finding); the user is known only at run time.',
  },
  {
    sid: 'DisableAccessKeysOfNamedUsers',
    actions: requestedOf('iam:UpdateAccessKey', 'iam:ListAttachedUserPolicies'),
    resources: (arns) => [arns.iam('user')],
    why: 'disable-access-key acts on the IAM user a finding names, known only at run time; UpdateAccessKey has no condition key on the new status, so DenyProtectedUsers keeps administrator and break-glass users out of reach and the responder checks the user\'s tags and that the key is its own first.',
  },
  {
    // Attaching is limited to AWS's managed AWSDenyAll: this statement cannot grant a user anything
    // (iam:PolicyARN, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PolicyARN).
    sid: 'AttachDenyAllToNamedUsers',
    actions: requestedOf('iam:AttachUserPolicy', 'iam:DetachUserPolicy'),
    resources: (arns) => [arns.iam('user')],
    conditions: () => ({ ArnLike: { 'iam:PolicyARN': DENY_ALL_POLICY_ARN } }),
    why: 'disable-access-key attaches AWSDenyAll to the IAM user a finding names, known only at run time; the iam:PolicyARN condition allows no other policy, so nothing can be granted through it.',
  },
  {
    // user/* above includes the account's administrators and break-glass users.
    sid: 'DenyProtectedUsers',
    effect: iam.Effect.DENY,
    actions: requestedOf('iam:UpdateAccessKey', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy'),
    resources: (arns) => [...(arns.privilegedUsers ?? [])],
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    // role/* above includes Firebreak's own roles and the account's administrators: without the
    // deny a role could write itself (or an admin role) a policy, or hand an admin role to an
    // instance it controls. An explicit Deny wins over every Allow, in every policy.
    sid: 'DenyProtectedRoles',
    effect: iam.Effect.DENY,
    actions: requestedOf('iam:PassRole', ...ROLE_POLICY_WRITES),
    resources: (arns) => [...new Set([...arns.ownRoles, ...(arns.privilegedRoles ?? [])])],
    why: 'Not a finding: a Deny grants nothing.',
  },
  {
    // The protected tag key, enforced by IAM as well as read by the guard and the steps: a forged
    // or buggy step that skips or misreads the tags still cannot contain a user, role or instance
    // carrying it (any value: the code's rule is the key's presence). Only the resource types
    // carrying the tag are named; release roles are never given it (RELEASING_RESPONDERS).
    sid: 'DenyProtectedTagKey',
    effect: iam.Effect.DENY,
    applies: (options) => options.protectedTagKey !== undefined,
    actions: requestedOf(...PROTECTED_TAG_DENIED_ACTIONS),
    resources: (arns, requested) => [
      ...(PROTECTED_TAG_DENIED_ACTIONS.some((action) => action.startsWith('ec2:') && requested.has(action)) ? [arns.ec2('instance')] : []),
      ...(requested.has('iam:PutRolePolicy') ? [arns.iam('role')] : []),
      ...(requested.has('iam:UpdateAccessKey') || requested.has('iam:AttachUserPolicy') ? [arns.iam('user')] : []),
    ],
    conditions: (_requested, options) => ({ Null: { [`aws:ResourceTag/${options.protectedTagKey as string}`]: 'false' } }),
    why: 'Not a finding: a Deny grants nothing.',
  },
  ...FLEET_SCOPES,
  {
    // The hub of the role's own account (any region: findings are updated where they were made),
    // and only to set the workflow statuses Firebreak uses: the condition key is absent from a
    // request without a workflow status, so such a request is denied too.
    sid: 'WriteBackToSecurityHubFindings',
    actions: requestedOf('securityhub:BatchUpdateFindings'),
    resources: (arns) => (arns.regional ? [arns.regional('securityhub', 'hub/default')] : []),
    // Only the two fields it sends: one of its statuses, and a note signed as Firebreak's. Every
    // other field BatchUpdateFindings can change must be absent (IAM ANDs the keys of a Null
    // condition), so the role cannot hide a finding by its severity or verification state either.
    conditions: (_requested, options) => ({
      StringEquals: {
        // Only the statuses the deployed steps set: no RESOLVED where no playbook resolves (row 13d).
        'securityhub:ASFFSyntaxPath/Workflow.Status': [...(options.securityHubWorkflowStatuses ?? [])],
        'securityhub:ASFFSyntaxPath/Note.UpdatedBy': SECURITY_HUB_NOTE_AUTHOR,
      },
      Null: Object.fromEntries(SECURITY_HUB_FIELDS_NEVER_SET.map((field) => [`securityhub:ASFFSyntaxPath/${field}`, 'true'])),
    }),
    why: `BatchUpdateFindings authorizes on the account's hub (hub/default) in the finding's region, which is known only at run time; the securityhub:ASFFSyntaxPath conditions allow only the statuses the deployed steps set, its own note, and no other field (${SECURITY_HUB_REFERENCE}).`,
  },
  {
    sid: 'PublishAlerts',
    actions: requestedOf('sns:Publish'),
    resources: (arns) => present(arns.alertTopic),
    why: 'One topic ARN.',
  },
  {
    // SNS encrypts each message with a data key from the topic's key on the publisher's behalf
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse).
    sid: 'EncryptAlertsWithTheTopicKey',
    actions: (requested) => (requested.has('sns:Publish') ? ['kms:Decrypt', 'kms:GenerateDataKey'] : []),
    resources: (arns) => present(arns.alertKey),
    why: 'One key ARN.',
  },
  {
    sid: 'KeepIncidentState',
    actions: (requested) => [...requested].filter((action) => action.startsWith('dynamodb:')).sort(),
    resources: (arns) => present(arns.stateTable),
    // Fine-grained access control: a responder reads and writes only its own kind of item
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
    conditions: (_requested, options) =>
      options.stateTableKeys === undefined || options.stateTableKeys.length === 0
        ? undefined
        : { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': oneOrMany(options.stateTableKeys) } },
    why: 'One table ARN.',
  },
  {
    // A second, read-only statement: the grants and approvals a mutating responder checks (and the
    // pre-quarantine record unblock-dns-domains checks). Only GetItem: a responder that could write
    // `grant#` items could clear itself.
    sid: 'ReadContainmentGrants',
    applies: (options) => (options.stateTableReadOnlyKeys ?? []).length > 0,
    actions: (requested) => (requested.has('dynamodb:GetItem') ? ['dynamodb:GetItem'] : []),
    resources: (arns) => present(arns.stateTable),
    conditions: (_requested, options) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': oneOrMany(options.stateTableReadOnlyKeys ?? []) } }),
    why: 'One table ARN.',
  },
  {
    sid: 'VerifyPlaybookExecutions',
    actions: requestedOf('states:DescribeExecution'),
    resources: (arns) => [...(arns.playbookExecutions ?? [])],
    why: "The execution the containment guard clears, and whose grant a responder acts under only while it runs, is known only at run time; the statement names each guarded playbook of this deployment (<stackName>-<playbook>), the only executions the guard can clear: not the dispatcher's, an unguarded playbook's or another stack's.",
  },
];

/** A statement with the wildcard resources it grants and why they cannot be narrower. */
export interface PlannedStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcards: ReadonlyArray<{ readonly resource: string; readonly why: string }>;
}

/**
 * Groups `actions` into scoped statements; throws on a wildcard action or one without a scoping
 * rule. Associating an instance profile adds the iam:PassRole it needs.
 */
export function planStatements(actions: Iterable<string>, arns: ScopeArns, options: ScopeOptions = {}): PlannedStatement[] {
  const requested = new Set(actions);
  for (const action of requested) {
    if (action.includes('*')) throw new Error(`'${action}' is a wildcard action; list the exact actions a responder needs`);
  }
  if ([...requested].some((action) => NEEDS_PASS_ROLE.has(action))) requested.add('iam:PassRole');
  if (requested.has('ec2:LockSnapshot') && options.evidenceLockMaxDays === undefined) {
    throw new Error('ec2:LockSnapshot (a snapshot-volumes step with lock) is granted only up to the longest deployed lock: pass evidenceLockMaxDays (evidenceLockMaxDays(playbooks))');
  }
  const hubStatuses = options.securityHubWorkflowStatuses ?? [];
  if (requested.has('securityhub:BatchUpdateFindings') && (hubStatuses.length === 0 || !hubStatuses.every((status) => (SECURITY_HUB_WORKFLOW_STATUSES as readonly string[]).includes(status)))) {
    throw new Error('securityhub:BatchUpdateFindings is granted only for the workflow statuses the deployed steps set: pass securityHubWorkflowStatuses (securityHubWorkflowStatuses(playbooks)), one or more of NOTIFIED and RESOLVED');
  }
  if (requested.has('s3:PutObject') && options.quarantineCopies === undefined) {
    throw new Error('s3:PutObject (a quarantine-s3-object step with quarantineCopy) is granted only where the copies go: pass quarantineCopies (quarantineCopyDestinations(playbooks))');
  }
  const granted = new Set<string>();
  const planned: PlannedStatement[] = [];
  for (const scope of SCOPES) {
    if (scope.applies !== undefined && !scope.applies(options)) continue;
    const scopeActions = scope.actions(requested);
    const notResources = scope.notResources?.(arns, requested, options) ?? [];
    const resources = notResources.length > 0 ? [] : scope.resources(arns, requested, options);
    if (scopeActions.length === 0 || (resources.length === 0 && notResources.length === 0)) continue;
    const effect = scope.effect ?? iam.Effect.ALLOW;
    if (effect === iam.Effect.ALLOW) scopeActions.forEach((action) => granted.add(action));
    const conditions = scope.conditions?.(requested, options, arns);
    planned.push({
      statement: new iam.PolicyStatement({
        sid: scope.sid,
        effect,
        actions: scopeActions,
        ...(notResources.length > 0 ? { notResources } : { resources }),
        ...(conditions ? { conditions } : {}),
      }),
      wildcards:
        effect === iam.Effect.ALLOW
          ? resources.filter((resource) => resource.includes('*')).map((resource) => ({ resource, why: scope.why }))
          : [],
    });
  }
  const ungranted = [...requested].filter((action) => !granted.has(action)).sort();
  if (ungranted.length > 0) {
    throw new Error(
      `no scoping rule for ${ungranted.join(', ')}; add one to SCOPES in lib/stack/iam-scopes.ts rather than granting it on '*'`,
    );
  }
  return planned;
}

/** The statements of a security-account responder role (see `planStatements`). */
export function planResponderStatements(actions: Iterable<string>, arns: ResponderArns, options: ScopeOptions = {}): PlannedStatement[] {
  return planStatements(actions, arns, options);
}

/** How cdk-nag prints a resolved resource: `{ Ref: X }` becomes `<X>`, `Fn::GetAtt` becomes `<Id.Attr>`. */
export function nagResourceName(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof resolved === 'object' && resolved !== null) {
    const record = resolved as Record<string, unknown>;
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.map(nagResourceName).join('.')}>`;
    if (typeof record['Fn::Sub'] === 'string') return nagResourceName(record['Fn::Sub']);
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(nagResourceName).join(join[0]);
    }
  }
  return JSON.stringify(resolved);
}

/**
 * cdk-nag's AwsSolutions-IAM5 reports every wildcard resource of an Allow statement. Acknowledges
 * each one individually on `scope`, with its reason: a new wildcard ARN pattern is a new,
 * unacknowledged finding. `Resource: *` is one finding per role (`Resource::*`), whatever actions
 * it carries, so a new action on `*` in a role that already has one is not:
 * test/stack/wildcard-resources.test.ts holds the actions allowed on `*` per role kind instead.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  wildcards: Iterable<{ readonly resource: string; readonly why: string }>,
): void {
  const stack = Stack.of(scope);
  const reasons = new Map<string, Set<string>>();
  for (const { resource, why } of wildcards) {
    const finding = `AwsSolutions-IAM5[Resource::${nagResourceName(stack.resolve(resource))}]`;
    reasons.set(finding, (reasons.get(finding) ?? new Set()).add(why));
  }
  for (const [id, whys] of reasons) Validations.of(scope).acknowledge({ id, reason: [...whys].join(' ') });
}

/** The Sids the scoping rules give their statements (game-day scenarios name them to remove one). */
export const STATEMENT_SIDS: readonly string[] = SCOPES.map((scope) => scope.sid);
