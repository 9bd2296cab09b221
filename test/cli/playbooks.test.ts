import { copyFile, mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../lib/cli/main';
import { MEMBER_ROLE_STACK_ID } from '../../lib/stack/app';
import { playbookJsonSchemaText } from '../../lib/playbooks/json-schema';

const FIXTURE_EVENTS = resolve(import.meta.dirname, '../fixtures/events');
const SHIPPED_EVENTS = resolve(import.meta.dirname, '../../playbooks/events');
const FIXTURE_PLAYBOOKS = 'test/fixtures/playbooks';
const CHECKOUT_PLAYBOOKS = resolve(import.meta.dirname, '../../playbooks');

let stdout: string[];
let stderr: string[];

beforeEach(() => {
  stdout = [];
  stderr = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr) as typeof process.stderr.write);
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void stdout.push(`${args.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(`${args.join(' ')}\n`));
});

afterEach(() => {
  vi.restoreAllMocks();
});

const run = (...args: string[]) => runCli(['node', 'firebreak', ...args]);
const out = () => stdout.join('');
const err = () => stderr.join('');

describe('firebreak validate', () => {
  it("checks the checkout's playbooks/ by default: exit 0, where they are, and one summary line per file", async () => {
    expect(await run('validate')).toBe(0);
    const lines = out().trim().split('\n');
    const shipped = (await readdir('playbooks')).filter((f) => f.endsWith('.yaml')).length;
    expect(shipped).toBeGreaterThanOrEqual(8);
    expect(lines[0]).toBe(`Playbooks in ${CHECKOUT_PLAYBOOKS} (the Firebreak checkout's; name files or directories to check others):`);
    expect(lines.at(-1)).toBe(`${shipped} playbooks valid.`);
    expect(lines.slice(1, -1)).toHaveLength(shipped);
    expect(lines).toContain(
      'ok  playbooks/compromised-ec2-instance.yaml: compromised-ec2-instance (priority 100, enforce, guardduty): [quarantine-instance | block-dns-domain | snapshot-volumes] -> notify',
    );
    expect(err()).toBe('');
  });

  it('checks the files and directories given', async () => {
    expect(await run('validate', `${FIXTURE_PLAYBOOKS}/valid/alert-everything.yml`, 'playbooks/compromised-ec2-instance.yaml')).toBe(0);
    expect(out()).toContain('2 playbooks valid.');
  });

  it('exits 1 with every error as file:line:col: message', async () => {
    expect(await run('validate', `${FIXTURE_PLAYBOOKS}/broken`)).toBe(1);
    const errors = err().trim().split('\n');
    expect(errors.at(-1)).toBe('11 errors in 8 of 8 files.');
    for (const line of errors.slice(0, -1)) expect(line).toMatch(/^test\/fixtures\/playbooks\/broken\/[a-z-]+\.yaml:\d+:\d+: \S/);
    expect(errors).toContain(
      `${FIXTURE_PLAYBOOKS}/broken/unknown-action.yaml:11:13: unknown action 'quarantine' (did you mean 'quarantine-instance'?); actions are: quarantine-instance, snapshot-volumes, copy-evidence, release-instance, block-dns-domain, unblock-dns-domains, contain-each-instance, contain-each-credential, quarantine-s3-object, release-s3-object, disable-access-key, revoke-role-sessions, release-credentials, update-security-hub-finding, notify`,
    );
    expect(out()).toBe('');
  });

  it('reports cross-file problems, and still lists the valid files', async () => {
    expect(await run('validate', `${FIXTURE_PLAYBOOKS}/overlap`, `${FIXTURE_PLAYBOOKS}/duplicate-names`)).toBe(1);
    expect(out()).toContain(`ok  ${FIXTURE_PLAYBOOKS}/overlap/backdoor-high.yaml`);
    expect(err()).toContain(`${FIXTURE_PLAYBOOKS}/overlap/c2-medium-up.yaml:4:11: playbooks 'c2-medium-up' and 'backdoor-high'`);
    expect(err()).toContain(`${FIXTURE_PLAYBOOKS}/duplicate-names/second.yaml:1:7: playbook name 'same-name' is already used`);
  });

  it("warns, exit 0, about a playbook short of the shipped playbooks' standard, naming the file and field", async () => {
    expect(await run('validate', `${FIXTURE_PLAYBOOKS}/valid/contain-backdoor.yaml`)).toBe(0);
    expect(out()).toContain('1 playbook valid.');
    expect(err()).toBe(
      `${FIXTURE_PLAYBOOKS}/valid/contain-backdoor.yaml:1:1: warning: 1 comment line; the shipped playbooks' standard asks for at least 3 (why the playbook does what it does, and the AWS documentation behind it), and npm test holds every playbook in playbooks/ to it\n` +
        `${FIXTURE_PLAYBOOKS}/valid/contain-backdoor.yaml:3:14: warning: description is 42 characters; the shipped playbooks' standard asks for more than 150 (what the playbook protects against, why these steps, what it does not do), and npm test holds every playbook in playbooks/ to it\n` +
        '2 warnings (docs/playbooks.md, "Writing a new playbook"); the playbooks are valid.\n',
    );
  });

  describe('FIDELITY (review-13c): says which Security Hub workflow statuses the member role must allow, and to deploy it first', () => {
    // The member role allows only the statuses the playbooks it was synthesized from set (row 13d):
    // adding a release write-back (RESOLVED) and deploying only the Firebreak stack, as "Changing
    // playbooks" says, leaves every member account's role denying RESOLVED, found only at the first
    // release there (the write-back step fails). validate is the step before that deploy.
    it('names RESOLVED and the order when a playbook resolves', async () => {
      expect(await run('validate', 'playbooks/scenarios/security-hub/compromised-ec2-instance.yaml', 'playbooks/scenarios/security-hub/release-instance.yaml')).toBe(0);
      expect(out()).toContain(
        'Member accounts: update-security-hub-finding sets Workflow.Status NOTIFIED, RESOLVED; the member role allows only the statuses of the playbooks it was synthesized from: ' +
          'when this list grew, deploy FirebreakMemberRole (or its StackSet) in every member account before the Firebreak stack (docs/deploy.md, "Upgrading: member roles first").',
      );
      expect(err()).toBe('');
      expect(MEMBER_ROLE_STACK_ID).toBe('FirebreakMemberRole');
    });

    it('names NOTIFIED only when no playbook resolves, and says nothing without a write-back', async () => {
      expect(await run('validate', 'playbooks/scenarios/security-hub/compromised-ec2-instance.yaml')).toBe(0);
      expect(out()).toContain('update-security-hub-finding sets Workflow.Status NOTIFIED;');
      stdout.length = 0;
      expect(await run('validate', 'playbooks/compromised-ec2-instance.yaml')).toBe(0);
      expect(out()).not.toContain('Member accounts');
    });
  });

  it('exits 1 for a path that does not exist', async () => {
    expect(await run('validate', 'no/such/playbooks')).toBe(1);
    expect(err()).toContain('no/such/playbooks: no such file or directory');
  });
});

