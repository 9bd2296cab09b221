/**
 * The sealed record of an evidence snapshot (row 3za): snapshot-volumes writes one per snapshot
 * CreateSnapshots answers it started, right after that answer, in the state table under
 * `evidence#<incident key>#<snapshot id>` (conditional PutItem, written once), sealed with the
 * deployment's record key (record-mac.ts, `KmsMac`, under a scheme label of its own). It is what
 * makes a snapshot this incident's evidence: the description and the tags snapshot-volumes writes
 * are claims anyone allowed ec2:CreateSnapshot and ec2:CreateTags in the member account can copy
 * (incident keys are predictable), before snapshot-volumes runs or after the real snapshot was
 * deleted. snapshot-volumes reuses, and copy-evidence copies, only a snapshot whose record verifies.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { canonicalJson } from '../contracts/canonical-json';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { sha256Hex } from '../incident/keys';
import type { KmsMac, SealVerdict } from './record-mac';
import { RECORD_MAC_ALGORITHM } from './record-mac';

/** The label of the evidence record's sealed serialization; never a custody or quarantine record's. */
export const EVIDENCE_SEAL_SCHEME = 'firebreak-evidence-snapshot/v1';

/** The partition key of one evidence snapshot's record. */
export function evidenceRecordKey(incidentKey: string, snapshotId: string): string {
  return `${STATE_KEY_PREFIX.evidence}${incidentKey}#${snapshotId}`;
}

/**
 * The partition key of a volume's latest evidence record (row 2zi): the same sealed record, written
 * under the volume too, so that the snapshot it names is found by one read whatever number of
 * snapshots carrying the incident's marks someone made of that volume before it.
 */
export function evidenceVolumeRecordKey(incidentKey: string, volumeId: string): string {
  return `${STATE_KEY_PREFIX.evidence}${incidentKey}#volume#${volumeId}`;
}

/** One evidence snapshot as snapshot-volumes recorded it when CreateSnapshots answered. */
export interface EvidenceRecord {
  readonly incidentKey: string;
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  /** EC2's StartTime of the snapshot, as CreateSnapshots answered it (ISO 8601), when it gave one. */
  readonly startedAt?: string;
  /** ISO 8601 time the record was written. */
  readonly recordedAt: string;
  /** The playbook execution whose step took it (absent when the input named none). */
  readonly executionArn?: string;
  readonly seal?: { readonly scheme: typeof EVIDENCE_SEAL_SCHEME; readonly algorithm: typeof RECORD_MAC_ALGORITHM; readonly keyId: string; readonly mac: string };
}

const evidenceRecordSchema = z.strictObject({
  incidentKey: z.string(),
  snapshotId: z.string(),
  volumeId: z.string(),
  instanceId: z.string(),
  account: z.string(),
  region: z.string(),
  startedAt: z.optional(z.string()),
  recordedAt: z.string(),
  executionArn: z.optional(z.string()),
  seal: z.optional(z.strictObject({ scheme: z.literal(EVIDENCE_SEAL_SCHEME), algorithm: z.literal(RECORD_MAC_ALGORITHM), keyId: z.string(), mac: z.string().check(z.minLength(1)) })),
});

/** The bytes the record key MACs (pure): the scheme label and the SHA-256 of every field but the seal, canonical. */
export function evidenceMacMessage(record: EvidenceRecord): Uint8Array {
  const { seal: _seal, ...sealed } = record;
  const digest = sha256Hex(canonicalJson({ scheme: EVIDENCE_SEAL_SCHEME, ...sealed }));
  return new TextEncoder().encode(`${EVIDENCE_SEAL_SCHEME}\nsha256:${digest}`);
}

/** What a snapshot must be for its record to stand for it: of this volume, of this instance, in this account and region. */
export type EvidenceOf = Pick<EvidenceRecord, 'incidentKey' | 'snapshotId' | 'volumeId' | 'instanceId' | 'account' | 'region'>;

