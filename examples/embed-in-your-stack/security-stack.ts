/**
 * A stack of your own in the security account: your resources, and Firebreak added to it as one
 * construct. Firebreak's responders, state machines and rules sit next to what you already deploy;
 * its outputs keep their names (DispatcherArn, AlertTopicArn…), so the firebreak operator commands
 * find them with `--stack <your stack name>`.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { Firebreak } from 'firebreak';

export interface SecurityStackProps extends StackProps {
  /** Where incident alerts go. */
  readonly oncallEmail: string;
}

export class SecurityStack extends Stack {
  /** Your own resource: a bucket for incident reports. */
  public readonly reports: s3.Bucket;
  public readonly firebreak: Firebreak;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);

    this.reports = new s3.Bucket(this, 'IncidentReports', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The playbooks Firebreak ships (playbooksDir points at a folder of your own instead), in
    // dry-run: a first deployment proves its permissions without changing anything.
    this.firebreak = new Firebreak(this, 'Firebreak', {
      mode: 'dry-run',
      alertEmails: [props.oncallEmail],
      protectedInstanceIds: ['i-0123456789abcdef0'],
    });
  }
}
