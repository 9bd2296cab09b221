/**
 * The chain of custody of a forensic copy: who copied which evidence snapshot, when, to which
 * snapshot of the forensic account, under which key, and what EC2 reported of the source and of
 * the copy (the DescribeSnapshots answer itself, canonical JSON, and its SHA-256). One record per
 * evidence snapshot shared with the forensic account, in the state table under
 * `custody#<incident key>#<source snapshot id>`: first written (once, conditional PutItem) before
 * the source is shared, as the intent (`sharing`), so no share exists without a record; then
 * replaced, revision by revision, as the copy is made and confirmed or the share taken back. Each
 * version is sealed with the deployment's record key (record-mac.ts,
 * `KmsMac`, under a scheme label of its own). A stored record is a claim: `get` verifies the seal
 * and the hashes before anything trusts it.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Snapshot } from '@aws-sdk/client-ec2';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, toResponderError } from '../aws/errors';
import type { KmsMac, SealVerdict } from './record-mac';
import { canonicalJson } from '../contracts/canonical-json';
import { sha256Hex } from '../incident/keys';
import { RECORD_MAC_ALGORITHM } from './record-mac';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { FirebreakError } from '../contracts/errors';

/** The label of the custody record's sealed serialization; never a quarantine record's. */
export const CUSTODY_SEAL_SCHEME = 'firebreak-evidence-custody/v1';

/** The state-table key prefix of custody records. */
export const CUSTODY_KEY_PREFIX = STATE_KEY_PREFIX.custody;

/** The partition key of one copy's custody record. */
export function custodyRecordKey(incidentKey: string, sourceSnapshotId: string): string {
  return `${CUSTODY_KEY_PREFIX}${incidentKey}#${sourceSnapshotId}`;
}

/** What EC2 reported of one snapshot: the canonical JSON of its DescribeSnapshots entry, and that text's SHA-256. */
export interface SnapshotReport {
  readonly json: string;
  readonly sha256: string;
}

/** The canonical JSON (sorted keys, ISO times) of a DescribeSnapshots entry, and its SHA-256 (pure). */
export function snapshotReport(snapshot: Snapshot): SnapshotReport {
  const json = canonicalJson(JSON.parse(JSON.stringify(snapshot)));
  return { json, sha256: sha256Hex(json) };
}

/**
 * Where a copy stands: `sharing` from before the source is shared until CopySnapshot answers (the
 * intent: no share without a record); `pending` from CopySnapshot until the forensic account
 * reports the copy `completed` or `error` (`failed`); `withdrawn` when the share was taken back
 * before any copy was made (a drill whose instance was no longer opted in); `share-refused` when
 * EC2 refused the share in a way that proves none was made (`shareRefusals` says how; a rerun seals
 * `sharing` again before it tries); `refused-copy-kept` when a drill was refused after its copy
 * started: the copy stays in the forensic account (evidence is never deleted), named in the record,
 * for the drill's owner to remove by hand.
 */
export type CustodyStatus = 'sharing' | 'pending' | 'completed' | 'failed' | 'withdrawn' | 'share-refused' | 'refused-copy-kept';

/** Every custody status, in the order a copy goes through them. */
export const CUSTODY_STATUSES = ['sharing', 'pending', 'completed', 'failed', 'withdrawn', 'share-refused', 'refused-copy-kept'] as const satisfies readonly CustodyStatus[];

/** At most this many share refusals are kept in a record: the first, and the latest after it (each numbered by its attempt). */
export const MAX_SHARE_REFUSALS = 10;

/** One share EC2 refused: when, and its error's name and message (cut to a bound). */
export interface ShareRefusal {
  /** 1 for the first refusal of this source's share, counting every refusal (gaps show refusals left out). */
  readonly attempt: number;
  readonly at: string;
  readonly error: { readonly name: string; readonly message: string };
}