/** Where evidence records live (the state table; tests may use anything with the same semantics). */
export interface EvidenceRecords {
  /** Seals and writes the record unless one exists for the same snapshot (`exists` then: the first is kept). */
  save(record: EvidenceRecord): Promise<'saved' | 'exists'>;
  /** Whether a sealed record of snapshot-volumes names this snapshot as `of` says: valid, or why not (no record is a reason too). */
  verify(of: EvidenceOf): Promise<SealVerdict>;
  /** The snapshot the volume's latest sealed record names (row 2zi), when one exists and verifies as `volume` says; else undefined. */
  recordedSnapshotOf(volume: Omit<EvidenceOf, 'snapshotId'>): Promise<string | undefined>;
}

/** The state-table evidence records, sealed with the deployment's record key. */
export class DynamoDbEvidenceRecords implements EvidenceRecords {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly mac: Pick<KmsMac, 'generate' | 'verify'>,
  ) {}

  async save(record: EvidenceRecord): Promise<'saved' | 'exists'> {
    const { seal: _old, ...unsealed } = record;
    const { keyId, mac } = await this.mac.generate(evidenceMacMessage(unsealed));
    const sealed: EvidenceRecord = { ...unsealed, seal: { scheme: EVIDENCE_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac } };
    // Row 2zi: first under the volume (overwritten by a later snapshot of it that this step takes,
    // which it does only when no recorded one of the volume is left), so that a check bounded per
    // volume still reaches it past any number of snapshots made with the incident's marks. Written
    // before the snapshot's own record: whichever write fails, a rerun finds what was recorded.
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { pk: { S: evidenceVolumeRecordKey(record.incidentKey, record.volumeId) }, record: { S: JSON.stringify(sealed) } } }));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:PutItem');
    }
    try {
      // Written once: nothing, a redelivered step included, rewrites what was taken when.
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: evidenceRecordKey(record.incidentKey, record.snapshotId) }, record: { S: JSON.stringify(sealed) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'saved';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'exists';
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  async verify(of: EvidenceOf): Promise<SealVerdict> {
    let item;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: evidenceRecordKey(of.incidentKey, of.snapshotId) } }, ConsistentRead: true })));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (item === undefined) return { valid: false, reason: 'no record of snapshot-volumes names it (snapshot-volumes seals one for every snapshot it takes)' };
    return verifyEvidenceRecord(item.record?.S, this.mac, of);
  }

  async recordedSnapshotOf(volume: Omit<EvidenceOf, 'snapshotId'>): Promise<string | undefined> {
    let item;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: evidenceVolumeRecordKey(volume.incidentKey, volume.volumeId) } }, ConsistentRead: true })));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    const json = item?.record?.S;
    if (json === undefined) return undefined;
    let snapshotId: unknown;
    try {
      snapshotId = (JSON.parse(json) as { snapshotId?: unknown } | null)?.snapshotId;
    } catch {
      return undefined;
    }
    if (typeof snapshotId !== 'string') return undefined;
    // The same checks as the snapshot's own record: every field `volume` names, then the seal.
    const verdict = await verifyEvidenceRecord(json, this.mac, { ...volume, snapshotId });
    return verdict.valid ? snapshotId : undefined;
  }
}

/** Parses and checks a stored evidence record against the snapshot it must stand for, then its seal. */
export async function verifyEvidenceRecord(json: string | undefined, mac: Pick<KmsMac, 'verify'>, of: EvidenceOf): Promise<SealVerdict> {
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? '');
  } catch {
    return { valid: false, reason: 'its record in the state table is not JSON' };
  }
  const parsed = evidenceRecordSchema.safeParse(raw);
  if (!parsed.success) return { valid: false, reason: 'its record in the state table is not an evidence record' };
  const record = parsed.data as EvidenceRecord;
  const fields = ['incidentKey', 'snapshotId', 'volumeId', 'instanceId', 'account', 'region'] as const;
  const differs = fields.find((field) => record[field] !== of[field]);
  if (differs !== undefined) return { valid: false, reason: `its record names another ${differs} (${JSON.stringify(record[differs])}, not ${JSON.stringify(of[differs])})` };
  if (record.seal === undefined) return { valid: false, reason: 'its record carries no MAC' };
  const verdict = await mac.verify(evidenceMacMessage(record), record.seal.mac, 'snapshot-volumes');
  return verdict.valid ? verdict : { valid: false, reason: `its record's seal does not hold (${verdict.reason})` };
}

