/**
 * The security contracts of a Firebreak deployment, written once (docs/security.md explains each):
 * environment variables the stack sets and the responders read, tag keys Firebreak reads or
 * writes, and the partition-key prefixes of the state table, which IAM scopes per role with
 * `dynamodb:LeadingKeys`. Every module that needs one of these imports it from here, including
 * the stack's IAM conditions, so a rename cannot leave a policy pointing at the old name.
 *
 * String enums, not `as const` objects: esbuild inlines an enum's members where a responder reads
 * them and leaves the enum out of the bundle, where an object would be carried whole (every name, in
 * every responder: about 2 KB each; test/bench/bundles.test.ts holds the sizes).
 */

/** Environment variables the stack sets on every responder (the deployment's own facts, never the input's). */
export enum SECURITY_ENV {
  /**
   * The deployment's mode ceiling: `dry-run` or `enforce`. A responder's effective mode is
   * `dry-run` unless both this and its input say `enforce` (dry-run always wins).
   */
  mode = 'FIREBREAK_MODE',
  /** The 12-digit account id of the security account Firebreak is deployed in. */
  securityAccountId = 'FIREBREAK_SECURITY_ACCOUNT_ID',
  /** Comma-separated account ids served besides the security account (the allowlist). */
  servedAccountIds = 'FIREBREAK_SERVED_ACCOUNT_IDS',
  /** The organization id (`o-…`) whose accounts are served through the member role. */
  organizationId = 'FIREBREAK_ORGANIZATION_ID',
  /** `true` when the deployment accepts game-day injections (on the game-day bus only). */
  gameDayEnabled = 'FIREBREAK_GAMEDAY_ENABLED',
  /**
   * In a responder that acts in member accounts, its own role's name there (`<memberRoleName>-<responder>`);
   * in the other functions the configured name, read only as "member accounts are served". Unset
   * when only the security account is served.
   */
  memberRoleName = 'FIREBREAK_MEMBER_ROLE_NAME',
  /**
   * The ARN of the KMS HMAC key (HMAC_256) that seals pre-quarantine records: quarantine-instance
   * MACs each record with it (kms:GenerateMac), release-instance verifies the MAC before it restores
   * anything (kms:VerifyMac). Set on those two responders only.
   */
  recordKey = 'FIREBREAK_RECORD_KEY_ARN',
  /**
   * The CloudFormation stack name: the containment guard accepts only executions of state
   * machines named `<stackName>-<playbook>` (set on the guard).
   */
  stackName = 'FIREBREAK_STACK_NAME',
  /**
   * JSON `{ "<playbook>": PlaybookRails }` the stack writes from the compiled playbooks (set on the
   * guard): approval, timeout and kind per playbook come from here, never from the Lambda input.
   */
  playbookRails = 'FIREBREAK_PLAYBOOK_RAILS',
  /**
   * JSON `EvidenceLockSettings[]` the stack writes from the compiled playbooks (set on
   * snapshot-volumes): every EBS Snapshot Lock a deployed snapshot-volumes step configures. A lock
   * in the Lambda input is applied only when it is one of these; `[]`, unset or unreadable: none is.
   */
  evidenceLocks = 'FIREBREAK_EVIDENCE_LOCKS',
  /**
   * JSON `{ "<playbook>": [<options>, …] }` the stack writes from the compiled playbooks (set on each
   * responder that acts under a containment grant): the deployed playbooks that have a step of this
   * responder, and exactly the options each such step sends. A grant clears the step only for its own
   * playbook's step with those options (lib/responders/step-binding.ts); unset or unreadable: none.
   */
  playbookSteps = 'FIREBREAK_PLAYBOOK_STEPS',
  /**
   * The routing table the stack writes from the automatic playbooks (set on triage): each one's
   * match, priority, mode and steps, in the order the dispatcher lists their state machines, with
   * the deploy-time settings; JSON, deflated, base64 (lib/playbooks/routing.ts). Unset or unreadable:
   * triage refuses every event (kept and alerted by the dispatcher).
   */
  routingTable = 'FIREBREAK_ROUTING_TABLE',
  /**
   * The responder's own member-account role that writes role policies (`<sessionRevokerRoleName>-<responder>`),
   * separate from its member role and trusted by it alone; its role-policy IAM clients assume it.
   * Set only on the responders whose steps write role policies, when member roles are configured.
   */
  sessionRevokerRoleName = 'FIREBREAK_SESSION_REVOKER_ROLE_NAME',
  /**
   * The forensic account evidence is copied to, set on every function when the deployment configures
   * one: copy-evidence copies there, and every function refuses it as an incident's account
   * (`unservedAccountReason`).
   */
  forensicAccountId = 'FIREBREAK_FORENSIC_ACCOUNT_ID',
  /** The role copy-evidence assumes in the forensic account (lib/stack/forensic-role-stack.ts). */
  forensicRoleName = 'FIREBREAK_FORENSIC_ROLE_NAME',
  /** The forensic account's KMS key ARN every copy is re-encrypted with. */
  forensicKmsKeyArn = 'FIREBREAK_FORENSIC_KMS_KEY_ARN',
}

