import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ControlTowerChecks, SUPPRESSIBLE_CONTROLS } from '../../lib/control-tower';
import { addKeywardenStage } from '../../lib/keywarden-app';
import { STAGE_NAMES, STAGES } from '../../lib/stage-config';
import { cdkJsonContext, quietBundling, synthStage } from './synth-app';

describe('cdk-nag AwsSolutions', () => {
  // Production (with its console stack) is synthesized once, cdk-nag included, by
  // control-tower.test.ts, which holds it to the same checks beside the Control Tower ones.
  it.each(STAGE_NAMES.filter((stage) => stage !== 'production'))('%s synthesizes with no unacknowledged cdk-nag or Control Tower finding', (stage) => {
    // synthStage throws (in-memory app mode) if any validation plugin reports a violation. The
    // Control Tower checks ride on the same synthesis (as `cdk synth` runs them): these stages
    // answer two controls production meets (a year of logs, X-Ray in development).
    const checks = new ControlTowerChecks();
    const s = synthStage(stage, {}, { plugins: [checks] });
    try {
      const reportFile = join(s.assembly.directory, 'validation-report.json');
      if (existsSync(reportFile)) {
        const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
          pluginReports: Array<{ summary?: { status?: string }; conclusion?: unknown; violations?: unknown[] }>;
        };
        for (const plugin of report.pluginReports) expect(plugin.violations ?? []).toEqual([]);
      }
      // The assembly's own messages: Annotations.fromStack would synthesize the whole app again.
      for (const stack of [s.stacks.stateful, s.stacks.stateless]) {
        expect(s.assembly.getStackArtifact(stack.artifactId).messages.filter((m) => m.level === 'error')).toEqual([]);
      }
      expect(checks.suppressed.map((x) => x.rule)).toContain(SUPPRESSIBLE_CONTROLS['CT.CLOUDWATCH.PR.2']);
    } finally {
      s.cleanup();
    }
  }, 180_000);

  it('fails synthesis on an unacknowledged finding', () => {
    const app = new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:appMode': 'inmemory' } });
    quietBundling(() => addKeywardenStage(app, STAGES.development));
    // A queue without a dead-letter queue or TLS enforcement: AwsSolutions-SQS3/SQS4 errors.
    new Queue(new Stack(app, 'Intruder'), 'Queue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS[34]/);
  }, 180_000);
});
