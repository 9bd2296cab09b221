/**
 * Firebreak's state in the security account: one DynamoDB table for quarantine records (what a
 * release restores), blast-radius slots, containment grants and approval requests, each kind under
 * its own key prefix (lib/contracts/security.ts `STATE_KEY_PREFIX`). Who may touch which items is
 * decided per role with `dynamodb:LeadingKeys` (`grantItems`), never by the code that calls.
 *
 * Who may write items at all is decided by the table itself: its resource policy denies every item
 * write to every principal but the roles registered as writers (`grantItems` registers each role it
 * lets write; `admitWriter` the roles whose statements are planned elsewhere). A MAC proves a record
 * was sealed by Firebreak, not that it is the latest one: only keeping everyone else from writing
 * stops a saved copy of an older record, or its release marks, being put back
 * (docs/security.md §C1). Administrators of the account are denied too: changing the policy
 * (a stack update, or dynamodb:PutResourcePolicy) is the break-glass path, and it is logged.
 */
import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ITEM_WRITE_IAM_ACTIONS } from '../contracts/iam-actions';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from '../responders/blast-radius';
import { groupsOnly } from './logical-ids';

/** The Sid of the table policy's statement that keeps item writes to Firebreak's own roles. */
export const ONLY_FIREBREAK_WRITES_ITEMS_SID = 'OnlyFirebreakRolesWriteItems';

/** The state table; groups only, so the table keeps the logical id of the flat stack. */
export class IncidentState extends Construct {
  public readonly table: dynamodb.Table;
  private readonly writers: iam.IRole[] = [];

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
      resourcePolicy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: ONLY_FIREBREAK_WRITES_ITEMS_SID,
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: [...ITEM_WRITE_IAM_ACTIONS],
            // The table's own ARN would make the table depend on itself; `*` is the table and its indexes.
            resources: ['*'],
            // The writers' exact role ARNs (aws:PrincipalArn of a role session is its role), read
            // when the stack is synthesized: the roles depend on nothing of the table, so no cycle.
            conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.writers.map((role) => role.roleArn) }) } },
          }),
        ],
      }),
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
    if (actions.some(isItemWrite)) this.admitWriter(role);
  }

  /** Lets `role` past the table's policy for item writes; its own policy still says which items. */
  admitWriter(role: iam.IRole): void {
    if (!this.writers.includes(role)) this.writers.push(role);
  }
}

/** True for an action that writes an item in place (`dynamodb:PutItem`…). */
export function isItemWrite(action: string): boolean {
  return (ITEM_WRITE_IAM_ACTIONS as readonly string[]).includes(action);
}
