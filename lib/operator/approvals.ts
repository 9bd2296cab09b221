/**
 * The operator's side of `firebreak approve` and `firebreak reject`: answer a playbook that waits
 * for approval, by its execution ARN (the alert names it; the task token never leaves the state table). The answer goes
 * to the deployment's approval function through its Function URL (AuthType AWS_IAM), signed with
 * SigV4 (service `lambda`) with the caller's AWS credentials: AWS authenticates who answers, the
 * function records that identity and only then sends the token to Step Functions
 * (lib/responders/approval.ts). The URL comes from the stack output ApprovalFunctionUrl, or --url.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ProofPurpose } from '../responders/caller-proof';
import { CALLER_PROOF_HEADER } from '../responders/caller-proof';
import { NodeSha256, callerProof } from './caller-proof';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ApprovalRequestBody, ApprovalRequestView } from '../responders/approval';
import { APPROVAL_URL_OUTPUT_KEY, approvalRequestBodySchema, approvalShowBodySchema } from '../responders/approval';
import { printableAsciiEscaped, terminalField, terminalLine } from '../responders/untrusted-text';
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
  /** Whether a person can answer a question (standard input is a terminal). */
  readonly interactive: boolean;
  /** Asks a yes/no question on the terminal; true only for an explicit yes. */
  readonly confirm: (question: string) => Promise<boolean>;
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
  interactive: process.stdin.isTTY === true,
  confirm: async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const terminal = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^\s*y(es)?\s*$/i.test(await terminal.question(question));
    } finally {
      terminal.close();
    }
  },
};

/** The flags of approve / reject. */
export interface ApprovalFlags {
  readonly execution: string;
  readonly url?: string;
  readonly stack: string;
  readonly reason?: string;
  readonly comment?: string;
  /** Answer without asking to confirm what the request shows (scripts; required when standard input is not a terminal). */
  readonly yes?: boolean;
}

const FUNCTION_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\/?$/;

/** The region of an execution ARN. */
function regionOf(executionArn: string): string {
  return executionArn.split(':')[3] as string;
}

/**
 * A Firebreak function's URL: `--url` when given (it must be a Lambda Function URL), else the stack's
 * `output.key` output in `region`; `output.what` says, in the error, what the output is when the
 * stack has none.
 */
export async function functionUrlOf(
  flags: Pick<ApprovalFlags, 'url' | 'stack'>,
  region: string,
  deps: Pick<ApprovalCliDependencies, 'cloudFormation'>,
  output: { readonly key: string; readonly what: string },
): Promise<string> {
  if (flags.url !== undefined) {
    if (!FUNCTION_URL.test(flags.url)) throw new ApprovalSetupError(`--url ${flags.url} is not a Lambda Function URL (https://<id>.lambda-url.<region>.on.aws/)`);
    return flags.url;
  }
  let stack;
  try {
    stack = await describeStack(deps.cloudFormation(region), flags.stack, { region, account: 'this account' });
  } catch (error) {
    if (error instanceof LiveSetupError) throw new ApprovalSetupError(`${error.message}; or pass --url (the stack output ${output.key})`, { cause: error });
    throw error;
  }
  const found = stack.outputs.find((candidate) => candidate.key === output.key);
  if (!found || !FUNCTION_URL.test(found.value)) throw new ApprovalSetupError(`stack ${flags.stack} in ${region} has no output ${output.key} (${output.what}): deploy the current Firebreak (\`npx cdk deploy Firebreak\`), or pass --url`);
  return found.value;
}

/** The approval function's URL: --url, else the stack's ApprovalFunctionUrl output in the execution's region. */
export function approvalFunctionUrl(flags: Pick<ApprovalFlags, 'url' | 'stack'>, region: string, deps: Pick<ApprovalCliDependencies, 'cloudFormation'>): Promise<string> {
  return functionUrlOf(flags, region, deps, { key: APPROVAL_URL_OUTPUT_KEY, what: "the approval function's URL" });
}

