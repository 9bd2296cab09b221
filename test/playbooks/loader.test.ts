import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPlaybookError, PlaybookValidationError } from '../../lib/playbooks/errors';
import { describeMatchOverlap, loadPlaybookDirectory, loadPlaybookFile, validatePlaybookPaths, validatePlaybookPathsSync } from '../../lib/playbooks/loader';
import type { PlaybookMatch } from '../../lib/playbooks/model';

const FIXTURES = 'test/fixtures/playbooks';

async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-playbooks-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, 'utf8');
  return dir;
}

function playbook(name: string, priority: number, match: string): string {
  return `name: ${name}\ndescription: d\npriority: ${priority}\nmode: enforce\nmatch:\n${match}\nsteps:\n  - action: notify\n`;
}

describe('loadPlaybookFile', () => {
  it('turns a valid file into the model: ids defaulted, severity filled, options kept, lines recorded', async () => {
    const loaded = await loadPlaybookFile(`${FIXTURES}/valid/contain-backdoor.yaml`);
    expect(loaded).toEqual({
      name: 'contain-backdoor',
      description: 'Contain backdoor findings and alert twice.',
      priority: 50,
      mode: 'enforce',
      match: {
        sources: ['guardduty'],
        findingTypes: ['Backdoor:EC2/*'],
        severity: { min: 7, max: 10 },
        resourceKinds: ['ec2-instance'],
      },
      steps: [
        {
          kind: 'parallel',
          id: 'parallel',
          line: 12,
          branches: [
            { kind: 'action', id: 'quarantine-instance', action: 'quarantine-instance', with: {}, line: 13 },
            { kind: 'action', id: 'snapshot-volumes', action: 'snapshot-volumes', with: {}, line: 14 },
          ],
        },
        { kind: 'action', id: 'notify', action: 'notify', with: {}, line: 15 },
        { kind: 'action', id: 'notify-2', action: 'notify', with: { advice: 'Second alert.' }, line: 16 },
      ],
      file: `${FIXTURES}/valid/contain-backdoor.yaml`,
      approval: { required: false, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
      trigger: 'automatic',
    });
  });

  it('never gives a default id that an explicit id already holds', async () => {
    const dir = await tempDir({
      'ids.yaml': `name: ids
description: d
priority: 1
mode: enforce
match:
  sources: [guardduty]
steps:
  - action: notify
    id: notify-2
  - action: notify
  - action: notify
`,
    });
    const loaded = await loadPlaybookFile(join(dir, 'ids.yaml'));
    expect(loaded.steps.map((step) => step.id)).toEqual(['notify-2', 'notify', 'notify-3']);
  });

  it('throws PlaybookValidationError listing every problem with file, line and column', async () => {
    const file = `${FIXTURES}/broken/invalid-options.yaml`;
    const error = await loadPlaybookFile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlaybookValidationError);
    expect((error as PlaybookValidationError).errors.map(formatPlaybookError)).toEqual([
      `${file}:14:7: 'revokeSessions' is not an option of quarantine-instance (did you mean 'revokeRoleSessions'?); its options are: detachInstanceProfile, revokeRoleSessions, autoScaling, deregisterFromLoadBalancers, disassociateElasticIps, instanceMetadata`,
      `${file}:15:30: invalid option for quarantine-instance: 'detachInstanceProfile' must be true or false, not the text "yes"`,
    ]);
  });

  it('says when the file does not exist', async () => {
    const error = (await loadPlaybookFile(`${FIXTURES}/missing.yaml`).catch((caught: unknown) => caught)) as PlaybookValidationError;
    expect(error.errors).toEqual([{ file: `${FIXTURES}/missing.yaml`, message: 'no such file or directory' }]);
  });
});

