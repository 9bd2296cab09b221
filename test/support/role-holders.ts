/**
 * EC2 and IAM as they answer the reads that find the instances holding a role (rows 2v, 2x, 2y):
 * DescribeInstances with EC2's filter semantics (each filter's values compared exactly, as EC2 does:
 * a `tag-key` of `firebreak:protected` does not find `Firebreak:Protected`; values OR'ed, filters
 * AND'ed; an unknown filter refused), paged `pageSize` instances at a time; and
 * ListInstanceProfilesForRole, one page. EC2 is regional (row 2z): `describeRegionsAs` and
 * `describeInstancesByRegion` answer as each region's own endpoint does.
 */
import type { DescribeInstancesCommandInput, DescribeInstancesCommandOutput, DescribeRegionsCommandOutput, Instance } from '@aws-sdk/client-ec2';
import type { InstanceProfile } from '@aws-sdk/client-iam';

/** A holder of `profileArn` in `state`, tagged `tags`; `hibernation`: launched with hibernation configured (its stop keeps RAM, and its processes' credentials). */
export function holder(instanceId: string, profileArn: string | undefined, tags: Record<string, string> = {}, state: 'running' | 'stopped' | 'pending' | 'stopping' = 'running', hibernation = false): Instance {
  return {
    InstanceId: instanceId,
    State: { Name: state },
    ...(hibernation ? { HibernationOptions: { Configured: true } } : {}),
    ...(profileArn !== undefined ? { IamInstanceProfile: { Arn: profileArn, Id: `AIPA${instanceId.slice(2, 10).toUpperCase()}` } } : {}),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

const FILTERS: Readonly<Record<string, (instance: Instance) => readonly string[]>> = {
  'instance-id': (i) => (i.InstanceId !== undefined ? [i.InstanceId] : []),
  'instance-state-name': (i) => (i.State?.Name !== undefined ? [i.State.Name] : []),
  'iam-instance-profile.arn': (i) => (i.IamInstanceProfile?.Arn !== undefined ? [i.IamInstanceProfile.Arn] : []),
  'tag-key': (i) => (i.Tags ?? []).flatMap((t) => (t.Key !== undefined ? [t.Key] : [])),
};

/** DescribeInstances over `instances` as EC2 answers a filtered read (no InstanceIds), `pageSize` instances a page. */
export function describeInstancesAsEc2(instances: readonly Instance[], pageSize = 1000): (input: DescribeInstancesCommandInput) => DescribeInstancesCommandOutput {
  return (input) => {
    const matched = instances.filter((instance) =>
      (input.Filters ?? []).every((filter) => {
        const read = FILTERS[filter.Name ?? ''];
        if (read === undefined) throw new Error(`The filter '${filter.Name ?? ''}' is invalid`);
        return read(instance).some((value) => (filter.Values ?? []).includes(value));
      }),
    );
    const start = input.NextToken !== undefined ? Number(input.NextToken) : 0;
    const page = matched.slice(start, start + pageSize);
    const next = start + pageSize < matched.length ? String(start + pageSize) : undefined;
    return { $metadata: {}, Reservations: page.map((instance) => ({ Instances: [instance] })), ...(next !== undefined ? { NextToken: next } : {}) };
  };
}

/** An instance profile as ListInstanceProfilesForRole lists it, holding `roleName`. */
export function profileHolding(profileArn: string, roleName: string, account: string): InstanceProfile {
  const name = profileArn.slice(profileArn.lastIndexOf('/') + 1);
  return {
    InstanceProfileName: name,
    InstanceProfileId: `AIPA${name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12)}`,
    Arn: profileArn,
    Path: '/',
    CreateDate: new Date('2026-01-01T00:00:00Z'),
    Roles: [{ RoleName: roleName, RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${account}:role/${roleName}`, Path: '/', CreateDate: new Date('2026-01-01T00:00:00Z') }],
  };
}

/** EC2 clients for a revoke-role-sessions run that must not look for the role's holders (no instance profile holds it, or the deployment protects nothing). */
export const NO_EC2 = {
  ec2: async (): Promise<never> => {
    throw new Error('no EC2 read expected: no instance profile holds the role, or the deployment protects nothing');
  },
};

/** DescribeRegions as EC2 answers it without AllRegions: the regions enabled for the account (opt-in-not-required or opted-in). */
export function describeRegionsAs(regions: readonly string[]): () => DescribeRegionsCommandOutput {
  return () => ({ $metadata: {}, Regions: regions.map((RegionName) => ({ RegionName, Endpoint: `ec2.${RegionName}.amazonaws.com`, OptInStatus: 'opt-in-not-required' })) });
}

/** DescribeInstances as each region's endpoint answers it: the instances of the region the calling client is configured for, nothing of another. */
export function describeInstancesByRegion(byRegion: Readonly<Record<string, readonly Instance[]>>, pageSize = 1000) {
  return async (input: DescribeInstancesCommandInput, getClient: () => { config: { region: unknown } }): Promise<DescribeInstancesCommandOutput> => {
    const region = getClient().config.region;
    const name = typeof region === 'function' ? String(await (region as () => Promise<string>)()) : String(region);
    return describeInstancesAsEc2(byRegion[name] ?? [], pageSize)(input);
  };
}
