/**
 * The actions a playbook step can name. Each declares its options, the IAM actions its responder
 * needs (the stack grants exactly the union of what the deployed playbooks use) and whether it
 * changes resources (mutating steps are what approval and blast-radius rails guard). The option
 * schemas are zod/mini: the responders' Lambdas parse their options with them (lib/contracts/zod-mini.ts).
 */
import type * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
import { RESTORE_HOLD_WAIT_SECONDS } from '../contracts/restore-hold';
import { fleetQuarantineIamActions, fleetReleaseIamActions } from './fleet-iam';
import { copyEvidenceOptions, quarantineOptions, releaseOptions, snapshotOptions } from './instance-options';
import { RELEASE_EDGE_IAM_ACTIONS, containmentEdgeIamActions } from './containment-edges';
import { CREDENTIAL_ACTIONS } from './credential-actions';
import { DNS_ACTIONS } from './dns-actions';
import { PER_CREDENTIAL_ACTIONS } from './per-credential-actions';
import { PER_INSTANCE_ACTIONS } from './per-instance-actions';
import { S3_OBJECT_ACTIONS } from './s3-object-actions';
import { notifyOptions } from './notify-options';
import { SECURITY_HUB_ACTIONS } from './security-hub-actions';

export { evidenceLockOptions } from './instance-options';

export interface ActionDefinition {
  readonly name: string;
  readonly description: string;
  /** Options accepted under `with:`; strict, so a misspelt key is an error. */
  readonly options: z.ZodMiniType<Record<string, unknown>>;
  /** The responder (folder under `lambdas/`) that runs it. */
  readonly responder: string;
  /** IAM actions the responder needs for this action, in the account it acts in. */
  readonly iamActions: readonly string[];
  /** True when the action changes resources (and so is guarded by the safety rails). */
  readonly mutates: boolean;
  /** IAM actions needed only when an option is switched on (e.g. revoking role sessions). */
  readonly optionalIamActions?: (options: Record<string, unknown>) => readonly string[];
  /**
   * A wait the state machine does for the step: when the responder throws `error`, the compiled
   * Task retries it on this schedule (a Step Functions Retry, so no Lambda sleeps and no state
   * transitions beyond one per attempt), before the transient-error retrier.
   */
  readonly retryWhileWaiting?: (options: Record<string, unknown>) => WaitRetrier;
  /**
   * True when the step starts another playbook's executions instead of invoking its responder
   * (`contain-each-instance`: a Map of per-instance executions, compile-per-instance.ts).
   */
  readonly startsPlaybook?: boolean;
  /**
   * True when a guarded playbook invokes the responder once more before its approval, with
   * `preview: true`: a read that changes nothing, whose result the approval request shows (what
   * approving will and will not do, as the records said when it was asked; compile.ts `Preview-`).
   */
  readonly previewsBeforeApproval?: boolean;
}

/** One Step Functions retrier that waits for something (ASL `Retry` entry). */
export interface WaitRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxDelaySeconds: number;
  readonly MaxAttempts: number;
}

/** A wait's first delay, its growth and its cap, in seconds. */
interface WaitSchedule {
  readonly firstSeconds: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
}

/** The first wait, its growth and its cap: snapshots complete in minutes, a large first snapshot in hours. */
const EVIDENCE_WAIT: WaitSchedule = { firstSeconds: 60, backoffRate: 1.5, maxDelaySeconds: 600 };

/**
 * A release's restore takes seconds, so the first tries come soon after it (the common case: the
 * release is live and ends its hold); a hold left by a release that died lasts up to
 * RESTORE_HOLD_SECONDS, so the tries then come every 30 s until it has ended.
 */
const RESTORE_HOLD_WAIT: WaitSchedule = { firstSeconds: 5, backoffRate: 2, maxDelaySeconds: 30 };

/**
 * The retrier that retries `error` on `schedule` until its delays add up to `waitSeconds` or more.
 * No jitter: FULL jitter would make each delay a random fraction of its nominal value, and the wait
 * could end well before the time it must outlast.
 */
function waitRetrier(error: string, schedule: WaitSchedule, waitSeconds: number): WaitRetrier {
  let waited = 0;
  let attempts = 0;
  while (waited < waitSeconds) {
    waited += Math.min(schedule.firstSeconds * schedule.backoffRate ** attempts, schedule.maxDelaySeconds);
    attempts += 1;
  }
  return {
    ErrorEquals: [error],
    IntervalSeconds: schedule.firstSeconds,
    BackoffRate: schedule.backoffRate,
    MaxDelaySeconds: schedule.maxDelaySeconds,
    MaxAttempts: attempts,
  };
}

/** The retrier that waits up to `waitMinutes` (at least) for the evidence snapshots to complete. */
export function evidenceWaitRetrier(waitMinutes: number): WaitRetrier {
  return waitRetrier('EvidencePendingError', EVIDENCE_WAIT, waitMinutes * 60);
}

/**
 * The retrier that waits out a release's hold on the instance's record (RecordHeldForRestoreError,
 * lib/contracts/restore-hold.ts) before quarantine gives up containing the instance: at least
 * RESTORE_HOLD_WAIT_SECONDS, so that a release that died holding the record delays a new incident's
 * containment by its hold and never loses it.
 */
export function restoreHoldWaitRetrier(): WaitRetrier {
  return waitRetrier('RecordHeldForRestoreError', RESTORE_HOLD_WAIT, RESTORE_HOLD_WAIT_SECONDS);
}


