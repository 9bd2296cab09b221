/**
 * The responder Lambdas of a deployment: one per responder the playbooks use (triage and
 * publish-alert always; the containment guard when a playbook changes resources), each with its
 * own role holding exactly the statements `planResponderStatements` plans for the actions its steps
 * need, the deployment's facts in its environment (never the input's), the member-role grant when
 * it acts in member accounts, and an alarm on both channels for every error.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEFAULT_SESSION_REVOKER_ROLE_NAME } from '../aws/member-accounts';
import { DEPLOYMENT_ENV, INSTANCE_REGIONS_ENV } from '../contracts/environment';
import { METRICS_NAMESPACE_ENV, metricsNamespace } from '../contracts/metrics';
import { DEFAULT_FORENSIC_ROLE_NAME, SECURITY_ENV, STATE_KEY_PREFIX } from '../contracts/security';
import { ACTIONS, iamActionsForStep } from '../playbooks/actions';
import { ALERT_RESPONDER, GUARD_RESPONDER, isGuardedPlaybook } from '../playbooks/compile';
import { TRIAGE_RESPONDER } from '../playbooks/dispatcher';
import type { Playbook } from '../playbooks/model';
import { flattenSteps } from '../playbooks/model';
import type { RoutingTable } from '../playbooks/routing';
import { routingEnvironment, routingTableFor } from '../playbooks/routing';
import { GRANTED_RESPONDERS, evidenceLockMaxDays, evidenceLocksFor, playbookRailsFor, playbookStepsFor, securityHubWorkflowStatuses } from '../playbooks/rails';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../responders/containment-guard';
import { EXECUTION_STATUS_IAM_ACTIONS } from '../responders/execution-status';
import { PAUSE_KEY } from '../responders/emergency-pause';
import { DEFAULT_INCIDENT_RECORD_RETENTION_DAYS } from '../responders/incident-record';
import type { ResponderMode } from '../contracts/responder-mode';
import type { AlertChannels } from './alerting';
import { pascal } from './defaults';
import type { FirebreakProps } from './firebreak-props';
import type { ResponderArns } from './iam-scopes';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, planResponderStatements, privilegedRoleArns, protectedTagKeyFor, quarantineCopyDestinations, ROLE_POLICY_WRITES } from './iam-scopes';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { groupsOnly } from './logical-ids';
import { DEFAULT_RESPONDER_ROLE_NAME_PREFIX, actsInMemberAccount, grantAssumeMemberRole, guardTargetAccountActions, responderMemberRoles, responderRoleName } from './member-role-stack';
import { ResponderFunction } from './responder-function';
import type { IncidentState } from './state';
import { isItemWrite } from './state';
import { RELEASE_S3_OBJECT_TIMEOUT_SECONDS, RESPONDER_NAMES } from '../contracts/responders';

/** Memory and timeout per responder; responders not listed use `default`. */
const RESPONDER_SETTINGS: Readonly<Record<string, { memorySize: number; timeout: Duration; description: string }>> = {
  [TRIAGE_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(10), description: 'Firebreak triage: event → incident → playbook decision' },
  [ALERT_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(30), description: 'Firebreak publish-alert: actionable alerts to the alert topic' },
  // Containment is on the critical path: more memory is more CPU, a shorter cold start.
  [RESPONDER_NAMES.quarantineInstance]: { memorySize: 512, timeout: Duration.seconds(120), description: 'Firebreak quarantine-instance: isolate every ENI, keep the instance as evidence' },
  [RESPONDER_NAMES.releaseInstance]: { memorySize: 512, timeout: Duration.seconds(120), description: 'Firebreak release-instance: restore a quarantined instance exactly' },
  [RESPONDER_NAMES.snapshotVolumes]: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak snapshot-volumes: crash-consistent evidence snapshots' },
  [RESPONDER_NAMES.copyEvidence]: { memorySize: 256, timeout: Duration.seconds(120), description: 'Firebreak copy-evidence: evidence snapshots to the forensic account, with their chain of custody' },
  [RESPONDER_NAMES.blockDnsDomain]: { memorySize: 256, timeout: Duration.seconds(60), description: "Firebreak block-dns-domain: block a DNS finding's domain with DNS Firewall" },
  [RESPONDER_NAMES.unblockDnsDomains]: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak unblock-dns-domains: take back the DNS blocks of a released instance' },
  // A CopyObject of up to 5 GB is one server-side call, but it can take minutes.
  [RESPONDER_NAMES.quarantineS3Object]: { memorySize: 256, timeout: Duration.seconds(300), description: 'Firebreak quarantine-s3-object: tag an infected S3 object, optionally copy it to quarantine' },
  [RESPONDER_NAMES.releaseS3Object]: { memorySize: 256, timeout: Duration.seconds(RELEASE_S3_OBJECT_TIMEOUT_SECONDS), description: "Firebreak release-s3-object: take Firebreak's infected tags off an S3 object" },
  [RESPONDER_NAMES.disableAccessKey]: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak disable-access-key: set the IAM user access keys a finding names Inactive' },
  [RESPONDER_NAMES.revokeRoleSessions]: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak revoke-role-sessions: deny the sessions issued so far to the roles a finding names' },
  [RESPONDER_NAMES.updateSecurityHubFinding]: { memorySize: 256, timeout: Duration.seconds(30), description: "Firebreak update-security-hub-finding: workflow status and note on the finding's Security Hub copy" },
  [RESPONDER_NAMES.releaseCredentials]: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak release-credentials: undo what the credential steps recorded, and only that' },
  // On the critical path before containment: one DescribeInstances and two DynamoDB calls.
  [GUARD_RESPONDER]: { memorySize: 256, timeout: Duration.seconds(30), description: 'Firebreak containment-guard: protected instances, approval and blast radius before containment' },
  default: { memorySize: 256, timeout: Duration.seconds(60), description: 'Firebreak responder' },
};

