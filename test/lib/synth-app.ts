import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IPolicyValidationPluginBeta1 } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { addKeywardenStage, type KeywardenStacks } from '../../lib/keywarden-app';
import { resolveStageConfig, type StageConfig } from '../../lib/stage-config';

/** The context `cdk synth` gets from cdk.json (feature flags), so tests synthesize what the CLI does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly stacks: KeywardenStacks;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  readonly stateful: Template;
  readonly stateless: Template;
  /** Raw template JSON, for checks that look at every value. */
  readonly statefulJson: CfnTemplate;
  readonly statelessJson: CfnTemplate;
  /** The console stack's template, when synthesized with `console: true`. */
  readonly consoleJson?: CfnTemplate;
  cleanup(): void;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/**
 * Runs CDK construction or synthesis (where NodejsFunction bundles with esbuild) without its
 * progress notices: CDK's `Bundling asset …` lines, and the warnings of the `npx esbuild` it
 * spawns (npm's "Unknown user/env config"; the child inherits this environment and its stderr).
 * esbuild's own errors and warnings still print, and a failed bundle still throws.
 */
export function quietBundling<T>(build: () => T): T {
  const write = process.stderr.write;
  const npmLogLevel = process.env.npm_config_loglevel;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && /^Bundling asset \S+\.\.\.\n$/.test(chunk)
      ? true
      : (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest)) as typeof process.stderr.write;
  process.env.npm_config_loglevel = 'error';
  try {
    return build();
  } finally {
    process.stderr.write = write;
    if (npmLogLevel === undefined) delete process.env.npm_config_loglevel;
    else process.env.npm_config_loglevel = npmLogLevel;
  }
}

/**
 * Synthesizes one stage exactly as `npx cdk synth -c stage=<stage>` does (same builder, same
 * cdk.json flags, cdk-nag included, esbuild bundling included) into a temporary cloud assembly.
 * `@aws-cdk/core:appMode=inmemory` makes a failed validation (cdk-nag, CloudFormation checks)
 * throw from `synth()` with the full report. `console` adds the console stack, as `cdk synth` does
 * by default; `plugins` adds validation plugins (bin/app.ts adds the Control Tower checks, which
 * run a child process: only the tests that assert on them pay for it).
 */
export function synthStage(
  stage: string,
  context: Record<string, unknown> = {},
  options: { outdir?: string; console?: boolean; plugins?: IPolicyValidationPluginBeta1[] } = {},
): SynthesizedStage {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'keywarden-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      'aws:cdk:enable-asset-metadata': true,
      '@aws-cdk/core:appMode': 'inmemory',
      stage,
      ...context,
    },
  });
  const config = resolveStageConfig((key) => app.node.tryGetContext(key));
  const { stacks, assembly } = quietBundling(() => {
    const stacks = addKeywardenStage(app, config, { console: options.console ?? false });
    if (options.plugins) Validations.of(app).addPlugins(...options.plugins);
    return { stacks, assembly: app.synth() };
  });
  const statefulJson = assembly.getStackArtifact(stacks.stateful.artifactId).template as CfnTemplate;
  const statelessJson = assembly.getStackArtifact(stacks.stateless.artifactId).template as CfnTemplate;
  const consoleJson = stacks.console ? (assembly.getStackArtifact(stacks.console.artifactId).template as CfnTemplate) : undefined;
  return {
    app,
    config,
    stacks,
    assembly,
    outdir,
    stateful: Template.fromJSON(statefulJson),
    stateless: Template.fromJSON(statelessJson),
    statefulJson,
    statelessJson,
    ...(consoleJson ? { consoleJson } : {}),
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The one resource of a type; fails when there are none or several. */
export function onlyResourceOfType(template: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1 || !found[0]) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Every value reachable in a JSON document, with its path. */
export function* walk(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, value];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* walk(v, [...path, String(i)]);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* walk(v, [...path, k]);
  }
}