/** The SigV4-signed POST of an answer to the Function URL (service `lambda`), as plain request parts. */
export async function signedAnswer(
  url: string,
  body: string,
  region: string,
  credentials: AwsCredentialIdentity,
  signingDate?: Date,
  proofFor?: ProofPurpose,
): Promise<{ method: string; headers: Record<string, string>; body: string }> {
  const { hostname, pathname } = new URL(url);
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: NodeSha256 });
  // The function takes its caller from STS's word on this proof, never from the request context alone (caller-proof.ts).
  const proof: Record<string, string> = proofFor !== undefined ? { [CALLER_PROOF_HEADER]: await callerProof(proofFor, body, region, credentials, signingDate) } : {};
  const signed = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname, path: pathname || '/', query: {}, headers: { host: hostname, 'content-type': 'application/json', ...proof }, body },
    signingDate ? { signingDate } : {},
  );
  return { method: 'POST', headers: signed.headers, body };
}

/** The approval function's HTTP answer: its status, and its JSON body when that is an object (else empty). */
/** What a Firebreak function's URL answered: the status, the text, and the text as a JSON object ({} when it is not one). */
export interface FunctionAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** What a signed POST says when it cannot be sent, or when AWS (not the function) refuses it. */
export interface SignedPostWording {
  /** The whole message when no AWS credentials are found. */
  readonly noCredentials: string;
  /** The whole message when AWS denies the request (403 without the function's outcome), given AWS's own Message if any. */
  readonly denied: (awsMessage: string | undefined) => string;
}

/**
 * Posts one body, signed with the caller's own credentials (SigV4, service `lambda`), to a Firebreak
 * function's URL, and reads the answer; throws ApprovalSetupError without credentials and
 * ApprovalRefusedError when AWS itself denies the request.
 */
export async function postSignedTo(
  url: string,
  region: string,
  body: string,
  deps: Pick<ApprovalCliDependencies, 'credentials' | 'fetch'>,
  wording: SignedPostWording,
  signingDate?: Date,
  proofFor?: ProofPurpose,
): Promise<FunctionAnswer> {
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await deps.credentials(region);
  } catch (error) {
    throw new ApprovalSetupError(wording.noCredentials, { cause: error });
  }
  const response = await deps.fetch(url, await signedAnswer(url, body, region, credentials, signingDate, proofFor));
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    // Anything but an object (null, a list, a bare string) is not the function's answer either.
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // Not the function's JSON: AWS itself answered.
  }
  if (response.status === 403 && json.outcome === undefined) throw new ApprovalRefusedError(wording.denied(typeof json.Message === 'string' ? json.Message : undefined));
  return { status: response.status, text, json };
}

/** Posts one body, signed, to the deployment's approval function in the execution's region. */
async function postSigned(executionArn: string, body: string, flags: ApprovalFlags, deps: ApprovalCliDependencies, signingDate?: Date): Promise<FunctionAnswer> {
  const region = regionOf(executionArn);
  const url = await approvalFunctionUrl(flags, region, deps);
  return postSignedTo(
    url,
    region,
    body,
    deps,
    {
      noCredentials: 'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`, then answer again',
      denied: (awsMessage) =>
        `AWS denied the request (403 ${awsMessage ?? 'Forbidden'}): your identity needs the stack's ApproverPolicy (lambda:InvokeFunctionUrl and lambda:InvokeFunction on the approval function), and the credentials must be for the account Firebreak runs in`,
    },
    signingDate,
    'approval',
  );
}

/** The function's own message, or the start of what AWS answered. */
export function refusalMessage(answer: FunctionAnswer): string {
  return typeof answer.json.message === 'string' ? answer.json.message : answer.text.slice(0, 500) || `HTTP ${answer.status}`;
}