/** The rails of one deployed playbook, as the stack writes them into FIREBREAK_PLAYBOOK_RAILS. */
export interface PlaybookRails {
  /** A person must approve before the resource-changing steps run. */
  readonly approvalRequired: boolean;
  /** What the playbook does when nobody answers in time. */
  readonly onTimeout: 'evidence-only' | 'contain';
  /** How long the playbook waits for an answer. */
  readonly timeoutSeconds: number;
  /** `contain` (quarantine-instance) or `release` (release-instance): a grant of one kind never authorizes the other. */
  readonly kind: 'contain' | 'release';
  /**
   * `one-credential` for a `trigger: per-credential` playbook: the guard's grant names the one
   * credential of the execution's incident (its `resource`), not every credential it names.
   */
  readonly grantScope?: 'one-credential';
  /**
   * `dry-run` for a playbook whose own `mode` is dry-run: a ceiling the guard applies to every
   * execution of it, so that one started by hand with `"mode": "enforce"` stays dry-run too.
   */
  readonly mode?: 'dry-run';
  /**
   * For a `trigger: manual` playbook: the execution input fields its steps receive as `request`
   * (who asked, why, and for `firebreak dns unblock` the domain and force). The guard writes the
   * digest of them into the grant, so that a step invoked directly with another request is refused.
   */
  readonly manualRequest?: readonly ManualRequestField[];
  /**
   * `true` for a playbook with a release-instance step: the guard reads the claims on the instance's
   * pre-quarantine record, so that the approval request says whether approving restores it. Absent
   * for the other releases (a DNS unblock is a release on an instance, but restores nothing of it).
   */
  readonly releasesInstances?: true;
  /**
   * `true` for a playbook with an unblock-dns-domains step that takes back the released instance's
   * blocks (target `released-instance`): the guard reads the instance's DNS block index, so that the
   * approval request names the domains approving lets resolve again (docs/security.md row 5r).
   */
  readonly liftsDnsBlocks?: true;
  /**
   * `true` for a playbook with a release-s3-object step: the guard reads the claims on the object
   * version (s3-object-claims.ts), so that the approval request says whether approving takes the
   * infected tags off or the object stays tagged for another incident.
   */
  readonly releasesObjects?: true;
  /**
   * `true` for a playbook whose only resource-changing steps are disable-access-key without
   * `denyAll`: for a user's keys all Inactive already, and held by no containment of Firebreak's,
   * its containment changes nothing, so the guard takes no blast-radius slot for it (row 11t).
   */
  readonly disablesKeysOnly?: true;
  /**
   * `true` for a playbook with a block-dns-domain step: an instance Firebreak holds quarantined takes
   * no slot only when the incident names no domain, or one the instance blocks already (row 15s).
   */
  readonly blocksDns?: true;
  /** `true` for a playbook whose quarantine-instance step denies the role's sessions: it takes a slot even for a held instance (row 15s). */
  readonly renewsRoleSessions?: true;
}

/** The execution input fields a manual playbook passes its steps as `request`. */
export type ManualRequestField = 'requestedBy' | 'reason' | 'dnsUnblock';

/** One EBS Snapshot Lock as a playbook's snapshot-volumes step configures it (`with: lock:`). */
export interface EvidenceLockSettings {
  readonly mode: 'governance' | 'compliance';
  readonly durationDays: number;
  readonly coolOffHours?: number;
}

/** Tag keys Firebreak reads from EC2 at the time of action (never from the event). */
export const SECURITY_TAGS = {
  /**
   * A game-day incident changes an instance only when it carries this tag with value `true`,
   * read from EC2 when the responder acts.
   */
  gameDayTarget: { key: 'firebreak:gameday-target', value: 'true' },
} as const;

