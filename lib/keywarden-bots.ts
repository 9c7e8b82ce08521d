import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { BUDGET_ALERTS_EVENT, EXPIRY_REMINDERS_EVENT } from '../bots/core/expiry-reminders-event';
import type { FunctionName } from './keywarden-function';
import type { StageConfig } from './stage-config';

export interface KeywardenBotsProps {
  readonly config: StageConfig;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
}

/**
 * What the bot functions need beyond their routes (issue 12):
 *
 * - **Ack first, work after (Slack).** The Slack function acknowledges a request and hands the
 *   work to an asynchronous invocation of itself (bots/slack/ack-first/). Its role may invoke
 *   that one function and nothing else; the ARN is built from the function's fixed name (a
 *   reference to the function itself would make the role's policy and the function depend on
 *   each other). The asynchronous invocation is never retried and never older than 5 minutes:
 *   work runs at most once, while Slack's response_url still answers.
 * - **Expiry reminders.** An EventBridge rule invokes the bot functions once a day with
 *   `{ "keywarden": "expiry-reminders" }`; each tells its platform's project admins about keys
 *   expiring within 14 days, within 3 days, or just expired (bots/core/expiry-reminders.ts).
 * - **Budget alerts.** A second rule invokes them every 5 minutes with
 *   `{ "keywarden": "budget-alerts" }`; each tells its platform's project admins about keys at
 *   80 % or 100 % of their budget, once per threshold and period (bots/core/budget-alerts.ts),
 *   and about keys found exposed, once per key, with what they did since (bots/core/exposure-notices.ts).
 *   Its own rule: a budget runs out within minutes, an expiry is known weeks ahead. A retried or
 *   overlapping invocation sends nothing twice (delivery claims), and one older than the next
 *   run is dropped rather than queued behind it.
 */
export class KeywardenBots extends Construct {
  readonly reminderRule: Rule;
  readonly budgetAlertRule: Rule;

  constructor(scope: Construct, id: string, props: KeywardenBotsProps) {
    super(scope, id);
    const slack = props.functions.slack;
    const slackArn = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: `${props.config.resourcePrefix}-slack`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    slack.addToRolePolicy(new PolicyStatement({ sid: 'HandOffToItself', actions: ['lambda:InvokeFunction'], resources: [slackArn] }));
    slack.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    // GovSlack or a proxy (`-c slackApiUrl=…`): the Web API base, and the one other origin a response_url may name.
    if (props.config.slackApiUrl) slack.addEnvironment('SLACK_API_URL', props.config.slackApiUrl);

    this.reminderRule = new Rule(this, 'ExpiryReminders', {
      description: `Keywarden ${props.config.stage}: daily key expiry reminders to project admins (Slack DM, Teams 1:1)`,
      schedule: Schedule.cron({ minute: '0', hour: '8' }),
    });
    for (const bot of ['slack', 'teams'] as const) {
      this.reminderRule.addTarget(
        new LambdaFunction(props.functions[bot], { event: RuleTargetInput.fromObject(EXPIRY_REMINDERS_EVENT), retryAttempts: 2, maxEventAge: Duration.hours(2) }),
      );
    }
    this.budgetAlertRule = new Rule(this, 'BudgetAlerts', {
      description: `Keywarden ${props.config.stage}: budget alerts at 80 % and 100 % and exposure notices to project admins (Slack DM, Teams 1:1), every 5 minutes`,
      schedule: Schedule.rate(Duration.minutes(5)),
    });
    for (const bot of ['slack', 'teams'] as const) {
      this.budgetAlertRule.addTarget(
        new LambdaFunction(props.functions[bot], { event: RuleTargetInput.fromObject(BUDGET_ALERTS_EVENT), retryAttempts: 1, maxEventAge: Duration.minutes(5) }),
      );
    }
  }
}
