import { Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/**
 * The notification topic: P1s as they open, P1/P2 SLA breaches, and TMS's own alarms. Encrypted with a key
 * of its own (rotated yearly), since the AWS-managed SNS key admits no service but SNS, and CloudWatch alarms
 * must publish here too. TLS only. The config's `notifications.sns.emails` are subscribed (each confirms by
 * the mail AWS sends).
 */
export class NotificationTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { readonly emails: readonly string[] }) {
    super(scope, id);
    const key = new Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'TMS notification topic',
    });
    // CloudWatch alarms of this account only (no confused deputy from another account's alarms).
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
    });
    key.grant(cloudwatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', {
      displayName: 'TMS notifications',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.grantPublish(cloudwatch);
    for (const email of props.emails) this.topic.addSubscription(new EmailSubscription(email));
  }
}