describe('firebreak simulate', () => {
  it('--json prints exactly one JSON object: playbook, mode, flattened steps, reasons, incident, outcome', async () => {
    expect(await run('simulate', '--event', `${SHIPPED_EVENTS}/guardduty-ec2-backdoor-c2activity-multi-eni.json`, '--json')).toBe(0);
    const result = JSON.parse(out()) as Record<string, unknown>;
    expect(result).toMatchObject({
      outcome: 'start-playbook',
      playbook: 'compromised-ec2-instance',
      mode: 'enforce',
      steps: ['quarantine-instance', 'block-dns-domain', 'snapshot-volumes', 'notify'],
      incident: { findingType: 'Backdoor:EC2/C&CActivity.B', resource: { kind: 'ec2-instance', instanceId: 'i-0a1b2c3d4e5f60718' } },
      plan: [
        {
          id: 'contain-and-preserve-evidence',
          parallel: [
            { id: 'contain', action: 'quarantine-instance', with: { instanceMetadata: 'disable' } },
            { id: 'block-dns', action: 'block-dns-domain', with: {} },
            { id: 'preserve-evidence', action: 'snapshot-volumes', with: { tags: { 'evidence-collected-by': 'compromised-ec2-instance' } } },
          ],
        },
        { id: 'alert', action: 'notify', with: { advice: expect.any(String) } },
      ],
    });
    expect(result.reasons).toEqual(expect.arrayContaining([expect.stringContaining('Playbook compromised-ec2-instance (priority 100) matches')]));
    expect(err()).toBe('');
  });

  it('--json says null and no steps when no playbook runs', async () => {
    expect(await run('simulate', '--event', `${SHIPPED_EVENTS}/cloudwatch-alarm-ec2-status-check-alarm-to-ok.json`, '--json')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ outcome: 'ignore', playbook: null, steps: [], mode: 'dry-run', plan: [] });
  });

  it('prints the incident, the decision, the planned steps with their parallel group, and the reasons', async () => {
    expect(await run('simulate', '--event', `${FIXTURE_EVENTS}/guardduty-getfindings-sample-backdoor-dns.json`)).toBe(0);
    const text = out();
    expect(text).toContain('Incident\n  GuardDuty finding: Backdoor:EC2/C&CActivity.B!DNS  [GuardDuty SAMPLE finding]');
    expect(text).toContain('  outcome:   start-playbook\n  playbook:  compromised-ec2-instance (playbooks/compromised-ec2-instance.yaml)\n  mode:      dry-run');
    expect(text).toContain(
      'Planned steps\n' +
        '  1. contain-and-preserve-evidence: in parallel\n' +
        '     1. contain: quarantine-instance (autoScaling: "detach", deregisterFromLoadBalancers: true, instanceMetadata: "disable")\n' +
        '     2. block-dns: block-dns-domain\n' +
        '     3. preserve-evidence: snapshot-volumes (tags: {"evidence-collected-by":"compromised-ec2-instance"}, lock: {"mode":"governance","durationDays":30})\n' +
        '  2. alert: notify\n',
    );
    expect(text).toContain('Reasons\n  - Incident: GuardDuty finding Backdoor:EC2/C&CActivity.B!DNS on EC2 instance i-99999999');
    expect(text).toContain('samples never run in enforce');
    expect(text).toContain('Simulated: no AWS API was called.');
  });

  // The README (cli-review) listed simulate as printing without the terminal escaping, "as it prints only
  // the operator's own files": the event file is a finding, whose text an attacker influences.
  it("ATTACK: a finding's title with escape sequences and a line feed prints escaped, on its own line", async () => {
    const event = JSON.parse(await readFile(`${FIXTURE_EVENTS}/guardduty-ec2-trojan-dns-data-exfiltration.json`, 'utf8')) as { detail: { title: string } };
    event.detail.title = 'Data exfiltration \u001b]0;pwned\u0007\u001b[2J\nresource:  forged line';
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-simulate-'));
    await writeFile(join(dir, 'event.json'), JSON.stringify(event));
    expect(await run('simulate', '--event', join(dir, 'event.json'))).toBe(0);
    const controls = [...out()].filter((character) => character !== '\n' && (character < ' ' || character === '\u007f'));
    expect(controls).toEqual([]);
    expect(out()).toContain('  title:     Data exfiltration \\u001b]0;pwned\\u0007\\u001b[2J\\u000aresource:  forged line\n');
    expect(out().split('\n').filter((line) => line.startsWith('resource:'))).toEqual([]);
  });

  it('ATTACK (review-s28): --json prints no control or format character of the finding as it is (a C1 CSI, a bidi override)', async () => {
    // JSON.stringify escapes only U+0000–U+001F: U+009B (8-bit CSI) and U+202E (right-to-left override)
    // passed through raw, though every other --json output goes through terminalText.
    const event = JSON.parse(await readFile(`${FIXTURE_EVENTS}/guardduty-ec2-trojan-dns-data-exfiltration.json`, 'utf8')) as { detail: { type: string } };
    event.detail.type = 'Trojan:EC2/DNSDataExfiltration\u202e\u009b2J';
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-simulate-'));
    await writeFile(join(dir, 'event.json'), JSON.stringify(event));
    expect(await run('simulate', '--event', join(dir, 'event.json'), '--json')).toBe(0);
    expect([...out()].filter((character) => /[\p{Cc}\p{Cf}]/u.test(character) && character !== '\n')).toEqual([]);
    // Still the same JSON: the escape means the character itself.
    expect(JSON.parse(out())).toMatchObject({ incident: { findingType: 'Trojan:EC2/DNSDataExfiltration\u202e\u009b2J' } });
  });

  it('routes with the playbooks of --playbooks', async () => {
    expect(await run('simulate', '--event', `${FIXTURE_EVENTS}/guardduty-ec2-trojan-dns-data-exfiltration.json`, '--json', '--playbooks', `${FIXTURE_PLAYBOOKS}/valid`)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ playbook: 'alert-everything', mode: 'dry-run', steps: ['notify'] });
  });

  it('exits 2 with the parser issues on stderr for an invalid event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-simulate-'));
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: { severity: 'high' } }));
    expect(await run('simulate', '--event', file, '--json')).toBe(2);
    expect(out()).toBe('');
    expect(err()).toContain(`firebreak simulate: ${file} is not an event Firebreak accepts:\n  - detail`);
  });

  it('exits 2 for text that is not JSON, and for a file that cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-simulate-'));
    await writeFile(join(dir, 'event.json'), '{ "source": ');
    expect(await run('simulate', '--event', join(dir, 'event.json'))).toBe(2);
    expect(err()).toContain('(root): expected JSON text');
    stderr.length = 0;
    expect(await run('simulate', '--event', join(dir, 'missing.json'))).toBe(2);
    expect(err()).toBe(`firebreak simulate: cannot read the event file ${join(dir, 'missing.json')}: no such file\n`);
  });

  it('exits 1 when the playbooks it would route with are invalid', async () => {
    expect(await run('simulate', '--event', `${SHIPPED_EVENTS}/gameday-cloudwatch-alarm-ec2-cpu.json`, '--playbooks', `${FIXTURE_PLAYBOOKS}/broken`)).toBe(1);
    expect(err()).toContain('the playbooks in test/fixtures/playbooks/broken are invalid');
  });

  it('exits 2 when --event is missing', async () => {
    expect(await run('simulate')).toBe(2);
    expect(err()).toContain("required option '--event <file>' not specified");
  });
});

