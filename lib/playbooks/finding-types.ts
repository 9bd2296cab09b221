/**
 * The catalogue of GuardDuty finding types, used to check that every `findingTypes` glob of a
 * playbook can match something (a typo such as `Backdor:EC2/*` would otherwise silently match
 * nothing) and to decide whether two playbooks can match the same finding.
 *
 * Source: the Amazon GuardDuty User Guide, "GuardDuty finding types" and its per-resource pages
 * (EC2, IAM, S3 Protection, EKS Protection, Runtime Monitoring, Malware Protection for EC2/S3/
 * Backup, RDS Protection, Lambda Protection, attack sequences), and the table of every finding
 * type in "Integrating with AWS Security Hub CSPM":
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html
 * https://docs.aws.amazon.com/guardduty/latest/ug/securityhub-integration.html
 *
 * Retired types are kept in their own list: GuardDuty no longer raises them, but archived and
 * exported findings (and the GetFindings example in the AWS CLI docs) still carry them, so a
 * playbook may still name them. GuardDuty adds types over time; when a new one appears, add it
 * here (the validator would otherwise reject a glob that only matches the new type). The catalogue
 * only checks playbook globs: at run time an incident of a type missing from it still parses and is
 * routed by the playbooks' globs, so a new type in a known family (`AttackSequence:Lambda/…` under
 * `AttackSequence:*`, a new `Execution:Runtime/…` under `Execution:Runtime/*`) reaches the playbook
 * of its family, and one no glob matches gets the default alert (docs/playbooks.md).
 */
import { globToRegExp } from './glob';
import { S3_SCAN_RESULT_SCORES, s3ScanFindingType } from '../incident/s3-scan-types';