/** What is wrong with --execution, in words a person at the terminal can act on (the schema's own message names no value). */
function executionFlagProblem(execution: string): string {
  const given = execution.length > 120 ? `${execution.slice(0, 120)}…` : execution;
  return `--execution: expected a Step Functions execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<execution name>, as the approval alert names it), got ${JSON.stringify(given)}`;
}

/** What is wrong with the note (--comment or --reason): the function takes 1 to 1000 characters once trimmed. */
function noteFlagProblem(flag: string, note: string): string {
  const length = note.trim().length;
  return `${flag}: expected 1 to 1000 characters of text for the incident timeline, got ${length === 0 ? 'none' : length}`;
}

/**
 * The body of an answer from the flags and the id of the request shown, checked as the function
 * checks it: a bad flag is named before anything is sent.
 */
export function answerBody(decision: 'approve' | 'reject', flags: ApprovalFlags, requestId?: string): ApprovalRequestBody {
  const note = decision === 'approve' ? flags.comment : flags.reason;
  const parsed = approvalRequestBodySchema.safeParse({
    executionArn: flags.execution,
    decision,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(note !== undefined ? { reason: note } : {}),
  });
  if (!parsed.success) {
    const problems = new Set(
      parsed.error.issues.map((issue) =>
        issue.path[0] === 'executionArn'
          ? executionFlagProblem(flags.execution)
          : issue.path[0] === 'reason'
            ? noteFlagProblem(decision === 'approve' ? '--comment' : '--reason', note ?? '')
            : `${String(issue.path[0])}: ${issue.message}`,
      ),
    );
    throw new ApprovalSetupError([...problems].join('; '));
  }
  return parsed.data;
}

/**
 * The id of the request the function showed (its `requestId`), which the answer names; throws
 * ApprovalSetupError, nothing sent, when the function gave none: an approval function older than
 * this command, which would answer whatever request is stored when the answer arrives.
 */
export function shownRequestId(executionArn: string, { request }: ShownRequest): string {
  const id = request.requestId;
  if (typeof id === 'string' && /^[0-9a-f]{64}$/.test(id)) return id;
  throw new ApprovalSetupError(
    `nothing was sent: the approval function did not say which request of ${executionArn} it showed (no requestId), so the answer could not name it and a request stored again meanwhile would be answered in its place; deploy the current Firebreak stack (its approval function refuses an answer that names no request shown)`,
  );
}

/** Sends one answer, for the request shown (`requestId`), and returns what the approval function says; throws what stops it. */
export async function answer(
  decision: 'approve' | 'reject',
  flags: ApprovalFlags,
  deps: ApprovalCliDependencies,
  requestId: string,
  signingDate?: Date,
): Promise<ApprovalOutcome> {
  const body = answerBody(decision, flags, requestId);
  const reply = await postSigned(body.executionArn, JSON.stringify(body), flags, deps, signingDate);
  const { json } = reply;
  if (reply.status !== 200 || (json.outcome !== 'approved' && json.outcome !== 'rejected')) {
    throw new ApprovalRefusedError(`the approval function refused the answer (${reply.status}): ${refusalMessage(reply)}`);
  }
  // A 200 is this answer only if it says so: another decision (an earlier answer sent again) or
  // another execution is not a record of what was sent, and is not printed as one.
  const answeredFor = textField(json.executionArn);
  if (json.outcome !== (decision === 'approve' ? 'approved' : 'rejected') || (answeredFor !== undefined && answeredFor !== body.executionArn)) {
    const forWhat = answeredFor !== undefined && answeredFor !== body.executionArn ? ` for ${body.executionArn}` : '';
    throw new ApprovalRefusedError(
      `the approval function answered ${json.outcome} for ${answeredFor ?? body.executionArn}, not the ${decision} that was sent${forWhat}: check the execution's history before answering again`,
    );
  }
  // The answer is recorded by now: a field that is not text is shown as unknown rather than
  // String()-ed (an object whose toString is not a function would throw) or taken for a failure.
  return {
    outcome: json.outcome,
    executionArn: body.executionArn,
    decidedBy: textField(json.decidedBy) ?? 'unknown',
    decidedAt: textField(json.decidedAt) ?? '',
    message: textField(json.message) ?? '',
  };
}

