/**
 * The simulated account's error vocabulary.
 *
 * `SimulatedServiceError` is an *answer*: the error AWS would send back. The wiring turns it into
 * the HTTP error response of the service's own protocol and lets the real SDK deserialize it, so
 * the responder receives exactly the exception class, `name`, `$fault` and `$metadata` it would
 * receive from AWS (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 *
 * The other two are faults of the game day itself and are thrown to the caller as they are.
 */
import { FirebreakError } from '../../contracts/errors';

/** An error answer from a simulated AWS service (code, message and HTTP status as AWS sends them). */
export class SimulatedServiceError extends FirebreakError {
  override readonly name = 'SimulatedServiceError';
  /** The AWS error code, e.g. `InvalidInstanceID.NotFound`; it becomes the SDK exception's `name`. */
  readonly code: string;
  /** HTTP status of the answer; 5xx makes the SDK mark the error `$fault: 'server'`. */
  readonly httpStatus: number;
  /** Extra members of the error body (e.g. DynamoDB's `Item` with ReturnValuesOnConditionCheckFailure). */
  readonly extra?: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, httpStatus = 400, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(message, options);
    this.code = code;
    this.httpStatus = httpStatus;
    if (options?.extra) this.extra = options.extra;
  }
}

/** The game-day environment was built wrongly (unknown VPC, duplicate id, malformed id...). */
export class SimulatorSetupError extends FirebreakError {
  override readonly name = 'SimulatorSetupError';
}

/**
 * A client called an API the simulated account does not implement. Thrown as is (not as an AWS
 * error) so that a responder using an API the game day cannot rehearse fails loudly instead of
 * silently succeeding.
 */
export class SimulatorUnsupportedApiError extends FirebreakError {
  override readonly name = 'SimulatorUnsupportedApiError';
  constructor(
    readonly api: string,
    readonly commandName: string,
  ) {
    super(
      `The simulated AWS account does not implement ${api} (${commandName}); ` +
        'add it to lib/gameday/sim or register a handler with sim.defineApi()',
    );
  }
}
