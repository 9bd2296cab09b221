/*
 * The names of the responders whose bundles read no other responder's name, each on its own: a bundle
 * that reads one property of RESPONDER_NAMES carries every name (about 650 bytes), one that imports
 * a constant carries that one. RESPONDER_NAMES is built from them, so each is still written once. (The
 * credential steps read the whole table anyway: memberRoleNamesUnder.)
 */
export const QUARANTINE_S3_OBJECT = 'quarantine-s3-object';
export const RELEASE_S3_OBJECT = 'release-s3-object';
export const UPDATE_SECURITY_HUB_FINDING = 'update-security-hub-finding';
export const OVERSIZED_EVENT = 'oversized-event';

/**
 * Responder names, written once: each is a Lambda function's name suffix, its key in the compiled
 * state machines' placeholders, its `responder` in results and the timeline, and its role's name
 * in the member accounts' trust policy.
 */
export const RESPONDER_NAMES = {
  triage: 'triage',
  containmentGuard: 'containment-guard',
  quarantineInstance: 'quarantine-instance',
  snapshotVolumes: 'snapshot-volumes',
  copyEvidence: 'copy-evidence',
  releaseInstance: 'release-instance',
  blockDnsDomain: 'block-dns-domain',
  unblockDnsDomains: 'unblock-dns-domains',
  quarantineS3Object: QUARANTINE_S3_OBJECT,
  releaseS3Object: RELEASE_S3_OBJECT,
  disableAccessKey: 'disable-access-key',
  revokeRoleSessions: 'revoke-role-sessions',
  updateSecurityHubFinding: UPDATE_SECURITY_HUB_FINDING,
  releaseCredentials: 'release-credentials',
  publishAlert: 'publish-alert',
  approval: 'approval',
  /** Not a step: the Function URL behind firebreak pause / resume (lib/responders/pause-control.ts). */
  emergencyPause: 'emergency-pause',
  oversizedEvent: OVERSIZED_EVENT,
} as const;

/**
 * release-s3-object's Lambda timeout, in seconds (the stack gives the function this timeout). No
 * step counts on it any more: the object version's claims in the state table, which DynamoDB
 * writes conditionally, keep a release from undoing a quarantine (s3-object-claims.ts).
 */
export const RELEASE_S3_OBJECT_TIMEOUT_SECONDS = 60;

/** IAM role names are at most 64 characters. */
const ROLE_NAME_MAX = 64;

/**
 * The name of one responder's own role in a member account: the configured name (memberRoleName or
 * sessionRevokerRoleName) and the responder, `FirebreakResponder-quarantine-instance`. One role per
 * responder, so that each holds only its own responder's grants there, never another's. The longest
 * responder name (update-security-hub-finding, 27 characters) leaves 36 for the configured name.
 */
export function responderMemberRoleName(baseName: string, responder: string): string {
  const name = joined(baseName, responder);
  if (name.length > ROLE_NAME_MAX) {
    throw new RangeError(
      `member-account role name '${name}' is ${name.length} characters, over IAM's ${ROLE_NAME_MAX}: shorten the configured role name '${baseName}' (at most ${ROLE_NAME_MAX - responder.length - 1} characters with responder ${responder})`,
    );
  }
  return name;
}

/**
 * Every name the member-role stack may give a role under the configured name `baseName`: each
 * responder's (`responderMemberRoleName`; none over IAM's 64 characters can exist), and `baseName`
 * itself, the one shared role of earlier versions, still there until the stack is updated.
 */
export function memberRoleNamesUnder(baseName: string): string[] {
  const names = Object.values(RESPONDER_NAMES)
    .map((responder) => joined(baseName, responder))
    .filter((name) => name.length <= ROLE_NAME_MAX);
  return [baseName, ...names];
}

/** The configured name `roleName` was built from for `responder` (`responderMemberRoleName`), or `roleName` itself when it was not built so. */
export function configuredRoleNameOf(roleName: string, responder: string): string {
  const suffix = joined('', responder);
  return roleName.endsWith(suffix) && roleName.length > suffix.length ? roleName.slice(0, -suffix.length) : roleName;
}

function joined(baseName: string, responder: string): string {
  return `${baseName}-${responder}`;
}
