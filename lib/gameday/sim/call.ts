/**
 * One API call as a simulated service sees it: who calls, where, with what input, and the two
 * checks every handler may need (one more IAM action; EC2's DryRun gate).
 */
import { SimulatedServiceError } from './errors';
import type { CallerIdentity } from './model';

/** Services the simulated account answers, by their IAM prefix. */
export type ServiceName = 'ec2' | 'iam' | 'sns' | 'sqs' | 'sts' | 'dynamodb' | 'states' | 'events' | 'kms' | 'autoscaling' | 'elasticloadbalancing' | 'route53resolver' | 's3' | 'securityhub' | 'guardduty';

export interface SimCall {
  readonly service: ServiceName;
  /** The API name, e.g. `ModifyNetworkInterfaceAttribute`. */
  readonly action: string;
  /** `service:action`, e.g. `ec2:ModifyNetworkInterfaceAttribute` (also the IAM action). */
  readonly api: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly caller: CallerIdentity;
  /** The account the call acts in (the caller's) and the client's region. */
  readonly account: string;
  readonly region: string;
  /** EC2's `DryRun: true`. */
  readonly dryRun: boolean;
  /** Checks one more IAM action the call needs (e.g. `ec2:CreateTags` for TagSpecifications). */
  authorize(action: string, resource?: string): void;
  /**
   * EC2 DryRun: everything has been checked, nothing may change. Throws DryRunOperation
   * ("Request would have succeeded, but DryRun flag is set.") when the call is a dry run
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html).
   */
  dryRunGate(): void;
}

/** The error each service answers when IAM denies an action. */
export function accessDenied(
  service: ServiceName,
  caller: CallerIdentity,
  action: string,
  reason: string,
  resource?: string,
  decision?: Readonly<Record<string, unknown>>,
): SimulatedServiceError {
  const on = resource ? ` on resource: ${resource}` : '';
  switch (service) {
    case 'ec2': {
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (UnauthorizedOperation).
      // EC2 encodes the decision (sts:DecodeAuthorizationMessage reads it); here it is base64 JSON.
      const encoded = decision ? ` Encoded authorization failure message: ${Buffer.from(JSON.stringify(decision)).toString('base64url')}` : '';
      return new SimulatedServiceError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. User: ${caller.sessionArn} is not authorized to perform: ${action}${on} ${reason}.${encoded}`,
        403,
      );
    }
    case 'sns':
      return new SimulatedServiceError(
        'AuthorizationError',
        `User: ${caller.sessionArn} is not authorized to perform: ${action.replace(/^sns:/, 'SNS:')}${on} ${reason}`,
        403,
      );
    case 'iam':
    case 'sts':
    case 's3':
    case 'sqs':
    case 'autoscaling':
    case 'elasticloadbalancing':
      return new SimulatedServiceError('AccessDenied', `User: ${caller.sessionArn} is not authorized to perform: ${action}${on} ${reason}`, 403);
    case 'dynamodb':
    case 'states':
    case 'events':
    case 'kms':
    default:
      // JSON-protocol services (and Lambda, whose invocations the engine authorizes itself).
      return new SimulatedServiceError(
        'AccessDeniedException',
        `User: ${caller.sessionArn} is not authorized to perform: ${action}${on} ${reason}`,
        400,
      );
  }
}

/** EC2's answer to a permitted dry run; HTTP 412 as EC2 sends it. */
export function dryRunOperation(): SimulatedServiceError {
  return new SimulatedServiceError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

/** What a simulated API does with one call: the output (without `$metadata`) or a thrown error. */
export type ApiHandler = (call: SimCall) => object;

/**
 * The call's input as the SDK command's input type. The input is what the caller's SDK command
 * carried; like AWS, a handler reads only the members it knows.
 */
export function inputOf<T extends object>(call: SimCall): T {
  return call.input as T;
}
