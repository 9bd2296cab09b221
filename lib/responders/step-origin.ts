/**
 * Proof of origin for the steps that act without a containment grant: snapshot-volumes and
 * copy-evidence take evidence before any approval, so no grant can say a playbook asked for them,
 * and anyone with lambda:InvokeFunction on them could otherwise snapshot any served instance's disks
 * and copy them into the forensic account. Such a step acts only when its invocation came from a
 * RUNNING execution of one of this deployment's playbooks whose own history scheduled this very task
 * with exactly this input (invocation-origin.ts, as publish-alert checks its alerts): a direct
 * invocation (no execution, one that never ran, an ended one, another state machine's, another
 * input) is refused with StepOriginRefusedError before any other call, and does nothing.
 *
 * A retry of the step matches too (Step Functions schedules the task again with the same payload).
 * A history that cannot be read (throttled past the SDK's retries, a 5xx) is no refusal: the check
 * throws a TransientResponderError and the playbook's Retry asks again, so a genuine execution's
 * evidence is not lost because Step Functions was busy.
 */
import type * as z from '../contracts/zod-mini';
import { StepOriginRefusedError } from '../contracts/responder-errors';
import { ActionLog } from './action-log';
import { noteVerifiedOrigin } from './attempt-actions';
import type { InvocationOrigins } from './invocation-origin';
import { checkScheduledInvocation, executionOfDeployment } from './invocation-origin';
import type { IncidentLogger } from './logging';
import type { ResponderInput } from './responder-input';
import { parseResponderInput } from './responder-input';
import type { Responder } from './runtime';

/** What a step needs to prove where its invocation came from. */
export interface StepOriginDeps {
  /** Step Functions, to read the execution's history (GetExecutionHistory). */
  readonly origins: InvocationOrigins;
  readonly logger: IncidentLogger;
  /** The deployment's environment: the stack name, the security account, the region, the function's own name. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

/** How the refusal names the step and what it did not do. */
export interface StepOriginWords {
  /** The responder (`snapshot-volumes`). */
  readonly responder: string;
  /** What was not done, as a sentence end (`no volume was snapshotted`). */
  readonly nothingDone: string;
}

/**
 * Resolves with the execution ARN when the invocation is the task its playbook execution scheduled
 * with exactly `received` (the event before parsing); otherwise records why (a skipped
 * `states:GetExecutionHistory` action, for the incident record) and throws StepOriginRefusedError.
 */
export async function requireStepOrigin(
  input: Pick<ResponderInput<unknown>, 'execution'>,
  received: unknown,
  deps: StepOriginDeps,
  words: StepOriginWords,
): Promise<string> {
  const environment = deps.environment ?? process.env;
  const executionArn = input.execution?.executionArn;
  const where = executionArn === undefined ? undefined : executionOfDeployment(executionArn, environment, words.responder);
  let why: string;
  if (executionArn === undefined || where === undefined) {
    why = 'it names no execution: only a playbook execution invokes this step';
  } else if (where.kind === 'express') {
    why = 'it names an Express execution (the dispatcher\'s, which never takes evidence and whose history GetExecutionHistory does not keep)';
  } else if (where.kind === 'foreign') {
    why = where.why;
  } else {
    const check = await checkScheduledInvocation(executionArn, received, { origins: deps.origins, environment, who: words.responder, what: 'this input' });
    if (check.verified) {
      noteVerifiedOrigin();
      return check.executionArn;
    }
    why = check.why;
  }
  const message = `${words.responder} refused this invocation: Step Functions does not confirm that a running Firebreak playbook execution asked for it (${why}); ${words.nothingDone}.`;
  new ActionLog(deps.now).record('states:GetExecutionHistory', executionArn ?? '(no execution)', 'skipped', message);
  deps.logger.warn('invocation refused: not from a running playbook execution', { responder: words.responder, ...(executionArn !== undefined ? { executionArn } : {}), why });
  throw new StepOriginRefusedError(message);
}

/** A step's input as the handler received it: parsed, and the event itself (what its execution's history must show). */
export interface ReceivedStep<Input> {
  readonly input: Input;
  readonly received: unknown;
}

/**
 * A playbook step's responder (`stepResponder`) that first proves its invocation's origin
 * (`requireStepOrigin`): nothing of `run` happens for an invocation Step Functions does not confirm.
 */
export function originCheckedStepResponder<Schema extends z.core.$ZodType, Deps extends { readonly logger: IncidentLogger }, Result>(
  optionsSchema: Schema,
  words: StepOriginWords,
  run: (input: ResponderInput<z.output<Schema>>, deps: Deps) => Promise<Result>,
): Responder<ReceivedStep<ResponderInput<z.output<Schema>>>, Deps & StepOriginDeps, Result> {
  return {
    parse: (event) => ({ input: parseResponderInput(event, optionsSchema), received: event }),
    incidentKey: ({ input }) => input.incident.key,
    run: async ({ input, received }, deps) => {
      await requireStepOrigin(input, received, deps, words);
      return run(input, deps);
    },
  };
}
