import { randomUUID } from 'node:crypto';

export interface SandboxSnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  timestamp: string;
}

export interface SnsAnswer {
  status: number;
  body: string;
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The part of the SNS API TMS uses (Publish, in SNS's query protocol), so the real SNS adapter and SDK run
 * against it offline (`AWS_ENDPOINT_URL_SNS`), and what was published can be read back.
 */
export class SnsEmulator {
  readonly #messages: SandboxSnsMessage[] = [];

  constructor(
    private readonly topicArn: string,
    private readonly onPublish?: (message: SandboxSnsMessage) => void,
  ) {}

  handle(form: URLSearchParams, authorization: string | undefined): SnsAnswer {
    if (!authorization?.startsWith('AWS4-HMAC-SHA256'))
      return this.#error(403, 'Sender', 'MissingAuthenticationToken', 'Request is not signed');
    const action = form.get('Action');
    if (action !== 'Publish')
      return this.#error(400, 'Sender', 'InvalidAction', `${action ?? 'No action'} is not supported here`);
    const topicArn = form.get('TopicArn') ?? '';
    if (topicArn !== this.topicArn) return this.#error(404, 'Sender', 'NotFound', 'Topic does not exist');
    const message = form.get('Message');
    if (!message) return this.#error(400, 'Sender', 'InvalidParameter', 'Invalid parameter: Message');
    const subject = form.get('Subject') ?? undefined;
    if (subject && subject.length > 100)
      return this.#error(400, 'Sender', 'InvalidParameter', 'Invalid parameter: Subject');
    const attributes: Record<string, string> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      attributes[form.get(`MessageAttributes.entry.${i}.Name`) ?? ''] =
        form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
    }
    const entry: SandboxSnsMessage = {
      messageId: randomUUID(),
      topicArn,
      ...(subject ? { subject } : {}),
      message,
      attributes,
      timestamp: new Date().toISOString(),
    };
    this.#messages.push(entry);
    this.onPublish?.(entry);
    return {
      status: 200,
      body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${entry.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  }

  messages(): SandboxSnsMessage[] {
    return this.#messages.map((m) => structuredClone(m));
  }

  #error(status: number, type: string, code: string, message: string): SnsAnswer {
    return {
      status,
      body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    };
  }
}