/** The managed tag's key, by name: a property read (`MANAGED_SECURITY_GROUP_TAG.key`) in a module-scope list would keep that list in every bundle importing this module. */
const MANAGED_TAG_KEY = 'firebreak:managed';

/**
 * The tag Firebreak puts on the security groups it creates (at creation, in TagSpecifications).
 * The member role may change the rules of, or delete, only groups carrying it, and the quarantine
 * recognises its isolation groups by it (together with their exact rules).
 */
export const MANAGED_SECURITY_GROUP_TAG = { key: MANAGED_TAG_KEY, value: 'true' } as const;

/** Which of Firebreak's groups it is (`untrack` or `isolation`), tagged at creation beside the managed tag. */
export const SECURITY_GROUP_PURPOSE_TAG_KEY = 'firebreak:purpose';

/**
 * Every tag key Firebreak puts on a security group it creates: IAM lets it tag a new group with
 * these keys only (aws:TagKeys), so no other tag (one another policy grants access by) rides along.
 */
export const SECURITY_GROUP_TAG_KEYS = ['Name', MANAGED_TAG_KEY, SECURITY_GROUP_PURPOSE_TAG_KEY] as const;

/** Incident keys of game-day injections start with this, so they never collide with a real finding's execution name. */
export const GAMEDAY_INCIDENT_KEY_PREFIX = 'gameday-';

/**
 * Partition-key prefixes of the state table. IAM scopes each role to the prefixes it may touch
 * (`dynamodb:LeadingKeys` with `<prefix>*`).
 */
export enum STATE_KEY_PREFIX {
  /** Pre-quarantine records, written by quarantine-instance, read and marked released by release-instance. */
  quarantine = 'quarantine#',
  /** Blast-radius slots of real incidents, taken by the containment guard. */
  blastRadius = 'blast#',
  /** Blast-radius slots of game-day incidents: a drill never consumes the real allowance. */
  gameDayBlastRadius = 'blast-gameday#',
  /** Containment grants: written only by the containment guard, read by the mutating responders. */
  grant = 'grant#',
  /** Pending approvals (the task token, never shown to a person): written by publish-alert, read by the approval function. */
  approval = 'approval#',
  /** Chain-of-custody records of forensic copies: written (once) and read by copy-evidence. */
  custody = 'custody#',
  /**
   * The sealed record of each evidence snapshot snapshot-volumes took (`evidence#<incident key>#<snapshot id>`):
   * written once by snapshot-volumes right after CreateSnapshots, read by it (what it may reuse) and by copy-evidence (what it may copy).
   */
  evidence = 'evidence#',
  /** Which open incidents block a domain in DNS Firewall (per account and region): block-dns-domain adds, unblock-dns-domains removes. */
  dnsBlock = 'dnsblock#',
  /** The domains blocked for an instance's incidents, so that a release finds what to unblock. */
  dnsBlockByInstance = 'dnsblock-instance#',
  /**
   * The Security Hub finding an incident's write-back checked and wrote to
   * (`securityhub#<incident key>`): written and read only by update-security-hub-finding, so that
   * a release (whose input names only the incident) resolves the same finding.
   */
  securityHub = 'securityhub#',
  /**
   * The quarantine copies quarantine-s3-object made (`s3copy#<SHA-256 of owner, bucket and key of
   * the copy>`): written once a CopyObject succeeds and read first by a retried step, which cannot
   * always read the copy itself (a quarantine bucket of another account); read and written only by
   * quarantine-s3-object (lib/responders/quarantine-copy-records.ts).
   */
  quarantineCopy = 's3copy#',
  /**
   * The incidents that hold an S3 object version contained (`s3claim#<SHA-256 of account, Region,
   * bucket, version and key>`): claimed by quarantine-s3-object before it tags, taken back by
   * release-s3-object, which takes the infected tag off only when no claim is left
   * (lib/responders/s3-object-claims.ts).
   */
  s3ObjectClaim = 's3claim#',
  /**
   * What the credential steps changed (`credential#<account>#access-key#<id>`,
   * `credential#<account>#role#<name>`), sealed: written by disable-access-key and
   * revoke-role-sessions, verified and marked released by release-credentials
   * (lib/responders/credential-records.ts).
   */
  credential = 'credential#',
  /**
   * The incident record (`incident#<incident key>`): every step appends what it did, with its times
   * (lib/responders/incident-record.ts); read by the operator's commands and reports, never by a
   * responder to decide anything.
   */
  incident = 'incident#',
  /**
   * The emergency pause (`pause#deployment`, lib/responders/emergency-pause.ts): written and deleted
   * only by the emergency-pause function (firebreak pause / resume), read by the containment guard
   * and every responder that acts under a containment grant. While it exists, no containment is
   * enforced.
   */
  pause = 'pause#',
  /**
   * The caller proofs the emergency-pause function took for a pause or resume
   * (`proof#<X-Amz-Signature>`): put once, only if absent, before it acts, so that a request sent
   * again whole changes nothing; written only by that function and read by nobody (they expire
   * with their proof, `ttl`).
   */
  spentProof = 'proof#',
}

