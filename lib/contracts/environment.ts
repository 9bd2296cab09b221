/**
 * Environment variables the stack sets on Firebreak's functions besides the security ones
 * (SECURITY_ENV in ./security.ts), written once: the stack, the game day's engine and the code that
 * reads them import the name from here. A string enum, as in ./security.ts: a bundle carries only the
 * names it reads.
 */
export enum DEPLOYMENT_ENV {
  /** The alert topic's ARN (publish-alert). */
  alertTopicArn = 'ALERT_TOPIC_ARN',
  /** The backup channel's topic (the operations topic, its own key): Critical incidents and failures go there too (publish-alert). */
  backupTopicArn = 'BACKUP_TOPIC_ARN',
  /** The state table's name (grants, approvals, quarantine records, blast-radius counter). */
  stateTable = 'FIREBREAK_STATE_TABLE',
  /** Comma-separated ids of instances the containment guard never contains. */
  protectedInstanceIds = 'FIREBREAK_PROTECTED_INSTANCE_IDS',
  /** The tag key that marks an instance as protected (only safe with an SCP: docs/security.md). */
  protectedTagKey = 'FIREBREAK_PROTECTED_TAG_KEY',
  /** The external id the member role's trust policy requires, when configured. */
  memberRoleExternalId = 'FIREBREAK_MEMBER_ROLE_EXTERNAL_ID',
  /** At most this many containments per window (the containment guard's blast radius). */
  blastRadiusMax = 'FIREBREAK_BLAST_RADIUS_MAX',
  /** The blast-radius window, in seconds. */
  blastRadiusWindowSeconds = 'FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS',
  /** Comma-separated ARNs of the state machines whose approvals the approval function answers. */
  approvalStateMachines = 'FIREBREAK_APPROVAL_STATE_MACHINES',
  /** Comma-separated role-name prefixes of Firebreak's own roles, whose sessions never approve. */
  deniedApproverRolePrefixes = 'FIREBREAK_DENIED_APPROVER_ROLE_PREFIXES',
  /**
   * Comma-separated domains block-dns-domain never blocks, nor any of their subdomains or parents
   * (the organization's own domains), on top of the built-in AWS service domains.
   */
  dnsAllowlist = 'FIREBREAK_DNS_ALLOWLIST',
  /**
   * Comma-separated IAM name patterns (`*` wildcard: administrator and break-glass users and roles)
   * whose credentials disable-access-key and revoke-role-sessions never touch, whatever a finding
   * names; the member role denies the same names (lib/stack/iam-scopes.ts).
   */
  privilegedNamePatterns = 'FIREBREAK_PRIVILEGED_NAME_PATTERNS',
  /** The dispatcher state machine's ARN: the oversized-event intake starts it with its clipped copies. */
  dispatcherArn = 'FIREBREAK_DISPATCHER_ARN',
  /** How many days an incident record is kept after its last entry (the state table's TTL does the deleting). */
  incidentRecordRetentionDays = 'FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS',
}

/**
 * Comma-separated IAM role and user ARNs whose callers (a role's sessions) may answer approval
 * requests (CDK context approverArns, lib/responders/approver-allowlist.ts); unset: IAM alone
 * decides; set but naming nobody (the stack never writes it so): nobody answers. A constant of its
 * own, not a DEPLOYMENT_ENV key: only the approval function reads it, and every responder bundle
 * carries DEPLOYMENT_ENV whole (test/bench/bundles.test.ts).
 */
export const APPROVER_ARNS_ENV = 'FIREBREAK_APPROVER_ARNS';

/**
 * Comma-separated regions in which the served accounts can run instances (CDK context
 * instanceRegions): quarantine-instance and revoke-role-sessions look for protected instances
 * holding a role there and in the incident's region, instead of every region enabled for the account
 * (lib/responders/role-holders.ts, row 2z). Unset: every enabled region. A constant of its own, not
 * a DEPLOYMENT_ENV key: only those two responders read it.
 */
export const INSTANCE_REGIONS_ENV = 'FIREBREAK_INSTANCE_REGIONS';
