/**
 * The endpoint backend (`--endpoint-url`) end to end, with a SimulatedAws acting as the endpoint:
 * every SDK request the backend and the responders make is answered by the simulator through
 * `configureClient` (sim.attach, full wiring), so the creation, the pipeline, the Describe-based
 * inspection and the cleanup all go through real SDK clients, and no socket is opened.
 */
import { resolve } from 'node:path';
import type { FinalizeRequestMiddleware, RetryStrategyV2 } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { createSecurityGroupInput, defaultSubnetCidr, ipPermission, runInstancesInput } from '../../lib/gameday/account-backend/inputs';
import { createEndpointBackend, EndpointBackend, EndpointBackendUnavailableError } from '../../lib/gameday/endpoint-backend';
import type { EndpointBackendOptions } from '../../lib/gameday/endpoint-backend';
import { renderJson, renderScenarioRun } from '../../lib/gameday/report';
import { runScenario } from '../../lib/gameday/runner';
import type { ScenarioRun } from '../../lib/gameday/runner';
import { environmentSchema } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { SimulatedAws } from '../../lib/gameday/sim';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
const ACCOUNT = '111122223333';

/** The SDK's standard retry decisions without its real sleeps (the test must not wait on backoff). */
function noSleepRetry(maxAttempts = 3): RetryStrategyV2 {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => undefined });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous, info) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error('No retry token available');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

/** An endpoint backend whose every request the simulator answers. */
function backendOverSimulator(
  overrides: Partial<EndpointBackendOptions> = {},
  inFrontOfSimulator?: EndpointBackendOptions['configureClient'],
): { backend: EndpointBackend; sim: SimulatedAws; problems: string[] } {
  // Instance transitions complete at once: the endpoint backend waits with real polls, and the simulator's clock never moves.
  const sim = new SimulatedAws({ seed: 'endpoint-backend', defaultAccount: ACCOUNT, defaultRegion: 'eu-west-1', instanceTransitionMs: 0 });
  const problems: string[] = [];
  const backend = new EndpointBackend({
    endpointUrl: 'http://localhost:4566',
    runId: 'test01',
    clientConfig: { credentials: sim.credentialsFor(`arn:aws:iam::${ACCOUNT}:role/gameday-endpoint`), retryStrategy: noSleepRetry() },
    configureClient: (client) => {
      sim.attach(client, { wire: 'full' });
      inFrontOfSimulator?.(client);
    },
    pollIntervalMs: 0,
    waitTimeoutMs: 5_000,
    report: (line) => problems.push(line),
    ...overrides,
  });
  return { backend, sim, problems };
}

function scenarioNamed(name: string) {
  const scenario = scenarios.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`no shipped scenario ${name}`);
  return scenario;
}

function failures(run: ScenarioRun): string[] {
  return run.expectations.filter((result) => !result.passed).map((result) => `${result.name}: expected ${result.expected}, actual ${result.actual}`);
}

/** What is left of the scenario in the simulated account after cleanup (game-day resources only). */
function leftovers(sim: SimulatedAws): Record<string, number> {
  const state = sim.state() as Record<string, unknown[] | undefined>;
  const count = (key: string, keep: (item: Record<string, unknown>) => boolean = () => true) =>
    ((state[key] ?? []) as Record<string, unknown>[]).filter(keep).length;
  return {
    vpcs: count('vpcs'),
    subnets: count('subnets'),
    securityGroups: count('securityGroups'),
    networkInterfaces: count('networkInterfaces'),
    volumes: count('volumes', (volume) => volume.state !== 'deleted'),
    snapshots: sim.snapshots().length,
    instances: count('instances', (instance) => instance.state !== 'terminated'),
    topics: count('topics'),
    queues: count('queues'),
    tables: count('tables'),
    instanceProfiles: count('instanceProfiles'),
    // Buckets and object versions (the scenario's objects and their quarantine copies).
    buckets: (sim as unknown as { world: { s3: { buckets: Map<string, unknown> } } }).world.s3.buckets.size,
    objectVersions: (sim as unknown as { world: { s3: { versions: unknown[] } } }).world.s3.versions.length,
  };
}

