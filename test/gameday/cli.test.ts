/**
 * `firebreak gameday list|run` through runCli: exit codes, the expected-versus-actual line of a
 * failing expectation, the JSON document, and the suggestion for an unknown scenario.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../lib/cli/main';

const ROOT = resolve(import.meta.dirname, '../..');
const SHIPPED = resolve(ROOT, 'playbooks/scenarios');
let dir: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(['node', 'firebreak', 'gameday', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'firebreak-gameday-'));
  await copyFile(join(SHIPPED, 'ec2-throttled-twice.yaml'), join(dir, 'ec2-throttled-twice.yaml'));
  // The same scenario with one wrong expectation: the ENI must be back in web-tier (it is isolated).
  const wrong = (await readFile(join(SHIPPED, 'ec2-throttled-twice.yaml'), 'utf8'))
    .replace('name: ec2-throttled-twice', 'name: wrong-expectation')
    .replace('        - [isolation]', '        - [web-tier]');
  await writeFile(join(dir, 'wrong-expectation.yaml'), wrong);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('firebreak gameday run', () => {
  it('exits 0 and prints the timeline, time to containment and every expectation as PASS when they all hold', async () => {
    const { code, stdout } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir);
    expect(code).toBe(0);
    expect(stdout).toContain('━━ ec2-throttled-twice ━━');
    expect(stdout).toMatch(/dispatcher#1\s+Triage\s+triage → start-playbook → compromised-ec2-instance \(enforce\)/);
    expect(stdout).toMatch(/✗ ec2:ModifyNetworkInterfaceAttribute: RequestLimitExceeded \(injected\)/);
    expect(stdout).toMatch(/time to containment: \d+\.\d{3} s simulated, [\d.]+ms wall/);
    expect(stdout).toContain('PASS calls to ec2:ModifyNetworkInterfaceAttribute answered RequestLimitExceeded: 2');
    expect(stdout).not.toContain('FAIL');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
  });

  it('exits 1 with a clear expected-versus-actual line when an expectation does not hold', async () => {
    const { code, stdout } = await cli('run', 'wrong-expectation', '--scenarios', dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/ {3}FAIL instance web ENI 1 \(eni-[0-9a-f]+\) groups: expected \[web-tier\], actual \[isolation\]\n/);
    expect(stdout).toMatch(/^FAIL wrong-expectation: \d+\/\d+ expectations hold/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('runs every scenario when none is named, and fails the game day if any fails', async () => {
    const { code, stdout, stderr } = await cli('run', '--scenarios', dir);
    expect(code).toBe(1);
    expect(stderr).toContain('[1/2] ec2-throttled-twice');
    expect(stderr).toContain('[2/2] wrong-expectation: FAIL');
    expect(stdout).toContain('Game day: 1 of 2 scenario(s) passed');
  });

  it('--json prints one JSON document with the same content', async () => {
    const { code, stdout } = await cli('run', '--all', '--json', '--scenarios', dir);
    expect(code).toBe(1);
    const document = JSON.parse(stdout) as {
      passed: boolean;
      summary: Record<string, number>;
      scenarios: {
        name: string;
        passed: boolean;
        verdict: string;
        containment: { simMs: number; isolatedEnis: number } | null;
        deliveries: { outcome: string; playbook: string; duplicate: boolean }[];
        executions: { playbook: string; status: string }[];
        calls: { total: number; errors: { api: string; errorCode: string; injected: boolean }[] };
        timeline: { execution: string; state: string; action: string; result: string; simMs: number; wallMs: number }[];
        expectations: { name: string; passed: boolean; expected: string; actual: string }[];
      }[];
    };
    expect(document.passed).toBe(false);
    expect(document.summary).toMatchObject({ scenarios: 2, passed: 1, failed: 1, pending: 0 });
    const [ok, wrong] = document.scenarios;
    expect(ok).toMatchObject({
      name: 'ec2-throttled-twice',
      passed: true,
      verdict: 'PASS',
      containment: { isolatedEnis: 1 },
      deliveries: [{ outcome: 'start-playbook', playbook: 'compromised-ec2-instance', duplicate: false }],
      executions: [{ playbook: 'compromised-ec2-instance', status: 'SUCCEEDED' }],
    });
    expect(ok?.calls.errors.filter((call) => call.errorCode === 'RequestLimitExceeded')).toEqual([
      expect.objectContaining({ api: 'ec2:ModifyNetworkInterfaceAttribute', injected: true }),
      expect.objectContaining({ api: 'ec2:ModifyNetworkInterfaceAttribute', injected: true }),
    ]);
    expect(ok?.timeline).toContainEqual(expect.objectContaining({ execution: 'compromised-ec2-instance', state: 'contain', action: 'quarantine-instance', result: 'quarantined' }));
    expect(wrong?.verdict).toBe('FAIL');
    expect(wrong?.expectations).toContainEqual(expect.objectContaining({ passed: false, expected: '[web-tier]', actual: '[isolation]' }));
  });

  it('exits 2 and suggests the closest name for an unknown scenario', async () => {
    const { code, stderr, stdout } = await cli('run', 'ec2-throttled-twise', '--scenarios', dir);
    expect(code).toBe(2);
    expect(stderr).toContain("no scenario named 'ec2-throttled-twise' (did you mean 'ec2-throttled-twice'?)");
    expect(stdout).toBe('');
  });

  // Found by a new user: `run --all ec2-throttled-twise` ran every scenario and never mentioned the
  // misspelt name, and of several unknown names only the first was said.
  it('exits 2, running nothing, for scenario names beside --all, and names every unknown scenario', async () => {
    const both = await cli('run', '--all', 'ec2-throttled-twise', '--scenarios', dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('firebreak gameday: name scenarios or pass --all, not both (got --all and ec2-throttled-twise)');
    expect(both.stdout).toBe('');
    const unknown = await cli('run', 'ec2-throttled-twise', 'wrong-expectatoin', '--scenarios', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no scenario named 'ec2-throttled-twise' (did you mean 'ec2-throttled-twice'?)");
    expect(unknown.stderr).toContain("no scenario named 'wrong-expectatoin' (did you mean 'wrong-expectation'?)");
    expect(unknown.stdout).toBe('');
  });

  it('exits 2 naming file, line and column when a scenario file is invalid', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'firebreak-gameday-bad-'));
    try {
      await writeFile(join(bad, 'broken.yaml'), 'name: broken\ndescription: x\nplaybook: null\ninject:\n  - raw: x\nexpect:\n  executons: 0\n');
      const { code, stderr } = await cli('run', '--scenarios', bad);
      expect(code).toBe(2);
      expect(stderr).toContain(`${join(bad, 'broken.yaml')}:7:3: unknown key 'executons' (did you mean 'executions'?)`);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

// Found in review: `--reports DIR --no-reports` let the last flag win without a word, so a run
// meant to keep its reports could silently keep none (or the other way round).
describe('firebreak gameday run --reports and --no-reports', () => {
  it.each([
    ['--reports DIR first', (reports: string) => ['--reports', reports, '--no-reports']],
    ['--no-reports first', (reports: string) => ['--no-reports', '--reports', reports]],
  ])('exits 2 with one line naming both flags, running nothing (%s)', async (_, flags) => {
    const reports = join(dir, 'both-flags-reports');
    const { code, stdout, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, ...flags(reports));
    expect(code).toBe(2);
    expect(stderr).toBe("error: option '--reports <dir>' cannot be used with option '--no-reports'\n");
    expect(stdout).toBe('');
    expect(existsSync(reports)).toBe(false);
  });

  it('--reports DIR alone writes the reports under DIR/<scenario>', async () => {
    const reports = join(dir, 'own-reports');
    const { code, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--reports', reports);
    expect(code).toBe(0);
    expect(stderr).toContain(`: ${join(reports, 'ec2-throttled-twice')}/`);
    expect((await readdir(join(reports, 'ec2-throttled-twice'))).some((file) => file.endsWith('.md'))).toBe(true);
  });

  it('--no-reports alone writes none', async () => {
    const { code, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--no-reports');
    expect(code).toBe(0);
    expect(stderr).not.toContain('    report ');
  });
});

describe('firebreak gameday run --scenario-timeout', () => {
  it.each(['0', '-5', 'soon', '', 'Infinity'])("exits 2 naming the flag for '%s', running nothing", async (value) => {
    const { code, stdout, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--no-reports', `--scenario-timeout=${value}`);
    expect(code).toBe(2);
    expect(stderr).toBe(`firebreak gameday: --scenario-timeout takes a number of seconds above 0 (got '${value}')\n`);
    expect(stdout).toBe('');
  });

  it('runs a scenario within its bound as without one', async () => {
    const { code, stdout } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--no-reports', '--scenario-timeout', '600');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
  });
});

describe('firebreak gameday run --endpoint-url, when the endpoint cannot be used', () => {
  /** A local port nothing listens on: it answers ECONNREFUSED at once. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as { port: number };
    await new Promise<void>((closed) => server.close(() => closed()));
    return port;
  }

  it('exits 2 with one message before any scenario, not a failure per scenario', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    try {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const { code, stderr, stdout } = await cli('run', '--all', '--scenarios', dir, '--endpoint-url', url, '--no-reports');
      expect(code).toBe(2);
      expect(stderr.match(/did not answer sts:GetCallerIdentity/g)).toHaveLength(1);
      expect(stderr).toContain(`firebreak gameday: ${url} did not answer sts:GetCallerIdentity`);
      expect(stderr).toContain('is the endpoint running?');
      // No scenario was started, so none is reported failed.
      expect(stderr).not.toMatch(/\[1\/2\]/);
      expect(stdout).toBe('');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('firebreak gameday list', () => {
  it('prints one line per scenario with its playbook and first sentence', async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ scenario\(s\) in /);
    expect(lines).toContainEqual(expect.stringMatching(/^duplicate-delivery\s+compromised-ec2-instance\s+EventBridge delivers at least once: /));
    expect(lines).toContainEqual(expect.stringMatching(/^alarm-back-to-ok\s+\(none\)\s+A status-check alarm/));
  });
});

describe('firebreak gameday run --latency', () => {
  it('prints the predicted time to containment (p50/p99) and the critical path hop by hop', async () => {
    const { code, stdout } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--latency', '--runs', '20');
    expect(code).toBe(0);
    expect(stdout).toMatch(/predicted time to containment \(latency model, 20 seeded runs\): p50 \d+\.\d{3} s, p99 \d+\.\d{3} s/);
    expect(stdout).toContain('critical path of the median run (to the last containing call):');
    expect(stdout).toMatch(/eventbridge\s+EventBridge delivers the finding to the dispatcher/);
    // The throttled moves were retried by the SDK: the attempts are on the path.
    expect(stdout).toMatch(/api-call\s+quarantine-instance: ec2:ModifyNetworkInterfaceAttribute \(3 attempts\)/);
  });

  it('--json carries the prediction', async () => {
    const { code, stdout } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--latency', '--runs', '10', '--seed', 's', '--json');
    expect(code).toBe(0);
    const latency = (JSON.parse(stdout) as { scenarios: { latency: { runs: number; seed: string; containment: { p50Ms: number; p99Ms: number }; criticalPath: { kind: string }[] } }[] }).scenarios[0]?.latency;
    expect(latency?.runs).toBe(10);
    expect(latency?.seed).toBe('s');
    expect(latency?.containment.p50Ms).toBeGreaterThan(0);
    expect(latency?.criticalPath[0]?.kind).toBe('eventbridge');
  });

  it('leaves a plain run untimed, and refuses --runs without --latency', async () => {
    const plain = await cli('run', 'ec2-throttled-twice', '--scenarios', dir);
    expect(plain.stdout).not.toContain('predicted time to containment');
    const { code, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--runs', '5');
    expect(code).toBe(2);
    expect(stderr).toContain('--runs and --seed time a run with the latency model: add --latency');
  });

  it('exits 2 naming the field of an invalid model file', async () => {
    const file = join(dir, 'model.json');
    const model = JSON.parse(await readFile(resolve(ROOT, 'lib/gameday/latency/model.json'), 'utf8')) as { eventBridge: { delivery: { p99Ms: number } } };
    model.eventBridge.delivery.p99Ms = 1;
    await writeFile(file, JSON.stringify(model));
    const { code, stderr } = await cli('run', 'ec2-throttled-twice', '--scenarios', dir, '--latency', file);
    expect(code).toBe(2);
    expect(stderr).toContain('eventBridge.delivery.p99Ms: must be at least p50Ms (50)');
  });
});
