import { describe, expect, it } from 'vitest';
import { notImplementedByEndpoint, unimplementedCalls } from '../../lib/gameday/endpoint-coverage';

const sdkError = (name: string, message: string, httpStatusCode: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

describe('notImplementedByEndpoint', () => {
  it("recognises LocalStack's, moto's and any endpoint's HTTP 501 answer", () => {
    expect(notImplementedByEndpoint(sdkError('InternalFailure', "API action 'LockSnapshot' for service 'ec2' not yet implemented or pro feature", 501))).toBe(true);
    expect(notImplementedByEndpoint(sdkError('InternalFailure', "API for service 'route53resolver' not yet implemented or pro feature", 500))).toBe(true);
    expect(notImplementedByEndpoint(sdkError('NotImplementedError', 'The lock_snapshot action has not been implemented', 500))).toBe(true);
    expect(notImplementedByEndpoint(sdkError('Unknown', '', 501))).toBe(true);
  });

  it('does not take an AWS error for a missing API: throttling, denial, a 500, a DryRun answer', () => {
    expect(notImplementedByEndpoint(sdkError('RequestLimitExceeded', 'Request limit exceeded.', 503))).toBe(false);
    expect(notImplementedByEndpoint(sdkError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403))).toBe(false);
    expect(notImplementedByEndpoint(sdkError('InternalError', 'An internal error has occurred.', 500))).toBe(false);
    expect(notImplementedByEndpoint(sdkError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412))).toBe(false);
    expect(notImplementedByEndpoint('not implemented')).toBe(false);
  });
});

describe('unimplementedCalls', () => {
  it('lists each API once with its attempts, in first-seen order, and nothing for calls the endpoint answered', () => {
    expect(
      unimplementedCalls([
        { api: 'ec2:DescribeInstances' },
        { api: 'ec2:LockSnapshot', unimplemented: true },
        { api: 'route53resolver:ListFirewallDomainLists', unimplemented: true },
        { api: 'ec2:LockSnapshot', unimplemented: true },
      ]),
    ).toEqual([
      { api: 'ec2:LockSnapshot', attempts: 2 },
      { api: 'route53resolver:ListFirewallDomainLists', attempts: 1 },
    ]);
  });
});
