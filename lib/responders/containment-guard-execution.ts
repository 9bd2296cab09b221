/**
 * The first thing the containment guard checks: that the execution it is asked about is a running
 * execution of one of this deployment's playbooks, for the same incident (states:DescribeExecution).
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { awsErrorCode, toResponderError } from '../aws/errors';
import type { PlaybookRails } from '../contracts/security';
import { SECURITY_ENV } from '../contracts/security';
import type { Incident } from '../incident/model';
import { oneCredentialOf } from './containment-guard-credential';
import { credentialGrantSubject } from '../contracts/security';
import type { ResponderMode } from '../contracts/responder-mode';
import { ec2InstanceOf, executionInputIncident } from './execution-input';
import { incidentDigest } from './grants';
import { executionRequestDigest } from './step-binding';
import type { ContainmentGuardConfig, ContainmentGuardDeps } from './containment-guard-model';

/** What DescribeExecution established about the execution the guard was asked about. */
type ExecutionCheck =
  | {
      readonly verified: true;
      readonly executionArn: string;
      readonly playbook: string;
      readonly rails: PlaybookRails;
      /** `incidentDigest` of the execution's own incident, which the guard's input incident equals. */
      readonly incidentDigest: string;
      /** The execution's own incident, from its input: what the rails that must not trust the step's input read. */
      readonly incident: Incident;
      /** For a manual playbook: the digest of the request its steps receive (`executionRequestDigest`). */
      readonly requestDigest?: string;
      /** The execution's own mode, which the invocation's equals. */
      readonly inputMode: ResponderMode;
    }
  | { readonly verified: false; readonly executionArn?: string; readonly reason: string };

/** The pauses before reading again an execution DescribeExecution does not know (three reads in all, within a second). */
const UNKNOWN_EXECUTION_PAUSES_MS = [250, 750] as const;

const STATE_MACHINE_ARN = /^arn:([\w-]+):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** A Standard execution's ARN: `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`. */
const EXECUTION_ARN = /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:execution:([A-Za-z0-9_-]{1,80}):[^:]+$/;

/**
 * The kind of playbook (contain, release) the execution ARN of the guard's input names, before
 * DescribeExecution says anything (pure): a claim, good only for starting early a read that kind
 * will need (the emergency pause, for a containment); every decision waits for `verifyExecution`.
 */
export function claimedPlaybookKind(executionArn: string | undefined, config: Pick<ContainmentGuardConfig, 'stackName' | 'rails'>): PlaybookRails['kind'] | undefined {
  const machine = executionArn === undefined ? undefined : EXECUTION_ARN.exec(executionArn)?.[1];
  const prefix = `${config.stackName ?? ''}-`;
  if (config.stackName === undefined || machine === undefined || !machine.startsWith(prefix)) return undefined;
  const playbook = machine.slice(prefix.length);
  return Object.hasOwn(config.rails, playbook) ? config.rails[playbook]?.kind : undefined;
}

/**
 * What the invocation claims beside its incident, which shape the grant: the mode, and whether a
 * person must approve. The execution's own guard step sends the execution's mode and its
 * playbook's `requireApproval` (compile.ts), nothing else.
 */
export interface GuardInvocationClaims {
  readonly mode: ResponderMode;
  readonly requireApproval: boolean;
}

/**
 * Verifies with states:DescribeExecution that `executionArn` is a RUNNING execution of one of this
 * deployment's playbook state machines (`<stackName>-<playbook>`, in the security account and the
 * guard's region), that its input names the same incident (key, account, region, instance, and
 * then the whole incident, by digest: the grant binds the steps to it), and that the invocation
 * does not claim less than the execution's own guard step sends: a dry-run of an execution started
 * in enforce, or an approval its playbook's rails do not require. The grant is written once, by the
 * first run, and a later run of the same execution keeps its decision: such an invocation, made
 * before the execution's own guard step, would otherwise decide for it, and leave a real compromise
 * contained in dry-run or waiting for a person.
 * IAM lets the guard describe only `<stackName>-*` executions, so any other ARN is denied and
 * treated as not verified. Throws only on transient errors (the state machine retries).
 */
