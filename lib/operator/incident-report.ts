/**
 * The incident record as people read it: the stored item (`incident#<key>`, written by the steps:
 * lib/responders/incident-record.ts) validated entry by entry, then what it says: the incident's
 * status, its phases and how long each took from Firebreak's receipt, what was done and not done
 * and why, the evidence and its chain of custody, approvals, failures, the follow-ups still open
 * and the questions a post-incident review should ask. Pure: the reads are in ./incidents.ts.
 *
 * Every field of the record is a claim of the step that wrote it (the stored item is a trust
 * boundary like any other): entries that do not validate are counted and left out, never guessed.
 */
import { z } from 'zod';
import { ACTIONS } from '../playbooks/actions';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { IncidentRecordEntry, IncidentRecordHeader } from '../responders/incident-record';
import type { AccessKeyRecord, ReadCredentialRecord } from '../responders/credential-records';
import { holdTakenBackDetailStart, keyClaimedDetail, keyHolders } from '../responders/credential-records';
import { DEFAULT_CONTAINMENT_TARGET_SECONDS } from '../contracts/metrics';
import type { CustodyRecord, ReadCustody } from '../responders/snapshot-custody';
import { custodyStatus } from '../responders/snapshot-custody';
import { isUnverifiedProfileDetail } from '../responders/release-checks';
import { instanceProfileName } from '../responders/instance-profile-arn';

const actionSchema = z.object({
  api: z.string(),
  target: z.string(),
  outcome: z.string(),
  detail: z.string(),
  at: z.string().optional(),
});

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO 8601 time');

/** One stored entry; unknown keys are dropped (a newer writer may add some). */
export const recordEntrySchema = z.object({
  step: z.string().min(1),
  startedAt: isoTime,
  endedAt: isoTime,
  outcome: z.enum(['succeeded', 'failed']),
  status: z.string(),
  mode: z.string().optional(),
  playbook: z.string().optional(),
  executionArn: z.string().optional(),
  executionName: z.string().optional(),
  alertKind: z.string().optional(),
  failure: z.object({ step: z.string(), error: z.string(), cause: z.string().optional() }).optional(),
  reasons: z.array(z.string()).optional(),
  request: z.object({ requestedBy: z.string(), reason: z.string().optional() }).optional(),
  error: z.object({ name: z.string(), message: z.string() }).optional(),
  actions: z.array(actionSchema),
  actionsOmitted: z.number().int().nonnegative().optional(),
  children: z.array(z.string()).optional(),
  unconfirmed: z.literal(true).optional(),
});

/** An approval of one of the incident's executions, as the approval function stored it (`approval#<executionArn>`). */
export interface RecordedApproval {
  readonly executionArn: string;
  readonly requestedAt?: string;
  readonly decision?: 'approved' | 'rejected';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
  /** An earlier execution's answer under the same ARN, kept when this run's request replaced it (row 5q). */
  readonly earlierRun?: true;
}

/** One incident's record as read from the table. */
export interface IncidentRecord {
  readonly header: IncidentRecordHeader;
  /** Valid entries, in the order they were appended. */
  readonly entries: readonly IncidentRecordEntry[];
  /** Stored entries that did not validate (left out). */
  readonly invalidEntries: number;
  readonly updatedAt?: string;
  /** Epoch seconds when DynamoDB's TTL deletes the record. */
  readonly expiresAt?: number;
  readonly approvals: readonly RecordedApproval[];
}

/** Parses stored entries (JSON strings); counts the ones that do not validate. */
export function parseRecordEntries(stored: readonly string[]): { entries: IncidentRecordEntry[]; invalid: number } {
  const entries: IncidentRecordEntry[] = [];
  let invalid = 0;
  for (const text of stored) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      invalid += 1;
      continue;
    }
    const parsed = recordEntrySchema.safeParse(json);
    if (parsed.success) entries.push(parsed.data as IncidentRecordEntry);
    else invalid += 1;
  }
  return { entries, invalid };
}

