/**
 * EC2 instance APIs: DescribeInstances, DescribeInstanceAttribute, ModifyInstanceAttribute,
 * DescribeInstanceTypes, StopInstances, StartInstances, TerminateInstances, and the IAM instance
 * profile associations.
 */
import type {
  AssociateIamInstanceProfileCommandInput,
  DescribeIamInstanceProfileAssociationsCommandInput,
  DescribeInstanceAttributeCommandInput,
  DescribeInstanceAttributeCommandOutput,
  DescribeInstancesCommandInput,
  DescribeRegionsCommandInput,
  DescribeInstanceTypesCommandInput,
  DisassociateIamInstanceProfileCommandInput,
  IamInstanceProfileSpecification,
  InstanceStateChange,
  InstanceTypeInfo,
  ModifyInstanceAttributeCommandInput,
  ReplaceIamInstanceProfileAssociationCommandInput,
  Reservation,
  StartInstancesCommandInput,
  StopInstancesCommandInput,
  TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { instanceTypeSpec, knownInstanceTypes } from './ec2-catalog';
import {
  applyFilters,
  booleanValue,
  ec2Error,
  invalidParameterValue,
  located,
  missingParameter,
  requireGroupsInVpc,
  requireInstance,
  requireInstances,
} from './ec2-common';
import type { FilterExtractors } from './ec2-common';
import { associationView, blockDeviceMappings, groupIdentifiers, instanceView, stateOf } from './ec2-views';
import { SimulatorUnsupportedApiError } from './errors';
import type { InstanceProfileRecord, InstanceRecord, InstanceStateName, NetworkInterfaceRecord, ProfileAssociationRecord } from './model';
import type { SimWorld } from './world';

const INSTANCE_FILTERS: FilterExtractors<{ world: SimWorld; instance: InstanceRecord }> = {
  'instance-id': ({ instance }) => [instance.id],
  'instance-state-name': ({ instance }) => [instance.state],
  'instance-state-code': ({ instance }) => [String(stateOf(instance.state).Code)],
  'instance-type': ({ instance }) => [instance.instanceType],
  'availability-zone': ({ instance }) => [instance.availabilityZone],
  'vpc-id': ({ instance }) => (instance.state === 'terminated' ? [] : [instance.vpcId]),
  'subnet-id': ({ instance }) => (instance.state === 'terminated' ? [] : [instance.subnetId]),
  'image-id': ({ instance }) => [instance.imageId],
  'private-ip-address': ({ world, instance }) => world.interfacesOf(instance.id).slice(0, 1).map((eni) => eni.privateIp),
  'network-interface.network-interface-id': ({ world, instance }) => world.interfacesOf(instance.id).map((eni) => eni.id),
  // snapshot-volumes' drill check: which instances hold these volumes (a terminated one holds none).
  'block-device-mapping.volume-id': ({ world, instance }) => (instance.state === 'terminated' ? [] : world.volumesOf(instance.id).map((volume) => volume.id)),
  'instance.group-id': ({ world, instance }) => world.interfacesOf(instance.id).flatMap((eni) => eni.groupIds),
  'network-interface.group-id': ({ world, instance }) => world.interfacesOf(instance.id).flatMap((eni) => eni.groupIds),
  'iam-instance-profile.arn': ({ world, instance }) => {
    const association = world.associationOf(instance.id);
    return association ? [association.profileArn] : [];
  },
};

/** "Invalid instance state" for calls that need a live instance. */
function incorrectState(instance: InstanceRecord, message: string): Error {
  return ec2Error('IncorrectInstanceState', message.replace('%s', instance.id).replace('%state', instance.state));
}

function requireLiveInstance(instance: InstanceRecord): void {
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    throw incorrectState(instance, "The instance '%s' is not in a valid state for this operation (current state: %state).");
  }
}

