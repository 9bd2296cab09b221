import { Logger } from '@aws-lambda-powertools/logger';
import { EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler, handler } from '../../lambdas/quarantine-instance/index';
import { ResponderInputError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ec2Incident } from '../support/incidents';
import { TestClientFactory, givenGroups, givenInstance, givenMutationsSucceed } from '../responders/quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);

/** The payload exactly as a state machine delivers it: plain JSON. */
const event = (overrides: Record<string, unknown> = {}) =>
  JSON.parse(JSON.stringify({ incident: ec2Incident(), mode: 'enforce', options: {}, execution: EXECUTION, ...overrides })) as unknown;
/** The grant the guard writes for the execution. */
const grants = storeGranting(ec2Incident(), new Date());
/** The grant's playbook sends quarantine-instance no options (FIREBREAK_PLAYBOOK_STEPS): the defaults apply. */
const STEP_ENV = { ...process.env, ...playbookStepsEnvironment({}) };

beforeEach(() => {
  ec2Mock.reset();
  givenMutationsSucceed(ec2Mock);
  givenInstance(ec2Mock);
  givenGroups(ec2Mock);
});

afterEach(() => {
  vi.restoreAllMocks();
  ec2Mock.reset();
});

describe('quarantine-instance Lambda', () => {
  it('runs the real responder over injected clients and record store (what the local game day does)', async () => {
    const records = new InMemoryQuarantineRecordStore();
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records, grants, environment: STEP_ENV });
    const result = await run(event());
    expect(result).toMatchObject({ responder: 'quarantine-instance', status: 'quarantined', mode: 'enforce' });
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
    expect(await records.get(ec2Incident().account, ec2Incident().region, result.instanceId!)).toBeDefined();
  });

  it('applies the option defaults from the action registry (detach the profile, keep the role sessions)', async () => {
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records: new InMemoryQuarantineRecordStore(), grants, environment: STEP_ENV });
    const result = await run(event({ options: undefined }));
    expect(result.instanceProfileArn).toBeDefined();
    expect(result.revokedRoleSessions).toBeUndefined();
  });

  it('refuses a malformed payload before any AWS call, naming the field', async () => {
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records: new InMemoryQuarantineRecordStore(), grants, environment: STEP_ENV });
    await expect(run(event({ options: { revokeRoleSesions: true } }))).rejects.toThrow(/input\.options/);
    await expect(run(event({ mode: 'yes' }))).rejects.toBeInstanceOf(ResponderInputError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('exports the module-scope handler, which validates before touching AWS', async () => {
    await expect(handler({ incident: { key: 'x' } })).rejects.toBeInstanceOf(ResponderInputError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('stamps the incident key on every log line written through the Powertools logger', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    const logger = new Logger({ serviceName: 'quarantine-instance', logLevel: 'DEBUG' });
    const run = createHandler({ clients: new TestClientFactory(), logger, records: new InMemoryQuarantineRecordStore(), grants });
    await run(event());
    const records = lines.join('').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.incidentKey === ec2Incident().key)).toBe(true);
  });
});
