/**
 * The Security Hub finding of an incident, as the write-back checked it at containment
 * (`securityhub#<incident key>` in the state table): a release's input names only the incident (the
 * CLI builds it from the quarantine record), not the finding, so the release's write-back reads the
 * finding here. Written and read only by update-security-hub-finding (its role's
 * dynamodb:LeadingKeys), and only after the finding ARN was checked against the incident.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toResponderError } from '../aws/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';

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

const FIELDS = ['id', 'productArn', 'account', 'region', 'recordedAt'] as const;

/** The state-table store. */
export class DynamoDbSecurityHubFindingRecords implements SecurityHubFindingRecords {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(incidentKey: string): Promise<SecurityHubFindingRecord | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: securityHubRecordKey(incidentKey) } }, ConsistentRead: true })));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (item === undefined) return undefined;
    const values = Object.fromEntries(FIELDS.map((field) => [field, item[field]?.S]));
    if (FIELDS.some((field) => typeof values[field] !== 'string')) return undefined;
    return { incidentKey, ...(values as Record<(typeof FIELDS)[number], string>) };
  }

  async put(record: SecurityHubFindingRecord): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: { S: securityHubRecordKey(record.incidentKey) }, ...Object.fromEntries(FIELDS.map((field) => [field, { S: record[field] }])) },
        }),
      );
    } catch (error) {
      throw toResponderError(error, 'dynamodb:PutItem');
    }
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