/** Records a new association of `profile` with the instance (Associate… and Replace… alike). */
function associate(world: SimWorld, call: SimCall, instanceId: string, profile: InstanceProfileRecord): ProfileAssociationRecord {
  const association: ProfileAssociationRecord = {
    id: world.ids.resourceId('iip-assoc'),
    account: call.account,
    region: call.region,
    instanceId,
    profileArn: profile.arn,
    profileId: profile.id,
    state: 'associated',
    timestamp: world.now(),
  };
  world.associations.set(association.id, association);
  return association;
}

/** Reserved-for-EC2-Classic `Attribute` names mapped to the request fields that carry them. */
/** ModifyInstanceAttribute: each value of the Attribute enum and the request member that sets the same attribute. */
export const ATTRIBUTE_FIELDS: Readonly<Record<string, string>> = {
  disableApiTermination: 'DisableApiTermination',
  disableApiStop: 'DisableApiStop',
  instanceInitiatedShutdownBehavior: 'InstanceInitiatedShutdownBehavior',
  sourceDestCheck: 'SourceDestCheck',
  groupSet: 'Groups',
  blockDeviceMapping: 'BlockDeviceMappings',
  instanceType: 'InstanceType',
  userData: 'UserData',
  kernel: 'Kernel',
  ramdisk: 'Ramdisk',
  ebsOptimized: 'EbsOptimized',
  sriovNetSupport: 'SriovNetSupport',
  enaSupport: 'EnaSupport',
};

const MODIFY_FIELDS = [
  'DisableApiTermination',
  'DisableApiStop',
  'InstanceInitiatedShutdownBehavior',
  'SourceDestCheck',
  'Groups',
  'BlockDeviceMappings',
  'InstanceType',
  'UserData',
  'Kernel',
  'Ramdisk',
  'EbsOptimized',
  'SriovNetSupport',
  'EnaSupport',
] as const;

function multipleInterfaces(instance: InstanceRecord): Error {
  // The exact answer EC2 gives: https://github.com/hashicorp/terraform/pull/14299 quotes it, and
  // DESIGN.md relies on it (per-ENI ModifyNetworkInterfaceAttribute instead).
  return ec2Error(
    'InvalidInstanceID',
    `There are multiple interfaces attached to instance '${instance.id}'. Please specify an interface ID for the operation instead.`,
  );
}

function stateChange(instance: InstanceRecord, previous: InstanceStateName): InstanceStateChange {
  return { InstanceId: instance.id, CurrentState: stateOf(instance.state), PreviousState: stateOf(previous) };
}

