/**
 * Classifies AWS SDK errors into the responders' vocabulary. EC2 reports throttling as
 * `RequestLimitExceeded` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html)
 * and dry-run outcomes as the *errors* `DryRunOperation` / `UnauthorizedOperation`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ResponderAccessDeniedError,
  ResponderFailedError,
  TransientResponderError,
} from '../contracts/responder-errors';

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  // SNS Publish: `Throttled`, and KMSThrottlingException for the key behind an encrypted topic
  // (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors).
  'Throttled',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalErrorException',
  'KMSThrottlingException',
  'InternalFailure',
  'InternalServerError',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
]);

const ACCESS_DENIED_CODES = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'AuthorizationError',
  // SDK v3 names query-protocol modeled errors after the exception class (SNS, IAM).
  'AuthorizationErrorException',
  // SNS Publish to an encrypted topic whose key denies the publisher.
  'KMSAccessDeniedException',
  'InvalidClientTokenId',
  'ExpiredToken',
]);

/**
 * Whether an SDK v3 error is the service's error `code` as its API reference spells it. The SDK
 * names a modeled error of a query-protocol service after its exception class, which adds
 * `Exception` to the wire code: IAM's NoSuchEntity arrives as a `NoSuchEntityException` whose
 * `Code` is `NoSuchEntity`, so comparing the name with the documented code alone never matches.
 */
export function isAwsError(error: unknown, code: string): boolean {
  const name = awsErrorCode(error);
  return name === code || name === `${code}Exception` || (error as { Code?: unknown } | null)?.Code === code;
}

/** The error code of an SDK v3 error (its `name`), or undefined for non-errors. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const named = error as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof named.name === 'string' && named.name !== 'Error') return named.name;
  if (typeof named.Code === 'string') return named.Code;
  if (typeof named.code === 'string') return named.code;
  return undefined;
}

/**
 * The item a DynamoDB write refused by its condition answered with on its error
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`), or undefined when the error carries none (no
 * item was stored, the write did not ask for it, or it is another error). As short as the casts it
 * replaced: it is bundled into most responders, whose size is measured (test/bench/bundles.test.ts).
 */
export const itemOfConditionFailure = (error: unknown): Record<string, AttributeValue> | undefined => (error as { Item?: Record<string, AttributeValue> } | null | undefined)?.Item;

/** The HTTP status of an SDK v3 error's answer (what identifies a HEAD error, which has no body). */
export function awsHttpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

export function isTransientAwsError(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code !== undefined && THROTTLING_CODES.has(code)) return true;
  const status = awsHttpStatus(error);
  return status !== undefined && (status >= 500 || status === 429);
}

export function isAccessDeniedAwsError(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && ACCESS_DENIED_CODES.has(code);
}

/** Turns an SDK error from `call` into the responder error a state machine can act on. */
export function toResponderError(error: unknown, call: string): Error {
  const code = awsErrorCode(error) ?? 'UnknownError';
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientAwsError(error)) {
    return new TransientResponderError(`${call} failed transiently (${code}): ${message}`, { cause: error });
  }
  if (isAccessDeniedAwsError(error)) {
    return new ResponderAccessDeniedError(`${call} was denied (${code}): ${message}`, { cause: error });
  }
  return new ResponderFailedError(`${call} failed (${code}): ${message}`, { cause: error });
}