/** Finding types GuardDuty raises today, grouped as the User Guide groups them. */
export const ACTIVE_FINDING_TYPES: readonly string[] = [
  // EC2 (VPC flow logs, DNS logs)
  'Backdoor:EC2/C&CActivity.B',
  'Backdoor:EC2/C&CActivity.B!DNS',
  'Backdoor:EC2/DenialOfService.Dns',
  'Backdoor:EC2/DenialOfService.Tcp',
  'Backdoor:EC2/DenialOfService.Udp',
  'Backdoor:EC2/DenialOfService.UdpOnTcpPorts',
  'Backdoor:EC2/DenialOfService.UnusualProtocol',
  'Backdoor:EC2/Spambot',
  'Behavior:EC2/NetworkPortUnusual',
  'Behavior:EC2/TrafficVolumeUnusual',
  'CryptoCurrency:EC2/BitcoinTool.B',
  'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  'DefenseEvasion:EC2/UnusualDNSResolver',
  'DefenseEvasion:EC2/UnusualDoHActivity',
  'DefenseEvasion:EC2/UnusualDoTActivity',
  'Impact:EC2/AbusedDomainRequest.Reputation',
  'Impact:EC2/BitcoinDomainRequest.Reputation',
  'Impact:EC2/MaliciousDomainRequest.Custom',
  'Impact:EC2/MaliciousDomainRequest.Reputation',
  'Impact:EC2/PortSweep',
  'Impact:EC2/SuspiciousDomainRequest.Reputation',
  'Impact:EC2/WinRMBruteForce',
  'Recon:EC2/PortProbeEMRUnprotectedPort',
  'Recon:EC2/PortProbeUnprotectedPort',
  'Recon:EC2/Portscan',
  'Trojan:EC2/BlackholeTraffic',
  'Trojan:EC2/BlackholeTraffic!DNS',
  'Trojan:EC2/DGADomainRequest.B',
  'Trojan:EC2/DGADomainRequest.C!DNS',
  'Trojan:EC2/DNSDataExfiltration',
  'Trojan:EC2/DriveBySourceTraffic!DNS',
  'Trojan:EC2/DropPoint',
  'Trojan:EC2/DropPoint!DNS',
  'Trojan:EC2/PhishingDomainRequest!DNS',
  'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:EC2/MetadataDNSRebind',
  'UnauthorizedAccess:EC2/RDPBruteForce',
  'UnauthorizedAccess:EC2/SSHBruteForce',
  'UnauthorizedAccess:EC2/TorClient',
  'UnauthorizedAccess:EC2/TorRelay',
  // IAM (CloudTrail management events)
  'CredentialAccess:IAMUser/AnomalousBehavior',
  'DefenseEvasion:IAMUser/AnomalousBehavior',
  'DefenseEvasion:IAMUser/BedrockLoggingDisabled',
  'Discovery:IAMUser/AnomalousBehavior',
  'Exfiltration:IAMUser/AnomalousBehavior',
  'Impact:IAMUser/AnomalousBehavior',
  'InitialAccess:IAMUser/AnomalousBehavior',
  'PenTest:IAMUser/KaliLinux',
  'PenTest:IAMUser/ParrotLinux',
  'PenTest:IAMUser/PentooLinux',
  'Persistence:IAMUser/AnomalousBehavior',
  'Policy:IAMUser/RootCredentialUsage',
  'Policy:IAMUser/ShortTermRootCredentialUsage',
  'PrivilegeEscalation:IAMUser/AnomalousBehavior',
  'Recon:IAMUser/MaliciousIPCaller',
  'Recon:IAMUser/MaliciousIPCaller.Custom',
  'Recon:IAMUser/TorIPCaller',
  'Stealth:IAMUser/CloudTrailLoggingDisabled',
  'Stealth:IAMUser/PasswordPolicyChange',
  'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.InsideAWS',
  'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/TorIPCaller',
  // S3 Protection (CloudTrail data events for S3)
  'Discovery:S3/AnomalousBehavior',
  'Discovery:S3/MaliciousIPCaller',
  'Discovery:S3/MaliciousIPCaller.Custom',
  'Discovery:S3/TorIPCaller',
  'Exfiltration:S3/AnomalousBehavior',
  'Exfiltration:S3/MaliciousIPCaller',
  'Impact:S3/AnomalousBehavior.Delete',
  'Impact:S3/AnomalousBehavior.Permission',
  'Impact:S3/AnomalousBehavior.Write',
  'Impact:S3/MaliciousIPCaller',
  'PenTest:S3/KaliLinux',
  'PenTest:S3/ParrotLinux',
  'PenTest:S3/PentooLinux',
  'Policy:S3/AccountBlockPublicAccessDisabled',
  'Policy:S3/BucketAnonymousAccessGranted',
  'Policy:S3/BucketBlockPublicAccessDisabled',
  'Policy:S3/BucketPublicAccessGranted',
  'Stealth:S3/ServerAccessLoggingDisabled',
  'UnauthorizedAccess:S3/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:S3/TorIPCaller',
  // EKS Protection (Kubernetes audit logs)
  'CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed',
  'CredentialAccess:Kubernetes/MaliciousIPCaller',
  'CredentialAccess:Kubernetes/MaliciousIPCaller.Custom',
  'CredentialAccess:Kubernetes/SuccessfulAnonymousAccess',
  'CredentialAccess:Kubernetes/TorIPCaller',
  'DefenseEvasion:Kubernetes/MaliciousIPCaller',
  'DefenseEvasion:Kubernetes/MaliciousIPCaller.Custom',
  'DefenseEvasion:Kubernetes/SuccessfulAnonymousAccess',
  'DefenseEvasion:Kubernetes/TorIPCaller',
  'Discovery:Kubernetes/AnomalousBehavior.PermissionChecked',
  'Discovery:Kubernetes/MaliciousIPCaller',
  'Discovery:Kubernetes/MaliciousIPCaller.Custom',
  'Discovery:Kubernetes/SuccessfulAnonymousAccess',
  'Discovery:Kubernetes/TorIPCaller',
  'Execution:Kubernetes/AnomalousBehavior.ExecInPod',
  'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
  'Execution:Kubernetes/ExecInKubeSystemPod',
  'Impact:Kubernetes/MaliciousIPCaller',
  'Impact:Kubernetes/MaliciousIPCaller.Custom',
  'Impact:Kubernetes/SuccessfulAnonymousAccess',
  'Impact:Kubernetes/TorIPCaller',
  'Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount',
  'Persistence:Kubernetes/MaliciousIPCaller',
  'Persistence:Kubernetes/MaliciousIPCaller.Custom',
  'Persistence:Kubernetes/SuccessfulAnonymousAccess',
  'Persistence:Kubernetes/TorIPCaller',
  'Policy:Kubernetes/AdminAccessToDefaultServiceAccount',
  'Policy:Kubernetes/AnonymousAccessGranted',
  'Policy:Kubernetes/ExposedDashboard',
  'Policy:Kubernetes/KubeflowDashboardExposed',
  'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated',
  'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated',
  'PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer',
  // Runtime Monitoring (EKS, ECS/Fargate and EC2 agents)
  'Backdoor:Runtime/C&CActivity.B',
  'Backdoor:Runtime/C&CActivity.B!DNS',
  'CryptoCurrency:Runtime/BitcoinTool.B',
  'CryptoCurrency:Runtime/BitcoinTool.B!DNS',
  'DefenseEvasion:Runtime/FilelessExecution',
  'DefenseEvasion:Runtime/KernelModuleLoaded',
  'DefenseEvasion:Runtime/ProcessInjection.Proc',
  'DefenseEvasion:Runtime/ProcessInjection.Ptrace',
  'DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite',
  'DefenseEvasion:Runtime/PtraceAntiDebugging',
  'DefenseEvasion:Runtime/SensitiveFileModified',
  'DefenseEvasion:Runtime/SuspiciousCommand',
  'Discovery:Runtime/SuspiciousCommand',
  'Execution:Runtime/MaliciousFileExecuted',
  'Execution:Runtime/MaliciousFileExecuted.Custom',
  'Execution:Runtime/NewBinaryExecuted',
  'Execution:Runtime/NewLibraryLoaded',
  'Execution:Runtime/ReverseShell',
  'Execution:Runtime/SuspiciousCommand',
  'Execution:Runtime/SuspiciousShellCreated',
  'Execution:Runtime/SuspiciousTool',
  'Impact:Runtime/AbusedDomainRequest.Reputation',
  'Impact:Runtime/BitcoinDomainRequest.Reputation',
  'Impact:Runtime/CryptoMinerExecuted',
  'Impact:Runtime/MaliciousDomainRequest.Reputation',
  'Impact:Runtime/SuspiciousDomainRequest.Reputation',
  'Persistence:Runtime/SensitiveFileModified',
  'Persistence:Runtime/SuspiciousCommand',
  'PrivilegeEscalation:Runtime/SensitiveFileModified',
  'PrivilegeEscalation:Runtime/SuspiciousCommand',
  'Trojan:Runtime/BlackholeTraffic',
  'Trojan:Runtime/BlackholeTraffic!DNS',
  'Trojan:Runtime/DGADomainRequest.C!DNS',
  'Trojan:Runtime/DriveBySourceTraffic!DNS',
  'Trojan:Runtime/DropPoint',
  'Trojan:Runtime/DropPoint!DNS',
  'Trojan:Runtime/PhishingDomainRequest!DNS',
  'UnauthorizedAccess:Runtime/MetadataDNSRebind',
  'UnauthorizedAccess:Runtime/TorClient',
  'UnauthorizedAccess:Runtime/TorRelay',
  // Malware Protection for EC2, S3 and AWS Backup
  'Execution:Container/MaliciousFile',
  'Execution:Container/SuspiciousFile',
  'Execution:EC2/MaliciousFile',
  'Execution:EC2/MaliciousFile!AMI',
  'Execution:EC2/MaliciousFile!RecoveryPoint',
  'Execution:EC2/MaliciousFile!Snapshot',
  'Execution:EC2/SuspiciousFile',
  'Execution:ECS/MaliciousFile',
  'Execution:ECS/SuspiciousFile',
  'Execution:Kubernetes/MaliciousFile',
  'Execution:Kubernetes/SuspiciousFile',
  'Execution:S3/MaliciousFile!RecoveryPoint',
  'Object:S3/MaliciousFile',
  // RDS Protection (Aurora login activity)
  'CredentialAccess:RDS/AnomalousBehavior.FailedLogin',
  'CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce',
  'CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin',
  'CredentialAccess:RDS/MaliciousIPCaller.FailedLogin',
  'CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin',
  'CredentialAccess:RDS/TorIPCaller.FailedLogin',
  'CredentialAccess:RDS/TorIPCaller.SuccessfulLogin',
  'Discovery:RDS/MaliciousIPCaller',
  'Discovery:RDS/TorIPCaller',
  // Lambda Protection (Lambda network activity)
  'Backdoor:Lambda/C&CActivity.B',
  'CryptoCurrency:Lambda/BitcoinTool.B',
  'Trojan:Lambda/BlackholeTraffic',
  'Trojan:Lambda/DropPoint',
  'UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:Lambda/TorClient',
  'UnauthorizedAccess:Lambda/TorRelay',
  // Extended Threat Detection (attack sequences)
  'AttackSequence:EC2/CompromisedInstanceGroup',
  'AttackSequence:ECS/CompromisedCluster',
  'AttackSequence:EKS/CompromisedCluster',
  'AttackSequence:IAM/CompromisedCredentials',
  'AttackSequence:S3/CompromisedData',
  // Custom Detection Rules (CloudTrail management event signals)
  'CredentialAccess:EC2/UnsecuredCredentials',
  'CredentialAccess:RDS/ModifyAuthenticationProcess',
  'DefenseImpairment:EC2/DisableOrModifyTools',
];

