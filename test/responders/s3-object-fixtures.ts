/**
 * The one scanned S3 object of the S3 object steps' tests (the fixture event
 * guardduty-malware-protection-s3-threats-found.json names it), and an S3 client whose calls a
 * test file mocks (aws-sdk-client-mock patches the client class: one mock per test file).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

export const s3Mock = mockClient(S3Client);
export const s3 = new S3Client({ region: 'eu-west-1' });
export const clients = { s3: async () => s3 };
export const NOW = new Date('2026-03-25T09:20:00.000Z');
export const ACCOUNT = '111122223333';
export const BUCKET = 'acme-customer-uploads';
export const KEY = 'incoming/2026/03/invoice-4471.pdf';
export const VERSION = 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE';
export const ETAG = '44d88612fea8a8f36de82e1278abb02f';
export const ENFORCE = { FIREBREAK_MODE: 'enforce' };
