import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretDestinationRefusal } from '../../lambdas/core/key-rotation';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { startStsStandIn, type StsStandIn } from '../support/sts-stand-in';

/**
 * Cross-account delivery (issue 25 point 2), the parts that stand without an STS client: the rule
 * a secret destination is set under, and the two stand-ins the job will be tested against — STS
 * speaking AssumeRole's query/XML API with a trust policy (caller + ExternalId), and a second
 * Secrets Manager standing for the customer's account that admits only the assumed role's
 * temporary credentials (SigV4 `Credential=` + session token).
 *
 * AssumeRole is called here as the wire protocol, by hand, so the stand-in is held to STS's
 * query/XML API itself; the job's own path (the SDK's STS client, sts-credentials.ts) is
 * cross-account-delivery.test.ts.
 */
const HOME = '123456789012';
const CUSTOMER = '444455556666';
const KEYWARDEN_KEY_ID = 'AKIAKEYWARDENROTATIONS';
const ROLE = `arn:aws:iam::${CUSTOMER}:role/keywarden-delivery-billing`;
const PROJECT = 'proj_0123456789abcdef';

let sts: StsStandIn;
let customer: SecretsManagerStandIn;

beforeAll(async () => {
  sts = await startStsStandIn([{ roleArn: ROLE, trustedAccessKeyId: KEYWARDEN_KEY_ID, externalId: PROJECT }]);
  customer = await startSecretsManagerStandIn({ account: CUSTOMER, region: 'eu-west-1', accepts: (signer) => signer.accessKeyId === 'AKIACUSTOMERADMIN' || sts.holdsRole(ROLE, signer) });
});
afterAll(async () => {
  await sts?.close();
  await customer?.close();
});

async function assumeRole(params: Record<string, string>, callerKeyId = KEYWARDEN_KEY_ID) {
  const res = await fetch(sts.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      // The stand-in reads who signed, not the signature (as the Secrets Manager stand-in).
      authorization: `AWS4-HMAC-SHA256 Credential=${callerKeyId}/20261207/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...params }).toString(),
  });
  const xml = await res.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return { status: res.status, xml, code: field('Code'), accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') };
}

const customerClient = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new SecretsManagerClient({ endpoint: customer.endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });

describe('the STS stand-in (AssumeRole, query/XML)', () => {
  const ask = { RoleArn: ROLE, RoleSessionName: 'keywarden-key_abc', ExternalId: PROJECT, DurationSeconds: '900' };

  it('grants the trusted caller with the right ExternalId temporary credentials, and says which role they stand for', async () => {
    const out = await assumeRole(ask);
    expect(out.status).toBe(200);
    expect(out.xml).toContain(`<Arn>arn:aws:sts::${CUSTOMER}:assumed-role/keywarden-delivery-billing/keywarden-key_abc</Arn>`);
    expect(out.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(sts.issued.get(out.accessKeyId!)).toMatchObject({ roleArn: ROLE, sessionName: 'keywarden-key_abc' });
    expect(sts.holdsRole(ROLE, { accessKeyId: out.accessKeyId!, sessionToken: out.sessionToken })).toBe(true);
    expect(sts.holdsRole(ROLE, { accessKeyId: out.accessKeyId!, sessionToken: undefined })).toBe(false);
  });

  it('refuses a wrong or missing ExternalId, another caller, an unknown role: AccessDenied, 403', async () => {
    for (const [params, caller] of [
      [{ ...ask, ExternalId: 'proj_another' }, KEYWARDEN_KEY_ID],
      [{ RoleArn: ROLE, RoleSessionName: 'keywarden-key_abc' }, KEYWARDEN_KEY_ID],
      [ask, 'AKIASOMEONEELSE'],
      [{ ...ask, RoleArn: `arn:aws:iam::${CUSTOMER}:role/keywarden-delivery-other` }, KEYWARDEN_KEY_ID],
    ] as const) {
      const out = await assumeRole(params as Record<string, string>, caller);
      expect(out.status, JSON.stringify(params)).toBe(403);
      expect(out.code).toBe('AccessDenied');
      expect(out.accessKeyId).toBeUndefined();
    }
  });

  it('validates DurationSeconds and RoleSessionName as the service does', async () => {
    expect((await assumeRole({ ...ask, DurationSeconds: '60' })).code).toBe('ValidationError');
    expect((await assumeRole({ ...ask, RoleSessionName: 'no spaces' })).code).toBe('ValidationError');
  });
});

describe("the customer's Secrets Manager admits only the assumed role", () => {
  it('records who signed each call, and refuses Keywarden’s own credentials', async () => {
    const admin = customerClient({ accessKeyId: 'AKIACUSTOMERADMIN', secretAccessKey: 'x' });
    const created = await admin.send(new CreateSecretCommand({ Name: 'billing/keywarden', SecretString: '{}', Tags: [{ Key: 'keywarden-delivery', Value: PROJECT }] }));
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:eu-west-1:${CUSTOMER}:secret:billing/keywarden-`));

    const own = customerClient({ accessKeyId: KEYWARDEN_KEY_ID, secretAccessKey: 'x' });
    await expect(own.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: '{"apiKey":"no"}' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });

    const granted = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'keywarden-key_abc', ExternalId: PROJECT, DurationSeconds: '900' });
    const assumed = customerClient({ accessKeyId: granted.accessKeyId!, secretAccessKey: granted.secretAccessKey!, sessionToken: granted.sessionToken! });
    await assumed.send(new PutSecretValueCommand({ SecretId: created.ARN, ClientRequestToken: 'keywarden-rotation-key_new000000000000000', SecretString: '{"keyId":"key_new"}', VersionStages: ['AWSCURRENT'] }));
    const current = customer.versions(created.ARN!).find((v) => v.stages.includes('AWSCURRENT'));
    expect(current?.value).toBe('{"keyId":"key_new"}');
    const puts = customer.calls.filter((c) => c.operation === 'PutSecretValue');
    expect(puts.map((c) => [c.accessKeyId, c.sessionToken])).toEqual([
      [KEYWARDEN_KEY_ID, false],
      [granted.accessKeyId, true],
    ]);
  });
});

