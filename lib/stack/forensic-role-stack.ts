/**
 * The forensic-role stack: deployed into the forensic account (the account evidence is copied to,
 * never a member account), it creates the one role through which the security account's
 * copy-evidence responder copies evidence snapshots there. Like the member role
 * (lib/stack/member-role-stack.ts): a self-contained template (no assets, no bootstrap rule), exact
 * trust (aws:PrincipalArn of the copy-evidence responder role in each security region, never a name
 * pattern, and the member roles' sts:ExternalId when the deployment has one), least privilege:
 *
 * - ec2:CopySnapshot on snapshots (the source, shared with this account, and the new copy), and
 *   ec2:CreateTags only as part of CopySnapshot (ec2:CreateAction) and only copy-evidence's four keys (aws:TagKeys);
 * - ec2:DescribeSnapshots (no resource-level permissions);
 * - on the forensic KMS key only: what EBS needs to encrypt a copy with it (kms:CreateGrant for AWS
 *   resources only, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptTo, kms:DescribeKey), each
 *   only through EC2 (kms:ViaService);
 * - on the source accounts' customer keys, when source accounts are named: what EBS needs to read an
 *   encrypted source (kms:Decrypt, kms:ReEncryptFrom, kms:CreateGrant, kms:DescribeKey), through EC2 only.
 *
 * Never ec2:DeleteSnapshot, ModifySnapshotAttribute or anything on the member accounts' snapshots
 * beyond copying what they shared.
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-ebs.html
 */
import { CfnOutput, CfnParameter, DefaultStackSynthesizer, Duration, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { RESPONDER_NAMES } from '../contracts/responders';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE } from '../contracts/security';
import { FORENSIC_COPY_WRITTEN_TAG_KEYS } from '../responders/snapshot-plan';
import { acknowledgeWildcardResources } from './iam-scopes';
import { DEFAULT_RESPONDER_ROLE_NAME_PREFIX, REGION_NAME, responderRoleName } from './member-role-stack';
import { DEFAULT_FORENSIC_ROLE_NAME } from './responders';

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key\/[A-Za-z0-9-]+$/;

export interface ForensicRoleStackProps extends StackProps {
  /** The forensic account's KMS key (full ARN) the copies are encrypted with; the same as the Firebreak stack's forensicKmsKeyArn. */
  readonly forensicKmsKeyArn: string;
  /**
   * The security account (where Firebreak runs).
   * @default a CfnParameter `SecurityAccountId`
   */
  readonly securityAccountId?: string;
  /**
   * The regions of the Firebreak stack (its responder role names carry the region).
   * @default a CfnParameter `SecurityRegion`
   */
  readonly securityRegions?: readonly string[];
  /**
   * The role's name; the Firebreak stack is configured with the same (`forensicRoleName`).
   * @default 'FirebreakForensicCopier'
   */
  readonly roleName?: string;
  /**
   * Member accounts whose customer-managed keys encrypt evidence snapshots: the role may use their
   * keys (through EC2 only) to read an encrypted source. Their key policies must also let this
   * account use them. Unencrypted sources need none.
   * @default none
   */
  readonly sourceAccountIds?: readonly string[];
  /** @default 'firebreak-responder-' */
  readonly responderRoleNamePrefix?: string;
  /**
   * Required as `sts:ExternalId` in the trust policy, as the member roles require it: the
   * deployment's memberRoleExternalId, which copy-evidence sends (`FIREBREAK_MEMBER_ROLE_EXTERNAL_ID`).
   * @default none
   */
  readonly externalId?: string;
}

