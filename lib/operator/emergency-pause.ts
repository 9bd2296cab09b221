/**
 * The operator's side of `firebreak pause`, `firebreak resume` and `firebreak status`: the request
 * goes to the deployment's emergency-pause function through its Function URL (AuthType AWS_IAM),
 * signed with SigV4 (service `lambda`) with the caller's AWS credentials, as approvals are
 * (approvals.ts): AWS authenticates who pauses, the function records that identity and announces
 * it on the operations topic (lib/responders/pause-control.ts). The caller needs the stack's
 * PauserPolicy; operators never write the state table themselves. The URL comes from the stack
 * output EmergencyPauseFunctionUrl, or --url.
 */
import type { PauseRequestBody } from '../responders/pause-control';
import { PAUSE_URL_OUTPUT_KEY, pauseRequestBodySchema } from '../responders/pause-control';
import { pauseReasonProblem } from '../responders/emergency-pause';
import { terminalLine } from '../responders/untrusted-text';
import type { ApprovalCliDependencies } from './approvals';
import { ApprovalRefusedError, ApprovalSetupError, functionUrlOf, postSignedTo, refusalMessage } from './approvals';

/** What the pause commands need from the outside world (the approval commands' own, less the confirmation). */
export type PauseCliDependencies = Pick<ApprovalCliDependencies, 'cloudFormation' | 'credentials' | 'fetch' | 'out' | 'err'>;

/** The flags of pause / resume / status. */
export interface PauseFlags {
  readonly reason?: string;
  readonly stack: string;
  readonly url?: string;
  readonly region?: string;
}

const FUNCTION_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\/?$/;

/** The region: --region, else the URL's, else AWS_REGION / AWS_DEFAULT_REGION. */
export function pauseRegion(flags: Pick<PauseFlags, 'region' | 'url'>, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const region = flags.region ?? (flags.url !== undefined ? FUNCTION_URL.exec(flags.url)?.[1] : undefined) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new ApprovalSetupError(`nothing was sent: no region (${region === undefined ? 'none given' : JSON.stringify(region)}): pass --region, or set AWS_REGION to the region Firebreak is deployed in`);
  }
  return region;
}

/** The body a command sends, checked before anything is sent (pure). */
export function pauseBody(action: PauseRequestBody['action'], flags: Pick<PauseFlags, 'reason'>): PauseRequestBody {
  const reason = flags.reason?.trim();
  if (action === 'pause') {
    const problem = pauseReasonProblem(reason ?? '');
    if (problem !== undefined) throw new ApprovalSetupError(`nothing was sent: --reason: ${problem}`);
  } else if (action === 'resume' && reason !== undefined && reason !== '') {
    const problem = pauseReasonProblem(reason);
    if (problem !== undefined) throw new ApprovalSetupError(`nothing was sent: --reason: ${problem}`);
  }
  const body = action === 'status' ? { action } : action === 'pause' ? { action, reason: reason ?? '' } : { action, ...(reason ? { reason } : {}) };
  return pauseRequestBodySchema.parse(body);
}

/** The emergency-pause function's URL: --url, else the stack's EmergencyPauseFunctionUrl output in the region. */
export function pauseFunctionUrl(flags: Pick<PauseFlags, 'url' | 'stack'>, region: string, deps: Pick<PauseCliDependencies, 'cloudFormation'>): Promise<string> {
  return functionUrlOf(flags, region, deps, {
    key: PAUSE_URL_OUTPUT_KEY,
    what: "the emergency-pause function's URL; a deployment with a guarded playbook has one",
  });
}

/** What the function answered: its outcome and message, as it said them. */
export interface PauseAnswer {
  readonly outcome: string;
  readonly message: string;
}

/** Sends one signed request; answers the function's outcome, or throws ApprovalRefusedError (AWS or the function refused). */
export async function sendPauseRequest(body: PauseRequestBody, flags: PauseFlags, deps: PauseCliDependencies, signingDate?: Date): Promise<PauseAnswer> {
  const region = pauseRegion(flags);
  const url = await pauseFunctionUrl(flags, region, deps);
  const answer = await postSignedTo(
    url,
    region,
    JSON.stringify(body),
    deps,
    {
      noCredentials: 'nothing was sent: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`',
      denied: () =>
        "AWS denied the request (403): your identity needs the stack's PauserPolicy (lambda:InvokeFunctionUrl and lambda:InvokeFunction on the emergency-pause function), and the credentials must be for the account Firebreak runs in",
    },
    signingDate,
    'pause',
  );
  const { json } = answer;
  const message = refusalMessage(answer);
  const outcome = typeof json.outcome === 'string' ? json.outcome : 'unknown';
  // Stored and AWS-provided text: shown escaped, one line.
  if (answer.status !== 200 || ['refused', 'failed', 'unknown'].includes(outcome)) throw new ApprovalRefusedError(terminalLine(message));
  return { outcome, message: terminalLine(message) };
}
