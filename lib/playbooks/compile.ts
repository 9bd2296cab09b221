/**
 * The playbook compiler: turns a validated `Playbook` into an Amazon States Language definition
 * for its own Standard state machine. Pure: no CDK, no AWS SDK; the stack and the local game-day
 * engine both run exactly what this returns.
 *
 * Shape of a compiled playbook (JSONPath only: the local engine, aws-local-stepfunctions, supports
 * neither JSONata nor `Assign`):
 * - execution input `{ incident, mode, playbook, decision? }` (what the dispatcher starts it with;
 *   `decision` is triage's decision without the incident, a per-instance playbook's targets included:
 *   `PlaybookDecision`, lib/playbooks/triage.ts);
 *   a `trigger: manual` playbook's is `{ incident, mode, playbook, requestedBy, reason }` (what
 *   `firebreak release` starts it with; reason may be null), and its steps get both as `request`;
 * - each action step is a Task on the optimized Lambda integration whose `FunctionName` is a
 *   `${Fn_<responder>}` definition substitution, and whose result lands in `$.results.<stepId>.result`;
 * - `parallel:` becomes a Parallel state; each branch outputs its `$.results` only (OutputPath on
 *   its End states), and the Parallel's ResultSelector folds the branch outputs (an array)
 *   back into `$.results` keyed by step id, so the steps after it see every earlier result;
 * - every Task retries the responders' transient errors with backoff and catches everything else:
 *   a failure alert (publish-alert, kind `failure`) then a Fail state, so the execution ends FAILED.
 *   Inside a Parallel branch the failure is alerted, recorded as `$.results.<stepId>.failure` and
 *   the branch ends successfully: a failed branch would stop every other branch (containment's
 *   retries included). A Choice after the Parallel then sends a run with a recorded failure to a
 *   summary alert of the whole group (what every step of it did, the failed step named), then a
 *   Fail state with that step's error, so the execution still ends FAILED and no later step runs.
 *
 * Guarded playbooks (docs/safety-rails.md): an automatic playbook with a step that changes
 * resources (`ACTIONS[x].mutates`) starts with the containment guard, then branches on its answer:
 *
 *   Guard (containment-guard, result at $.results.Guard.result) → GuardDecision (Choice on its status)
 *     proceed        → the steps as written
 *     needs-approval → BeforeApproval-<evidence steps> → WaitForApproval (task token, the playbook's
 *                      timeout) → ApprovalGiven (Choice: $.approval.approved == true)
 *                        approved         → Approved-<changing steps and notify steps>
 *                        rejected / not approved → Rejected-<notify steps>
 *                        States.Timeout   → TimedOut-<notify steps> (onTimeout evidence-only)
 *                                           or TimedOut-<changing steps and notify steps> (contain)
 *     anything else  → EvidenceOnly-<the steps without the changing ones> (fail closed)
 *
 * Every variant is the playbook's own steps filtered (parallel groups keep the branches left; a
 * group left with one branch becomes that step), with state names prefixed so they stay unique;
 * results keep the step ids, so a notify step reads `$.results.<id>` whichever way it came.
 * Notify steps on the guarded variants also receive the guard's reasons (`reasons`) and a sentence
 * on the path taken (`reason`), so the alert says why containment did not run, or who let it run.
 *
 * Cost (https://aws.amazon.com/step-functions/pricing/): Standard workflows bill per state
 * transition, retries included. The happy path therefore uses no Pass glue: one transition per step
 * (plus two per Parallel: the state, and the Choice after it that checks its branches for a
 * failure), two for the guard (its Task and its Choice), and the failure and approval paths' states
 * only run when they are taken.
 */
import { TRANSIENT_ERROR_NAMES } from '../contracts/responder-errors';
import { ACTIONS } from './actions';
import type { ActionDefinition, WaitRetrier } from './actions';
import type { ActionStep, ParallelStep, Playbook, PlaybookApproval, Step } from './model';
import { approvalOf, flattenSteps } from './model';
import { APPROVAL_REJECTED_ERROR, FirebreakError } from '../contracts/errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import { executionArnPrefixPlaceholder, perInstanceMapState, perInstanceStateNames, stateMachinePlaceholder } from './compile-per-instance';
import { stepModeField } from './step-mode';
import { isStartedByParent } from './model';
import type { ManualRequestField } from '../contracts/security';

/** One ASL state, as emitted (JSONPath fields only). */
export type AslState = { readonly Type: string } & Readonly<Record<string, unknown>>;

/** An ASL state machine (or Parallel branch) definition. */
export interface AslDefinition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly TimeoutSeconds?: number;
}

/** What the compiler hands to the stack: the definition and the substitution names it uses. */
export interface CompiledStateMachine {
  readonly definition: AslDefinition;
  /** `${…}` placeholders the definition uses, e.g. `Fn_quarantine_instance`; the stack maps each to an ARN. */
  readonly substitutions: readonly string[];
}