export const ACTIONS = {
  [RESPONDER_NAMES.quarantineInstance]: {
    name: RESPONDER_NAMES.quarantineInstance,
    description:
      'Contain an EC2 instance: keep it as evidence, isolate every ENI, take its instance profile away, tag it.',
    options: quarantineOptions,
    responder: RESPONDER_NAMES.quarantineInstance,
    iamActions: [
      'ec2:DescribeInstances',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeIamInstanceProfileAssociations',
      // DescribeInstances does not report termination protection or the shutdown behaviour.
      'ec2:DescribeInstanceAttribute',
      'ec2:CreateSecurityGroup',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ModifyInstanceAttribute',
      'ec2:DisassociateIamInstanceProfile',
      'ec2:CreateTags',
    ],
    mutates: true,
    // A release holding the instance's record for its restore: the claim waits it out (never lost to a dead release's hold).
    retryWhileWaiting: () => restoreHoldWaitRetrier(),
    optionalIamActions: (options) => [
      // GetRole reads the role's current tags (protected, game-day opt-in) before its sessions are
      // revoked; GetRolePolicy, on an instance already quarantined, whether the role's deny is older
      // than this execution (a new revision of the finding denies its sessions again: row 11i);
      // ListInstanceProfilesForRole, the profiles whose instances hold the role (a protected one keeps it:
      // row 2y), in every region enabled for the account (DescribeRegions: row 2z).
      ...(options.revokeRoleSessions === true ? ['ec2:DescribeRegions', 'iam:GetInstanceProfile', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole', 'iam:PutRolePolicy'] : []),
      // The role ids of the instance's profile, for the record: release associates the profile only
      // while it holds exactly those (a profile is named by an ARN IAM reuses; row 3f).
      ...(options.detachInstanceProfile === false || options.revokeRoleSessions === true ? [] : ['iam:GetInstanceProfile']),
      ...fleetQuarantineIamActions(options),
      ...containmentEdgeIamActions(options),
    ],
  },
  [RESPONDER_NAMES.snapshotVolumes]: {
    name: RESPONDER_NAMES.snapshotVolumes,
    description: 'Preserve evidence: one crash-consistent CreateSnapshots call for every EBS volume of the instance.',
    options: snapshotOptions,
    responder: RESPONDER_NAMES.snapshotVolumes,
    iamActions: [
      'ec2:DescribeInstances',
      // Instance-store volumes are not in DescribeInstances' block device mappings; the type says how many there are.
      'ec2:DescribeInstanceTypes',
      'ec2:DescribeSnapshots',
      'ec2:CreateSnapshots',
      'ec2:CreateTags',
    ],
    mutates: false,
    // Locking reads the locks of reused snapshots first (a second LockSnapshot would change them).
    optionalIamActions: (options) => (options.lock !== undefined ? ['ec2:DescribeLockedSnapshots', 'ec2:LockSnapshot'] : []),
  },
  [RESPONDER_NAMES.copyEvidence]: {
    name: RESPONDER_NAMES.copyEvidence,
    description:
      "Copy the incident's evidence snapshots to the forensic account, re-encrypted with its KMS key, with a chain-of-custody record; never deletes a source.",
    options: copyEvidenceOptions,
    responder: RESPONDER_NAMES.copyEvidence,
    // In the incident's account; CopySnapshot and the forensic key are the forensic role's
    // (lib/stack/forensic-role-stack.ts), reached with sts:AssumeRole from the security account.
    // DescribeInstances: a source must be a snapshot of a volume EC2 shows attached to the instance (tags are claims).
    iamActions: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:ModifySnapshotAttribute'],
    mutates: false,
    retryWhileWaiting: (options) => evidenceWaitRetrier(typeof options.waitMinutes === 'number' ? options.waitMinutes : 180),
  },
  [RESPONDER_NAMES.releaseInstance]: {
    name: RESPONDER_NAMES.releaseInstance,
    description:
      'Release a quarantined EC2 instance: restore exactly its recorded groups per ENI, instance profile, protections and tags.',
    options: releaseOptions,
    responder: RESPONDER_NAMES.releaseInstance,
    iamActions: [
      'ec2:DescribeInstances',
      'ec2:DescribeIamInstanceProfileAssociations',
      'ec2:DescribeInstanceAttribute',
      // Release checks that every recorded group exists in the ENI's VPC before it moves anything back.
      'ec2:DescribeSecurityGroups',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ModifyInstanceAttribute',
      'ec2:CreateTags',
      'ec2:DeleteTags',
      // Elastic IPs and metadata settings a record holds (containment-edges.ts).
      ...RELEASE_EDGE_IAM_ACTIONS,
    ],
    mutates: true,
    // Associating a profile passes its role to EC2; the profile is read first (GetInstanceProfile:
    // still the one the instance had, holding the role it held; release-checks.ts).
    optionalIamActions: (options) => [
      ...(options.restoreInstanceProfile === false ? [] : ['ec2:AssociateIamInstanceProfile', 'iam:GetInstanceProfile', 'iam:PassRole']),
      ...fleetReleaseIamActions(options),
    ],
  },
  ...DNS_ACTIONS,
  ...PER_INSTANCE_ACTIONS,
  ...PER_CREDENTIAL_ACTIONS,
  ...S3_OBJECT_ACTIONS,
  ...CREDENTIAL_ACTIONS,
  ...SECURITY_HUB_ACTIONS,
  notify: {
    name: 'notify',
    description: 'Publish an actionable alert to the alert topic.',
    options: notifyOptions,
    responder: RESPONDER_NAMES.publishAlert,
    iamActions: ['sns:Publish'],
    mutates: false,
  },
} as const satisfies Record<string, ActionDefinition>;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTIONS, name);
}

/** The IAM actions one step needs, options included. */
export function iamActionsForStep(action: ActionName, options: Record<string, unknown>): string[] {
  const definition: ActionDefinition = ACTIONS[action];
  return [...definition.iamActions, ...(definition.optionalIamActions?.(options) ?? [])];
}
