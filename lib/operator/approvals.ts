/**
 * The operator's side of `firebreak approve` and `firebreak reject`: answer a playbook that waits
 * for approval, by its execution ARN (the alert names it; the task token never leaves the state table). The answer goes
 * to the deployment's approval function through its Function URL (AuthType AWS_IAM), signed with
 * SigV4 (service `lambda`) with the caller's AWS credentials: AWS authenticates who answers, the
 * function records that identity and only then sends the token to Step Functions
 * (lib/responders/approval.ts). The URL comes from the stack output ApprovalFunctionUrl, or --url.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { APPROVAL_URL_OUTPUT_KEY, approvalRequestBodySchema } from '../responders/approval';
import { describeStack } from './aws';
import { LiveSetupError } from './errors';
import { FirebreakError } from '../contracts/errors';

/** Nothing was sent: a flag, the credentials, the stack output. Exit 2. */
export class ApprovalSetupError extends FirebreakError {
  override readonly name = 'ApprovalSetupError';
}

/** AWS refused the signed request (the caller lacks ApproverPolicy), or the approval function refused the answer. Exit 1. */
export class ApprovalRefusedError extends FirebreakError {
  override readonly name = 'ApprovalRefusedError';
}

/** What the approval function answered. */
export interface ApprovalOutcome {
  readonly outcome: 'approved' | 'rejected';
  readonly executionArn: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly message: string;
}

/** Exit status for an approval error: 2 when nothing could be sent, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return error instanceof ApprovalSetupError ? 2 : 1;
}

/** What the commands need from the outside world; tests replace every part. */
export interface ApprovalCliDependencies {
  readonly cloudFormation: (region: string) => CloudFormationClient;
  /** The caller's credentials (the SDK's default chain). */
  readonly credentials: (region: string) => Promise<AwsCredentialIdentity>;
  readonly fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; text(): Promise<string> }>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export const DEFAULT_APPROVAL_CLI_DEPENDENCIES: ApprovalCliDependencies = {
  cloudFormation: (region) => new CloudFormationClient({ region }),
  credentials: async (region) => {
    // The SDK's default provider chain (environment, profile, SSO, instance role), as any client resolves it.
    const resolve = new STSClient({ region }).config.credentials;
    return resolve();
  },
  fetch: async (url, init) => fetch(url, init),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** The flags of approve / reject. */
export interface ApprovalFlags {
  readonly execution: string;
  readonly url?: string;
  readonly stack: string;
  readonly reason?: string;
  readonly comment?: string;
}

const FUNCTION_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\/?$/;

/** The region of an execution ARN. */
function regionOf(executionArn: string): string {
  return executionArn.split(':')[3] as string;
}

/** The approval function's URL: --url, else the stack's ApprovalFunctionUrl output in the execution's region. */
export async function approvalFunctionUrl(flags: Pick<ApprovalFlags, 'url' | 'stack'>, region: string, deps: Pick<ApprovalCliDependencies, 'cloudFormation'>): Promise<string> {
  if (flags.url !== undefined) {
    if (!FUNCTION_URL.test(flags.url)) throw new ApprovalSetupError(`--url ${flags.url} is not a Lambda Function URL (https://<id>.lambda-url.<region>.on.aws/)`);
    return flags.url;
  }
  let stack;
  try {
    stack = await describeStack(deps.cloudFormation(region), flags.stack, { region, account: 'this account' });
  } catch (error) {
    if (error instanceof LiveSetupError) throw new ApprovalSetupError(`${error.message}; or pass --url (the stack output ${APPROVAL_URL_OUTPUT_KEY})`, { cause: error });
    throw error;
  }
  const output = stack.outputs.find((candidate) => candidate.key === APPROVAL_URL_OUTPUT_KEY);
  if (!output || !FUNCTION_URL.test(output.value)) {
    throw new ApprovalSetupError(
      `stack ${flags.stack} in ${region} has no output ${APPROVAL_URL_OUTPUT_KEY} (the approval function's URL): deploy the current Firebreak (\`npx cdk deploy\`), or pass --url`,
    );
  }
  return output.value;
}

/** The SigV4-signed POST of an answer to the Function URL (service `lambda`), as plain request parts. */
export async function signedAnswer(
  url: string,
  body: string,
  region: string,
  credentials: AwsCredentialIdentity,
  signingDate?: Date,
): Promise<{ method: string; headers: Record<string, string>; body: string }> {
  const { hostname, pathname } = new URL(url);
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname, path: pathname || '/', query: {}, headers: { host: hostname, 'content-type': 'application/json' }, body },
    signingDate ? { signingDate } : {},
  );
  return { method: 'POST', headers: signed.headers, body };
}

/** Sends one answer and returns what the approval function says; throws what stops it. */
export async function answer(
  decision: 'approve' | 'reject',
  flags: ApprovalFlags,
  deps: ApprovalCliDependencies,
  signingDate?: Date,
): Promise<ApprovalOutcome> {
  const note = decision === 'approve' ? flags.comment : flags.reason;
  const parsed = approvalRequestBodySchema.safeParse({ executionArn: flags.execution, decision, ...(note !== undefined ? { reason: note } : {}) });
  if (!parsed.success) {
    throw new ApprovalSetupError(
      parsed.error.issues.map((issue) => `${issue.path[0] === 'executionArn' ? '--execution' : issue.path[0] === 'reason' ? (decision === 'approve' ? '--comment' : '--reason') : String(issue.path[0])}: ${issue.message}`).join('; '),
    );
  }
  const region = regionOf(parsed.data.executionArn);
  const url = await approvalFunctionUrl(flags, region, deps);
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await deps.credentials(region);
  } catch (error) {
    throw new ApprovalSetupError(
      'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`, then answer again',
      { cause: error },
    );
  }
  const body = JSON.stringify(parsed.data);
  const request = await signedAnswer(url, body, region, credentials, signingDate);
  const response = await deps.fetch(url, request);
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const body: unknown = JSON.parse(text);
    // Anything but an object (null, a list, a bare string) is not the function's answer either.
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) json = body as Record<string, unknown>;
  } catch {
    // Not the function's JSON: AWS itself answered.
  }
  if (response.status === 403 && json.outcome === undefined) {
    throw new ApprovalRefusedError(
      `AWS denied the request (403 ${typeof json.Message === 'string' ? json.Message : 'Forbidden'}): your identity needs the stack's ApproverPolicy (lambda:InvokeFunctionUrl and lambda:InvokeFunction on the approval function), and the credentials must be for the account Firebreak runs in`,
    );
  }
  if (response.status !== 200 || (json.outcome !== 'approved' && json.outcome !== 'rejected')) {
    const message = typeof json.message === 'string' ? json.message : text.slice(0, 500) || `HTTP ${response.status}`;
    throw new ApprovalRefusedError(`the approval function refused the answer (${response.status}): ${message}`);
  }
  // The answer is recorded by now: a field that is not text is shown as unknown rather than
  // String()-ed (an object whose toString is not a function would throw) or taken for a failure.
  return {
    outcome: json.outcome,
    executionArn: textField(json.executionArn) ?? parsed.data.executionArn,
    decidedBy: textField(json.decidedBy) ?? 'unknown',
    decidedAt: textField(json.decidedAt) ?? '',
    message: textField(json.message) ?? '',
  };
}

/** A string field of the function's answer, or undefined for anything else. */
function textField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