/** What the approval function shows of a waiting request (its `show`), every field as it answered. */
export interface ShownRequest {
  readonly message: string;
  readonly request: Partial<Record<keyof ApprovalRequestView, unknown>>;
}

/** Asks the approval function what waits for `flags.execution`, answering nothing. */
export async function showRequest(flags: ApprovalFlags, deps: ApprovalCliDependencies, signingDate?: Date): Promise<ShownRequest> {
  const parsed = approvalShowBodySchema.safeParse({ executionArn: flags.execution, show: true });
  if (!parsed.success) throw new ApprovalSetupError(executionFlagProblem(flags.execution));
  const reply = await postSigned(parsed.data.executionArn, JSON.stringify(parsed.data), flags, deps, signingDate);
  const request = reply.json.request;
  if (reply.status !== 200 || reply.json.outcome !== 'shown' || typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ApprovalRefusedError(`the approval function refused to show the request (${reply.status}): ${refusalMessage(reply)}`);
  }
  // What is confirmed must be the request of the execution named, not another one's.
  const shownFor = textField(reply.json.executionArn);
  if (shownFor !== undefined && shownFor !== parsed.data.executionArn) {
    throw new ApprovalRefusedError(`the approval function showed the request of ${shownFor}, not of ${parsed.data.executionArn}: nothing was sent`);
  }
  return { message: textField(reply.json.message) ?? '', request: request as ShownRequest['request'] };
}

/**
 * The most code points shown of one field of the request: a finding's title is up to 1,024, and a
 * manual request's asker and reason whatever its execution input holds (row 14f).
 */
const SHOWN_FIELD_MAX = 300;
/** A note is Firebreak's own words about what approving does: shown whole, as the request keeps it (2,000 at most). */
const SHOWN_NOTE_MAX = 2_000;

/**
 * A value of the function's answer as one field of a line: scalars as they are, anything else as
 * JSON; each run of blanks one space, and cut at `max` code points (`terminalField`), so that no
 * field pads itself to a screen line of its own nor pushes the request away from the question.
 */
function shown(value: unknown, max = SHOWN_FIELD_MAX): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : (JSON.stringify(value) ?? 'unknown');
  return terminalField(text, max);
}

/**
 * The fields of a resource the steps and the alert read, in this order (lib/responders/incident-schema.ts):
 * shown first, whatever order the execution input gives them (row 14h).
 */
const RESOURCE_FIELDS = ['instanceId', 'accessKeyId', 'userName', 'userType', 'principalId', 'roleName', 'type', 'id', 'availabilityZone', 'instanceType', 'imageId', 'instanceState', 'instanceProfileArn'];

/**
 * The resource's scalar fields, without its lists and maps (tags, interfaces): `kind`, then the
 * fields the steps read (`RESOURCE_FIELDS`), then any other, their names with every character
 * outside printable ASCII escaped and all of them cut at 300 code points together (row 14h). A
 * resource is a loose object: an execution started by hand gave a look-alike name
 * (`accessKey\u0406d`) first and the field the step reads after thousands of others.
 */
function resourceLine(resource: unknown): string {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) return shown(resource);
  const fields = new Map(Object.entries(resource).filter((entry): entry is [string, string | number] => typeof entry[1] === 'string' || typeof entry[1] === 'number'));
  const read = RESOURCE_FIELDS.filter((name) => fields.has(name)).map((name) => `${name} ${shown(fields.get(name))}`);
  const others = [...fields].filter(([name]) => name !== 'kind' && !RESOURCE_FIELDS.includes(name)).map(([name, value]) => `${printableAsciiEscaped(name)} ${shown(value)}`);
  return [...(fields.has('kind') ? [shown(fields.get('kind'))] : []), ...read, ...(others.length > 0 ? [`other fields: ${shown(others.join(', '))}`] : [])].join(', ');
}