const NOTHING_LEFT = {
  vpcs: 0,
  subnets: 0,
  securityGroups: 0,
  networkInterfaces: 0,
  volumes: 0,
  snapshots: 0,
  instances: 0,
  topics: 0,
  queues: 0,
  tables: 0,
  instanceProfiles: 0,
  buckets: 0,
  objectVersions: 0,
};

describe('endpoint backend against the simulator as the endpoint', () => {
  it('runs compromised-instance-multi-eni: every expectation holds, and cleanup deletes what it created', async () => {
    const { backend, sim, problems } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('compromised-instance-multi-eni'), { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(failures(run)).toEqual([]);
    expect(run.backend).toBe('endpoint http://localhost:4566');
    // The environment was built through the SDK, not the builder.
    expect(sim.calls({ api: 'ec2:RunInstances', outcome: 'ok' })).toHaveLength(2);
    expect(sim.calls({ api: 'ec2:CreateVpc', outcome: 'ok' })).toHaveLength(1);
    expect(backend.createdResources().map((resource) => resource.kind)).toEqual([
      'vpc',
      'subnet',
      'security-group',
      'security-group',
      'security-group',
      'role',
      'instance-profile',
      'instance',
      'instance',
      // The alert topic's key (the topic is encrypted as the stack encrypts it), scheduled for deletion at cleanup.
      'key',
      'topic',
      // The backup (operations) topic and its own key: publish-alert's second channel.
      'key',
      'topic',
      // The unprocessable-events queue, the undelivered-events queue (EventBridge's dead-letter queue), the alert feed.
      'queue',
      'queue',
      'queue',
      'table',
      // The record key (HMAC_256), scheduled for deletion at cleanup.
      'key',
    ]);
    // The responders' calls are in the call log, the backend's own setup and inspection calls are not.
    const apis = new Set(run.calls.map((call) => call.api));
    // Quarantine sealed its record with the key the backend created on the endpoint.
    expect(apis.has('kms:GenerateMac')).toBe(true);
    expect(apis.has('ec2:ModifyNetworkInterfaceAttribute')).toBe(true);
    expect(apis.has('ec2:RunInstances')).toBe(false);
    expect(apis.has('sqs:ReceiveMessage')).toBe(false);
    expect(backend.cleanupReport().failed).toEqual([]);
    expect(problems).toEqual([]);
    expect(leftovers(sim)).toEqual(NOTHING_LEFT);
  });

  it('runs s3-object-sse-kms-tagged-and-copied: the bucket, its SSE-KMS key and the object are created, and cleanup deletes the object, its quarantine copy and the bucket', async () => {
    const { backend, sim, problems } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('s3-object-sse-kms-tagged-and-copied'), { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(failures(run)).toEqual([]);
    const kinds = backend.createdResources().map((resource) => resource.kind);
    // The bucket, then its SSE-KMS key, the environment's (scheduled for deletion at cleanup, after the deployment's keys).
    expect(kinds.slice(kinds.indexOf('bucket'), kinds.indexOf('bucket') + 2)).toEqual(['bucket', 'environment-key']);
    expect(sim.calls({ api: 'kms:ScheduleKeyDeletion', outcome: 'ok' }).length).toBe(kinds.filter((kind) => kind === 'key' || kind === 'environment-key').length);
    expect(sim.calls({ api: 's3:PutBucketEncryption', outcome: 'ok' })).toHaveLength(1);
    // The object and its quarantine copy are deleted by exact version, then the bucket.
    expect(sim.calls({ api: 's3:DeleteObject', outcome: 'ok' })).toHaveLength(2);
    expect(sim.calls({ api: 's3:DeleteBucket', outcome: 'ok' })).toHaveLength(1);
    expect(backend.cleanupReport().failed).toEqual([]);
    expect(problems).toEqual([]);
    expect(leftovers(sim)).toEqual(NOTHING_LEFT);
  });

  it('refuses a scenario with a forensic account (settings.forensicAccount): it prepares one account only, and says so', async () => {
    const { backend } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('evidence-copied-to-forensic-account'), { playbooks, backend });
    expect(run.error).toContain('settings.forensicAccount needs a backend that prepares a second account');
    expect(run.calls.filter((call) => call.api === 'ec2:CopySnapshot')).toEqual([]);
  });

  it('refuses a scenario with a quarantine bucket (settings.quarantineBucket): it makes no bucket in another account, and says so', async () => {
    const { backend } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('s3-object-copied-to-quarantine-bucket-in-another-account'), { playbooks, backend });
    expect(run.error).toContain('settings.quarantineBucket needs a backend that makes a bucket in another account');
    expect(run.calls.filter((call) => call.api === 's3:CopyObject')).toEqual([]);
  });

  it('refuses a scenario with Security Hub (environment.securityHub): it does not model GuardDuty\'s export there, and says so', async () => {
    const { backend } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('security-hub-notified-on-containment'), { playbooks, backend });
    expect(run.error).toContain('environment.securityHub needs a backend that models Security Hub');
    expect(run.calls.filter((call) => call.api === 'securityhub:BatchUpdateFindings')).toEqual([]);
  });

  it("refuses a scenario with another account's shared resources (sharedBy, sharedDnsFirewallRuleGroups): a real account cannot make them, and it says so", async () => {
    for (const [name, what] of [
      ['shared-vpc-owner-lookalike-isolation-groups', 'declare sharedBy'],
      ['dns-shared-lookalike-rule-group-never-used', 'sharedDnsFirewallRuleGroups'],
    ] as const) {
      const { backend } = backendOverSimulator();
      const run = await runScenario(scenarioNamed(name), { playbooks, backend });
      expect(run.error).toContain(what);
      expect(run.error).toContain('the local backend only');
      // Refused before anything is made.
      expect(run.calls.filter((call) => call.api === 'ec2:CreateVpc' || call.api === 'ec2:RunInstances')).toEqual([]);
    }
  });

  it('runs duplicate-delivery: one playbook run, one alert read back through the subscribed queue, nothing left', async () => {
    const { backend, sim } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('duplicate-delivery'), { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(failures(run)).toEqual([]);
    expect(run.expectations.map((result) => result.name)).toEqual(expect.arrayContaining([expect.stringMatching(/alert/)]));
    expect(backend.cleanupReport().failed).toEqual([]);
    expect(leftovers(sim)).toEqual(NOTHING_LEFT);
  });

  // Removing a statement from a deployed role needs the local simulated account: an endpoint enforces its own IAM (or none);
  // so does a forensic account (settings.forensicAccount): an endpoint backend prepares one account only, and says so;
  // and a quarantine bucket (settings.quarantineBucket), made in another account.
  // So does letting simulated time pass after the run (waitAfterSeconds: an Auto Scaling group's
  // health checks replacing an instance), or between injections (wait: a role's deny released 12 hours
  // later): the endpoint backend's clock is the wall clock and its
  // advance() does not wait, so what those scenarios expect of the time after cannot happen there.
  // And Security Hub (environment.securityHub): only the simulated account models GuardDuty's export to it.
  // And a member account (settings.securityAccount): its roles and its operator are the simulated account's.
  // And S3's 403 for a missing object: S3 answers 404 to a caller with s3:ListBucket, and only the
  // simulated account evaluates the deployed roles' policies (which have none) for the responders.
  // And a Classic Load Balancer made again under its name (tamper: recreateClassicLoadBalancer):
  // release compares its CreatedTime with the record's capture time, and here the simulator behind
  // the endpoint dates it on its own simulated clock while the responders read the wall clock.
  // And the state table's resource policy (tamper: reopenReleases): only the simulated account
  // applies the deployed table's policy to a principal of the account that is not Firebreak's.
  // And a function running out of time (functionTimeouts): the clock runs to its deadline, and
  // what follows needs the simulated clock too (a release's hold on a record ending; a rerun
  // release, whose execution name is dated to the second, started in another second).
  // And GuardDuty holding the findings a scenario delivers (what the oversized-event intake confirms
  // an oversized event with, GetFindings): only the simulated account records them as GuardDuty's;
  // an endpoint's GuardDuty holds none of them, so there every oversized event stays unconfirmed.
  // And an approval answered after its request timed out (approvals[].answerAfterSeconds), or left
  // unanswered past its timeout before a later injection acts on it (release-unanswered-changes-nothing:
  // its direct invocation expects the grant of a release that timed out, where at an endpoint the
  // release still waits): the simulated clock jumps past the wait's timeout, which an endpoint's wall
  // clock does not. So does an approval left to time out (answer: timeout) on a playbook whose
  // onTimeout contains: the steps check the grant's approval deadline against their clock (grants.ts), and the
  // wall clock has not reached it when the simulated wait ends.
  // And a bucket's policy (environment.s3Objects.*.bucketPolicy): the backend puts it on the
  // bucket, but whether the endpoint evaluates it is the endpoint's (LocalStack only with its IAM
  // enforcement on), and the simulator behind this one enforces no identity policy, so it
  // evaluates no resource policy either: the read after containment would be served.
  // And another account's resources shared with the environment's (a shared VPC owner's security
  // groups, securityGroups.*.sharedBy; another account's DNS Firewall rule groups,
  // sharedDnsFirewallRuleGroups): a real account cannot make a resource another account owns.
  const localOnly = (candidate: (typeof scenarios)[number]) =>
    Object.values(candidate.environment.securityGroups).some((group) => group.sharedBy !== undefined) ||
    Object.keys(candidate.environment.sharedDnsFirewallRuleGroups).length > 0 ||
    candidate.approvals.some((approval) => approval.answerAfterSeconds !== undefined || approval.answer === 'timeout') ||
    (candidate.expect.calls ?? []).some((call) => call.api === 'guardduty:GetFindings' && call.error === undefined) ||
    candidate.functionTimeouts.length > 0 ||
    candidate.name === 's3-object-gone-before-step-forbidden' ||
    candidate.name === 'release-unanswered-changes-nothing' ||
    candidate.inject.some((entry) => entry.tamper !== undefined && 'reopenReleases' in entry.tamper) ||
    candidate.environment.removedStatements.length > 0 ||
    candidate.settings.forensicAccount !== undefined ||
    candidate.settings.quarantineBucket !== undefined ||
    candidate.settings.securityAccount !== undefined ||
    candidate.waitAfterSeconds > 0 ||
    candidate.inject.some((entry) => entry.wait !== undefined) ||
    candidate.inject.some((entry) => entry.tamper !== undefined && 'recreateClassicLoadBalancer' in entry.tamper) ||
    candidate.environment.securityHub !== undefined ||
    Object.values(candidate.environment.s3Objects).some((object) => object.bucketPolicy !== undefined);
  for (const scenario of scenarios.filter((candidate) => candidate.pending === undefined && !localOnly(candidate))) {
    it(`${scenario.name}: every expectation holds through the endpoint backend and cleanup leaves nothing behind`, async () => {
      const { backend, sim } = backendOverSimulator();
      const run = await runScenario(scenario, { playbooks, backend });
      expect(run.error).toBeUndefined();
      expect(failures(run)).toEqual([]);
      expect(backend.cleanupReport().failed).toEqual([]);
      expect(leftovers(sim)).toEqual(NOTHING_LEFT);
    });
  }

  it('refuses a member-account scenario before creating anything, naming the setting', async () => {
    const { backend, sim } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('member-account-instance-contained'), { playbooks, backend });
    expect(run.error).toMatch(/settings\.securityAccount needs .* a backend that prepares a member account/);
    // Refused before anything is created.
    expect(run.calls).toEqual([]);
    expect(backend.createdResources()).toEqual([]);
    expect(leftovers(sim)).toEqual(NOTHING_LEFT);
  });

  it('applies an injected throttling fault in the client: the SDK retries it and the call log marks the injected attempts', async () => {
    const { backend } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('ec2-throttled-twice'), { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(failures(run)).toEqual([]);
    const injected = run.calls.filter((call) => call.injected);
    expect(injected.length).toBe(2);
    expect(injected.every((call) => call.errorCode === 'RequestLimitExceeded')).toBe(true);
    expect(injected.map((call) => call.attempt)).toEqual([1, 2]);
  });

  it('applies a fault that takes effect in the client after the endpoint carried the call out: the change is made, the responder gets the error', async () => {
    const { backend, sim } = backendOverSimulator();
    const run = await runScenario(scenarioNamed('iam-key-retried-contained-by-failed-attempt'), { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(failures(run)).toEqual([]);
    const attaches = run.calls.filter((call) => call.api === 'iam:AttachUserPolicy');
    expect(attaches.map((call) => [call.outcome, call.errorCode, call.injected])).toEqual([1, 2, 3].map(() => ['error', 'ServiceUnavailable', true]));
    // Every attempt reached the endpoint (AttachUserPolicy is idempotent there, as in IAM).
    expect(sim.calls({ api: 'iam:AttachUserPolicy', outcome: 'ok' })).toHaveLength(3);
  });

  it('applies denied actions in the client: the responder gets UnauthorizedOperation and the endpoint never sees the call', async () => {
    const { backend, sim } = backendOverSimulator();
    const scenario = scenarioNamed('compromised-instance-multi-eni');
    const denied = { ...scenario, environment: { ...scenario.environment, deniedActions: ['ec2:ModifyInstanceAttribute'] } };
    const run = await runScenario(denied, { playbooks, backend });
    const refused = run.calls.filter((call) => call.api === 'ec2:ModifyInstanceAttribute');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((call) => call.outcome === 'error' && call.errorCode === 'UnauthorizedOperation' && !call.injected)).toBe(true);
    // Only the backend's own cleanup (taking the protections off) reached the endpoint.
    const reached = sim.calls({ api: 'ec2:ModifyInstanceAttribute' }).map((call) => Object.keys(call.input).filter((key) => key !== 'InstanceId'));
    expect(reached.every((keys) => keys.length === 1 && (keys[0] === 'DisableApiTermination' || keys[0] === 'DisableApiStop'))).toBe(true);
    expect(sim.calls({ api: 'ec2:ModifyInstanceAttribute' }).every((call) => call.input.DisableApiTermination === undefined || (call.input.DisableApiTermination as { Value?: boolean }).Value === false)).toBe(true);
  });

  it('names the calls the endpoint does not implement (LocalStack answers HTTP 501 "not yet implemented or pro feature"), in the call log and the report', async () => {
    // The answer LocalStack gives an API it lacks, as the SDK surfaces it (https://docs.localstack.cloud/references/coverage/).
    const withoutLockSnapshot: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      if (context.commandName !== 'LockSnapshotCommand') return next(args);
      throw Object.assign(new Error("API action 'LockSnapshot' for service 'ec2' not yet implemented or pro feature - please check https://docs.localstack.cloud/references/coverage/ for further information"), {
        name: 'InternalFailure',
        $fault: 'server',
        $metadata: { httpStatusCode: 501 },
      });
    };
    const { backend } = backendOverSimulator({}, (client) => {
      (client.middlewareStack as unknown as { add(m: FinalizeRequestMiddleware<object, object>, o: { step: 'finalizeRequest'; priority: 'low'; name: string }): void }).add(withoutLockSnapshot, {
        step: 'finalizeRequest',
        priority: 'low',
        name: 'localStackWithoutLockSnapshot',
      });
    });
    const run = await runScenario(scenarioNamed('locked-evidence-survives-deletion'), { playbooks, backend });
    const locks = run.calls.filter((call) => call.api === 'ec2:LockSnapshot');
    expect(locks.length).toBeGreaterThan(0);
    expect(locks.every((call) => call.unimplemented === true && call.errorCode === 'InternalFailure')).toBe(true);
    expect(run.calls.filter((call) => call.unimplemented === true && call.api !== 'ec2:LockSnapshot')).toEqual([]);
    const report = renderScenarioRun(run);
    expect(report).toContain(`NOT IMPLEMENTED by ${backend.description}: ec2:LockSnapshot (${locks.length} attempt`);
    expect(JSON.parse(renderJson([run], 1)).scenarios[0].notImplementedByEndpoint).toEqual([{ api: 'ec2:LockSnapshot', attempts: locks.length }]);
  });

  it('fails a scenario with a wrong expectation with an expected-versus-actual line (the endpoint does not hide failures)', async () => {
    const { backend } = backendOverSimulator();
    const scenario = scenarioNamed('duplicate-delivery');
    const wrong = { ...scenario, expect: { ...scenario.expect, executions: 2 } };
    const run = await runScenario(wrong, { playbooks, backend });
    expect(failures(run).some((line) => line.includes('expected 2'))).toBe(true);
  });

  it('reports what cleanup could not delete instead of throwing', async () => {
    const { backend, sim, problems } = backendOverSimulator();
    const scenario = scenarioNamed('duplicate-delivery');
    await backend.prepare(scenario.environment, scenario.settings);
    sim.denyActions(['ec2:DeleteVpc']);
    await expect(backend.cleanup()).resolves.toBeUndefined();
    expect(backend.cleanupReport().failed.map((problem) => problem.resource)).toEqual([backend.createdResources()[0]?.id]);
    expect(problems[0]).toContain('could not delete 1 resource(s)');
  });

  it('names the missing credentials when the default provider chain has none', async () => {
    const { backend } = backendOverSimulator({
      clientConfig: {
        credentials: async () => {
          throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
        },
      },
    });
    const scenario = scenarioNamed('duplicate-delivery');
    await expect(backend.prepare(scenario.environment, scenario.settings)).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
});

describe('createEndpointBackend', () => {
  it('refuses a URL it cannot use, with the LocalStack example', () => {
    expect(() => createEndpointBackend('localhost')).toThrow(EndpointBackendUnavailableError);
    expect(() => createEndpointBackend('localhost')).toThrow(/http:\/\/localhost:4566/);
  });

  it('describes itself by its URL', () => {
    expect(createEndpointBackend('http://localhost:4566').description).toBe('endpoint http://localhost:4566');
  });
});

describe('inputs built from a scenario environment', () => {
  const environment = environmentSchema.parse({
    vpcs: { prod: { cidr: '10.20.0.0/16' } },
    securityGroups: {
      'web-tier': { ingress: [{ protocol: 'tcp', ports: 443, cidr: '0.0.0.0/0', description: 'https' }], tags: { Team: 'payments' } },
      'data-replication': { description: 'replication', ingress: [{ ports: '5432-5433', group: 'web-tier' }] },
    },
    instances: {
      web: {
        type: 'm5.xlarge',
        enis: [{ groups: ['web-tier'] }, { groups: ['data-replication'], deleteOnTermination: false }],
        volumes: [{ device: '/dev/xvda', sizeGiB: 8 }, { device: '/dev/sdf', sizeGiB: 100, deleteOnTermination: true }],
        instanceProfile: 'web-app-profile',
        tags: { Environment: 'production' },
        terminationProtection: true,
        shutdownBehavior: 'terminate',
      },
      bare: {},
    },
  });
  const ids: Record<string, string> = { 'web-tier': 'sg-0aaaaaaaaaaaaaaaa', 'data-replication': 'sg-0bbbbbbbbbbbbbbbb' };
  const groupId = (name: string) => ids[name] ?? 'sg-unknown';

  it('CreateSecurityGroup carries the name, a description, the VPC and the tags plus the run marker', () => {
    const group = environment.securityGroups['web-tier'];
    if (!group) throw new Error('fixture');
    expect(createSecurityGroupInput('web-tier', group, 'vpc-0123456789abcdef0', 'run42')).toEqual({
      GroupName: 'web-tier',
      Description: 'firebreak game day run42: web-tier',
      VpcId: 'vpc-0123456789abcdef0',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Team', Value: 'payments' }, { Key: 'firebreak:gameday', Value: 'run42' }] }],
    });
  });

  it('rules become IpPermissions: a port range with a group peer in the account, a CIDR with its description', () => {
    const replication = environment.securityGroups['data-replication'];
    const web = environment.securityGroups['web-tier'];
    if (!replication || !web) throw new Error('fixture');
    expect(replication.ingress.map((rule) => ipPermission(rule, groupId, ACCOUNT))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5433, UserIdGroupPairs: [{ GroupId: 'sg-0aaaaaaaaaaaaaaaa', UserId: ACCOUNT }] },
    ]);
    expect(web.ingress.map((rule) => ipPermission(rule, groupId, ACCOUNT))).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }] },
    ]);
    expect(ipPermission({ protocol: 'all', cidr: '::/0' }, groupId, ACCOUNT)).toEqual({ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    expect(ipPermission({ protocol: 'icmp', cidr: '10.0.0.0/8' }, groupId, ACCOUNT)).toEqual({
      IpProtocol: 'icmp',
      FromPort: -1,
      ToPort: -1,
      IpRanges: [{ CidrIp: '10.0.0.0/8' }],
    });
  });

  it('RunInstances: ENIs by device index with their groups, volumes, profile, tags and protections', () => {
    const web = environment.instances.web;
    if (!web) throw new Error('fixture');
    expect(runInstancesInput({ name: 'web', spec: web, subnetId: 'subnet-0123456789abcdef0', groupId, imageId: 'ami-0123456789abcdef0', rootDeviceName: '/dev/xvda' })).toEqual({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 'm5.xlarge',
      MinCount: 1,
      MaxCount: 1,
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: 'subnet-0123456789abcdef0', Groups: ['sg-0aaaaaaaaaaaaaaaa'] },
        { DeviceIndex: 1, SubnetId: 'subnet-0123456789abcdef0', Groups: ['sg-0bbbbbbbbbbbbbbbb'], DeleteOnTermination: false },
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 100, VolumeType: 'gp3', DeleteOnTermination: true } },
      ],
      IamInstanceProfile: { Name: 'web-app-profile' },
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }, { Key: 'Environment', Value: 'production' }] }],
      DisableApiTermination: true,
      InstanceInitiatedShutdownBehavior: 'terminate',
    });
  });

  it("RunInstances for a bare instance: one ENI in the VPC's default group, the AMI's root volume, t3.micro", () => {
    const bare = environment.instances.bare;
    if (!bare) throw new Error('fixture');
    expect(runInstancesInput({ name: 'bare', spec: bare, subnetId: 'subnet-0123456789abcdef0', groupId, imageId: 'ami-1', rootDeviceName: '/dev/xvda' })).toEqual({
      ImageId: 'ami-1',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0123456789abcdef0' }],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'bare' }] }],
    });
  });

  it('RunInstances for `volumes: []` suppresses the AMI root device (NoDevice)', () => {
    const spec = environmentSchema.parse({ instances: { store: { volumes: [] } } }).instances.store;
    if (!spec) throw new Error('fixture');
    expect(runInstancesInput({ name: 'store', spec, subnetId: 'subnet-1', groupId, imageId: 'ami-1', rootDeviceName: '/dev/xvda' }).BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', NoDevice: '' },
    ]);
  });

  it('the default subnet is the VPC’s first /24 after its base address', () => {
    expect(defaultSubnetCidr('10.20.0.0/16')).toBe('10.20.1.0/24');
    expect(defaultSubnetCidr('10.0.0.0/16')).toBe('10.0.1.0/24');
    expect(defaultSubnetCidr('172.31.255.0/16')).toBe('172.32.0.0/24');
  });

});
