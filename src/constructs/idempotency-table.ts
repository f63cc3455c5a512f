import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Construct } from 'constructs';
import { resourceName } from '../config/naming';

/** Attribute names Powertools Idempotency's DynamoDB persistence layer uses by default. */
export const IDEMPOTENCY_KEY_ATTRIBUTE = 'id';
export const IDEMPOTENCY_EXPIRY_ATTRIBUTE = 'expiration';

/** On-demand, encrypted table of idempotency records; DynamoDB TTL removes expired ones. */
export class IdempotencyTable extends Construct {
  public readonly table: DynamodbTable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new DynamodbTable(this, 'table', {
      name: resourceName('idempotency'),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: IDEMPOTENCY_KEY_ATTRIBUTE,
      attribute: [{ name: IDEMPOTENCY_KEY_ATTRIBUTE, type: 'S' }],
      ttl: { attributeName: IDEMPOTENCY_EXPIRY_ATTRIBUTE, enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
  }
}