/**
 * The partition keys of each kind of credential item, as IAM matches them (`dynamodb:LeadingKeys`,
 * StringLike): the keys `credentialRecordKey` (lib/responders/credential-record-key.ts) and
 * `userKeysKey` (credential-records.ts) build, which test/stack/credential-iam.test.ts holds to
 * these. An account id is 12 digits and IAM names hold no `#`, so no key of one kind matches
 * another's pattern. Both credential steps may seal (one record key, one scheme label), so these keep
 * each step's role to the records of its own kind (docs/security.md row 17a).
 */
export const CREDENTIAL_KEY_PATTERNS = {
  /** An access key's record: written by disable-access-key. */
  accessKey: `${STATE_KEY_PREFIX.credential}*#access-key#*`,
  /** A user's keys Firebreak noted (AWSDenyAll is user-wide): written by disable-access-key. */
  userKeys: `${STATE_KEY_PREFIX.credential}*#user#*`,
  /** A role's record: written by revoke-role-sessions. */
  role: `${STATE_KEY_PREFIX.credential}*#role#*`,
} as const;

/**
 * State-table access per responder, in the security account (the ACTIONS registry lists what a
 * responder needs where it acts): the operations, and the partition keys of the only items it may
 * touch (`dynamodb:LeadingKeys`). Quarantine records (`quarantine#<account>#<region>#<instance>`)
 * are written once and updated; the containment guard takes blast-radius slots
 * (`blast#<account>#<slot>`) with conditional PutItem and reads them in a batch.
 */
export const STATE_TABLE_ACCESS: Readonly<
  Record<string, { readonly actions: readonly string[]; readonly keys: readonly string[]; readonly readOnlyKeys?: readonly string[] }>
