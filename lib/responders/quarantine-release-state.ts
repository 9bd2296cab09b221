/**
 * Whether an instance's pre-quarantine record is marked released, read from the attributes
 * quarantine-records.ts keeps beside the sealed record (`incidentKey`, `released`, `releasedAt`,
 * `releasedBy`, the claims, the capture time and the claim serial), never the record itself:
 * unblock-dns-domains lifts a VPC-wide DNS block only once release-instance has released the
 * instance, and the containment guard of a release reads the claims. A leaf module, so that the unblock does not bundle
 * the record's schemas (docs/architecture.md, "Lean Lambda bundles").
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toResponderError } from '../aws/errors';
import { ResponderFailedError } from '../contracts/responder-errors';

/** The record's partition key: one record per instance, whatever the incident. */
export function quarantineRecordKey(account: string, region: string, instanceId: string): string {
  return `quarantine#${account}#${region}#${instanceId}`;
}

/** What the record says of the instance's release. */
export interface QuarantineReleaseState {
  /** The incident that quarantined the instance. */
  readonly incidentKey: string;
  /** Set by release-instance once the instance is back to the recorded state. */
  readonly released: boolean;
  readonly releasedAt?: string;
  /** The approver of the release. */
  readonly releasedBy?: string;
  /** The incidents that hold the instance quarantined (absent in a record older than claims: its own incident). */
  readonly claims?: readonly string[];
  /** The incidents whose claim a release took back (the last of them restored the instance). */
  readonly releasedClaims?: readonly string[];
  /** When the record was captured: which containment of the instance this is. */
  readonly capturedAt?: string;
  /** How many claims were written on the record (absent in a record older than claim serials: 0). */
  readonly claimSerial?: number;
}

/** The incidents that hold an unreleased record (pure): its claims, or its own incident for a record older than claims. */
export function claimsOf(record: Pick<QuarantineReleaseState, 'claims' | 'incidentKey'>): readonly string[] {
  return record.claims ?? [record.incidentKey];
}

/**
 * A record's claim serial (pure): every claim written on the record advances it, the writer's first
 * one and a claim of an incident that holds one already (quarantine-records.ts). A record written
 * before claim serials has none: 0, on every side that compares them.
 */
export function claimSerialOf(record: { readonly claimSerial?: number }): number {
  return record.claimSerial ?? 0;
}

/**
 * Whether the record says the instance was released for `incidentKey` (pure): released, and that
 * incident's claim among those taken back (or, in a record older than claims, its own incident).
 */
export function releasedFor(state: QuarantineReleaseState, incidentKey: string): boolean {
  return state.released && (state.incidentKey === incidentKey || (state.releasedClaims ?? []).includes(incidentKey));
}

/** Reads the release state of an instance's record; undefined when Firebreak holds no record of it. */
export interface QuarantineReleaseStates {
  releaseStateOf(account: string, region: string, instanceId: string): Promise<QuarantineReleaseState | undefined>;
}

/** DynamoDB adapter: a consistent GetItem of the release attributes (the release may have just marked it). */
export class DynamoDbQuarantineReleaseStates implements QuarantineReleaseStates {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async releaseStateOf(account: string, region: string, instanceId: string): Promise<QuarantineReleaseState | undefined> {
    if (!this.tableName) throw new ResponderFailedError('No state table configured: set FIREBREAK_STATE_TABLE to the DynamoDB table name');
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: quarantineRecordKey(account, region, instanceId) } },
          ConsistentRead: true,
          // The capture and claim serial with the claims, in the same read: a release's grant binds them.
          ProjectionExpression: 'incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial',
        }),
      ));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (!item) return undefined;
    const incidentKey = item.incidentKey?.S;
    if (incidentKey === undefined) throw new ResponderFailedError(`Quarantine record for ${instanceId} has no incidentKey attribute`);
    return {
      incidentKey,
      released: item.released?.BOOL === true,
      ...(item.releasedAt?.S !== undefined ? { releasedAt: item.releasedAt.S } : {}),
      ...(item.releasedBy?.S !== undefined ? { releasedBy: item.releasedBy.S } : {}),
      ...(item.claims?.SS !== undefined ? { claims: [...item.claims.SS].sort() } : {}),
      ...(item.releasedClaims?.SS !== undefined ? { releasedClaims: [...item.releasedClaims.SS].sort() } : {}),
      ...(item.capturedAt?.S !== undefined ? { capturedAt: item.capturedAt.S } : {}),
      ...(item.claimSerial?.N !== undefined ? { claimSerial: Number(item.claimSerial.N) } : {}),
    };
  }
}
