/**
 * The alert's contract: what the playbook passes to publish-alert (read loosely, since it carries
 * other responders' results), what it produces for SNS and SNS's limits, and the steps of the input
 * as the message's sections read them.
 */
import * as z from '../contracts/zod-mini';
import { notifyOptions } from '../playbooks/notify-options';
import { executionContextSchema } from './model';
import { responderModeSchema } from '../contracts/responder-mode';
import { incidentSchema } from './incident-schema';
import { RESPONDER_NAMES } from '../contracts/responders';
import { EMERGENCY_PAUSE_ACTION } from '../contracts/security';

export const ALERT_KINDS = ['report', 'failure', 'invalid-event', 'approval-request', 'triage-only'] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

/** One timeline entry of another responder, read loosely: an unknown outcome is shown as it is. */
const actionLikeSchema = z.looseObject({
  api: z.string(),
  target: z.string(),
  outcome: z.string(),
  detail: z._default(z.string(), ''),
  at: z.optional(z.string()),
});

/** The result of an earlier step, read loosely: the alert must never be the step that fails on a newer result shape. */
const resultLikeSchema = z.looseObject({
  responder: z.optional(z.string()),
  status: z.optional(z.string()),
  mode: z.optional(z.string()),
  idempotentReplay: z.optional(z.boolean()),
  actions: z._default(z.array(actionLikeSchema), []),
});

const textLike = z.union([z.string(), z.array(z.string())]);

/**
 * A step of a parallel group as the compiled playbook recorded it (lib/playbooks/compile.ts): its
 * result, or the failure its branch caught (Step Functions' `{ Error, Cause }`).
 */
const groupStepSchema = z.looseObject({
  result: z.optional(z.nullable(resultLikeSchema)),
  failure: z.optional(z.looseObject({ Error: z._default(z.string(), 'unknown error'), Cause: z.nullish(z.string()) })),
});

/**
 * What publish-alert receives. Permissive where the payload comes from other steps (results,
 * unknown keys are dropped), strict where a mistake would mislead (kind, mode, approval).
 */
export const alertInputSchema = z
  .object({
    kind: z.enum(ALERT_KINDS),
    incident: z.optional(incidentSchema),
    mode: z.optional(responderModeSchema),
    playbook: z.nullish(z.string().check(z.minLength(1))),
    options: z._default(notifyOptions, {}),
    execution: z.optional(executionContextSchema),
    results: z.optional(z.record(z.string(), z.nullable(resultLikeSchema))),
    failure: z.optional(
      z.looseObject({ step: z._default(z.string(), 'unknown'), error: z._default(z.string(), 'unknown error'), cause: z.nullish(z.string()) }),
    ),
    /** A group's summary after a failed branch: every step of the group, succeeded or failed. */
    group: z.optional(z.object({ id: z.string(), failedStep: z.optional(z.string()), steps: z.record(z.string(), groupStepSchema) })),
    rawEvent: z.optional(z.unknown()),
    /** Why: the parse error of an invalid event, or why triage only alerts. */
    reason: z.optional(z.unknown()),
    /**
     * A manual playbook's request as its steps get it (who asked, why, and for `firebreak dns unblock`
     * the domain and force): the approval wait passes it, and the grant binds it. Read loosely, by the
     * lines that show it (alert-release-claims.ts `dnsUnblockLines`): never the reason an alert fails.
     */
    request: z.optional(z.unknown()),
    /** Triage's reasons (the dispatcher's `alert-only` branch sends a list). */
    reasons: z.optional(textLike),
    approval: z.optional(
      z.object({
        taskToken: z.string().check(z.minLength(1)),
        waitingSteps: z._default(z.array(z.string()), []),
        timeoutSeconds: z.number().check(z.int(), z.positive()),
        /** A waiting step is block-dns-domain (the compiled wait sets it): the request names the domain approving blocks (row 10h). */
        blocksDnsDomain: z.optional(z.boolean()),
      }),
    ),
  })
  .check(
    z.superRefine((input, ctx) => {
      if ((input.kind === 'report' || input.kind === 'approval-request' || input.kind === 'triage-only') && !input.incident) {
        ctx.addIssue({ code: 'custom', path: ['incident'], message: `a ${input.kind} alert needs the incident` });
      }
      if (input.kind === 'failure' && !input.failure) {
        ctx.addIssue({ code: 'custom', path: ['failure'], message: 'a failure alert needs { step, error, cause? }' });
      }
      if (input.kind === 'approval-request' && !input.approval) {
        ctx.addIssue({ code: 'custom', path: ['approval'], message: 'an approval-request alert needs { taskToken, waitingSteps, timeoutSeconds }' });
      }
    }),
  );