> = {
  // The mutating responders only READ grants and approvals (GetItem): only the guard writes grants.
  // Those that contain also read the emergency pause (`pause#deployment`, that one key): while it
  // holds they act in dry-run (lib/responders/emergency-pause.ts). The releasing ones never read it.
  [RESPONDER_NAMES.quarantineInstance]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.quarantine}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  [RESPONDER_NAMES.releaseInstance]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.quarantine}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`],
  },
  // Custody records are written once and read back (verified) by the responder that copies; it
  // copies only a source snapshot-volumes' sealed record names (`evidence#`, read only, row 3za).
  [RESPONDER_NAMES.copyEvidence]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    keys: [`${STATE_KEY_PREFIX.custody}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.evidence}*`],
  },
  // snapshot-volumes seals a record of each snapshot it takes (written once) and reads them back
  // before it reuses one (row 3za).
  [RESPONDER_NAMES.snapshotVolumes]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    keys: [`${STATE_KEY_PREFIX.evidence}*`],
  },
  // The DNS Firewall steps keep who blocks which domain (claims), and read their grants; the unblock
  // also reads the pre-quarantine record, to take blocks back only once the instance is released.
  [RESPONDER_NAMES.blockDnsDomain]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.dnsBlock}*`, `${STATE_KEY_PREFIX.dnsBlockByInstance}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  [RESPONDER_NAMES.unblockDnsDomains]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.dnsBlock}*`, `${STATE_KEY_PREFIX.dnsBlockByInstance}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, `${STATE_KEY_PREFIX.quarantine}*`],
  },
  // The S3 object steps read their grants (and approvals), and keep which incidents hold each object
  // version (`s3claim#`, s3-object-claims.ts): quarantine claims it (UpdateItem) before it tags,
  // release takes its claim back (UpdateItem) and reads the claims again after its tag write
  // (GetItem). A quarantine step that copies also keeps the copies it made (`s3copy#`, below:
  // QUARANTINE_COPY_ACCESS), so that a retry does not copy again.
  [RESPONDER_NAMES.quarantineS3Object]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.s3ObjectClaim}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  [RESPONDER_NAMES.releaseS3Object]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.s3ObjectClaim}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`],
  },
  // The credential steps write the sealed record of what they changed (credential-records.ts) and
  // read their grant (and approval); disable-access-key claims a key another incident's record
  // holds (UpdateItem); revoke-role-sessions reads its record back on a rerun; the release reads
  // it, takes back its incident's claim or marks it released.
  // Both steps may seal (kms:GenerateMac), so each writes only its own kind of credential item:
  // a role's record written by disable-access-key's role, or an access key's by revoke-role-sessions',
  // would carry a seal release-credentials believes (row 17a).
  [RESPONDER_NAMES.disableAccessKey]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    keys: [CREDENTIAL_KEY_PATTERNS.accessKey, CREDENTIAL_KEY_PATTERNS.userKeys],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  [RESPONDER_NAMES.revokeRoleSessions]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    keys: [CREDENTIAL_KEY_PATTERNS.role],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  [RESPONDER_NAMES.releaseCredentials]: {
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    keys: [`${STATE_KEY_PREFIX.credential}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`],
  },
  // The finding each incident's write-back checked, so that a release resolves the same one; it
  // writes back only under its execution's grant (and approval), which it reads.
  [RESPONDER_NAMES.updateSecurityHubFinding]: {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    keys: [`${STATE_KEY_PREFIX.securityHub}*`],
    readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
  },
  // The guard reads the emergency pause (one key, never written): while it holds, containments are cleared in dry-run only.
  [GUARD_RESPONDER]: {
    actions: CONTAINMENT_GUARD_IAM_ACTIONS.stateTable,
    keys: [`${STATE_KEY_PREFIX.blastRadius}*`, `${STATE_KEY_PREFIX.gameDayBlastRadius}*`, `${STATE_KEY_PREFIX.grant}*`],
    readOnlyKeys: [PAUSE_KEY],
  },
};

/**
 * quarantine-s3-object where a deployed step copies objects (s3:PutObject): the copies it made,
 * read first by a retried step and written once a copy succeeded (quarantine-copy-records.ts),
 * besides its grants and approvals, read only.
 */
const QUARANTINE_COPY_ACCESS: (typeof STATE_TABLE_ACCESS)[string] = {
  // One statement for both prefixes: PutItem reaches `s3claim#` and UpdateItem `s3copy#` too (items of this role's own kinds).
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  keys: [`${STATE_KEY_PREFIX.quarantineCopy}*`, `${STATE_KEY_PREFIX.s3ObjectClaim}*`],
  readOnlyKeys: [`${STATE_KEY_PREFIX.grant}*`, `${STATE_KEY_PREFIX.approval}*`, PAUSE_KEY],
};

/**
 * A responder's state-table access in this deployment. The guard also reads the pre-quarantine
 * records, but only where a playbook releases instances (and their DNS block index where a playbook
 * also lifts or makes DNS Firewall blocks, rows 5r, 15s), and the S3 object versions' claims, only
 * where a playbook releases S3 objects: it shows a release's approver the incidents that hold the
 * instance or the object version (containment-guard-release.ts); and the access keys' credential
 * records, only where a playbook disables keys: whether a containment holds a key already Inactive
 * (key-holds.ts, row 11t). quarantine-s3-object keeps its copies only where a playbook copies
 * (QUARANTINE_COPY_ACCESS).
 */
