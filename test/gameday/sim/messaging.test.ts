import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { SeededSimulatedAws } from '../../support/sim-builder';
import type { TaskTokenAnswer } from '../../../lib/gameday/sim';
import { rejectionOf } from './fixtures';

const FINDING = JSON.stringify({ type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 8 });

describe('simulated messaging services', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html (per-entry ErrorCode; the aws.
  // source prefix is reserved: NotAuthorizedForSourceException "Not authorized for the source.")
  it('rejects an aws.* source per entry without throwing, and delivers the other entries', async () => {
    const sim = new SeededSimulatedAws();
    const delivered: string[] = [];
    sim.onEvent((event) => delivered.push(event.source));
    const events = sim.clientFactory().eventBridge();

    const answer = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'aws.guardduty', DetailType: 'GuardDuty Finding', Detail: FINDING },
          { Source: 'firebreak.gameday', DetailType: 'GuardDuty Finding', Detail: FINDING },
          { Source: 'firebreak.gameday', DetailType: 'GuardDuty Finding', Detail: 'not json' },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.[0]).toEqual({ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' });
    expect(answer.Entries?.[1]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.Entries?.[2]?.ErrorCode).toBe('MalformedDetail');
    expect(delivered).toEqual(['firebreak.gameday']);
    expect(sim.busEvents('default').map((e) => [e.source, e.detailType, e.detail])).toEqual([
      ['firebreak.gameday', 'GuardDuty Finding', JSON.parse(FINDING)],
    ]);
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: ASCII, no line breaks, under 100
  // characters; at most 10 message attributes)
  it('records a published alert with its subject and attributes, and refuses an invalid subject (InvalidParameter)', async () => {
    const sim = new SeededSimulatedAws();
    const topic = sim.addTopic({ name: 'firebreak-alerts' });
    const sns = sim.clientFactory().sns();

    await sns.send(
      new PublishCommand({
        TopicArn: topic,
        Subject: '[Firebreak] High: SSH brute force on i-0abc',
        Message: 'What happened...',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'High' }, mode: { DataType: 'String', StringValue: 'enforce' } },
      }),
    );
    const tooLong = await rejectionOf(sns.send(new PublishCommand({ TopicArn: topic, Subject: 'x'.repeat(101), Message: 'm' })));
    const twoLines = await rejectionOf(sns.send(new PublishCommand({ TopicArn: topic, Subject: 'a\nb', Message: 'm' })));
    const accented = await rejectionOf(sns.send(new PublishCommand({ TopicArn: topic, Subject: 'Détection', Message: 'm' })));
    const noTopic = await rejectionOf(sns.send(new PublishCommand({ TopicArn: `${topic}-nope`, Message: 'm' })));

    expect(sim.publishedMessages(topic)).toEqual([
      expect.objectContaining({
        subject: '[Firebreak] High: SSH brute force on i-0abc',
        message: 'What happened...',
        messageAttributes: { severity: { dataType: 'String', value: 'High' }, mode: { dataType: 'String', value: 'enforce' } },
      }),
    ]);
    expect([tooLong.name, tooLong.message]).toEqual(['InvalidParameterException', 'Invalid parameter: Subject']);
    expect([twoLines.name, accented.name]).toEqual(['InvalidParameterException', 'InvalidParameterException']);
    expect([noTopic.name, noTopic.message]).toEqual(['NotFoundException', 'Topic does not exist']);
  });

  it('with retainMessageBodies false (the storm bench), validates every Publish in full and keeps subject and attributes, with a note of the body size', async () => {
    const sim = new SeededSimulatedAws({ retainMessageBodies: false });
    const topic = sim.addTopic({ name: 'firebreak-alerts' });
    const sns = sim.clientFactory().sns();
    const body = JSON.stringify({ default: 'Firebreak handled incident gd-1', email: 'é'.repeat(10) });
    await sns.send(new PublishCommand({ TopicArn: topic, Subject: 'High: Backdoor on i-0abc', Message: body, MessageStructure: 'json', MessageAttributes: { severity: { DataType: 'String', StringValue: 'High' } } }));
    await sns.send(new PublishCommand({ TopicArn: topic, Message: 'plain text' }));
    // Still refused as SNS refuses them: the body is checked before it is dropped.
    const tooLong = await rejectionOf(sns.send(new PublishCommand({ TopicArn: topic, Message: 'x'.repeat(262_145) })));
    const noDefault = await rejectionOf(sns.send(new PublishCommand({ TopicArn: topic, Message: '{"email":"m"}', MessageStructure: 'json' })));

    const kept = sim.publishedMessages(topic);
    expect(kept.map((message) => [message.subject, message.messageAttributes, message.structure])).toEqual([
      ['High: Backdoor on i-0abc', { severity: { dataType: 'String', value: 'High' } }, 'json'],
      [undefined, {}, undefined],
    ]);
    // A JSON body stays JSON with its default entry, so subscriptions still deliver it.
    expect(JSON.parse(kept[0]!.message)).toEqual({ default: `(body not kept: ${Buffer.byteLength(body, 'utf8')} bytes, retainMessageBodies is false)` });
    expect(kept[1]!.message).toBe('(body not kept: 10 bytes, retainMessageBodies is false)');
    expect([tooLong.message, noDefault.message]).toEqual(['Invalid parameter: Message too long', 'Invalid parameter: Message Structure - No default entry in JSON message body']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html (MD5OfMessageBody,
  // which the SDK checks against the body it sent)
  it('records an SQS message and answers with the body MD5 the SDK verifies; an unknown queue is QueueDoesNotExist', async () => {
    const sim = new SeededSimulatedAws();
    const queue = sim.addQueue({ name: 'firebreak-unprocessable-events' });
    const sqs = sim.clientFactory().sqs();

    const answer = await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: '{"broken": true' }));
    const missing = await rejectionOf(sqs.send(new SendMessageCommand({ QueueUrl: `${queue}-nope`, MessageBody: 'x' })));

    expect(answer.MD5OfMessageBody).toBe(createHash('md5').update('{"broken": true').digest('hex'));
    expect(sim.queueMessages(queue).map((m) => m.body)).toEqual(['{"broken": true']);
    expect(missing.name).toBe('QueueDoesNotExist');
  });

  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html (TaskDoesNotExist,
  // TaskTimedOut, InvalidOutput)
  it('hands task-token answers to the engine and answers TaskDoesNotExist / TaskTimedOut / InvalidOutput as it says', async () => {
    const sim = new SeededSimulatedAws();
    const answers: TaskTokenAnswer[] = [];
    sim.onTaskToken((answer) => {
      answers.push(answer);
      return answer.taskToken === 'approval-1' ? 'accepted' : answer.taskToken === 'late' ? 'timed-out' : 'unknown';
    });
    const sfn = sim.clientFactory().sfn();

    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'approval-1', output: '{"approved":true}' }));
    await sfn.send(new SendTaskFailureCommand({ taskToken: 'approval-1', error: 'Rejected', cause: 'not this one' }));
    const unknown = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'nobody', output: '{}' })));
    const late = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'late', output: '{}' })));
    const notJson = await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'approval-1', output: 'yes' })));

    expect(answers.slice(0, 2)).toEqual([
      { kind: 'success', taskToken: 'approval-1', output: '{"approved":true}' },
      { kind: 'failure', taskToken: 'approval-1', error: 'Rejected', cause: 'not this one' },
    ]);
    expect(unknown).toBeInstanceOf(TaskDoesNotExist);
    expect(late).toBeInstanceOf(TaskTimedOut);
    expect(notJson.name).toBe('InvalidOutput');
  });
});
