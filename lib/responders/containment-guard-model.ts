/**
 * The containment guard's vocabulary: its answer (`GuardResult` and its parts), its deploy-time
 * configuration and what it is built from. Types only, so every module of the guard can use them.
 */
import type { Ec2Clients } from '../aws/clients/ec2';
import type { IamClients } from '../aws/clients/iam';
import type { SfnClients } from '../aws/clients/sfn';
import type { ContainmentGrant, PlaybookRails, ServedAccounts } from '../contracts/security';
import type { DeploymentEnvironment } from './effective-mode';
import type { GrantWriter } from './grants';
import type { DnsBlockStore } from './dns-block-records';
import type { PauseReader } from './emergency-pause';
import type { BlastRadiusLimiter, BlastRadiusPolicy } from './blast-radius';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import type { QuarantineReleaseStates } from './quarantine-release-state';
import type { S3ObjectClaims } from './s3-object-claims';
import type { KeyHolds } from './key-holds';

export type GuardStatus = 'proceed' | 'needs-approval' | 'evidence-only';

/**
 * Which rule made an instance protected. The finding's tags are never trusted: they are whatever
 * the instance (or its attacker) had set, reported back; only EC2's current tags count.
 */
/**
 * `privileged-name`: a per-credential run whose user or role is an administrator or break-glass
 * principal by name; `credential-tag`: one whose user or role carries the protected tag key in IAM now.
 */
export type ProtectionRule = 'instance-id' | 'instance-tag' | 'privileged-name' | 'credential-tag';

/** The blast-radius part of a guard result. */
export interface GuardBlastRadius {
  /** False when an earlier rule decided (sample, protected): the counter was not consulted. */
  readonly evaluated: boolean;
  /** A containment now is within the limit (in dry-run and approval runs: would be). */
  readonly granted: boolean;
  /** This run took a slot or confirmed the one the incident holds; false in dry-run and for approvals. */
  readonly slotTaken: boolean;
  /** Containments counted in the window (this one included when granted); null when not evaluated. */
  readonly used: number | null;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Incident keys holding the slots when the limit is reached. */
  readonly activeIncidents?: readonly string[];
  /** ISO 8601 time the first slot frees up, when the limit is reached. */
  readonly retryAfter?: string;
}

/** What the guard verified about the execution it was asked about. */
export interface GuardExecution {
  /** True when DescribeExecution showed a RUNNING execution of this deployment's playbook for this incident. */
  readonly verified: boolean;
  readonly executionArn?: string;
  /** The playbook, from the verified state machine (never from the input). */
  readonly playbook?: string;
  readonly kind?: PlaybookRails['kind'];
}

/** The grant the guard wrote (or found) for the execution. */
export interface GuardGrant {
  readonly key: string;
  readonly status: ContainmentGrant['status'];
  readonly mode: ResponderMode;
  readonly expiresAt: number;
  /** False when a grant already existed for the execution (a retry): its decision stands. */
  readonly written: boolean;
}

/**
 * What the instance's pre-quarantine record said of its claims when the guard cleared a release
 * (quarantine-release-state.ts): the approval request shows the approver whether the release will
 * restore the instance or only take back its incident's claim. Read from the state table, so the
 * incident keys are stored text: bounded here, neutralized where the alert shows them.
 */
export interface GuardReleaseClaims {
  /** What the claims are on: an instance's pre-quarantine record (absent), or an S3 object version's claims item (s3-object-claims.ts). */
  readonly of?: 's3-object';
  /** `held`: an unreleased record; `released`: already released; `no-record`: none; `unreadable`: the read failed. */
  readonly record: 'held' | 'released' | 'no-record' | 'unreadable';
  /** The incidents that hold the instance (`held`), sorted, the first MAX_LISTED_RELEASE_CLAIMS of them. */
  readonly claims?: readonly string[];
  /** How many incidents hold it (`held`), listed or not. */
  readonly claimCount?: number;
  /** Why the read failed (`unreadable`). */
  readonly reason?: string;
  /** When the record was captured (`held`): the grant binds it. */
  readonly capturedAt?: string;
  /** The record's claim serial (`held`; 0 for a record older than claim serials): the grant binds it. */
  readonly claimSerial?: number;
}

/**
 * The DNS Firewall blocks claimed on an instance whose release the guard clears (`dnsblock-instance#…`,
 * block-dns-domain's index): what the release playbook's unblock step takes back, VPC-wide, so that the
 * approval request names the domains approving lets resolve again (docs/security.md row 5r).
 */