function stateTableAccessOf(responder: string, byResponder: ReadonlyMap<string, ReadonlySet<string>>): (typeof STATE_TABLE_ACCESS)[string] | undefined {
  if (responder === RESPONDER_NAMES.quarantineS3Object && byResponder.get(responder)?.has('s3:PutObject') === true) return QUARANTINE_COPY_ACCESS;
  const access = STATE_TABLE_ACCESS[responder];
  if (responder !== GUARD_RESPONDER || access === undefined) return access;
  const releaseKeys = [
    ...(byResponder.has(RESPONDER_NAMES.releaseInstance) ? [`${STATE_KEY_PREFIX.quarantine}*`] : []),
    // The DNS Firewall blocks a release of an instance lifts, named in its approval request (row 5r),
    // and those of an instance held quarantined, which a new block must be among to take no slot (row 15s).
    ...(byResponder.has(RESPONDER_NAMES.releaseInstance) && (byResponder.has(RESPONDER_NAMES.unblockDnsDomains) || byResponder.has(RESPONDER_NAMES.blockDnsDomain))
      ? [`${STATE_KEY_PREFIX.dnsBlockByInstance}*`]
      : []),
    ...(byResponder.has(RESPONDER_NAMES.releaseS3Object) ? [`${STATE_KEY_PREFIX.s3ObjectClaim}*`] : []),
    ...(byResponder.has(RESPONDER_NAMES.disableAccessKey) ? [CREDENTIAL_KEY_PATTERNS.accessKey] : []),
  ];
  return releaseKeys.length === 0 ? access : { ...access, readOnlyKeys: [...(access.readOnlyKeys ?? []), ...releaseKeys] };
}

/** The responders that act on IAM credentials (and read the privileged name patterns). */
const CREDENTIAL_RESPONDERS: ReadonlySet<string> = new Set([RESPONDER_NAMES.disableAccessKey, RESPONDER_NAMES.revokeRoleSessions, RESPONDER_NAMES.releaseCredentials]);

/** Whether a responder reads the privileged name patterns: a credential step, or one that writes role policies (quarantine-instance with revokeRoleSessions). */
function readsPrivilegedNames(responder: string, actions: ReadonlySet<string>): boolean {
  return CREDENTIAL_RESPONDERS.has(responder) || ROLE_POLICY_WRITES.some((action) => actions.has(action));
}

/** The responders the deployed playbooks use, with the IAM actions each needs where it acts. */
export function responderActions(playbooks: readonly Playbook[]): Map<string, Set<string>> {
  const byResponder = new Map<string, Set<string>>([
    [TRIAGE_RESPONDER, new Set()],
    // Every playbook alerts its failures, whether or not it has a notify step.
    [ALERT_RESPONDER, new Set(ACTIONS.notify.iamActions)],
  ]);
  // The guard reads the instance's or the credential's current tags where it lives (protected tag key, game-day opt-in).
  // It also verifies, in the security account, the execution it clears (states:DescribeExecution).
  if (playbooks.some(isGuardedPlaybook)) {
    byResponder.set(GUARD_RESPONDER, new Set([...guardTargetAccountActions(playbooks), ...CONTAINMENT_GUARD_IAM_ACTIONS.securityAccount]));
  }
  for (const playbook of playbooks) {
    for (const step of flattenSteps(playbook.steps)) {
      const responder = ACTIONS[step.action].responder;
      const actions = byResponder.get(responder) ?? new Set<string>();
      for (const action of iamActionsForStep(step.action, step.with)) actions.add(action);
      byResponder.set(responder, actions);
    }
  }
  // Each responder that acts under a containment grant asks, where it acts, whether the grant's
  // execution still runs (states:DescribeExecution, on the guarded playbooks' executions only, as
  // the guard's): a stopped or ended execution's grant clears nothing (grants.ts checkContainmentGrant).
  if (playbooks.some(isGuardedPlaybook)) {
    for (const responder of GRANTED_RESPONDERS) {
      const actions = byResponder.get(responder);
      if (actions !== undefined) for (const action of EXECUTION_STATUS_IAM_ACTIONS) actions.add(action);
    }
  }
  return byResponder;
}

