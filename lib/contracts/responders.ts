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
  quarantineS3Object: 'quarantine-s3-object',
  releaseS3Object: 'release-s3-object',
  disableAccessKey: 'disable-access-key',
  revokeRoleSessions: 'revoke-role-sessions',
  updateSecurityHubFinding: 'update-security-hub-finding',
  releaseCredentials: 'release-credentials',
  publishAlert: 'publish-alert',
  approval: 'approval',
} as const;
