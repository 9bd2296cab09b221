/**
 * The responder runtime: what runs around a responder in its Lambda (`lambdas/<responder>/index.ts`)
 * and in the local game day alike. Parse the event against the responder's input schema (a bad
 * payload throws ResponderInputError before any AWS call), give the invocation a logger that stamps
 * the incident key on every line, run the responder with its injected dependencies. A playbook
 * step's responder is `stepResponder` (responder-input.ts), apart from here so that a Lambda that
 * takes no step payload (publish-alert) does not build the step envelope's schemas at cold start.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { incidentLoggerFrom } from './handler-logger';
import type { IncidentLogger } from './logging';

/** One responder as the runtime runs it. */
export interface Responder<Input, Deps extends { readonly logger: IncidentLogger }, Result> {
  /** Parses the raw event (the state machine's payload); throws ResponderInputError naming the field. */
  readonly parse: (event: unknown) => Input;
  /** The incident key the invocation's log lines carry. */
  readonly incidentKey: (input: Input) => string;
  /** The responder itself. */
  readonly run: (input: Input, deps: Deps) => Promise<Result>;
}

/** What a responder's handler is built from: its dependencies, with the module-scope logger. */
export type HandlerDeps<Deps extends { readonly logger: IncidentLogger }> = Omit<Deps, 'logger'> & {
  /** The module-scope Powertools logger (each invocation gets a child with the incident key), or any IncidentLogger. */
  readonly logger: Logger | IncidentLogger;
};

/** A Lambda handler: its event in, its result out (or a thrown, named error for the state machine's Retry/Catch). */
export type ResponderHandler<Result> = (event: unknown) => Promise<Result>;

/** The handler of `responder` over `deps`: parse → logger → run. */
export function createResponderHandler<Input, Deps extends { readonly logger: IncidentLogger }, Result>(
  responder: Responder<Input, Deps, Result>,
  deps: HandlerDeps<Deps>,
): ResponderHandler<Result> {
  return async (event) => {
    const input = responder.parse(event);
    const logger = incidentLoggerFrom(deps.logger, responder.incidentKey(input));
    return responder.run(input, { ...deps, logger } as unknown as Deps);
  };
}
