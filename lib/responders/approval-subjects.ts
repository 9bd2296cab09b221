/**
 * Who an approval request is about, and whether its caller is one of them (pure; no AWS SDK).
 *
 * An approval lets containment or a release proceed, so the principals the incident names must not
 * answer it: the instance's own role session (EC2 names instance-profile sessions after the
 * instance), the IAM user whose access key is contained or released, a session of the role whose
 * sessions are revoked, and whoever signs with the access key the incident names. Without this, an
 * attacker holding a stolen key of a user who may call the approval function (an administrator, an
 * on-call engineer) could reject the containment of that very key while it waits for approval, and
 * the user could approve the release of their own key.
 *
 * The subjects are read from the execution's own input (its `incident`: `resource`, and `affected`
 * when the parser stored one), which the approval function reads with DescribeExecution of an
 * execution it verified, never from the request body or the stored request alone. The reading is
 * lenient on purpose (strings only, anything else skipped): it only ever adds refusals. The
 * approver is what AWS authenticated (the Function URL's `requestContext.authorizer.iam`): the
 * caller's ARN, and, when AWS gives them, the access key that signed and the principal's unique id
 * (which a rename does not change). IAM names are compared ignoring case (IAM does not let two
 * users or roles differ by case alone), user paths ignored. A federated user (GetFederationToken)
 * does not say which user made it, so none of the named user's account answers.
 *
 * Not recognisable: a session of another role that a subject assumed (AssumeRole with a session
 * name of its choosing; the Function URL's request context carries no source identity). Keep the
 * approvers' role out of reach of the principals Firebreak contains (docs/security.md §C3).
 */

/** A principal an incident names, as far as an approver's identity can be compared with it. */
export type IncidentSubject =
  | { readonly kind: 'instance'; readonly instanceId: string }
  | { readonly kind: 'iam-user'; readonly userName: string; readonly account?: string; readonly principalId?: string }
  | { readonly kind: 'role'; readonly roleName: string; readonly account?: string; readonly principalId?: string }
  | { readonly kind: 'access-key'; readonly accessKeyId: string };

/** The approver as AWS authenticated the request (the Function URL's `requestContext.authorizer.iam`). */
export interface ApproverIdentity {
  /** `arn:aws:iam::<account>:user/<path>/<name>`, `arn:aws:sts::<account>:assumed-role/<role>/<session>`, … */
  readonly userArn: string;
  /** The access key id that signed the request. */
  readonly accessKey?: string;
  /** The principal's unique id (`AIDA…` for a user, `AROA…:<session>` for a role session). */
  readonly userId?: string;
}

/** An assumed-role session ARN's parts: `arn:aws:sts::123:assumed-role/<role>/<session>`. */
export function sessionOf(principalArn: string): { readonly account: string; readonly role: string; readonly session: string } | undefined {
  const match = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(principalArn);
  return match ? { account: match[1] as string, role: match[2] as string, session: match[3] as string } : undefined;
}

/** The account of a federated user session (`arn:aws:sts::123:federated-user/<name>`, sts:GetFederationToken). */
export function federatedAccountOf(principalArn: string): string | undefined {
  return /^arn:aws[a-z-]*:sts::(\d{12}):federated-user\/[\w+=,.@-]+$/.exec(principalArn)?.[1];
}

/** An IAM user ARN's parts (the path dropped): `arn:aws:iam::123:user/<path>/<name>`. */
export function userOf(principalArn: string): { readonly account: string; readonly userName: string } | undefined {
  const match = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[^/]*\/)*([\w+=,.@-]+)$/.exec(principalArn);
  return match ? { account: match[1] as string, userName: match[2] as string } : undefined;
}

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
/** The unique-id part of a principal id (`AROA…:<session>` → `AROA…`). */
const principalPart = (value: unknown): string | undefined => textOf(value)?.split(':')[0] || undefined;

