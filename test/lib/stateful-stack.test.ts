import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../lambdas/adapters/store/table';
import { SECRET_NAMES } from '../../lambdas/config';
import { onlyResourceOfType, resourcesOfType, type SynthesizedStage, synthStage, walk } from './synth-app';

describe('stateful stack, production', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthStage('production');
  }, 180_000);
  afterAll(() => s?.cleanup());

  it('keeps the table: RETAIN on delete and replace, deletion protection, PITR', () => {
    s.stateful.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'keywarden-production',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      }),
    });
  });

  it('uses the physical schema from lambdas/adapters/store/table.ts', () => {
    const gsi = (g: { name: string; partitionKey: string; sortKey: string }) => ({
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    s.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith(
        ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((n) => ({ AttributeName: n, AttributeType: 'S' })),
      ),
      GlobalSecondaryIndexes: [gsi(TABLE_SCHEMA.gsi1), gsi(TABLE_SCHEMA.gsi2)],
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });

  it('encrypts the production table with its own rotating, retained KMS key', () => {
    const [keyId, key] = onlyResourceOfType(s.statefulJson, 'AWS::KMS::Key');
    expect((key.Properties as { EnableKeyRotation: boolean }).EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    s.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  it('retains every secret and turns on stack termination protection', () => {
    for (const [, secret] of resourcesOfType(s.statefulJson, 'AWS::SecretsManager::Secret')) {
      expect(secret.DeletionPolicy).toBe('Retain');
    }
    expect(s.assembly.getStackArtifact(s.stacks.stateful.artifactId).terminationProtection).toBe(true);
  });

  it('creates one secret per SECRET_NAMES entry, named <prefix>/<name>', () => {
    const names = resourcesOfType(s.statefulJson, 'AWS::SecretsManager::Secret').map(
      ([, r]) => (r.Properties as { Name: string }).Name,
    );
    expect(names.sort()).toEqual(SECRET_NAMES.map((n) => `keywarden-production/${n}`).sort());
  });

  it('generates every secret value in Secrets Manager: the documented JSON shape, never a literal value', () => {
    const expected: Record<string, { generated: string; blank: string[]; minLength: number }> = {
      hashing: { generated: 'current', blank: [], minLength: 48 },
      botAssertion: { generated: 'current', blank: [], minLength: 48 },
      upstream: { generated: 'apiKey', blank: [], minLength: 32 },
      slack: { generated: 'signingSecret', blank: ['botToken'], minLength: 32 },
      teams: { generated: 'appId', blank: ['appPassword'], minLength: 32 },
      botViewerKeys: { generated: 'slack', blank: ['teams'], minLength: 32 },
    };
    for (const [, secret] of resourcesOfType(s.statefulJson, 'AWS::SecretsManager::Secret')) {
      const props = secret.Properties as {
        Name: string;
        SecretString?: unknown;
        GenerateSecretString: {
          SecretStringTemplate: string;
          GenerateStringKey: string;
          PasswordLength: number;
          ExcludePunctuation: boolean;
        };
      };
      const name = props.Name.split('/')[1] as string;
      const shape = expected[name];
      expect(shape, name).toBeDefined();
      expect(props.SecretString, name).toBeUndefined();
      const g = props.GenerateSecretString;
      expect(g.GenerateStringKey).toBe(shape?.generated);
      expect(g.PasswordLength).toBeGreaterThanOrEqual(shape?.minLength ?? Infinity);
      expect(g.ExcludePunctuation).toBe(true);
      // The template only ever holds empty placeholders for the operator-filled fields.
      const template = JSON.parse(g.SecretStringTemplate) as Record<string, unknown>;
      expect(Object.keys(template).sort()).toEqual([...(shape?.blank ?? [])].sort());
      expect(Object.values(template).every((v) => v === '')).toBe(true);
    }
  });

  it('has no SecretString (or other literal secret) anywhere in either template', () => {
    for (const template of [s.statefulJson, s.statelessJson]) {
      for (const [path, value] of walk(template)) {
        const key = path[path.length - 1] ?? '';
        expect(['SecretString', 'SecretStringValue', 'SecretBinary'], path.join('.')).not.toContain(key);
        if (typeof value === 'string') {
          // Key-shaped or token-shaped literals (archie_…, xoxb-…, sk-…) must never be synthesized.
          expect(value, path.join('.')).not.toMatch(/\b(archie_[A-Za-z0-9]{20,}|xox[abp]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9]{20,})/);
        }
      }
    }
  });

  it('publishes the table name and the secret names as outputs for operators', () => {
    const outputs = Object.keys(s.statefulJson.Outputs ?? {});
    expect(outputs).toEqual(expect.arrayContaining(['TableName', 'SecretHashingName', 'SecretUpstreamName']));
  });
});

describe('stateful stack, development', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthStage('development');
  }, 180_000);
  afterAll(() => s?.cleanup());

  it('can be torn down but still has point-in-time recovery', () => {
    s.stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        TableName: 'keywarden-development',
        DeletionProtectionEnabled: false,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
    s.stateful.resourceCountIs('AWS::KMS::Key', 0);
    expect(s.assembly.getStackArtifact(s.stacks.stateful.artifactId).terminationProtection).toBeFalsy();
  });
});
