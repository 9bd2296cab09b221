/**
 * sendMutating, the one place a mutating EC2 call meets the responder's mode. Written for the
 * mutants Stryker found surviving (docs/testing.md): the responders' tests never had EC2 answer a
 * DryRun call with success, nor with an error other than the two dry-run answers.
 */
import { describe, expect, it } from 'vitest';
import { ResponderAccessDeniedError, ResponderFailedError } from '../../lib/contracts/responder-errors';
import { sendMutating, sendReadOnly } from '../../lib/responders/mutating';
import { sdkError } from './quarantine-fixtures';

describe('sendMutating', () => {
  it('sends DryRun in dry-run and answers would-do or would-be-denied from the dry-run errors', async () => {
    const flags: boolean[] = [];
    const answer = (error: Error) => (dryRun: boolean) => {
      flags.push(dryRun);
      return Promise.reject(error);
    };
    expect(await sendMutating('dry-run', 'ec2:StopInstances', answer(sdkError('DryRunOperation', 412)))).toEqual({ outcome: 'would-do' });
    expect(await sendMutating('dry-run', 'ec2:StopInstances', answer(sdkError('UnauthorizedOperation', 403)))).toEqual({
      outcome: 'would-be-denied',
      message: 'UnauthorizedOperation: simulated',
    });
    expect(flags).toEqual([true, true]);
  });

  it('refuses to go on when EC2 answers a DryRun call with success: the call may have changed something', async () => {
    await expect(sendMutating('dry-run', 'ec2:StopInstances', () => Promise.resolve({}))).rejects.toThrow(
      new ResponderFailedError('ec2:StopInstances returned success to a DryRun request; refusing to continue in dry-run mode'),
    );
  });

  it('in dry-run, classifies and throws any other error rather than calling it a dry-run answer', async () => {
    await expect(sendMutating('dry-run', 'ec2:StopInstances', () => Promise.reject(sdkError('InvalidInstanceID.NotFound')))).rejects.toThrow(
      new ResponderFailedError('ec2:StopInstances failed (InvalidInstanceID.NotFound): InvalidInstanceID.NotFound: simulated'),
    );
  });

  it('in enforce, sends no DryRun, returns the output, and classifies errors, the dry-run ones included', async () => {
    const flags: boolean[] = [];
    const output = { StoppingInstances: [] };
    expect(await sendMutating('enforce', 'ec2:StopInstances', (dryRun) => (flags.push(dryRun), Promise.resolve(output)))).toEqual({ outcome: 'done', output });
    expect(flags).toEqual([false]);
    await expect(sendMutating('enforce', 'ec2:StopInstances', () => Promise.reject(sdkError('UnauthorizedOperation', 403)))).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    await expect(sendMutating('enforce', 'ec2:StopInstances', () => Promise.reject(sdkError('DryRunOperation', 412)))).rejects.toBeInstanceOf(ResponderFailedError);
  });
});

describe('sendReadOnly', () => {
  it('returns the answer and classifies a failure', async () => {
    expect(await sendReadOnly('ec2:DescribeInstances', () => Promise.resolve(1))).toBe(1);
    await expect(sendReadOnly('ec2:DescribeInstances', () => Promise.reject(sdkError('UnauthorizedOperation', 403)))).rejects.toBeInstanceOf(ResponderAccessDeniedError);
  });
});
