import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeywardenSecrets } from '../../lib/keywarden-secrets';
import { KeywardenService } from '../../lib/keywarden-service';
import { KeywardenTable } from '../../lib/keywarden-table';
import { STAGES } from '../../lib/stage-config';
import { cdkJsonContext, type CfnTemplate, methodsByRoute, quietBundling, resourcesOfType } from './synth-app';

/** How a platform team embeds Keywarden in its own app, on its own REST API (docs/operating.md). */
function platformApp() {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'Platform');
  const config = { ...STAGES.staging, resourcePrefix: 'platform-keys', stage: 'staging' };
  const table = new KeywardenTable(stack, 'KeyTable', { tableName: 'platform-keys' });
  const { secrets } = new KeywardenSecrets(stack, 'KeySecrets', { namePrefix: 'platform-keys' });
  const api = new RestApi(stack, 'PlatformApi', { deployOptions: { stageName: 'live' } });
  api.root.addResource('health').addMethod('GET');
  return { app, stack, config, table, secrets, api };
}

describe('KeywardenService embedded in another app', () => {
  let template: CfnTemplate;
  let service: KeywardenService;
  beforeAll(() => {
    const p = platformApp();
    service = quietBundling(
      () =>
        new KeywardenService(p.stack, 'Keywarden', {
          config: p.config,
          table: p.table.table,
          secrets: p.secrets,
          restApi: p.api,
          publicBaseUrl: 'https://platform.example.com/live',
        }),
    );
    template = Template.fromStack(p.stack).toJSON() as CfnTemplate;
  }, 180_000);

  it('mounts its routes on the given API next to the platform routes, without a second API or stage', () => {
    expect(resourcesOfType(template, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    expect(resourcesOfType(template, 'AWS::ApiGateway::Stage')).toHaveLength(1);
    const routes = [...methodsByRoute(template).keys()];
    expect(routes).toEqual(expect.arrayContaining(['GET /health', 'GET /v1/models', 'POST /v1/responses', 'POST /slack/events', 'POST /api/messages']));
    expect(service.api.restApiName).toBe('PlatformApi');
  });

  it('uses the given public base URL and leaves the platform stage alone', () => {
    expect(service.publicBaseUrl).toBe('https://platform.example.com/live');
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const vars = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(vars.PUBLIC_BASE_URL ?? vars.KEYWARDEN_API_URL).toBe('https://platform.example.com/live');
    }
    // API-level alarms belong to the API owner; function alarms still come with the service.
    expect(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).toHaveLength(8);
  });

  it('requires a public base URL on an existing API', () => {
    const p = platformApp();
    expect(
      () => new KeywardenService(p.stack, 'Keywarden', { config: p.config, table: p.table.table, secrets: p.secrets, restApi: p.api }),
    ).toThrow(/publicBaseUrl is required/);
  });
});

