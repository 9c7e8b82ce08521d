import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_NAMES, type SecretName } from '../lambdas/config';

/**
 * The JSON shape of each secret. Every secret is created by Secrets Manager from a template
 * (`generateSecretString`), so no secret value ever appears in a CloudFormation template:
 *
 * - `generated` fields hold a random string from the start. For `hashing` and `botAssertion`
 *   that random value IS the secret and nobody needs to touch it.
 * - For the third-party credentials (`upstream`, `slack`, `teams`, `botViewerKeys`) the random
 *   value is a placeholder that keeps the integration failing closed (wrong signing secret, app
 *   id no Bot Framework token is issued for, key that fails the checksum) until an operator puts
 *   the real value with `aws secretsmanager put-secret-value` (docs/operating.md).
 * - `blank` fields start as "" and are filled by the operator the same way.
 */
export interface SecretShape {
  readonly generated: string;
  readonly blank: readonly string[];
  readonly length: number;
  /** Whether an operator must put the real value before the integration works. */
  readonly operatorFilled: boolean;
  readonly description: string;
  /** Why automatic rotation by a Secrets Manager rotation Lambda does not apply (cdk-nag SMG4). */
  readonly rotation: string;
}

export const SECRET_SHAPES: Readonly<Record<SecretName, SecretShape>> = {
  hashing: {
    generated: 'current',
    blank: [],
    length: 64,
    operatorFilled: false,
    description: 'HMAC-SHA-256 key for stored API key hashes: {"current": "...", "previous"?: "..."}',
    rotation:
      'Rotating the hashing key must keep issued keys valid: operators move "current" to "previous" and set a new "current" (docs/operating.md); a rotation Lambda replacing the value would invalidate every key.',
  },
  botAssertion: {
    generated: 'current',
    blank: [],
    length: 64,
    operatorFilled: false,
    description: 'Signs the short-lived acting-person assertions the bots send to /v1: {"current": "..."}',
    rotation:
      'Shared by the bots and the API within this stack; rotated by an operator put-secret-value, after which both sides read the new value within the 5-minute cache.',
  },
  upstream: {
    generated: 'apiKey',
    blank: [],
    length: 32,
    operatorFilled: true,
    description: 'OpenAI-compatible upstream credentials: {"apiKey": "..."}',
    rotation: 'Issued by the upstream provider; it can only be rotated there, then put here by an operator.',
  },
  slack: {
    generated: 'signingSecret',
    blank: ['botToken'],
    length: 32,
    operatorFilled: true,
    description: 'Slack app credentials: {"signingSecret": "...", "botToken": "xoxb-..."}',
    rotation: 'Issued by Slack for the app; it can only be rotated in the Slack app settings, then put here by an operator.',
  },
  teams: {
    generated: 'appId',
    blank: ['appPassword'],
    length: 32,
    operatorFilled: true,
    description: 'Microsoft Teams (Bot Framework) credentials: {"appId": "...", "appPassword": "...", "tenantId"?: "..."}',
    rotation: 'Issued by Microsoft Entra ID for the bot registration; rotated there, then put here by an operator.',
  },
  botViewerKeys: {
    generated: 'slack',
    blank: ['teams'],
    length: 32,
    operatorFilled: true,
    description: "The bots' locked-down viewer keys for /v1: {\"slack\": \"<key>\", \"teams\": \"<key>\"}",
    rotation: 'Keywarden keys are rotated with Keywarden itself (`rotate <key>`); the operator then puts the new value here.',
  },
};

export interface KeywardenSecretsProps {
  /** Secret names become `<namePrefix>/<name>`, e.g. `keywarden-production/hashing`. */
  readonly namePrefix: string;
  /** @default RemovalPolicy.RETAIN — losing the hashing secret invalidates every issued key. */
  readonly removalPolicy?: RemovalPolicy;
}

/** One Secrets Manager secret per name in `SECRET_NAMES`, encrypted with the `aws/secretsmanager` key. */
export class KeywardenSecrets extends Construct {
  readonly secrets: Readonly<Record<SecretName, Secret>>;

  constructor(scope: Construct, id: string, props: KeywardenSecretsProps) {
    super(scope, id);
    const entries = SECRET_NAMES.map((name) => {
      const shape = SECRET_SHAPES[name];
      const template = Object.fromEntries(shape.blank.map((field) => [field, '']));
      const secret = new Secret(this, pascal(name), {
        secretName: secretPhysicalName(props.namePrefix, name),
        description: shape.description,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        generateSecretString: {
          secretStringTemplate: JSON.stringify(template),
          generateStringKey: shape.generated,
          passwordLength: shape.length,
          excludePunctuation: true,
        },
      });
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: shape.rotation });
      return [name, secret] as const;
    });
    this.secrets = Object.fromEntries(entries) as Record<SecretName, Secret>;
  }
}

export function secretPhysicalName(namePrefix: string, name: SecretName): string {
  return `${namePrefix}/${name}`;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