describe('loadPlaybookDirectory', () => {
  it('loads every .yaml and .yml file of the directory and ignores other files', async () => {
    const loaded = await loadPlaybookDirectory(`${FIXTURES}/valid`);
    expect(loaded.map((p) => p.name)).toEqual(['alert-everything', 'contain-backdoor']);
  });

  it('loads the shipped playbooks by default', async () => {
    const loaded = await loadPlaybookDirectory();
    expect(loaded.length).toBeGreaterThanOrEqual(6);
    expect(loaded.every((p) => p.file.startsWith('playbooks/'))).toBe(true);
  });

  it('refuses a directory without playbooks', async () => {
    await expect(loadPlaybookDirectory(`${FIXTURES}/empty`)).rejects.toThrow(`${FIXTURES}/empty: no playbook files (*.yaml, *.yml) in this directory`);
  });
});

describe('validatePlaybookPaths', () => {
  it('reports one error kind per broken fixture, each at the line its comment names', async () => {
    const { playbooks, errors } = await validatePlaybookPaths([`${FIXTURES}/broken`]);
    expect(playbooks).toEqual([]);
    const at = (name: string) => errors.filter((error) => error.file === `${FIXTURES}/broken/${name}.yaml`).map((error) => [error.line, error.message]);
    expect(at('unknown-action')).toEqual([[11, expect.stringContaining("unknown action 'quarantine' (did you mean 'quarantine-instance'?)")]]);
    expect(at('misspelt-key')).toEqual([
      [2, "missing required key 'priority'"],
      [5, expect.stringContaining("unknown key 'prority' (did you mean 'priority'?)")],
      [8, expect.stringContaining("unknown key 'findingtypes' (did you mean 'findingTypes'?)")],
    ]);
    expect(at('impossible-severity')).toEqual([[8, expect.stringContaining('impossible severity range: min 9.0 is greater than max 7.0')]]);
    expect(at('severity-out-of-scale')).toEqual([[8, "severity max 12 is outside GuardDuty's 0.0–10.0 scale"]]);
    expect(at('glob-matches-nothing')).toEqual([[10, expect.stringContaining("'Backdor:EC2/*' matches no GuardDuty finding type (did you mean 'Backdoor:EC2/*'?)")]]);
    expect(at('invalid-options')).toEqual([
      [14, expect.stringContaining("'revokeSessions' is not an option of quarantine-instance")],
      [15, expect.stringContaining("'detachInstanceProfile' must be true or false")],
    ]);
    expect(at('duplicate-step-ids')).toEqual([[15, expect.stringContaining("duplicate step id 'contain'")]]);
    expect(at('yaml-syntax')).toEqual([[8, expect.stringMatching(/^YAML syntax error/)]]);
  });

  it('refuses two playbooks with the same name, pointing at the second', async () => {
    const { errors } = await validatePlaybookPaths([`${FIXTURES}/duplicate-names`]);
    expect(errors).toEqual([
      {
        file: `${FIXTURES}/duplicate-names/second.yaml`,
        line: 1,
        column: 7,
        message: `playbook name 'same-name' is already used by ${FIXTURES}/duplicate-names/first.yaml; names must be unique (each names a state machine)`,
      },
    ]);
  });

  it('refuses two playbooks that can match the same finding at the same priority, with an example', async () => {
    const { errors } = await validatePlaybookPaths([`${FIXTURES}/overlap`]);
    expect(errors).toEqual([
      {
        file: `${FIXTURES}/overlap/c2-medium-up.yaml`,
        line: 4,
        column: 11,
        message:
          `playbooks 'c2-medium-up' and 'backdoor-high' (${FIXTURES}/overlap/backdoor-high.yaml) can both match the same incident ` +
          '(e.g. a GuardDuty finding Backdoor:EC2/C&CActivity.B at severity 7.0–10.0) at the same priority 100: give one a higher priority or narrow its match',
      },
    ]);
  });

  it('accepts the same overlapping pair at different priorities', async () => {
    const dir = await tempDir({
      'a.yaml': playbook('a', 100, '  sources: [guardduty]\n  findingTypes: ["Backdoor:EC2/*"]'),
      'b.yaml': playbook('b', 101, '  sources: [guardduty]\n  findingTypes: ["*C&CActivity*"]'),
    });
    expect((await validatePlaybookPaths([dir])).errors).toEqual([]);
  });

  it('never reports a manual playbook as overlapping: triage does not route to it', async () => {
    const match = '  sources: [guardduty]\n  findingTypes: ["Backdoor:EC2/*"]';
    const overlapping = await tempDir({ 'a.yaml': playbook('a', 100, match), 'b.yaml': playbook('b', 100, match) });
    expect((await validatePlaybookPaths([overlapping])).errors).toHaveLength(1);
    const manual = await tempDir({
      'a.yaml': playbook('a', 100, match),
      'b.yaml': playbook('b', 100, match).replace('mode: enforce', 'mode: enforce\ntrigger: manual'),
    });
    expect((await validatePlaybookPaths([manual])).errors).toEqual([]);
  });

  it('checks files and directories given together, once each', async () => {
    const file = `${FIXTURES}/valid/alert-everything.yml`;
    const { playbooks, errors } = await validatePlaybookPaths([file, `${FIXTURES}/valid`, file]);
    expect(errors).toEqual([]);
    expect(playbooks.map((p) => p.name)).toEqual(['alert-everything', 'contain-backdoor']);
  });

  it('reports an alias error (an unset anchor, too many aliases) as a problem of its file, and goes on to the next file', async () => {
    // yaml throws these from toJS(), not into doc.errors: the loader must still never throw.
    const dir = await tempDir({
      'alias-typo.yaml': playbook('a', 100, '  sources: [guardduty]').replace('mode: enforce', 'mode: *enforce'),
      'alias-bomb.yaml': `a: &a x\nb: [${Array(150).fill('*a').join(', ')}]\n`,
      'bad-mode.yaml': playbook('b', 100, '  sources: [guardduty]').replace('mode: enforce', 'mode: enforced'),
    });
    const { playbooks, errors } = validatePlaybookPathsSync([dir]);
    expect(playbooks).toEqual([]);
    expect(errors.map((error) => [error.file.slice(dir.length + 1), error.line, error.column, error.message])).toEqual([
      ['alias-bomb.yaml', 2, 5, expect.stringMatching(/^YAML error: Excessive alias count/)],
      ['alias-typo.yaml', 4, 7, "YAML error: alias '*enforce' names no anchor set before it (an anchor is set with '&enforce')"],
      ['bad-mode.yaml', 4, 7, expect.stringContaining('mode')],
    ]);
  });

  it('keeps the valid playbooks of a mixed set and reports only the broken ones', async () => {
    const { playbooks, errors } = await validatePlaybookPaths([`${FIXTURES}/valid`, `${FIXTURES}/broken/unknown-action.yaml`, 'no/such/dir']);
    expect(playbooks.map((p) => p.name)).toEqual(['alert-everything', 'contain-backdoor']);
    expect(errors.map((error) => error.file)).toEqual(['no/such/dir', `${FIXTURES}/broken/unknown-action.yaml`]);
  });
});

