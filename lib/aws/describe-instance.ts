/**
 * The one ec2:DescribeInstances reader of a single instance. What counts as "EC2 knows no such
 * instance" is the caller's explicit choice (`notFound`), and so is the error any other failure
 * becomes (`onError`); the answer is matched by instance id, never taken as the first reservation.
 *
 * EC2 answers an unknown but well-formed id with `InvalidInstanceID.NotFound`, and an id it cannot
 * parse with `InvalidInstanceID.Malformed`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); an instance
 * terminated long ago may also just be missing from the answer.
 */
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { awsErrorCode, toResponderError } from './errors';

/** Which error codes mean "no such instance" (an answer without the instance always does). */
export type InstanceNotFoundPolicy =
  /** Only `InvalidInstanceID.NotFound`: a malformed id is the caller's bug and fails. */
  | 'not-found'
  /** `InvalidInstanceID.NotFound` and `InvalidInstanceID.Malformed`: an id EC2 cannot parse names no instance either (ids from findings are claims). */
  | 'not-found-or-malformed';

const NOT_FOUND_CODES: Readonly<Record<InstanceNotFoundPolicy, ReadonlySet<string>>> = {
  'not-found': new Set(['InvalidInstanceID.NotFound']),
  'not-found-or-malformed': new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']),
};

/** The error code of `error` when, under `policy`, it says the instance does not exist. */
export function instanceNotFoundCode(error: unknown, policy: InstanceNotFoundPolicy): string | undefined {
  const code = awsErrorCode(error);
  return code !== undefined && NOT_FOUND_CODES[policy].has(code) ? code : undefined;
}

/** The instance, or why EC2 knows none: its error code, or `NoSuchInstance` when the answer did not hold it. */
export type InstanceLookup =
  | { readonly found: true; readonly instance: Instance }
  | { readonly found: false; readonly code: string };

export interface DescribeInstanceOptions {
  /** Which answers mean the instance does not exist (returned as `found: false`, never thrown). */
  readonly notFound: InstanceNotFoundPolicy;
  /** The error any other failure becomes. @default toResponderError(error, 'ec2:DescribeInstances') */
  readonly onError?: (error: unknown) => Error;
  /**
   * The account the client acts in: an instance in a reservation another account owns (`OwnerId`)
   * is not this account's, and reads as `InstanceOfAnotherAccount`. Required, so that no caller can
   * forget it (an optional one let the operator's release and the game day's --describe skip it).
   */
  readonly account: string;
}

/** ec2:DescribeInstances of one instance, with the caller's not-found policy. */
export async function describeInstance(ec2: EC2Client, instanceId: string, options: DescribeInstanceOptions): Promise<InstanceLookup> {
  let answer;
  try {
    answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    const code = instanceNotFoundCode(error, options.notFound);
    if (code !== undefined) return { found: false, code };
    throw options.onError ? options.onError(error) : toResponderError(error, 'ec2:DescribeInstances');
  }
  const reservation = answer.Reservations?.find((item) => (item.Instances ?? []).some((candidate) => candidate.InstanceId === instanceId));
  const instance = reservation?.Instances?.find((item) => item.InstanceId === instanceId);
  if (!instance) return { found: false, code: 'NoSuchInstance' };
  // One account's credentials describe only its own instances, so another owner means the answer
  // is about somebody else's (a mixed-up client or session): never act on it as the incident's.
  if (reservation?.OwnerId !== undefined && reservation.OwnerId !== options.account) return { found: false, code: 'InstanceOfAnotherAccount' };
  return { found: true, instance };
}

/** The words for a lookup that found another account's instance (InstanceOfAnotherAccount), or undefined: not "not found", which hides a mixed-up client. */
export function foreignInstanceDetail(lookup: InstanceLookup, instanceId: string, account: string): string | undefined {
  return !lookup.found && lookup.code === 'InstanceOfAnotherAccount' ? `EC2 answered ${instanceId} as an instance another account owns, not ${account}'s: nothing of it is this incident's` : undefined;
}

/** The tags of an EC2 resource as a plain record (a tag without a value reads as ''). */
export function tagRecord(tags: readonly { readonly Key?: string; readonly Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).flatMap((tag) => (tag.Key !== undefined ? [[tag.Key, tag.Value ?? '']] : [])));
}
