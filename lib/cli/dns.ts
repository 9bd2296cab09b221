/**
 * `firebreak dns list`: which domains Firebreak's DNS Firewall blocks, where, and for which
 * incidents and instances (lib/operator/dns-blocks.ts). Read from the deployment's state table, in
 * the security account, with the caller's credentials: no call in a member account. There is no
 * `dns unblock` yet (README "Status"): a block is taken back by releasing the instances that claim it.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { callerIdentity, describeStack } from '../operator/aws';
import { formatDnsBlocks, listDnsBlocks } from '../operator/dns-blocks';
import { LiveSetupError } from '../operator/errors';
import { DEFAULT_STACK_NAME } from './gameday-inject';
import type { CommandRegistrar } from './registrar';

/** The stack output naming the state table (lib/stack/firebreak.ts). */
export const STATE_TABLE_OUTPUT_KEY = 'StateTableName';

export interface DnsClients {
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly dynamodb: DynamoDBClient;
}

export interface DnsDependencies {
  readonly makeClients: (region?: string) => DnsClients;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface DnsListFlags {
  readonly stack: string;
  readonly region?: string;
  readonly json?: boolean;
}

const DEFAULT_DNS_DEPENDENCIES: DnsDependencies = {
  makeClients: (region) => {
    const config = region ? { region } : {};
    return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), dynamodb: new DynamoDBClient(config) };
  },
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs `firebreak dns list`; answers the exit code (0 listed, 2 setup problem, 1 anything else). */
export async function runDnsList(flags: DnsListFlags, deps: DnsDependencies = DEFAULT_DNS_DEPENDENCIES): Promise<number> {
  try {
    const clients = deps.makeClients(flags.region);
    const identity = await callerIdentity(clients.sts);
    const region = flags.region ?? (await clients.cloudFormation.config.region());
    const stack = await describeStack(clients.cloudFormation, flags.stack, { account: identity.account, region });
    const table = stack.outputs.find((output) => output.key === STATE_TABLE_OUTPUT_KEY)?.value;
    if (!table) {
      throw new LiveSetupError(`stack ${stack.stackName} in ${region}/${identity.account} has no ${STATE_TABLE_OUTPUT_KEY} output: redeploy it with \`npx cdk deploy\``);
    }
    const entries = await listDnsBlocks(clients.dynamodb, table);
    if (flags.json) deps.out(JSON.stringify({ stack: stack.stackName, region, blocks: entries }, null, 2));
    else for (const line of formatDnsBlocks(entries, stack.stackName)) deps.out(line);
    return 0;
  } catch (error) {
    deps.err(`firebreak dns list: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof LiveSetupError ? 2 : 1;
  }
}

/** `firebreak dns list`, with injectable dependencies for tests. */
export function createDnsCommands(overrides: Partial<DnsDependencies> = {}): CommandRegistrar {
  const deps: DnsDependencies = { ...DEFAULT_DNS_DEPENDENCIES, ...overrides };
  return (program: Command, setExitCode) => {
    const dns = program.command('dns').description("Firebreak's DNS Firewall blocks (block-dns-domain).");
    dns
      .command('list')
      .description('List the domains Firebreak blocks, per account and region, with the incidents and instances that claim each (read from the state table).')
      .option('--stack <name>', 'name of the deployed Firebreak stack', DEFAULT_STACK_NAME)
      .option('--region <region>', "the stack's region (default: AWS_REGION / profile)")
      .option('--json', 'print one JSON document')
      .action(async (flags: DnsListFlags) => {
        setExitCode(await runDnsList(flags, deps));
      });
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak dns`. */
export const registerDnsCommands: CommandRegistrar = createDnsCommands();
