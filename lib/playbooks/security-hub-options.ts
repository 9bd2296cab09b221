/**
 * The options of the Security Hub write-back step (update-security-hub-finding), apart from its
 * registry entry (security-hub-actions.ts): the responder imports only its schema, not the entry's
 * description and IAM actions, which esbuild keeps in any bundle that imports their module (they
 * read RESPONDER_NAMES, a property access it cannot prove free of side effects).
 * docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

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