/**
 * What a cross-stack reference in the stateless template points at in the stateful template:
 * the logical id of the referenced resource. Handles weak (`Fn::GetStackOutput`) and strong
 * (`Fn::ImportValue`) references so the tests survive a change of reference style.
 */
export function referencedStatefulResource(value: unknown, stateful: CfnTemplate): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  let output: { Value: unknown } | undefined;
  if ('Fn::GetStackOutput' in v) {
    const name = (v['Fn::GetStackOutput'] as { OutputName: string }).OutputName;
    output = stateful.Outputs?.[name];
  } else if ('Fn::ImportValue' in v) {
    const exportName = JSON.stringify(v['Fn::ImportValue']);
    output = Object.values(stateful.Outputs ?? {}).find((o) => JSON.stringify((o as { Export?: { Name: unknown } }).Export?.Name) === exportName);
  }
  if (!output) return undefined;
  const target = output.Value as Record<string, unknown>;
  if (typeof target === 'object' && target !== null) {
    if ('Ref' in target) return target.Ref as string;
    if ('Fn::GetAtt' in target) return (target['Fn::GetAtt'] as string[])[0];
  }
  return undefined;
}

/** The function logical id an API Gateway integration URI invokes. */
export function integrationTarget(uri: unknown): string | undefined {
  for (const [, v] of walk(uri)) {
    if (v !== null && typeof v === 'object' && 'Fn::GetAtt' in v) {
      const [id, attr] = (v as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      if (attr === 'Arn') return id;
    }
  }
  return undefined;
}

/** `METHOD /full/path` for every API Gateway method in a template. */
export function methodsByRoute(template: CfnTemplate): Map<string, CfnResource> {
  const resources = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGateway::Resource'));
  const pathOf = (ref: unknown): string => {
    if (ref !== null && typeof ref === 'object' && 'Ref' in ref) {
      const resource = resources[(ref as { Ref: string }).Ref];
      if (!resource) throw new Error(`unknown API resource ${JSON.stringify(ref)}`);
      const props = resource.Properties as { ParentId: unknown; PathPart: string };
      const parent = pathOf(props.ParentId);
      return `${parent === '/' ? '' : parent}/${props.PathPart}`;
    }
    return '/'; // Fn::GetAtt [RestApi, RootResourceId]
  };
  const routes = new Map<string, CfnResource>();
  for (const [, method] of resourcesOfType(template, 'AWS::ApiGateway::Method')) {
    const props = method.Properties as { HttpMethod: string; ResourceId: unknown };
    routes.set(`${props.HttpMethod} ${pathOf(props.ResourceId)}`, method);
  }
  return routes;
}

/** Logical id of the Lambda function whose FunctionName is `<prefix>-<name>`. */
export function functionLogicalId(template: CfnTemplate, config: StageConfig, name: string): string {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').find(
    ([, r]) => (r.Properties as { FunctionName?: string }).FunctionName === `${config.resourcePrefix}-${name}`,
  );
  if (!found) throw new Error(`no function ${config.resourcePrefix}-${name}`);
  return found[0];
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** All identity-policy statements attached to a role (inline policies and AWS::IAM::Policy). */
export function roleStatements(template: CfnTemplate, roleLogicalId: string): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [];
  const role = template.Resources[roleLogicalId];
  for (const p of asArray((role?.Properties as { Policies?: Array<{ PolicyDocument: { Statement: PolicyStatementJson[] } }> })?.Policies)) {
    statements.push(...p.PolicyDocument.Statement);
  }
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const props = policy.Properties as { Roles?: unknown[]; PolicyDocument: { Statement: PolicyStatementJson[] } };
    if (asArray(props.Roles).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) {
      statements.push(...props.PolicyDocument.Statement);
    }
  }
  return statements;
}

export function functionRole(template: CfnTemplate, functionId: string): string {
  const role = (template.Resources[functionId]?.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role;
  return role['Fn::GetAtt'][0];
}