/** Finding types GuardDuty retired ("Retired finding types" page): still found in old findings. */
export const RETIRED_FINDING_TYPES: readonly string[] = [
  'Backdoor:EC2/XORDDOS',
  'Discovery:S3/BucketEnumeration.Unusual',
  'Exfiltration:S3/ObjectRead.Unusual',
  'Impact:S3/ObjectDelete.Unusual',
  'Impact:S3/PermissionsModification.Unusual',
  'Persistence:IAMUser/NetworkPermissions',
  'Persistence:IAMUser/ResourcePermissions',
  'Persistence:IAMUser/UserPermissions',
  'Persistence:Kubernetes/ContainerWithSensitiveMount',
  'PrivilegeEscalation:IAMUser/AdministrativePermissions',
  'PrivilegeEscalation:Kubernetes/PrivilegedContainer',
  'PrivilegeEscalation:Runtime/CGroupsReleaseAgentModified',
  'PrivilegeEscalation:Runtime/ContainerMountsHostDirectory',
  'PrivilegeEscalation:Runtime/DockerSocketAccessed',
  'PrivilegeEscalation:Runtime/ElevationToRoot',
  'PrivilegeEscalation:Runtime/RuncContainerEscape',
  'PrivilegeEscalation:Runtime/UserfaultfdUsage',
  'Recon:IAMUser/NetworkPermissions',
  'Recon:IAMUser/ResourcePermissions',
  'Recon:IAMUser/UserPermissions',
  'ResourceConsumption:IAMUser/ComputeResources',
  'Stealth:IAMUser/LoggingConfigurationModified',
  'UnauthorizedAccess:EC2/TorIPCaller',
  'UnauthorizedAccess:IAMUser/ConsoleLogin',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration',
];

/**
 * The finding types Firebreak gives Malware Protection for S3 scan results, which arrive as their
 * own event rather than as a GuardDuty finding (lib/incident/malware.ts): `MalwareScan:S3/ThreatsFound`,
 * `MalwareScan:S3/NoThreatsFound`, … one per documented result status. A status GuardDuty adds later
 * still parses, as `MalwareScan:S3/<Status>`, and a `MalwareScan:S3/*` glob matches it.
 */
export const S3_OBJECT_SCAN_RESULT_TYPES: readonly string[] = Object.keys(S3_SCAN_RESULT_SCORES).map(s3ScanFindingType);

/** Every finding type a playbook glob may target: active, retired, and the S3 object scan results. */
export const KNOWN_FINDING_TYPES: readonly string[] = [...ACTIVE_FINDING_TYPES, ...RETIRED_FINDING_TYPES, ...S3_OBJECT_SCAN_RESULT_TYPES];

/** The known finding types a glob matches (empty when the glob can match none of them). */
export function findingTypesMatching(glob: string): string[] {
  const pattern = globToRegExp(glob);
  return KNOWN_FINDING_TYPES.filter((type) => pattern.test(type));
}