/** True when a responder acts on resources in the incident's account (EC2, IAM, Auto Scaling, ELB): it may assume the member role. */
export function actsInIncidentAccount(actions: ReadonlySet<string>): boolean {
  return [...actions].some(actsInMemberAccount);
}

/** The responders that look for protected instances holding a role before denying its sessions (lib/responders/role-holders.ts). */
const ROLE_HOLDER_READERS: readonly string[] = [RESPONDER_NAMES.quarantineInstance, RESPONDER_NAMES.revokeRoleSessions];

/** What the responders need of a deployment: its settings (documented on `FirebreakProps`) and its shared resources. */
export interface RespondersProps
  extends Pick<
    FirebreakProps,
    | 'protectedInstanceIds'
    | 'protectedTagKey'
    | 'memberRoleName'
    | 'memberRoleExternalId'
    | 'organizationId'
    | 'sessionRevokerRoleName'
    | 'servedAccountIds'
    | 'privilegedRoleNamePatterns'
    | 'dnsAllowlist'
    | 'instanceRegions'
    | 'blastRadiusMax'
    | 'blastRadiusWindowSeconds'
    | 'incidentRecordRetentionDays'
    | 'reservedConcurrency'
    | 'forensicAccountId'
    | 'forensicKmsKeyArn'
    | 'forensicRoleName'
  > {
  /** The deployed playbooks: they decide which responders exist and what each may do. */
  readonly playbooks: readonly Playbook[];
  /** The mode every responder gets as FIREBREAK_MODE: `dry-run` unless the deployment enforces. */
  readonly effectiveMode: ResponderMode;
  /** Whether the deployment accepts game-day injections (FIREBREAK_GAMEDAY_ENABLED). */
  readonly gameDaysEnabled: boolean;
  readonly state: IncidentState;
  /** Publish-alert publishes to its alert topic; every responder's errors page on both channels. */
  readonly channels: AlertChannels;
  readonly logRetention: logs.RetentionDays;
}

/** Every responder function of the deployment; groups only, so they keep the flat stack's logical ids. */
export class Responders extends Construct {
  /** By responder name (the folder under lambdas/). */
  public readonly functions: ReadonlyMap<string, ResponderFunction>;
  /** The variables every Firebreak function gets (the approval function too). */
  public readonly environment: Readonly<Record<string, string>>;
  /**
   * The routing table written into triage's environment: the dispatcher lists the routed
   * playbooks' state machines in its order (lib/stack/dispatcher.ts), so both come from this one.
   */
  public readonly routing: RoutingTable;

