import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Construct } from 'constructs';
import { ResourceNames } from '../config/naming';
import { IGrantable } from '../iam/policy-document';

/** Attribute names Powertools Idempotency's DynamoDB persistence layer uses by default. */
export const IDEMPOTENCY_KEY_ATTRIBUTE = 'id';
export const IDEMPOTENCY_EXPIRY_ATTRIBUTE = 'expiration';
/**
 * What the processor's claim store calls: put (claim a delivery, conditionally, in one write) and
 * delete (release the claim of a forward that failed).
 */
export const IDEMPOTENCY_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;

export interface IdempotencyTableProps {
  /**
   * Physical names' prefix and suffix: the table is `<prefix>-idempotency-<suffix>`.
   * @default webhook-idempotency-dev
   */
  readonly names?: ResourceNames;
}

/** On-demand, encrypted table of idempotency records; DynamoDB TTL removes expired ones. */
export class IdempotencyTable extends Construct {
  public readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    const names = props.names ?? new ResourceNames();
    this.table = new DynamodbTable(this, 'table', {
      name: names.of('idempotency'),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: IDEMPOTENCY_KEY_ATTRIBUTE,
      attribute: [{ name: IDEMPOTENCY_KEY_ATTRIBUTE, type: 'S' }],
      ttl: { attributeName: IDEMPOTENCY_EXPIRY_ATTRIBUTE, enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
  }

  /** Lets `grantee` claim and release delivery records, and nothing more. */
  grantIdempotencyRecords(grantee: IGrantable, sid = 'OwnIdempotencyRecords'): void {
    grantee.addToPrincipalPolicy({ Sid: sid, Effect: 'Allow', Action: [...IDEMPOTENCY_ACTIONS], Resource: this.table.arn });
  }
}
