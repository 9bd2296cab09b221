/**
 * GuardDuty finding type names follow one format,
 * `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-format.html), e.g.
 * `Backdoor:EC2/C&CActivity.B!DNS`, `AttackSequence:EC2/CompromisedInstanceGroup`. Playbooks route
 * by glob over the whole name (`AttackSequence:*`, `Execution:Runtime/*`), so a type GuardDuty adds
 * later parses and reaches the playbook of its family; this reads the parts for people (alerts,
 * `firebreak simulate`). Pure.
 */

export interface FindingTypeParts {
  readonly threatPurpose: string;
  readonly resourceTypeAffected: string;
  readonly threatFamilyName: string;
  readonly detectionMechanism?: string;
  readonly artifact?: string;
}

const FINDING_TYPE = /^([A-Za-z][A-Za-z0-9]*):([A-Za-z0-9]+)\/([^.!\s]+)(?:\.([^!\s]+))?(?:!(\S+))?$/;

/** The parts of a finding type, or undefined when it does not follow GuardDuty's format (it still parses and routes by glob). */
export function findingTypeParts(findingType: string): FindingTypeParts | undefined {
  const match = FINDING_TYPE.exec(findingType);
  if (match === null) return undefined;
  const [, threatPurpose, resourceTypeAffected, threatFamilyName, detectionMechanism, artifact] = match;
  return {
    threatPurpose: threatPurpose!,
    resourceTypeAffected: resourceTypeAffected!,
    threatFamilyName: threatFamilyName!,
    ...(detectionMechanism !== undefined && { detectionMechanism }),
    ...(artifact !== undefined && { artifact }),
  };
}
