import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../lambdas/http/api';
import { SUPPRESSIBLE_CONTROLS } from '../../lib/control-tower';
import {
  asArray,
  type CfnTemplate,
  functionLogicalId,
  functionRole,
  integrationTarget,
  methodsByRoute,
  onlyResourceOfType,
  referencedStatefulResource,
  resourcesOfType,
  roleStatements,
  type SynthesizedStage,
  synthStage,
  walk,
} from './synth-app';

/** The route table of SPEC §4/§5, written out independently of lib/. */
const EXPECTED_ROUTES: Record<string, 'api' | 'responses' | 'slack' | 'teams'> = {
  'GET /v1/models': 'responses',
  'GET /v1/models/{model}': 'responses',
  'GET /v1/keys': 'api',
  'POST /v1/keys': 'api',
  'POST /v1/keys/verify': 'api',
  'POST /v1/keys/search': 'api',
  'GET /v1/keys/{id}': 'api',
  'DELETE /v1/keys/{id}': 'api',
  'PATCH /v1/keys/{id}': 'api',
  'POST /v1/keys/{id}/disable': 'api',
  'POST /v1/keys/{id}/enable': 'api',
  'POST /v1/keys/{id}/rotate': 'api',
  'POST /v1/keys/{id}/rotation-delivery/claim': 'api',
  'GET /v1/rotation-deliveries': 'api',
  'POST /v1/keys/{id}/revoke': 'api',
  'POST /v1/keys/{id}/report-exposed': 'api',
  'GET /v1/keys/{id}/exposure': 'api',
  'GET /v1/keys/{id}/stragglers': 'api',
  'GET /v1/audit': 'api',
  'GET /v1/usage': 'api',
  'GET /v1/usage/daily': 'api',
  'GET /v1/admins': 'api',
  'POST /v1/admins/check': 'api',
  'POST /v1/bots/deliveries': 'api',
  'POST /v1/bots/conversations': 'api',
  'GET /v1/bots/conversations': 'api',
  'POST /v1/bots/leaks': 'api',
  'GET /v1/me': 'api',
  'GET /v1/openapi.json': 'api',
  'GET /v1/health': 'api',
  'POST /v1/console/sessions': 'api',
  'GET /v1/console/session': 'api',
  'DELETE /v1/console/session': 'api',
  'POST /v1/console/links': 'api',
  'POST /v1/secret-scanning/github': 'api',
  'POST /v1/key-requests': 'api',
  'GET /v1/key-requests': 'api',
  'POST /v1/key-requests/{id}/approve': 'api',
  'POST /v1/key-requests/{id}/deny': 'api',
  'POST /v1/key-requests/{id}/claim': 'api',
  'POST /v1/key-requests/ceilings': 'api',
  'GET /v1/key-requests/ceilings': 'api',
  'DELETE /v1/key-requests/ceilings': 'api',
  'POST /v1/webhooks': 'api',
  'GET /v1/webhooks': 'api',
  'DELETE /v1/webhooks/{id}': 'api',
  'GET /v1/webhooks/{id}/deliveries': 'api',
  'POST /v1/responses': 'responses',
  'GET /v1/responses/{id}': 'responses',
  'DELETE /v1/responses/{id}': 'responses',
  'POST /v1/responses/{id}/cancel': 'responses',
  'GET /v1/responses/{id}/input_items': 'responses',
  'POST /v1/conversations': 'responses',
  'GET /v1/conversations/{id}': 'responses',
  'POST /v1/conversations/{id}': 'responses',
  'DELETE /v1/conversations/{id}': 'responses',
  'GET /v1/conversations/{id}/items': 'responses',
  'POST /v1/conversations/{id}/items': 'responses',
  'GET /v1/conversations/{id}/items/{itemId}': 'responses',
  'DELETE /v1/conversations/{id}/items/{itemId}': 'responses',
  'POST /v1/chat/completions': 'responses',
  'POST /v1/embeddings': 'responses',
  'POST /slack/events': 'slack',
  'POST /api/messages': 'teams',
};