// A new user's review: simulate took every account as served, so a member account's finding said
// start-playbook where a single-account deployment only alerts. Given the deployment's accounts, it
// applies the same gate the deployed triage applies (servedAccountsFromEnvironment, triage).
describe('firebreak simulate, with the accounts a deployment serves', () => {
  const MEMBER_FINDING = `${FIXTURE_EVENTS}/guardduty-ec2-trojan-dns-data-exfiltration.json`;

  it('refuses, and only alerts, a finding of an account a single-account deployment does not serve', async () => {
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json', '--security-account', '111122223333')).toBe(0);
    const result = JSON.parse(out()) as { outcome: string; playbook: unknown; reasons: string[]; servedAccountGate: string };
    expect(result).toMatchObject({ outcome: 'alert-only', playbook: null, servedAccountGate: 'applied' });
    expect(result.reasons).toContain(
      'Refused: account 444455556666 is not the security account (111122223333) and no member role is configured, so Firebreak cannot act there. Firebreak acts only in the accounts this deployment serves, so it starts no playbook and only alerts.',
    );
  });

  it('starts the playbook for an account the deployment serves through its member role', async () => {
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json', '--security-account', '111122223333', '--organization', 'o-abcdefghij', '--member-role', 'FirebreakMember', '--served-accounts', '444455556666')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ outcome: 'start-playbook', playbook: 'compromised-ec2-instance', servedAccountGate: 'applied' });
    stdout.length = 0;
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json', '--security-account', '111122223333', '--organization', 'o-abcdefghij', '--member-role', 'FirebreakMember')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ outcome: 'start-playbook', servedAccountGate: 'applied' });
  });

  // Before review guard-role-age simulate had no flag for the deployment's forensic account, so its
  // served-account gate could not show that a finding of the evidence vault is only alerted (row 1n).
  it('ATTACK (guard-role-age): refuses, and only alerts, a finding of the forensic account given with --forensic-account, even through a member role', async () => {
    const member = ['--security-account', '111122223333', '--organization', 'o-abcdefghij', '--member-role', 'FirebreakMember'];
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json', ...member, '--forensic-account', '444455556666')).toBe(0);
    const result = JSON.parse(out()) as { outcome: string; playbook: unknown; reasons: string[]; servedAccountGate: string };
    expect(result).toMatchObject({ outcome: 'alert-only', playbook: null, servedAccountGate: 'applied' });
    expect(result.reasons.join(' ')).toContain("account 444455556666 is the deployment's forensic account (the evidence vault)");
    stdout.length = 0;
    // Another forensic account: the finding's account is served as before.
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json', ...member, '--forensic-account', '777788889999')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ outcome: 'start-playbook', playbook: 'compromised-ec2-instance' });
    stdout.length = 0;
    // The text says so too.
    expect(await run('simulate', '--event', MEMBER_FINDING, ...member, '--forensic-account', '444455556666')).toBe(0);
    expect(out()).toContain("account 444455556666 is the deployment's forensic account");
  });

  it('exits 2 naming --forensic-account for a value a deployment would refuse', async () => {
    const refused = async (...flags: string[]) => {
      stderr.length = 0;
      expect(await run('simulate', '--event', MEMBER_FINDING, ...flags)).toBe(2);
      return err();
    };
    expect(await refused('--security-account', '111122223333', '--forensic-account', '4444-5555-6666')).toBe(
      'firebreak simulate: --forensic-account (forensicAccountId): a 12-digit AWS account id (the forensic account evidence is copied to), got "4444-5555-6666"\n',
    );
    expect(await refused('--security-account', '111122223333', '--forensic-account', '111122223333')).toBe(
      'firebreak simulate: --forensic-account (forensicAccountId): forensicAccountId 111122223333 is the securityAccountId: the forensic account must be an account of its own (Firebreak never acts in it, so every incident of the security account would be alerted only), got "111122223333"\n',
    );
    expect(await refused('--security-account', '111122223333', '--served-accounts', '444455556666', '--forensic-account', '444455556666')).toMatch(
      /^firebreak simulate: --forensic-account \(forensicAccountId\): forensicAccountId 444455556666 is also in servedAccountIds/,
    );
    expect(await refused('--forensic-account', '444455556666')).toBe(
      'firebreak simulate: --served-accounts, --organization, --member-role and --forensic-account describe a deployment: give its --security-account too\n',
    );
    expect(out()).toBe('');
  });

  it('says when it applied no account gate, in the text and in --json', async () => {
    expect(await run('simulate', '--event', MEMBER_FINDING, '--json')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ outcome: 'start-playbook', servedAccountGate: 'not applied' });
    stdout.length = 0;
    expect(await run('simulate', '--event', MEMBER_FINDING)).toBe(0);
    expect(out()).toContain(
      'Served accounts: not checked (no --security-account): every account is taken as served; a deployment refuses, and only alerts, a finding of an account it does not serve.',
    );
  });

  // Checked as `cdk synth` checks the deployment's settings (lib/stack/config.ts), so that simulate
  // takes no value a deployment would refuse: before, a role name or an organization id without a
  // member role went through.
  it('exits 2 naming the flag for an account list, organization or role a deployment would refuse', async () => {
    const refused = async (...flags: string[]) => {
      stderr.length = 0;
      expect(await run('simulate', '--event', MEMBER_FINDING, ...flags)).toBe(2);
      return err();
    };
    expect(await refused('--security-account', '1111')).toBe('firebreak simulate: --security-account (securityAccountId): a 12-digit AWS account id (the Firebreak security account), got "1111"\n');
    expect(await refused('--security-account', '111122223333', '--served-accounts', '444455556666,12345')).toBe(
      `firebreak simulate: --served-accounts (servedAccountIds[1]): each entry must be a 12-digit AWS account id: servedAccountIds must be 12-digit account ids, got '12345', got "12345"\n`,
    );
    expect(await refused('--security-account', '111122223333', '--organization', 'org-1', '--member-role', 'FirebreakMember')).toBe(
      'firebreak simulate: --organization (organizationId): an organization id such as o-a1b2c3d4e5, got "org-1"\n',
    );
    expect(await refused('--security-account', '111122223333', '--member-role', 'FirebreakMember')).toMatch(
      /^firebreak simulate: --organization \(organizationId\): required when memberRoleName is set \(memberRoleName is set but organizationId is not\)/,
    );
    expect(await refused('--security-account', '111122223333', '--organization', 'o-abcdefghij')).toMatch(
      /^firebreak simulate: --organization \(organizationId\): only meaningful with memberRoleName: organizationId is set but memberRoleName is not/,
    );
    expect(await refused('--security-account', '111122223333', '--organization', 'o-abcdefghij', '--member-role', 'bad!name')).toBe(
      'firebreak simulate: --member-role (memberRoleName): an IAM role name (at most 64 of letters, digits and +=,.@_-), got "bad!name"\n',
    );
    expect(await refused('--served-accounts', '444455556666')).toBe('firebreak simulate: --served-accounts, --organization, --member-role and --forensic-account describe a deployment: give its --security-account too\n');
    expect(out()).toBe('');
  });
});