/** A playbook that cannot become a valid state machine (names too long or clashing, unsafe options). */
export class PlaybookCompileError extends FirebreakError {
  override readonly name = 'PlaybookCompileError';
  constructor(
    message: string,
    readonly playbook: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The optimized Lambda integration: its result wraps the function's return value in `Payload`. */
export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

/** Retry policy on the responders' transient errors (throttling, 5xx, Lambda service hiccups). */
export const TRANSIENT_RETRY = {
  ErrorEquals: [...TRANSIENT_ERROR_NAMES],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 4,
  // FULL jitter spreads the retries of a finding storm instead of letting them hit EC2 in lockstep
  // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#retrier-jitter).
  JitterStrategy: 'FULL',
} as const;

/** The responder every playbook uses for its failure alerts, whether or not it has a notify step. */
export const ALERT_RESPONDER = RESPONDER_NAMES.publishAlert;

/** The Fail state every top-level failure alert leads to. */
export const PLAYBOOK_FAILED_STATE = 'playbook-failed';

import { GUARD_RESPONDER, GUARD_STATE } from './guard-names';
import type { GuardedOutcome } from './guard-names';
export { GUARD_RESPONDER, GUARD_STATE } from './guard-names';
export type { GuardedOutcome } from './guard-names';
/** The Choice on the guard's status. */
export const GUARD_DECISION_STATE = 'GuardDecision';
/** The task-token wait for a person's answer (publish-alert sends the approval request). */
export const APPROVAL_WAIT_STATE = 'WaitForApproval';
/** The Choice that lets only an explicit `"approved": true` through. */
export const APPROVAL_GIVEN_STATE = 'ApprovalGiven';
/** The callback integration: the function is invoked with `$$.Task.Token`, then the state waits for SendTaskSuccess/Failure. */
export const WAIT_FOR_TASK_TOKEN_RESOURCE = `${LAMBDA_INVOKE_RESOURCE}.waitForTaskToken`;

/** State-name prefixes of the guarded variants of a playbook's steps. */
export const GUARDED_PATH_PREFIXES = {
  evidenceOnly: 'EvidenceOnly-',
  beforeApproval: 'BeforeApproval-',
  approved: 'Approved-',
  rejected: 'Rejected-',
  timedOut: 'TimedOut-',
  /** The read-only run of a step before the approval (ACTIONS[x].previewsBeforeApproval); its result is `$.results.Preview-<id>`. */
  preview: 'Preview-',
} as const;

const GENERATED_NAMES = [
  GUARD_STATE,
  GUARD_DECISION_STATE,
  APPROVAL_WAIT_STATE,
  APPROVAL_GIVEN_STATE,
  PLAYBOOK_FAILED_STATE,
  ...Object.values(GUARDED_PATH_PREFIXES).map((prefix) => prefix.slice(0, -1)),
];

/** True when a step id would clash with a state the compiler generates (the schema refuses such ids). */
export function isGeneratedStateName(id: string): boolean {
  return GENERATED_NAMES.some((name) => id === name || id.startsWith(`${name}-`));
}

/** True when the step's action changes resources (what the safety rails guard). */
export function changesResources(step: ActionStep): boolean {
  return ACTIONS[step.action].mutates;
}

/** True when a guarded playbook runs the step read-only before its approval (ACTIONS[x].previewsBeforeApproval). */
function previewsBeforeApproval(step: ActionStep): boolean {
  return (ACTIONS[step.action] as ActionDefinition).previewsBeforeApproval === true;
}

function alerts(step: ActionStep): boolean {
  return ACTIONS[step.action].responder === ALERT_RESPONDER;
}

/**
 * The Security Hub write-back says what the changing steps did (NOTIFIED after containment,
 * RESOLVED after a release): on a guarded playbook it runs only where they ran (as written, or
 * approved), never before the approval nor on the evidence-only, rejected or timed-out paths.
 */
function reportsChanges(step: ActionStep): boolean {
  return step.action === RESPONDER_NAMES.updateSecurityHubFinding;
}

/**
 * True when the compiled playbook starts with the containment guard: one of its steps changes
 * resources. That includes `trigger: manual` playbooks (release): whoever starts an execution is
 * only a claim (issue 8), so a release goes through the guard and a person's approval too.
 */
export function isGuardedPlaybook(playbook: Pick<Playbook, 'steps' | 'trigger'>): boolean {
  return flattenSteps(playbook.steps).some(changesResources);
}

/**
 * The kind of rails a guarded playbook gets (FIREBREAK_PLAYBOOK_RAILS, read by the guard):
 * `release` for a playbook that releases instances, S3 objects or credentials (approval always, no protection or blast-radius
 * check: it undoes a containment), `contain` for the others.
 */
export function guardedPlaybookKind(playbook: Pick<Playbook, 'steps'>): 'contain' | 'release' {
  const releases: readonly string[] = [RESPONDER_NAMES.releaseInstance, RESPONDER_NAMES.releaseS3Object, RESPONDER_NAMES.releaseCredentials];
  return flattenSteps(playbook.steps).some((step) => releases.includes(step.action) || takesBackRequestedDomain(step)) ? 'release' : 'contain';
}

/**
 * The execution input fields a `trigger: manual` playbook passes each step as `request` (who asked
 * and why; `firebreak dns unblock` also names the domain and force, and only its playbook reads
 * them), or undefined for an automatic playbook. The guard digests the same fields into the grant
 * (PlaybookRails.manualRequest).
 */
export function manualRequestFields(playbook: Pick<Playbook, 'steps' | 'trigger'>): ManualRequestField[] | undefined {
  if (playbook.trigger !== 'manual') return undefined;
  return ['requestedBy', 'reason', ...(flattenSteps(playbook.steps).some(takesBackRequestedDomain) ? (['dnsUnblock'] as const) : [])];
}

/** An `unblock-dns-domains` step of the unblock-dns-domain playbook (`firebreak dns unblock`): it undoes a containment, and reads the requested domain. */
function takesBackRequestedDomain(step: ActionStep): boolean {
  return step.action === RESPONDER_NAMES.unblockDnsDomains && step.with.target === 'requested-domain';
}

/**
 * The steps `keep` accepts, in order. A parallel group keeps the branches that still hold a step;
 * a group left with one branch becomes that step, a group left with none disappears.
 */
export function keepSteps(steps: readonly Step[], keep: (step: ActionStep) => boolean): Step[] {
  return steps.flatMap((step): Step[] => {
    if (step.kind === 'action') return keep(step) ? [step] : [];
    const branches = keepSteps(step.branches, keep);
    if (branches.length <= 1) return branches;
    return [{ ...step, branches }];
  });
}

/** ASL limits state names to 80 characters (https://states-language.net/spec.html#states-fields). */
const MAX_STATE_NAME_LENGTH = 80;
const STEP_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** The definition-substitution name of a responder's function ARN: `publish-alert` → `Fn_publish_alert`. */
export function functionPlaceholder(responder: string): string {
  return `Fn_${responder.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** The state that alerts a failure of `stepId` (a state name: prefixed on the guarded variants). */
export function failureAlertStateName(stepId: string): string {
  return `${stepId}-failure-alert`;
}

/** The Pass state that records a branch step's failure (after its alert) and ends its branch successfully. */
export function branchFailedStateName(stepId: string): string {
  return `${stepId}-failed`;
}

/** The Fail state a Parallel's check sends the execution to when branch step `stepId` recorded a failure. */
export function branchFailureEndsPlaybookStateName(stepId: string): string {
  return `${stepId}-branch-failed`;
}

/** The alert after a Parallel state whose branch step `stepId` recorded a failure: what every step of the group did, before the Fail state. */
export function groupSummaryAlertStateName(stepId: string): string {
  return `${stepId}-summary-alert`;
}

/** The Choice after a Parallel state: did any branch record a failure? */
export function parallelCheckStateName(parallelName: string): string {
  return `${parallelName}-any-failed`;
}

/** The Succeed state a Parallel's check ends with when no branch failed and the group was the last step. */
export function parallelSucceededStateName(parallelName: string): string {
  return `${parallelName}-none-failed`;
}

/** Context object fields every responder receives, for its logs and the alert's links. */
function executionContext(playbook: string): Record<string, string> {
  return {
    'executionArn.$': '$$.Execution.Id',
    'executionName.$': '$$.Execution.Name',
    playbook,
    'stateMachineArn.$': '$$.StateMachine.Id',
  };
}

/**
 * The results so far, unwrapped to `Record<stepId, ResponderResult>`. Built statically from the
 * ids the compiler knows have run: a JSONPath to a step that has not run would be a runtime error.
 */
function resultsSoFar(available: readonly string[]): Record<string, string> {
  return Object.fromEntries(available.map((id) => [`${id}.$`, `$.results.${id}.result`]));
}

/** What every publish-alert call of a playbook carries (an approval request, a step's failure): the incident, the mode and the results so far. */
function alertPayload(kind: 'approval-request' | 'failure', playbook: Pick<Playbook, 'name' | 'mode'>, available: readonly string[]): Record<string, unknown> {
  return {
    kind,
    'incident.$': '$.incident',
    ...stepModeField(playbook.mode),
    playbook: playbook.name,
    options: {},
    execution: executionContext(playbook.name),
    results: resultsSoFar(available),
  };
}

/** Options come from YAML: a key ending in `.$` would be evaluated as a JSONPath by Step Functions. */
function assertLiteralOptions(value: unknown, where: string, playbook: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertLiteralOptions(item, `${where}[${index}]`, playbook));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.endsWith('.$')) {
        throw new PlaybookCompileError(
          `${where}.${key}: option keys may not end in ".$" (Step Functions would read the value as a JSONPath)`,
          playbook,
        );
      }
      if (isCloudFormationIntrinsicKey(key)) {
        throw new PlaybookCompileError(`${where}.${key}: ${INTRINSIC_KEY_REFUSAL}`, playbook);
      }
      assertLiteralOptions(inner, `${where}.${key}`, playbook);
    }
  }
}


/**
 * Whether CloudFormation would read an object key as an intrinsic function (`Ref`, `Fn::…`): the
 * definition goes into the template as a JSON object (`Definition`, lib/stack/compiled-state-machine.ts),
 * where CloudFormation resolves `{"Ref": …}` and `{"Fn::Sub": …}` as it does in any property, so such
 * a key would make the deployed machine differ from the definition the game day runs (or fail the
 * deployment). Case matters to CloudFormation: `ref` and `fn::x` are literal keys.
 */
export function isCloudFormationIntrinsicKey(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}

/** Why a key `isCloudFormationIntrinsicKey` refuses is refused. */
export const INTRINSIC_KEY_REFUSAL =
  'keys named Ref or starting with Fn:: are refused: the definition goes into the CloudFormation template as an object, and CloudFormation would read it as an intrinsic function (a Ref or Fn::… resolved at deployment), so the deployed state machine would not be the one the game day runs';

/** The path of the first key of `value` CloudFormation would read as an intrinsic function, or undefined (pure). */
export function intrinsicKeyPath(value: unknown, where: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = intrinsicKeyPath(item, `${where}[${index}]`);
      if (found !== undefined) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (isCloudFormationIntrinsicKey(key)) return `${where}.${key}`;
      const found = intrinsicKeyPath(inner, `${where}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Where a sequence of states is compiled, and what its states add to their payloads. */
interface ChainScope {
  /** Inside a Parallel branch: failures end the branch with its own Fail state. */
  readonly inBranch: boolean;
  /** Prepended to every state name of the chain; result keys stay the step ids. */
  readonly prefix: string;
  /** Where the chain's last step goes; none: it ends the execution. */
  readonly then?: string;
  /** Extra fields of the report alerts of the chain's notify steps (why this path was taken). */
  readonly report?: Readonly<Record<string, unknown>>;
}

const TOP: ChainScope = { inBranch: false, prefix: '' };

/** The guard's result, once it has run. */
const GUARD_RESULT = `$.results.${GUARD_STATE}.result`;

class PlaybookCompiler {
  private readonly stateNames = new Set<string>();
  private readonly responders = new Set<string>([ALERT_RESPONDER]);
  /** Per-resource playbooks a `contain-each-*` step starts (their `Sm_` and `Ex_` substitutions). */
  private readonly startedPlaybooks = new Set<string>();

  constructor(private readonly playbook: Playbook) {}

  compile(): CompiledStateMachine {
    const { playbook } = this;
    if (playbook.steps.length === 0) {
      throw new PlaybookCompileError(`playbook "${playbook.name}" has no steps`, playbook.name);
    }
    if (playbook.trigger === 'manual' && isGuardedPlaybook(playbook) && !approvalOf(playbook).required) {
      throw new PlaybookCompileError(
        `playbook "${playbook.name}" is started by hand and changes resources: it must require approval (approval: { required: true }), so that the identity recorded is the approver's, not a field of the input`,
        playbook.name,
      );
    }
    if (!isGuardedPlaybook(playbook) && flattenSteps(playbook.steps).some(reportsChanges)) {
      throw new PlaybookCompileError(
        `playbook "${playbook.name}" writes back to Security Hub (${RESPONDER_NAMES.updateSecurityHubFinding}) but changes no resources: the write-back acts only under the containment guard's grant of its execution, and only a playbook that changes resources starts with the guard`,
        playbook.name,
      );
    }
    const states: Record<string, AslState> = {};
    const startAt = isGuardedPlaybook(playbook)
      ? this.compileGuarded(states)
      : this.compileSequence(playbook.steps, states, [], TOP).startAt;
    this.claim(PLAYBOOK_FAILED_STATE);
    states[PLAYBOOK_FAILED_STATE] = failWithCaughtError();
    const firstLine = playbook.description.split('\n')[0]?.trim() ?? '';
    return {
      definition: {
        Comment: `Firebreak playbook ${playbook.name}${firstLine ? `: ${firstLine}` : ''}`,
        StartAt: startAt,
        States: states,
      },
      substitutions: [
        ...[...this.responders].sort().map(functionPlaceholder),
        ...[...this.startedPlaybooks].sort().flatMap((started) => [stateMachinePlaceholder(started), executionArnPrefixPlaceholder(started)]),
      ],
    };
  }

  /** The guard, its decision and every guarded variant of the steps; returns the start state. */
  private compileGuarded(states: Record<string, AslState>): string {
    const { playbook } = this;
    const approval = approvalOf(playbook);
    const steps = playbook.steps;
    const changing = flattenSteps(steps).filter(changesResources).map((step) => step.id);
    const waiting = changing.join(', ');
    const evidenceOnly = keepSteps(steps, (step) => !changesResources(step) && !reportsChanges(step));
    const beforeApproval = keepSteps(steps, (step) => !changesResources(step) && !alerts(step) && !reportsChanges(step));
    const afterApproval = keepSteps(steps, (step) => changesResources(step) || alerts(step) || reportsChanges(step));
    const alertsOnly = keepSteps(steps, alerts);
    const timedOut = approval.onTimeout === 'contain' ? afterApproval : alertsOnly;
    if (alertsOnly.length === 0 && !isStartedByParent(playbook)) {
      throw new PlaybookCompileError(
        `playbook "${playbook.name}" changes resources but has no notify step: when the safety rails skip ${waiting}, its alert is how people learn why`,
        playbook.name,
      );
    }
    const P = GUARDED_PATH_PREFIXES;
    const start = (prefix: string, chain: readonly Step[]) => `${prefix}${(chain[0] as Step).id}`;
    // The previews run last before the wait, after the evidence steps: what the approver is shown
    // is read as close to the request as it can be.
    const previewed = flattenSteps(steps).filter((step) => changesResources(step) && previewsBeforeApproval(step));
    const previewStart = previewed.length > 0 ? `${P.preview}${(previewed[0] as ActionStep).id}` : APPROVAL_WAIT_STATE;
    const approvalStart = beforeApproval.length > 0 ? start(P.beforeApproval, beforeApproval) : previewStart;
    // A playbook a parent starts per resource may have no notify step (its parent alerts), and a
    // per-credential one no evidence step either: its paths without steps end here.
    const endWithout = (prefix: string, chain: readonly Step[]): string => {
      if (chain.length > 0) return start(prefix, chain);
      const ended = prefix.slice(0, -1);
      this.claim(ended);
      states[ended] = { Type: 'Succeed', Comment: 'Nothing more to do here; the playbook that started this one reports it.' };
      return ended;
    };

    this.compileGuardTask(states, approval);
    this.claim(GUARD_DECISION_STATE);
    states[GUARD_DECISION_STATE] = {
      Type: 'Choice',
      Comment:
        'proceed: the steps. needs-approval: evidence, then a person decides. Anything else: evidence only, never containment.',
      Choices: [
        { Variable: `${GUARD_RESULT}.status`, StringEquals: 'proceed', Next: (steps[0] as Step).id },
        { Variable: `${GUARD_RESULT}.status`, StringEquals: 'needs-approval', Next: approvalStart },
      ],
      Default: endWithout(P.evidenceOnly, evidenceOnly),
    };

    const guardOnly = [GUARD_STATE];
    this.compileSequence(steps, states, guardOnly, TOP);
    const guardReasons = { 'reasons.$': `${GUARD_RESULT}.reasons` };
    if (evidenceOnly.length > 0) this.compileSequence(evidenceOnly, states, guardOnly, {
      ...TOP,
      prefix: P.evidenceOnly,
      report: {
        ...guardReasons,
        reason: {
          outcome: 'evidence-only',
          summary: `The containment guard answered evidence-only: ${waiting} did not run, the other steps did. The reasons say why.`,
        },
      },
    });
    const afterEvidence =
      beforeApproval.length > 0
        ? this.compileSequence(beforeApproval, states, guardOnly, { ...TOP, prefix: P.beforeApproval, then: previewStart }).available
        : guardOnly;
    const previews = this.compilePreviews(previewed, states);
    const outcome = (name: GuardedOutcome, summary: string) => ({
      ...guardReasons,
      reason: { outcome: name, summary, 'approval.$': '$.approval' },
    });
    // Its request names the domain a block-dns-domain step blocks VPC-wide (row 10h).
    const blocksDnsDomain = flattenSteps(steps).some((step) => changesResources(step) && step.action === RESPONDER_NAMES.blockDnsDomain);
    this.compileApprovalWait(states, approval, changing, blocksDnsDomain, [...afterEvidence, ...previews], {
      approved: start(P.approved, afterApproval),
      rejected: endWithout(P.rejected, alertsOnly),
      timedOut: endWithout(P.timedOut, timedOut),
    });
    this.compileSequence(afterApproval, states, afterEvidence, {
      ...TOP,
      prefix: P.approved,
      report: outcome('approved', `A person approved (firebreak approve): ${waiting} ran after the evidence steps.`),
    });
    if (alertsOnly.length > 0) this.compileSequence(alertsOnly, states, afterEvidence, {
      ...TOP,
      prefix: P.rejected,
      report: outcome(
        'rejected',
        `Not approved: a person rejected the request (${APPROVAL_REJECTED_ERROR}), or answered without "approved": true. ${waiting} did not run; the evidence was kept. The approval record says who and why.`,
      ),
    });
    if (timedOut.length > 0) this.compileSequence(timedOut, states, afterEvidence, {
      ...TOP,
      prefix: P.timedOut,
      report: outcome(
        approval.onTimeout === 'contain' ? 'timed-out-contained' : 'timed-out',
        approval.onTimeout === 'contain'
          ? `Nobody answered the approval request within ${approval.timeoutSeconds} s, and this playbook's onTimeout is contain: ${waiting} ran WITHOUT approval.`
          : `Nobody answered the approval request within ${approval.timeoutSeconds} s, so ${waiting} did not run (onTimeout: evidence-only); the evidence was kept. Decide now whether to contain by hand.`,
      ),
    });
    return GUARD_STATE;
  }

  private compileGuardTask(states: Record<string, AslState>, approval: PlaybookApproval): void {
    this.responders.add(GUARD_RESPONDER);
    this.claim(GUARD_STATE);
    states[GUARD_STATE] = {
      Type: 'Task',
      Comment:
        'containment-guard: the safety rails (sample finding, protected instance, approval, blast radius) before any step that changes resources.',
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(GUARD_RESPONDER)}}`,
        Payload: {
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          options: { requireApproval: approval.required },
          execution: executionContext(this.playbook.name),
          ...this.requestField(),
        },
      },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: `$.results.${GUARD_STATE}`,
      Retry: [TRANSIENT_RETRY],
      // A guard that cannot decide never lets containment through: alert and fail.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: failureAlertStateName(GUARD_STATE) }],
      Next: GUARD_DECISION_STATE,
    };
    this.compileFailureAlert(states, GUARD_STATE, [], TOP);
  }

  /**
   * The read-only runs of `steps` before the approval (`Preview-<id>`, one after another, then the
   * wait): the step's own Task with `preview: true`, its result at `$.results.Preview-<id>.result`
   * (step ids may not start with `Preview-`, so no step's result is overwritten). Only the approval
   * request reads it (the report after the release has the step's own result). A preview that fails
   * after its retries does not hold the request back: its error becomes its result, and the request
   * says what approving does could not be read (the step reads everything again when it acts).
   * One state transition and one invocation per release: a release is a person's request, not a storm.
   */
  private compilePreviews(steps: readonly ActionStep[], states: Record<string, AslState>): string[] {
    const ids = steps.map((step) => `${GUARDED_PATH_PREFIXES.preview}${step.id}`);
    steps.forEach((step, index) => {
      const name = ids[index] as string;
      const responder = ACTIONS[step.action].responder;
      this.claim(name);
      states[name] = {
        Type: 'Task',
        Comment: `${step.action}, read only: what approving will and will not do, for the approval request.`,
        Resource: LAMBDA_INVOKE_RESOURCE,
        Parameters: {
          FunctionName: `\${${functionPlaceholder(responder)}}`,
          Payload: { 'incident.$': '$.incident', ...stepModeField(this.playbook.mode), options: step.with, execution: executionContext(this.playbook.name), ...this.requestField(), preview: true },
        },
        ResultSelector: { 'result.$': '$.Payload' },
        ResultPath: `$.results.${name}`,
        Retry: [TRANSIENT_RETRY],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: `$.results.${name}.result`, Next: ids[index + 1] ?? APPROVAL_WAIT_STATE }],
        Next: ids[index + 1] ?? APPROVAL_WAIT_STATE,
      };
    });
    return ids;
  }

  /**
   * The task-token wait. publish-alert sends the approval request with `$$.Task.Token`; the state
   * then waits until SendTaskSuccess (its output lands at `$.approval`), SendTaskFailure, or the
   * timeout. Its Retry lists only the transient errors: a States.ALL retrier would also match
   * States.Timeout and restart the wait (a new request) instead of applying the timeout policy.
   * Rejection and timeout put their error at `$.approval` too, so every later state can read it.
   */
  private compileApprovalWait(
    states: Record<string, AslState>,
    approval: PlaybookApproval,
    waitingSteps: readonly string[],
    blocksDnsDomain: boolean,
    available: readonly string[],
    next: { readonly approved: string; readonly rejected: string; readonly timedOut: string },
  ): void {
    const { playbook } = this;
    this.claim(APPROVAL_WAIT_STATE);
    states[APPROVAL_WAIT_STATE] = {
      Type: 'Task',
      Comment: `Wait up to ${approval.timeoutSeconds} s for a person to approve or reject ${waitingSteps.join(', ')} (firebreak approve / reject).`,
      Resource: WAIT_FOR_TASK_TOKEN_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(ALERT_RESPONDER)}}`,
        Payload: {
          ...alertPayload('approval-request', playbook, available),
          'reasons.$': `${GUARD_RESULT}.reasons`,
          ...this.requestField(),
          approval: {
            'taskToken.$': '$$.Task.Token',
            waitingSteps: [...waitingSteps],
            timeoutSeconds: approval.timeoutSeconds,
            ...(blocksDnsDomain ? { blocksDnsDomain: true } : {}),
          },
        },
      },
      TimeoutSeconds: approval.timeoutSeconds,
      ResultPath: '$.approval',
      Retry: [TRANSIENT_RETRY],
      Catch: [
        { ErrorEquals: [APPROVAL_REJECTED_ERROR], ResultPath: '$.approval', Next: next.rejected },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.approval', Next: next.timedOut },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: failureAlertStateName(APPROVAL_WAIT_STATE) },
      ],
      Next: APPROVAL_GIVEN_STATE,
    };
    this.compileFailureAlert(states, APPROVAL_WAIT_STATE, available, TOP);
    this.claim(APPROVAL_GIVEN_STATE);
    states[APPROVAL_GIVEN_STATE] = {
      Type: 'Choice',
      Comment:
        'Only an explicit "approved": true contains: a hand-written SendTaskSuccess without it (or with false) is treated as a rejection.',
      Choices: [
        {
          // IsPresent first: a Choice on a path that does not exist fails the execution.
          And: [
            { Variable: '$.approval.approved', IsPresent: true },
            { Variable: '$.approval.approved', IsBoolean: true },
            { Variable: '$.approval.approved', BooleanEquals: true },
          ],
          Next: next.approved,
        },
      ],
      Default: next.rejected,
    };
  }