/**
 * The action-log entry (its api) with which the containment guard says it cleared a containment in
 * dry-run only because the deployment is paused (lib/responders/emergency-pause.ts): the alert marks
 * itself [PAUSED] on it.
 */
export const EMERGENCY_PAUSE_ACTION = 'firebreak:emergency-pause';

/** The accounts a deployment serves, read from its own environment. */
export interface ServedAccounts {
  /** The security account (where Firebreak runs). */
  readonly securityAccountId: string;
  /** Accounts served besides it, by id. */
  readonly allowlist: readonly string[];
  /**
   * With an organization id, the accounts of that organization are served through the member role
   * (`aws:ResourceOrgID` on sts:AssumeRole): every one when the allowlist is empty, else only those
   * it lists (the allowlist narrows the organization; it never adds an account outside it, which STS refuses).
   */
  readonly organizationId?: string;
  /** Whether member roles are configured: without them only the security account can be acted upon. */
  readonly memberRoles: boolean;
  /**
   * The forensic account copy-evidence copies evidence into (FIREBREAK_FORENSIC_ACCOUNT_ID), when the
   * deployment has one: never served, whatever the organization or the allowlist says.
   */
  readonly forensicAccountId?: string;
}

/**
 * Why an incident's account is not served, or undefined when it is. The security account is
 * always served; another account only with member roles, and then when the allowlist lists it or,
 * with an organization and an empty allowlist, any account (STS itself refuses accounts outside the
 * organization). Anything but 12 ASCII digits is
 * refused first: "the organization serves every account" must not answer yes to `*`, `٤٤٤…`
 * (Arabic-Indic digits) or an id with a space, whatever a caller's own parser checked. The forensic
 * account is refused next, before any rule that serves: it is the evidence vault, where forensic
 * workstations analyse malware-laden evidence and GuardDuty findings are expected (or forged), and
 * an automated quarantine, snapshot or key change there would disturb evidence and investigations.
 * copy-evidence reaches it through its own forensic role, never through a served-account client.
 * `findingAccount`, when given, is the account of the finding that asks (`findingAccountOf`): the
 * security account is served for its own findings only (row 9h).
 */
export function unservedAccountReason(account: string, served: ServedAccounts, findingAccount?: string): string | undefined {
  if (!ACCOUNT_ID.test(account)) return `${JSON.stringify(account.slice(0, 40))} is not a 12-digit account id`;
  if (account === served.forensicAccountId) {
    return `account ${account} is the deployment's forensic account (the evidence vault): Firebreak never acts there automatically; a person must`;
  }
  if (account === served.securityAccountId) {
    // Row 9h: the security account acts on its own findings only. A member's finding (an attack
    // sequence naming a role, key or instance placed in it) is that member's detector speaking of
    // another account, where Firebreak's own credentials would act.
    if (findingAccount !== undefined && findingAccount !== account) {
      return `account ${account} is the security account, and the finding is account ${findingAccount}'s: Firebreak acts there for its own findings only; a person must`;
    }
    return undefined;
  }
  if (!served.memberRoles) {
    return `account ${account} is not the security account (${served.securityAccountId}) and no member role is configured, so Firebreak cannot act there`;
  }
  if (served.allowlist.includes(account)) return undefined;
  if (served.organizationId === undefined) return `account ${account} is neither the security account nor in the served-account allowlist`;
  // With an organization, a non-empty allowlist narrows it (a pilot, or accounts kept out of
  // automatic response); empty, every account of the organization is served.
  if (served.allowlist.length > 0) {
    return `account ${account} is not in the served-account allowlist, which narrows the organization ${served.organizationId} to the accounts it lists`;
  }
  return undefined;
}

