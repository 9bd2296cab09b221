/**
 * What every responder shares: its mode, the record of each action it took or would take (the raw
 * material of the incident timeline) and the shape of its result.
 */
import * as z from '../contracts/zod-mini';
import type { ResponderMode } from '../contracts/responder-mode';


/**
 * - done: the change was made now.
 * - already-done: the resource was already in the wanted state (idempotent second run).
 * - would-do: dry-run, and EC2 answered DryRunOperation (the call would have been allowed).
 * - would-be-denied: dry-run, and EC2 answered UnauthorizedOperation.
 * - skipped: deliberately not done (sample finding, protected instance, not applicable); `detail` says why.
 * - observed: a read-only call whose answer matters to the record (describe).
 */
/**
 * The `api` of the action a responder records when it finds a security group named like
 * Firebreak's that is not Firebreak's (an impostor): the alert lists it, naming the group.
 */
export const IMPOSTOR_GROUP_ACTION = 'firebreak:ignore-impostor-group';

/**
 * The `api` of the action the containment guard and disable-access-key record when IAM knows no
 * user of the finding's name and the finding's key leads to the user that owns it now, renamed since
 * the finding (renamed-key-owner.ts, followKeyToRenamedUser): the alert warns of it, naming both names.
 */
export const RENAMED_USER_ACTION = 'firebreak:follow-renamed-user';

export type ActionOutcome = 'done' | 'already-done' | 'would-do' | 'would-be-denied' | 'skipped' | 'observed';

export interface ResponderAction {
  /** The AWS API (e.g. `ec2:ModifyNetworkInterfaceAttribute`) or a Firebreak step (`firebreak:decide`). */
  readonly api: string;
  /** The resource it concerns (ENI, instance, volume, topic ARN…). */
  readonly target: string;
  readonly outcome: ActionOutcome;
  /** One human sentence: what and why. */
  readonly detail: string;
  /** ISO 8601 time the action finished. */
  readonly at: string;
}

export interface ResponderResult<TStatus extends string = string> {
  readonly responder: string;
  readonly incidentKey: string;
  readonly mode: ResponderMode;
  readonly status: TStatus;
  /** True when the run changed nothing because everything was already done. */
  readonly idempotentReplay: boolean;
  readonly actions: readonly ResponderAction[];
  /** Set when the input asked for enforce and the deployment (or the containment grant) made it dry-run. */
  readonly forcedDryRun?: { readonly requested: 'enforce'; readonly reason: string };
}

/** Context a state machine passes to every responder, for logs and alert links. */
export const executionContextSchema = z.strictObject({
  executionArn: z.optional(z.string()),
  executionName: z.optional(z.string()),
  playbook: z.optional(z.string()),
  stateMachineArn: z.optional(z.string()),
});
export type ExecutionContext = z.infer<typeof executionContextSchema>;
