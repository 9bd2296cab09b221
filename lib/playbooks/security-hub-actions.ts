/**
 * The Security Hub write-back step of the playbook format (issue 13, "the finding's own record"):
 * `update-security-hub-finding` sets the workflow status of the GuardDuty finding's Security Hub
 * copy and leaves a note with the incident key and what Firebreak did, so that people triaging in
 * the Security Hub console see that the finding is handled. Defined apart from actions.ts so the
 * registry only lists it. docs/responders/update-security-hub-finding.md says why each choice is what it is.
 */
import * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';

/**
 * The workflow statuses Firebreak may set (the IAM statement allows only these, through the
 * `securityhub:ASFFSyntaxPath/Workflow.Status` condition key): NOTIFIED after containment or an
 * alert (a person was told and must act), RESOLVED after a release (the finding is dealt with).
 * Never SUPPRESSED: hiding a finding is a person's decision.
 */
export const SECURITY_HUB_WORKFLOW_STATUSES = ['NOTIFIED', 'RESOLVED'] as const;
export type SecurityHubWorkflowStatus = (typeof SECURITY_HUB_WORKFLOW_STATUSES)[number];

export const updateSecurityHubFindingOptions = z.strictObject({
  /** The workflow status to set: NOTIFIED (default, after containment or an alert) or RESOLVED (in a release playbook). */
  workflowStatus: z._default(z.enum(SECURITY_HUB_WORKFLOW_STATUSES), 'NOTIFIED'),
});

export const SECURITY_HUB_ACTIONS = {
  [RESPONDER_NAMES.updateSecurityHubFinding]: {
    name: RESPONDER_NAMES.updateSecurityHubFinding,
    description:
      "Write back to the GuardDuty finding's Security Hub copy (BatchUpdateFindings in the finding's own account and region): workflow status NOTIFIED or RESOLVED and a note with the incident key and what Firebreak did.",
    options: updateSecurityHubFindingOptions,
    responder: RESPONDER_NAMES.updateSecurityHubFinding,
    iamActions: ['securityhub:BatchUpdateFindings'],
    // It changes a finding's workflow, not a resource: the approval and blast-radius rails do not apply.
    mutates: false,
  },
} as const;