/** The role the copy-evidence responder assumes in the forensic account. */
export class ForensicRoleStack extends Stack {
  public readonly role: iam.Role;
  /** Its permission statements, in order (for review and tests). */
  public readonly statements: readonly iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: ForensicRoleStackProps) {
    super(scope, id, {
      ...props,
      description: props.description ?? 'Firebreak forensic role: lets the security account copy evidence snapshots into this account, re-encrypted with its key',
      synthesizer: props.synthesizer ?? new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const roleName = props.roleName ?? DEFAULT_FORENSIC_ROLE_NAME;
    validate(props, roleName);
    const securityAccountId =
      props.securityAccountId ??
      new CfnParameter(this, 'SecurityAccountId', { type: 'String', description: 'The Firebreak security account', allowedPattern: '^\\d{12}$' }).valueAsString;
    const regions = props.securityRegions ?? [
      new CfnParameter(this, 'SecurityRegion', { type: 'String', description: 'The region of the Firebreak stack', allowedPattern: REGION_NAME.source }).valueAsString,
    ];
    const prefix = props.responderRoleNamePrefix ?? DEFAULT_RESPONDER_ROLE_NAME_PREFIX;
    const trusted = regions.map((region) => `arn:${this.partition}:iam::${securityAccountId}:role/${responderRoleName(RESPONDER_NAMES.copyEvidence, region, prefix)}`);
    const snapshots = `arn:${this.partition}:ec2:*::snapshot/*`;
    const viaEc2 = { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } };
    const sourceKeys = (props.sourceAccountIds ?? []).map((account) => `arn:${this.partition}:kms:*:${account}:key/*`);
    const statements = [
      new iam.PolicyStatement({ sid: 'CopyEvidenceSnapshots', actions: ['ec2:CopySnapshot'], resources: [snapshots] }),
      new iam.PolicyStatement({
        sid: 'TagCopiesAtCreation',
        actions: ['ec2:CreateTags'],
        resources: [snapshots],
        // Only the keys copy-evidence writes: no tag another policy of the forensic account grants access by.
        conditions: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': [...FORENSIC_COPY_WRITTEN_TAG_KEYS] } },
      }),
      new iam.PolicyStatement({ sid: 'DescribeSnapshots', actions: ['ec2:DescribeSnapshots'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'EncryptCopiesWithTheForensicKey',
        actions: ['kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptTo', 'kms:Decrypt'],
        resources: [props.forensicKmsKeyArn],
        conditions: viaEc2,
      }),
      new iam.PolicyStatement({
        sid: 'GrantEbsTheForensicKey',
        actions: ['kms:CreateGrant'],
        resources: [props.forensicKmsKeyArn],
        conditions: { ...viaEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      ...(sourceKeys.length > 0
        ? [
            new iam.PolicyStatement({
              sid: 'ReadEncryptedSources',
              actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom', 'kms:CreateGrant'],
              resources: sourceKeys,
              conditions: viaEc2,
            }),
          ]
        : []),
    ];
    this.statements = statements;
    this.role = new iam.Role(this, 'ForensicRole', {
      roleName,
      description: 'Assumed by the Firebreak copy-evidence responder only, to copy evidence snapshots into this account',
      // sts:ExternalId, when set, is AWS's guard against a confused deputy, as on the member roles.
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
      assumedBy: new iam.AccountPrincipal(securityAccountId).withConditions({
        StringEquals: {
          'aws:PrincipalArn': trusted.length === 1 ? trusted[0]! : trusted,
          ...(props.externalId !== undefined ? { 'sts:ExternalId': props.externalId } : {}),
        },
      }),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { FirebreakForensicCopy: new iam.PolicyDocument({ statements }) },
    });
    acknowledgeWildcardResources(this.role, [
      { resource: snapshots, why: 'The evidence snapshots shared from member accounts and the copies made here are known only at run time; snapshot ARNs carry no account id. CreateTags only as part of CopySnapshot (ec2:CreateAction).' },
      { resource: '*', why: 'ec2:DescribeSnapshots does not support resource-level permissions.' },
      ...sourceKeys.map((resource) => ({ resource, why: 'The member account keys that encrypt evidence are known only at run time; limited to the named source accounts and to use through EC2 (kms:ViaService).' })),
    ]);
    new CfnOutput(this, 'ForensicRoleArn', { value: this.role.roleArn, description: 'The role copy-evidence assumes here' });
  }
}

function validate(props: ForensicRoleStackProps, roleName: string): void {
  if (!ROLE_NAME.test(roleName)) throw new Error(`ForensicRoleStack: roleName '${roleName}' is not a valid IAM role name`);
  if (!Token.isUnresolved(props.forensicKmsKeyArn) && !KMS_KEY_ARN.test(props.forensicKmsKeyArn)) {
    throw new Error(`ForensicRoleStack: forensicKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got '${props.forensicKmsKeyArn}'`);
  }
  if (props.securityAccountId !== undefined && !Token.isUnresolved(props.securityAccountId) && !ACCOUNT_ID.test(props.securityAccountId)) {
    throw new Error(`ForensicRoleStack: securityAccountId must be a 12-digit account id, got '${props.securityAccountId}'`);
  }
  if (props.externalId !== undefined && !EXTERNAL_ID_PATTERN.test(props.externalId)) {
    throw new Error(`ForensicRoleStack: externalId must be ${EXTERNAL_ID_RULE}`);
  }
  for (const account of props.sourceAccountIds ?? []) {
    if (!ACCOUNT_ID.test(account)) throw new Error(`ForensicRoleStack: sourceAccountIds must be 12-digit account ids, got '${account}'`);
  }
  for (const region of props.securityRegions ?? []) {
    if (!Token.isUnresolved(region) && !REGION_NAME.test(region)) throw new Error(`ForensicRoleStack: securityRegions must be region names, got '${region}'`);
  }
}