export async function verifyExecution(
  executionArn: string | undefined,
  incident: Incident,
  claims: GuardInvocationClaims,
  deps: Pick<ContainmentGuardDeps, 'clients' | 'config' | 'pause'>,
): Promise<ExecutionCheck> {
  const { config } = deps;
  if (executionArn === undefined) {
    return { verified: false, reason: 'The guard was invoked without a playbook execution (no execution ARN in its input): no containment grant is possible; evidence and an alert only.' };
  }
  const refuse = (why: string): ExecutionCheck => ({
    verified: false,
    executionArn,
    reason: `Execution ${executionArn} is not one this guard can clear (${why}): no containment grant; evidence and an alert only.`,
  });
  if (config.stackName === undefined || config.securityAccountId === undefined || config.region === undefined || Object.keys(config.rails).length === 0) {
    return refuse(`the deployment's ${SECURITY_ENV.stackName}, ${SECURITY_ENV.securityAccountId}, AWS_REGION or ${SECURITY_ENV.playbookRails} is not set on the guard`);
  }
  // DescribeExecution is eventually consistent
  // (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html), and
  // the guard is the first state of the execution it asks about: an execution it does not know yet
  // is read again after a short pause, so that a real incident is not left uncontained on a stale
  // answer. A forged ARN costs its caller under a second and clears nothing.
  const pause = deps.pause ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  let output;
  for (let read = 0; output === undefined; read++) {
    try {
      output = await deps.clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      const code = awsErrorCode(error);
      const wait = UNKNOWN_EXECUTION_PAUSES_MS[read];
      if (code === 'ExecutionDoesNotExist' && wait !== undefined) {
        await pause(wait);
        continue;
      }
      if (code === 'ExecutionDoesNotExist' || code === 'InvalidArn' || code === 'AccessDeniedException' || code === 'AccessDenied') {
        return refuse(`states:DescribeExecution answered ${code}`);
      }
      throw toResponderError(error, 'states:DescribeExecution');
    }
  }
  if (output.status !== 'RUNNING') return refuse(`its status is ${output.status ?? 'unknown'}, not RUNNING`);
  const machine = STATE_MACHINE_ARN.exec(output.stateMachineArn ?? '');
  if (!machine) return refuse(`its state machine ARN ${output.stateMachineArn ?? '(none)'} is not a state machine ARN`);
  const [, , region, account, name] = machine as unknown as [string, string, string, string, string];
  if (account !== config.securityAccountId || region !== config.region) {
    return refuse(`its state machine runs in ${account}/${region}, not in this deployment's ${config.securityAccountId}/${config.region}`);
  }
  const prefix = `${config.stackName}-`;
  const playbook = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  const rails = playbook !== undefined && Object.hasOwn(config.rails, playbook) ? config.rails[playbook] : undefined;
  if (playbook === undefined || rails === undefined) return refuse(`its state machine ${name} is not one of this deployment's guarded playbooks`);
  const read = executionInputIncident(output.input);
  if ('problem' in read) return refuse(read.problem === 'not-json' ? 'its input is not JSON' : 'its input carries no incident');
  const { input: executionInput, incident: theirs } = read;
  const theirInstance = ec2InstanceOf(theirs);
  const ourInstance = ec2InstanceOf(incident);
  const differences = [
    theirs.key !== incident.key ? `incident ${theirs.key}, not ${incident.key}` : undefined,
    theirs.account !== incident.account ? `account ${theirs.account}, not ${incident.account}` : undefined,
    theirs.region !== incident.region ? `region ${theirs.region}, not ${incident.region}` : undefined,
    theirInstance !== ourInstance ? `instance ${theirInstance ?? 'none'}, not ${ourInstance ?? 'none'}` : undefined,
    // A per-credential execution's grant names its one credential: the execution's, not the invoker's.
    credentialOf(theirs) !== credentialOf(incident) ? `credential ${credentialOf(theirs) ?? 'none'}, not ${credentialOf(incident) ?? 'none'}` : undefined,
  ].filter((d): d is string => d !== undefined);
  if (differences.length > 0) return refuse(`its input names ${differences.join(', ')}`);
  const digest = incidentDigest(theirs);
  if (digest !== incidentDigest(incident)) {
    return refuse(`its input's incident ${theirs.key} differs from the one the guard was given in other details (a resource, domain, credential or finding field)`);
  }
  // The first run's grant is the execution's decision, so it must be the one the execution's own
  // guard step would write: an invocation may not lower it (a dry-run of an enforce execution, an
  // approval its playbook does not ask for). A claim that could not change it (enforce for a
  // dry-run execution, no approval where the rails require one) is overruled by the execution's
  // mode and the rails below, as before.
  const inputMode = (executionInput as { mode?: unknown }).mode;
  if (inputMode !== 'enforce' && inputMode !== 'dry-run') return refuse('its input carries no mode its guard step could send, enforce or dry-run');
  if (claims.mode === 'dry-run' && inputMode === 'enforce') {
    return refuse("this invocation says dry-run, but the execution was started in enforce: only the execution's own guard step, which sends its mode, may clear it");
  }
  if (claims.requireApproval && !rails.approvalRequired) {
    return refuse(
      `this invocation says requireApproval: true, but playbook ${playbook} says false: only the execution's own guard step, which sends its playbook's, may clear it`,
    );
  }
  // A manual playbook's steps also read who asked, why, and what to unblock: the grant binds that too.
  let request: { readonly digest: string } | undefined;
  if (rails.manualRequest !== undefined) {
    const taken = executionRequestDigest(executionInput, rails.manualRequest);
    if ('problem' in taken) return refuse(taken.problem);
    request = taken;
  }
  return {
    verified: true,
    executionArn,
    playbook,
    rails,
    incidentDigest: digest,
    incident: theirs,
    ...(request !== undefined ? { requestDigest: request.digest } : {}),
    inputMode,
  };
}

/** The one credential an incident is about, as its grant subject (case-folded: IAM names are unique whatever their case), or undefined. */
function credentialOf(incident: Pick<Incident, 'account' | 'resource'>): string | undefined {
  const one = oneCredentialOf(incident);
  return one === undefined ? undefined : credentialGrantSubject(one.subject).toLowerCase();
}