/** The record's refusals with one more (pure): the first kept, then the latest, at most `MAX_SHARE_REFUSALS` in all. */
export function withShareRefusal(earlier: readonly ShareRefusal[] | undefined, at: string, error: ShareRefusal['error']): ShareRefusal[] {
  const all = [...(earlier ?? []), { attempt: (earlier?.at(-1)?.attempt ?? 0) + 1, at, error }];
  return all.length <= MAX_SHARE_REFUSALS ? all : [all[0]!, ...all.slice(-(MAX_SHARE_REFUSALS - 1))];
}

/** Why the forensic account's share of a source was taken back: its copy completed, or a drill was refused mid-copy. */
export type ShareRemovalReason = 'copy-completed' | 'drill-refused';

/** What the forensic account reported of the copy when Firebreak confirmed it: its final DescribeSnapshots answer and hash. */
export interface CustodyConfirmation {
  /** ISO 8601 time of the DescribeSnapshots that found the copy completed or failed. */
  readonly at: string;
  /** The copy's state then: `completed`, `error`, or `missing` (no longer in the forensic account). */
  readonly copyState: 'completed' | 'error' | 'missing';
  /** The final DescribeSnapshots entry of the copy (absent when missing). */
  readonly copy?: SnapshotReport;
  /** Why it failed: EC2's StateMessage, or why the copy is gone. */
  readonly reason?: string;
}

/** The forensic account's createVolumePermission on the source: removed once the copy completed (or a drill was refused), or why it stays. */
export interface ShareRemoval {
  readonly removed: boolean;
  readonly at: string;
  readonly detail: string;
  /** Why it was taken back (absent in records written before reasons were recorded: the copy completed). */
  readonly reason?: ShareRemovalReason;
}

/** One forensic copy, as the custody record keeps it. */
export interface CustodyRecord {
  readonly incidentKey: string;
  readonly instanceId: string;
  readonly sourceAccount: string;
  readonly region: string;
  readonly sourceVolumeId: string;
  readonly sourceSnapshotId: string;
  readonly source: SnapshotReport;
  readonly forensicAccount: string;
  /** The copy (absent while `sharing`, and when `withdrawn`: no copy was made). */
  readonly copySnapshotId?: string;
  /** What DescribeSnapshots reported of the copy right after CopySnapshot (absent with the copy id). */
  readonly copy?: SnapshotReport;
  /** The forensic account's KMS key the copy is encrypted with (as configured, the ARN CopySnapshot was given). */
  readonly kmsKeyId: string;
  /** ISO 8601 time of the CopySnapshot call (absent with the copy id). */
  readonly copiedAt?: string;
  /** Who: the execution, the responder and the forensic-account role that made the copy. */
  readonly copiedBy: { readonly executionArn?: string; readonly responder: string; readonly forensicRoleArn: string };
  /** Where the copy stands (absent in records written before the confirmation existed: pending). */
  readonly status?: CustodyStatus;
  /** The confirmation that sealed the record completed or failed. */
  readonly confirmed?: CustodyConfirmation;
  /** The source's share with the forensic account: taken back once the copy is confirmed, or when a drill is refused mid-copy. */
  readonly unshare?: ShareRemoval;
  /** The shares EC2 refused, kept through every later state (absent when none was). */
  readonly shareRefusals?: readonly ShareRefusal[];
  readonly seal?: { readonly scheme: typeof CUSTODY_SEAL_SCHEME; readonly algorithm: typeof RECORD_MAC_ALGORITHM; readonly keyId: string; readonly mac: string };
}

const reportSchema = z.strictObject({ json: z.string(), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) });
const custodyRecordSchema = z.strictObject({
  incidentKey: z.string(),
  instanceId: z.string(),
  sourceAccount: z.string(),
  region: z.string(),
  sourceVolumeId: z.string(),
  sourceSnapshotId: z.string(),
  source: reportSchema,
  forensicAccount: z.string(),
  copySnapshotId: z.optional(z.string()),
  copy: z.optional(reportSchema),
  kmsKeyId: z.string(),
  copiedAt: z.optional(z.string()),
  copiedBy: z.strictObject({ executionArn: z.optional(z.string()), responder: z.string(), forensicRoleArn: z.string() }),
  status: z.optional(z.enum(CUSTODY_STATUSES)),
  confirmed: z.optional(
    z.strictObject({ at: z.string(), copyState: z.enum(['completed', 'error', 'missing']), copy: z.optional(reportSchema), reason: z.optional(z.string()) }),
  ),
  unshare: z.optional(z.strictObject({ removed: z.boolean(), at: z.string(), detail: z.string(), reason: z.optional(z.enum(['copy-completed', 'drill-refused'])) })),
  shareRefusals: z.optional(z.array(z.strictObject({ attempt: z.number(), at: z.string(), error: z.strictObject({ name: z.string(), message: z.string() }) }))),
  seal: z.optional(
    z.strictObject({ scheme: z.literal(CUSTODY_SEAL_SCHEME), algorithm: z.literal(RECORD_MAC_ALGORITHM), keyId: z.string(), mac: z.string().check(z.minLength(1)) }),
  ),
});