export const INCIDENT_STATUSES = ['open', 'contained', 'released', 'failed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

const EVIDENCE_KEPT = new Set(['snapshotted', 'already-snapshotted', 'copied', 'already-copied']);

/**
 * What contains a resource and what releases it, per kind of resource: the step and the statuses
 * that say it is done (a key already Inactive before Firebreak came is not Firebreak's containment,
 * and its release never re-activates it), the phase's label and the follow-up while it lasts.
 */
interface ContainmentKind {
  readonly step: string;
  readonly contained: ReadonlySet<string>;
  /**
   * Statuses that say "found done" and are a containment only when an attempt of this incident made
   * the change and failed before it could say so (containmentOf): a retry finding the key Inactive
   * that its failed attempt set Inactive. Without that attempt in the record, someone else did it.
   */
  readonly containedByFailedAttempt?: ReadonlySet<string>;
  /**
   * Whether a verified credential record of this incident may also say so (sealedKeyChange): a key
   * it set Inactive by an attempt that recorded no `done` (its Lambda timed out before its entry was
   * written, or UpdateAccessKey got an error after IAM made the change).
   */
  readonly containedBySealedRecord?: boolean;
  /**
   * Whether a claim may hold it for this incident (heldByClaims): a key another incident (or an
   * earlier execution of this one) set Inactive, found so by this incident's step, which claimed it
   * on that incident's sealed record; the claim keeps the key Inactive until this incident's release.
   */
  readonly containedByClaim?: boolean;
  /** The recorded action that makes the containment: its `done` dates it (an ENI moved, a key disabled…). */
  readonly change: string;
  readonly releaseStep: string;
  readonly released: ReadonlySet<string>;
  readonly label: string;
  readonly followUp: (resource: string) => string;
  /**
   * For kinds one step can hold several of (a user's access keys, roles): the recorded action that
   * names each resource contained, and the one that names each released, with the outcomes that
   * count. Without them (an instance, an object) a step holds one resource of its kind.
   */
  readonly perResource?: { readonly contain: RecordedActionMatch; readonly release: readonly RecordedActionMatch[] };
}

/**
 * A recorded action's API and the outcomes that count, e.g. iam:UpdateAccessKey done; with
 * `detailStart`, only an action whose detail begins so for its target and the entry's incident
 * (a hold on a key taken back for that incident).
 */
interface RecordedActionMatch {
  readonly api: string;
  readonly outcomes: ReadonlySet<string>;
  readonly detailStart?: (target: string, incidentKey: string) => string;
}

const CONTAINMENT_KINDS: readonly ContainmentKind[] = [
  {
    step: ACTIONS['quarantine-instance'].responder,
    contained: new Set(['quarantined', 'already-quarantined']),
    change: 'ec2:ModifyNetworkInterfaceAttribute',
    releaseStep: RESPONDER_NAMES.releaseInstance,
    // claim-released: this incident's hold on the instance ended; the instance stays quarantined
    // for the other incidents holding it, which their own reports show as contained.
    released: new Set(['released', 'claim-released', 'already-released']),
    label: 'Containment (instance isolated)',
    followUp: (resource) => `${resource} is still quarantined: investigate it, then release it (firebreak release) or terminate it once the evidence is kept.`,
  },
  {
    step: RESPONDER_NAMES.disableAccessKey,
    contained: new Set(['disabled']),
    // The retry of an attempt that set the key Inactive and then failed (AWSDenyAll's answer lost)
    // finds it Inactive: that is this incident's containment, the key set so by the failed attempt.
    containedByFailedAttempt: new Set(['already-inactive']),
    // Or one whose attempt left no `done` at all, when the key's sealed record says this incident set it.
    containedBySealedRecord: true,
    // Or one another incident set Inactive, which this incident's step claimed, when that incident's
    // verified record carries the claim (the claim holds the key Inactive until this incident's release).
    containedByClaim: true,
    change: 'iam:UpdateAccessKey',
    releaseStep: RESPONDER_NAMES.releaseCredentials,
    // claim-released: this incident's hold on the key ended (its take-back names the key); it stays
    // Inactive for the other incidents holding it, whose own reports show it as contained.
    released: new Set(['released', 'claim-released', 'already-released']),
    label: 'Containment (access key disabled)',
    followUp: (resource) => `${resource} is still disabled: once its user is clean, release it (firebreak credentials release --access-key) or replace the key.`,
    // A key already Inactive before Firebreak came ('already-done') is not Firebreak's containment;
    // one its failed attempt set Inactive is (containedResources).
    perResource: {
      contain: { api: 'iam:UpdateAccessKey', outcomes: new Set(['done']) },
      release: [
        { api: 'iam:UpdateAccessKey', outcomes: new Set(['done', 'already-done']) },
        { api: 'firebreak:record-credential', outcomes: new Set(['done']), detailStart: holdTakenBackDetailStart },
      ],
    },
  },
  {
    step: RESPONDER_NAMES.revokeRoleSessions,
    contained: new Set(['revoked', 'already-revoked']),
    change: 'iam:PutRolePolicy',
    releaseStep: RESPONDER_NAMES.releaseCredentials,
    released: new Set(['released', 'already-released']),
    label: 'Containment (role sessions revoked)',
    followUp: (resource) => `The sessions of ${resource} are still revoked: once the role is clean, release the deny (firebreak credentials release --role) after its sessions have expired.`,
    perResource: {
      contain: { api: 'iam:PutRolePolicy', outcomes: new Set(['done', 'already-done']) },
      release: [{ api: 'iam:DeleteRolePolicy', outcomes: new Set(['done', 'already-done']) }],
    },
  },
  {
    step: RESPONDER_NAMES.quarantineS3Object,
    contained: new Set(['tagged', 'already-tagged']),
    change: 's3:PutObjectTagging',
    releaseStep: RESPONDER_NAMES.releaseS3Object,
    // held: the incident's claim is taken back, the object stays tagged for another incident holding it.
    released: new Set(['untagged', 'held']),
    label: 'Containment (object tagged infected)',
    followUp: (resource) => `${resource} is still tagged as infected: investigate it, then release it (firebreak release --bucket --key) or remove it by hand.`,
  },
];

/** The steps (responders) that contain something: their entries can open the containment phase. */
export const CONTAINING_STEPS: ReadonlySet<string> = new Set(CONTAINMENT_KINDS.map((kind) => kind.step));

/** One access key a step found already Inactive with no attempt of its incident recorded as setting it: whose credential record the report reads. */
export interface KeyRecordLookup {
  /** The incident whose step found it (a child's key in a gathered report). */
  readonly incidentKey: string;
  readonly account: string;
  readonly accessKeyId: string;
  /** Its step recorded claiming the key for the incident (the key contained already by another incident, or an earlier execution). */
  readonly claimed?: true;
  /**
   * With `claimed`: the time of the incident's latest recorded claim on the key (the claim action's,
   * else its entry's end; both after the claim was written). A verified record captured after it
   * that does not carry the claim replaced the record the claim was written on (keyClaimOnRecord).
   */
  readonly claimedAt?: string;
}

/**
 * The key's credential record as the report read it (./key-records.ts): read and checked (its
 * shape, key, incident and seal, the verdict saying whether the seal holds), absent (Firebreak
 * writes it before any change, so none means Firebreak changed nothing there), or unreadable.
 */
export type KeyRecordReading = KeyRecordLookup &
  (
    | { readonly state: 'read'; readonly record: ReadCredentialRecord<AccessKeyRecord> }
    | { readonly state: 'absent' }
    | { readonly state: 'unreadable'; readonly reason: string }
  );

/** What a verified credential record of the incident says: it set the key Inactive (the key was Active). */
export interface SealedKeyChange {
  readonly incidentKey: string;
  readonly accessKeyId: string;
  /** When the attempt that made the change read the key Active, just before it. */
  readonly capturedAt: string;
}

/**
 * What the report makes of one key's credential record (pure): this incident's change, when the
 * record's seal holds and it says this incident found the key Active and set it Inactive; a reason
 * it is not confirmed, when the record could not be read or does not verify (a forged, edited or
 * unsealed record is never believed); nothing, when there is no record (Firebreak changed nothing)
 * or the verified record says another incident did it, or that the key was Inactive already, or it
 * is marked released (its change was undone: whoever set the key Inactive since, it was not this
 * change; the mark is outside the seal, and a forged one only withholds a claim).
 */
export function sealedKeyChange(reading: KeyRecordReading): { readonly confirmed: SealedKeyChange } | { readonly notConfirmed: string } | undefined {
  if (reading.state === 'absent') return undefined;
  if (reading.state === 'unreadable') return { notConfirmed: `its credential record could not be read and checked (${reading.reason})` };
  const { record, verdict } = reading.record;
  if (!verdict.valid) return { notConfirmed: `its credential record failed its integrity check (${verdict.reason}), so it is not trusted` };
  const ours = record.kind === 'access-key' && record.incidentKey === reading.incidentKey && record.account === reading.account && record.accessKeyId === reading.accessKeyId;
  if (!ours || record.previousStatus !== 'Active' || !record.deactivated || record.released === true) return undefined;
  return { confirmed: { incidentKey: record.incidentKey, accessKeyId: record.accessKeyId, capturedAt: record.capturedAt } };
}

/** The keys verified credential records say their incident set Inactive, by `<incident key>|<key id>`. */
export type SealedKeyChanges = ReadonlyMap<string, SealedKeyChange>;

function sealedKeyId(incidentKey: string | undefined, accessKeyId: string): string {
  return `${incidentKey ?? ''}|${accessKeyId}`;
}

/**
 * What a key's verified credential record says of the incident's claim on the key (its `claims` and
 * `releasedClaims`, stored beside the sealed record and not sealed themselves: a claim is a claim):
 * `held`, its claim stands; `taken-back`, a release took back its hold; `record-released`, the
 * record's release is done (the last holder's: the key's containment ended for every incident);
 * `record-replaced`, the record the claim was written on was released and a later record replaced
 * it since (see keyClaimOnRecord), so the hold ended with that release.
 */
export interface KeyClaimOnRecord {
  readonly incidentKey: string;
  readonly accessKeyId: string;
  readonly userName: string;
  /**
   * The incident whose step set the key Inactive: the record's. Undefined with `record-replaced`:
   * the record that said it is gone, and the one read now is another containment's.
   */
  readonly containedBy?: string;
  /** The incidents the record says hold the key now, this one left out. */
  readonly otherHolders: readonly string[];
  readonly state: 'held' | 'taken-back' | 'record-released' | 'record-replaced';
  /** With `record-replaced`: the verified record read now, which replaced the one the claim was written on (its incident, when it was captured). */
  readonly replacedBy?: { readonly incidentKey: string; readonly capturedAt: string };
}

/** The claims verified records carry, by `<incident key>|<key id>`. */
export type KeyClaimsOnRecords = ReadonlyMap<string, KeyClaimOnRecord>;

/** What the incident's verified credential records say: the key changes they confirm, and its claims they carry. */
export interface VerifiedKeyRecords {
  readonly sealed: SealedKeyChanges;
  readonly claims: KeyClaimsOnRecords;
}

const NO_VERIFIED_RECORDS: VerifiedKeyRecords = { sealed: new Map(), claims: new Map() };

/**
 * What the report makes of one key's credential record for a claim its incident's step recorded
 * (pure): the claim as the record carries it, when the record's seal holds and it says Firebreak
 * set the key Inactive (it was Active); a reason the claim is not confirmed, when the verified record
 * carries no claim of the incident (nor a taken-back one), or there is no record; nothing, when the
 * record cannot say (not read or not verified: sealedKeyChange's reason is given) or says the key
 * was Inactive before Firebreak (a claim then holds nothing Firebreak would re-activate).
 *
 * One record per key, replaced only once released (a conditional PutItem, `released = true`; none is
 * ever deleted, and only Firebreak's roles may write the table): so a verified record that does not
 * carry the claim but was captured after it (its sealed `capturedAt` later than `claimedAt`) is not
 * the record the claim was written on, which must have been released for it to be written, and the
 * hold ended with that release (`record-replaced`). What the new record says of the key is another
 * containment's: it says nothing of who set the key Inactive before. A record captured before the
 * claim may be the one the claim was written on, its claims rewritten since: not confirmed, as
 * before. A record that does not verify is never read for this.
 */
export function keyClaimOnRecord(reading: KeyRecordReading): { readonly claim: KeyClaimOnRecord } | { readonly notConfirmed: string } | undefined {
  if (reading.state === 'absent') return { notConfirmed: 'the key has no credential record now' };
  if (reading.state !== 'read' || !reading.record.verdict.valid) return undefined;
  const { record, claims } = reading.record;
  if (record.kind !== 'access-key' || record.account !== reading.account || record.accessKeyId !== reading.accessKeyId) return undefined;
  const held = claims.claims.includes(reading.incidentKey);
  const taken = claims.releasedClaims.includes(reading.incidentKey);
  if (!held && !taken && capturedAfter(record.capturedAt, reading.claimedAt)) {
    const replacedBy = { incidentKey: record.incidentKey, capturedAt: record.capturedAt };
    return { claim: { incidentKey: reading.incidentKey, accessKeyId: record.accessKeyId, userName: record.userName, otherHolders: [], state: 'record-replaced', replacedBy } };
  }
  if (record.previousStatus !== 'Active' || !record.deactivated) return undefined;
  if (!held && !taken) {
    return { notConfirmed: `the key's verified credential record (incident ${record.incidentKey}'s${record.released === true ? ', released' : ''}) does not carry this incident's claim` };
  }
  const state = record.released === true ? 'record-released' : held ? 'held' : 'taken-back';
  const otherHolders = record.released === true ? [] : keyHolders(record, claims).filter((holder) => holder !== reading.incidentKey);
  return { claim: { incidentKey: reading.incidentKey, accessKeyId: record.accessKeyId, userName: record.userName, containedBy: record.incidentKey, otherHolders, state } };
}

/** Whether a record captured at `capturedAt` was captured strictly after `claimedAt` (false when either is missing or does not parse). */
function capturedAfter(capturedAt: string, claimedAt: string | undefined): boolean {
  const captured = Date.parse(capturedAt);
  const claimed = claimedAt === undefined ? Number.NaN : Date.parse(claimedAt);
  return Number.isFinite(captured) && Number.isFinite(claimed) && captured > claimed;
}

/**
 * The entries a decision reads: the record's (a gathered report's carry their child's key), the
 * incident the entries without a key belong to, and what its verified credential records say (the
 * key changes they confirm, the claims they carry).
 */
interface RecordView {
  readonly entries: readonly GatheredEntry[];
  readonly incidentKey: string | undefined;
  readonly sealed: SealedKeyChanges;
  readonly claims: KeyClaimsOnRecords;
}

/**
 * The attempts of `entry`'s step that failed before it in the same execution and incident: the
 * tries Step Functions' Retry made before it. Their entries hold the actions they took before
 * throwing (lib/responders/attempt-actions.ts).
 */
function failedAttemptsBefore(entries: readonly GatheredEntry[], entry: GatheredEntry): GatheredEntry[] {
  if (entry.executionArn === undefined) return [];
  return entries.filter(
    (earlier) =>
      earlier.outcome === 'failed' &&
      earlier.step === entry.step &&
      earlier.executionArn === entry.executionArn &&
      earlier.incidentKey === entry.incidentKey &&
      Date.parse(earlier.endedAt) <= Date.parse(entry.startedAt),
  );
}

/** The kind's change as an entry records it made: the action's API and `done`. */
function changesOf(kind: ContainmentKind, entry: IncidentRecordEntry): IncidentRecordEntry['actions'] {
  return entry.actions.filter((action) => action.api === kind.change && action.outcome === 'done');
}

/** The targets of the kind's change that `entry` found already done. */
function foundDone(kind: ContainmentKind, entry: IncidentRecordEntry): string[] {
  return entry.actions.filter((action) => action.api === kind.change && action.outcome === 'already-done').map((action) => action.target);
}

/**
 * The resources `entry` found already changed that an earlier failed attempt of it had changed
 * itself: the targets of its `already-done` change actions that a failed attempt recorded `done`.
 * A target no attempt of this incident changed was changed by someone else, before Firebreak came,
 * unless the incident's verified record says otherwise (changedBySealedRecord).
 */
function changedByFailedAttempts(kind: ContainmentKind, entry: GatheredEntry, entries: readonly GatheredEntry[]): string[] {
  const found = foundDone(kind, entry);
  if (found.length === 0) return [];
  const changed = new Set(failedAttemptsBefore(entries, entry).flatMap((attempt) => changesOf(kind, attempt).map((action) => action.target)));
  return found.filter((target) => changed.has(target));
}

/**
 * The keys `entry` found already Inactive that no failed attempt recorded as set, and that the
 * incident's verified credential record says it set Inactive: an attempt that left no `done` for
 * them (its Lambda timed out, or UpdateAccessKey got an error after IAM made the change). The record
 * is written before the change, so one captured after the entry started cannot explain what it found.
 */
function changedBySealedRecord(kind: ContainmentKind, entry: GatheredEntry, view: RecordView): SealedKeyChange[] {
  if (kind.containedBySealedRecord !== true || view.sealed.size === 0) return [];
  const byAttempts = new Set(changedByFailedAttempts(kind, entry, view.entries));
  return foundDone(kind, entry).flatMap((target) => {
    const change = byAttempts.has(target) ? undefined : view.sealed.get(sealedKeyId(entry.incidentKey ?? view.incidentKey, target));
    return change !== undefined && Date.parse(change.capturedAt) <= Date.parse(entry.startedAt) ? [change] : [];
  });
}

/** The keys `entry` recorded claiming for its incident: the step's word (its `firebreak:record-credential` `done`, lib/responders/credential-records.ts keyClaimedDetail). */
function claimsRecorded(entry: IncidentRecordEntry, incidentKey: string | undefined): string[] {
  if (entry.step !== RESPONDER_NAMES.disableAccessKey || incidentKey === undefined) return [];
  return entry.actions.filter((action) => isClaimOf(action, incidentKey)).map((action) => action.target);
}

/** The claim action disable-access-key records for `incidentKey` (credential-records.ts, keyClaimedDetail). */
function isClaimOf(action: IncidentRecordEntry['actions'][number], incidentKey: string): boolean {
  return action.api === CLAIM_ACTION_API && action.outcome === 'done' && action.detail === keyClaimedDetail(action.target, incidentKey);
}

const CLAIM_ACTION_API = 'firebreak:record-credential';

/**
 * The keys `entry` found already Inactive and claimed for its incident, whose verified credential
 * record carries that claim (held then, or taken back since): the step's word and the record's
 * together; either alone holds nothing.
 */
function heldByClaims(kind: ContainmentKind, entry: GatheredEntry, view: RecordView): KeyClaimOnRecord[] {
  if (kind.containedByClaim !== true || view.claims.size === 0) return [];
  const incidentKey = entry.incidentKey ?? view.incidentKey;
  const found = new Set(foundDone(kind, entry));
  return claimsRecorded(entry, incidentKey).flatMap((target) => {
    const claim = found.has(target) ? view.claims.get(sealedKeyId(incidentKey, target)) : undefined;
    return claim !== undefined ? [claim] : [];
  });
}

/** When `entry` recorded claiming `accessKeyId` for `incidentKey` (the claim action's time, else the entry's end). */
function claimedAt(entry: IncidentRecordEntry, accessKeyId: string, incidentKey: string): string {
  const at = entry.actions.find((action) => action.target === accessKeyId && isClaimOf(action, incidentKey))?.at;
  return at !== undefined && !Number.isNaN(Date.parse(at)) ? at : entry.endedAt;
}

/**
 * The kind of containment an entry records, when it records one: by its status, or, for a status
 * that says "found done" (a key already Inactive), only when a failed attempt before it in
 * `entries` made that change to a resource the entry found done, or the incident's verified
 * credential record says it made it.
 */
function containmentOf(entry: GatheredEntry, view: RecordView): ContainmentKind | undefined {
  return CONTAINMENT_KINDS.find(
    (kind) =>
      kind.step === entry.step &&
      (kind.contained.has(entry.status) ||
        (kind.containedByFailedAttempt?.has(entry.status) === true &&
          (changedByFailedAttempts(kind, entry, view.entries).length > 0 || changedBySealedRecord(kind, entry, view).length > 0 || heldByClaims(kind, entry, view).length > 0))),
  );
}

/** When a containment was in place: the attempt that made its last change, and its first change when a failed attempt made one. */
interface ContainmentMoment {
  /** The entry whose end dates the containment: the containing entry, or a failed attempt before it. */
  readonly entry: GatheredEntry;
  readonly by: string;
  /** The change's time is not recorded (only a sealed record says it was made): the entry's end is the latest it can be. */
  readonly timeNotRecorded?: true;
  /** Another incident made the change: this incident holds it by its claim, made by the entry. */
  readonly heldByClaim?: true;
}

/**
 * When the containment `containing` records was in place: the end of the attempt that made its
 * last change. A retried step's earlier attempts that failed (same step, execution and incident,
 * ended before it started) hold the actions they took before failing, so the instance may have
 * been isolated by an attempt whose tagging was then throttled (or a key set Inactive by an attempt
 * whose AWSDenyAll answer was lost): the retry finds every ENI already done (the key already
 * Inactive), and the containment dates from the failed attempt, not the retry's backoff later. The
 * first change any failed attempt made is named beside it (the true start of the changes). Only
 * the kind's own change counts, as `done`, and a time that does not parse falls back to its entry's end.
 * A key that only the incident's sealed record says it set Inactive has no recorded time: the
 * containing entry's end is the latest it can have been, and the phase says so.
 */
function containmentMoment(view: RecordView, containing: GatheredEntry, offset: (at: string) => string): ContainmentMoment {
  const kind = containmentOf(containing, view);
  const plain = { entry: containing, by: `${containing.step}: ${containing.status}` };
  if (kind === undefined) return plain;
  const changes = (entry: IncidentRecordEntry) => changesOf(kind, entry);
  const failed = failedAttemptsBefore(view.entries, containing).filter((entry) => changes(entry).length > 0);
  if (failed.length === 0) {
    const sealed = kind.contained.has(containing.status) ? [] : changedBySealedRecord(kind, containing, view);
    const claim = kind.contained.has(containing.status) || sealed.length > 0 ? undefined : heldByClaims(kind, containing, view)[0];
    if (claim?.replacedBy !== undefined) {
      const { incidentKey: replacer, capturedAt } = claim.replacedBy;
      return {
        entry: containing,
        by: `${plain.by} (${claim.accessKeyId} found Inactive and claimed for this incident at ${offset(claimedAt(containing, claim.accessKeyId, claim.incidentKey))}; the credential record the claim was written on was released since and replaced by incident ${replacer}'s, captured at ${offset(capturedAt)} (sealed), so the hold ended with that release; who set the key Inactive before is no longer recorded; the claim is not sealed)`,
        heldByClaim: true,
      };
    }
    if (claim !== undefined) {
      const incidentKey = containing.incidentKey ?? view.incidentKey;
      const setBy = claim.containedBy === incidentKey ? 'an earlier execution of this incident' : `incident ${claim.containedBy}`;
      return {
        entry: containing,
        by: `${plain.by} (${claim.accessKeyId} found Inactive, set so by ${setBy}, whose sealed credential record keeps it; claimed for this incident at ${offset(claimedAt(containing, claim.accessKeyId, claim.incidentKey))}: the claim on that record holds the key Inactive until this incident's release; the claim is not sealed)`,
        heldByClaim: true,
      };
    }
    if (sealed.length === 0) return plain;
    const read = sealed.map((change) => change.capturedAt).sort()[0];
    return {
      entry: containing,
      by: `${plain.by} (set Inactive by this incident, as its sealed credential record says: an attempt read it Active${read !== undefined ? ` at ${offset(read)}` : ''} and recorded no change; the time of the change is not recorded, at the latest by the end of this step)`,
      timeNotRecorded: true,
    };
  }
  const times = failed.flatMap((entry) => changes(entry).map((action) => (action.at !== undefined && !Number.isNaN(Date.parse(action.at)) ? action.at : entry.endedAt)));
  const firstChange = times.reduce((first, time) => (Date.parse(time) < Date.parse(first) ? time : first));
  const first = `first change at ${offset(firstChange)}`;
  if (changes(containing).length > 0) return { entry: containing, by: `${plain.by} (${first}, by an attempt that failed)` };
  const last = failed.at(-1) as GatheredEntry;
  return { entry: last, by: `${last.step}: ${last.status} (contained by this attempt before it failed; ${containing.status} on a retry; ${first})` };
}

/** Whether an entry records a release. */
function isRelease(entry: IncidentRecordEntry): boolean {
  return CONTAINMENT_KINDS.some((kind) => kind.releaseStep === entry.step && kind.released.has(entry.status));
}

/**
 * The containments in force, per kind: the resources each holds, by the id its step recorded. An
 * empty id stands for the kind's resource when the entry names none (an instance, an object, or an
 * entry whose actions were left out). `byClaim`: the keys in force only by the incident's claim
 * (another incident, or an earlier execution, set them Inactive), with what their record says of it.
 */
interface ContainmentsInForce {
  readonly held: Map<ContainmentKind, Set<string>>;
  readonly byClaim: Map<string, { readonly kind: ContainmentKind; readonly claim: KeyClaimOnRecord }>;
}

const noContainments = (): ContainmentsInForce => ({ held: new Map(), byClaim: new Map() });

/** The resources an entry's recorded actions name for any of `matches` (a detail-bound match: for the entry's incident only). */
function namedResources(entry: IncidentRecordEntry, matches: RecordedActionMatch | readonly RecordedActionMatch[] | undefined, incidentKey?: string): string[] {
  if (matches === undefined) return [];
  const all: readonly RecordedActionMatch[] = Array.isArray(matches) ? matches : [matches as RecordedActionMatch];
  return entry.actions
    .filter((action) =>
      all.some(
        (match) =>
          action.api === match.api &&
          match.outcomes.has(action.outcome) &&
          (match.detailStart === undefined || (incidentKey !== undefined && action.detail.startsWith(match.detailStart(action.target, incidentKey)))),
      ),
    )
    .map((action) => action.target);
}

/**
 * The resources a containing entry changed for its incident: those its actions name as changed,
 * and those it found already changed by a failed attempt of it (a key its failed attempt set
 * Inactive, which the retry that attached AWSDenyAll found Inactive) or, its verified record says,
 * by an attempt that recorded no change.
 */
function changedResources(kind: ContainmentKind, entry: GatheredEntry, view: RecordView): string[] {
  if (kind.perResource === undefined) return [];
  return [
    ...new Set([
      ...namedResources(entry, kind.perResource.contain),
      ...changedByFailedAttempts(kind, entry, view.entries),
      ...changedBySealedRecord(kind, entry, view).map((change) => change.accessKeyId),
    ]),
  ];
}

/** The resources a containing entry contained: those it changed, and the keys its claim holds (heldByClaims). */
function containedResources(kind: ContainmentKind, entry: GatheredEntry, view: RecordView): string[] {
  if (kind.perResource === undefined) return [];
  return [...new Set([...changedResources(kind, entry, view), ...heldByClaims(kind, entry, view).map((claim) => claim.accessKeyId)])];
}

/**
 * Applies one entry to the containments in force: a containment adds what it contained, a release
 * ends what it released. A release of a per-resource kind ends only the resources it names (a
 * release of one role leaves the key the same step disabled in force; a release that took back the
 * incident's hold on a key names it too); when the containment named none, any release of its kind
 * ends it. A release of another kind ends nothing. Says what the entry leaves the incident as, when
 * it is a containment or a release. `view` holds the record's entries, for the failed attempts
 * before the entry.
 */
function applyContainment(inForce: ContainmentsInForce, entry: GatheredEntry, view: RecordView): 'contained' | 'released' | undefined {
  const kind = containmentOf(entry, view);
  if (kind) {
    const held = inForce.held.get(kind) ?? new Set<string>();
    const named = containedResources(kind, entry, view);
    const changed = new Set(changedResources(kind, entry, view));
    for (const claim of heldByClaims(kind, entry, view)) if (!changed.has(claim.accessKeyId)) inForce.byClaim.set(claim.accessKeyId, { kind, claim });
    for (const id of changed) inForce.byClaim.delete(id);
    for (const id of named.length > 0 ? named : ['']) held.add(id);
    inForce.held.set(kind, held);
    return 'contained';
  }
  if (!isRelease(entry)) return undefined;
  const release = (kind: ContainmentKind, ids: Iterable<string>) => {
    for (const id of ids) if (inForce.byClaim.get(id)?.kind === kind) inForce.byClaim.delete(id);
  };
  for (const [held, resources] of [...inForce.held]) {
    if (held.releaseStep !== entry.step || !held.released.has(entry.status)) continue;
    if (held.perResource === undefined || resources.has('')) {
      release(held, resources);
      inForce.held.delete(held);
      continue;
    }
    const named = namedResources(entry, held.perResource.release, entry.incidentKey ?? view.incidentKey);
    for (const id of named) resources.delete(id);
    release(held, named);
    if (resources.size === 0) inForce.held.delete(held);
  }
  return inForce.held.size === 0 ? 'released' : 'contained';
}

/**
 * After the last entry: ends the holds the key's verified record says ended (taken back by a
 * release, or the record released) that no entry of the incident recorded ending (a release whose
 * entry was not written). Says what that leaves the incident as, when it ended one.
 */
function settleClaims(inForce: ContainmentsInForce): 'contained' | 'released' | undefined {
  let ended = false;
  for (const [id, { kind, claim }] of [...inForce.byClaim]) {
    if (claim.state === 'held') continue;
    inForce.byClaim.delete(id);
    const resources = inForce.held.get(kind);
    if (resources?.delete(id) !== true) continue;
    ended = true;
    if (resources.size === 0) inForce.held.delete(kind);
  }
  if (!ended) return undefined;
  return inForce.held.size === 0 ? 'released' : 'contained';
}

/** One resource still contained, and the claim that alone holds it when another incident made the change. */
interface HeldResource {
  readonly kind: ContainmentKind;
  /** '' when its step named none. */
  readonly resource: string;
  readonly claim?: KeyClaimOnRecord;
}

/** The containments still in force after these entries: each resource contained and not released since. */
function containmentsInForce(view: RecordView): HeldResource[] {
  const inForce = noContainments();
  for (const entry of byTime(view.entries)) applyContainment(inForce, entry, view);
  settleClaims(inForce);
  return [...inForce.held].flatMap(([kind, resources]) =>
    [...resources].map((resource) => {
      const byClaim = inForce.byClaim.get(resource);
      return { kind, resource, ...(byClaim !== undefined && byClaim.kind === kind ? { claim: byClaim.claim } : {}) };
    }),
  );
}
const EVIDENCE_STEPS = new Set<string>([RESPONDER_NAMES.snapshotVolumes, RESPONDER_NAMES.copyEvidence]);

/**
 * Whether an entry is a failure alert the report counts: its kind and failure are the payload's, so
 * only an entry whose step confirmed its execution invoked it (row 17e). A direct invocation of any
 * responder naming the incident with `kind: 'failure'` made a contained incident read failed, and
 * listed a failure no execution had; it is shown in the timeline, marked, and counted nowhere.
 */
function isFailureAlert(entry: IncidentRecordEntry): boolean {
  return entry.alertKind === 'failure' && entry.unconfirmed !== true;
}

function byTime<Entry extends IncidentRecordEntry>(entries: readonly Entry[]): Entry[] {
  return entries.map((entry, index) => ({ entry, index })).sort((a, b) => Date.parse(a.entry.startedAt) - Date.parse(b.entry.startedAt) || a.index - b.index).map(({ entry }) => entry);
}

/**
 * open (nothing contained yet, or only in dry-run), contained (an instance isolated, a key
 * disabled or held by the incident's claim, a role's sessions revoked or an object tagged, and not
 * released since), released (nothing contained is left), or failed (an execution ended in a failure
 * alert after the last containment or release). `records`: what the incident's (`incidentKey`'s)
 * verified credential records say, the key changes they confirm (sealedKeyChange) and the claims
 * they carry (keyClaimOnRecord); without them a key found already Inactive counts only when a
 * failed attempt recorded setting it.
 */
export function incidentStatus(entries: readonly IncidentRecordEntry[], incidentKey?: string, records: VerifiedKeyRecords = NO_VERIFIED_RECORDS): IncidentStatus {
  const view: RecordView = { entries, incidentKey, ...records };
  let status: IncidentStatus = 'open';
  const inForce = noContainments();
  const repeats = repeatedFailureAlerts(entries);
  for (const entry of byTime(entries)) {
    const after = applyContainment(inForce, entry, view);
    if (after !== undefined) status = after;
    else if (isFailureAlert(entry) && !repeats.has(entry)) status = 'failed';
  }
  return settleClaims(inForce) ?? status;
}

/**
 * The failure alerts that repeat a failure an earlier alert of the same execution reported (same
 * step, same error): a parallel group's summary after its failed branch's own alert
 * (lib/playbooks/compile.ts). The failure happened once: it counts once, and only when it was first
 * alerted does it set the status (a containment that finished in another branch since still holds).
 */
function repeatedFailureAlerts<Entry extends IncidentRecordEntry>(entries: readonly Entry[]): Set<Entry> {
  const seen = new Set<string>();
  const repeats = new Set<Entry>();
  for (const entry of byTime(entries)) {
    if (!isFailureAlert(entry) || entry.failure === undefined) continue;
    const key = JSON.stringify([entry.executionArn ?? '', entry.failure.step, entry.failure.error]);
    if (seen.has(key)) repeats.add(entry);
    else seen.add(key);
  }
  return repeats;
}

/**
 * The status of an incident gathered with its children (a sequence and its per-instance incidents):
 * failed when any part failed, contained while any part is contained, released when every contained
 * part was released, open otherwise.
 */
export function sequenceStatus(statuses: readonly IncidentStatus[]): IncidentStatus {
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('contained')) return 'contained';
  if (statuses.includes('released')) return 'released';
  return 'open';
}