  constructor(scope: Construct, id: string, props: RespondersProps) {
    super(scope, id);
    groupsOnly(this);
    const stackName = Stack.of(this).stackName;
    const byResponder = responderActions(props.playbooks);
    this.environment = {
      ...deploymentEnvironment(props),
      // The metrics' namespace (lib/responders/metrics-sink.ts): the response dashboard reads the same (lib/contracts/metrics.ts).
      [METRICS_NAMESPACE_ENV]: metricsNamespace(stackName),
    };
    const arns = responderArns(stackName, props);
    // A dry-run deployment (mode dry-run, or forceDryRun) routes every playbook in dry-run.
    this.routing = routingTableFor(props.playbooks, { forceDryRun: props.effectiveMode === 'dry-run' });

    const forensic = forensicSettings(props, byResponder.has(RESPONDER_NAMES.copyEvidence));
    const quarantineCopies = quarantineCopyDestinations(props.playbooks);
    const lockMaxDays = evidenceLockMaxDays(props.playbooks);
    const hubStatuses = securityHubWorkflowStatuses(props.playbooks);
    const functions = new Map<string, ResponderFunction>();
    for (const [responder, actions] of byResponder) {
      const inIncidentAccount = actsInIncidentAccount(actions);
      const stateTable = stateTableAccessOf(responder, byResponder);
      const needed = new Set([...actions, ...(stateTable?.actions ?? [])]);
      const settings = RESPONDER_SETTINGS[responder] ?? RESPONDER_SETTINGS.default!;
      const memberRoles = inIncidentAccount && props.memberRoleName ? ownMemberRoles(props.memberRoleName, props.sessionRevokerRoleName, responder, actions) : undefined;
      const environment = {
        ...this.environment,
        ...memberRoles?.environment,
        // Which playbooks have a step of it, with which options: a grant clears only such a step (lib/responders/step-binding.ts).
        ...(GRANTED_RESPONDERS.includes(responder) ? { [SECURITY_ENV.playbookSteps]: JSON.stringify(playbookStepsFor(props.playbooks, responder)) } : {}),
        // Triage's routing table is its own, never its input's: the Triage state's input stays the event and a few bytes (lib/playbooks/dispatcher.ts).
        ...(responder === TRIAGE_RESPONDER ? routingEnvironment(this.routing) : {}),
        // Where the responders that deny a role's sessions look for protected holders (row 2z); on them alone.
        ...(props.instanceRegions !== undefined && ROLE_HOLDER_READERS.includes(responder) ? { [INSTANCE_REGIONS_ENV]: props.instanceRegions.join(',') } : {}),
      };
      const fn = new ResponderFunction(this, `Responder${pascal(responder)}`, {
        responder,
        description: settings.description,
        environment:
          responder === GUARD_RESPONDER
            ? {
                ...environment,
                // The guard's rails per playbook come from the deployment, never from its input.
                [SECURITY_ENV.stackName]: stackName,
                [SECURITY_ENV.playbookRails]: JSON.stringify(playbookRailsFor(props.playbooks)),
                // A per-credential execution's administrator or break-glass principal is refused by name
                // before a blast-radius slot is taken (containment-guard-credential.ts).
                [DEPLOYMENT_ENV.privilegedNamePatterns]: (props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS).join(','),
              }
            : responder === RESPONDER_NAMES.copyEvidence && forensic !== undefined
              ? { ...environment, ...forensic.environment }
              : responder === RESPONDER_NAMES.snapshotVolumes
                ? // The locks the playbooks configure, the most the responder may apply whatever its input says.
                  { ...environment, [SECURITY_ENV.evidenceLocks]: JSON.stringify(evidenceLocksFor(props.playbooks)) }
                : readsPrivilegedNames(responder, actions)
                  ? {
                      ...environment,
                      // The names the member role denies, refused by name before any call (credential-rails.ts).
                      [DEPLOYMENT_ENV.privilegedNamePatterns]: (props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS).join(','),
                      // Its own roles in the security account (`<stackName>-…`), refused by name too (ownSecurityAccountRoleReason).
                      [SECURITY_ENV.stackName]: stackName,
                    }
                  : environment,
        statements: planResponderStatements(needed, arns, {
          ...(stateTable ? { stateTableKeys: stateTable.keys, ...(stateTable.readOnlyKeys ? { stateTableReadOnlyKeys: stateTable.readOnlyKeys } : {}) } : {}),
          ...(forensic !== undefined ? { forensicAccountId: forensic.accountId } : {}),
          quarantineCopies,
          ...(lockMaxDays !== undefined ? { evidenceLockMaxDays: lockMaxDays } : {}),
          securityHubWorkflowStatuses: hubStatuses,
          ...protectedTagKeyFor(responder, props.protectedTagKey),
        }),
        logRetention: props.logRetention,
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        // Member roles trust responder roles by name (lib/stack/member-role-stack.ts).
        ...(inIncidentAccount ? { roleName: responderRoleName(responder, Aws.REGION) } : {}),
        ...(inIncidentAccount && props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      });
      if (memberRoles) {
        // Its own member-account roles only, never another responder's.
        // Within the organization, narrowed to the served accounts, never the forensic account: the
        // accounts the client factories allow (unservedAccountReason), held in IAM too.
        const organization = {
          ...(props.organizationId ? { organizationId: props.organizationId } : {}),
          ...(props.servedAccountIds !== undefined && props.servedAccountIds.length > 0 ? { servedAccountIds: props.servedAccountIds } : {}),
          ...(props.forensicAccountId ? { forensicAccountId: props.forensicAccountId } : {}),
        };
        if (memberRoles.member !== undefined) grantAssumeMemberRole(fn.role, { memberRoleName: memberRoles.member, ...organization });
        if (memberRoles.revoker !== undefined) {
          grantAssumeMemberRole(fn.role, { memberRoleName: memberRoles.revoker, sid: 'AssumeFirebreakSessionRevokerRole', ...organization });
        }
      }
      if (responder === RESPONDER_NAMES.copyEvidence && forensic !== undefined) {
        // The one forensic role, by exact ARN: its trust policy admits this role alone.
        fn.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'AssumeTheForensicRole', actions: ['sts:AssumeRole'], resources: [`arn:${Aws.PARTITION}:iam::${forensic.accountId}:role/${forensic.roleName}`] }),
        );
      }
      if (actions.has('sns:Publish')) props.channels.allowAlertPublisher(fn.role);
      props.channels.alarmOnErrors(this, `Responder${pascal(responder)}ErrorsAlarm`, fn.function, responder);
      // Every step but triage appends what it did to the incident record (lib/responders/incident-record.ts):
      // UpdateItem on `incident#` items only, no read, no delete.
      if (responder !== TRIAGE_RESPONDER) props.state.grantItems(fn.role, 'AppendIncidentRecord', ['dynamodb:UpdateItem'], STATE_KEY_PREFIX.incident);
      if (stateTable?.actions.some(isItemWrite)) props.state.admitWriter(fn.role);
      functions.set(responder, fn);
    }
    this.functions = functions;
  }

  /** The function of `responder`; throws when the playbooks deploy none. */
  functionOf(responder: string): ResponderFunction {
    const found = this.functions.get(responder);
    if (!found) throw new Error(`no responder function ${responder}`);
    return found;
  }
}