/** The bytes the record key MACs (pure): the scheme label and the SHA-256 of every field but the seal, canonical. */
export function custodyMacMessage(record: CustodyRecord): Uint8Array {
  const { seal: _seal, ...sealed } = record;
  const digest = sha256Hex(canonicalJson({ scheme: CUSTODY_SEAL_SCHEME, ...sealed }));
  return new TextEncoder().encode(`${CUSTODY_SEAL_SCHEME}\nsha256:${digest}`);
}

/** Why a stored record is not trusted: its hashes do not match the reports it carries (pure), or undefined. */
export function custodyHashProblem(record: CustodyRecord): string | undefined {
  const reports = [['source', record.source], ...(record.copy ? ([['copy', record.copy]] as const) : []), ...(record.confirmed?.copy ? ([['confirmed copy', record.confirmed.copy]] as const) : [])] as const;
  for (const [what, report] of reports) {
    if (sha256Hex(report.json) !== report.sha256) return `the ${what} report does not hash to its recorded SHA-256`;
  }
  return undefined;
}

/** A custody record read back, with the verdict on it: a stored record is a claim until the seal and hashes hold. */
export interface ReadCustody {
  readonly record: CustodyRecord;
  readonly verdict: SealVerdict;
  /** The item's revision (1 when first written; absent in items written before revisions). */
  readonly revision?: number;
}

/** Where a record read back stands: its status, pending when it has none (written before confirmations). */
export function custodyStatus(record: CustodyRecord): CustodyStatus {
  return record.status ?? 'pending';
}

/**
 * A custody item is in the state table but is no custody record at all (not JSON, or not the record's
 * shape): written by someone other than Firebreak. Never read as "no record" (which would start a
 * share and a copy over it, or skip a drill's withdrawal), nor acted on: the caller names it.
 */
export class CustodyRecordUnreadableError extends FirebreakError {
  override readonly name = 'CustodyRecordUnreadableError';
}

/** Where custody records live (the state table; tests may use anything with the same semantics). */
export interface CustodyStore {
  /** Seals and writes the record unless one exists for the same copy: `exists` then (the first is kept). */
  saveIfAbsent(record: CustodyRecord): Promise<{ readonly outcome: 'saved' | 'exists'; readonly record: CustodyRecord }>;
  /**
   * Seals and writes the next state of an existing record (sharing → pending/withdrawn/share-refused,
   * share-refused → sharing, pending → completed/failed/refused-copy-kept, or the share removed later), only if the stored item is still at `revision` (absent: an item written before
   * revisions): `conflict` when another run changed it first (nothing written).
   */
  replace(record: CustodyRecord, revision: number | undefined): Promise<{ readonly outcome: 'saved' | 'conflict'; readonly record: CustodyRecord }>;
  /**
   * The record of the copy of `sourceSnapshotId` for the incident, verified; undefined when none.
   * Throws CustodyRecordUnreadableError when an item is there but is no custody record.
   */
  get(incidentKey: string, sourceSnapshotId: string): Promise<ReadCustody | undefined>;
}