/** The subjects an access key's claims name: the key, and its user (IAMUser) or role (AssumedRole). */
function credentialSubjects(fields: Fields, account: string | undefined): IncidentSubject[] {
  const out: IncidentSubject[] = [];
  const accessKeyId = textOf(fields.accessKeyId);
  if (accessKeyId !== undefined) out.push({ kind: 'access-key', accessKeyId });
  const name = textOf(fields.userName);
  const principalId = principalPart(fields.principalId);
  const where = { ...(account !== undefined ? { account } : {}), ...(principalId !== undefined ? { principalId } : {}) };
  if (name !== undefined && fields.userType === 'IAMUser') out.push({ kind: 'iam-user', userName: name, ...where });
  if (name !== undefined && fields.userType === 'AssumedRole') out.push({ kind: 'role', roleName: name, ...where });
  return out;
}

/** The subjects one resource names (the incident's `resource` or an `affected` entry). */
function resourceSubjects(resource: Fields, incidentAccount: string | undefined): IncidentSubject[] {
  const account = textOf(resource.account) ?? incidentAccount;
  const where = account !== undefined ? { account } : {};
  const principalId = principalPart(resource.principalId);
  switch (resource.kind) {
    case 'ec2-instance': {
      const instanceId = textOf(resource.instanceId);
      return instanceId !== undefined ? [{ kind: 'instance', instanceId }] : [];
    }
    case 'access-key':
      return credentialSubjects(resource, account);
    case 'iam-user': {
      const userName = textOf(resource.userName);
      return userName !== undefined ? [{ kind: 'iam-user', userName, ...where, ...(principalId !== undefined ? { principalId } : {}) }] : [];
    }
    case 'iam-role':
    case 'role-session': {
      const roleName = textOf(resource.roleName);
      const accessKeyId = textOf(resource.accessKeyId);
      return [
        ...(roleName !== undefined ? [{ kind: 'role' as const, roleName, ...where, ...(principalId !== undefined ? { principalId } : {}) }] : []),
        ...(accessKeyId !== undefined ? [{ kind: 'access-key' as const, accessKeyId }] : []),
      ];
    }
    default:
      return [];
  }
}

/** Every principal the execution input's incident names (its `resource`, and each `affected` entry). */
export function subjectsOfIncident(incident: unknown): IncidentSubject[] {
  if (!isFields(incident)) return [];
  const account = textOf(incident.account);
  const resources = [incident.resource, ...(Array.isArray(incident.affected) ? (incident.affected as unknown[]) : [])].filter(isFields);
  return resources.flatMap((resource) => resourceSubjects(resource, account));
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const sameAccount = (approverAccount: string, subjectAccount: string | undefined) => subjectAccount === undefined || approverAccount === subjectAccount;

/** How the approver is one of the incident's subjects (the refusal's words: `is …` or `signed with …`), or undefined. */
export function subjectOfIncident(approver: ApproverIdentity, subjects: readonly IncidentSubject[]): string | undefined {
  const session = sessionOf(approver.userArn);
  const user = userOf(approver.userArn);
  const federated = federatedAccountOf(approver.userArn);
  const principalId = principalPart(approver.userId);
  for (const subject of subjects) {
    switch (subject.kind) {
      case 'instance':
        if (session !== undefined && sameName(session.session, subject.instanceId)) return `is a session of the instance this request is about (${subject.instanceId})`;
        break;
      case 'iam-user':
        if (user !== undefined && sameAccount(user.account, subject.account) && sameName(user.userName, subject.userName)) return `is the IAM user ${subject.userName} this request is about`;
        if (principalId !== undefined && principalId === subject.principalId) return `is the IAM user ${subject.userName} this request is about (principal ${principalId})`;
        // sts:GetFederationToken, called with the user's (stolen) key, names the session as the caller
        // likes and AWS's answer does not say whose it is: any federated user of that account may be theirs.
        if (federated !== undefined && sameAccount(federated, subject.account)) return `is a federated user of account ${federated}, where the IAM user ${subject.userName} this request is about may have made it`;
        break;
      case 'role':
        if (session !== undefined && sameAccount(session.account, subject.account) && sameName(session.role, subject.roleName)) return `is a session of the role ${subject.roleName} this request is about`;
        if (principalId !== undefined && principalId === subject.principalId) return `is a session of the role ${subject.roleName} this request is about (principal ${principalId})`;
        break;
      case 'access-key':
        if (approver.accessKey !== undefined && approver.accessKey === subject.accessKeyId) return `signed with the access key ${subject.accessKeyId} this request is about`;
        break;
    }
  }
  return undefined;
}