export { DEFAULT_FORENSIC_ROLE_NAME };

/**
 * A responder's own roles in member accounts (responderMemberRoles, as the member-role stack
 * creates them): `<memberRoleName>-<responder>` for what it does there, and, when it writes role
 * policies, `<sessionRevokerRoleName>-<responder>`; with the environment that names them.
 */
function ownMemberRoles(
  memberRoleName: string,
  sessionRevokerRoleName: string | undefined,
  responder: string,
  actions: ReadonlySet<string>,
): { member?: string; revoker?: string; environment: Record<string, string> } {
  const roles = responderMemberRoles(memberRoleName, sessionRevokerRoleName ?? DEFAULT_SESSION_REVOKER_ROLE_NAME, responder, actions);
  const member = roles.member.length > 0 ? roles.memberName : undefined;
  const revoker = roles.revoker.length > 0 ? roles.revokerName : undefined;
  return {
    ...(member !== undefined ? { member } : {}),
    ...(revoker !== undefined ? { revoker } : {}),
    environment: {
      // The shared environment's configured name is replaced by the responder's own role name.
      ...(member !== undefined ? { [SECURITY_ENV.memberRoleName]: member } : {}),
      ...(revoker !== undefined ? { [SECURITY_ENV.sessionRevokerRoleName]: revoker } : {}),
    },
  };
}

/**
 * The forensic account, key and role when a playbook copies evidence; a copy-evidence step without
 * them fails the synth (the copy would have nowhere to go), naming the props.
 */
function forensicSettings(props: RespondersProps, copies: boolean): { accountId: string; roleName: string; environment: Record<string, string> } | undefined {
  if (!copies) return undefined;
  if (props.forensicAccountId === undefined || props.forensicKmsKeyArn === undefined) {
    throw new Error(
      'a deployed playbook has a copy-evidence step, but forensicAccountId and forensicKmsKeyArn are not set: configure the forensic account and its KMS key (docs/deploy.md), or remove the step',
    );
  }
  const roleName = props.forensicRoleName ?? DEFAULT_FORENSIC_ROLE_NAME;
  return {
    accountId: props.forensicAccountId,
    roleName,
    environment: {
      [SECURITY_ENV.forensicAccountId]: props.forensicAccountId,
      [SECURITY_ENV.forensicKmsKeyArn]: props.forensicKmsKeyArn,
      [SECURITY_ENV.forensicRoleName]: roleName,
    },
  };
}