/** The state-table custody store, sealing with the deployment's record key. */
export class DynamoDbCustodyStore implements CustodyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly mac: KmsMac,
  ) {}

  private async seal(record: CustodyRecord): Promise<CustodyRecord> {
    const { seal: _old, ...unsealed } = record;
    const { keyId, mac } = await this.mac.generate(custodyMacMessage(unsealed));
    return { ...unsealed, seal: { scheme: CUSTODY_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac } };
  }

  private item(sealed: CustodyRecord, revision: number) {
    return {
      pk: { S: custodyRecordKey(sealed.incidentKey, sealed.sourceSnapshotId) },
      incidentKey: { S: sealed.incidentKey },
      sourceSnapshotId: { S: sealed.sourceSnapshotId },
      ...(sealed.copySnapshotId !== undefined ? { copySnapshotId: { S: sealed.copySnapshotId } } : {}),
      forensicAccount: { S: sealed.forensicAccount },
      ...(sealed.copiedAt !== undefined ? { copiedAt: { S: sealed.copiedAt } } : {}),
      status: { S: custodyStatus(sealed) },
      revision: { N: String(revision) },
      record: { S: JSON.stringify(sealed) },
    };
  }

  async saveIfAbsent(record: CustodyRecord): Promise<{ readonly outcome: 'saved' | 'exists'; readonly record: CustodyRecord }> {
    const sealed = await this.seal(record);
    try {
      // Written once: a redelivered step cannot rewrite who shared what, and when (later states replace it over its revision).
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: this.item(sealed, 1), ConditionExpression: 'attribute_not_exists(pk)' }));
      return { outcome: 'saved', record: sealed };
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return { outcome: 'exists', record: sealed };
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  async replace(record: CustodyRecord, revision: number | undefined): Promise<{ readonly outcome: 'saved' | 'conflict'; readonly record: CustodyRecord }> {
    const sealed = await this.seal(record);
    const previous = revision ?? 0;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.item(sealed, previous + 1),
          // Only the state read: two runs confirming the same copy cannot both write (the second reads again).
          ConditionExpression: revision === undefined ? 'attribute_exists(pk) AND attribute_not_exists(revision)' : 'revision = :revision',
          ...(revision === undefined ? {} : { ExpressionAttributeValues: { ':revision': { N: String(revision) } } }),
        }),
      );
      return { outcome: 'saved', record: sealed };
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return { outcome: 'conflict', record: sealed };
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  async get(incidentKey: string, sourceSnapshotId: string): Promise<ReadCustody | undefined> {
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: custodyRecordKey(incidentKey, sourceSnapshotId) } }, ConsistentRead: true }),
      ));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (!item) return undefined;
    const read = await verifyStoredCustody(item.record?.S, this.mac, incidentKey, sourceSnapshotId);
    if (read === undefined) {
      throw new CustodyRecordUnreadableError(
        `The custody record of ${sourceSnapshotId} (${custodyRecordKey(incidentKey, sourceSnapshotId)}) is in the state table but is not a custody record (not JSON, or not its shape): nothing shared, copied, confirmed or unshared on its word; the source ${sourceSnapshotId} is kept. Check the state table by hand.`,
      );
    }
    const revision = item.revision?.N !== undefined ? Number(item.revision.N) : undefined;
    return read === undefined || revision === undefined || !Number.isSafeInteger(revision) ? read : { ...read, revision };
  }
}

/** Parses and verifies a stored custody record (its shape, its key, its hashes, its seal). */
export async function verifyStoredCustody(json: string | undefined, mac: Pick<KmsMac, 'verify'>, incidentKey: string, sourceSnapshotId: string): Promise<ReadCustody | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? '');
  } catch {
    return undefined;
  }
  const parsed = custodyRecordSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const record = parsed.data as CustodyRecord;
  const refuse = (reason: string): ReadCustody => ({ record, verdict: { valid: false, reason } });
  if (record.incidentKey !== incidentKey || record.sourceSnapshotId !== sourceSnapshotId) return refuse('the record names another incident or snapshot than its key');
  const hashProblem = custodyHashProblem(record);
  if (hashProblem !== undefined) return refuse(hashProblem);
  if (!record.seal) return refuse('the record carries no MAC');
  return { record, verdict: await mac.verify(custodyMacMessage(record), record.seal.mac, 'copy-evidence') };
}
