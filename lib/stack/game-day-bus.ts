/**
 * The game-day bus: the only place a game-day injection can enter Firebreak. Any principal with
 * events:PutEvents on a bus can put events with any source that does not start with `aws.`, so a
 * custom source such as `firebreak.gameday` proves nothing about who sent it; on the default bus,
 * shared by every application of the account, it would let anyone with PutEvents start playbooks.
 * This bus's resource policy allows the named game-day principals and explicitly denies every
 * other principal, of this account too (an explicit Deny in a resource policy wins over any Allow
 * in the caller's IAM policies). The policy is set on the bus itself (`AWS::Events::EventBus`
 * `Policy`), so the bus never exists without it.
 */
import { Aws } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/**
 * An IAM principal ARN allowed to inject game-day events: a user, a role (never a role session:
 * `aws:PrincipalArn` of a session is its role) or an account root, with optional `*` in the name.
 */
export const GAME_DAY_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(root|(user|role)\/[\w+=,.@/*-]+)$/;

export interface GameDayBusProps {
  /** The bus name (`<stackName>-gameday`). */
  readonly eventBusName: string;
  /** Principal ARNs (patterns) that may put events on the bus; at least one. */
  readonly principals: readonly string[];
  /** The source game-day events carry. */
  readonly source: string;
  /** The detail types a game-day event may have (the shapes triage knows). */
  readonly detailTypes: readonly string[];
  /** Where the rule sends game-day events (the dispatcher and the oversized-event intake, with retries and a dead-letter queue). */
  readonly targets: readonly events.IRuleTarget[];
}

/** A bus only the named game-day principals can put events on, and its rule to the dispatcher. */
export class GameDayBus extends Construct {
  public readonly eventBus: events.EventBus;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: GameDayBusProps) {
    super(scope, id);
    if (props.principals.length === 0) throw new Error('GameDayBus: name at least one game-day principal');
    const accounts = new Set<string>();
    for (const principal of props.principals) {
      const match = GAME_DAY_PRINCIPAL_ARN.exec(principal);
      if (!match) {
        throw new Error(
          `GameDayBus: '${principal}' is not an IAM principal ARN (arn:aws:iam::<account>:root, :user/<name> or :role/<name>)`,
        );
      }
      accounts.add(match[1]!);
    }

    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'Firebreak game-day injections: only the named game-day principals may put events here',
    });
    // Built from pseudo parameters, not the bus's own Arn attribute, which the bus cannot reference.
    const busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${props.eventBusName}`;
    const principals = [...props.principals];
    (this.eventBus.node.defaultChild as events.CfnEventBus).policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GameDayPrincipalsPutEvents',
          Effect: 'Allow',
          // Each principal's account, narrowed to the principals themselves: a cross-account
          // principal needs the resource policy to admit its account.
          Principal: { AWS: [...accounts].sort().map((account) => `arn:${Aws.PARTITION}:iam::${account}:root`) },
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { ArnLike: { 'aws:PrincipalArn': principals } },
        },
        {
          Sid: 'NobodyElsePutsEvents',
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: busArn,
          // Service principals and other buses' rules have no aws:PrincipalArn: denied as well.
          Condition: { ArnNotLike: { 'aws:PrincipalArn': principals } },
        },
      ],
    };

    this.rule = new events.Rule(this, 'Rule', {
      eventBus: this.eventBus,
      description: 'Game-day injections on the game-day bus: every shape, unfiltered, so that rehearsals exercise triage itself',
      eventPattern: { source: [props.source], detailType: [...props.detailTypes] },
      targets: [...props.targets],
    });
  }
}
