import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { KeywardenEvents } from './keywarden-events';
import { createLogsKey } from './keywarden-kms';
import type { StageConfig } from './stage-config';
import type { StatefulStack } from './stateful-stack';

export interface EventsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  /** The API stack's alarm topic, for the relay's error alarm. */
  readonly alarmTopic?: ITopic;
}

/**
 * The lifecycle events relay (lib/keywarden-events.ts), stateless like the API but its own stack:
 * it runs on schedules and the table's stream rather than on requests, so it can be redeployed,
 * paused or torn down without touching the API, and the API's template does not change with it.
 * Reads the table, its stream, the hashing secret and the bus from the stateful stack.
 */
export class EventsStack extends Stack {
  readonly events: KeywardenEvents;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    this.events = new KeywardenEvents(this, 'Events', {
      config,
      table: stateful.table,
      indexArns: stateful.indexArns,
      tableKey: stateful.tableKey,
      // Its own logs key: a key shared across stacks would tie this stack's deploys to the API's.
      logsKey: createLogsKey(this, 'LogsKey', config),
      secrets: stateful.secrets,
      eventBus: stateful.eventBus,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
  }
}
