/**
 * The pre-quarantine record: what an instance looked like before Firebreak contained it (groups per
 * ENI, instance profile, protections, Firebreak's own tags), so that `release-instance` can put it
 * back exactly. The record is written once, before the first change, and never overwritten by a
 * later run while the quarantine holds: a retry would otherwise record the quarantined state as the
 * "original" and release would restore the quarantine.
 *
 * One record per instance, but an instance can be contained by several incidents at once (two
 * findings on one instance are two incidents). Each incident that contains the instance holds a
 * claim on the record: the first writes the record with its own claim, later ones (which find the
 * instance quarantined, or the record already written) add theirs. A release takes back only its
 * own incident's claim; the instance is restored only when the last claim goes. The claims are a
 * string set beside the sealed record, like the release marks: ADD and DELETE on a set are atomic
 * in DynamoDB, and the conditions below keep two releases from both leaving the instance with no
 * claim and unrestored
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD).
 *
 * The last claim's release restores the instance, which takes many EC2 calls: a claim that lands
 * while they run would be undone by them. So, before its first EC2 change, that release holds the
 * record for its restore (`holdForRestore`: conditioned on its claim being the last one, so a claim
 * that landed since its read makes it take back only its own claim instead), and no claim is added
 * while the hold lasts (the claiming quarantine fails with `RecordHeldForRestoreError`, which its
 * playbook step retries for longer than a hold lasts: by then the record is released and it records
 * the instance afresh, or the hold has ended and it claims the record). The hold ends when the record
 * is marked released, or at a time past the release Lambda's timeout, so that a release that died
 * holding the record keeps another incident from containing the instance only until then, and that
 * containment is delayed, never lost (lib/contracts/restore-hold.ts).
 *
 * Every claim written on the record also advances its claim serial (`claimSerial`, a number beside
 * the claims, unsealed like them): the writer's first claim sets it to 1, and each later claim adds
 * one, even one of an incident that holds a claim already (a new execution of it, GuardDuty having
 * updated the finding), which leaves the claims as they were. A release's grant binds the serial
 * the containment guard read (grants.ts), and the hold is conditioned on the record still being at
 * it: an approval given before the instance was contained again covers nothing after. A record
 * written before claim serials has none, read as 0 on every side.
 *
 * Beside it, each claim also keeps the serial it was written at for its incident (`lastClaim#<incident
 * key>`, the incident's latest claim): a release that only takes back its incident's claim (another
 * incident holds the instance too) takes back nothing once its incident claimed again after the
 * guard read the record, so that an approval given before that new containment does not end it either.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import { ResponderFailedError } from '../contracts/responder-errors';
import type { AutoScalingRecord, LoadBalancerRecord } from './fleet-records';
import { autoScalingRecordSchema, loadBalancerRecordSchema } from './fleet-records';
import type { InstanceMetadataSettings } from './instance-state';
import type { RecordedAddress } from './quarantine-addresses';
import { RECORD_MAC_ALGORITHM } from './record-mac';
import type { QuarantineReleaseState, QuarantineReleaseStates } from './quarantine-release-state';
import { claimSerialOf, claimsOf, quarantineRecordKey } from './quarantine-release-state';

/** The hold's length and how long a quarantine waits it out, written once in the contracts. */
export { RESTORE_HOLD_SECONDS, RESTORE_HOLD_WAIT_SECONDS } from '../contracts/restore-hold';

/** The label of the record's sealed serialization (record-integrity.ts); a new layout gets a new label. */
export const RECORD_SEAL_SCHEME = 'firebreak-quarantine-record/v1';
/** The KMS MAC algorithm of HMAC_256 keys (record-mac.ts, shared by every sealed record). */
export { RECORD_MAC_ALGORITHM } from './record-mac';

/** The seal quarantine puts on a record. */
export interface RecordSeal {
  readonly scheme: typeof RECORD_SEAL_SCHEME;
  readonly algorithm: typeof RECORD_MAC_ALGORITHM;
  /** The key KMS says made the MAC (its ARN). Informative: release verifies with its own configured key. */
  readonly keyId: string;
  /** Base64 of the MAC. */
  readonly mac: string;
}