/** At most this many snapshots carrying a volume's evidence marks are checked against the records (row 3za): each is a GetItem, and anyone allowed ec2:CreateSnapshot can make thousands. */
export const MAX_RECORD_CHECKS_PER_VOLUME = 10;

/** A snapshot that carries the incident's evidence marks, as EC2 describes it (the fields the check reads). */
interface MarkedSnapshot {
  readonly SnapshotId?: string | undefined;
  readonly VolumeId?: string | undefined;
  readonly StartTime?: Date | undefined;
}

/** What the records say of the snapshots carrying the incident's marks: one recorded per volume at most, those found unrecorded, and those left unchecked. */
export interface RecordedSplit<T extends MarkedSnapshot> {
  /** The earliest snapshot of each volume whose record verifies (checked earliest first). */
  readonly recorded: T[];
  /** Checked, and no verified record names it: why. */
  readonly unrecorded: { readonly snapshot: T; readonly reason: string }[];
  /** Not checked: after its volume's recorded one (`evidence`), or past MAX_RECORD_CHECKS_PER_VOLUME. */
  readonly unchecked: { readonly snapshot: T; readonly evidence?: T }[];
}

/**
 * Checks the snapshots carrying the incident's marks against snapshot-volumes' records, per volume,
 * earliest first (ties by id), until one verifies, at most MAX_RECORD_CHECKS_PER_VOLUME each: the
 * calls are bounded by the volumes, not by how many snapshots someone made with the marks. Row 2zi:
 * a volume with more candidates than that is first asked for its own record, and the snapshot that
 * names is recorded wherever it stands: forgeries that started earlier (made with the predictable
 * incident key before snapshot-volumes ran) no longer use up the checks before the real one.
 */
export async function firstRecordedOfEachVolume<T extends MarkedSnapshot>(
  records: Pick<EvidenceRecords, 'verify' | 'recordedSnapshotOf'>,
  snapshots: readonly T[],
  of: (snapshot: T) => EvidenceOf,
): Promise<RecordedSplit<T>> {
  const time = (s: T) => (s.StartTime instanceof Date ? s.StartTime.getTime() : Number.POSITIVE_INFINITY);
  const byVolume = new Map<string, T[]>();
  for (const snapshot of snapshots) {
    if (snapshot.SnapshotId === undefined || snapshot.VolumeId === undefined) continue;
    byVolume.set(snapshot.VolumeId, [...(byVolume.get(snapshot.VolumeId) ?? []), snapshot]);
  }
  const split: RecordedSplit<T> = { recorded: [], unrecorded: [], unchecked: [] };
  for (const candidates of byVolume.values()) {
    candidates.sort((a, b) => time(a) - time(b) || ((a.SnapshotId as string) < (b.SnapshotId as string) ? -1 : 1));
    let evidence: T | undefined;
    let checked = 0;
    const first = candidates[0] as T;
    const { snapshotId: _first, ...volume } = of(first);
    const named = candidates.length > MAX_RECORD_CHECKS_PER_VOLUME ? await records.recordedSnapshotOf(volume) : undefined;
    for (const snapshot of candidates) {
      if (evidence === undefined && named !== undefined && snapshot.SnapshotId === named) {
        // Its volume's sealed record names it, checked just above against this incident, volume, instance, account and region.
        evidence = snapshot;
        split.recorded.push(snapshot);
        continue;
      }
      if (evidence !== undefined || checked >= MAX_RECORD_CHECKS_PER_VOLUME) {
        split.unchecked.push({ snapshot, ...(evidence !== undefined ? { evidence } : {}) });
        continue;
      }
      checked += 1;
      const verdict = await records.verify(of(snapshot));
      if (verdict.valid) {
        evidence = snapshot;
        split.recorded.push(snapshot);
      } else split.unrecorded.push({ snapshot, reason: verdict.reason });
    }
  }
  return split;
}