describe('where a secret destination may point (set time)', () => {
  const secret = (account: string) => `arn:aws:secretsmanager:eu-west-1:${account}:secret:billing-AbCdEf`;

  it('takes a secret of Keywarden’s own account with no role, and another account’s only with a role there', () => {
    expect(secretDestinationRefusal({ secretsManagerArn: secret(HOME) }, HOME)).toBeUndefined();
    expect(secretDestinationRefusal({ secretsManagerArn: secret(CUSTOMER), roleArn: ROLE }, HOME)).toBeUndefined();
    expect(secretDestinationRefusal({ secretsManagerArn: secret(CUSTOMER) }, HOME)).toMatch(/in account 444455556666, not Keywarden's: set roleArn/);
  });

  it('refuses a role in a third account, in another partition, or not named keywarden-delivery-… at the top path', () => {
    expect(secretDestinationRefusal({ secretsManagerArn: secret(CUSTOMER), roleArn: 'arn:aws:iam::777788889999:role/keywarden-delivery-x' }, HOME)).toMatch(
      /role in the secret's account \(444455556666\), not 777788889999/,
    );
    expect(secretDestinationRefusal({ secretsManagerArn: secret(CUSTOMER), roleArn: `arn:aws-cn:iam::${CUSTOMER}:role/keywarden-delivery-x` }, HOME)).toMatch(/secret's account/);
    for (const roleArn of [`arn:aws:iam::${CUSTOMER}:role/admin`, `arn:aws:iam::${CUSTOMER}:role/team/keywarden-delivery-x`, `arn:aws:iam::${CUSTOMER}:user/keywarden-delivery-x`, 'keywarden-delivery-x']) {
      expect(secretDestinationRefusal({ secretsManagerArn: secret(CUSTOMER), roleArn }, HOME), roleArn).toMatch(/roleArn must be an IAM role ARN named keywarden-delivery-/);
    }
  });
});