export type AlertInput = z.output<typeof alertInputSchema>;

export type ResultLike = z.output<typeof resultLikeSchema>;

export type ActionLike = z.output<typeof actionLikeSchema>;

export interface SnsMessageAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

export interface AlertMessage {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, SnsMessageAttribute>>;
  /** The message's sections as built (first line the heading, but for the opening), for the per-protocol renderings (alert-protocols.ts). */
  readonly sections?: readonly (readonly string[])[];
  /** The console links of the message's LINKS section. */
  readonly links?: readonly { readonly label: string; readonly url: string }[];
}

export const MAX_SUBJECT_LENGTH = 100;

/** Far below SNS's 256 KiB: leaves room for attributes and for e-mail/SMS transports that add their own wrapping. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** How many action lines the message lists before it counts the rest. */
export const MAX_LISTED_ACTIONS = 60;

export const RAW_EVENT_EXCERPT_BYTES = 2048;

export interface StepSummary {
  readonly stepId: string;
  readonly result: ResultLike | null;
}

/** The playbook's step results, each with the id of the step that produced it. */
export function stepSummaries(results: AlertInput['results']): StepSummary[] {
  return Object.entries(results ?? {}).map(([stepId, result]) => ({ stepId, result }));
}

/** The step a given responder ran, if any did. */
export function ranResponder(steps: readonly StepSummary[], responder: string): StepSummary | undefined {
  return steps.find((s) => s.result?.responder === responder);
}

/** Whether any step recorded an action with this outcome. */
export function hasOutcome(steps: readonly StepSummary[], outcome: string): boolean {
  return steps.some((s) => s.result?.actions.some((a) => a.outcome === outcome) === true);
}

/** A step of the alert's parallel group: what it returned, or the error it failed with. */
export interface GroupStepOutcome {
  readonly stepId: string;
  readonly result?: ResultLike | null;
  readonly error?: string;
}

/** The steps of a group's summary alert, in the group's order (none on other alerts). */
export function groupOutcomes(input: AlertInput): GroupStepOutcome[] {
  return Object.entries(input.group?.steps ?? {}).map(([stepId, step]) =>
    step.failure !== undefined ? { stepId, error: step.failure.Error } : { stepId, result: step.result ?? null },
  );
}

/**
 * The input with the results of the group's steps that succeeded beside the earlier results, so
 * every section reads what they did (a containment in a sibling branch of the failed step).
 */
export function withGroupResults(input: AlertInput): AlertInput {
  const succeeded = groupOutcomes(input).filter((step) => step.error === undefined);
  if (succeeded.length === 0) return input;
  return { ...input, results: { ...input.results, ...Object.fromEntries(succeeded.map((step) => [step.stepId, step.result ?? null])) } };
}

/**
 * What the containment guard said of the emergency pause, when it cleared the containment in
 * dry-run only because the deployment was paused (its EMERGENCY_PAUSE_ACTION entry): the alert's
 * first lines say nothing was contained. Only the guard's own result counts for that: a step that
 * found the pause later speaks for itself alone (`pausedSteps`), another may have acted before it.
 */
export function pauseNotice(steps: readonly StepSummary[]): string | undefined {
  const guard = steps.find((s) => s.result?.responder === RESPONDER_NAMES.containmentGuard);
  return guard?.result?.actions.find((a) => a.api === EMERGENCY_PAUSE_ACTION)?.detail;
}

/**
 * The steps that ran dry-run because the deployment was paused, with what each said of it: a
 * result in dry-run with an EMERGENCY_PAUSE_ACTION entry (the guard's when it cleared the execution
 * under the pause; a containing step's when the pause came after the guard: grants.ts
 * recordPausedGrant). The alert marks its subject [PAUSED] on any. A result that says it ran in
 * enforce is not counted, whatever its log claims.
 */
export function pausedSteps(steps: readonly StepSummary[]): { readonly stepId: string; readonly notice: string }[] {
  return steps.flatMap((s) => {
    const entry = s.result?.mode === 'dry-run' ? s.result.actions.find((a) => a.api === EMERGENCY_PAUSE_ACTION) : undefined;
    return entry !== undefined ? [{ stepId: s.stepId, notice: entry.detail }] : [];
  });
}

/** The quarantine step that isolated the instance (an ENI moved or found moved), if one did: `would-do` in dry-run is not isolation. */
export function isolatingStep(steps: readonly StepSummary[]): StepSummary | undefined {
  return steps.find(
    (s) => s.result?.responder === RESPONDER_NAMES.quarantineInstance && s.result.actions.some((a) => a.outcome === 'done' || a.outcome === 'already-done'),
  );
}
