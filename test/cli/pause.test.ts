/**
 * `firebreak pause`, `resume` and `status`: the body each sends (checked before anything is sent),
 * signed with SigV4 to the emergency-pause function's URL from the stack output, and what each
 * prints and exits with.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import { createPauseCommands } from '../../lib/cli/pause';
import type { PauseCliDependencies } from '../../lib/operator/emergency-pause';
import { pauseBody, pauseRegion } from '../../lib/operator/emergency-pause';
import { buildProgram } from '../../lib/cli/main';

const URL_ = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
const cloudFormation = mockClient(CloudFormationClient);

interface Sent {
  url: string;
  init: { method: string; headers: Record<string, string>; body: string };
}

function run(argv: string[], response: { status: number; body: unknown }) {
  const sent: Sent[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const deps: PauseCliDependencies = {
    cloudFormation: (region) => new CloudFormationClient({ region }),
    credentials: async () => CREDENTIALS,
    fetch: async (url, init) => {
      sent.push({ url, init });
      return { status: response.status, text: async () => JSON.stringify(response.body) };
    },
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
  };
  const program = new Command().exitOverride();
  createPauseCommands(deps)(program, (code) => (exitCode = code));
  return program.parseAsync(['node', 'firebreak', ...argv]).then(() => ({ sent, out, err, exitCode }));
}

beforeEach(() => {
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'EmergencyPauseFunctionUrl', OutputValue: URL_ }] }],
  });
});

describe('firebreak pause / resume / status', () => {
  it('pause: sends {action: pause, reason} signed (SigV4, service lambda) to the URL from the stack output, and prints the answer', async () => {
    const result = await run(['pause', '--reason', 'false-positive storm', '--region', 'eu-west-1'], { status: 200, body: { outcome: 'paused', message: 'Firebreak is paused by alice.' } });
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(result.sent).toHaveLength(1);
    const [sent] = result.sent as [Sent];
    expect(sent.url).toBe(URL_);
    expect(JSON.parse(sent.init.body)).toEqual({ action: 'pause', reason: 'false-positive storm' });
    expect(sent.init.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/);
    expect(result.out).toEqual(['Firebreak is paused by alice.']);
    expect(result.exitCode).toBe(0);
  });

  it('pause: sends nothing without a reason that is one printable line (exit 2)', async () => {
    const result = await run(['pause', '--reason', 'a\nb', '--region', 'eu-west-1'], { status: 200, body: {} });
    expect(result.sent).toEqual([]);
    expect(result.err[0]).toMatch(/^firebreak pause: nothing was sent: --reason: .*one line/);
    expect(result.exitCode).toBe(2);
  });

  it('resume: sends {action: resume} (its reason when given); status sends {action: status}', async () => {
    const resumed = await run(['resume', '--url', URL_], { status: 200, body: { outcome: 'resumed', message: 'Firebreak is no longer paused.' } });
    expect(JSON.parse((resumed.sent[0] as Sent).init.body)).toEqual({ action: 'resume' });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    const withReason = await run(['resume', '--url', URL_, '--reason', 'storm over'], { status: 200, body: { outcome: 'resumed', message: 'ok' } });
    expect(JSON.parse((withReason.sent[0] as Sent).init.body)).toEqual({ action: 'resume', reason: 'storm over' });
    const status = await run(['status', '--url', URL_], { status: 200, body: { outcome: 'status', message: 'Firebreak is not paused.' } });
    expect(JSON.parse((status.sent[0] as Sent).init.body)).toEqual({ action: 'status' });
    expect(status.out).toEqual(['Firebreak is not paused.']);
  });

  it("says which policy is missing when AWS refuses the signature (exit 1), and the function's refusal when it refuses", async () => {
    const denied = await run(['pause', '--reason', 'x', '--url', URL_], { status: 403, body: { Message: 'Forbidden' } });
    expect(denied.err[0]).toMatch(/PauserPolicy/);
    expect(denied.exitCode).toBe(1);
    const already = await run(['pause', '--reason', 'x', '--url', URL_], { status: 409, body: { outcome: 'already-paused', message: 'Nothing was changed: Firebreak is already paused by bob.' } });
    expect(already.err).toEqual(['firebreak pause: Nothing was changed: Firebreak is already paused by bob.']);
    expect(already.exitCode).toBe(1);
  });

  it('escapes control characters in what the function answers (stored text: the reason)', async () => {
    const result = await run(['status', '--url', URL_], { status: 200, body: { outcome: 'status', message: 'paused (reason: "\u001b[2J")' } });
    expect(result.out[0]).not.toContain('\u001b');
  });

  it('ATTACK: an AWS error text with a line feed, a carriage return and an escape sequence prints escaped, on one line of standard error', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Rate exceeded for stack Firebreak\nFirebreak is no longer paused.\r\u001b[2K'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
    );
    const result = await run(['status', '--region', 'eu-west-1'], { status: 200, body: {} });
    expect(result.sent).toEqual([]);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toBe('firebreak status: cloudformation:DescribeStacks failed (Throttling): Rate exceeded for stack Firebreak\\u000aFirebreak is no longer paused.\\u000d\\u001b[2K; or pass --url (the stack output EmergencyPauseFunctionUrl)');
    expect(result.err.join('\n').split('\n')).toHaveLength(1);
    for (const raw of ['\n', '\r', '\u001b']) expect(result.err[0]).not.toContain(raw);
  });

  it('takes the region from --region, the URL, or AWS_REGION, and refuses none', () => {
    expect(pauseRegion({ region: 'us-east-1' }, {})).toBe('us-east-1');
    expect(pauseRegion({ url: URL_ }, {})).toBe('eu-west-1');
    expect(pauseRegion({}, { AWS_REGION: 'ap-southeast-2' })).toBe('ap-southeast-2');
    expect(() => pauseRegion({}, {})).toThrow(/--region/);
    expect(pauseBody('status', {})).toEqual({ action: 'status' });
  });

  it('are commands of the firebreak program', () => {
    const names = buildProgram(() => undefined).commands.map((command) => command.name());
    expect(names).toEqual(expect.arrayContaining(['pause', 'resume', 'status']));
  });
});
