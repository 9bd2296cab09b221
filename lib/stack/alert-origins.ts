/**
 * publish-alert's check of where an alert came from, the stack's side (lib/responders/alert-origin.ts,
 * docs/security.md §D5): it reads the history of the playbook execution an alert names, and counts
 * the alert as Firebreak's only if a task there invoked it with exactly that alert.
 */
import { verifyInvocationOrigins } from './invocation-origins';
import type { ResponderFunction } from './responder-function';

/** The Sid of publish-alert's statement: GetExecutionHistory of this stack's playbooks' executions. */
export const VERIFY_ALERT_ORIGINS_SID = 'VerifyAlertOrigins';

/**
 * Lets publish-alert (`alerter`) read the history of every playbook execution of this stack
 * (states:GetExecutionHistory on `execution:<stackName>-<playbook>:*`, one resource per playbook,
 * nothing else: not the dispatcher's, whose Express executions keep no readable history, nor
 * another stack's), and names the stack in its environment (the playbooks' state machines are
 * `<stackName>-<playbook>`, lib/stack/playbooks.ts). The ARNs are written out rather than
 * referenced: those state machines invoke publish-alert, so a reference from its role would be a
 * dependency cycle. A machine CloudFormation had to name itself matches neither, and its alerts
 * are published unverified (fail closed).
 */
export function verifyAlertOrigins(alerter: ResponderFunction, stackName: string, playbookNames: readonly string[]): void {
  verifyInvocationOrigins(
    alerter,
    VERIFY_ALERT_ORIGINS_SID,
    stackName,
    playbookNames,
    'The execution an alert names is known only at run time; the statement names each playbook of this deployment (<stackName>-<playbook>), the only executions that send alerts publish-alert can verify, and grants only GetExecutionHistory of them.',
  );
}