  /**
   * Who asked, for the record (release-instance keeps it beside the approver, as a claim). Manual
   * playbooks only: an automatic playbook's input has no such fields, and a JSONPath to a missing
   * field fails the state.
   */
  private requestField(): { request?: Record<string, string> } {
    const fields = manualRequestFields(this.playbook);
    if (fields === undefined) return {};
    return { request: Object.fromEntries(fields.map((field) => [`${field}.$`, `$.${field}`])) };
  }

  /** Compiles steps in order into `states`; returns the first state and the result ids available after. */
  private compileSequence(
    steps: readonly Step[],
    states: Record<string, AslState>,
    available: readonly string[],
    scope: ChainScope,
  ): { startAt: string; available: string[] } {
    let current = [...available];
    steps.forEach((step, index) => {
      const following = steps[index + 1];
      const next = following ? `${scope.prefix}${following.id}` : scope.then;
      current =
        step.kind === 'action'
          ? this.compileAction(step, next, states, current, scope)
          : this.compileParallel(step, next, states, current, scope);
    });
    const first = steps[0];
    if (!first) throw new PlaybookCompileError(`an empty step list in "${this.playbook.name}"`, this.playbook.name);
    return { startAt: `${scope.prefix}${first.id}`, available: current };
  }

  private compileAction(
    step: ActionStep,
    next: string | undefined,
    states: Record<string, AslState>,
    available: readonly string[],
    scope: ChainScope,
  ): string[] {
    const { playbook } = this;
    this.checkStepId(step);
    assertLiteralOptions(step.with, `steps.${step.id}.with`, playbook.name);
    const name = `${scope.prefix}${step.id}`;
    if ((ACTIONS[step.action] as ActionDefinition).startsPlaybook === true) return this.compilePerInstance(step, name, next, states, available, scope);
    const responder = ACTIONS[step.action].responder;
    this.responders.add(responder);
    this.claim(name);

    const payload: Record<string, unknown> = {
      'incident.$': '$.incident',
      // A dry-run playbook's steps are sent dry-run whatever its execution's input says (step-mode.ts).
      ...stepModeField(playbook.mode),
      options: step.with,
      execution: executionContext(playbook.name),
    };
    Object.assign(payload, this.requestField());
    if (responder === ALERT_RESPONDER) {
      // The report alert says what every earlier step did or would have done.
      Object.assign(payload, { kind: 'report', playbook: playbook.name, results: resultsSoFar(available), ...scope.report });
    } else if (responder === RESPONDER_NAMES.updateSecurityHubFinding) {
      // The Security Hub note says what every earlier step did (update-security-hub-finding.ts).
      Object.assign(payload, { results: resultsSoFar(available) });
    }

    states[name] = {
      Type: 'Task',
      Comment: `${step.action}: ${ACTIONS[step.action].description}`,
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: { FunctionName: `\${${functionPlaceholder(responder)}}`, Payload: payload },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: `$.results.${step.id}`,
      // A step that waits for something (copy-evidence: snapshots still pending) retries on its own schedule first.
      Retry: [...waitRetriers(step), TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: failureAlertStateName(name) }],
      ...(next ? { Next: next } : { End: true }),
    };
    this.compileFailureAlert(states, name, available, scope, step.id);
    return [...available, step.id];
  }

  /** A `contain-each-instance` step: a Map of per-instance executions (compile-per-instance.ts). */
  private compilePerInstance(
    step: ActionStep,
    name: string,
    next: string | undefined,
    states: Record<string, AslState>,
    available: readonly string[],
    scope: ChainScope,
  ): string[] {
    this.claim(name);
    for (const inner of Object.values(perInstanceStateNames(name))) this.claim(inner);
    this.startedPlaybooks.add(String(step.with.playbook));
    states[name] = {
      ...perInstanceMapState(step, name, this.playbook.name, this.playbook.mode),
      // Missing targets (a playbook started without triage's decision) or a Map that cannot run: alert and fail.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: failureAlertStateName(name) }],
      ...(next ? { Next: next } : { End: true }),
    };
    this.compileFailureAlert(states, name, available, scope, step.id);
    return [...available, step.id];
  }

  /**
   * The failure alert of state `name`, then the Fail state; inside a branch, the Pass state that
   * records the failure and ends the branch instead (`stepId`: the key of the step's result).
   */
  private compileFailureAlert(states: Record<string, AslState>, name: string, available: readonly string[], scope: ChainScope, stepId = name): void {
    const { playbook } = this;
    const alertState = failureAlertStateName(name);
    const failState = scope.inBranch ? branchFailedStateName(name) : PLAYBOOK_FAILED_STATE;
    this.claim(alertState);
    states[alertState] = {
      Type: 'Task',
      Comment: `Alert ${name}'s failure (incident and error).`,
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(ALERT_RESPONDER)}}`,
        Payload: {
          ...alertPayload('failure', playbook, available),
          failure: { step: name, 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
        },
      },
      // The execution fails either way; the alert's own result is not worth keeping.
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      // If even the alert fails, still end FAILED with the step's error (the history keeps both).
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.alertFailure', Next: failState }],
      Next: failState,
    };

    if (scope.inBranch) {
      // A branch that fails stops every other branch of its Parallel state ("If any branch fails
      // ... the entire Parallel state fails and all of its branches are stopped":
      // https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html): a snapshot
      // refused at once would stop the quarantine's retry. So the branch records the failure where
      // its result would be and ends successfully; the check after the Parallel then fails the
      // execution with this error, without a second alert (this one already went out).
      this.claim(failState);
      states[failState] = {
        Type: 'Pass',
        Comment: `${name} failed for good and its failure was alerted: record it, and let the other branches finish.`,
        Parameters: { 'failure.$': '$.failure' },
        ResultPath: `$.results.${stepId}`,
        End: true,
      };
    }
  }

  private compileParallel(
    step: ParallelStep,
    next: string | undefined,
    states: Record<string, AslState>,
    available: readonly string[],
    scope: ChainScope,
  ): string[] {
    this.checkStepId(step);
    if (step.branches.length === 0) {
      throw new PlaybookCompileError(`steps.${step.id}: a parallel group needs at least one branch`, this.playbook.name);
    }
    const name = `${scope.prefix}${step.id}`;
    this.claim(name);
    const branches: AslDefinition[] = [];
    // Each branch starts from the Parallel state's input (the results so far) and adds its own.
    const selector: Record<string, string> = Object.fromEntries(
      available.map((id) => [`${id}.$`, `$[0].${id}`]),
    );
    step.branches.forEach((branch, index) => {
      const branchStates: Record<string, AslState> = {};
      const branchScope: ChainScope = { inBranch: true, prefix: scope.prefix, ...(scope.report ? { report: scope.report } : {}) };
      const compiled = this.compileSequence([branch], branchStates, available, branchScope);
      // A branch outputs its results only, not the whole state: the Parallel's raw result holds one
      // output per branch before the ResultSelector folds them, and N copies of the incident could
      // exceed Step Functions' 256 KiB (States.DataLimitExceeded, which no Catch handles).
      const ending = Object.entries(branchStates).map(([stateName, state]) => [stateName, state.End === true ? { ...state, OutputPath: '$.results' } : state] as const);
      branches.push({ StartAt: compiled.startAt, States: Object.fromEntries(ending) });
      for (const id of compiled.available.slice(available.length)) selector[`${id}.$`] = `$[${index}].${id}`;
    });
    // Inside a branch, a nested group is the branch's only step: its failures stay recorded in its
    // results, and the check after the outermost group reads them.
    const check = scope.inBranch ? undefined : parallelCheckStateName(name);
    states[name] = {
      Type: 'Parallel',
      Comment:
        'Independent steps run side by side: containment never waits for evidence or alerting, and a failed branch never stops the others (its failure is recorded, then checked after the group).',
      Branches: branches,
      // A Parallel state outputs one array entry per branch; fold them back into $.results by step id.
      // A failed step's entry is { failure: { Error, Cause } } instead of { result }: it adds one
      // Cause per failed branch to the state (the Lambda integration's JSON with the error message
      // and stack trace, a few KB; Step Functions caps a Cause at 32,768 characters), never a copy
      // of the incident, so States.DataLimitExceeded stays as far as with the results alone.
      ResultSelector: selector,
      ResultPath: '$.results',
      ...(check ? { Next: check } : next ? { Next: next } : { End: true }),
    };
    if (check) this.compileParallelCheck(states, check, step.id, flattenSteps([step]).map((inner) => inner.id), available, next, scope);
    return Object.keys(selector).map((key) => key.slice(0, -2));
  }

  /**
   * The Choice after a Parallel state: a step of the group that recorded a failure (its branch
   * alerted it, then ended successfully so the other branches could finish) sends the execution to
   * the group's summary alert, then a Fail state with that step's error, so it ends FAILED, the
   * failed-executions alarm pages, and no later step runs. The first failed step in the group's
   * order gives the error; each failure was alerted in its own branch, and the summary shows them
   * all. Otherwise the execution goes on (one state transition).
   */
  private compileParallelCheck(
    states: Record<string, AslState>,
    check: string,
    groupId: string,
    stepIds: readonly string[],
    before: readonly string[],
    next: string | undefined,
    scope: ChainScope,
  ): void {
    const parallelName = `${scope.prefix}${groupId}`;
    this.claim(check);
    let goOn = next;
    if (!goOn) {
      goOn = parallelSucceededStateName(parallelName);
      this.claim(goOn);
      states[goOn] = { Type: 'Succeed', Comment: `Every step of ${parallelName} succeeded.` };
    }
    states[check] = {
      Type: 'Choice',
      Comment: `A step of ${parallelName} that failed was alerted and recorded by its branch: end FAILED with its error.`,
      Choices: stepIds.map((id) => ({ Variable: `$.results.${id}.failure`, IsPresent: true, Next: groupSummaryAlertStateName(`${scope.prefix}${id}`) })),
      Default: goOn,
    };
    for (const id of stepIds) {
      const failState = branchFailureEndsPlaybookStateName(`${scope.prefix}${id}`);
      this.compileGroupSummaryAlert(states, groupId, `${scope.prefix}${id}`, id, stepIds, before, failState);
      this.claim(failState);
      states[failState] = {
        Type: 'Fail',
        Comment: `${scope.prefix}${id} failed for good and its failure has been alerted; the execution ends FAILED with its error.`,
        ErrorPath: `$.results.${id}.failure.Error`,
        CausePath: `$.results.${id}.failure.Cause`,
      };
    }
  }

  /**
   * The group's summary alert when its step `stepId` recorded a failure: a `failure` alert naming
   * that step and its error, with the results of the steps before the group and, under `group`,
   * every step of the group as recorded (`{ result }` or `{ failure }`): the branch's own failure
   * alert only had the results from before the group, so without this nobody would learn that the
   * sibling branch contained the instance. Each step's record is passed whole because a JSONPath
   * to the result of a step that failed would be a runtime error; publish-alert reads either form.
   * Like every failure alert, its own failure never keeps the execution from its Fail state.
   */
  private compileGroupSummaryAlert(
    states: Record<string, AslState>,
    groupId: string,
    name: string,
    stepId: string,
    stepIds: readonly string[],
    before: readonly string[],
    failState: string,
  ): void {
    const { playbook } = this;
    const alertState = groupSummaryAlertStateName(name);
    this.claim(alertState);
    states[alertState] = {
      Type: 'Task',
      Comment: `Alert what every step of ${groupId} did, now that all its branches have finished: ${name} failed for good.`,
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(ALERT_RESPONDER)}}`,
        Payload: {
          ...alertPayload('failure', playbook, before),
          group: { id: groupId, failedStep: stepId, steps: Object.fromEntries(stepIds.map((id) => [`${id}.$`, `$.results.${id}`])) },
          failure: { step: name, 'error.$': `$.results.${stepId}.failure.Error`, 'cause.$': `$.results.${stepId}.failure.Cause` },
        },
      },
      // The execution fails either way; the alert's own result is not worth keeping.
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      // If the alert fails, still end FAILED with the step's error (the history keeps both).
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.alertFailure', Next: failState }],
      Next: failState,
    };
  }

  private checkStepId(step: Step): void {
    if (!STEP_ID_PATTERN.test(step.id)) {
      throw new PlaybookCompileError(
        `step id "${step.id}" may only contain letters, digits, "-" and "_" (it becomes a state name and a JSONPath key)`,
        this.playbook.name,
      );
    }
  }

  private claim(stateName: string): void {
    if (stateName.length > MAX_STATE_NAME_LENGTH) {
      throw new PlaybookCompileError(
        `state name "${stateName}" is longer than ${MAX_STATE_NAME_LENGTH} characters: shorten the step id`,
        this.playbook.name,
      );
    }
    if (this.stateNames.has(stateName)) {
      throw new PlaybookCompileError(
        `state name "${stateName}" is used twice: step ids must be unique across the playbook, may not end in "-failure-alert", "-summary-alert" or "-failed", and may not be a name the compiler generates (${GENERATED_NAMES.join(', ')}, or one of them followed by "-")`,
        this.playbook.name,
      );
    }
    this.stateNames.add(stateName);
  }
}

