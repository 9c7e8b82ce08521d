import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { KeywardenService } from './keywarden-service';
import type { StageConfig } from './stage-config';
import type { StatefulStack } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
}

/**
 * Code and wiring that can be torn down and redeployed at will: the REST API, the four Lambda
 * functions and the alarms. Reads the table and the secrets from the stateful stack.
 */
export class StatelessStack extends Stack {
  readonly service: KeywardenService;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    this.service = new KeywardenService(this, 'Keywarden', {
      config,
      table: stateful.table,
      tableIndexArns: stateful.indexArns,
      ...(stateful.tableKey ? { tableEncryptionKey: stateful.tableKey } : {}),
      secrets: stateful.secrets,
    });
  }
}
