/**
 * A state machine deployed from a compiled ASL definition (lib/playbooks/compile.ts or
 * dispatcher.ts) with its definition substitutions, logging of every event with execution data
 * to its own log group, and X-Ray tracing. The definition goes into the template as the JSON object
 * the compiler produced (`Definition`), not as a string of it (`DefinitionString`, what the CDK's
 * own bodies write): written as a string inside the template's JSON, every quote of the definition
 * is escaped, about 45 KB of the shipped template's 750 (state machines are two thirds of it), and
 * CloudFormation refuses a template over 1 MB. The object is the compiler's, key for key, so its
 * JSON text is still byte for byte what the local game day runs (synthesizeDefinitions in app.ts).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CompiledStateMachine } from '../playbooks/compile';
import { INTRINSIC_KEY_REFUSAL, intrinsicKeyPath } from '../playbooks/compile';

export interface CompiledStateMachineProps {
  readonly compiled: CompiledStateMachine;
  readonly type: sfn.StateMachineType;
  /** @default a name CloudFormation generates */
  readonly stateMachineName?: string;
  readonly comment: string;
  /** A value for every placeholder `compiled.substitutions` lists, and no other. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Functions the definition invokes (granted lambda:InvokeFunction on the unqualified ARN only). */
  readonly invokes: readonly lambda.IFunction[];
  /** Further permissions (StartExecution, SendMessage…). */
  readonly statements?: readonly iam.PolicyStatement[];
  readonly logRetention: logs.RetentionDays;
  /**
   * Log each event's input and output. Off for playbooks that wait for approval: the waiting
   * state's parameters carry the task token (docs/security.md).
   * @default true
   */
  readonly includeExecutionData?: boolean;
}

/**
 * A definition body given to CloudFormation as a JSON object (the `Definition` property, which
 * `DefinitionSubstitutions` apply to as to `DefinitionString`:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).
 */
class ObjectDefinitionBody extends sfn.DefinitionBody {
  constructor(private readonly definition: object) {
    super();
    // CloudFormation resolves intrinsic functions inside a Json property as anywhere else: a
    // {"Ref": …} or {"Fn::…": …} in the definition would be replaced at deployment. The compiler
    // refuses such keys in a playbook's options; this keeps any other way in out as well.
    const found = intrinsicKeyPath(definition, '$');
    if (found !== undefined) throw new Error(`state machine definition key ${found}: ${INTRINSIC_KEY_REFUSAL}`);
  }

  bind(): sfn.DefinitionConfig {
    return { definition: this.definition };
  }
}

/** A Step Functions state machine running a compiled definition. */
export class CompiledStateMachineConstruct extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CompiledStateMachineProps) {
    super(scope, id);
    const wanted = [...props.compiled.substitutions].sort();
    const given = Object.keys(props.substitutions).sort();
    if (JSON.stringify(wanted) !== JSON.stringify(given)) {
      throw new Error(
        `${id}: the definition uses substitutions [${wanted.join(', ')}] but [${given.join(', ')}] were given`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs resource policies under their size limit
      // when many state machines log (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
      ...(props.stateMachineName ? { logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}` } : {}),
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      ...(props.stateMachineName ? { stateMachineName: props.stateMachineName } : {}),
      comment: props.comment,
      stateMachineType: props.type,
      definitionBody: new ObjectDefinitionBody(props.compiled.definition),
      definitionSubstitutions: { ...props.substitutions },
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: props.includeExecutionData ?? true },
      tracingEnabled: true,
    });

    if (props.invokes.length > 0) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'InvokeResponders',
          actions: ['lambda:InvokeFunction'],
          resources: props.invokes.map((fn) => fn.functionArn),
        }),
      );
    }
    for (const statement of props.statements ?? []) this.stateMachine.addToRolePolicy(statement);

    // cdk-nag's finding for "*" names the resource only, not the actions: this acknowledgement
    // covers any action later granted on "*" to this role too. What keeps the role to these twelve
    // actions is the allow-list in test/stack/wildcard-resources.test.ts, not cdk-nag.
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the actions Step Functions adds for logging and tracing use Resource "*": the CloudWatch Logs delivery APIs ' +
        '(CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, ' +
        'DescribeResourcePolicies, DescribeLogGroups) and X-Ray PutTraceSegments/PutTelemetryRecords/GetSamplingRules/' +
        'GetSamplingTargets do not support resource-level permissions ' +
        '(https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy, ' +
        'https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html).',
    });
  }
}
