/**
 * The request every manual playbook is started with, built once: `firebreak release` (an instance),
 * `firebreak release --bucket --key` (an S3 object), `firebreak credentials release` and
 * `firebreak dns unblock`. Each starts its playbook directly (no EventBridge, no dispatcher) with an
 * incident Firebreak raises itself (source `firebreak`, Informational, its times the request's
 * second) that names what was asked, by whom and why, so that the guard, the responders, the alert
 * and the timeline read it like any incident. A command supplies only its target: what it is, the
 * incident's resource and the execution name; who asked, why, which incident and in which mode are
 * the same parts everywhere.
 */
import type { Incident } from '../incident/model';
import { isGameDayKey } from '../incident/keys';
import type { ResponderMode } from '../contracts/responder-mode';
import type { DeployedStack } from './stack';
import { ReleaseSetupError } from './release/errors';

/** Who asks, why, for which incident, in which mode, where and when: the parts every manual request is made of, checked already. */
export interface ManualRequestParts {
  readonly account: string;
  readonly region: string;
  /** The incident whose change the playbook undoes (the guard grants the target for this incident only). */
  readonly incidentKey: string;
  readonly mode: ResponderMode;
  /** ARN of the person (or role) who asked, from STS. */
  readonly requestedBy: string;
  /** Why, in the requester's words. */
  readonly reason?: string;
  /** When it was asked for (kept to the second). */
  readonly at: Date;
}

/** What a manual playbook's execution starts with: the compiled playbook reads `incident` and `mode`; the alert and the timeline the rest. */
export interface ManualExecutionInput<P extends string = string> {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly playbook: P;
  readonly requestedBy: string;
  /** Why; null when none was given (always present, so a JSONPath to it never fails). */
  readonly reason: string | null;
}

/** The StartExecution request: the execution name and input. */
export interface ManualRequest<I extends ManualExecutionInput = ManualExecutionInput> {
  readonly executionName: string;
  readonly input: I;
}

/** What a command says of its target. */
export interface ManualTarget {
  /** The deterministic execution name for the request's second (see compactSecond). */
  readonly executionName: (second: Date) => string;
  /** Not a GuardDuty type, so no playbook routes the incident by itself. */
  readonly findingType: string;
  /** What was asked, as the title begins: `Release of i-…`, `Unblock of c2.example.com`. */
  readonly asked: string;
  readonly resource: Incident['resource'];
  /** What the incident carries after the common fields: the resources it names, the scan a release answers. */
  readonly details?: Pick<Incident, 'affected' | 'malwareScan'>;
}

/** The same instant, to the second: a request sent twice within one second is one request. */
export function toSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

/** `2026-11-20T10:15:30.123Z` → `20261120T101530Z` (an execution name may not hold ':' or '.'). */
export function compactSecond(at: Date): string {
  return toSecond(at).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * The execution's name and input (pure; times are to the second). Step Functions answers a
 * StartExecution with the name and input of an execution still running with that same execution
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), so a
 * request sent twice within one second starts one execution.
 */
export function buildManualRequest<P extends string>(playbook: P, parts: ManualRequestParts, target: ManualTarget): ManualRequest<ManualExecutionInput<P>> {
  const at = toSecond(parts.at);
  const time = at.toISOString();
  const executionName = target.executionName(at);
  const incident: Incident = {
    key: parts.incidentKey,
    revision: executionName,
    source: 'firebreak',
    findingType: target.findingType,
    title: `${target.asked} requested by ${parts.requestedBy}`,
    ...(parts.reason ? { description: parts.reason } : {}),
    severity: { score: 0, label: 'Informational' },
    account: parts.account,
    region: parts.region,
    resource: target.resource,
    sample: false,
    // A drill's release is a drill's, as the parser marks one: by its key (a `gameday-` key is only
    // ever a drill's), so that the guard, the records and the alert all read it as a rehearsal.
    gameDay: isGameDayKey(parts.incidentKey),
    times: { created: time, updated: time, received: time },
    ...target.details,
  };
  return { executionName, input: { incident, mode: parts.mode, playbook, requestedBy: parts.requestedBy, reason: parts.reason ?? null } };
}

/** Who asked, for the request: the caller's ARN from STS (`unknown` if STS answered none). */
export function requesterOf(identity: { readonly arn: string }): string {
  return identity.arn || 'unknown';
}

/** What a manual playbook does, for the dry-run notice: `the release` … `restore`. */
export interface ManualAction {
  /** e.g. `the release`, `the unblock`. */
  readonly run: string;
  /** What it would do, e.g. `restore`, `take off`, `undo`, `remove`. */
  readonly would: string;
}

/**
 * The mode of a manual playbook: dry-run when asked, and when the deployment runs in dry-run (its
 * Mode output) whatever was asked: a deployment still in dry-run changes nothing on its own, and a
 * playbook started from it does not either. `notice` says so when the deployment decided it.
 */
export function manualMode(dryRunFlag: boolean | undefined, deployedMode: string | undefined, stackName: string, action: ManualAction): { readonly mode: ResponderMode; readonly notice?: string } {
  if (dryRunFlag) return { mode: 'dry-run' };
  if (deployedMode === 'dry-run') {
    return { mode: 'dry-run', notice: `Stack ${stackName} runs in dry-run (its Mode output), so ${action.run} runs in dry-run too: it reports what it would ${action.would} and changes nothing.` };
  }
  return { mode: 'enforce' };
}

/** The command line that approves the started execution (every manual playbook that changes something waits for it). */
export function approveCommand(executionArn: string): string {
  return `npx firebreak approve --execution ${executionArn}`;
}

/** A manual playbook's state machine in the deployed stack, or a ReleaseSetupError saying how to deploy it (and `orElse`, another way). */
export function manualPlaybookStateMachineOf(stack: DeployedStack, where: string, playbook: string, orElse = ''): string {
  const found = stack.playbooks.find((candidate) => candidate.name === playbook);
  if (found) return found.stateMachineArn;
  throw new ReleaseSetupError(`stack ${stack.stackName} in ${where} has no ${playbook} playbook: deploy playbooks/${playbook}.yaml with \`npx cdk deploy Firebreak\`${orElse}`);
}