const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/**
 * The served accounts as the deployment's environment states them, or why they cannot be read
 * (then nothing may be acted upon: a deployment that cannot name its own account serves none).
 */
export function servedAccountsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): { readonly served: ServedAccounts } | { readonly problem: string } {
  const securityAccountId = env[SECURITY_ENV.securityAccountId]?.trim() ?? '';
  if (!ACCOUNT_ID.test(securityAccountId)) {
    return { problem: `${SECURITY_ENV.securityAccountId} is ${securityAccountId === '' ? 'not set' : 'not a 12-digit account id'}, so the deployment cannot tell which accounts it serves` };
  }
  const allowlist = (env[SECURITY_ENV.servedAccountIds] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  const badAccount = allowlist.find((id) => !ACCOUNT_ID.test(id));
  if (badAccount !== undefined) return { problem: `${SECURITY_ENV.servedAccountIds} holds ${JSON.stringify(badAccount.slice(0, 40))}, not a 12-digit account id` };
  const organizationId = env[SECURITY_ENV.organizationId]?.trim() ?? '';
  if (organizationId !== '' && !ORGANIZATION_ID.test(organizationId)) {
    return { problem: `${SECURITY_ENV.organizationId} is not an organization id (o- and 10 to 32 lowercase letters or digits)` };
  }
  const forensicAccountId = env[SECURITY_ENV.forensicAccountId]?.trim() ?? '';
  if (forensicAccountId !== '' && !ACCOUNT_ID.test(forensicAccountId)) {
    return { problem: `${SECURITY_ENV.forensicAccountId} is not a 12-digit account id, so the deployment cannot tell which account holds its evidence` };
  }
  const memberRoles = (env[SECURITY_ENV.memberRoleName]?.trim() ?? '') !== '';
  return {
    served: {
      securityAccountId,
      allowlist,
      ...(organizationId !== '' ? { organizationId } : {}),
      memberRoles,
      ...(forensicAccountId !== '' ? { forensicAccountId } : {}),
    },
  };
}

/**
 * A containment grant (`grant#<executionArn>`): the containment guard's clearance for one
 * execution to change one instance. Only the guard's role may write `grant#` items; a mutating
 * responder acts only when the grant for its execution matches its incident and instance.
 */
export interface ContainmentGrant {
  readonly pk: string;
  readonly executionArn: string;
  /** The playbook, from the execution's verified state machine (never from the input). */
  readonly playbook: string;
  readonly incidentKey: string;
  /**
   * The SHA-256 of the incident as the verified execution's own input states it (canonical JSON of
   * the parsed incident, `incidentDigest`): a step acts only when the incident in its input is that
   * one, whole, so a direct invocation naming the execution cannot swap the domain, the credentials,
   * the object or any other target the grant does not name field by field.
   */
  readonly incidentDigest: string;
  /**
   * For a manual playbook's execution: the SHA-256 of the request its steps receive (requestedBy,
   * reason, dnsUnblock), as the verified execution input states it (`requestDigest`). A step with a
   * request acts only when it is that one; a grant without it clears no step that carries a request.
   */
  readonly requestDigest?: string;
  readonly account: string;
  readonly region: string;
  readonly instanceId: string;
  /** What the grant allows: a `contain` grant never authorizes a release, nor the reverse. */
  readonly kind: 'contain' | 'release';
  readonly gameDay: boolean;
  /** The effective mode the guard decided (the deployment's ceiling applied). */
  readonly mode: 'dry-run' | 'enforce';
  /** `proceed`: act now; `awaiting-approval`: act only once the approval record says approved (or the timeout rule allows). */
  readonly status: 'proceed' | 'awaiting-approval';
  /** For `awaiting-approval`: when the wait ends, and what the playbook does then (from the deployment, not the input). */
  readonly approvalDeadline?: string;
  readonly onTimeout?: 'evidence-only' | 'contain';
  readonly grantedAt: string;
  /** DynamoDB TTL (epoch seconds). */
  readonly expiresAt: number;
  /**
   * For the release of an instance: its pre-quarantine record as the guard read it when it cleared
   * the release (`GrantReleaseRecord`). release-instance restores only that record at that claim
   * serial; without it (the guard found no unreleased record, or could not read it) it restores
   * nothing, since the approval was not given on the record's claims.
   */
  readonly releaseRecord?: GrantReleaseRecord;
  /**
   * `true` when the guard cleared this containment with no blast-radius slot because Firebreak holds
   * the instance quarantined already (docs/security.md rows 15o, 15s): the grant clears only what
   * re-confirms that quarantine. block-dns-domain blocks no domain the instance does not block
   * already, and quarantine-instance denies no role's sessions again: each reaches beyond the instance.
   */
  readonly heldQuarantine?: true;
}

/**
 * The pre-quarantine record a release's grant binds: its capture and its claim serial, which every
 * claim written on the record advances (lib/responders/quarantine-records.ts). A claim written
 * after the guard read it, even by the releasing incident itself (a new execution of it, GuardDuty
 * having updated the finding), means the approval was given on older information.
 */
export interface GrantReleaseRecord {
  readonly capturedAt: string;
  /** 0 for a record written before claim serials (it has none). */
  readonly claimSerial: number;
}

/**
 * The `instanceId` of a grant that clears the credentials an incident names (an access-key incident
 * has no instance): disable-access-key and revoke-role-sessions ask for a grant of this subject, so a
 * grant for an instance never clears them, nor theirs an instance.
 */
export const CREDENTIALS_GRANT_SUBJECT = 'iam-credentials';

/**
 * The `instanceId` of a grant that clears ONE credential (the containment guard of a
 * `trigger: per-credential` playbook writes it): an IAM user's access key or a role (every session
 * of it), in its account. disable-access-key and revoke-role-sessions given such a grant act on that
 * credential alone, whatever else their input names.
 */
export type CredentialGrantSubject =
  | { readonly kind: 'access-key'; readonly account: string; readonly accessKeyId: string }
  | { readonly kind: 'iam-role'; readonly account: string; readonly roleName: string };

/** `access-key/<account>/<key id>` or `iam-role/<account>/<role name>` (IAM names hold no `/`). */
export function credentialGrantSubject(subject: CredentialGrantSubject): string {
  return subject.kind === 'access-key' ? `access-key/${subject.account}/${subject.accessKeyId}` : `iam-role/${subject.account}/${subject.roleName}`;
}

/** The credential a one-credential grant names, or undefined for any other grant subject. */
export function parseCredentialGrantSubject(text: string): CredentialGrantSubject | undefined {
  const match = /^(access-key|iam-role)\/(\d{12})\/([\w+=,.@-]{1,128})$/.exec(text);
  if (match === null) return undefined;
  const [, kind, account, id] = match as unknown as [string, string, string, string];
  return kind === 'access-key' ? { kind, account, accessKeyId: id } : { kind: 'iam-role', account, roleName: id };
}

/**
 * A pending or answered approval (`approval#<executionArn>`). publish-alert writes the request
 * (with the task token, which is never shown to a person); only the approval function writes the
 * decision, with the approver's identity as AWS authenticated it.
 */
export interface ApprovalRecord {
  readonly pk: string;
  readonly executionArn: string;
  readonly incidentKey: string;
  readonly requestedAt: string;
  readonly decision?: 'approved' | 'rejected';
  /** The IAM principal ARN AWS authenticated for the answer (never a field of a request body). */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
}

/**
 * The stack output naming the record key (the KMS HMAC key that seals records): `firebreak report`
 * checks credential records' seals under it (kms:VerifyMac, which the key policy allows the
 * deployment's `recordVerifierArns`), never under a key a record names.
 */
export const RECORD_KEY_OUTPUT_KEY = 'RecordKeyArn';

/**
 * The default name of the role copy-evidence assumes in the forensic account (ForensicRoleStack).
 * Here, apart from the CDK code, so that the game day's engine does not load aws-cdk-lib for it.
 */
export const DEFAULT_FORENSIC_ROLE_NAME = 'FirebreakForensicCopier';

/**
 * An sts:ExternalId as STS accepts it (AssumeRole API reference: 2-1224 characters of
 * `[\w+=,.@:/-]`): the member role's trust condition, the deployment's CDK context and a game day's
 * setting are each checked against it.
 */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

/** What EXTERNAL_ID_PATTERN accepts, for messages. */
export const EXTERNAL_ID_RULE = '2-1224 characters of [\\w+=,.@:/-]';
