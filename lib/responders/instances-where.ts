/**
 * The one paginated, filtered DescribeInstances of the responders: the instances holding a role's
 * instance profiles (role-holders.ts, rows 2v, 2x) and those a drill's volumes are attached to
 * (snapshot-reads.ts). EC2 compares each filter's values exactly and pages its answer, so every page
 * is read (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { EC2Client, Filter, Instance } from '@aws-sdk/client-ec2';
import { sendReadOnly } from './mutating';

/** EC2 takes at most 200 values in one filter. */
export const FILTER_VALUES = 200;

/** Every instance EC2 shows for `filters` (every page, 1,000 a page); a read that fails fails the step. */
export async function describeInstancesWhere(ec2: EC2Client, filters: Filter[]): Promise<Instance[]> {
  const found: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await sendReadOnly('ec2:DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, ...(token !== undefined ? { NextToken: token } : {}) })),
    );
    found.push(...(page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []));
    token = page.NextToken || undefined;
  } while (token !== undefined);
  return found;
}
