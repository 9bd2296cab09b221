/**
 * The options of the Security Hub write-back step (update-security-hub-finding), apart from its
 * registry entry (security-hub-actions.ts): the responder imports only its schema, not the entry's
 * description and IAM actions, which esbuild keeps in any bundle that imports their module (they
 * read RESPONDER_NAMES, a property access it cannot prove free of side effects).
 * docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';
import type { RESPONDER_NAMES } from '../contracts/responders';

/**
 * The workflow statuses Firebreak may set (the IAM statement allows only these, through the
 * `securityhub:ASFFSyntaxPath/Workflow.Status` condition key): NOTIFIED after containment or an
 * alert (a person was told and must act), RESOLVED after a release (the finding is dealt with).
 * Never SUPPRESSED: hiding a finding is a person's decision.
 */
export const SECURITY_HUB_WORKFLOW_STATUSES = ['NOTIFIED', 'RESOLVED'] as const;
export type SecurityHubWorkflowStatus = (typeof SECURITY_HUB_WORKFLOW_STATUSES)[number];

/**
 * The release steps whose answer a RESOLVED write-back reads: the playbook schema wants one before
 * it (row 13g), and the responder resolves only when one let go of its resource (row 13e). Literal
 * names (RESPONDER_NAMES' table would add to the responder's bundle), checked against it by type.
 */
export const RELEASE_STEP_RESPONDERS = ['release-instance', 'release-credentials', 'release-s3-object'] as const satisfies readonly (typeof RESPONDER_NAMES)[keyof typeof RESPONDER_NAMES][];
export type ReleaseStepResponder = (typeof RELEASE_STEP_RESPONDERS)[number];

/**
 * Who every note the write-back leaves says wrote it (`Note.UpdatedBy`, at most 128 characters).
 * The IAM statement allows no other author (`securityhub:ASFFSyntaxPath/Note.UpdatedBy`), so
 * nothing under the role can sign a note as a person. The responder's name, spelled out here
 * rather than read from RESPONDER_NAMES (see this module's comment); a test holds them equal.
 */
export const SECURITY_HUB_NOTE_AUTHOR = 'Firebreak update-security-hub-finding';

/**
 * The BatchUpdateFindings fields the write-back never sets, as their
 * `securityhub:ASFFSyntaxPath/<field>` condition keys: the IAM statement allows a request only
 * when every one is absent (IAM `Null`), so the role cannot lower a finding's severity, mark it a
 * false positive or rewrite its types, the ways besides the workflow status to push a real finding
 * out of the views people triage. The names are AWS's own, from its managed policy
 * AWSSystemsManagerOpsDataSyncServiceRolePolicy, which denies the same fields to Systems Manager;
 * the severity's follow the documented rule (the key is the ASFF field path, as `Workflow.Status`).
 * https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html
 */
export const SECURITY_HUB_FIELDS_NEVER_SET = [
  'Confidence',
  'Criticality',
  'RelatedFindings',
  'Severity.Label',
  'Severity.Normalized',
  'Severity.Product',
  'Types',
  'UserDefinedFields.key',
  'UserDefinedFields.value',
  'VerificationState',
] as const;

export const updateSecurityHubFindingOptions = z.strictObject({
  /** The workflow status to set: NOTIFIED (default, after containment or an alert) or RESOLVED (in a release playbook). */
  workflowStatus: z._default(z.enum(SECURITY_HUB_WORKFLOW_STATUSES), 'NOTIFIED'),
});