// The shipped playbooks' standard (docs/playbooks.md, "Writing a new playbook"): npm test holds every
// playbook in playbooks/ to it, so validate warns about a playbook short of it instead of passing
// it silently; a warning never makes a playbook invalid.
describe('validatePlaybookPaths: the shipped playbooks\' standard, as warnings', () => {
  const why = 'Alert on every finding of Medium severity or more, so that nothing GuardDuty reports goes unseen; it changes no resource, which keeps it safe to route anything to.';

  it('warns about a description of 150 characters or fewer, naming the file, the field and its line', async () => {
    const dir = await tempDir({ 'short.yaml': `# one\n# two\n# three\n${playbook('short', 100, '  sources: [guardduty]')}` });
    const { playbooks, errors, warnings } = await validatePlaybookPaths([dir]);
    expect(errors).toEqual([]);
    expect(playbooks.map((p) => p.name)).toEqual(['short']);
    expect(warnings.map(formatPlaybookError)).toEqual([
      `${dir}/short.yaml:5:14: description is 1 character; the shipped playbooks' standard asks for more than 150 (what the playbook protects against, why these steps, what it does not do), and npm test holds every playbook in playbooks/ to it`,
    ]);
  });

  it('warns about fewer than three comment lines, the editor line not counted', async () => {
    const text = `# yaml-language-server: $schema=./playbook.schema.json\n# one\n${playbook('quiet', 100, '  sources: [guardduty]').replace('description: d', `description: ${why}`)}`;
    const { errors, warnings } = await validatePlaybookPaths([(await tempDir({ 'quiet.yaml': text })) + '/quiet.yaml']);
    expect(errors).toEqual([]);
    expect(warnings.map((warning) => warning.message)).toEqual([
      "1 comment line; the shipped playbooks' standard asks for at least 3 (why the playbook does what it does, and the AWS documentation behind it), and npm test holds every playbook in playbooks/ to it",
    ]);
  });

  it('warns about nothing when a playbook meets the standard, and about no file that is invalid', async () => {
    const good = `# one\n# two\n# three\n${playbook('good', 100, '  sources: [guardduty]').replace('description: d', `description: ${why}`)}`;
    const broken = playbook('broken', 100, '  sources: [guardduty]').replace('mode: enforce', 'mode: enforced');
    const { errors, warnings } = await validatePlaybookPaths([await tempDir({ 'good.yaml': good, 'broken.yaml': broken })]);
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('mode')]);
    expect(warnings).toEqual([]);
  });
});

