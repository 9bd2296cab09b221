// Tests never reach AWS: make sure no SDK client can pick up ambient credentials or a region.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFIREBREAKTEST000';
process.env.AWS_SECRET_ACCESS_KEY ??= 'firebreak-test-secret';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