/** The instance's state before quarantine, as captured by `quarantine-instance`. */
export interface QuarantineRecord {
  readonly account: string;
  readonly region: string;
  readonly instanceId: string;
  /** The incident that quarantined the instance. */
  readonly incidentKey: string;
  /** ISO 8601 time the state was captured (just before the first change). */
  readonly capturedAt: string;
  /** Every ENI attached at capture time, with its security groups in EC2's order. */
  readonly networkInterfaces: readonly { readonly networkInterfaceId: string; readonly groupIds: readonly string[] }[];
  /** The instance profile associated at capture time, if any. */
  readonly instanceProfileArn?: string;
  /**
   * The RoleId of every role that profile held at capture time (IAM's answer; [] when it held none);
   * absent when it was not read (older records, or IAM did not answer). Release associates the
   * profile only while it holds exactly these roles (release-checks.ts, profileMismatch).
   */
  readonly instanceProfileRoleIds?: readonly string[];
  readonly disableApiTermination: boolean;
  readonly shutdownBehavior: 'stop' | 'terminate';
  /** `DeleteOnTermination` of every EBS volume attached at capture time. */
  readonly deleteOnTermination: readonly {
    readonly deviceName: string;
    readonly volumeId?: string;
    readonly deleteOnTermination: boolean;
  }[];
  /** Values of the instance's `firebreak:*` tags at capture time (absent key = tag absent). */
  readonly tags: Readonly<Record<string, string>>;
  /** The Auto Scaling group the instance was taken out of (fleet-records.ts); absent: in no group, or the option was off. */
  readonly autoScaling?: AutoScalingRecord;
  /** The load balancers the instance was deregistered from (fleet-records.ts); absent: the option was off. */
  readonly loadBalancers?: LoadBalancerRecord;
  /** The Elastic IPs quarantine disassociated (quarantine-addresses.ts); absent in older records and when none. */
  readonly elasticIps?: readonly RecordedAddress[];
  /** The metadata settings before quarantine changed them (quarantine-metadata.ts); absent when it did not. */
  readonly instanceMetadata?: InstanceMetadataSettings;
  /**
   * The MAC quarantine put on the record (record-integrity.ts); release refuses a record without
   * one, or whose MAC does not match its fields.
   */
  readonly seal?: RecordSeal;
  /**
   * The incidents that hold the instance contained (see the module's comment): not sealed, kept
   * beside the record. Absent in a record written before claims: its incident alone holds it.
   */
  readonly claims?: readonly string[];
  /** The incidents whose claim a release took back (the last one's release restores the instance). */
  readonly releasedClaims?: readonly string[];
  /**
   * How many claims were written on the record (see the module's comment): not sealed, kept beside
   * it. Absent in a record written before claim serials (`claimSerialOf`: 0).
   */
  readonly claimSerial?: number;
  /**
   * The claim serial of each incident's latest claim (see the module's comment), by incident key: not
   * sealed, kept beside the record. An incident absent from it last claimed before these were kept.
   */
  readonly lastClaims?: Readonly<Record<string, number>>;
  /** Set by `release-instance` once the instance is back to the recorded state. */
  readonly released?: boolean;
  readonly releasedAt?: string;
  /** Who released it: the IAM principal that approved the release, as AWS authenticated it (the approval record). */
  readonly releasedBy?: string;
  /** Who asked for the release (`requestedBy` of the release input): a claim, kept for the timeline. */
  readonly releaseRequestedBy?: string;
  /** The reason they gave for the release, if any. */
  readonly releaseReason?: string;
}

/** What `markReleased` records. */
export interface ReleaseMark {
  readonly releasedAt: string;
  /** The approver. */
  readonly releasedBy: string;
  /** Who asked, as the release input claims. */
  readonly releaseRequestedBy?: string;
  readonly releaseReason?: string;
}

/** What the instance's `markReleased` records: the mark, and the incident whose release restored the instance (it holds the last claim). */
export interface QuarantineReleaseMark extends ReleaseMark {
  readonly incidentKey: string;
}

/** A release's hold on a record for its restore (`holdForRestore`), as a claim it refused found it. */
export interface RestoreHold {
  /** The incident whose release holds the record (its last claim). */
  readonly heldFor: string;
  /** Until when (ISO 8601), unless the record is marked released first. */
  readonly heldUntil: string;
}

/** Which release execution asks to hold a record for its restore (`holdForRestore`), and when. */
export interface RestoreHolder {
  /** The release execution's ARN, as its grant and approval were verified for (release-clearance.ts). */
  readonly executionArn: string;
  /** Now (ISO 8601): a hold that ended before then no longer counts. */
  readonly at: string;
}

/** Another release execution's hold on the record, as a hold it refused found it. */
export interface ExecutionHold extends RestoreHold {
  /** The release execution that holds it. */
  readonly heldBy: string;
}

/** What `claim` answers: the claim added, the record changed since it was read, or a release's hold on it. */
export type ClaimAnswer = 'claimed' | 'changed' | RestoreHold;

