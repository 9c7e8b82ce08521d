import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ControlTowerChecks } from './control-tower';
import type { StageConfig } from './stage-config';
import { StatefulStack } from './stateful-stack';
import { ConsoleStack } from './keywarden-console';
import { EventsStack } from './events-stack';
import { StatelessStack } from './stateless-stack';

export interface KeywardenStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
  /** The lifecycle events relay (schedules and the table's stream). */
  readonly events: EventsStack;
  /** The API Keys console (S3 + CloudFront, /v1/* to the API), when asked for. */
  readonly console?: ConsoleStack;
}

/** Stack names for a stage: `Keywarden-<stage>-Stateful`, `-Api`, `-Events` and `-Console`. */
export function stackNames(config: StageConfig): { stateful: string; stateless: string; events: string; console: string } {
  return {
    stateful: `${config.stackPrefix}-Stateful`,
    stateless: `${config.stackPrefix}-Api`,
    events: `${config.stackPrefix}-Events`,
    console: `${config.stackPrefix}-Console`,
  };
}

/**
 * Adds one stage of Keywarden to an app: the stateful, API and events stacks, tags, and the cdk-nag AWS Solutions pack
 * as a synthesis validation plugin, so an unacknowledged finding fails `cdk synth`. `cdk synth`
 * (bin/app.ts) also runs the Control Tower proactive controls with `addControlTowerChecks`.
 *
 * The stacks are environment-agnostic (no `env`): synthesis needs no account, region, lookup or
 * network, and `cdk deploy` targets whatever credentials and region the operator uses.
 */
export function addKeywardenStage(app: App, config: StageConfig, options: { console?: boolean } = {}): KeywardenStacks {
  const names = stackNames(config);
  const stateful = new StatefulStack(app, names.stateful, {
    config,
    stackName: names.stateful,
    description: `Keywarden ${config.stage}: key table and secrets`,
    terminationProtection: config.deletionProtection,
  });
  const stateless = new StatelessStack(app, names.stateless, {
    config,
    stateful,
    stackName: names.stateless,
    description: `Keywarden ${config.stage}: API, functions, bots and alarms`,
  });
  const events = new EventsStack(app, names.events, {
    config,
    stateful,
    alarmTopic: stateless.service.alarmTopic,
    apiUrl: stateless.service.publicBaseUrl,
    stackName: names.events,
    description: `Keywarden ${config.stage}: lifecycle events relay (outbox to EventBridge and webhooks) and the Secrets Manager rotation function`,
  });
  const console = options.console
    ? new ConsoleStack(app, names.console, {
        config,
        api: stateless.service.api,
        stackName: names.console,
        description: `Keywarden ${config.stage}: the API Keys console (S3 + CloudFront, /v1/* to the API)`,
      })
    : undefined;
  for (const stack of [stateful, stateless, events, ...(console ? [console] : [])]) {
    Tags.of(stack).add('project', 'keywarden');
    Tags.of(stack).add('keywarden:stage', config.stage);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless, events, ...(console ? { console } : {}) };
}

/**
 * cfn-guard with the AWS Control Tower proactive-control rule sets as a synthesis validation
 * plugin: a finding that no resource answers with a reasoned suppression fails `cdk synth`
 * (lib/control-tower.ts). Apart from `addKeywardenStage` because it runs a child process over
 * every template of the app: `cdk synth` and the governance tests add it once per synthesis.
 */
export function addControlTowerChecks(app: App): void {
  Validations.of(app).addPlugins(new ControlTowerChecks());
}

