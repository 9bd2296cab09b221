/**
 * The playbook model: what a `playbooks/*.yaml` file says once it has been loaded and validated.
 * The zod schemas (with the YAML loader's line numbers) live in `schema.ts`; these types are the
 * contract between the loader, triage, the compiler and the stack.
 */
import type { AlarmState, IncidentSource, ResourceKind } from '../incident/model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ActionName } from './actions';

export interface SeverityRange {
  /** Inclusive lower bound, 0.0–10.0. */
  readonly min: number;
  /** Inclusive upper bound, 0.0–10.0, ≥ min. */
  readonly max: number;
}

export interface PlaybookMatch {
  /** Event sources this playbook handles. */
  readonly sources: readonly IncidentSource[];
  /** GuardDuty finding-type globs (`*` matches any run of characters), e.g. `Backdoor:EC2/*`. */
  readonly findingTypes?: readonly string[];
  readonly severity?: SeverityRange;
  /** Resource kinds the incident must concern. */
  readonly resourceKinds?: readonly ResourceKind[];
  /** GuardDuty `service.resourceRole`: TARGET (attacked) or ACTOR (attacking). */
  readonly resourceRole?: 'TARGET' | 'ACTOR';
  /** CloudWatch alarm-name globs. */
  readonly alarmNames?: readonly string[];
  /** CloudWatch new states that start this playbook (default: ALARM only). */
  readonly alarmStates?: readonly AlarmState[];
}

export interface ActionStep {
  readonly kind: 'action';
  /** Unique within the playbook; becomes the state name. Defaults to the action name (+ index when repeated). */
  readonly id: string;
  readonly action: ActionName;
  /** Options, validated against the action's option schema. */
  readonly with: Readonly<Record<string, unknown>>;
  /** 1-based line in the playbook file, for error messages. */
  readonly line?: number;
}

export interface ParallelStep {
  readonly kind: 'parallel';
  readonly id: string;
  readonly branches: readonly Step[];
  readonly line?: number;
}

export type Step = ActionStep | ParallelStep;

/** What a guarded playbook does when nobody answers its approval request in time. */
export const APPROVAL_TIMEOUT_POLICIES = ['evidence-only', 'contain'] as const;
export type ApprovalTimeoutPolicy = (typeof APPROVAL_TIMEOUT_POLICIES)[number];

/** A playbook's approval rail (docs/safety-rails.md). */
export interface PlaybookApproval {
  /** A person must approve before the resource-changing steps run (default false). */
  readonly required: boolean;
  /** How long the execution waits for an answer, 60–86400 s (default 3600). */
  readonly timeoutSeconds: number;
  /**
   * Nobody answered in time: `evidence-only` skips the resource-changing steps and alerts again
   * (the default); `contain` runs them anyway and says so in the alert.
   */
  readonly onTimeout: ApprovalTimeoutPolicy;
}

/** The approval rail of a playbook that sets none. */
export const DEFAULT_APPROVAL: PlaybookApproval = { required: false, timeoutSeconds: 3600, onTimeout: 'evidence-only' };

/**
 * `automatic`: triage routes incidents to it. `manual`: only a person starts it (e.g. `firebreak
 * release`). `per-instance`: only another playbook's `contain-each-instance` step starts it, once per
 * instance of a multi-resource incident; its parent's notify step alerts for it (per-instance.ts).
 * `per-credential`: only another playbook's `contain-each-credential` step starts it, once per IAM
 * credential (user access key, role) of the incident; its guard's grant names that one credential
 * (per-credential.ts).
 */
export const PLAYBOOK_TRIGGERS = ['automatic', 'manual', 'per-instance', 'per-credential'] as const;
export type PlaybookTrigger = (typeof PLAYBOOK_TRIGGERS)[number];

export interface Playbook {
  /** kebab-case, unique; names the state machine. */
  readonly name: string;
  readonly description: string;
  readonly match: PlaybookMatch;
  /** Higher wins when two playbooks match the same incident. */
  readonly priority: number;
  readonly mode: ResponderMode;
  readonly steps: readonly Step[];
  /** Path of the file it was loaded from. */
  readonly file: string;
  /** The approval rail; the loader always sets it. @default DEFAULT_APPROVAL */
  readonly approval?: PlaybookApproval;
  /** Who starts it; the loader always sets it. @default 'automatic' */
  readonly trigger?: PlaybookTrigger;
}

/** The playbook's approval rail, defaults filled in. */
export function approvalOf(playbook: Pick<Playbook, 'approval'>): PlaybookApproval {
  return playbook.approval ?? DEFAULT_APPROVAL;
}

/** True when triage may route incidents to the playbook (it is not `trigger: manual` or `per-instance`). */
export function isAutomatic(playbook: Pick<Playbook, 'trigger'>): boolean {
  return (playbook.trigger ?? 'automatic') === 'automatic';
}

/** True for a playbook only a `contain-each-instance` step starts (its parent alerts for it). */
export function isPerInstance(playbook: Pick<Playbook, 'trigger'>): boolean {
  return playbook.trigger === 'per-instance';
}

/** True for a playbook only a `contain-each-credential` step starts (its parent alerts for it). */
export function isPerCredential(playbook: Pick<Playbook, 'trigger'>): boolean {
  return playbook.trigger === 'per-credential';
}

/** True for a playbook another playbook's Map step starts once per resource (`per-instance`, `per-credential`). */
export function isStartedByParent(playbook: Pick<Playbook, 'trigger'>): boolean {
  return isPerInstance(playbook) || isPerCredential(playbook);
}

/** Every action step of a playbook, in execution order, parallel branches flattened left to right. */
export function flattenSteps(steps: readonly Step[]): ActionStep[] {
  return steps.flatMap((step) => (step.kind === 'action' ? [step] : flattenSteps(step.branches)));
}
