/** The simulated AWS account of the local game day: see simulated-aws.ts. */
export { SimulatedAws } from './simulated-aws';
export type { CallRecord } from './simulated-aws';
export type { SimulatedClientFactory, SimulatedClientFactoryOptions } from './clients';
export type { AuthorizationFinding } from './policy-enforcement';
export type { PolicyDocument, PolicyStatement } from './iam-policy';
export type { IamCatalog } from './iam-catalog';
export { loadIamCatalog } from './iam-catalog';
export type { SimulatedAwsOptions } from './world';
export type {
  BuiltInstance,
  InstanceProfileSpec,
  InstanceSpec,
  NamedResourceSpec,
  NetworkInterfaceSpec,
  RoleSpec,
  SubnetSpec,
  TableSpec,
  TagMap,
  VolumeSpec,
  VpcSpec,
} from './builder';
export type { FaultSpec, InjectedFault } from './faults';
export type { PermissionScope } from './permissions';
export type { EventListener, TaskTokenAnswer, TaskTokenHandler, TaskTokenVerdict } from './messaging';
export { TASK_TOKEN_ACTIONS, answerTaskTokenCall } from './messaging';
export type { ApiHandler, ServiceName, SimCall } from './call';
export { inputOf } from './call';
export type {
  InstanceState,
  InterfaceState,
  RuleState,
  SecurityGroupState,
  SnapshotState,
  TagRecord,
  VolumeState,
} from './inspection';
export type { AttributeValue, BusEvent, InstanceStateName, Item, PublishedMessage, QueuedMessage } from './model';
export { SimulatedServiceError, SimulatorSetupError, SimulatorUnsupportedApiError } from './errors';
export { knownInstanceTypes } from './ec2-catalog';
export { FaultQueue } from './faults';
export { matchesAction } from './permissions';
export { accessDenied } from './call';
export { SERVICE_BY_CLIENT } from './wire';