function resolveProfile(world: SimWorld, call: SimCall, spec: IamInstanceProfileSpecification | undefined): InstanceProfileRecord {
  if (!spec || (spec.Arn === undefined && spec.Name === undefined)) throw missingParameter('IamInstanceProfile');
  if (spec.Arn !== undefined) {
    const profile = world.instanceProfiles.get(spec.Arn);
    if (!profile || profile.account !== call.account) {
      throw invalidParameterValue(`Value (${spec.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`);
    }
    return profile;
  }
  const profile = [...world.instanceProfiles.values()].find((p) => p.account === call.account && p.name === spec.Name);
  if (!profile) {
    throw invalidParameterValue(`Value (${String(spec.Name)}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
  }
  return profile;
}

/**
 * Associating an instance profile passes its role to EC2: the caller needs iam:PassRole on it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#roles-usingrole-ec2instance-permissions).
 */
function authorizePassRoles(world: SimWorld, call: SimCall, profile: InstanceProfileRecord): void {
  for (const roleName of profile.roleNames) {
    const role = [...world.roles.values()].find((candidate) => candidate.account === profile.account && candidate.name === roleName);
    call.authorize('iam:PassRole', role?.arn ?? `arn:aws:iam::${profile.account}:role/${roleName}`);
  }
}

function requireAssociation(world: SimWorld, call: SimCall, id: unknown): ProfileAssociationRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('AssociationId');
  const association = world.associations.get(id);
  if (!association || association.account !== call.account || association.region !== call.region) {
    throw ec2Error('InvalidAssociationID.NotFound', `An invalid association-id of '${id}' was given`);
  }
  return association;
}

type AttributeOutput = Omit<DescribeInstanceAttributeCommandOutput, '$metadata' | 'InstanceId'>;

/** DescribeInstanceAttribute: what each attribute reads (the groups and source/dest check are the primary interface's). */
const INSTANCE_ATTRIBUTES: Readonly<Record<string, (world: SimWorld, instance: InstanceRecord, primary: NetworkInterfaceRecord | undefined) => AttributeOutput>> = {
  disableApiTermination: (_world, instance) => ({ DisableApiTermination: { Value: instance.disableApiTermination } }),
  disableApiStop: (_world, instance) => ({ DisableApiStop: { Value: instance.disableApiStop } }),
  instanceInitiatedShutdownBehavior: (_world, instance) => ({ InstanceInitiatedShutdownBehavior: { Value: instance.shutdownBehavior } }),
  blockDeviceMapping: (world, instance) => ({ BlockDeviceMappings: instance.state === 'terminated' ? [] : blockDeviceMappings(world, instance) }),
  groupSet: (world, _instance, primary) => ({ Groups: primary ? groupIdentifiers(world, primary.groupIds) : [] }),
  sourceDestCheck: (_world, _instance, primary) => ({ SourceDestCheck: { Value: primary?.sourceDestCheck ?? true } }),
  instanceType: (_world, instance) => ({ InstanceType: { Value: instance.instanceType } }),
  rootDeviceName: (_world, instance) => ({ RootDeviceName: { Value: instance.rootDeviceName } }),
  ebsOptimized: () => ({ EbsOptimized: { Value: false } }),
  enaSupport: () => ({ EnaSupport: { Value: true } }),
  userData: () => ({ UserData: {} }),
};

const USER_SHUTDOWN = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' } as const;

/**
 * Stop, Start and Terminate alike: every instance must exist, and none may refuse, before any
 * changes ("if you specify multiple instances and the request fails ... none of the instances"
 * change); each answer is the instance's previous and current state.
 */
function changeStates(
  world: SimWorld,
  call: SimCall,
  ids: readonly string[] | undefined,
  rules: { refuse(instance: InstanceRecord): void; change(instance: InstanceRecord): void },
) {
  if (!ids?.length) throw missingParameter('InstanceId');
  const instances = requireInstances(world, call, ids);
  for (const instance of instances) rules.refuse(instance);
  call.dryRunGate();
  return instances.map((instance) => {
    const previous = instance.state;
    rules.change(instance);
    return stateChange(instance, previous);
  });
}

/**
 * The regions every account has enabled from the start (OptInStatus `opt-in-not-required`); the
 * others are opt-in (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
 */
const DEFAULT_ENABLED_REGIONS = [
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-north-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
];

export function ec2InstanceHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html — without
     * AllRegions, the regions enabled for the account: the default ones, and an opt-in region the
     * account uses (the call's, or one the world holds an instance of the account in), `opted-in`.
     * Any region's endpoint answers the same list.
     */
    DescribeRegions(call) {
      const input = inputOf<DescribeRegionsCommandInput>(call);
      call.dryRunGate();
      const used = [...world.instances.values()].filter((instance) => instance.account === call.account).map((instance) => instance.region);
      const names = [...new Set([...DEFAULT_ENABLED_REGIONS, call.region, ...used])].filter((name) => !input.RegionNames?.length || input.RegionNames.includes(name)).sort();
      return { Regions: names.map((RegionName) => ({ RegionName, Endpoint: `ec2.${RegionName}.amazonaws.com`, OptInStatus: DEFAULT_ENABLED_REGIONS.includes(RegionName) ? 'opt-in-not-required' : 'opted-in' })) };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html */
    DescribeInstances(call) {
      const input = inputOf<DescribeInstancesCommandInput>(call);
      if (input.InstanceIds?.length && input.MaxResults !== undefined) {
        throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
      }
      const candidates = input.InstanceIds?.length
        ? requireInstances(world, call, input.InstanceIds)
        : located(world.instances.values(), call);
      const matched = applyFilters(
        candidates.map((instance) => ({ world, instance })),
        input.Filters,
        INSTANCE_FILTERS,
        ({ instance }) => instance.tags,
      );
      call.dryRunGate();
      const reservations = new Map<string, Reservation>();
      for (const { instance } of matched) {
        let reservation = reservations.get(instance.reservationId);
        if (!reservation) {
          reservation = { ReservationId: instance.reservationId, OwnerId: instance.account, Groups: [], Instances: [] };
          reservations.set(instance.reservationId, reservation);
        }
        reservation.Instances?.push(instanceView(world, instance));
      }
      return { Reservations: [...reservations.values()] };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html */
    DescribeInstanceAttribute(call) {
      const input = inputOf<DescribeInstanceAttributeCommandInput>(call);
      if (!input.Attribute) throw missingParameter('Attribute');
      const instance = requireInstance(world, call, input.InstanceId);
      call.dryRunGate();
      const read = Object.hasOwn(INSTANCE_ATTRIBUTES, input.Attribute) ? INSTANCE_ATTRIBUTES[input.Attribute] : undefined;
      if (!read) throw invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
      return { InstanceId: instance.id, ...read(world, instance, world.interfacesOf(instance.id)[0]) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html —
     * one attribute per call; `Groups` only for an instance with a single network interface.
     */
    ModifyInstanceAttribute(call) {
      const input = inputOf<ModifyInstanceAttributeCommandInput & Record<string, unknown>>(call);
      const fields: string[] = MODIFY_FIELDS.filter((field) => input[field] !== undefined);
      let legacyValue: string | undefined;
      if (input.Attribute !== undefined) {
        const field = ATTRIBUTE_FIELDS[input.Attribute];
        if (!field) throw invalidParameterValue(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
        if (input.Value === undefined) throw missingParameter('Value');
        fields.push(field);
        legacyValue = input.Value;
      }
      if (fields.length === 0) throw missingParameter('Attribute');
      if (new Set(fields).size > 1) {
        throw ec2Error('InvalidParameterCombination', `Fields for multiple attribute types specified: ${[...new Set(fields)].join(', ')}`);
      }
      const field = fields[0] as (typeof MODIFY_FIELDS)[number];
      const instance = requireInstance(world, call, input.InstanceId);
      requireLiveInstance(instance);
      const interfaces = world.interfacesOf(instance.id);
      const boolean = (value: unknown): boolean => {
        const raw = legacyValue ?? (value as { Value?: unknown } | undefined)?.Value;
        const parsed = booleanValue(raw);
        if (parsed === undefined) throw invalidParameterValue(`Value (${String(raw)}) for parameter ${field} is invalid. Expected a boolean.`);
        return parsed;
      };
      switch (field) {
        case 'DisableApiTermination': {
          const value = boolean(input.DisableApiTermination);
          call.dryRunGate();
          instance.disableApiTermination = value;
          break;
        }
        case 'DisableApiStop': {
          const value = boolean(input.DisableApiStop);
          call.dryRunGate();
          instance.disableApiStop = value;
          break;
        }
        case 'InstanceInitiatedShutdownBehavior': {
          const value = legacyValue ?? input.InstanceInitiatedShutdownBehavior?.Value;
          if (value !== 'stop' && value !== 'terminate') {
            throw invalidParameterValue(
              `Value (${String(value)}) for parameter instanceInitiatedShutdownBehavior is invalid. Unknown instance initiated shutdown behavior.`,
            );
          }
          call.dryRunGate();
          instance.shutdownBehavior = value;
          break;
        }
        case 'SourceDestCheck': {
          const value = boolean(input.SourceDestCheck);
          if (interfaces.length > 1) throw multipleInterfaces(instance);
          call.dryRunGate();
          for (const eni of interfaces) eni.sourceDestCheck = value;
          break;
        }
        case 'Groups': {
          const groupIds = legacyValue !== undefined ? [legacyValue] : (input.Groups ?? []);
          if (groupIds.length === 0) throw missingParameter('GroupId');
          if (interfaces.length > 1) throw multipleInterfaces(instance);
          requireGroupsInVpc(world, call, groupIds, instance.vpcId);
          call.dryRunGate();
          for (const eni of interfaces) eni.groupIds = [...new Set(groupIds)];
          break;
        }
        case 'BlockDeviceMappings': {
          const mappings = input.BlockDeviceMappings ?? [];
          const volumes = world.volumesOf(instance.id);
          const changes = mappings.map((mapping) => {
            const volume = volumes.find((v) => v.attachment?.device === mapping.DeviceName);
            if (!volume?.attachment) {
              throw ec2Error('InvalidInstanceAttributeValue', `No device is currently mapped at ${String(mapping.DeviceName)}`);
            }
            if (mapping.Ebs?.VolumeId !== undefined && mapping.Ebs.VolumeId !== volume.id) {
              throw invalidParameterValue(`The volume '${mapping.Ebs.VolumeId}' is not attached at ${String(mapping.DeviceName)}`);
            }
            const value = booleanValue(mapping.Ebs?.DeleteOnTermination);
            if (value === undefined) throw missingParameter('BlockDeviceMapping.Ebs.DeleteOnTermination');
            return { attachment: volume.attachment, value };
          });
          call.dryRunGate();
          for (const change of changes) change.attachment.deleteOnTermination = change.value;
          break;
        }
        default:
          throw new SimulatorUnsupportedApiError(`ec2:ModifyInstanceAttribute (${field})`, 'ModifyInstanceAttributeCommand');
      }
      return {};
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html */
    DescribeInstanceTypes(call) {
      const input = inputOf<DescribeInstanceTypesCommandInput>(call);
      const names = input.InstanceTypes?.length ? [...input.InstanceTypes] : knownInstanceTypes();
      const unknown = names.filter((name) => !instanceTypeSpec(name));
      if (unknown.length > 0) {
        throw ec2Error('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
      }
      const specs = names.map((name) => instanceTypeSpec(name)).filter((s) => s !== undefined);
      const matched = applyFilters(
        specs,
        input.Filters,
        {
          'instance-type': (s) => [s.name],
          'instance-storage-supported': (s) => [String(s.instanceStore !== undefined)],
          'processor-info.supported-architecture': (s) => [s.architecture],
        },
        () => new Map(),
      );
      call.dryRunGate();
      const InstanceTypes: InstanceTypeInfo[] = matched.map((s) => {
        const info: InstanceTypeInfo = {
          InstanceType: s.name as InstanceTypeInfo['InstanceType'],
          CurrentGeneration: true,
          InstanceStorageSupported: s.instanceStore !== undefined,
          MemoryInfo: { SizeInMiB: s.memoryMiB },
          ProcessorInfo: { SupportedArchitectures: [s.architecture] },
          VCpuInfo: { DefaultVCpus: s.vcpus },
        };
        if (s.instanceStore) {
          info.InstanceStorageInfo = {
            TotalSizeInGB: s.instanceStore.count * s.instanceStore.sizeGB,
            Disks: [{ Count: s.instanceStore.count, SizeInGB: s.instanceStore.sizeGB, Type: s.instanceStore.type }],
            NvmeSupport: s.instanceStore.nvme ? 'required' : 'unsupported',
            EncryptionSupport: s.instanceStore.nvme ? 'required' : 'unsupported',
          };
        }
        return info;
      });
      return { InstanceTypes };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html */
    StopInstances(call) {
      const input = inputOf<StopInstancesCommandInput>(call);
      const StoppingInstances = changeStates(world, call, input.InstanceIds, {
        refuse(instance) {
          if (instance.disableApiStop) {
            throw ec2Error(
              'OperationNotPermitted',
              `The instance '${instance.id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
            );
          }
          if (instance.rootDeviceType === 'instance-store') {
            throw ec2Error('UnsupportedOperation', `The instance '${instance.id}' does not have an 'ebs' root device type and cannot be stopped.`);
          }
          if (instance.state === 'terminated' || instance.state === 'shutting-down') {
            throw incorrectState(instance, "This instance '%s' is not in a state from which it can be stopped.");
          }
        },
        change(instance) {
          if (instance.state !== 'running' && instance.state !== 'pending') return;
          world.startTransition(instance, 'stopping', 'stopped');
          instance.stateTransitionReason = `User initiated (${new Date(world.now()).toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
          instance.stateReason = USER_SHUTDOWN;
        },
      });
      return { StoppingInstances };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html */
    StartInstances(call) {
      const input = inputOf<StartInstancesCommandInput>(call);
      const StartingInstances = changeStates(world, call, input.InstanceIds, {
        refuse(instance) {
          if (instance.state !== 'stopped' && instance.state !== 'running' && instance.state !== 'pending') {
            throw incorrectState(instance, "The instance '%s' is not in a state from which it can be started.");
          }
        },
        change(instance) {
          if (instance.state !== 'stopped') return;
          world.startTransition(instance, 'pending', 'running');
          instance.stateTransitionReason = '';
          delete instance.stateReason;
        },
      });
      return { StartingInstances };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html —
     * refused for an instance with termination protection; "if you specify multiple instances and
     * the request fails ... none of the instances are terminated".
     */
    TerminateInstances(call) {
      const input = inputOf<TerminateInstancesCommandInput>(call);
      const TerminatingInstances = changeStates(world, call, input.InstanceIds, {
        refuse(instance) {
          if (instance.disableApiTermination && instance.state !== 'terminated') {
            throw ec2Error(
              'OperationNotPermitted',
              `The instance '${instance.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
            );
          }
        },
        change(instance) {
          if (instance.state === 'terminated' || instance.state === 'shutting-down') return;
          world.startTransition(instance, 'shutting-down', 'terminated');
          instance.stateReason = USER_SHUTDOWN;
        },
      });
      return { TerminatingInstances };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeIamInstanceProfileAssociations.html */
    DescribeIamInstanceProfileAssociations(call) {
      const input = inputOf<DescribeIamInstanceProfileAssociationsCommandInput>(call);
      const candidates = input.AssociationIds?.length
        ? input.AssociationIds.map((id) => requireAssociation(world, call, id))
        : located(world.associations.values(), call);
      const matched = applyFilters(
        candidates,
        input.Filters,
        { 'instance-id': (a) => [a.instanceId], state: (a) => [a.state] },
        () => new Map(),
      );
      return { IamInstanceProfileAssociations: matched.map((a) => associationView(a)) };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html —
     * an instance has at most one association ("IncorrectState: There is an existing association
     * for instance i-…"). The answer says `associating`; describe calls then see `associated`.
     */
    AssociateIamInstanceProfile(call) {
      const input = inputOf<AssociateIamInstanceProfileCommandInput>(call);
      const instance = requireInstance(world, call, input.InstanceId);
      const profile = resolveProfile(world, call, input.IamInstanceProfile);
      authorizePassRoles(world, call, profile);
      requireLiveInstance(instance);
      if (world.associationOf(instance.id)) {
        throw ec2Error('IncorrectState', `There is an existing association for instance ${instance.id}`);
      }
      return { IamInstanceProfileAssociation: associationView(associate(world, call, instance.id, profile), 'associating') };
    },

    /**
     * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateIamInstanceProfile.html —
     * this API has no DryRun parameter: a "dry run" of it changes the instance.
     */
    DisassociateIamInstanceProfile(call) {
      const input = inputOf<DisassociateIamInstanceProfileCommandInput>(call);
      const association = requireAssociation(world, call, input.AssociationId);
      world.associations.delete(association.id);
      association.state = 'disassociated';
      return { IamInstanceProfileAssociation: associationView(association, 'disassociating') };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html */
    ReplaceIamInstanceProfileAssociation(call) {
      const input = inputOf<ReplaceIamInstanceProfileAssociationCommandInput>(call);
      const previous = requireAssociation(world, call, input.AssociationId);
      const profile = resolveProfile(world, call, input.IamInstanceProfile);
      authorizePassRoles(world, call, profile);
      world.associations.delete(previous.id);
      return { IamInstanceProfileAssociation: associationView(associate(world, call, previous.instanceId, profile), 'associating') };
    },
  };
}