/** The deployment's own facts every function reads from its environment (lib/contracts/security.ts), never the input's. */
function deploymentEnvironment(props: RespondersProps): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: 'firebreak',
    [DEPLOYMENT_ENV.alertTopicArn]: props.channels.alertTopic.topicArn,
    [DEPLOYMENT_ENV.stateTable]: props.state.table.tableName,
    [SECURITY_ENV.securityAccountId]: Aws.ACCOUNT_ID,
    [DEPLOYMENT_ENV.protectedInstanceIds]: (props.protectedInstanceIds ?? []).join(','),
    ...(props.protectedTagKey ? { [DEPLOYMENT_ENV.protectedTagKey]: props.protectedTagKey } : {}),
    ...(props.memberRoleName ? { [SECURITY_ENV.memberRoleName]: props.memberRoleName } : {}),
    ...(props.memberRoleExternalId ? { [DEPLOYMENT_ENV.memberRoleExternalId]: props.memberRoleExternalId } : {}),
    ...(props.blastRadiusMax !== undefined ? { [DEPLOYMENT_ENV.blastRadiusMax]: String(props.blastRadiusMax) } : {}),
    ...(props.blastRadiusWindowSeconds !== undefined ? { [DEPLOYMENT_ENV.blastRadiusWindowSeconds]: String(props.blastRadiusWindowSeconds) } : {}),
    [SECURITY_ENV.mode]: props.effectiveMode,
    [SECURITY_ENV.servedAccountIds]: (props.servedAccountIds ?? []).join(','),
    ...(props.organizationId ? { [SECURITY_ENV.organizationId]: props.organizationId } : {}),
    // The evidence vault, never served (unservedAccountReason): in an organization deployment it is
    // an account of the organization, so every function that reads the served accounts must know it.
    ...(props.forensicAccountId ? { [SECURITY_ENV.forensicAccountId]: props.forensicAccountId } : {}),
    [SECURITY_ENV.gameDayEnabled]: String(props.gameDaysEnabled),
    [DEPLOYMENT_ENV.incidentRecordRetentionDays]: String(props.incidentRecordRetentionDays ?? DEFAULT_INCIDENT_RECORD_RETENTION_DAYS),
    ...(props.dnsAllowlist && props.dnsAllowlist.length > 0 ? { [DEPLOYMENT_ENV.dnsAllowlist]: props.dnsAllowlist.join(',') } : {}),
  };
}

/**
 * The resources responder statements are scoped to. Any region: with a central Firebreak region
 * (docs/organization.md) findings about this account's instances arrive from every region, and the
 * responders act in the finding's region.
 */
function responderArns(stackName: string, props: RespondersProps): ResponderArns {
  const account = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}`;
  return {
    ec2: (resourceType) => `arn:${Aws.PARTITION}:ec2:*:${Aws.ACCOUNT_ID}:${resourceType}/*`,
    route53resolver: (resourceType) => `arn:${Aws.PARTITION}:route53resolver:*:${Aws.ACCOUNT_ID}:${resourceType}/*`,
    snapshots: `arn:${Aws.PARTITION}:ec2:*::snapshot/*`,
    iam: (resourceType) => `${account}:${resourceType}/*`,
    regional: (service, resource) => `arn:${Aws.PARTITION}:${service}:*:${Aws.ACCOUNT_ID}:${resource}`,
    s3: { arn: (path) => `arn:${Aws.PARTITION}:s3:::${path}`, account: Aws.ACCOUNT_ID },
    ownRoles: [`${account}:role/${DEFAULT_RESPONDER_ROLE_NAME_PREFIX}*`, `${account}:role/${stackName}-*`],
    privilegedRoles: privilegedRoleArns(`${account}:role/`, props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS),
    privilegedUsers: privilegedRoleArns(`${account}:user/`, props.privilegedRoleNamePatterns ?? DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS),
    alertTopic: props.channels.alertTopic.topicArn,
    alertKey: props.channels.alertKey.keyArn,
    stateTable: props.state.table.tableArn,
    // The guard verifies executions of this deployment's guarded playbooks only (state machines
    // `<stackName>-<playbook>`), named one by one as publish-alert's VerifyApprovalRequestExecutions:
    // `<stackName>-*` would also admit the dispatcher, the unguarded playbooks and any other stack
    // whose name starts the same.
    playbookExecutions: props.playbooks
      .filter(isGuardedPlaybook)
      .map((playbook) => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${stackName}-${playbook.name}:*`),
  };
}
