/**
 * The Security Hub write-back step of the playbook format (issue 13, "the finding's own record"):
 * `update-security-hub-finding` sets the workflow status of the GuardDuty finding's Security Hub
 * copy and leaves a note with the incident key and what Firebreak did, so that people triaging in
 * the Security Hub console see that the finding is handled. Defined apart from actions.ts so the
 * registry only lists it. docs/responders/update-security-hub-finding.md says why each choice is what it is.
 * The step's options schema is in security-hub-options.ts, which the responder imports.
 */
import { RESPONDER_NAMES } from '../contracts/responders';
import { updateSecurityHubFindingOptions } from './security-hub-options';

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
