import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SECRET_NAMES, type SecretName } from '../lambdas/config';
import { KeywardenSecrets } from './keywarden-secrets';
import { KeywardenTable } from './keywarden-table';
import type { StageConfig } from './stage-config';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What must outlive any deployment of the code: the key table and the secrets. Kept apart from
 * the stateless stack so that redeploying, renaming or even deleting the API never touches the
 * data, and so that its changes are rare and reviewed on their own.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly tableKey: Key | undefined;
  readonly indexArns: string[];
  readonly secrets: Readonly<Record<SecretName, Secret>>;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new KeywardenTable(this, 'Keys', {
      tableName: config.resourcePrefix,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
      pointInTimeRecovery: config.pointInTimeRecovery,
      encryption: config.tableEncryption,
    });
    this.table = table.table;
    this.tableKey = table.encryptionKey;
    this.indexArns = table.indexArns;

    this.secrets = new KeywardenSecrets(this, 'Secrets', {
      namePrefix: config.resourcePrefix,
      removalPolicy: config.removalPolicy,
    }).secrets;

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Keywarden table (TABLE_NAME)' });
    for (const name of SECRET_NAMES) {
      new CfnOutput(this, `Secret${name.charAt(0).toUpperCase()}${name.slice(1)}Name`, {
        value: this.secrets[name].secretName,
        description: `Secrets Manager secret "${name}"`,
      });
    }
  }
}
