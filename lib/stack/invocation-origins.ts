/**
 * The stack's side of the origin checks (lib/responders/invocation-origin.ts, docs/security.md §D5):
 * a function that reads the history of the playbook execution its input names, and acts on (or
 * vouches for) the invocation only if a task there invoked it with exactly that input.
 */
import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SECURITY_ENV } from '../contracts/security';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { Playbook } from '../playbooks/model';
import { flattenSteps } from '../playbooks/model';
import { acknowledgeWildcardResources } from './iam-scopes';
import type { ResponderFunction } from './responder-function';

/** The Sid of the evidence steps' statement: GetExecutionHistory of the playbooks that have the step. */
export const VERIFY_STEP_ORIGINS_SID = 'VerifyStepOrigins';

/**
 * Lets `target` read the history of the executions of `playbookNames` (states:GetExecutionHistory
 * on `execution:<stackName>-<playbook>:*`, one resource per playbook, nothing else: not the
 * dispatcher's, nor another stack's), and names the stack in its environment (the playbooks' state
 * machines are `<stackName>-<playbook>`, lib/stack/playbooks.ts). The ARNs are written out rather
 * than referenced: those state machines invoke the function, so a reference from its role would be
 * a dependency cycle. A machine CloudFormation had to name itself matches none (fail closed).
 */
export function verifyInvocationOrigins(target: ResponderFunction, sid: string, stackName: string, playbookNames: readonly string[], why: string): void {
  if (playbookNames.length === 0) return;
  // Fn::Sub, not the Fn::Join a token ARN becomes: a third of the characters, in a template near its size limit (test/stack/app.test.ts).
  const executions = playbookNames.map((playbook) => Fn.sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stackName}-${playbook}:*`));
  target.function.addEnvironment(SECURITY_ENV.stackName, stackName);
  target.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: ['states:GetExecutionHistory'], resources: executions }));
  acknowledgeWildcardResources(
    target.role,
    executions.map((resource) => ({ resource, why })),
  );
}

/**
 * The responders that prove their invocation's origin (lib/responders/step-origin.ts): the evidence
 * steps, which act without a containment grant, and the Security Hub write-back, whose RESOLVED rests
 * on the earlier steps' results its input carries (row 13h).
 */
export const ORIGIN_CHECKED_STEPS = [RESPONDER_NAMES.snapshotVolumes, RESPONDER_NAMES.copyEvidence, RESPONDER_NAMES.updateSecurityHubFinding] as const;

/**
 * Lets each origin-checked step (snapshot-volumes, copy-evidence) read the history of the
 * executions of exactly the playbooks that have a step of it: a direct invocation naming any
 * other execution is refused (docs/security.md §D5).
 */
export function verifyStepOrigins(functions: ReadonlyMap<string, ResponderFunction>, stackName: string, playbooks: readonly Playbook[]): void {
  for (const responder of ORIGIN_CHECKED_STEPS) {
    const target = functions.get(responder);
    if (target === undefined) continue;
    const names = playbooks.filter((playbook) => flattenSteps(playbook.steps).some((step) => step.action === responder)).map((playbook) => playbook.name);
    verifyInvocationOrigins(
      target,
      VERIFY_STEP_ORIGINS_SID,
      stackName,
      names,
      `The execution that invokes ${responder} is known only at run time; the statement names each playbook of this deployment with a ${responder} step (<stackName>-<playbook>), the only executions whose tasks it acts for, and grants only GetExecutionHistory of them.`,
    );
  }
}
