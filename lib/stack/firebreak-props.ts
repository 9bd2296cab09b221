/**
 * The props of the Firebreak construct, documented once: the app reads the same names from CDK
 * context (lib/stack/config.ts checks both with one schema), and the constructs Firebreak is
 * composed of take the subsets they need (`Pick<FirebreakProps, …>`).
 */
import type { Playbook } from '../playbooks/model';
import type { ResponderMode } from '../contracts/responder-mode';

export interface FirebreakProps {
  /**
   * The playbooks to deploy; each becomes a Standard state machine. At least one.
   * @default the playbooks of `playbooksDir`
   */
  readonly playbooks?: readonly Playbook[];
  /**
   * A folder of playbook files (`*.yaml`, `*.yml`) to deploy, loaded and checked at synth (the
   * same checks as `firebreak validate`). Ignored when `playbooks` is given.
   * @default the playbooks Firebreak ships (`SHIPPED_PLAYBOOKS_DIR`)
   */
  readonly playbooksDir?: string;
  /**
   * E-mail addresses subscribed to the alert topic (each must confirm the subscription).
   * @default no subscription
   */
  readonly alertEmails?: readonly string[];
  /**
   * `dry-run` forces every playbook into dry-run (mutating EC2 calls are sent with DryRun: true);
   * `enforce` lets each playbook's own `mode` apply.
   * @default 'dry-run'
   */
  readonly mode?: ResponderMode;
  /**
   * Forces dry-run everywhere, like `mode: 'dry-run'`; conflicts with `mode: 'enforce'`.
   * @default false
   */
  readonly forceDryRun?: boolean;
  /**
   * Instances that are never quarantined automatically (they get evidence and an alert).
   * @default none
   */
  readonly protectedInstanceIds?: readonly string[];
  /**
   * Instances carrying this tag key are never quarantined automatically. Anyone with
   * ec2:CreateTags can set it unless a service control policy guards the key.
   * @default no tag-based protection
   */
  readonly protectedTagKey?: string;
  /**
   * The member roles' configured name (deploy lib/stack/member-role-stack.ts in member accounts):
   * each responder assumes its own role there, `<memberRoleName>-<responder>` (at most 64 characters).
   * @default responders act in the security account only
   */
  readonly memberRoleName?: string;
  /**
   * The organization id (`o-…`): responders may assume member roles only in its accounts
   * (`aws:ResourceOrgID`), so a forged event naming an outside account cannot send them there.
   * Required whenever `memberRoleName` is set, and only then.
   * @default none (and then no member role either)
   */
  readonly organizationId?: string;
  /**
   * The configured name of the member-account roles that write role policies: each responder that
   * writes them gets `<sessionRevokerRoleName>-<responder>`, separate from its member role and
   * trusted by it alone. Requires `memberRoleName`.
   * @default 'FirebreakSessionRevoker'
   */
  readonly sessionRevokerRoleName?: string;
  /**
   * Accounts served besides the security account (12-digit ids), the allowlist responders and
   * triage read from `FIREBREAK_SERVED_ACCOUNT_IDS`.
   * @default none: the security account, and with `organizationId` the organization's accounts
   */
  readonly servedAccountIds?: readonly string[];
  /**
   * IAM principal ARNs (users or roles, `*` allowed in the name) that may inject game-day events.
   * When set, a bus `<stackName>-gameday` admits exactly these principals and its rule sends
   * `firebreak.gameday` events to the dispatcher; when empty, the deployment accepts no game-day
   * event at all (none is ever accepted on the default bus).
   * @default none: game days off
   */
  readonly gameDayPrincipals?: readonly string[];
  /**
   * E-mail addresses subscribed to the operations topic, the second channel of every alarm.
   * @default the alertEmails
   */
  readonly operationsEmails?: readonly string[];
  /**
   * IAM principal ARNs (patterns) that may subscribe to the alert and operations topics besides
   * the CloudFormation deployment; every other principal is denied sns:Subscribe.
   * @default none
   */
  readonly alertSubscriberArns?: readonly string[];
  /**
   * IAM principal ARNs (patterns) that may disable, schedule the deletion of, or rewrite the
   * policy of the alert and operations keys; every other principal is denied.
   * @default the account's root user
   */
  readonly keyAdminArns?: readonly string[];
  /**
   * IAM principal ARNs (patterns, `*` allowed in the name) that may check a record's seal with the
   * record key: kms:VerifyMac only, never GenerateMac, and only through their own IAM policy (the key
   * policy delegates that one action to the account for these principals). `firebreak report` checks
   * with it that a key found already Inactive was set so by the incident, when the attempt that set
   * it left no entry (its Lambda timed out).
   * @default none: the report says such a key's containment is not confirmed
   */
  readonly recordVerifierArns?: readonly string[];
  /**
   * The IAM roles and users (ARNs, a path allowed, no wildcard) whose callers may answer approval
   * requests, and look at them first: the approval function refuses everyone else (403, logged),
   * however their IAM policy lets them invoke it (an administrator's `lambda:*`). A role's
   * sessions are that role (lib/responders/approver-allowlist.ts). An entry may also be a role's or
   * user's unique id (`AROA…`, `AIDA…`), which names that principal alone: a role created again under
   * the same name is not it. Attach ApproverPolicy to the same roles: the list does not grant the invoke.
   * @default none: IAM alone decides who answers (whoever may invoke the approval function's URL), and synth warns
   */
  readonly approverArns?: readonly string[];
  /**
   * The principals CloudFormation deploys the stack as; they may put the key policies.
   * @default the CDK bootstrap's CloudFormation execution role of the stack synthesizer
   */
  readonly deploymentPrincipalArns?: readonly string[];
  /**
   * Administrator and break-glass role name patterns (IAM `*` wildcard): no responder may write a
   * policy to, or pass, a matching role. Firebreak's own roles are always excluded as well.
   * @default DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS
   */
  readonly privilegedRoleNamePatterns?: readonly string[];
  /**
   * The organization's own domains (e.g. `example.com`): block-dns-domain never blocks one of
   * them, a subdomain or a parent, whatever a finding names. AWS service domains are always kept
   * (lib/responders/dns-domain.ts BUILT_IN_DNS_ALLOWLIST).
   * @default the built-in AWS service domains only
   */
  readonly dnsAllowlist?: readonly string[];
  /**
   * The regions in which the served accounts can run instances (e.g. those an SCP, such as AWS
   * Control Tower's Region deny control, leaves open). Before a role's sessions are denied,
   * quarantine-instance and revoke-role-sessions look for protected instances holding the role in
   * these regions (those the account has enabled, row 2zd) and the incident's, instead of every
   * region enabled for the account (row 2z): a
   * region the SCP denies is then not read, and does not keep every role's sessions.
   * @default every region enabled for the account (ec2:DescribeRegions)
   */
  readonly instanceRegions?: readonly string[];
  /**
   * `sts:ExternalId` the member roles require. Requires `memberRoleName`.
   * @default none
   */
  readonly memberRoleExternalId?: string;
  /**
   * Retention of every log group, in days (a CloudWatch Logs retention period).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * How long an incident record (the state table's `incident#<key>` item every step appends to,
   * docs/incident-record.md) is kept after its last entry, in days (1 to 3650); DynamoDB's TTL
   * deletes it after that. Point-in-time recovery keeps 35 days of the table besides.
   * @default 400
   */
  readonly incidentRecordRetentionDays?: number;
  /**
   * How long the event archive on the default bus keeps every GuardDuty finding and alarm state
   * change the rules could deliver, whole, in days (1 to 3650): to read an event the queues kept
   * only the envelope of, or to replay events to the rules (docs/deploy.md, "Replaying events").
   * @default 400 (as long as an incident record)
   */
  readonly eventArchiveRetentionDays?: number;
  /**
   * Containments per account in the sliding window before the containment guard asks for approval.
   * @default the containment guard's own default
   */
  readonly blastRadiusMax?: number;
  /**
   * Length of the blast-radius sliding window, in seconds.
   * @default the containment guard's own default
   */
  readonly blastRadiusWindowSeconds?: number;
  /**
   * Reserved concurrency of each responder that calls EC2, capping the EC2 request rate of a
   * finding storm. Off by default: new accounts have a concurrency quota of 10 and Lambda refuses
   * reservations that leave less than 10 unreserved.
   * @default no reservation
   */
  readonly reservedConcurrency?: number;
  /**
   * The deployment's target for time to containment (a finding's arrival to the instance isolated),
   * in seconds: the dashboard draws it and an alarm pages both channels when a real incident's
   * containment takes longer.
   * @default 120 (FIREBREAK_DEFAULTS.containmentTargetSeconds)
   */
  readonly containmentTargetSeconds?: number;
  /**
   * The forensic account the copy-evidence step copies evidence snapshots to (its own account,
   * never a member account). Required with forensicKmsKeyArn by any playbook with a copy-evidence step.
   * @default none: no playbook may copy evidence
   */
  readonly forensicAccountId?: string;
  /**
   * The forensic account's KMS key (full ARN) every copy is re-encrypted with.
   * @default none
   */
  readonly forensicKmsKeyArn?: string;
  /**
   * The role copy-evidence assumes in the forensic account (ForensicRoleStack deploys it).
   * @default 'FirebreakForensicCopier'
   */
  readonly forensicRoleName?: string;
}
