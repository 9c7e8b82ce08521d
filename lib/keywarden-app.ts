import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { StageConfig } from './stage-config';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export interface KeywardenStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** Stack names for a stage: `Keywarden-<stage>-Stateful` and `Keywarden-<stage>-Api`. */
export function stackNames(config: StageConfig): { stateful: string; stateless: string } {
  return { stateful: `${config.stackPrefix}-Stateful`, stateless: `${config.stackPrefix}-Api` };
}

/**
 * Adds one stage of Keywarden to an app: both stacks, tags, and the cdk-nag AWS Solutions pack
 * as a synthesis validation plugin, so an unacknowledged finding fails `cdk synth`.
 *
 * The stacks are environment-agnostic (no `env`): synthesis needs no account, region, lookup or
 * network, and `cdk deploy` targets whatever credentials and region the operator uses.
 */
export function addKeywardenStage(app: App, config: StageConfig): KeywardenStacks {
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
  for (const stack of [stateful, stateless]) {
    Tags.of(stack).add('project', 'keywarden');
    Tags.of(stack).add('keywarden:stage', config.stage);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