/** Least privilege per function, written out independently of lib/. */
const EXPECTED_ACCESS = {
  api: { table: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexQuery: true, secrets: ['botAssertion', 'hashing'] },
  responses: { table: ['BatchGetItem', 'BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexQuery: false, secrets: ['hashing', 'upstream'] },
  slack: { table: [], indexQuery: false, secrets: ['botAssertion', 'botViewerKeys', 'slack'] },
  teams: { table: [], indexQuery: false, secrets: ['botAssertion', 'botViewerKeys', 'teams'] },
} as const;
type FunctionName = keyof typeof EXPECTED_ACCESS;
const FUNCTIONS = Object.keys(EXPECTED_ACCESS) as FunctionName[];

describe('stateless stack, production', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthStage('production', { alarmEmail: 'oncall@example.com' });
  }, 180_000);
  afterAll(() => s?.cleanup());

  const fnId = (name: FunctionName) => functionLogicalId(s.statelessJson, s.config, name);
  /** Secret name (e.g. `hashing`) a cross-stack reference points at. */
  const secretNameOf = (ref: unknown): string | undefined => {
    const id = referencedStatefulResource(ref, s.statefulJson);
    const secret = id ? s.statefulJson.Resources[id] : undefined;
    if (secret?.Type !== 'AWS::SecretsManager::Secret') return undefined;
    return ((secret.Properties as { Name: string }).Name.split('/')[1]);
  };

  it('serves every route, each with a Lambda proxy integration to the right function', () => {
    const routes = methodsByRoute(s.statelessJson);
    expect([...routes.keys()].sort()).toEqual(Object.keys(EXPECTED_ROUTES).sort());
    for (const [route, fn] of Object.entries(EXPECTED_ROUTES)) {
      const integration = (routes.get(route)?.Properties as { Integration: { Type: string; Uri: unknown } }).Integration;
      expect(integration.Type, route).toBe('AWS_PROXY');
      expect(integrationTarget(integration.Uri), route).toBe(fnId(fn));
    }
  });

  it('routes exactly the paths the service router serves (lambdas/http/routes)', () => {
    const served = API_ROUTE_TABLE.map(
      (r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`,
    );
    const v1Gateway = [...methodsByRoute(s.statelessJson).keys()].filter((r) => r.split(' ')[1]?.startsWith('/v1/'));
    expect(v1Gateway.sort()).toEqual([...new Set(served)].sort());
  });

  it('serves the model calls through the function response-streaming invocation path (answer first, settle after)', () => {
    const streamed = Object.entries(EXPECTED_ROUTES)
      .filter(([, fn]) => fn === 'responses')
      .map(([route]) => route);
    expect(streamed.sort()).toEqual([
      'DELETE /v1/conversations/{id}',
      'DELETE /v1/conversations/{id}/items/{itemId}',
      'DELETE /v1/responses/{id}',
      'GET /v1/conversations/{id}',
      'GET /v1/conversations/{id}/items',
      'GET /v1/conversations/{id}/items/{itemId}',
      'GET /v1/models',
      'GET /v1/models/{model}',
      'GET /v1/responses/{id}',
      'GET /v1/responses/{id}/input_items',
      'POST /v1/chat/completions',
      'POST /v1/conversations',
      'POST /v1/conversations/{id}',
      'POST /v1/conversations/{id}/items',
      'POST /v1/embeddings',
      'POST /v1/responses',
      'POST /v1/responses/{id}/cancel',
    ]);
    for (const [route, m] of methodsByRoute(s.statelessJson)) {
      const integration = (m.Properties as { Integration: { ResponseTransferMode?: string; Uri: unknown; TimeoutInMillis?: number } }).Integration;
      if (streamed.includes(route)) {
        expect(integration.ResponseTransferMode, route).toBe('STREAM');
        expect(JSON.stringify(integration.Uri), route).toContain('/2021-11-15/functions/');
        expect(JSON.stringify(integration.Uri), route).toContain('/response-streaming-invocations');
        expect(integration.TimeoutInMillis, route).toBeGreaterThan(29_000);
      } else {
        expect(integration.ResponseTransferMode ?? 'BUFFERED', route).toBe('BUFFERED');
        expect(JSON.stringify(integration.Uri), route).toMatch(/\/invocations"/);
      }
    }
  });

  it('writes JSON access logs without query strings or headers, and ERROR execution logs without data trace', () => {
    s.stateless.resourceCountIs('AWS::ApiGateway::Stage', 1);
    const [, stageResource] = onlyResourceOfType(s.statelessJson, 'AWS::ApiGateway::Stage');
    const stage = { Properties: stageResource.Properties ?? {} };
    const access = stage.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string };
    const logGroupId = JSON.stringify(access.DestinationArn).match(/"Ref":"([A-Za-z0-9]+)"/)?.[1];
    expect(logGroupId && s.statelessJson.Resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
    const fields = JSON.parse(access.Format) as Record<string, string>;
    expect(fields.requestId).toBe('$context.requestId');
    expect(fields.status).toBe('$context.status');
    expect(access.Format).not.toMatch(/querystring|header|\$input|authorization/i);
    expect(stage.Properties.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        ThrottlingRateLimit: s.config.throttling.rateLimit,
        ThrottlingBurstLimit: s.config.throttling.burstLimit,
      }),
    ]);
    expect(stage.Properties.StageName).toBe('production');
    expect(stage.Properties.TracingEnabled).toBe(true);
    s.stateless.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/keywarden-production/api-access', RetentionInDays: 365 });
  });

  it('answers unknown routes and stage throttling in the OpenAI error shape, with nosniff and no-store like every answer of the router', () => {
    s.stateless.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"not_found"') },
    });
    s.stateless.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"rate_limit_exceeded"') },
    });
    const responses = resourcesOfType(s.statelessJson, 'AWS::ApiGateway::GatewayResponse');
    expect(responses.length).toBeGreaterThanOrEqual(4);
    for (const [id, r] of responses) {
      const headers = (r.Properties as { ResponseParameters?: Record<string, string> }).ResponseParameters ?? {};
      expect(headers['gatewayresponse.header.X-Content-Type-Options'], id).toBe("'nosniff'");
      expect(headers['gatewayresponse.header.Cache-Control'], id).toBe("'no-store'");
    }
  });

  it('runs every function on Node.js 22 or later, arm64, ESM bundle, own log group with stage retention', () => {
    const functions = resourcesOfType(s.statelessJson, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(4);
    for (const [id, fn] of functions) {
      const p = fn.Properties as { Runtime: string; Architectures: string[]; Handler: string; LoggingConfig: { LogGroup: { Ref: string } } };
      const major = Number(/^nodejs(\d+)\.x$/.exec(p.Runtime)?.[1]);
      expect(major, id).toBeGreaterThanOrEqual(22);
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.Handler, id).toBe('index.handler');
      const logGroup = s.statelessJson.Resources[p.LoggingConfig.LogGroup.Ref];
      expect((logGroup?.Properties as { RetentionInDays: number }).RetentionInDays, id).toBe(365);
      expect(logGroup?.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('gives the service functions their configuration and the bots the public API URL', () => {
    const env = (name: FunctionName) =>
      ((s.statelessJson.Resources[fnId(name)]?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables);
    for (const name of ['api', 'responses'] as const) {
      const vars = env(name);
      expect(vars.KEYWARDEN_ENVIRONMENT).toBe('production');
      expect(referencedStatefulResource(vars.TABLE_NAME, s.statefulJson)).toMatch(/Table/);
      expect(vars.PUBLIC_BASE_URL).toBeDefined();
      expect(vars.POWERTOOLS_SERVICE_NAME).toBe(`keywarden-${name}`);
      expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe('Keywarden');
      expect(vars.NODE_OPTIONS).toBeUndefined(); // no source maps in production
    }
    for (const name of ['slack', 'teams'] as const) {
      const vars = env(name);
      expect(vars.KEYWARDEN_API_URL).toEqual(env('api').PUBLIC_BASE_URL);
      expect(vars.TABLE_NAME).toBeUndefined();
    }
    // The URL is built from the RestApi id and the literal stage name: it must not reference
    // the stage or deployment (that would be a cycle through the methods and the functions).
    const url = JSON.stringify(env('api').PUBLIC_BASE_URL);
    const refs = [...url.matchAll(/"Ref":"([A-Za-z0-9]+)"/g)].map((m) => m[1] as string);
    const refTypes = refs.filter((r) => !r.startsWith('AWS::')).map((r) => s.statelessJson.Resources[r]?.Type);
    expect(refTypes).toEqual(['AWS::ApiGateway::RestApi']);
    expect(url).toContain('/production');
  });

  it('points each SECRET_*_ARN variable at the right secret, and only the secrets the function uses', () => {
    const expectedVar: Record<string, string> = {
      hashing: 'SECRET_HASHING_ARN',
      upstream: 'SECRET_UPSTREAM_ARN',
      botAssertion: 'SECRET_BOT_ASSERTION_ARN',
      slack: 'SECRET_SLACK_ARN',
      teams: 'SECRET_TEAMS_ARN',
      botViewerKeys: 'SECRET_BOT_VIEWER_KEYS_ARN',
    };
    for (const name of FUNCTIONS) {
      const vars = (s.statelessJson.Resources[fnId(name)]?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      const secretVars = Object.entries(vars).filter(([k]) => /^SECRET_.*_ARN$/.test(k));
      expect(secretVars.map(([k]) => k).sort(), name).toEqual(EXPECTED_ACCESS[name].secrets.map((n) => expectedVar[n]).sort());
      for (const [k, v] of secretVars) {
        expect(expectedVar[secretNameOf(v) ?? ''], `${name} ${k}`).toBe(k);
      }
    }
  });

  it('grants each function only its own secrets and its own table actions', () => {
    for (const name of FUNCTIONS) {
      const statements = roleStatements(s.statelessJson, functionRole(s.statelessJson, fnId(name)));
      const actionsOf = (prefix: string) =>
        statements.flatMap((st) => asArray(st.Action)).filter((a) => a.startsWith(prefix));

      const secretStatements = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('secretsmanager:')));
      expect(actionsOf('secretsmanager:'), name).toEqual(['secretsmanager:GetSecretValue']);
      const granted = secretStatements.flatMap((st) => asArray(st.Resource)).map(secretNameOf).sort();
      expect(granted, name).toEqual([...EXPECTED_ACCESS[name].secrets]);

      const tableActions = [...new Set(actionsOf('dynamodb:'))].map((a) => a.replace('dynamodb:', '')).sort();
      expect(tableActions, name).toEqual([...EXPECTED_ACCESS[name].table]);
      const dynamoResources = statements
        .filter((st) => asArray(st.Action).some((a) => a.startsWith('dynamodb:')))
        .flatMap((st) => asArray(st.Resource).map((r) => JSON.stringify(r)));
      const indexResources = dynamoResources.filter((r) => r.includes('/index/'));
      expect(indexResources.length > 0, name).toBe(EXPECTED_ACCESS[name].indexQuery);
      for (const r of indexResources) expect(r).toMatch(/\/index\/gsi[12]"/);
      for (const st of statements.filter((x) => asArray(x.Resource).some((r) => JSON.stringify(r).includes('/index/')))) {
        expect(asArray(st.Action), name).toEqual(['dynamodb:Query']);
      }
    }
  });

  it('has no wildcard action in any policy and no AWS-managed policy on function roles', () => {
    for (const template of [s.statefulJson, s.statelessJson]) {
      for (const [path, value] of walk(template)) {
        if (path[path.length - 1] !== 'Action' && path[path.length - 2] !== 'Action') continue;
        for (const action of asArray(value as string | string[])) {
          if (typeof action !== 'string') continue;
          expect(action, path.join('.')).not.toBe('*');
          expect(action, path.join('.')).not.toBe('dynamodb:*');
          // Only the KMS key policy (account root administers its own key) may use service:*.
          if (!(path.includes('KeyPolicy') && action === 'kms:*')) expect(action, path.join('.')).not.toMatch(/:\*$/);
        }
      }
    }
    for (const name of FUNCTIONS) {
      const role = s.statelessJson.Resources[functionRole(s.statelessJson, fnId(name))];
      expect((role?.Properties as { ManagedPolicyArns?: unknown }).ManagedPolicyArns, name).toBeUndefined();
    }
  });

  it('reaches the customer-managed table key only through DynamoDB', () => {
    for (const name of ['api', 'responses'] as const) {
      const kms = roleStatements(s.statelessJson, functionRole(s.statelessJson, fnId(name))).filter((st) =>
        asArray(st.Action).some((a) => a.startsWith('kms:')),
      );
      expect(kms, name).toHaveLength(1);
      expect(JSON.stringify(kms[0]?.Condition)).toContain('kms:ViaService');
      expect(referencedStatefulResource(kms[0]?.Resource, s.statefulJson)).toMatch(/Key/);
    }
  });

  it('alarms on API 5XX, API p99 latency, and errors and throttles of every function, notifying the topic', () => {
    const alarms = resourcesOfType(s.statelessJson, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Record<string, unknown>);
    const [topicId] = onlyResourceOfType(s.statelessJson, 'AWS::SNS::Topic');
    const has = (metric: string, extra: (a: Record<string, unknown>) => boolean = () => true) =>
      alarms.filter((a) => a.MetricName === metric && extra(a));
    expect(has('5XXError', (a) => a.Namespace === 'AWS/ApiGateway')).toHaveLength(1);
    expect(has('Latency', (a) => a.Namespace === 'AWS/ApiGateway' && a.ExtendedStatistic === 'p99')).toHaveLength(1);
    for (const name of FUNCTIONS) {
      for (const metric of ['Errors', 'Throttles']) {
        const forFn = has(metric, (a) => JSON.stringify(a.Dimensions).includes(fnId(name)));
        expect(forFn, `${name} ${metric}`).toHaveLength(1);
      }
    }
    expect(alarms).toHaveLength(10);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    s.stateless.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('lets the Slack function invoke only itself, asynchronously handing off work that is never retried', () => {
    const invokeStatements = (name: FunctionName) =>
      roleStatements(s.statelessJson, functionRole(s.statelessJson, fnId(name))).filter((st) => asArray(st.Action).some((a) => a.startsWith('lambda:')));
    const slack = invokeStatements('slack');
    expect(slack).toHaveLength(1);
    expect(asArray(slack[0]!.Action)).toEqual(['lambda:InvokeFunction']);
    const resources = asArray(slack[0]!.Resource).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(1);
    // Its own name, in this account and region, exactly: no wildcard, no version or alias suffix.
    expect(resources[0]).toMatch(/:function:keywarden-production-slack"\]\]\}$/);
    expect(resources[0]).not.toContain('*');
    for (const name of ['api', 'responses', 'teams'] as const) expect(invokeStatements(name), name).toEqual([]);
    s.stateless.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId('slack') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });

  it('runs the expiry reminders daily and the budget alerts every 5 minutes on both bot functions, and only EventBridge (those rules) may invoke them so', () => {
    type RuleProps = { ScheduleExpression: string; Targets: Array<{ Arn: unknown; Input: string; RetryPolicy?: { MaximumEventAgeInSeconds?: number } }> };
    const rules = resourcesOfType(s.statelessJson, 'AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    const bySchedule = new Map(rules.map(([id, rule]) => [(rule.Properties as RuleProps).ScheduleExpression, { id, props: rule.Properties as RuleProps }]));
    expect([...bySchedule.keys()].sort()).toEqual(['cron(0 8 * * ? *)', 'rate(5 minutes)']);
    for (const [schedule, job] of [['cron(0 8 * * ? *)', 'expiry-reminders'], ['rate(5 minutes)', 'budget-alerts']] as const) {
      const { props } = bySchedule.get(schedule)!;
      expect(props.Targets.map((t) => JSON.stringify(t.Arn)).sort()).toEqual(
        [fnId('slack'), fnId('teams')].map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })).sort(),
      );
      for (const target of props.Targets) expect(JSON.parse(target.Input)).toEqual({ keywarden: job });
    }
    // A budget alert run older than the next one is dropped, not queued behind it.
    for (const target of bySchedule.get('rate(5 minutes)')!.props.Targets) expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBe(300);
    const permissions = resourcesOfType(s.statelessJson, 'AWS::Lambda::Permission').filter(
      ([, p]) => (p.Properties as { Principal?: string }).Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(4);
    const ruleArns = rules.map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
    for (const [, p] of permissions) expect(ruleArns).toContain(JSON.stringify((p.Properties as { SourceArn: unknown }).SourceArn));
  });
});

describe('stateless stack, development', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthStage('development');
  }, 180_000);
  afterAll(() => s?.cleanup());

  it('ships source maps with --enable-source-maps, has no alarm e-mail, and drops log groups with the stack', () => {
    for (const [, fn] of resourcesOfType(s.statelessJson, 'AWS::Lambda::Function')) {
      const vars = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(vars.KEYWARDEN_ENVIRONMENT).toBe('development');
    }
    s.stateless.resourceCountIs('AWS::SNS::Subscription', 0);
    for (const [, lg] of resourcesOfType(s.statelessJson, 'AWS::Logs::LogGroup')) expect(lg.DeletionPolicy).toBe('Delete');
    // No customer-managed table key in development: no KMS statement in any IAM policy either
    // (the logs key's own key policy is the only place KMS actions appear).
    const kmsActions = [...walk(s.statelessJson)].filter(([path, v]) => typeof v === 'string' && v.startsWith('kms:') && !path.includes('KeyPolicy'));
    expect(kmsActions).toEqual([]);
  });
});

describe('stateless stack with a custom domain (and the console on its own)', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthStage(
      'staging',
      {
        domainName: 'keys.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
        consoleDomainName: 'console.example.com',
        consoleCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
      },
      { console: true },
    );
  }, 180_000);

  it('serves the console on its domain with SNI and TLS 1.2, meeting Control Tower’s CloudFront certificate controls', () => {
    const console = s.consoleJson as CfnTemplate;
    const [, distribution] = onlyResourceOfType(console, 'AWS::CloudFront::Distribution');
    const config = (distribution.Properties as { DistributionConfig: { Aliases: string[]; ViewerCertificate: Record<string, unknown> } }).DistributionConfig;
    expect(config.Aliases).toEqual(['console.example.com']);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    // No suppression left for them, and cfn-guard's own rules for the three controls pass.
    const suppressed = (distribution.Metadata?.guard as { SuppressedRules?: string[] } | undefined)?.SuppressedRules ?? [];
    const certificateRules = ['CT.CLOUDFRONT.PR.6', 'CT.CLOUDFRONT.PR.7', 'CT.CLOUDFRONT.PR.9'] as const;
    for (const control of certificateRules) expect(suppressed).not.toContain(SUPPRESSIBLE_CONTROLS[control]);
    const rulesDir = join(dirname(createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules/control-tower/cfn-guard/cloudfront');
    const guard = new CfnGuardValidator({
      controlTowerRulesEnabled: false,
      rules: certificateRules.map((c) => join(rulesDir, `ct-cloudfront-pr-${c.split('.').pop()}.guard`)),
    });
    const report = guard.validate({ templatePaths: [s.assembly.getStackArtifact(s.stacks.console!.artifactId).templateFullPath], appConstruct: s.app });
    expect(report.violations).toEqual([]);
    expect(s.consoleJson?.Outputs?.ConsoleUrl?.Value).toBe('https://console.example.com/console');
  });
  afterAll(() => s?.cleanup());

  it('creates a regional TLS 1.2 domain and hands its URL to the functions and bots', () => {
    s.stateless.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'keys.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    s.stateless.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    for (const [, fn] of resourcesOfType(s.statelessJson, 'AWS::Lambda::Function')) {
      const vars = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(vars.PUBLIC_BASE_URL ?? vars.KEYWARDEN_API_URL).toBe('https://keys.example.com');
      // The console's own domain is the origin its calls are checked against (and sign-in links go to).
      if (vars.PUBLIC_BASE_URL) expect(vars.CONSOLE_URL).toBe('https://console.example.com');
    }
  });

  it('hands the API no client-chosen host: no viewer-request function rewrites X-Forwarded-Host', () => {
    expect(JSON.stringify(s.consoleJson)).not.toMatch(/x-forwarded-host/i);
  });
});
