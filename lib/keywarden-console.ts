import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aws, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { CONSOLE_CSP, writeConsole } from '../console/build';
import { suppressControl } from './control-tower';
import { createLogsKey } from './keywarden-kms';
import { createLogGroup } from './keywarden-logs';
import type { StageConfig } from './stage-config';

export interface ConsoleStackProps extends StackProps {
  readonly config: StageConfig;
  /** The stage's REST API: CloudFront sends /v1/* there, so the console calls /v1 on its own origin. */
  readonly api: RestApi;
}

/**
 * The API Keys console in AWS: its built files in a private S3 bucket behind CloudFront (origin
 * access control), and /v1/* on the same distribution routed to the API — one origin, so no CORS,
 * and the session cookie (SameSite=Strict, Secure) is the console's alone. Every response of the
 * page carries the same strict CSP as locally. The API's same-origin check and the links it builds
 * read the console's origin from configuration (CONSOLE_URL: -c consoleUrl, or the console domain),
 * never from a Host or X-Forwarded-Host a client could send.
 */
export class ConsoleStack extends Stack {
  readonly distribution: Distribution;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { config, api } = props;

    // S3 server access logs of the files bucket. CloudFront writes no access logs (see below).
    const logs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [
        { expiration: Duration.days(config.logRetention), noncurrentVersionExpiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    const site = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // Every deploy replaces the files; earlier versions stay a month for a rollback by hand.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: config.removalPolicy,
    });
    for (const bucket of [logs, site]) {
      // Object-level events to the account's default event bus (CT.S3.PR.4), natively: no
      // notification custom resource.
      (bucket.node.defaultChild as CfnBucket).addPropertyOverride('NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', true);
    }
    suppressControl(logs, 'CT.S3.PR.2', 'this bucket is where the console’s S3 access logs go; logging it to itself would loop.');
    suppressControl(
      logs,
      'CT.S3.PR.10',
      'S3 server access logging delivers only to a bucket encrypted with SSE-S3 (SSE-KMS targets are not supported); the logs hold request lines of the console’s public files, no key material.',
    );
    suppressControl(
      logs,
      'CT.S3.PR.9',
      'an S3 server-access-log target may not have an object-lock default retention, and object lock without one would meet the letter of the control only; log lifetime is the lifecycle expiry of the stage’s log retention.',
    );
    suppressControl(
      site,
      'CT.S3.PR.9',
      'the bucket holds the console’s built files, which every deploy replaces and prunes (BucketDeployment); locked objects would fail the deploy. Versioning keeps earlier files 30 days for recovery.',
    );
    suppressControl(
      site,
      'CT.S3.PR.10',
      'the bucket holds only the console’s static files (HTML, JS, CSS), served to every visitor; SSE-S3 encrypts them at rest, and a customer key would protect nothing secret while adding key grants for CloudFront and the deployment.',
    );

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.SAME_ORIGIN, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    // /console, /console/ and / reach the page; the app's files keep their paths.
    const index = new CloudFrontFunction(this, 'ConsoleIndex', {
      code: FunctionCode.fromInline(
        "function handler(event){var r=event.request;if(r.uri==='/'||r.uri==='/console'||r.uri==='/console/'){r.uri='/console/index.html';}return r;}",
      ),
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Keywarden ${config.stage}: API Keys console and /v1`,
      // No CloudFront standard logs: they always record the query string (cs-uri-query), which
      // on /v1/* could hold a key, and standard logging v2 (field selection) is configured only
      // in us-east-1 while these stacks deploy to any region. /v1/* is logged by API Gateway's
      // access log (resource path, no query); the console's files by S3 server access logs.
      enableLogging: false,
      // The viewer-request function below already maps / to the page; this names it for
      // requests CloudFront answers before any function (CT.CLOUDFRONT.PR.1).
      defaultRootObject: 'console/index.html',
      // The operator's own domain (CT.CLOUDFRONT.PR.6/7/9): SNI and TLS 1.2 at the viewer.
      ...(config.consoleDomain
        ? {
            domainNames: [config.consoleDomain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', config.consoleDomain.certificateArn),
            sslSupportMethod: SSLMethod.SNI,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(site),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        functionAssociations: [{ function: index, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new HttpOrigin(`${api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
            originPath: `/${config.apiStageName}`,
            protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
            readTimeout: Duration.seconds(60),
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });

    suppressControl(
      this.distribution,
      'CT.CLOUDFRONT.PR.4',
      'one S3 origin for the files and the API for /v1/*; origin groups fail over only GET/HEAD/OPTIONS (not the /v1 writes), and a second copy of the files would be a second region of buckets for a page that the API behind it cannot outlive.',
    );
    suppressControl(
      this.distribution,
      'CT.CLOUDFRONT.PR.5',
      'CloudFront standard logs always record the query string (cs-uri-query), which on /v1/* could hold a raw key, and standard logging v2 (with a field selection) is configured only in us-east-1 while these stacks deploy to any region. /v1/* is logged by the API Gateway access log (resource path, no query string), the console files by S3 server access logs.',
    );
    for (const control of config.consoleDomain ? [] : (['CT.CLOUDFRONT.PR.6', 'CT.CLOUDFRONT.PR.7', 'CT.CLOUDFRONT.PR.9'] as const)) {
      suppressControl(
        this.distribution,
        control,
        'the console is served on the distribution’s own *.cloudfront.net name with CloudFront’s default certificate: a custom certificate (SNI, TLSv1.2_2021 policy) needs a domain the operator owns, and none is configured (-c consoleDomainName=… -c consoleCertificateArn=… meets these controls).',
      );
    }

    const logsKey = createLogsKey(this, 'LogsKey', config);
    new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(writeConsole(mkdtempSync(join(tmpdir(), 'keywarden-console-'))))],
      destinationBucket: site,
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
      memoryLimit: 256,
      logGroup: createLogGroup(this, 'DeployLogs', { config, name: 'console-deploy', key: logsKey }),
    });
    // BucketDeployment's provider function (aws-cdk-lib's, one per stack).
    for (const fn of this.node.findAll().filter((c): c is CfnFunction => c instanceof CfnFunction)) {
      suppressControl(
        fn,
        'CT.LAMBDA.PR.3',
        'aws-cdk-lib’s BucketDeployment provider copies the built console from the CDK asset bucket into the files bucket and invalidates the distribution: it reaches AWS APIs only and runs at deploy time; there is no private network resource to protect.',
      );
    }

    this.url = `https://${config.consoleDomain?.domainName ?? this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.url}/console`, description: 'The API Keys console (sign in: npx keywarden console-link --aws --console-url <this>)' });

    Validations.of(this).acknowledge(

        { id: 'AwsSolutions-S1', reason: 'The access-log bucket is itself the log destination; logging it to itself would loop.' },
        {
          id: 'AwsSolutions-CFR3',
          reason:
            'CloudFront standard logs always record the query string, which on /v1/* could hold a key; /v1/* is logged by the API Gateway access log (no query string) and the console files by S3 server access logs (docs/operating.md).',
        },
        { id: 'AwsSolutions-CFR1', reason: 'The console serves customers wherever they are; no geographic restriction applies.' },
        { id: 'AwsSolutions-CFR2', reason: 'The API behind /v1 has its own throttling and per-key rate limits; WAF is the platform’s choice per stage.' },
        { id: 'AwsSolutions-CFR4', reason: 'The default CloudFront certificate pins TLSv1 at the viewer; a custom domain with its certificate lifts it.' },
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'BucketDeployment’s provider function writes its own logs with the basic execution role.',
        },
        ...[
          'Action::s3:Abort*',
          'Action::s3:DeleteObject*',
          'Action::s3:GetBucket*',
          'Action::s3:GetObject*',
          'Action::s3:List*',
          'Resource::*',
          'Resource::<Files8E6940B8.Arn>/*',
          'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        ].map((finding) => ({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason: 'BucketDeployment copies the built console from the CDK asset bucket into the console bucket and invalidates the distribution: its grants name those buckets’ objects.',
        })),
        { id: 'AwsSolutions-L1', reason: 'BucketDeployment’s provider runtime is chosen by aws-cdk-lib.' },
    );
  }
}