// The new-user review: from any other directory, validate and simulate looked for ./playbooks and
// failed, while the game day found the checkout's. They read the game day's playbooks now.
describe('firebreak validate and simulate, run outside the checkout', () => {
  const checkout = process.cwd();
  let elsewhere: string;

  beforeEach(async () => {
    elsewhere = await realpath(await mkdtemp(join(tmpdir(), 'firebreak-elsewhere-')));
    process.chdir(elsewhere);
  });

  afterEach(() => {
    process.chdir(checkout);
  });

  it("validate checks the checkout's playbooks, the game day's, and says where they are", async () => {
    expect(await run('validate')).toBe(0);
    const lines = out().trim().split('\n');
    const shipped = (await readdir(CHECKOUT_PLAYBOOKS)).filter((f) => f.endsWith('.yaml')).length;
    expect(lines[0]).toBe(`Playbooks in ${CHECKOUT_PLAYBOOKS} (the Firebreak checkout's; name files or directories to check others):`);
    expect(lines).toContain(
      `ok  ${CHECKOUT_PLAYBOOKS}/compromised-ec2-instance.yaml: compromised-ec2-instance (priority 100, enforce, guardduty): [quarantine-instance | block-dns-domain | snapshot-volumes] -> notify`,
    );
    expect(lines.at(-1)).toBe(`${shipped} playbooks valid.`);
    expect(err()).toBe('');
  });

  it('validate reads a path it is given, not the checkout\'s playbooks, and a playbooks/ folder here only when named', async () => {
    await mkdir('playbooks');
    await copyFile(resolve(checkout, FIXTURE_PLAYBOOKS, 'valid/alert-everything.yml'), 'playbooks/alert-everything.yml');
    expect(await run('validate', 'playbooks')).toBe(0);
    expect(out()).toBe(`ok  playbooks/alert-everything.yml: alert-everything (priority 0, dry-run, guardduty+cloudwatch): notify\n1 playbook valid.\n`);
  });

  it("simulate routes with the checkout's playbooks and names them; --playbooks still wins", async () => {
    const event = `${SHIPPED_EVENTS}/guardduty-ec2-backdoor-c2activity-multi-eni.json`;
    const shipped = (await readdir(CHECKOUT_PLAYBOOKS)).filter((f) => f.endsWith('.yaml')).length;
    expect(await run('simulate', '--event', event)).toBe(0);
    expect(out()).toContain(`  routed by: ${shipped} playbooks in ${CHECKOUT_PLAYBOOKS}\n`);
    expect(out()).toContain(`  playbook:  compromised-ec2-instance (${CHECKOUT_PLAYBOOKS}/compromised-ec2-instance.yaml)`);

    stdout.length = 0;
    expect(await run('simulate', '--event', event, '--json')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ playbook: 'compromised-ec2-instance', playbookDirectory: CHECKOUT_PLAYBOOKS });

    stdout.length = 0;
    await mkdir('mine');
    await copyFile(resolve(checkout, FIXTURE_PLAYBOOKS, 'valid/alert-everything.yml'), 'mine/alert-everything.yml');
    expect(await run('simulate', '--event', event, '--json', '--playbooks', 'mine')).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ playbook: 'alert-everything', playbookDirectory: join(elsewhere, 'mine') });
  });
});

describe('firebreak schema', () => {
  it('prints the generated JSON Schema', async () => {
    expect(await run('schema')).toBe(0);
    expect(out()).toBe(playbookJsonSchemaText());
  });

  it('--write FILE writes it', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'firebreak-schema-')), 'playbook.schema.json');
    expect(await run('schema', '--write', file)).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(playbookJsonSchemaText());
    expect(out()).toBe(`wrote ${file}\n`);
  });
});
