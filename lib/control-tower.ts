import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CfnResource, type IPolicyValidationContextBeta1, type IPolicyValidationPluginBeta1, type PolicyValidationPluginReportBeta1, type PolicyViolationBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IConstruct } from 'constructs';

/**
 * The AWS Control Tower proactive controls that Keywarden answers by design rather than by
 * configuration, each with the cfn-guard rule that implements it. Every other control in the
 * bundled rule sets is met by the templates themselves (docs/operating.md, "Governed accounts").
 */
export const SUPPRESSIBLE_CONTROLS = {
  'CT.LAMBDA.PR.2': 'lambda_function_public_access_prohibited_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
  'CT.CLOUDFRONT.PR.4': 'cloudfront_origin_failover_enabled_check',
  'CT.CLOUDFRONT.PR.5': 'cloudfront_access_logs_enabled_check',
  'CT.CLOUDFRONT.PR.6': 'cloudfront_custom_ssl_certificate_check',
  'CT.CLOUDFRONT.PR.7': 'cloudfront_sni_enabled_check',
  'CT.CLOUDFRONT.PR.9': 'cloudfront_security_policy_check',
  'CT.S3.PR.2': 's3_bucket_logging_enabled_check',
  'CT.S3.PR.9': 's3_bucket_object_lock_enabled_check',
  'CT.S3.PR.10': 's3_bucket_default_encryption_kms_check',
  'CT.CLOUDWATCH.PR.2': 'cloudwatch_log_group_retention_period_check',
  'CT.APIGATEWAY.PR.2': 'api_gw_xray_enabled_check',
} as const;
export type SuppressibleControl = keyof typeof SUPPRESSIBLE_CONTROLS;

/**
 * The template metadata a suppression writes, next to cdk-nag's own:
 * `Metadata.guard.SuppressedRules` is the cfn-guard convention (rule names, as in the AWS Guard
 * Rules Registry), `Metadata.guard.Reasons` holds why, per rule, with the control id.
 */
export interface GuardMetadata {
  SuppressedRules: string[];
  Reasons: Record<string, string>;
}

/**
 * Records on the resource itself that a Control Tower control does not apply to it, and why.
 * `target` is the CloudFormation resource or an L2 construct whose default child is one.
 */
export function suppressControl(target: IConstruct, control: SuppressibleControl, reason: string): void {
  const resource = target instanceof CfnResource ? target : target.node.defaultChild;
  if (!(resource instanceof CfnResource)) throw new Error(`${target.node.path}: no CloudFormation resource to suppress ${control} on`);
  if (reason.trim().length < 20) throw new Error(`${target.node.path}: ${control} needs a reason`);
  const rule = SUPPRESSIBLE_CONTROLS[control];
  const existing = (resource.getMetadata('guard') as GuardMetadata | undefined) ?? { SuppressedRules: [], Reasons: {} };
  const guard: GuardMetadata = {
    SuppressedRules: [...new Set([...existing.SuppressedRules, rule])],
    Reasons: { ...existing.Reasons, [rule]: `${control}: ${reason}` },
  };
  resource.addMetadata('guard', guard);
}

/**
 * cfn-guard with the Control Tower proactive-control rule sets (the binary and rules ship in
 * `@cdklabs/cdk-validator-cfnguard`; no network), as a synthesis validation plugin beside
 * cdk-nag. The bundled Control Tower rules do not read resource metadata, so this plugin drops a
 * violation only where the violating resource names the rule in `Metadata.guard.SuppressedRules`
 * and gives a reason for it in `Metadata.guard.Reasons`; a suppression without a reason is still
 * reported. Control Tower itself (CloudFormation hooks) reads no metadata either: an account that
 * enables a suppressed control refuses that resource, which docs/operating.md lists per control.
 */
export class ControlTowerChecks implements IPolicyValidationPluginBeta1 {
  readonly name = 'control-tower-cfn-guard';
  readonly version: string;
  readonly ruleIds: string[];
  /** What the last run dropped: each (rule, resource) answered by a reasoned suppression. */
  suppressed: Array<{ rule: string; resource: string; templatePath: string }> = [];
  /** Every bundled Control Tower rule file, with the resource types it checks. */
  private readonly ruleFiles: ReadonlyArray<{ path: string; types: ReadonlySet<string> }>;

  constructor() {
    const packageDir = dirname(createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
    const rulesDir = join(packageDir, 'rules/control-tower/cfn-guard');
    this.ruleFiles = readdirSync(rulesDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.guard'))
      .sort()
      .map((file) => {
        const path = join(rulesDir, file);
        return { path, types: new Set(readFileSync(path, 'utf8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []) };
      });
    this.version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    this.ruleIds = this.ruleFiles.map((r) => r.path.replace(/^.*\/ct-|\.guard$/g, '').replace(/-/g, '').toUpperCase());
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const templates = new Map<string, Record<string, { Type?: string; Metadata?: { guard?: Partial<GuardMetadata> } }>>();
    const resourcesOf = (path: string) => {
      let resources = templates.get(path);
      if (!resources) {
        resources = (JSON.parse(readFileSync(path, 'utf8')) as { Resources?: typeof resources }).Resources ?? {};
        templates.set(path, resources);
      }
      return resources;
    };
    // Every rule that checks a resource type the templates contain (a rule about a type they do
    // not contain can only skip); about a third of the bundled rules for Keywarden, three times
    // faster than all of them, same findings.
    const present = new Set(context.templatePaths.flatMap((path) => Object.values(resourcesOf(path)).map((r) => r.Type ?? '')));
    const rules = this.ruleFiles.filter((r) => r.types.size === 0 || [...r.types].some((t) => present.has(t))).map((r) => r.path);
    const report =
      rules.length === 0 ? { success: true, violations: [] } : new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(context);
    const violations: PolicyViolationBeta1[] = [];
    this.suppressed = [];
    for (const violation of report.violations) {
      const open = violation.violatingResources.filter((r) => {
        const guard = r.templatePath ? resourcesOf(r.templatePath)[r.resourceLogicalId]?.Metadata?.guard : undefined;
        const answered = guard?.SuppressedRules?.includes(violation.ruleName) === true && (guard.Reasons?.[violation.ruleName] ?? '').trim() !== '';
        if (answered) this.suppressed.push({ rule: violation.ruleName, resource: r.resourceLogicalId, templatePath: r.templatePath ?? '' });
        return !answered;
      });
      if (open.length > 0) violations.push({ ...violation, violatingResources: open });
    }
    return { ...report, success: violations.length === 0, violations };
  }
}
