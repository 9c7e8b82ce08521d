import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { KeywardenEvents } from './keywarden-events';
import { createLogsKey } from './keywarden-kms';
import { KeywardenRotationSchedule } from './keywarden-rotation-schedule';
import { KeywardenSecretRotation } from './keywarden-secret-rotation';
import type { StageConfig } from './stage-config';
import type { StatefulStack } from './stateful-stack';

export interface EventsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  /** The API stack's alarm topic, for the relay's error alarm. */
  readonly alarmTopic?: ITopic;
  /** The API's public base URL: with it, the Secrets Manager rotation function is deployed here too. */
  readonly apiUrl?: string;
}

/**
 * The lifecycle events relay (lib/keywarden-events.ts), stateless like the API but its own stack:
 * it runs on schedules and the table's stream rather than on requests, so it can be redeployed,
 * paused or torn down without touching the API, and the API's template does not change with it.
 * Reads the table, its stream, the hashing secret and the bus from the stateful stack.
 */
export class EventsStack extends Stack {
  readonly events: KeywardenEvents;
  /** The Secrets Manager rotation function for customers' Keywarden keys (issue 25 point 3). */
  readonly secretRotation?: KeywardenSecretRotation;
  /** Keys rotated on schedule into the secrets that hold them (issue 25 point 2). */
  readonly rotationSchedule?: KeywardenRotationSchedule;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    // Its own logs key: a key shared across stacks would tie this stack's deploys to the API's.
    const logsKey = createLogsKey(this, 'LogsKey', config);
    this.events = new KeywardenEvents(this, 'Events', {
      config,
      table: stateful.table,
      indexArns: stateful.indexArns,
      tableKey: stateful.tableKey,
      logsKey,
      secrets: stateful.secrets,
      eventBus: stateful.eventBus,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
    // Also off any request path: Secrets Manager invokes it on each secret's rotation schedule.
    if (props.apiUrl) this.secretRotation = new KeywardenSecretRotation(this, 'SecretRotation', { config, apiUrl: props.apiUrl, logsKey });
    if (props.apiUrl) {
      const { table, indexArns, tableKey, secrets } = stateful;
      this.rotationSchedule = new KeywardenRotationSchedule(this, 'RotationSchedule', { config, apiUrl: props.apiUrl, table, indexArns, tableKey, logsKey, secrets });
    }
  }
}