/**
 * Every status a sequence could have, from every status each part (the parent, each child) could
 * have (statusesOnceVerified's, or its one status): the first is the sequence's status from each
 * part's first, the others in INCIDENT_STATUSES order.
 */
export function possibleSequenceStatuses(parts: readonly (readonly IncidentStatus[])[]): IncidentStatus[] {
  const first = sequenceStatus(parts.map((statuses) => statuses[0] ?? 'open'));
  // sequenceStatus keeps the highest of failed > contained > released > open, so parts combine one at a time.
  let possible = new Set<IncidentStatus>(['open']);
  for (const statuses of parts) possible = new Set([...possible].flatMap((sofar) => statuses.map((status) => sequenceStatus([sofar, status]))));
  return [first, ...INCIDENT_STATUSES.filter((status) => status !== first && possible.has(status))];
}

/** The phases measured from Firebreak's receipt of the finding. */
export const PHASES = ['triage', 'guard', 'approval', 'containment', 'evidence', 'first-alert', 'release'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Without a triage entry (a record written before triage wrote its own, or its write failed): the first step. */
const TRIAGE_FALLBACK_LABEL = 'Triage (received → first step of the playbook)';
const TRIAGE_STEP = RESPONDER_NAMES.triage;

const PHASE_LABELS: Readonly<Record<PhaseName, string>> = {
  triage: 'Triage (received → decision)',
  guard: 'Containment guard decision',
  approval: 'Approval answered',
  containment: 'Containment (instance isolated)',
  evidence: 'Evidence kept',
  'first-alert': 'First alert sent',
  release: 'Release',
};

/** When a phase ended, measured from the receipt. */
export interface Phase {
  readonly name: PhaseName;
  readonly label: string;
  /** ISO 8601 time the phase ended. */
  readonly at: string;
  /** ms from the receipt to `at`. */
  readonly sinceReceivedMs: number;
  /** The step (and its status) whose entry ended the phase. */
  readonly by: string;
  /**
   * The change that ended the phase left no time (only a sealed record says it was made): `at` is
   * the latest it can have ended, and the time from receipt is at most `sinceReceivedMs`.
   */
  readonly timeNotRecorded?: true;
  /**
   * The containment is another incident's change, held for this incident by its claim (a key found
   * Inactive, claimed on that incident's record): no call of this incident made it, and `at` is
   * when its claim was recorded.
   */
  readonly heldByClaim?: true;
}

/** The containment phase's label when the incident holds a key by its claim (another incident set it Inactive). */
const CLAIM_HOLD_LABEL = 'Containment (access key held by its claim)';

/** Targets per phase (ms from the receipt) above which the report asks why. */
export type PhaseTargets = Partial<Readonly<Record<PhaseName, number>>>;

/**
 * What the report measures phases against when the deployment's own target is not known: the
 * deployment default of containmentTargetSeconds (the time-to-containment alarm's threshold).
 */
export const DEFAULT_PHASE_TARGETS: PhaseTargets = { containment: DEFAULT_CONTAINMENT_TARGET_SECONDS * 1000 };

/** The report's targets for a deployment whose containment target is `seconds` (its containmentTargetSeconds). */
export function phaseTargetsFor(containmentTargetSeconds: number | undefined): PhaseTargets {
  return containmentTargetSeconds === undefined ? DEFAULT_PHASE_TARGETS : { ...DEFAULT_PHASE_TARGETS, containment: containmentTargetSeconds * 1000 };
}

/**
 * A deployment's containment target from its `ContainmentTargetSeconds` stack output (a deployed
 * stack's, or a synthesized template's): undefined when absent or not a whole number of seconds.
 */
export function containmentTargetFromOutput(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  return typeof text === 'string' && /^\d{1,6}$/.test(text.trim()) && Number(text) > 0 ? Number(text) : undefined;
}

/** One thing a step did or would have done. */
export interface ReportedAction extends Omit<IncidentRecordEntry['actions'][number], 'at'> {
  readonly step: string;
  readonly at: string;
  /** The child incident whose step it was, in a gathered report (a sequence's per-instance incident). */
  readonly incidentKey?: string;
}

/** An entry of a gathered report, with the child incident it belongs to (absent: the incident's own). */
export type GatheredEntry = IncidentRecordEntry & { readonly incidentKey?: string };

/** One child incident of a gathered report (one resource of a sequence): what it is and how it ended. */
export interface ReportedChild {
  readonly key: string;
  readonly resource?: string;
  readonly account?: string;
  readonly region?: string;
  readonly status: IncidentStatus;
  readonly playbooks: readonly string[];
  /** When it was contained (its first isolation), from the receipt. */
  readonly containedAt?: string;
  readonly containedSinceReceivedMs?: number;
  /** The containment's time is not recorded: `containedAt` is the latest it can have been. */
  readonly containedTimeNotRecorded?: true;
  readonly steps: number;
}

/** One piece of evidence and everything the record says happened to it, in order. */
export interface EvidenceItem {
  readonly id: string;
  readonly custody: readonly ReportedAction[];
}

export interface ReportedFailure {
  readonly at: string;
  readonly step: string;
  readonly error: string;
  readonly detail?: string;
}

/** The post-incident report, before it is rendered. */
export interface IncidentReport {
  readonly key: string;
  readonly header: IncidentRecordHeader;
  readonly status: IncidentStatus;
  readonly modes: readonly string[];
  readonly playbooks: readonly string[];
  readonly receivedAt?: string;
  readonly timeline: readonly (GatheredEntry & { readonly sinceReceivedMs?: number; readonly durationMs: number })[];
  /** A gathered report's child incidents (one per resource), in key order; absent for a single incident. */
  readonly children?: readonly ReportedChild[];
  /** Child records left out of a gathered report, and why. */
  readonly refusedChildren?: readonly { readonly key: string; readonly reason: string }[];
  readonly phases: readonly Phase[];
  /** The targets the phases were measured against (the deployment's containment target). */
  readonly targets: PhaseTargets;
  readonly done: readonly ReportedAction[];
  readonly notDone: readonly ReportedAction[];
  readonly evidence: readonly EvidenceItem[];
  readonly approvals: readonly (RecordedApproval & { readonly waitMs?: number })[];
  readonly failures: readonly (ReportedFailure & { readonly incidentKey?: string })[];
  readonly followUps: readonly string[];
  readonly lessons: readonly string[];
  readonly invalidEntries: number;
  /** Set when the recorded receipt time cannot be right (after the first step): what the phases are measured from instead. */
  readonly receiptNote?: string;
  readonly expiresAt?: number;
}

const DONE = new Set(['done', 'already-done']);
const NOT_DONE = new Set(['skipped', 'would-do', 'would-be-denied']);
const EVIDENCE_ID = /\bsnap-[0-9a-f]{8,17}\b/g;
const EVIDENCE_APIS = /^ec2:(CreateSnapshots?|LockSnapshot|CopySnapshot|ModifySnapshotAttribute|DescribeSnapshots|DescribeLockedSnapshots)$/;

function ms(from: string | undefined, to: string): number | undefined {
  if (from === undefined) return undefined;
  const start = Date.parse(from);
  const end = Date.parse(to);
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

/** `1 min 5.2 s`, `840 ms`. */
export function formatDuration(value: number | undefined): string {
  if (value === undefined) return '—';
  if (Math.abs(value) < 1000) return `${value} ms`;
  const seconds = value / 1000;
  if (Math.abs(seconds) < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${(seconds - minutes * 60).toFixed(0)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

/**
 * The access keys whose credential record the report needs (pure): each key a disable-access-key
 * entry found already Inactive (`iam:UpdateAccessKey` `already-done`) that no failed attempt before
 * it recorded as set, in the incident's account (a child's in a gathered report), marked `claimed`
 * when an entry recorded claiming it for the incident. Entries without an account in their
 * record's header name no record to read.
 */
export function keyRecordLookups(record: Pick<IncidentRecord, 'header' | 'entries'>, children: readonly Pick<IncidentRecord, 'header' | 'entries'>[] = []): KeyRecordLookup[] {
  const kind = CONTAINMENT_KINDS.find((candidate) => candidate.containedBySealedRecord === true);
  if (kind === undefined) return [];
  const lookups = new Map<string, KeyRecordLookup>();
  for (const { header, entries } of [record, ...children]) {
    if (header.account === undefined) continue;
    for (const entry of entries) {
      if (entry.step !== kind.step) continue;
      const byAttempts = new Set(changedByFailedAttempts(kind, entry, entries));
      const claimed = new Set(claimsRecorded(entry, header.incidentKey));
      for (const accessKeyId of foundDone(kind, entry)) {
        if (byAttempts.has(accessKeyId)) continue;
        const id = sealedKeyId(header.incidentKey, accessKeyId);
        const earlier = lookups.get(id);
        const isClaimed = claimed.has(accessKeyId) || earlier?.claimed === true;
        const at = latest(earlier?.claimedAt, claimed.has(accessKeyId) ? claimedAt(entry, accessKeyId, header.incidentKey) : undefined);
        lookups.set(id, { incidentKey: header.incidentKey, account: header.account, accessKeyId, ...(isClaimed ? { claimed: true as const } : {}), ...(at !== undefined ? { claimedAt: at } : {}) });
      }
    }
  }
  return [...lookups.values()];
}

/** The later of two ISO 8601 times (either may be missing). */
function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** How many ways of reading unread credential records statusesOnceVerified tries before it says any status could be. */
const MAX_UNREAD_OUTCOMES = 256;

/**
 * Every status an incident could have once the credential records of `lookups` (keyRecordLookups')
 * are read, when they were not (pure): its entries' status first, then the others in
 * INCIDENT_STATUSES order. Each record may confirm nothing (absent, another incident's, not
 * verified) or confirm this incident's change, which counts from the first entry that found the key
 * Inactive at or after the record's capture time; for a key the incident's step claimed, it may also
 * carry the claim, held or taken back. Every combination is tried, one capture time per such entry.
 * Past MAX_UNREAD_OUTCOMES combinations (never in practice: a user has at most two access keys)
 * every status is said to be possible rather than guessed.
 */
export function statusesOnceVerified(entries: readonly IncidentRecordEntry[], incidentKey: string, lookups: readonly KeyRecordLookup[]): IncidentStatus[] {
  const byEntries = incidentStatus(entries, incidentKey);
  const kind = CONTAINMENT_KINDS.find((candidate) => candidate.containedBySealedRecord === true);
  const ours = lookups.filter((lookup) => lookup.incidentKey === incidentKey);
  if (kind === undefined || ours.length === 0) return [byEntries];
  // Only how a capture time compares with the entries' start times matters: those times are the choices.
  // A claim's holders and first incident do not change a status: only whether it is held.
  const choices = ours.map((lookup): VerifiedKeyRecords[] => {
    const id = sealedKeyId(incidentKey, lookup.accessKeyId);
    const captures = [...new Set(entries.filter((entry) => entry.step === kind.step && foundDone(kind, entry).includes(lookup.accessKeyId)).map((entry) => entry.startedAt))];
    const claim = (state: KeyClaimOnRecord['state']): KeyClaimOnRecord => ({ incidentKey, accessKeyId: lookup.accessKeyId, userName: '', containedBy: '', otherHolders: [], state });
    return [
      ...captures.map((capturedAt) => ({ sealed: new Map([[id, { incidentKey, accessKeyId: lookup.accessKeyId, capturedAt }]]), claims: new Map() })),
      ...(lookup.claimed === true ? (['held', 'taken-back'] as const).map((state) => ({ sealed: new Map(), claims: new Map([[id, claim(state)]]) })) : []),
    ];
  });
  const possible = new Set<IncidentStatus>([byEntries]);
  if (choices.reduce((outcomes, choice) => outcomes * (choice.length + 1), 1) > MAX_UNREAD_OUTCOMES) {
    for (const status of INCIDENT_STATUSES) possible.add(status);
  } else {
    let outcomes: VerifiedKeyRecords[] = [NO_VERIFIED_RECORDS];
    for (const options of choices) {
      outcomes = outcomes.flatMap((sofar) => [sofar, ...options.map((option) => ({ sealed: new Map([...sofar.sealed, ...option.sealed]), claims: new Map([...sofar.claims, ...option.claims]) }))]);
    }
    for (const records of outcomes) possible.add(incidentStatus(entries, incidentKey, records));
  }
  return [byEntries, ...INCIDENT_STATUSES.filter((status) => status !== byEntries && possible.has(status))];
}

/** A key found already Inactive whose credential record could not confirm who set it (read, verified). */
export interface UnconfirmedKey {
  readonly incidentKey: string;
  readonly accessKeyId: string;
  readonly reason: string;
  /**
   * The incident's step claimed the key: what is not confirmed is that it set the key Inactive or
   * that its claim holds it (`record-not-trusted`: the record could not be read or verified), or
   * that its claim holds it (`claim-not-carried`: the verified record, another incident's, does not
   * carry the claim).
   */
  readonly claimed?: 'record-not-trusted' | 'claim-not-carried';
  /** The key's user, when its record was read. */
  readonly userName?: string;
}

/**
 * The credential records read for `lookups` (keyRecordLookups'), judged one by one: by
 * sealedKeyChange, the key changes verified records of their incident confirm; by keyClaimOnRecord,
 * for a key the incident's step claimed, the claim as the verified record carries it; and the keys
 * whose record could not be read or believed, or does not carry the claim, with why. A reading no
 * lookup asked for is ignored. The report and `firebreak incidents` both count a key from this, and
 * only from this.
 */
export function judgeKeyRecords(lookups: readonly KeyRecordLookup[], readings: readonly KeyRecordReading[]): VerifiedKeyRecords & { readonly unconfirmed: readonly UnconfirmedKey[] } {
  const wanted = new Map(lookups.map((lookup) => [sealedKeyId(lookup.incidentKey, lookup.accessKeyId), lookup]));
  const sealed = new Map<string, SealedKeyChange>();
  const claims = new Map<string, KeyClaimOnRecord>();
  const unconfirmed: UnconfirmedKey[] = [];
  for (const reading of readings) {
    const id = sealedKeyId(reading.incidentKey, reading.accessKeyId);
    const lookup = wanted.get(id);
    if (lookup === undefined) continue;
    const key = { incidentKey: reading.incidentKey, accessKeyId: reading.accessKeyId };
    const userName = reading.state === 'read' && reading.record.record.kind === 'access-key' ? { userName: reading.record.record.userName } : {};
    const judged = sealedKeyChange(reading);
    if (judged !== undefined && 'confirmed' in judged) sealed.set(id, judged.confirmed);
    else if (judged !== undefined) unconfirmed.push({ ...key, ...userName, reason: judged.notConfirmed, ...(lookup.claimed === true ? { claimed: 'record-not-trusted' as const } : {}) });
    if (lookup.claimed !== true || judged !== undefined) continue;
    // The step claimed the key, and the record is not this incident's confirmed change: does it carry the claim?
    const claim = keyClaimOnRecord(reading);
    if (claim !== undefined && 'claim' in claim) claims.set(id, claim.claim);
    else if (claim !== undefined) unconfirmed.push({ ...key, ...userName, reason: claim.notConfirmed, claimed: 'claim-not-carried' });
  }
  return { sealed, claims, unconfirmed };
}

/** One snapshot whose custody record the report reads: a snapshot an evidence step of the incident named (the source of a forensic copy, when copy-evidence shared it). */
export interface CustodyLookup {
  /** The incident whose step named it (a child's in a gathered report): copy-evidence keys its record so. */
  readonly incidentKey: string;
  readonly sourceSnapshotId: string;
}

/**
 * The snapshot's custody record as the report read it (./custody-records.ts): read and checked by
 * verifyStoredCustody (its shape against the custody schema, its key, its hashes, the verdict on its
 * seal), absent (copy-evidence writes it before it shares anything, so none means no share), or
 * unreadable (the read or the seal check could not be made, or the stored record does not validate:
 * a status the schema does not know among them).
 */
export type CustodyReading = CustodyLookup &
  (
    | { readonly state: 'read'; readonly custody: ReadCustody }
    | { readonly state: 'absent' }
    | { readonly state: 'unreadable'; readonly reason: string }
  );

/** The snapshots whose custody record the report reads (pure): every snapshot id an evidence step's evidence call names, per incident. */
export function custodyLookups(record: Pick<IncidentRecord, 'header' | 'entries'>, children: readonly Pick<IncidentRecord, 'header' | 'entries'>[] = []): CustodyLookup[] {
  const lookups = new Map<string, CustodyLookup>();
  for (const { header, entries } of [record, ...children]) {
    for (const entry of entries) {
      if (!EVIDENCE_STEPS.has(entry.step)) continue;
      for (const action of entry.actions) {
        if (!EVIDENCE_APIS.test(action.api)) continue;
        for (const [id] of `${action.target} ${action.detail}`.matchAll(EVIDENCE_ID)) lookups.set(`${header.incidentKey}|${id}`, { incidentKey: header.incidentKey, sourceSnapshotId: id });
      }
    }
  }
  return [...lookups.values()];
}

/**
 * What a person must do about one copy's custody (pure), or nothing: a drill's copy kept in the
 * forensic account (`refused-copy-kept`, to delete by hand), a source that may still be shared with
 * it (`sharing`: a run sealed the intent and did not finish, so a share may exist in the member
 * account), a share EC2 refused (`share-refused`: the evidence was not copied), a status the report
 * does not know, and a record it could not read or does not trust (the record is a claim: only a
 * verified one is quoted, and never counted as a copy made). `which` names the source (and its
 * incident in a gathered report).
 */
function custodyFollowUp(reading: CustodyReading, which: string): string | undefined {
  const byHand = `check by hand whether ${reading.sourceSnapshotId} is shared with the forensic account (its createVolumePermission) and whether a copy of it was made there`;
  if (reading.state === 'absent') return undefined;
  if (reading.state === 'unreadable') return `The custody record of ${which} could not be read and checked (${reading.reason}): ${byHand}.`;
  const { record, verdict } = reading.custody;
  if (!verdict.valid) return `The custody record of ${which} failed its integrity check (${verdict.reason}), so it is not trusted: ${byHand}.`;
  const share = `its createVolumePermission in account ${record.sourceAccount} (${record.region}) and remove the forensic account's`;
  const status: string = custodyStatus(record);
  switch (status) {
    case 'refused-copy-kept': {
      const copy = record.copySnapshotId ?? '(its id is not recorded)';
      const unshared = record.unshare?.removed === true ? '' : ` The source's share was not recorded as removed: check ${share}.`;
      return `The drill's forensic copy ${copy} of ${which} is kept in the forensic account ${record.forensicAccount} (custody record refused-copy-kept: the drill was refused after its copy started, and evidence is never deleted): delete it by hand when it is no longer needed.${unshared}`;
    }
    case 'sharing': {
      const refused = record.shareRefusals?.at(-1);
      const last = refused === undefined ? '' : `; EC2 refused a share (${refusalText(refused)}), which does not prove that an earlier attempt made none`;
      return `${which} may be shared with the forensic account ${record.forensicAccount} (its custody record still says sharing: a copy-evidence run recorded the intent and has not finished${last}), and no copy of it is recorded: check ${share}, or re-run copy-evidence, which resumes it.`;
    }
    case 'share-refused': {
      const refused = record.shareRefusals?.at(-1);
      return `${which} was not copied to the forensic account ${record.forensicAccount}: EC2 refused to share it (${refused === undefined ? 'the refusal is not recorded' : refusalText(refused)}), and made no share. The source is kept in account ${record.sourceAccount} (${record.region}): fix what the error names and re-run copy-evidence, or copy the evidence by hand.`;
    }
    case 'pending':
    case 'completed':
    case 'failed':
    case 'withdrawn':
      return undefined;
    default:
      // The schema knows every status copy-evidence writes; a newer writer's is named, never taken for a copy made.
      return `The custody record of ${which} says status ${status}, which this report does not know: it is not counted as copied; read the record and ${byHand}.`;
  }
}

function refusalText(refusal: NonNullable<CustodyRecord['shareRefusals']>[number]): string {
  return `${refusal.error.name}: ${refusal.error.message}; refusal ${refusal.attempt} at ${refusal.at}`;
}

/** What else the report reads beside the incident's record: a sequence's child records, and the credential records of keys found already Inactive. */
export interface ReportInputs {
  readonly children: readonly IncidentRecord[];
  /** Child records left out, and why. */
  readonly refused?: readonly { readonly key: string; readonly reason: string }[];
  /** The credential records of keyRecordLookups' keys, as read (absent: not read, as before the report read them). */
  readonly keyRecords?: readonly KeyRecordReading[];
  /** The custody records of custodyLookups' snapshots, as read (absent: not read). */
  readonly custodyRecords?: readonly CustodyReading[];
}

/** What the record says, organised for the report. */
export function buildIncidentReport(record: IncidentRecord, targets: PhaseTargets = DEFAULT_PHASE_TARGETS, gathered: ReportInputs = { children: [] }): IncidentReport {
  // A gathered report (a sequence): every child's entries in one timeline, each marked with its child key.
  const children = [...gathered.children].sort((a, b) => a.header.incidentKey.localeCompare(b.header.incidentKey));
  const entries: GatheredEntry[] = byTime([...record.entries, ...children.flatMap((child) => child.entries.map((entry) => ({ ...entry, incidentKey: child.header.incidentKey })))]);
  // The credential records read for the keys found already Inactive, judged: only a verified
  // record of the incident confirms its change; one that cannot be read or verified is named.
  // A key another incident set Inactive counts too when the incident's step claimed it and the verified record carries the claim.
  const { unconfirmed: unconfirmedKeys, ...verified } = judgeKeyRecords(keyRecordLookups(record, children), gathered.keyRecords ?? []);
  const view: RecordView = { entries, incidentKey: record.header.incidentKey, ...verified };
  // The receipt time is the incident's own claim (triage's, or whoever started the playbook): a
  // receipt after the first step cannot be, so the phases are measured from that step instead.
  const first = entries[0];
  const claimed = record.header.receivedAt;
  const receiptAfterFirstStep = claimed !== undefined && first !== undefined && Date.parse(claimed) > Date.parse(first.startedAt);
  const receivedAt = receiptAfterFirstStep ? first?.startedAt : claimed;
  const since = (at: string) => ms(receivedAt, at);
  const phases: Phase[] = [];
  const phase = (name: PhaseName, entry: IncidentRecordEntry | undefined, at?: string, label = PHASE_LABELS[name], by = entry ? `${entry.step}: ${entry.status}` : '') => {
    if (!entry || phases.some((found) => found.name === name)) return;
    const end = at ?? entry.endedAt;
    phases.push({ name, label, at: end, sinceReceivedMs: since(end) ?? 0, by });
  };
  const offset = (at: string) => `+${formatDuration(since(at))}`;
  const containedBy = (containing: GatheredEntry) => containmentMoment(view, containing, offset);
  // Time to triage: receipt → triage's own entry (its decision); without one, → the first step.
  const triaged = entries.find((entry) => entry.step === TRIAGE_STEP && entry.outcome === 'succeeded');
  if (triaged && receivedAt !== undefined) phase('triage', triaged);
  else if (first && receivedAt !== undefined && !receiptAfterFirstStep) phase('triage', first, first.startedAt, TRIAGE_FALLBACK_LABEL);
  phase('guard', entries.find((entry) => entry.step === RESPONDER_NAMES.containmentGuard && entry.outcome === 'succeeded'));
  // A sequence is contained when its last contained resource is (time to containment runs to the
  // last ENI isolated, as the alarm measures it); the first is named beside it. Each is dated by
  // the attempt that made its change, which says so when it failed and a retry found it done.
  const containments = children.length === 0 ? [] : children.flatMap((child) => {
    const found = entries.find((entry) => entry.incidentKey === child.header.incidentKey && containmentOf(entry, view) !== undefined);
    return found ? [containedBy(found)] : [];
  }).sort((a, b) => Date.parse(a.entry.endedAt) - Date.parse(b.entry.endedAt));
  const lastContained = containments.at(-1);
  if (lastContained && containments.length > 1) {
    const firstContained = containments[0] as ContainmentMoment;
    phases.push({
      name: 'containment',
      label: `Containment (last of ${containments.length} resources contained)`,
      at: lastContained.entry.endedAt,
      sinceReceivedMs: since(lastContained.entry.endedAt) ?? 0,
      by: `${lastContained.by} (the first at +${formatDuration(since(firstContained.entry.endedAt))})`,
      ...(lastContained.timeNotRecorded ? { timeNotRecorded: true } : {}),
      ...(lastContained.heldByClaim ? { heldByClaim: true } : {}),
    });
  }
  const firstContainment = entries.find((entry) => containmentOf(entry, view) !== undefined);
  if (firstContainment && phases.every((found) => found.name !== 'containment')) {
    const moment = containedBy(firstContainment);
    const at = moment.entry.endedAt;
    phases.push({
      name: 'containment',
      label: moment.heldByClaim ? CLAIM_HOLD_LABEL : (containmentOf(firstContainment, view)?.label ?? PHASE_LABELS.containment),
      at,
      sinceReceivedMs: since(at) ?? 0,
      by: moment.by,
      ...(moment.timeNotRecorded ? { timeNotRecorded: true } : {}),
      ...(moment.heldByClaim ? { heldByClaim: true } : {}),
    });
  }
  phase('evidence', entries.find((entry) => EVIDENCE_STEPS.has(entry.step) && EVIDENCE_KEPT.has(entry.status)));
  phase('first-alert', entries.find((entry) => entry.step === RESPONDER_NAMES.publishAlert && entry.outcome === 'succeeded'));
  phase('release', entries.find(isRelease));

  const approvals = [...record.approvals, ...children.flatMap((child) => child.approvals)].map((approval) => {
    const wait = approval.decidedAt !== undefined ? ms(approval.requestedAt, approval.decidedAt) : undefined;
    return { ...approval, ...(wait !== undefined ? { waitMs: wait } : {}) };
  });
  const answered = approvals.filter((approval) => approval.decidedAt !== undefined).sort((a, b) => Date.parse(a.decidedAt ?? '') - Date.parse(b.decidedAt ?? ''))[0];
  if (answered?.decidedAt !== undefined) {
    phases.push({
      name: 'approval',
      label: PHASE_LABELS.approval,
      at: answered.decidedAt,
      sinceReceivedMs: since(answered.decidedAt) ?? 0,
      by: `${answered.decision ?? 'answered'} by ${answered.decidedBy ?? 'unknown'}`,
    });
  }
  phases.sort((a, b) => PHASES.indexOf(a.name) - PHASES.indexOf(b.name));

  const actions: ReportedAction[] = entries.flatMap((entry) =>
    entry.actions.map((action) => ({ ...action, step: entry.step, at: action.at ?? entry.endedAt, ...(entry.incidentKey !== undefined ? { incidentKey: entry.incidentKey } : {}) })),
  );
  const done = actions.filter((action) => DONE.has(action.outcome));
  const notDone = actions.filter((action) => NOT_DONE.has(action.outcome));

  const evidence = new Map<string, ReportedAction[]>();
  for (const action of actions) {
    if (!EVIDENCE_APIS.test(action.api)) continue;
    const ids = new Set([...`${action.target} ${action.detail}`.matchAll(EVIDENCE_ID)].map((match) => match[0]));
    for (const id of ids) evidence.set(id, [...(evidence.get(id) ?? []), action]);
  }

  // A step's error counts as a failure unless a later attempt of the same step in the same execution
  // succeeded (a retry: a lesson, not a failure), or the execution's failure alert reports it already.
  // Only confirmed entries (row 17e): an unconfirmed entry's execution and failure are its invoker's
  // words, and one naming a failed step's execution, answered refused, hid that failure as retried.
  const alerted = new Set(entries.filter((entry) => isFailureAlert(entry) && entry.failure).map((entry) => `${entry.executionArn ?? ''}|${entry.failure?.error ?? ''}`));
  const failures: (ReportedFailure & { incidentKey?: string })[] = [];
  const repeats = repeatedFailureAlerts(entries);
  const of = (entry: GatheredEntry) => (entry.incidentKey !== undefined ? { incidentKey: entry.incidentKey } : {});
  for (const [index, entry] of entries.entries()) {
    const retried = entries.slice(index + 1).some((later) => later.step === entry.step && later.executionArn === entry.executionArn && later.outcome === 'succeeded' && later.unconfirmed !== true);
    if (entry.outcome === 'failed' && entry.error && !retried && !alerted.has(`${entry.executionArn ?? ''}|${entry.error.name}`)) {
      failures.push({ at: entry.endedAt, step: entry.step, error: entry.error.name, detail: entry.error.message, ...of(entry) });
    }
    if (isFailureAlert(entry) && entry.failure && !repeats.has(entry)) {
      failures.push({ at: entry.startedAt, step: entry.failure.step, error: entry.failure.error, ...(entry.failure.cause ? { detail: entry.failure.cause } : {}), ...of(entry) });
    }
  }

  const childReports: ReportedChild[] = children.map((child) => {
    const own = byTime(child.entries);
    const containing = entries.find((entry) => entry.incidentKey === child.header.incidentKey && containmentOf(entry, view) !== undefined);
    const moment = containing ? containedBy(containing) : undefined;
    const contained = moment?.entry;
    const containedSince = contained ? since(contained.endedAt) : undefined;
    return {
      key: child.header.incidentKey,
      ...(child.header.resource !== undefined ? { resource: child.header.resource } : {}),
      ...(child.header.account !== undefined ? { account: child.header.account } : {}),
      ...(child.header.region !== undefined ? { region: child.header.region } : {}),
      status: incidentStatus(own, child.header.incidentKey, verified),
      playbooks: [...new Set(own.flatMap((entry) => (entry.playbook ? [entry.playbook] : [])))],
      ...(contained ? { containedAt: contained.endedAt } : {}),
      ...(containedSince !== undefined ? { containedSinceReceivedMs: containedSince } : {}),
      ...(moment?.timeNotRecorded ? { containedTimeNotRecorded: true } : {}),
      steps: own.length,
    };
  });
  const ownKey = record.header.incidentKey;
  const status = children.length === 0 ? incidentStatus(entries, ownKey, verified) : sequenceStatus([incidentStatus(record.entries, ownKey, verified), ...childReports.map((child) => child.status)]);
  // The modes and playbooks the incident ran in: an unconfirmed entry's are its payload's (row 17e).
  const confirmed = entries.filter((entry) => entry.unconfirmed !== true);
  const modes = [...new Set(confirmed.flatMap((entry) => (entry.mode ? [entry.mode] : [])))];
  const playbooks = [...new Set(confirmed.flatMap((entry) => (entry.playbook ? [entry.playbook] : [])))];
  const report: Omit<IncidentReport, 'followUps' | 'lessons'> = {
    key: record.header.incidentKey,
    header: record.header,
    status,
    modes,
    playbooks,
    ...(receivedAt !== undefined ? { receivedAt } : {}),
    timeline: entries.map((entry) => {
      const sinceReceivedMs = since(entry.startedAt);
      return { ...entry, ...(sinceReceivedMs !== undefined ? { sinceReceivedMs } : {}), durationMs: ms(entry.startedAt, entry.endedAt) ?? 0 };
    }),
    phases,
    ...(children.length > 0 ? { children: childReports } : {}),
    ...(gathered.refused !== undefined && gathered.refused.length > 0 ? { refusedChildren: gathered.refused } : {}),
    targets,
    done,
    notDone,
    evidence: [...evidence].map(([id, custody]) => ({ id, custody })),
    approvals,
    failures,
    invalidEntries: record.invalidEntries + children.reduce((sum, child) => sum + child.invalidEntries, 0),
    ...(receiptAfterFirstStep ? { receiptNote: `The recorded receipt time ${claimed ?? ''} is after the first step (${first?.startedAt ?? ''}): the incident did not come through triage, or its times are wrong. Phases are measured from the first step.` } : {}),
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  };
  // A custody record only counts for a snapshot an evidence step of the incident named (a reading no lookup asked for is ignored).
  const wanted = new Set(custodyLookups(record, children).map((lookup) => `${lookup.incidentKey}|${lookup.sourceSnapshotId}`));
  const custody = (gathered.custodyRecords ?? []).flatMap((reading) => {
    if (!wanted.has(`${reading.incidentKey}|${reading.sourceSnapshotId}`)) return [];
    const followUp = custodyFollowUp(reading, children.length > 0 ? `${reading.sourceSnapshotId} (incident ${reading.incidentKey})` : reading.sourceSnapshotId);
    return followUp === undefined ? [] : [followUp];
  });
  return { ...report, followUps: [...followUpsOf(report, view, unconfirmedKeys), ...custody], lessons: lessonsOf(report, entries, targets) };
}


/** The command that releases `incidentKey`'s hold on a key (firebreak credentials release; the account and region as the alert names them). */
function releaseCommand(accessKeyId: string, userName: string | undefined, incidentKey: string): string {
  return `firebreak credentials release --access-key ${accessKeyId} --user ${userName !== undefined && userName !== '' ? userName : "<the key's user>"} --incident ${incidentKey}`;
}

/**
 * The follow-up of a key held only by the incident's claim: who set it Inactive, who else holds it
 * (the record's claims, unsealed), and the release this incident needs, which takes back only its
 * own hold while another incident holds the key (release-credentials, claim-released).
 */
function claimFollowUp(claim: KeyClaimOnRecord, which: string): string {
  const setBy =
    claim.containedBy === undefined
      ? 'its credential record no longer says who set it Inactive'
      : claim.containedBy === claim.incidentKey
        ? 'an earlier execution of this incident set it Inactive'
        : `incident ${claim.containedBy} set it Inactive`;
  const others = claim.otherHolders.length === 0 ? 'no other incident holds it now' : `incident ${claim.otherHolders.join(', incident ')} ${claim.otherHolders.length === 1 ? 'holds' : 'hold'} it too`;
  return `${which} is held Inactive for this incident by its claim (${setBy}; ${others}): once its user is clean, release this incident's hold (${releaseCommand(claim.accessKeyId, claim.userName, claim.incidentKey)}); while another incident holds the key, that release takes back only this incident's hold and the key stays Inactive until the release of the last incident holding it.`;
}

function followUpsOf(report: Omit<IncidentReport, 'followUps' | 'lessons'>, view: RecordView, unconfirmedKeys: readonly UnconfirmedKey[]): string[] {
  const { entries } = view;
  const followUps: string[] = [];
  if (report.children !== undefined) {
    // A sequence: one follow-up per resource still contained, naming its own incident key (what the release commands take).
    for (const child of report.children) {
      const own = entries.filter((entry) => entry.incidentKey === child.key);
      for (const held of containmentsInForce({ ...view, entries: own })) {
        const which = `${held.resource !== '' ? held.resource : (child.resource ?? 'A resource')} (incident ${child.key})`;
        followUps.push(held.claim !== undefined ? claimFollowUp(held.claim, which) : held.kind.followUp(which));
      }
    }
  } else {
    for (const held of containmentsInForce(view)) {
      const which = held.resource !== '' ? held.resource : (report.header.resource ?? 'The resource');
      followUps.push(held.claim !== undefined ? claimFollowUp(held.claim, which) : held.kind.followUp(which));
    }
  }
  // A release that left the instance profile disassociated (row 3g): the incident reads released,
  // but the instance runs without its role until a person who can vouch for the role associates it.
  // The profile is the target of the release's own iam:GetInstanceProfile read; the record keeps
  // only the start of the detail (RECORD_LIMITS.detail), which cuts the role and the instruction.
  for (const entry of entries) {
    if (entry.step !== RESPONDER_NAMES.releaseInstance || entry.status !== 'released') continue;
    const read = entry.actions.find((action) => action.api === 'iam:GetInstanceProfile' && isUnverifiedProfileDetail(action.detail));
    const skipped = entry.actions.find((action) => action.api === 'ec2:AssociateIamInstanceProfile' && action.outcome === 'skipped' && isUnverifiedProfileDetail(action.detail));
    if (read === undefined || skipped === undefined) continue;
    const profileArn = read.target;
    const profileName = instanceProfileName(profileArn);
    const which = report.children !== undefined && entry.incidentKey !== undefined ? `${skipped.target} (incident ${entry.incidentKey})` : skipped.target;
    followUps.push(
      `${which} was released without its instance profile ${profileArn}: the pre-quarantine record does not say which role the profile held, and it held a role at the release, which could have been swapped in while the instance was quarantined (docs/security.md row 3g). Check its role (aws iam get-instance-profile --instance-profile-name ${profileName}); if it is the instance's own, associate the profile: aws ec2 associate-iam-instance-profile --instance-id ${skipped.target} --iam-instance-profile Arn=${profileArn}`,
    );
  }
  // Not "Inactive before Firebreak": the record that would say who set it, or carry the incident's claim, could not be read or believed.
  for (const key of unconfirmedKeys) {
    const which = report.children !== undefined ? `${key.accessKeyId} (incident ${key.incidentKey})` : key.accessKeyId;
    const found = `${which} was found already Inactive by ${RESPONDER_NAMES.disableAccessKey}`;
    const release = `Check the key's credential record: ${releaseCommand(key.accessKeyId, key.userName, key.incidentKey)} re-activates the key only if Firebreak set it Inactive and no other incident holds it, and otherwise takes back only this incident's hold.`;
    if (key.claimed === 'claim-not-carried') followUps.push(`${found}, which claimed it for this incident; that the claim holds the key is not confirmed: ${key.reason}. ${release}`);
    else if (key.claimed === 'record-not-trusted') followUps.push(`${found}, which claimed it for this incident; that this incident set it Inactive, or that its claim holds it, is not confirmed: ${key.reason}. ${release}`);
    else {
      followUps.push(
        `${found}; that this incident set it Inactive is not confirmed: ${key.reason}. Check the key's credential record: firebreak credentials release --access-key re-activates the key only if this incident set it Inactive.`,
      );
    }
  }
  const blocked = entries.some((entry) => entry.step === RESPONDER_NAMES.blockDnsDomain && entry.status === 'blocked');
  const unblocked = entries.some((entry) => entry.step === RESPONDER_NAMES.unblockDnsDomains && entry.status === 'unblocked');
  if (blocked && !unblocked) followUps.push('A domain is still blocked in DNS Firewall for this incident: unblock it when it is no longer needed.');
  for (const approval of report.approvals) {
    if (approval.decision === undefined) followUps.push(`The approval request of ${approval.executionArn} has no recorded answer.`);
  }
  if (report.failures.length > 0) followUps.push(`${report.failures.length} failure(s) were recorded: check that every step they stopped was done by hand or re-run.`);
  if (report.status !== 'released' && report.modes.length > 0 && report.modes.every((mode) => mode === 'dry-run')) {
    followUps.push('Everything ran in dry-run: nothing was changed. Decide whether the incident needs containment by hand.');
  }
  if (report.phases.every((phase) => phase.name !== 'evidence') && entries.some((entry) => EVIDENCE_STEPS.has(entry.step))) {
    followUps.push('No evidence step reports evidence kept: check the instance\'s volumes before anything is terminated.');
  }
  return followUps;
}

function lessonsOf(report: Omit<IncidentReport, 'followUps' | 'lessons'>, entries: readonly IncidentRecordEntry[], targets: PhaseTargets): string[] {
  const lessons: string[] = [];
  for (const phase of report.phases) {
    const target = targets[phase.name];
    if (target !== undefined && phase.sinceReceivedMs > target) {
      lessons.push(
        phase.timeNotRecorded
          ? `${phase.label} took at most ${formatDuration(phase.sinceReceivedMs)} from receipt (the change's time is not recorded), which is over the target of ${formatDuration(target)}: did it take that long, and why did the step that made the change record nothing?`
          : `${phase.label} took ${formatDuration(phase.sinceReceivedMs)} from receipt, over the target of ${formatDuration(target)}: which hop was slow, and can it run earlier or beside another?`,
      );
    }
  }
  for (const approval of report.approvals) {
    if (approval.decision === undefined) lessons.push('An approval request was not answered: did it reach the on-call person, and is the timeout right for this kind of incident?');
    else if (approval.waitMs !== undefined && approval.waitMs > 15 * 60_000) lessons.push(`The approval took ${formatDuration(approval.waitMs)}: is approval needed for this finding type, or should the playbook contain first?`);
  }
  if (entries.some((entry) => entry.step === RESPONDER_NAMES.containmentGuard && entry.status === 'evidence-only')) {
    lessons.push('The guard kept evidence only (approval timed out or containment was not cleared): was leaving the instance running the right call?');
  }
  const denied = report.notDone.filter((action) => action.outcome === 'would-be-denied');
  if (denied.length > 0) lessons.push(`${denied.length} call(s) would have been denied (${[...new Set(denied.map((action) => action.api))].join(', ')}): is a permission missing from the deployment or the member role?`);
  const refused = entries.filter((entry) => entry.status === 'refused');
  if (refused.length > 0) lessons.push(`${refused.map((entry) => entry.step).join(', ')} refused to act: was the refusal expected (protected instance, blast radius, no grant)?`);
  const retried = new Set(entries.filter((entry) => entry.outcome === 'failed').map((entry) => entry.step));
  for (const step of retried) {
    if (entries.some((entry) => entry.step === step && entry.outcome === 'succeeded')) lessons.push(`${step} failed and then succeeded on a retry: is the transient cause (throttling, eventual consistency) likely to recur?`);
  }
  if (report.failures.some((failure) => failure.step !== '' && failure.error !== '')) lessons.push('A step failed: was the failure alert enough for a person to finish by hand, and what would have prevented it?');
  if (report.header.sample === true) lessons.push('This was a sample finding: should the pipeline have stopped earlier?');
  if (lessons.length === 0) lessons.push('Nothing went wrong that the record shows: was the finding a true positive, and was containment the right response?');
  return lessons;
}

/** Problems in the report's own arithmetic (phases and timeline against each other); empty when consistent. */
export function reportConsistencyProblems(report: IncidentReport): string[] {
  const problems: string[] = [];
  for (const row of report.timeline) {
    if (row.durationMs < 0) problems.push(`${row.step} ends before it starts (${row.startedAt} → ${row.endedAt})`);
    if (row.sinceReceivedMs !== undefined && row.sinceReceivedMs < 0) problems.push(`${row.step} starts before the finding was received`);
  }
  for (const phase of report.phases) {
    if (phase.name === 'approval') continue;
    const step = phase.by.split(':')[0];
    const ending = report.timeline.find((row) => row.step === step && (row.endedAt === phase.at || (phase.name === 'triage' && row.startedAt === phase.at)));
    if (!ending) problems.push(`phase ${phase.name} ends at ${phase.at}, which no timeline entry of ${step} does`);
    else if (report.receivedAt !== undefined && ms(report.receivedAt, phase.at) !== phase.sinceReceivedMs) problems.push(`phase ${phase.name}'s duration does not match its time`);
  }
  return problems;
}
