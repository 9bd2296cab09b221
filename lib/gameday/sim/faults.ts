/**
 * Faults a game day injects on request: throttling, 5xx and any other error code, consumed one per
 * attempt in the order they were injected. The SDK's own retry sees them exactly as it would see
 * AWS's answers (EC2 throttles with `RequestLimitExceeded` over HTTP 503:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
 */
import { matchesAction } from './permissions';
import { SimulatedServiceError } from './errors';

export interface FaultSpec {
  /** The API, IAM style: `ec2:ModifyNetworkInterfaceAttribute`; wildcards allowed (`ec2:*`). */
  readonly api: string;
  /** The AWS error code to answer with, e.g. `RequestLimitExceeded`, `InternalError`, or any code. */
  readonly error: string;
  /** How many attempts it answers (default 1). */
  readonly times?: number;
  /** The message; defaults to AWS's wording for known codes. */
  readonly message?: string;
  /** The HTTP status; defaults to AWS's for known codes (503 throttling on EC2, 500 internal), else 400. */
  readonly httpStatus?: number;
  /** Only calls in this account / region. */
  readonly account?: string;
  readonly region?: string;
  /** Only calls whose input satisfies this predicate (e.g. one ENI id). */
  readonly when?: (input: Readonly<Record<string, unknown>>) => boolean;
  /**
   * The call takes effect first and only its answer is the error: a response lost on its way back
   * (a connection reset, a timeout after the service acted). The caller cannot tell it changed
   * something, and the SDK's retry sends it again.
   */
  readonly answerLost?: boolean;
}

/** An injected fault's answer: the error, and whether the call takes effect before it. */
export interface FaultAnswer {
  readonly error: SimulatedServiceError;
  readonly answerLost: boolean;
}

/** What an injected fault has done so far. */
export interface InjectedFault {
  readonly spec: FaultSpec;
  /** Attempts it has answered. */
  readonly consumed: number;
  /** Attempts it will still answer. */
  readonly remaining: number;
}

const KNOWN_FAULTS: Readonly<Record<string, { status: number; message: string }>> = {
  RequestLimitExceeded: { status: 503, message: 'Request limit exceeded.' },
  InternalError: { status: 500, message: 'An internal error has occurred' },
  InternalFailure: { status: 500, message: 'The request processing has failed because of an unknown error, exception or failure.' },
  Unavailable: { status: 503, message: 'The server is overloaded and cannot handle the request.' },
  ServiceUnavailable: { status: 503, message: 'The service is unavailable. Please try again later.' },
  Throttling: { status: 400, message: 'Rate exceeded' },
  ThrottlingException: { status: 400, message: 'Rate exceeded' },
  TooManyRequestsException: { status: 429, message: 'Too many requests' },
  ProvisionedThroughputExceededException: {
    status: 400,
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
};

interface FaultEntry {
  readonly spec: FaultSpec;
  consumed: number;
  remaining: number;
}

export class FaultQueue {
  private readonly entries: FaultEntry[] = [];

  inject(spec: FaultSpec): InjectedFault {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault times must be a positive integer (got ${times})`);
    const entry: FaultEntry = { spec, consumed: 0, remaining: times };
    this.entries.push(entry);
    return {
      spec,
      get consumed() {
        return entry.consumed;
      },
      get remaining() {
        return entry.remaining;
      },
    };
  }


  pending(): InjectedFault[] {
    return this.entries.filter((e) => e.remaining > 0).map((e) => ({ spec: e.spec, consumed: e.consumed, remaining: e.remaining }));
  }

  /** Consumes the first matching fault and returns the error to answer with, if any. */
  take(api: string, account: string, region: string, input: Readonly<Record<string, unknown>>): FaultAnswer | undefined {
    for (const entry of this.entries) {
      if (entry.remaining <= 0) continue;
      const { spec } = entry;
      if (!matchesAction(spec.api, api)) continue;
      if (spec.account !== undefined && spec.account !== account) continue;
      if (spec.region !== undefined && spec.region !== region) continue;
      if (spec.when && !spec.when(input)) continue;
      entry.remaining -= 1;
      entry.consumed += 1;
      const known = KNOWN_FAULTS[spec.error];
      const error = new SimulatedServiceError(spec.error, spec.message ?? known?.message ?? `Simulated ${spec.error} injected by the game day`, spec.httpStatus ?? known?.status ?? 400);
      return { error, answerLost: spec.answerLost === true };
    }
    return undefined;
  }
}
