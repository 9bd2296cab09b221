/** Step Functions as the origin checks see it (publish-alert's, the evidence steps'), for tests about something else: every execution it reads shows the task. */
import type { AlertOrigins } from '../../lib/responders/alert-origin';

/** Answers that the running execution scheduled the task that invoked the function with exactly this input. */
export const confirmingOrigins: AlertOrigins = {
  scheduledInvocation: async () => ({ outcome: 'found', ended: false }),
};

/** The deployment facts the origin check reads (the stack's playbooks are `Firebreak-<playbook>`), in enforce mode. */
export const ORIGIN_ENVIRONMENT = {
  FIREBREAK_MODE: 'enforce',
  FIREBREAK_STACK_NAME: 'Firebreak',
  AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-ResponderPublishAlert-1A2B3C',
} as const;
