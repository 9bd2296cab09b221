/**
 * The incident model: every event Firebreak accepts (GuardDuty finding, CloudWatch alarm state
 * change, game-day injection) is normalized into one `Incident` before any decision is taken.
 * Plain data only: it crosses Step Functions payloads as JSON.
 */

/**
 * Where the event came from. `firebreak` is a request Firebreak makes of itself (a release started
 * by `firebreak release`), never an event from the bus: triage and routing see only the other two.
 */
export type IncidentSource = 'guardduty' | 'cloudwatch' | 'firebreak';

/** GuardDuty's published bands; alarms are scored by `alarmSeverity` in the parser. */
export type SeverityLabel = 'Informational' | 'Low' | 'Medium' | 'High' | 'Critical';

export interface Severity {
  /** 0.0–10.0, GuardDuty's numeric scale. */
  readonly score: number;
  readonly label: SeverityLabel;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** What a finding says of one network interface of the instance (not what EC2 says now). */
export interface FindingNetworkInterface {
  readonly networkInterfaceId?: string;
  readonly privateIpAddress?: string;
  readonly publicIp?: string;
  readonly subnetId?: string;
  readonly vpcId?: string;
  readonly securityGroups: readonly { readonly groupId?: string; readonly groupName?: string }[];
}

export interface Ec2InstanceResource {
  readonly kind: 'ec2-instance';
  readonly instanceId: string;
  readonly availabilityZone?: string;
  readonly instanceType?: string;
  readonly imageId?: string;
  readonly instanceState?: string;
  readonly instanceProfileArn?: string;
  readonly networkInterfaces: readonly FindingNetworkInterface[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface AccessKeyResource {
  readonly kind: 'access-key';
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly userType?: string;
  readonly principalId?: string;
}

/** Any other resource type GuardDuty reports (S3 bucket, EKS cluster, Lambda function, …). */
export interface OtherResource {
  readonly kind: 'other';
  readonly type: string;
  readonly id?: string;
}

export interface NoResource {
  readonly kind: 'none';
}

export type IncidentResource = Ec2InstanceResource | AccessKeyResource | OtherResource | NoResource;
export type ResourceKind = IncidentResource['kind'];

export interface GuardDutyContext {
  readonly findingId: string;
  readonly arn?: string;
  readonly detectorId?: string;
  /** How many times GuardDuty has aggregated this finding (`service.count`). */
  readonly count: number;
  /** TARGET when the resource is attacked, ACTOR when it is the attacker. */
  readonly resourceRole?: 'TARGET' | 'ACTOR';
  /** e.g. NETWORK_CONNECTION, DNS_REQUEST, AWS_API_CALL, PORT_PROBE. */
  readonly actionType?: string;
  readonly connectionDirection?: string;
  /** Remote IPs or domains named by the finding's action, for the alert. */
  readonly remoteIndicators: readonly string[];
  /**
   * The domain a DNS finding names (`service.action.dnsRequestAction.domain`), as GuardDuty reports
   * it: attacker-influenced text, checked as a DNS name before anything acts on it (block-dns-domain).
   */
  readonly dnsDomain?: string;
  readonly archived?: boolean;
}

export interface AlarmContext {
  readonly alarmName: string;
  readonly alarmArn?: string;
  readonly kind: 'metric' | 'metric-math' | 'composite';
  readonly state: AlarmState;
  readonly previousState?: AlarmState;
  readonly reason?: string;
  readonly stateChangedAt?: string;
  readonly metrics: readonly { readonly namespace?: string; readonly metricName?: string; readonly dimensions: Readonly<Record<string, string>> }[];
  readonly alarmRule?: string;
}

export interface IncidentTimes {
  /** When the finding or alarm state was first created (ISO 8601). */
  readonly created: string;
  /** Last update of the finding, or the alarm's state change (ISO 8601). */
  readonly updated: string;
  /** When Firebreak received it (ISO 8601). */
  readonly received: string;
}

/**
 * Text whose author is not GuardDuty but whoever controls the resource, usually the attacker: a
 * runtime process name, executable path or command line, a container name, an S3 object key, a
 * finding title or signal description that quotes them. Kept as written (a responder may need the
 * exact bytes, e.g. an object key for an S3 call), but wrapped so that no code can use it as an
 * identifier or show it by accident: read `.untrusted` explicitly, and show it only through
 * `neutralizeText` / `quoteUntrusted` (lib/responders/untrusted-text.ts).
 */
export interface UntrustedText {
  readonly untrusted: string;
}

/** Where an affected resource was named in the event, as a person would look it up (`service.detection.sequence.resources[2]`). */
interface AffectedResourceBase {
  readonly from: string;
  /** The resource's own account and Region when the event states them (a sequence may span accounts); checked formats. */
  readonly account?: string;
  readonly region?: string;
  /** The sequence's id of this resource (`resources[].uid`), which its signals' `resourceUids` name. */
  readonly uid?: string;
}

/** An EC2 instance named by the event; the id has EC2's format (and is no placeholder unless the finding is a sample). */
export interface AffectedEc2Instance extends AffectedResourceBase {
  readonly kind: 'ec2-instance';
  readonly instanceId: string;
}

/** An access key; `temporary` for STS credentials (ASIA…), which cannot be deactivated, only their session revoked. */
export interface AffectedAccessKey extends AffectedResourceBase {
  readonly kind: 'access-key';
  readonly accessKeyId: string;
  readonly temporary: boolean;
  /** The IAM user (IAMUser keys) or role (AssumedRole) the key belongs to, when its name has IAM's format. */
  readonly userName?: string;
  readonly userType?: string;
}

export interface AffectedIamUser extends AffectedResourceBase {
  readonly kind: 'iam-user';
  readonly userName: string;
  readonly principalId?: string;
  readonly arn?: string;
}

export interface AffectedIamRole extends AffectedResourceBase {
  readonly kind: 'iam-role';
  readonly roleName: string;
  readonly arn?: string;
}

/** Credentials of an assumed role (an instance's role, a federated session): contained by revoking sessions of the role. */
export interface AffectedRoleSession extends AffectedResourceBase {
  readonly kind: 'role-session';
  readonly roleName: string;
  /** The session name (`AROA…:<session>`); for instance credentials, the instance id. */
  readonly sessionName?: string;
  readonly principalId?: string;
  readonly accessKeyId?: string;
}

export interface AffectedS3Bucket extends AffectedResourceBase {
  readonly kind: 's3-bucket';
  readonly bucketName: string;
  readonly arn: string;
}

/** An S3 object. Its key is chosen by whoever uploaded it: exact for an S3 call, untrusted for anything else. */
export interface AffectedS3Object extends AffectedResourceBase {
  readonly kind: 's3-object';
  readonly bucketName: string;
  readonly key: UntrustedText;
  readonly versionId?: string;
  readonly eTag?: string;
}

export interface AffectedEksCluster extends AffectedResourceBase {
  readonly kind: 'eks-cluster';
  readonly clusterName: string;
  readonly arn?: string;
}

export interface AffectedEcsCluster extends AffectedResourceBase {
  readonly kind: 'ecs-cluster';
  readonly clusterName: string;
  readonly arn?: string;
}

/** A resource of a type no responder acts on (network interface, container, Auto Scaling group, …): for the alert. */
export interface AffectedOtherResource extends AffectedResourceBase {
  readonly kind: 'other';
  /** GuardDuty's type name (`EC2_NETWORK_INTERFACE`, `CONTAINER`, …), or `unknown` when it was not a type name. */
  readonly resourceType: string;
  readonly id?: UntrustedText;
}

/**
 * A value the event presents as a resource id that does not have that resource's format (or is a
 * placeholder on a finding not marked as a sample): never passed on as an id, only shown.
 */
export interface UnverifiedResource extends AffectedResourceBase {
  readonly kind: 'unverified';
  /** What the event claimed it was (`ec2-instance`, `access-key`, …). */
  readonly claimedKind: AffectedResourceKind;
  readonly value: UntrustedText;
  /** What the value should have been, completing "expected …". */
  readonly expected: string;
}

export type AffectedResource =
  | AffectedEc2Instance
  | AffectedAccessKey
  | AffectedIamUser
  | AffectedIamRole
  | AffectedRoleSession
  | AffectedS3Bucket
  | AffectedS3Object
  | AffectedEksCluster
  | AffectedEcsCluster
  | AffectedOtherResource
  | UnverifiedResource;
export type AffectedResourceKind = AffectedResource['kind'];

/**
 * One thing that led to the incident: a GuardDuty finding or an activity (API call, flow, DNS
 * query, runtime event) GuardDuty correlated into an attack sequence, or the finding itself.
 */
export interface IncidentSignal {
  /** FINDING, CLOUD_TRAIL, S3_DATA_EVENTS, EKS_AUDIT_LOGS, FLOW_LOGS, DNS_LOGS, RUNTIME_MONITORING, or a newer upper-case type. */
  readonly type: string;
  /** The finding type or API name; GuardDuty's words, quoted as such. */
  readonly name: UntrustedText;
  readonly description?: UntrustedText;
  readonly uid?: string;
  /** ISO 8601. Signals are ordered by `firstSeen` (then `created`), earliest first. */
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly created?: string;
  readonly severity?: Severity;
  readonly count?: number;
  /** The sequence ids of the resources, actors and endpoints involved (see `uid` on each). */
  readonly resourceUids: readonly string[];
  readonly actorIds: readonly string[];
  readonly endpointIds: readonly string[];
}

/** Who acted in an attack sequence: a principal, its session, a process. Names are claims. */
export interface SequenceActor {
  readonly id: string;
  readonly user?: {
    readonly name: UntrustedText;
    readonly uid?: string;
    readonly type?: string;
    readonly credentialUid?: string;
    readonly account?: string;
  };
  readonly session?: { readonly uid?: string; readonly mfaStatus?: string; readonly created?: string; readonly issuer?: string };
  readonly process?: { readonly name: UntrustedText; readonly path?: UntrustedText; readonly sha256?: string };
}

/** A network endpoint of an attack sequence. */
export interface SequenceEndpoint {
  readonly id: string;
  /** A well-formed IPv4 or IPv6 address. */
  readonly ip?: string;
  /** The domain as GuardDuty reports it: the attacker chose it. */
  readonly domain?: UntrustedText;
  readonly port?: number;
  readonly country?: string;
  readonly city?: string;
  readonly autonomousSystem?: { readonly name?: string; readonly number?: number };
}

/** GuardDuty Extended Threat Detection: the sequence behind an `AttackSequence:*` finding. */
export interface AttackSequenceContext {
  readonly uid?: string;
  readonly description?: UntrustedText;
  readonly actors: readonly SequenceActor[];
  readonly endpoints: readonly SequenceEndpoint[];
  /** `sequenceIndicators`: ATTACK_TACTIC, HIGH_RISK_API, MALICIOUS_IP, … with their values (claims). */
  readonly indicators: readonly { readonly key: string; readonly title?: UntrustedText; readonly values: readonly UntrustedText[] }[];
  readonly additionalSequenceTypes: readonly string[];
  /**
   * The instances and credentials the sequence lists that the parser's limits left out of
   * `affected` (so no fan-out acts on them), by checked id: at most LEFT_OUT_MAX (affected.ts), the
   * rest only counted in `omitted.resources`. Absent when none (and in incidents parsed before).
   */
  readonly leftOut?: readonly { readonly kind: AffectedResourceKind; readonly id: string; readonly account?: string; readonly region?: string }[];
  /** How many of each list were left out to keep the incident within a Step Functions payload (0 when none). */
  readonly omitted: {
    readonly resources: number;
    readonly signals: number;
    readonly actors: number;
    readonly endpoints: number;
    readonly indicators: number;
  };
}

/** One threat a malware scan found, with the files it was found in (paths and names are the attacker's). */
export interface MalwareThreat {
  readonly name: UntrustedText;
  readonly severity?: string;
  readonly itemCount?: number;
  readonly files: readonly {
    readonly path?: UntrustedText;
    readonly fileName?: UntrustedText;
    /** Hex digest, when it is one. */
    readonly hash?: string;
    readonly volumeArn?: string;
  }[];
}

/** Malware Protection for EC2 (`service.ebsVolumeScanDetails` of Execution:EC2/MaliciousFile …). */
export interface EbsMalwareScan {
  readonly kind: 'ebs-volumes';
  readonly scanId?: string;
  /** The GuardDuty finding that triggered a GuardDuty-initiated scan. */
  readonly triggerFindingId?: string;
  /** GUARDDUTY_INITIATED, ON_DEMAND, … */
  readonly scanType?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly sources: readonly string[];
  readonly scannedFiles?: number;
  readonly infectedFiles?: number;
  readonly threats: readonly MalwareThreat[];
  /** GuardDuty left files or threats out of the finding (`threatDetectedByName.shortened`), or Firebreak did (cap). */
  readonly shortened: boolean;
}

/** Malware Protection for S3 (the `GuardDuty Malware Protection Object Scan Result` event). */
export interface S3ObjectMalwareScan {
  readonly kind: 's3-object';
  /** COMPLETED, SKIPPED, FAILED, … */
  readonly scanStatus: string;
  /** THREATS_FOUND, NO_THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED, FAILED, … */
  readonly resultStatus: string;
  readonly threats: readonly MalwareThreat[];
  readonly statusReasons: readonly string[];
  readonly s3Throttled?: boolean;
  /** The Malware Protection plan ARN the event names (`resources[0]`), when it is one. */
  readonly planArn?: string;
}

export type MalwareScanContext = EbsMalwareScan | S3ObjectMalwareScan;

/** A process as Runtime Monitoring saw it: every name, path and user is the attacker's to choose. */
export interface RuntimeProcess {
  readonly name?: UntrustedText;
  readonly executablePath?: UntrustedText;
  readonly executableSha256?: string;
  readonly pid?: number;
  readonly namespacePid?: number;
  readonly user?: UntrustedText;
  readonly userId?: number;
  readonly euid?: number;
  readonly pwd?: UntrustedText;
  readonly startTime?: string;
  readonly uuid?: string;
  readonly parentUuid?: string;
  /** Ancestors, nearest first (`lineage`), capped. */
  readonly lineage: readonly Omit<RuntimeProcess, 'lineage'>[];
}

/** Runtime Monitoring details (`service.runtimeDetails`) and the container the process ran in. */
export interface RuntimeContext {
  readonly process?: RuntimeProcess;
  /** `runtimeDetails.context` text fields by name (commandLineExample, scriptPath, filePath, toolName, …): all untrusted. */
  readonly context: Readonly<Record<string, UntrustedText | readonly UntrustedText[]>>;
  readonly modifyingProcess?: RuntimeProcess;
  readonly targetProcess?: RuntimeProcess;
  readonly container?: { readonly name?: UntrustedText; readonly image?: UntrustedText; readonly id?: UntrustedText };
}

/**
 * What Firebreak left out of the event, or cut short, to keep the incident within its budget of a
 * Step Functions payload (lib/incident/budget.ts): counts of what the parser clipped from the
 * instance's attacker-controlled lists and texts, and the sections left out whole when the incident
 * was still over its budget. The alert says so; the event itself has it all.
 */
export interface IncidentClipping {
  /** Finding tags of the instance left out (beyond EC2's count, or past their byte budget). */
  readonly tags: number;
  /** Network interfaces of the instance left out, and security groups left out of those kept. */
  readonly networkInterfaces: number;
  readonly securityGroups: number;
  /** Tag keys and values, and security group names, cut to the length EC2 allows. */
  readonly texts: number;
  /** Sections left out whole, in the order they were dropped (`tags`, `signals`, …). */
  readonly sections: readonly string[];
  /**
   * The event itself was over Step Functions' limit: this incident was parsed from the copy the
   * oversized-event intake clipped (lib/incident/clip-event.ts), which was this many bytes whole.
   * Read from the copy's top-level marker only when the intake can have written it (parse.ts).
   * The containment guard asks a person before containing such an incident (anyone allowed to
   * invoke the intake can send it a forged event) unless `confirmed`: the intake found the event
   * equal to GuardDuty's own copy of the finding (GetFindings, lib/incident/finding-confirmation.ts).
   */
  readonly event?: { readonly originalBytes: number; readonly confirmed?: true };
}

export interface Incident {
  /** Stable identity of the incident: same finding (or alarm episode) → same key. [A-Za-z0-9-_], ≤ 64 chars. */
  readonly key: string;
  /** Distinguishes updates of the same incident (finding updatedAt + count, alarm state time). */
  readonly revision: string;
  readonly source: IncidentSource;
  /** GuardDuty finding type, or `CloudWatch:Alarm/<STATE>` for alarms. */
  readonly findingType: string;
  readonly title: string;
  readonly description?: string;
  readonly severity: Severity;
  readonly account: string;
  readonly region: string;
  readonly resource: IncidentResource;
  /** GuardDuty sample finding (`service.additionalInfo.sample`): never mutates anything. */
  readonly sample: boolean;
  /** Injected by a game day (event source `firebreak.gameday`). */
  readonly gameDay: boolean;
  /**
   * Game-day injections only, when the EventBridge envelope disagrees with the finding: the
   * envelope's account and region (the account that put the event on the game-day bus) against
   * the finding's claim (`account`, `region` above). GuardDuty's own events differ legitimately (a
   * delegated administrator receives its members' findings), so they do not set it.
   */
  readonly envelope?: { readonly account?: string; readonly region?: string };
  readonly times: IncidentTimes;
  readonly guardDuty?: GuardDutyContext;
  readonly alarm?: AlarmContext;
  /**
   * Every resource the event names, typed and checked, when that is more than `resource` says
   * (an attack sequence's instances and credentials, the role session of leaked instance
   * credentials, an S3 object). Absent otherwise, and on incidents parsed before it existed: read
   * it through `affectedResources(incident)`, which derives the list from `resource` then.
   */
  readonly affected?: readonly AffectedResource[];
  /** The signals that led to the incident, earliest first, when the event has more than the finding itself: read through `incidentSignals(incident)`. */
  readonly signals?: readonly IncidentSignal[];
  /** `AttackSequence:*` findings: the sequence's actors, endpoints and indicators. */
  readonly sequence?: AttackSequenceContext;
  /** Malware Protection for EC2 findings and S3 object scan results. */
  readonly malwareScan?: MalwareScanContext;
  /** Runtime Monitoring findings: the process and its context, all of it untrusted. */
  readonly runtime?: RuntimeContext;
  /** Present when something was left out or cut short to keep the incident within its budget. */
  readonly clipped?: IncidentClipping;
}
