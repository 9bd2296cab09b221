/**
 * IAM action sets that the stack grants and the code calls, written once: a policy and the call it
 * allows cannot drift apart.
 */

/**
 * IAM actions a person needs to answer approvals: invoking the approval function's URL. Since
 * October 2025 a new Function URL needs both actions (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
 */
export const APPROVER_IAM_ACTIONS = ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'] as const;

/**
 * The encryption-context key S3 sets on every SSE-KMS request: the object's ARN, or the bucket's
 * with an S3 Bucket Key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
 * The quarantine copy's KMS statement is conditioned on it; the simulated S3 sets it.
 */
export const S3_ENCRYPTION_CONTEXT_KEY = 'aws:s3:arn';

/**
 * Every IAM action that writes an item of a DynamoDB table in place. TransactWriteItems has no
 * action of its own: IAM authorizes each of its operations as PutItem, UpdateItem or DeleteItem
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html);
 * imports and restores create a new table. The state table's resource policy denies these to every
 * principal but Firebreak's own roles (lib/stack/state.ts).
 */
export const ITEM_WRITE_IAM_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;