/** Where pre-quarantine records live. Implementations must make `saveIfAbsent` atomic. */
export interface QuarantineRecordStore {
  /**
   * Saves the record unless an unreleased record exists for the same instance: `exists` then, and
   * the stored (original) record is kept.
   */
  saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'>;
  /** The current record for the instance, released or not. */
  get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined>;
  /**
   * Replaces the unreleased record `previous` by `next`, the same record with fields it lacked
   * (quarantine-record-capture.ts, `supplementFleet`), unless the stored record is no longer
   * `previous` (released, captured again since, or, sealed, supplemented by another run since: its
   * MAC changed): `changed` then, and nothing is written.
   */
  supplement(previous: QuarantineRecord, next: QuarantineRecord): Promise<'saved' | 'changed'>;
  /**
   * Adds `incidentKey`'s claim to the unreleased record `record` (as read), unless the stored record
   * is no longer that capture (released, or captured again since: `changed`) or a release holds it
   * for its restore (`holdForRestore`) at `at` (ISO 8601, now): that hold is answered then. Either
   * way nothing is written.
   */
  claim(record: QuarantineRecord, incidentKey: string, at: string): Promise<ClaimAnswer>;
}

/**
 * The release side of the store (release-instance): the quarantine side and the writes that take a
 * claim back, hold the record for a restore and mark it released. Apart, so that quarantine-instance's
 * bundle does not carry them (docs/architecture.md, "Lean Lambda bundles").
 */
export interface QuarantineRecordReleaseStore extends QuarantineRecordStore {
  /**
   * Takes back `incidentKey`'s claim while another incident still holds the instance; `changed`
   * (nothing written) when the stored record is no longer that unreleased capture, or when this
   * claim is not there or is the last one (then it is the release that restores the instance), or,
   * with `clearedAtSerial` (the claim serial the release's grant bound), when the incident claimed
   * the instance again after it.
   */
  releaseClaim(record: QuarantineRecord, incidentKey: string, clearedAtSerial?: number): Promise<'released' | 'changed'>;
  /**
   * Holds the unreleased record `record` (as read) for the restore of its last claim,
   * `incidentKey`'s, until `until` (ISO 8601) or `markReleased`: no claim is added meanwhile.
   * `claimed` (nothing written): the stored record is no longer that capture with this last claim
   * at the claim serial read, because an incident claimed the instance since the release read it
   * (another one, or this one again).
   * The hold is one release execution's, `holder`'s: while another execution's hold lasts (at
   * `holder.at`), that hold is answered and nothing is written, another execution of the same
   * incident included; the holder itself (its retry) takes its own hold again.
   */
  holdForRestore(record: QuarantineRecord, incidentKey: string, until: string, holder: RestoreHolder): Promise<'held' | 'claimed' | ExecutionHold>;
  /**
   * Marks the record released (the instance is back to the recorded state) and takes back the
   * last claim, `release.incidentKey`'s. `claimed`: another incident claimed the instance since
   * the release read the record; nothing is written. With `held` (the record the release held for
   * its restore), only that unreleased capture at its claim serial is marked: another release of the
   * same incident may have ended it first, and a new capture since (by that incident's new
   * execution, which leaves LAST_CLAIM true) is not the one restored (`claimed` then too).
   */
  markReleased(
    account: string,
    region: string,
    instanceId: string,
    release: QuarantineReleaseMark,
    held?: QuarantineRecord,
  ): Promise<'released' | 'claimed'>;
}

export { claimSerialOf, claimsOf, quarantineRecordKey };

const quarantineRecordSchema = z.object({
  account: z.string(),
  region: z.string(),
  instanceId: z.string(),
  incidentKey: z.string(),
  capturedAt: z.string(),
  networkInterfaces: z.array(z.object({ networkInterfaceId: z.string(), groupIds: z.array(z.string()) })),
  instanceProfileArn: z.optional(z.string()),
  instanceProfileRoleIds: z.optional(z.array(z.string())),
  disableApiTermination: z.boolean(),
  shutdownBehavior: z.enum(['stop', 'terminate']),
  deleteOnTermination: z.array(
    z.object({ deviceName: z.string(), volumeId: z.optional(z.string()), deleteOnTermination: z.boolean() }),
  ),
  tags: z.record(z.string(), z.string()),
  autoScaling: z.optional(autoScalingRecordSchema),
  loadBalancers: z.optional(loadBalancerRecordSchema),
  elasticIps: z.optional(
    z.array(z.object({ allocationId: z.string(), publicIp: z.string(), networkInterfaceId: z.string(), privateIpAddress: z.string() })),
  ),
  instanceMetadata: z.optional(
    z.object({ httpEndpoint: z.enum(['enabled', 'disabled']), httpTokens: z.enum(['optional', 'required']), httpPutResponseHopLimit: z.number().check(z.int()) }),
  ),
  seal: z.optional(
    z.object({
      scheme: z.literal(RECORD_SEAL_SCHEME),
      algorithm: z.literal(RECORD_MAC_ALGORITHM),
      keyId: z.string(),
      mac: z.string().check(z.minLength(1)),
    }),
  ),
  released: z.optional(z.boolean()),
  releasedAt: z.optional(z.string()),
  releasedBy: z.optional(z.string()),
  releaseRequestedBy: z.optional(z.string()),
  releaseReason: z.optional(z.string()),
});

