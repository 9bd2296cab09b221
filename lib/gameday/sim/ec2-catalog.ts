/**
 * The instance types the simulated account knows, with their instance store (which cannot be
 * snapshotted: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html). Sizes
 * follow https://docs.aws.amazon.com/ec2/latest/instancetypes/ (instance store specifications).
 */

export interface InstanceTypeSpec {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly architecture: 'x86_64' | 'arm64';
  /** Instance store disks, when the type has any. */
  readonly instanceStore?: { readonly count: number; readonly sizeGB: number; readonly type: 'ssd' | 'hdd'; readonly nvme: boolean };
}

const spec = (
  name: string,
  vcpus: number,
  memoryMiB: number,
  store?: InstanceTypeSpec['instanceStore'],
): InstanceTypeSpec => ({
  name,
  vcpus,
  memoryMiB,
  architecture: /^(t4g|c6gd?|c7g|m6gd?|m7g|r6g)\./.test(name) ? 'arm64' : 'x86_64',
  ...(store ? { instanceStore: store } : {}),
});

const nvme = (count: number, sizeGB: number) => ({ count, sizeGB, type: 'ssd' as const, nvme: true });

const CATALOG: readonly InstanceTypeSpec[] = [
  spec('t2.micro', 1, 1024),
  spec('t3.nano', 2, 512),
  spec('t3.micro', 2, 1024),
  spec('t3.small', 2, 2048),
  spec('t3.medium', 2, 4096),
  spec('t3.large', 2, 8192),
  spec('t3a.micro', 2, 1024),
  spec('t4g.micro', 2, 1024),
  spec('t4g.small', 2, 2048),
  spec('m5.large', 2, 8192),
  spec('m5.xlarge', 4, 16384),
  spec('m5.2xlarge', 8, 32768),
  spec('m6i.large', 2, 8192),
  spec('m6i.xlarge', 4, 16384),
  spec('m7i.large', 2, 8192),
  spec('c5.large', 2, 4096),
  spec('c5.xlarge', 4, 8192),
  spec('c6i.large', 2, 4096),
  spec('c7g.large', 2, 4096),
  spec('r5.large', 2, 16384),
  spec('m5d.large', 2, 8192, nvme(1, 75)),
  spec('m5d.xlarge', 4, 16384, nvme(1, 150)),
  spec('m5d.2xlarge', 8, 32768, nvme(1, 300)),
  spec('c5d.large', 2, 4096, nvme(1, 50)),
  spec('c5d.xlarge', 4, 8192, nvme(1, 100)),
  spec('r5d.large', 2, 16384, nvme(1, 75)),
  spec('i3.large', 2, 15616, nvme(1, 475)),
  spec('i3.xlarge', 4, 31232, nvme(1, 950)),
  spec('m6id.large', 2, 8192, nvme(1, 118)),
  spec('c6gd.medium', 1, 2048, nvme(1, 59)),
  spec('m3.medium', 1, 3840, { count: 1, sizeGB: 4, type: 'ssd', nvme: false }),
];

const BY_NAME = new Map(CATALOG.map((t) => [t.name, t]));

export function instanceTypeSpec(name: string): InstanceTypeSpec | undefined {
  return BY_NAME.get(name);
}

export function knownInstanceTypes(): string[] {
  return CATALOG.map((t) => t.name);
}
