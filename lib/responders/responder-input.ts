/**
 * What a playbook state machine sends every responder Lambda: the incident, the mode, the step's
 * options and the execution context (and, for a manual playbook, who asked for it). The payload crosses a trust boundary (Step Functions JSON,
 * the CLI, the local game day), so it is validated here before any AWS call; each responder passes
 * the zod schema of its own options (zod/mini on the Lambda side: lib/contracts/zod-mini.ts).
 */
import * as z from '../contracts/zod-mini';
import type { Incident } from '../incident/model';
import { incidentSchema } from './incident-schema';
import { ResponderInputError } from '../contracts/responder-errors';
import type { ExecutionContext } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import { executionContextSchema } from './model';
import { responderModeSchema } from '../contracts/responder-mode';
import type { Responder } from './runtime';
import type { IncidentLogger } from './logging';

/**
 * Who started a manual playbook (`firebreak release`) and why: the compiler passes it to the steps
 * of `trigger: manual` playbooks only; automatic playbooks are started by the dispatcher, not a person.
 */
export const responderRequestSchema = z.strictObject({
  /** The IAM identity (ARN) of the person who asked. */
  requestedBy: z.string().check(z.minLength(1)),
  /** Their reason, or null when they gave none. */
  reason: z.nullish(z.string()),
  /**
   * `firebreak dns unblock`: the domain to take back and whether the requester overrides the
   * other open incidents that still claim it (present only in the unblock-dns-domain playbook).
   */
  dnsUnblock: z.optional(z.strictObject({ domain: z.string().check(z.minLength(1), z.maxLength(253)), force: z.boolean() })),
});

/** Who asked for a manual playbook, and why. */
export type ResponderRequest = z.output<typeof responderRequestSchema>;

/** The envelope every responder receives; `options` is checked by the responder's own schema. */
export const responderInputSchema = z.strictObject({
  incident: incidentSchema,
  mode: responderModeSchema,
  options: z._default(z.record(z.string(), z.unknown()), {}),
  execution: z.optional(executionContextSchema),
  request: z.optional(responderRequestSchema),
});

/** A validated responder input with options of type `O`. */
export interface ResponderInput<O> {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly options: O;
  readonly execution?: ExecutionContext;
  /** Present for the steps of a manual playbook: who started it and why. */
  readonly request?: ResponderRequest;
}

function describeIssues(prefix: string, error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates a raw responder payload and the step's options; throws `ResponderInputError` naming
 * every offending field path.
 */
export function parseResponderInput<S extends z.core.$ZodType>(raw: unknown, optionsSchema: S): ResponderInput<z.output<S>> {
  const envelope = responderInputSchema.safeParse(raw);
  if (!envelope.success) {
    throw new ResponderInputError(`Invalid responder input: ${describeIssues('input', envelope.error)}`, {
      cause: envelope.error,
    });
  }
  const options = z.safeParse(optionsSchema, envelope.data.options);
  if (!options.success) {
    throw new ResponderInputError(`Invalid responder options: ${describeIssues('input.options', options.error)}`, {
      cause: options.error,
    });
  }
  const { incident, mode, execution, request } = envelope.data;
  return {
    incident,
    mode,
    options: options.data as z.output<S>,
    ...(execution ? { execution } : {}),
    ...(request ? { request } : {}),
  };
}

/** A responder whose input is the playbook step's payload (`ResponderInput` with the step's options schema). */
export function stepResponder<Schema extends z.core.$ZodType, Deps extends { readonly logger: IncidentLogger }, Result>(
  optionsSchema: Schema,
  run: (input: ResponderInput<z.output<Schema>>, deps: Deps) => Promise<Result>,
): Responder<ResponderInput<z.output<Schema>>, Deps, Result> {
  return {
    parse: (event) => parseResponderInput(event, optionsSchema),
    incidentKey: (input) => input.incident.key,
    run,
  };
}