describe('describeMatchOverlap', () => {
  const backdoorHigh: PlaybookMatch = { sources: ['guardduty'], findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 } };

  it('finds a common GuardDuty finding type in the common severity range', () => {
    expect(describeMatchOverlap(backdoorHigh, { sources: ['guardduty'] })).toBe('GuardDuty finding Backdoor:EC2/C&CActivity.B at severity 7.0–10.0');
  });

  it('finds none when the finding types, severities, resource kinds or roles cannot meet', () => {
    expect(describeMatchOverlap(backdoorHigh, { sources: ['guardduty'], findingTypes: ['Recon:EC2/*'] })).toBeUndefined();
    expect(describeMatchOverlap(backdoorHigh, { sources: ['guardduty'], severity: { min: 4, max: 6.9 } })).toBeUndefined();
    expect(
      describeMatchOverlap({ ...backdoorHigh, resourceKinds: ['ec2-instance'] }, { sources: ['guardduty'], resourceKinds: ['access-key'] }),
    ).toBeUndefined();
    expect(
      describeMatchOverlap({ ...backdoorHigh, resourceRole: 'TARGET' }, { ...backdoorHigh, resourceRole: 'ACTOR' }),
    ).toBeUndefined();
    expect(describeMatchOverlap(backdoorHigh, { sources: ['cloudwatch'] })).toBeUndefined();
  });

  it('compares alarm-name globs exactly', () => {
    expect(describeMatchOverlap({ sources: ['cloudwatch'], alarmNames: ['firebreak-*'] }, { sources: ['cloudwatch'], alarmNames: ['*-cpu'] })).toBe(
      "CloudWatch alarm named like both 'firebreak-*' and '*-cpu' at severity 0.0–10.0",
    );
    expect(
      describeMatchOverlap({ sources: ['cloudwatch'], alarmNames: ['firebreak-*'] }, { sources: ['cloudwatch'], alarmNames: ['ops-*'] }),
    ).toBeUndefined();
    expect(describeMatchOverlap({ sources: ['cloudwatch'] }, { sources: ['cloudwatch'], alarmNames: ['ops-*'] })).toBe(
      "CloudWatch alarm named like both '*' and 'ops-*' at severity 0.0–10.0",
    );
  });
});
