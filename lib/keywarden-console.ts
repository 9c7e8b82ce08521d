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
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { CONSOLE_CSP, writeConsole } from '../console/build';
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
 * page carries the same strict CSP as locally; a viewer-request function hands the API the
 * viewer's host (X-Forwarded-Host) for the same-origin check and the links it builds.
 */
export class ConsoleStack extends Stack {
  readonly distribution: Distribution;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { config, api } = props;

    const logs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [{ expiration: Duration.days(config.logRetention) }],
    });
    const site = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: config.removalPolicy,
    });

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
    const forwardHost = new CloudFrontFunction(this, 'ForwardHost', {
      code: FunctionCode.fromInline(
        "function handler(event){var r=event.request;r.headers['x-forwarded-host']={value:r.headers.host.value};return r;}",
      ),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Keywarden ${config.stage}: API Keys console and /v1`,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
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
          functionAssociations: [{ function: forwardHost, eventType: FunctionEventType.VIEWER_REQUEST }],
        },
      },
    });

    new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(writeConsole(mkdtempSync(join(tmpdir(), 'keywarden-console-'))))],
      destinationBucket: site,
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
      memoryLimit: 256,
    });

    this.url = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.url}/console`, description: 'The API Keys console (sign in: npx keywarden console-link --aws --console-url <this>)' });

    Validations.of(this).acknowledge(

        { id: 'AwsSolutions-S1', reason: 'The access-log bucket is itself the log destination; logging it to itself would loop.' },
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
