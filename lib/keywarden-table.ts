import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { denyGrantsExceptForAwsResources } from './keywarden-kms';
import { TABLE_SCHEMA } from '../lambdas/adapters/store/table';

export interface KeywardenTableProps {
  /** Physical table name. */
  readonly tableName: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
  /** @default 'aws-managed' */
  readonly encryption?: 'aws-managed' | 'customer-managed';
}

/**
 * The single Keywarden table, with the safe defaults baked in: on-demand capacity, point-in-time
 * recovery, encryption at rest, deletion protection and RETAIN unless the caller opts out.
 *
 * The physical schema comes from `lambdas/adapters/store/table.ts`, the same object the local
 * server and the tests use to create their dynalite tables, so AWS and local never disagree.
 * TTL only tidies old audit records; the service checks every expiry in code (SPEC §7). The
 * table's stream (new and old images) feeds the events relay.
 */
export class KeywardenTable extends Construct {
  readonly table: Table;
  /** Set when `encryption` is `customer-managed`; functions need explicit KMS permissions on it. */
  readonly encryptionKey: Key | undefined;
  /** ARNs of the global secondary indexes, for least-privilege Query grants. */
  readonly indexArns: string[];

  constructor(scope: Construct, id: string, props: KeywardenTableProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const customerManaged = (props.encryption ?? 'aws-managed') === 'customer-managed';

    this.encryptionKey = customerManaged
      ? new Key(this, 'Key', {
          description: `Encrypts the Keywarden table ${props.tableName}`,
          enableKeyRotation: true,
          removalPolicy,
        })
      : undefined;
    if (this.encryptionKey) denyGrantsExceptForAwsResources(this.encryptionKey);

    const string = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: string(TABLE_SCHEMA.partitionKey),
      sortKey: string(TABLE_SCHEMA.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      // The events relay's nudge (lib/keywarden-events.ts): an event item that becomes ready
      // invokes the relay at once instead of at its next minute. Both images, so the relay's
      // filter can tell a change of state (pending → ready) from the relay's own progress writes
      // on a ready event. Reading a stream from Lambda costs nothing; records live 24 hours.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      ...(this.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
    });

    for (const gsi of [TABLE_SCHEMA.gsi1, TABLE_SCHEMA.gsi2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: string(gsi.partitionKey),
        sortKey: string(gsi.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
    // Named index ARNs instead of `<table>/index/*`: a grant covers exactly the indexes that exist.
    this.indexArns = [TABLE_SCHEMA.gsi1.name, TABLE_SCHEMA.gsi2.name].map((name) => `${this.table.tableArn}/index/${name}`);
  }
}