/** Checks a record read back from storage (another version may have written it). */
export function parseQuarantineRecord(raw: unknown): QuarantineRecord {
  const parsed = quarantineRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ResponderFailedError(`Stored quarantine record is malformed: ${where}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** An in-process store (tests, the local game-day engine): same semantics as the DynamoDB one. */
export class InMemoryQuarantineRecordStore implements QuarantineRecordReleaseStore, QuarantineReleaseStates {
  private readonly records = new Map<string, QuarantineRecord>();
  /** Which release execution holds each record for its restore, and until when (holdForRestore), beside the record as in DynamoDB. */
  private readonly holds = new Map<string, ExecutionHold>();

  async releaseStateOf(account: string, region: string, instanceId: string): Promise<QuarantineReleaseState | undefined> {
    const record = this.records.get(quarantineRecordKey(account, region, instanceId));
    if (!record) return undefined;
    const { incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial } = record;
    return {
      incidentKey,
      released: released === true,
      capturedAt,
      ...(claimSerial !== undefined ? { claimSerial } : {}),
      ...(releasedAt !== undefined ? { releasedAt } : {}),
      ...(releasedBy !== undefined ? { releasedBy } : {}),
      ...(claims !== undefined ? { claims: [...claims] } : {}),
      ...(releasedClaims !== undefined ? { releasedClaims: [...releasedClaims] } : {}),
    };
  }

  async saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'> {
    const key = quarantineRecordKey(record.account, record.region, record.instanceId);
    const existing = this.records.get(key);
    if (existing && existing.released !== true) return 'exists';
    const { claims: _claims, releasedClaims: _releasedClaims, claimSerial: _claimSerial, lastClaims: _lastClaims, ...captured } = record;
    this.records.set(key, structuredClone({ ...captured, claims: [record.incidentKey], claimSerial: 1, lastClaims: { [record.incidentKey]: 1 }, released: false }));
    this.holds.delete(key);
    return 'saved';
  }

  async get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined> {
    const record = this.records.get(quarantineRecordKey(account, region, instanceId));
    return record ? structuredClone(record) : undefined;
  }

  async supplement(previous: QuarantineRecord, next: QuarantineRecord): Promise<'saved' | 'changed'> {
    const key = quarantineRecordKey(previous.account, previous.region, previous.instanceId);
    const existing = this.records.get(key);
    // A sealed record only while it is still the one read (its MAC), as DynamoDB's condition reads it.
    if (!existing || !this.sameCapture(previous) || (previous.seal !== undefined && existing.seal?.mac !== previous.seal.mac)) return 'changed';
    const { claims: _claims, releasedClaims: _releasedClaims, claimSerial: _claimSerial, lastClaims: _lastClaims, ...fields } = next;
    this.records.set(key, structuredClone({ ...fields, ...claimFields(existing), released: false }));
    return 'saved';
  }

  async claim(record: QuarantineRecord, incidentKey: string, at: string): Promise<ClaimAnswer> {
    const key = quarantineRecordKey(record.account, record.region, record.instanceId);
    // As DynamoDB's refusal reads the item: a hold still on is the answer, whatever else changed.
    const hold = this.holds.get(key);
    if (hold !== undefined && !(hold.heldUntil < at)) return { heldFor: hold.heldFor, heldUntil: hold.heldUntil };
    if (!this.sameCapture(record)) return 'changed';
    const existing = this.records.get(key)!;
    if ((existing.claims === undefined) !== (record.claims === undefined)) return 'changed';
    const serial = claimSerialOf(existing) + 1;
    this.records.set(key, { ...existing, claims: [...new Set([...claimsOf(existing), incidentKey])], claimSerial: serial, lastClaims: { ...existing.lastClaims, [incidentKey]: serial } });
    return 'claimed';
  }

  async releaseClaim(record: QuarantineRecord, incidentKey: string, clearedAtSerial?: number): Promise<'released' | 'changed'> {
    if (!this.sameCapture(record)) return 'changed';
    const key = quarantineRecordKey(record.account, record.region, record.instanceId);
    const existing = this.records.get(key)!;
    const claims = existing.claims ?? [];
    if (!claims.includes(incidentKey) || claims.length < 2) return 'changed';
    const last = existing.lastClaims?.[incidentKey];
    if (clearedAtSerial !== undefined && last !== undefined && last > clearedAtSerial) return 'changed';
    this.records.set(key, {
      ...existing,
      claims: claims.filter((claim) => claim !== incidentKey),
      releasedClaims: [...new Set([...(existing.releasedClaims ?? []), incidentKey])],
    });
    return 'released';
  }

  async holdForRestore(record: QuarantineRecord, incidentKey: string, until: string, holder: RestoreHolder): Promise<'held' | 'claimed' | ExecutionHold> {
    const key = quarantineRecordKey(record.account, record.region, record.instanceId);
    // As DynamoDB's refusal reads the item: another execution's hold still on is the answer.
    const hold = this.holds.get(key);
    if (hold !== undefined && !(hold.heldUntil < holder.at) && hold.heldBy !== holder.executionArn) return hold;
    if (!this.sameCapture(record)) return 'claimed';
    const existing = this.records.get(key)!;
    if (!holdsLastClaim(existing, incidentKey) || claimSerialOf(existing) !== claimSerialOf(record)) return 'claimed';
    this.holds.set(key, { heldFor: incidentKey, heldUntil: until, heldBy: holder.executionArn });
    return 'held';
  }

  async markReleased(
    account: string,
    region: string,
    instanceId: string,
    release: QuarantineReleaseMark,
    held?: QuarantineRecord,
  ): Promise<'released' | 'claimed'> {
    const key = quarantineRecordKey(account, region, instanceId);
    const existing = this.records.get(key);
    if (!existing) throw new ResponderFailedError(`No quarantine record for ${instanceId} in ${account}/${region}`);
    const { incidentKey, releasedAt, releasedBy, releaseRequestedBy, releaseReason } = release;
    if (!holdsLastClaim(existing, incidentKey)) return 'claimed';
    if (held !== undefined && (!this.sameCapture(held) || claimSerialOf(existing) !== claimSerialOf(held))) return 'claimed';
    const { claims: _claims, ...rest } = existing;
    this.holds.delete(key);
    this.records.set(key, {
      ...rest,
      releasedClaims: [...new Set([...(existing.releasedClaims ?? []), incidentKey])],
      released: true,
      releasedAt,
      releasedBy,
      ...(releaseRequestedBy !== undefined ? { releaseRequestedBy } : {}),
      ...(releaseReason !== undefined ? { releaseReason } : {}),
    });
    return 'released';
  }

  /** Whether the stored record is still the unreleased capture `record` was read as. */
  private sameCapture(record: QuarantineRecord): boolean {
    const existing = this.records.get(quarantineRecordKey(record.account, record.region, record.instanceId));
    return existing !== undefined && existing.released !== true && existing.capturedAt === record.capturedAt && existing.incidentKey === record.incidentKey;
  }
}

/** Whether `incidentKey` holds the last claim of `record` (or none is kept: a record older than claims, its own incident's): LAST_CLAIM, in memory. */
function holdsLastClaim(record: QuarantineRecord, incidentKey: string): boolean {
  return record.claims === undefined || (record.claims.length === 1 && record.claims[0] === incidentKey);
}

/** `lastClaims` when there are any (absent stays absent). */
function withLastClaims(lastClaims: Record<string, number> | undefined): Pick<QuarantineRecord, 'lastClaims'> {
  return lastClaims !== undefined ? { lastClaims } : {};
}

/** The claim fields of a record, to carry over (absent stays absent). */
function claimFields(record: QuarantineRecord): Pick<QuarantineRecord, 'claims' | 'releasedClaims' | 'claimSerial' | 'lastClaims'> {
  return {
    ...(record.claims !== undefined ? { claims: [...record.claims] } : {}),
    ...(record.releasedClaims !== undefined ? { releasedClaims: [...record.releasedClaims] } : {}),
    ...(record.claimSerial !== undefined ? { claimSerial: record.claimSerial } : {}),
    ...(record.lastClaims !== undefined ? { lastClaims: { ...record.lastClaims } } : {}),
  };
}

/**
 * The state-table item of a new, unreleased record: the identifying fields for people reading the
 * table, the writer's claim (the record's first: claim serial 1), the record as JSON (without
 * claims: they live beside it).
 */
function recordItem(stored: QuarantineRecord) {
  return {
    pk: { S: quarantineRecordKey(stored.account, stored.region, stored.instanceId) },
    account: { S: stored.account },
    region: { S: stored.region },
    instanceId: { S: stored.instanceId },
    incidentKey: { S: stored.incidentKey },
    capturedAt: { S: stored.capturedAt },
    released: { BOOL: false },
    claims: { SS: [stored.incidentKey] },
    claimSerial: { N: '1' },
    [lastClaimAttribute(stored.incidentKey)]: { N: '1' },
    record: { S: recordJson(stored) },
  };
}

/** The record as the `record` attribute holds it: everything but the attributes kept beside it. */
function recordJson(record: QuarantineRecord): string {
  const { claims: _claims, releasedClaims: _releasedClaims, claimSerial: _claimSerial, lastClaims: _lastClaims, ...stored } = record;
  return JSON.stringify(stored);
}

/** Where an incident's latest claim keeps its claim serial: a top-level attribute per incident (a record older than them has no map to write into). */
const LAST_CLAIM_PREFIX = 'lastClaim#';
function lastClaimAttribute(incidentKey: string): string {
  return `${LAST_CLAIM_PREFIX}${incidentKey}`;
}

/** The incidents' latest claim serials of a stored item; one that is not a whole number is left out (its incident's claim-only release then checks nothing against it). */
function lastClaimsOf(item: Record<string, AttributeValue>): Record<string, number> | undefined {
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(LAST_CLAIM_PREFIX)) continue;
    const serial = Number(value.N);
    if (value.N !== undefined && Number.isSafeInteger(serial) && serial >= 0) found[name.slice(LAST_CLAIM_PREFIX.length)] = serial;
  }
  return Object.keys(found).length > 0 ? found : undefined;
}

/** The hold on the item (restoringFor, restoringUntil) that still holds at `at`, if any (NOT_HELD, read back). */
function holdOf(item: Record<string, AttributeValue> | undefined, at: string): RestoreHold | undefined {
  const heldUntil = item?.restoringUntil?.S;
  if (heldUntil === undefined || heldUntil < at) return undefined;
  return { heldFor: item?.restoringFor?.S ?? 'unknown', heldUntil };
}

/** Another release execution's hold on the item that still holds at `at`, if any (NOT_HELD_BY_ANOTHER, read back). */
function otherExecutionHoldOf(item: Record<string, AttributeValue> | undefined, holder: RestoreHolder): ExecutionHold | undefined {
  const hold = holdOf(item, holder.at);
  const heldBy = item?.restoringBy?.S;
  if (hold === undefined || heldBy === holder.executionArn) return undefined;
  return { ...hold, heldBy: heldBy ?? 'unknown' };
}

/** The condition that the stored record is still the unreleased capture it was read as, and its values. */
const SAME_CAPTURE = 'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey';
/** The condition that `:claimKey` holds the last claim (or none is kept: a record older than claims, its own incident's). */
const LAST_CLAIM = '(attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey)))';
/**
 * The condition that no claim was written since the record was read at `serial`, and its values: a
 * record older than claim serials (0) only while it still has none.
 */
const sameClaimSerial = (serial: number): { readonly condition: string; readonly values: Record<string, AttributeValue> } =>
  serial === 0
    ? { condition: 'attribute_not_exists(claimSerial)', values: {} }
    : { condition: 'claimSerial = :claimSerial', values: { ':claimSerial': { N: String(serial) } } };
/** The condition that no release holds the record for its restore at `:at` (holdForRestore). */
const NOT_HELD = '(attribute_not_exists(restoringUntil) OR restoringUntil < :at)';
/** The condition that no release execution but `:restoringBy` holds the record for its restore at `:at`: its retry re-takes its own hold. */
const NOT_HELD_BY_ANOTHER = '(attribute_not_exists(restoringUntil) OR restoringUntil < :at OR restoringBy = :restoringBy)';
const sameCaptureValues = (record: QuarantineRecord) => ({
  ':false': { BOOL: false },
  ':capturedAt': { S: record.capturedAt },
  ':incidentKey': { S: record.incidentKey },
});

/**
 * DynamoDB adapter. Item: `pk` (string partition key), the identifying fields as top-level
 * attributes for people reading the table, `released` (BOOL) for the condition, and the full
 * record as JSON in `record`.
 */
export class DynamoDbQuarantineRecordStore implements QuarantineRecordStore {
  constructor(
    protected readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'> {
    const stored: QuarantineRecord = { ...record, released: false };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table(),
          Item: recordItem(stored),
          // A conditional put, not a read-then-write: two concurrent runs cannot both "save the
          // original", and a retry after a partial quarantine cannot replace it with the quarantined
          // state. A released record may be replaced: the instance was restored, so it is original again.
          ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
          ExpressionAttributeValues: { ':true': { BOOL: true } },
        }),
      );
      return 'saved';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'exists';
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  async supplement(previous: QuarantineRecord, next: QuarantineRecord): Promise<'saved' | 'changed'> {
    const stored: QuarantineRecord = { ...next, released: false };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table(),
          Key: { pk: { S: quarantineRecordKey(previous.account, previous.region, previous.instanceId) } },
          // Only the record itself: the claims beside it (another incident may add one meanwhile)
          // stay as they are. Conditioned on the record read being still the one stored:
          // unreleased, same capture. A release or a new capture in between wins.
          // `record` is a reserved word.
          // A sealed record only while it is still the one read (its MAC in the stored JSON): two runs
          // that read it and each add registrations found since would otherwise keep only the later
          // write's, and the other's, deregistered, would never be restored (row 3v).
          UpdateExpression: 'SET #record = :record',
          ConditionExpression: previous.seal ? `${SAME_CAPTURE} AND contains(#record, :mac)` : SAME_CAPTURE,
          ExpressionAttributeNames: { '#record': 'record' },
          ExpressionAttributeValues: { ':record': { S: recordJson(stored) }, ...sameCaptureValues(previous), ...(previous.seal ? { ':mac': { S: previous.seal.mac } } : {}) },
        }),
      );
      return 'saved';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'changed';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  async claim(record: QuarantineRecord, incidentKey: string, at: string): Promise<ClaimAnswer> {
    // A record written before claims has none: its own incident's claim goes in with this one, and
    // only while it still has none (a claim added meanwhile means the read is stale: read again).
    // Never while the last release holds the record for its restore: the restore would undo this
    // incident's containment (see the module's comment). ISO 8601 times of one format compare as strings.
    const older = record.claims === undefined;
    return this.conditionalUpdate(
      'claimed',
      {
        TableName: this.table(),
        Key: { pk: { S: quarantineRecordKey(record.account, record.region, record.instanceId) } },
        // Every claim advances the serial, one already there included: the releasing incident's own
        // new execution must move it, or an approval given before would cover this containment too.
        // The incident's latest claim keeps the serial it advanced to (SET reads the item as it was
        // before this write): its claim-only release checks it against the serial its grant bound.
        UpdateExpression: 'SET #lastClaim = if_not_exists(claimSerial, :zero) + :one ADD claims :claims, claimSerial :one',
        ConditionExpression: `${SAME_CAPTURE} AND ${older ? 'attribute_not_exists(claims)' : 'attribute_exists(claims)'} AND ${NOT_HELD}`,
        ExpressionAttributeNames: { '#lastClaim': lastClaimAttribute(incidentKey) },
        ExpressionAttributeValues: {
          ':claims': { SS: older ? [...new Set([record.incidentKey, incidentKey])] : [incidentKey] },
          ':one': { N: '1' },
          ':zero': { N: '0' },
          ...sameCaptureValues(record),
          ':at': { S: at },
        },
        // The item as it was when the condition failed, so the answer says why in the same call:
        // a hold is waited out (the step's own retry), a changed record is read again.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      (item) => holdOf(item, at),
    );
  }

  async get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined> {
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({
          TableName: this.table(),
          Key: { pk: { S: quarantineRecordKey(account, region, instanceId) } },
          // Release must see the record quarantine just wrote, not an eventually consistent copy.
          ConsistentRead: true,
        }),
      ));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (!item) return undefined;
    const json = item.record?.S;
    if (json === undefined) throw new ResponderFailedError(`Quarantine record for ${instanceId} has no "record" attribute`);
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (error) {
      throw new ResponderFailedError(`Quarantine record for ${instanceId} is not valid JSON`, { cause: error });
    }
    const record = parseQuarantineRecord(raw);
    const released = item.released?.BOOL === true;
    return {
      ...record,
      ...(item.claims?.SS !== undefined ? { claims: [...item.claims.SS].sort() } : {}),
      ...(item.releasedClaims?.SS !== undefined ? { releasedClaims: [...item.releasedClaims.SS].sort() } : {}),
      ...(item.claimSerial?.N !== undefined ? { claimSerial: Number(item.claimSerial.N) } : {}),
      ...withLastClaims(lastClaimsOf(item)),
      released,
      ...(item.releasedAt?.S !== undefined ? { releasedAt: item.releasedAt.S } : {}),
      ...(item.releasedBy?.S !== undefined ? { releasedBy: item.releasedBy.S } : {}),
      ...(item.releaseRequestedBy?.S !== undefined ? { releaseRequestedBy: item.releaseRequestedBy.S } : {}),
      ...(item.releaseReason?.S !== undefined ? { releaseReason: item.releaseReason.S } : {}),
    };
  }

  /**
   * An UpdateItem whose condition failing means the record changed since it was read, or what
   * `refusal` reads in the item as it was then (ReturnValuesOnConditionCheckFailure).
   */
  protected async conditionalUpdate<Done extends string, Refusal = never>(
    done: Done,
    input: ConstructorParameters<typeof UpdateItemCommand>[0],
    refusal?: (item: Record<string, AttributeValue> | undefined) => Refusal | undefined,
  ): Promise<Done | Refusal | 'changed'> {
    try {
      await this.client.send(new UpdateItemCommand(input));
      return done;
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return refusal?.(itemOfConditionFailure(error)) ?? 'changed';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  protected table(): string {
    if (!this.tableName) {
      throw new ResponderFailedError('No state table configured: set FIREBREAK_STATE_TABLE to the DynamoDB table name');
    }
    return this.tableName;
  }
}

/**
 * The DynamoDB store of release-instance: the quarantine side, and the writes of a release. Its
 * conditions keep two releases from both leaving the instance with no claim, a restore from undoing
 * a claim written since the release read the record (the hold, at the claim serial read), and the
 * mark from taking a claim that is not the last.
 */
export class DynamoDbQuarantineRecordReleaseStore extends DynamoDbQuarantineRecordStore implements QuarantineRecordReleaseStore {
  async holdForRestore(record: QuarantineRecord, incidentKey: string, until: string, holder: RestoreHolder): Promise<'held' | 'claimed' | ExecutionHold> {
    // At the claim serial read: a claim since, even this incident's own (which leaves LAST_CLAIM
    // true), means the instance was contained again after the release read the record. And for
    // this execution alone: the last claim is the incident's, so two release executions of one
    // incident would both pass the rest, and the second one's restore could undo a capture written
    // after the first one's mark. The execution's own retry takes its hold again.
    const serial = sameClaimSerial(claimSerialOf(record));
    const answer = await this.conditionalUpdate(
      'held',
      {
        TableName: this.table(),
        Key: { pk: { S: quarantineRecordKey(record.account, record.region, record.instanceId) } },
        UpdateExpression: 'SET restoringFor = :claimKey, restoringUntil = :until, restoringBy = :restoringBy',
        ConditionExpression: `${SAME_CAPTURE} AND ${LAST_CLAIM} AND ${serial.condition} AND ${NOT_HELD_BY_ANOTHER}`,
        ExpressionAttributeValues: {
          ':claimKey': { S: incidentKey },
          ':until': { S: until },
          ':restoringBy': { S: holder.executionArn },
          ':at': { S: holder.at },
          ':one': { N: '1' },
          ...serial.values,
          ...sameCaptureValues(record),
        },
        // The item as it was when the condition failed: another execution's live hold is the answer.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      (item) => otherExecutionHoldOf(item, holder),
    );
    return answer === 'changed' ? 'claimed' : answer;
  }

  async releaseClaim(record: QuarantineRecord, incidentKey: string, clearedAtSerial?: number): Promise<'released' | 'changed'> {
    // Never the last claim: two releases that each saw the other's claim cannot both drop theirs
    // and leave the instance quarantined with nobody to release it; the second one finds itself
    // the last, and restores. Nor a claim its incident wrote again after the grant's read.
    const notClaimedSince = clearedAtSerial !== undefined ? ' AND (attribute_not_exists(#lastClaim) OR #lastClaim <= :clearedAtSerial)' : '';
    return this.conditionalUpdate('released', {
      TableName: this.table(),
      Key: { pk: { S: quarantineRecordKey(record.account, record.region, record.instanceId) } },
      UpdateExpression: 'ADD releasedClaims :claim DELETE claims :claim',
      ConditionExpression: `${SAME_CAPTURE} AND contains(claims, :claimKey) AND size(claims) > :one${notClaimedSince}`,
      ...(clearedAtSerial !== undefined ? { ExpressionAttributeNames: { '#lastClaim': lastClaimAttribute(incidentKey) } } : {}),
      ExpressionAttributeValues: {
        ':claim': { SS: [incidentKey] },
        ':claimKey': { S: incidentKey },
        ':one': { N: '1' },
        ...(clearedAtSerial !== undefined ? { ':clearedAtSerial': { N: String(clearedAtSerial) } } : {}),
        ...sameCaptureValues(record),
      },
    });
  }

  async markReleased(
    account: string,
    region: string,
    instanceId: string,
    release: QuarantineReleaseMark,
    held?: QuarantineRecord,
  ): Promise<'released' | 'claimed'> {
    // Only the capture this release held, at the serial held (review s19): see the interface.
    const serial = held !== undefined ? sameClaimSerial(claimSerialOf(held)) : undefined;
    const sameHeld = held !== undefined && serial !== undefined ? ` AND ${SAME_CAPTURE} AND ${serial.condition}` : '';
    // No reason, no attribute: a re-quarantine replaces the whole item (PutItem), so none is left over.
    // Bare attribute names only because none of these is a reserved word (`release` is, and so is
    // `by`: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html).
    const reason = release.releaseReason;
    const requestedBy = release.releaseRequestedBy;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table(),
          Key: { pk: { S: quarantineRecordKey(account, region, instanceId) } },
          UpdateExpression: `SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy${requestedBy !== undefined ? ', releaseRequestedBy = :releaseRequestedBy' : ''}${reason !== undefined ? ', releaseReason = :releaseReason' : ''} REMOVE restoringFor, restoringUntil, restoringBy ADD releasedClaims :claim DELETE claims :claim`,
          // The last claim, this release's (or none: a record older than claims, its own incident's):
          // an incident that claimed the instance since the release read the record keeps it. The
          // release's hold (holdForRestore) ends with it.
          ConditionExpression: `attribute_exists(pk) AND ${LAST_CLAIM}${sameHeld}`,
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':releasedAt': { S: release.releasedAt },
            ':releasedBy': { S: release.releasedBy },
            ...(requestedBy !== undefined ? { ':releaseRequestedBy': { S: requestedBy } } : {}),
            ...(reason !== undefined ? { ':releaseReason': { S: reason } } : {}),
            ':claim': { SS: [release.incidentKey] },
            ':claimKey': { S: release.incidentKey },
            ':one': { N: '1' },
            ...(held !== undefined && serial !== undefined ? { ...serial.values, ...sameCaptureValues(held) } : {}),
          },
        }),
      );
      return 'released';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'claimed';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }
}
