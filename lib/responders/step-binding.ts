/**
 * Which step a containment grant clears: the grant names its playbook (from the state machine the
 * guard verified, never from an input), and the deployment says which playbooks have a step of this
 * responder and with which options (SECURITY_ENV.playbookSteps, written by the stack from the
 * compiled playbooks). A step acts only when its grant's playbook is one of them and the options in
 * its input are exactly what that playbook's step sends; for a manual playbook, also when the
 * request in its input (who asked, why, the domain to unblock and whether to force it) is the one
 * the execution was started with (the grant's `requestDigest`, which the guard takes of the verified
 * execution input).
 *
 * Without this, a grant and approval a person gave to one playbook (a DNS unblock) would clear
 * another playbook's step (release-instance) invoked directly with lambda:InvokeFunction, or the same
 * step with other options (`target: requested-domain`, `revokeRoleSessions: true`) or another
 * request (`force: true`).
 */
import * as z from '../contracts/zod-mini';
import { SECURITY_ENV } from '../contracts/security';
import type { ContainmentGrant } from '../contracts/security';
import { sha256Hex } from '../incident/keys';
import { canonicalJson } from '../contracts/canonical-json';
import type { DeploymentEnvironment } from './effective-mode';
import type { ResponderRequest } from './responder-input';
import { responderRequestSchema } from './responder-input';

/**
 * The options each deployed playbook's steps of one responder send, by playbook, as canonical JSON
 * of the responder's own parse of them (so that an option left at its default and the same option
 * written out are one); or why the deployment's list cannot be read (then no step is cleared).
 */
export type DeployedSteps =
  | { readonly byPlaybook: ReadonlyMap<string, ReadonlySet<string>> }
  | { readonly problem: string };

/** What a step claims about itself: its options (parsed by its schema) and the manual request it was given. */
export interface StepClaim {
  /** The responder, for the reasons. */
  readonly responder: string;
  /** The options of the step's input, as the responder's schema parsed them. */
  readonly options: unknown;
  /** The request of the step's input (manual playbooks), or undefined. */
  readonly request: ResponderRequest | undefined;
  /** What the deployment says the playbooks' steps of this responder send. */
  readonly deployed: DeployedSteps;
}

/**
 * Reads SECURITY_ENV.playbookSteps and parses every options object in it with the responder's own
 * options schema (the one its input goes through). Unset, not JSON or an entry the schema refuses:
 * a problem, and no grant clears the step.
 */
export function deployedStepsOf(environment: DeploymentEnvironment, optionsSchema: z.core.$ZodType): DeployedSteps {
  const name = SECURITY_ENV.playbookSteps;
  let table: unknown;
  try {
    table = JSON.parse(environment[name] ?? '');
  } catch {
    return { problem: `${name} is not set or not JSON` };
  }
  if (table === null || typeof table !== 'object' || Array.isArray(table)) return { problem: `${name} is not a JSON object` };
  const byPlaybook = new Map<string, Set<string>>();
  for (const [playbook, list] of Object.entries(table)) {
    if (!Array.isArray(list)) return { problem: `${name} has no options list for ${playbook}` };
    const options = new Set<string>();
    for (const entry of list as unknown[]) {
      const one = z.safeParse(optionsSchema, entry);
      if (!one.success) return { problem: `${name} has options of ${playbook} this responder refuses` };
      options.add(canonicalJson(one.data));
    }
    byPlaybook.set(playbook, options);
  }
  return { byPlaybook };
}

/** The SHA-256 (hex) of a manual request's canonical JSON, as the step's input schema parses it: what a grant binds a step's `request` to. */
export function requestDigest(request: ResponderRequest): string {
  return sha256Hex(canonicalJson(request));
}

/** The digest of the request fields `fields` of an execution input, parsed as a step parses its `request`, or why it cannot be. */
export function executionRequestDigest(executionInput: unknown, fields: readonly string[]): { readonly digest: string } | { readonly problem: string } {
  const source = executionInput !== null && typeof executionInput === 'object' ? (executionInput as Record<string, unknown>) : {};
  // Exactly the fields the compiled playbook passes its steps (`request: { 'requestedBy.$': '$.requestedBy', … }`).
  const picked = Object.fromEntries(fields.filter((field) => Object.hasOwn(source, field)).map((field) => [field, source[field]]));
  const request = responderRequestSchema.safeParse(picked);
  if (!request.success) return { problem: 'its input does not carry a manual request the steps accept (requestedBy, reason, dnsUnblock)' };
  return { digest: requestDigest(request.data) };
}

/**
 * Why `grant` does not clear this step, or undefined when it does: its playbook must have a step of
 * this responder sending exactly these options, and the request must be the execution's (none for
 * an automatic playbook's grant, which has no `requestDigest`).
 */
export function stepBindingProblem(step: StepClaim, grant: Pick<ContainmentGrant, 'playbook' | 'requestDigest' | 'executionArn'>): string | undefined {
  if ('problem' in step.deployed) return step.deployed.problem;
  const sent = step.deployed.byPlaybook.get(grant.playbook);
  const of = `playbook ${grant.playbook}`;
  if (sent === undefined) return `the grant is for ${of}, which has no ${step.responder} step`;
  if (!sent.has(canonicalJson(step.options))) return `the options in this step's input are not the ones ${of} sends its ${step.responder} step`;
  // A manual playbook's steps carry the request its execution was started with, an automatic one's none.
  const request = step.request === undefined ? undefined : requestDigest(step.request);
  if (request !== grant.requestDigest) return `the request in this step's input is not the one execution ${grant.executionArn} was started with`;
  return undefined;
}

/** The claim of a step's input, with the deployment's list read from `environment`. */
export function stepClaimOf(
  responder: string,
  input: { readonly options: unknown; readonly request?: ResponderRequest | undefined },
  optionsSchema: z.core.$ZodType,
  environment: DeploymentEnvironment,
): StepClaim {
  // Parsed again, as the deployed options are: a parse's output parses to itself, so only the
  // defaults a hand-built input left out are added; an input the schema refuses matches nothing.
  const options = z.safeParse(optionsSchema, input.options);
  return { responder, options: options.success ? options.data : { unparsable: true }, request: input.request, deployed: deployedStepsOf(environment, optionsSchema) };
}