export interface GuardReleaseDnsBlocks {
  /** `read`: the index was read (no item: none); `unreadable`: the read failed. */
  readonly record: 'read' | 'unreadable';
  /** The domains the release's incident claimed on the instance (taken back), sorted, the first MAX_LISTED_RELEASE_CLAIMS. */
  readonly domains?: readonly string[];
  readonly domainCount?: number;
  /** The domains other incidents claimed on it (they stay, unless an earlier release took those incidents' claims back). */
  readonly others?: readonly string[];
  readonly otherCount?: number;
  /** Why the read failed (`unreadable`). */
  readonly reason?: string;
}

export interface GuardResult extends ResponderResult<GuardStatus> {
  /** Every rule that shaped the decision, in words fit for the alert. */
  readonly reasons: readonly string[];
  readonly protected: boolean;
  readonly protectedBy?: ProtectionRule;
  readonly instanceId?: string;
  readonly blastRadius: GuardBlastRadius;
  readonly execution: GuardExecution;
  /** Present when the guard cleared the execution (proceed, or needs-approval). */
  readonly grant?: GuardGrant;
  /** True for a game-day incident (its blast-radius slots are counted apart: blast-gameday#). */
  readonly gameDay: boolean;
  /** A cleared release of an instance: the claims its record held then. */
  readonly releaseClaims?: GuardReleaseClaims;
  /** A cleared release whose unblock step lifts the instance's DNS Firewall blocks: those its index held then (row 5r). */
  readonly releaseDnsBlocks?: GuardReleaseDnsBlocks;
  /**
   * `oversized-event`: the execution's incident was parsed from the oversized-event intake's copy
   * of its event (`clipped.event`). The intake cannot authenticate its sender, so a person approves
   * the containment (status needs-approval, or evidence-only where a stronger rail decided).
   */
  readonly intake?: GuardIntake;
}

/** The way in that cannot authenticate its sender, and so holds containment for a person. */
export type GuardIntake = 'oversized-event';

/** Deploy-time configuration of the rails. */
export interface ContainmentGuardConfig {
  /** Instances never contained automatically. */
  readonly protectedInstanceIds: readonly string[];
  /** An instance carrying a tag with this KEY (any value) in EC2 now is never contained automatically. */
  readonly protectedTagKey?: string;
  readonly blastRadius: BlastRadiusPolicy;
  /** The Firebreak state table holding the blast-radius slots and the grants. */
  readonly stateTable?: string;
  /** The security account (FIREBREAK_SECURITY_ACCOUNT_ID): executions must run there. */
  readonly securityAccountId?: string;
  /** The guard's own region (AWS_REGION): executions must run there. */
  readonly region?: string;
  /** The stack name (FIREBREAK_STACK_NAME): playbook state machines are `<stackName>-<playbook>`. */
  readonly stackName?: string;
  /** Rails per deployed playbook (FIREBREAK_PLAYBOOK_RAILS). Without them no execution can be verified. */
  readonly rails: Readonly<Record<string, PlaybookRails>>;
  /** The accounts the deployment serves; an incident of any other is refused (UnservedAccountError). */
  readonly servedAccounts?: ServedAccounts;
  /** The deployment's mode ceiling, read with the rest (FIREBREAK_MODE). @default process.env at decision time */
  readonly environment?: DeploymentEnvironment;
}

export interface ContainmentGuardDeps {
  /** EC2 and IAM (through the member role) in the incident's account, Step Functions in the security account. */
  readonly clients: Ec2Clients & IamClients & SfnClients;
  readonly limiter: BlastRadiusLimiter;
  readonly grants: GrantWriter;
  /** The deployment's emergency pause (emergency-pause.ts): while it holds, a containment is cleared in dry-run only. */
  readonly emergencyPause: PauseReader;
  readonly config: ContainmentGuardConfig;
  /** The instances' release states (their claims), read for a release the guard clears. @default none: not read */
  readonly releaseStates?: QuarantineReleaseStates;
  /** The instances' DNS block index, read for a release whose unblock step lifts them (row 5r). @default none: not read */
  readonly dnsBlocks?: Pick<DnsBlockStore, 'blocksOfInstance'>;
  /** The S3 object versions' claims, read for a release of an object the guard clears. @default none: not read */
  readonly objectClaims?: Pick<S3ObjectClaims, 'get'>;
  /**
   * Whether a containment of Firebreak's holds an access key, read for keys all Inactive already
   * (row 11t). @default none: not read, and such keys take a slot as any other
   */
  readonly keyHolds?: KeyHolds;
  readonly logger: IncidentLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Waits between reads of an execution DescribeExecution does not know yet. @default setTimeout */
  readonly pause?: (milliseconds: number) => Promise<void>;
}
