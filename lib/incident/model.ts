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
}
