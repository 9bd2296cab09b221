/**
 * Firebreak's state in the security account: one DynamoDB table for quarantine records (what a
 * release restores), blast-radius slots, containment grants and approval requests, each kind under
 * its own key prefix (lib/contracts/security.ts `STATE_KEY_PREFIX`). Who may touch which items is
 * decided per role with `dynamodb:LeadingKeys` (`grantItems`), never by the code that calls.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from '../responders/blast-radius';
import { groupsOnly } from './logical-ids';

/** The state table; groups only, so the table keeps the logical id of the flat stack. */
export class IncidentState extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    groupsOnly(this);
    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Blast-radius slots expire on their own; records and grants carry no such attribute.
      timeToLiveAttribute: BLAST_RADIUS_TTL_ATTRIBUTE,
      deletionProtection: true,
      // The records are what a release restores instances from: never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** One more statement for `role`: `actions` on the items whose key starts with `prefix`, no other. */
  grantItems(role: iam.IRole, sid: string, actions: readonly string[], prefix: string): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid,
        actions: [...actions],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${prefix}*` } },
      }),
    );
  }
}