/**
 * The lines `firebreak approve` / `reject` print before asking (pure). Each is one line whatever
 * the request holds (`terminalLine`): a title's line feed would add a `target:` or `approving:`
 * line of the finding's own under the request's.
 */
export function describeShownRequest(executionArn: string, { request }: ShownRequest): string[] {
  const severity = request.severity as { label?: unknown; score?: unknown } | undefined;
  const steps = Array.isArray(request.waitingSteps) ? shown(request.waitingSteps.map((step) => shown(step)).join(', ')) : shown(request.waitingSteps);
  // Who asked is the execution input's word (states:StartExecution takes any input): said as a claim (row 5s).
  const asked =
    request.requestedBy !== undefined
      ? `, asked by ${shown(request.requestedBy)}${request.reason !== undefined ? ` ("${shown(request.reason)}")` : ''} as the execution's input claims (not verified)`
      : '';
  return [
    `Approval request of ${executionArn}`,
    `  playbook:  ${shown(request.playbook)}, waiting steps: ${steps}`,
    `  incident:  ${shown(request.incidentKey)}${request.findingType !== undefined ? `, ${shown(request.findingType)}` : ''}${severity && typeof severity === 'object' ? `, severity ${shown(severity.label)} (${shown(severity.score)})` : ''}`,
    ...(request.title !== undefined ? [`  finding:   ${shown(request.title)}`] : []),
    `  target:    ${request.resource !== undefined ? resourceLine(request.resource) : 'none named'} in account ${shown(request.account)}, ${shown(request.region)}`,
    `  requested: ${shown(request.requestedAt)}${asked}; ${request.timedOut === true ? `timed out at ${shown(request.expiresAt)} (the playbook took its timeout path${timeoutPath(request.onTimeout, 'timed-out')})` : `expires ${shown(request.expiresAt)} (then the playbook takes its timeout path${timeoutPath(request.onTimeout, request.decision !== undefined || (typeof request.status === 'string' && request.status !== 'RUNNING') ? 'closed' : 'open')})`}`,
    `  status:    ${shown(request.status)}${request.decision !== undefined ? `, ${shown(request.decision)} by ${shown(request.decidedBy)} at ${shown(request.decidedAt)}` : ''}`,
    // What approving will and will not do (a release's claims), as the request's alert said it.
    ...(Array.isArray(request.notes) ? request.notes.slice(0, 8).map((note, index) => `  ${index === 0 ? 'approving:' : '          '} ${shown(note, SHOWN_NOTE_MAX).trim()}`) : []),
  ].map(terminalLine);
}

/**
 * The timeout path the approval function read from the guard's grant, in words (row 10j): under
 * `contain` not answering runs the waiting steps as approving does, so silence is no refusal. Empty
 * when the function could not read it (an older stack, an unreadable grant); anything else is named
 * as unknown rather than printed. "Reject to stop them" only while a rejection can (row 10k): a
 * request that timed out, is answered or whose execution no longer runs refuses every answer.
 */
function timeoutPath(onTimeout: unknown, request: 'open' | 'timed-out' | 'closed'): string {
  if (onTimeout === undefined) return '';
  if (onTimeout !== 'contain' && onTimeout !== 'evidence-only') return `: ${shown(onTimeout)}, which this firebreak does not know`;
  if (request === 'timed-out') return onTimeout === 'contain' ? ': contain, its waiting steps ran without approval; an answer now changes nothing' : ': evidence-only, its waiting steps did not run; an answer now changes nothing';
  const path = onTimeout === 'contain' ? ': contain, its waiting steps run without approval' : ': evidence-only, its waiting steps do not run';
  if (request === 'closed') return `${path} if nobody answers; this request takes no answer now`;
  return onTimeout === 'contain' ? `${path}: not answering is no refusal, reject to stop them` : path;
}

/** A string field of the function's answer, or undefined for anything else. */
function textField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
