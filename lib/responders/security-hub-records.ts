/**
 * The Security Hub finding of an incident, as the write-back checked it at containment
 * (`securityhub#<incident key>` in the state table): a release's input names only the incident (the
 * CLI builds it from the quarantine record), not the finding, so the release's write-back reads the
 * finding here. Written and read only by update-security-hub-finding (its role's
 * dynamodb:LeadingKeys), and only after the finding ARN was checked against the incident.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_KEY_PREFIX } from '../contracts/security';
import type { StringItemStore } from './string-item-store';
import { stringItemStore } from './string-item-store';

/** One incident's finding in Security Hub. */
export interface SecurityHubFindingRecord {
  readonly incidentKey: string;
  /** The finding's Security Hub Id (GuardDuty's finding ARN) and product ARN. */
  readonly id: string;
  readonly productArn: string;
  readonly account: string;
  readonly region: string;
  /** ISO 8601. */
  readonly recordedAt: string;
}

export interface SecurityHubFindingRecords {
  get(incidentKey: string): Promise<SecurityHubFindingRecord | undefined>;
  /** Writes (or rewrites, the same on a redelivery) the incident's finding. */
  put(record: SecurityHubFindingRecord): Promise<void>;
}

export const securityHubRecordKey = (incidentKey: string): string => `${STATE_KEY_PREFIX.securityHub}${incidentKey}`;

const FIELDS = { required: ['id', 'productArn', 'account', 'region', 'recordedAt'] } as const;

/** The state-table store (the incident key is the item's key, not one of its fields). */
export class DynamoDbSecurityHubFindingRecords implements SecurityHubFindingRecords {
  private readonly items: StringItemStore<(typeof FIELDS.required)[number]>;

  constructor(client: DynamoDBClient, table: string) {
    this.items = stringItemStore(client, table, FIELDS);
  }

  async get(incidentKey: string): Promise<SecurityHubFindingRecord | undefined> {
    const values = await this.items.get(securityHubRecordKey(incidentKey));
    return values && { incidentKey, ...values };
  }

  async put(record: SecurityHubFindingRecord): Promise<void> {
    return this.items.put(securityHubRecordKey(record.incidentKey), record);
  }
}

/** In-process store with the same semantics (tests). */
export class InMemorySecurityHubFindingRecords implements SecurityHubFindingRecords {
  readonly records = new Map<string, SecurityHubFindingRecord>();

  async get(incidentKey: string): Promise<SecurityHubFindingRecord | undefined> {
    return this.records.get(incidentKey);
  }

  async put(record: SecurityHubFindingRecord): Promise<void> {
    this.records.set(record.incidentKey, record);
  }
}
