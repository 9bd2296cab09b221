/**
 * May this execution release this instance, and who decided it? A release runs only inside a
 * release playbook execution that the containment guard cleared (its grant, lib/responders/grants.ts)
 * and that a person approved through the approval function (its approval record). The releaser
 * recorded is that approver, as AWS authenticated them, never the `requestedBy` of the input.
 *
 * Invoking release-instance directly, or replaying the execution ARN of an old approved release,
 * does not pass: the approval must name this incident and instance and be younger than the
 * quarantine it ends.
 */
import type { ResponderInput } from './responder-input';
import type { ReleaseGrantCheck } from './grants';
import type { ApprovalRecords } from './approval-records';
import type { QuarantineRecord } from './quarantine-records';
import type { ResponderMode } from '../contracts/responder-mode';
import type { GrantReleaseRecord } from '../contracts/security';

/** The answer of a clearance check. */
export type ReleaseClearanceVerdict =
  | {
      readonly cleared: true;
      readonly approvedBy: string;
      readonly approvedAt: string;
      readonly executionArn: string;
      /**
       * The mode the guard cleared the release for (its grant's): dry-run when the release playbook's
       * own mode is dry-run or the execution was started in dry-run. The releasing step lowers its
       * mode to it, whatever its input says.
       */
      readonly mode: ResponderMode;
      /**
       * The pre-quarantine record the guard's grant binds (its capture and claim serial, as the guard
       * read them): what the approval was given on. Absent: the guard bound none.
       */
      readonly releaseRecord?: GrantReleaseRecord;
      /**
       * When the guard cleared the release (its grant, written before the approval was asked): a
       * containment renewed after it was not what the approver was asked about. Absent: unknown.
       */
      readonly grantedAt?: string;
    }
  | { readonly cleared: false; readonly reason: string };

/** What release asks before it changes anything. */
export interface ReleaseClearance {
  /** `record`: what the release undoes (its subject, and when the containment was recorded: an older approval does not count), as the release read it. */
  check(input: ResponderInput<unknown>, record: Pick<QuarantineRecord, 'instanceId' | 'capturedAt' | 'claimSerial'>): Promise<ReleaseClearanceVerdict>;
}

/** The containment guard's grant check (grants.ts `releaseGrantCheck`). */
export type GrantCheck = ReleaseGrantCheck;

/** Clearance from the guard's grant and the approval record of the execution. */
export class ApprovalReleaseClearance implements ReleaseClearance {
  constructor(
    private readonly approvals: ApprovalRecords,
    /** The guard's grant check: it also binds the step to its playbook, options and request. */
    private readonly grantCheck: GrantCheck,
  ) {}

  async check(input: ResponderInput<unknown>, record: Pick<QuarantineRecord, 'instanceId' | 'capturedAt'>): Promise<ReleaseClearanceVerdict> {
    const executionArn = input.execution?.executionArn;
    const { incident } = input;
    const instanceId = record.instanceId;
    if (executionArn === undefined) {
      return { cleared: false, reason: 'the input names no playbook execution: release runs only inside an approved release-instance execution' };
    }
    const grant = await this.grantCheck(executionArn, { incident, instanceId, options: input.options, request: input.request });
    if (!grant.cleared) return { cleared: false, reason: `the containment guard did not clear ${executionArn}: ${grant.reason}` };
    const approval = await this.approvals.get(executionArn);
    if (!approval) return { cleared: false, reason: `no approval was requested for ${executionArn}` };
    // What the person approved: the request names its playbook; approving a DNS unblock is not approving a release.
    if (approval.playbook !== grant.playbook) {
      return { cleared: false, reason: `the approval of ${executionArn} was asked for playbook ${approval.playbook}, not ${grant.playbook}` };
    }
    if (approval.decision !== 'approved' || approval.decidedBy === undefined || approval.decidedAt === undefined) {
      return {
        cleared: false,
        reason:
          approval.decision === 'rejected'
            ? `the release was rejected by ${approval.decidedBy ?? 'unknown'}${approval.reason ? ` (${approval.reason})` : ''}`
            : `nobody has approved ${executionArn}`,
      };
    }
    if (approval.incidentKey !== incident.key || (approval.instanceId !== undefined && approval.instanceId !== instanceId)) {
      return {
        cleared: false,
        reason: `the approval of ${executionArn} is for incident ${approval.incidentKey}${approval.instanceId ? ` and ${approval.instanceId}` : ''}, not ${incident.key} and ${instanceId}`,
      };
    }
    // An answer dated before the guard wrote this grant answered an earlier execution under the same
    // ARN (Step Functions takes a name again 90 days on; approval records have no TTL), never this one.
    if (grant.grantedAt !== undefined && Date.parse(approval.decidedAt) < Date.parse(grant.grantedAt)) {
      return {
        cleared: false,
        reason: `the approval by ${approval.decidedBy} (${approval.decidedAt}) was given before the containment guard cleared this release (${grant.grantedAt}): it answered an earlier execution under the same name`,
      };
    }
    if (Date.parse(approval.decidedAt) < Date.parse(record.capturedAt)) {
      return {
        cleared: false,
        reason: `the approval by ${approval.decidedBy} (${approval.decidedAt}) is older than the quarantine it would end (${record.capturedAt})`,
      };
    }
    return {
      cleared: true,
      approvedBy: approval.decidedBy,
      approvedAt: approval.decidedAt,
      executionArn,
      mode: grant.mode,
      ...(grant.releaseRecord !== undefined ? { releaseRecord: grant.releaseRecord } : {}),
      ...(grant.grantedAt !== undefined ? { grantedAt: grant.grantedAt } : {}),
    };
  }
}
