import { describe, expect, it } from 'vitest';
import { itemOfConditionFailure, toResponderError } from '../../lib/aws/errors';
import { ResponderAccessDeniedError, ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });
}

describe('toResponderError', () => {
  it('maps EC2 throttling (RequestLimitExceeded) to the retryable TransientResponderError', () => {
    const error = toResponderError(sdkError('RequestLimitExceeded', 503), 'ec2:DescribeInstances');
    expect(error).toBeInstanceOf(TransientResponderError);
    expect(error.name).toBe('TransientResponderError');
    expect(error.message).toContain('ec2:DescribeInstances');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('treats any 5xx as transient even with an unknown code', () => {
    expect(toResponderError(sdkError('Weird', 502), 'x')).toBeInstanceOf(TransientResponderError);
  });

  it('maps UnauthorizedOperation to the final access-denied error', () => {
    expect(toResponderError(sdkError('UnauthorizedOperation', 403), 'x')).toBeInstanceOf(ResponderAccessDeniedError);
  });

  it('maps other client errors to ResponderFailedError, which a Catch treats as final', () => {
    const error = toResponderError(sdkError('InvalidParameterValue'), 'x');
    expect(error).toBeInstanceOf(ResponderFailedError);
    expect(error.name).toBe('ResponderFailedError');
  });

  it('survives non-Error throwables', () => {
    expect(toResponderError('boom', 'x')).toBeInstanceOf(ResponderFailedError);
  });
});

describe('toResponderError for query-protocol services', () => {
  it('treats SNS AuthorizationErrorException (the SDK v3 class name) as access denied', () => {
    const error = Object.assign(new Error('not authorized'), {
      name: 'AuthorizationErrorException',
      $metadata: { httpStatusCode: 403 },
    });
    expect(toResponderError(error, 'sns:Publish')).toBeInstanceOf(ResponderAccessDeniedError);
  });
});

describe('itemOfConditionFailure', () => {
  it('gives the item a refused conditional write answered with, and nothing for an error without one', () => {
    const item = { pk: { S: 'pause' }, pausedBy: { S: 'alice' } };
    expect(itemOfConditionFailure(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: item }))).toBe(item);
    expect(itemOfConditionFailure(sdkError('ConditionalCheckFailedException'))).toBeUndefined();
    expect(itemOfConditionFailure(undefined)).toBeUndefined();
    expect(itemOfConditionFailure(null)).toBeUndefined();
  });
});