/** The step's wait retrier, if its action waits for something (`retryWhileWaiting`). */
function waitRetriers(step: ActionStep): WaitRetrier[] {
  const definition: ActionDefinition = ACTIONS[step.action];
  return definition.retryWhileWaiting ? [definition.retryWhileWaiting(step.with)] : [];
}

/** Ends the execution with the error a Catch stored in `$.failure`. */
function failWithCaughtError(): AslState {
  return {
    Type: 'Fail',
    Comment: 'Alerted: end FAILED with the original error.',
    ErrorPath: '$.failure.Error',
    CausePath: '$.failure.Cause',
  };
}

/** Compiles one playbook into its Standard state machine definition. */
export function compilePlaybook(playbook: Playbook): CompiledStateMachine {
  return new PlaybookCompiler(playbook).compile();
}

/**
 * Replaces `${Name}` placeholders as CloudFormation does with `DefinitionSubstitutions`; for the
 * local engine and tests. Unknown placeholders are left untouched, as CloudFormation leaves them.
 */
export function applySubstitutions(definition: string, values: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(values, name) ? (values[name] as string) : placeholder,
  );
}

/** A Task state of a definition (branches included) and the resource or function placeholder it calls. */
export interface TaskStateReference {
  readonly state: string;
  readonly resource: string;
  /** For Lambda Tasks: the `${…}` placeholder name of `FunctionName` (e.g. `Fn_publish_alert`). */
  readonly functionPlaceholder?: string;
}

/**
 * Every Task state of a definition, Parallel branches included. The local engine overrides Tasks by
 * state name; this tells it which responder (or service integration) each state calls.
 */
export function taskStates(definition: AslDefinition): TaskStateReference[] {
  return Object.entries(definition.States).flatMap(([state, body]): TaskStateReference[] => {
    if (body.Type === 'Parallel') {
      return (body.Branches as readonly AslDefinition[]).flatMap(taskStates);
    }
    if (body.Type === 'Map') return taskStates(body.ItemProcessor as AslDefinition);
    if (body.Type !== 'Task') return [];
    const resource = String(body.Resource);
    const parameters = body.Parameters as Record<string, unknown> | undefined;
    const functionName = parameters?.FunctionName;
    const placeholder = typeof functionName === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1] : undefined;
    return [{ state, resource, ...(placeholder ? { functionPlaceholder: placeholder } : {}) }];
  });
}
