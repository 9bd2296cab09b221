/**
 * The options of the EC2 instance actions (quarantine-instance, snapshot-volumes, copy-evidence,
 * release-instance), apart from the action registry (actions.ts), which lists them: each responder's
 * Lambda parses its options with its own schema and so does not bundle, nor build at cold start,
 * every other action's schemas (docs/architecture.md, "Lean Lambda bundles").
 */
import * as z from '../contracts/zod-mini';
import { containmentEdgeOptions } from './containment-edges';
import { fleetQuarantineOptions, fleetReleaseOptions } from './fleet-options';

export const quarantineOptions = z.strictObject({
  /** Take the instance profile away (default true). */
  detachInstanceProfile: z._default(z.boolean(), true),
  /**
   * Also revoke sessions already issued to the instance role (deny on aws:TokenIssueTime).
   * Off by default: it hits every instance sharing the role.
   */
  revokeRoleSessions: z._default(z.boolean(), false),
  ...fleetQuarantineOptions,
  ...containmentEdgeOptions,
});

/**
 * EBS Snapshot Lock settings, within LockSnapshot's limits
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html): a duration of
 * 1–36,500 days; a cooling-off period of 1–72 hours, in compliance mode only.
 */
export const evidenceLockOptions = z
  .strictObject({
    /** governance: users with ec2:UnlockSnapshot can still unlock; compliance: after the cooling-off period nobody can, not even the root user. */
    mode: z.enum(['governance', 'compliance']),
    /** How long the lock holds, in days (1–36500). A pending snapshot's lock starts counting when it completes. */
    durationDays: z.number().check(z.int(), z.gte(1), z.lte(36500)),
    /**
     * Compliance mode only: hours (1–72) during which the lock can still be changed or removed by a
     * user allowed to, before it becomes permanent for its duration. Absent: compliance at once.
     */
    coolOffHours: z.optional(z.number().check(z.int(), z.gte(1), z.lte(72))),
  })
  .check(
    z.refine((lock) => lock.mode === 'compliance' || lock.coolOffHours === undefined, {
      message: 'coolOffHours applies only to mode compliance (LockSnapshot refuses a cooling-off period in governance mode)',
      path: ['coolOffHours'],
    }),
  );

export const snapshotOptions = z.strictObject({
  /**
   * Extra tags for the evidence snapshots. EC2 tag rules apply (keys 1–128 characters, values up
   * to 256, `aws:` reserved); `firebreak:` keys are Firebreak's own evidence markers and a playbook
   * must not override them.
   */
  tags: z._default(
    z.record(
      z.string().check(
        z.minLength(1),
        z.maxLength(128),
        z.refine((key) => !key.toLowerCase().startsWith('aws:'), { message: 'tag keys starting with aws: are reserved by AWS' }),
        z.refine((key) => !key.startsWith('firebreak:'), {
          message: 'tag keys starting with firebreak: are set by Firebreak itself (incident, instance, finding type, evidence)',
        }),
      ),
      z.string().check(z.maxLength(256)),
    ),
    {},
  ),
  /**
   * Lock the evidence snapshots with EBS Snapshot Lock (LockSnapshot) right after they are taken,
   * so that nobody holding ec2:DeleteSnapshot in the member account can delete them. Absent: no lock.
   */
  lock: z.optional(evidenceLockOptions),
});

export const copyEvidenceOptions = z.strictObject({
  /**
   * How long to wait, in minutes (5–1440), for the evidence snapshots and then their forensic copies
   * to complete before the step gives up (CopySnapshot needs a completed source; a copy is evidence
   * once completed). The wait is the state machine's, not a Lambda's.
   */
  waitMinutes: z._default(z.number().check(z.int(), z.gte(5), z.lte(1440)), 180),
});

export const releaseOptions = z.strictObject({
  /**
   * Re-associate the instance profile recorded at quarantine time (default true). Off when the
   * investigation found the role itself compromised: the network comes back, the credentials do not.
   */
  restoreInstanceProfile: z._default(z.boolean(), true),
  ...fleetReleaseOptions,
});
