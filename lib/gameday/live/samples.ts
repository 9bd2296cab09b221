/**
 * `--guardduty-samples TYPE[,TYPE…]`: the finding types to ask GuardDuty for with
 * CreateSampleFindings. Checked against the catalogue the playbook validator uses, so that a typo
 * is caught here with a suggestion instead of by GuardDuty's BadRequestException.
 * Sample findings carry `service.additionalInfo.sample: true` and placeholder resources such as
 * i-99999999 (https://docs.aws.amazon.com/guardduty/latest/ug/sample_findings.html): Firebreak's
 * triage runs any playbook they match in dry-run, whatever the deployment's mode.
 */
import { didYouMean } from '../../playbooks/errors';
import { KNOWN_FINDING_TYPES } from '../../playbooks/finding-types';
import { LiveSetupError } from '../../operator/errors';

/** CreateSampleFindings accepts up to 50 types per call (FindingTypes, 0–50 items). */
export const MAX_SAMPLE_TYPES = 50;

/** Splits and checks the flag's value; every unknown type is named with its closest known one. */
export function parseSampleTypes(value: string): string[] {
  const types = [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))];
  if (types.length === 0) {
    throw new LiveSetupError('--guardduty-samples needs at least one finding type, e.g. --guardduty-samples "Backdoor:EC2/C&CActivity.B"');
  }
  if (types.length > MAX_SAMPLE_TYPES) {
    throw new LiveSetupError(`--guardduty-samples: at most ${MAX_SAMPLE_TYPES} finding types per request (CreateSampleFindings), ${types.length} given`);
  }
  const unknown = types.filter((type) => !KNOWN_FINDING_TYPES.includes(type));
  if (unknown.length > 0) {
    throw new LiveSetupError(
      `--guardduty-samples: ${unknown.map((type) => `${type} is not a GuardDuty finding type${didYouMean(type, KNOWN_FINDING_TYPES)}`).join('; ')}`,
    );
  }
  return types;
}

/** What to tell the engineer about samples before watching. */
export const SAMPLE_NOTE =
  'Sample findings arrive from aws.guardduty with service.additionalInfo.sample = true and placeholder resources (i-99999999): ' +
  "Firebreak's triage runs any playbook they match in dry-run, whatever the stack's mode, so nothing is changed. " +
  'GuardDuty publishes new findings to EventBridge within about 5 minutes.';
