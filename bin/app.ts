#!/usr/bin/env node
// CDK app: `npx cdk synth --all -c stage=production`. Wiring only; see lib/.
import { App } from 'aws-cdk-lib';
import { addControlTowerChecks, addKeywardenStage } from '../lib/keywarden-app';
import { resolveStageConfig } from '../lib/stage-config';

const app = new App();
// The API Keys console ships with every stage; `-c console=false` leaves it out.
addKeywardenStage(app, resolveStageConfig((key) => app.node.tryGetContext(key)), { console: app.node.tryGetContext('console') !== 'false' });
// AWS Control Tower's proactive controls (cfn-guard), beside cdk-nag: a governed account accepts the deploy.
addControlTowerChecks(app);
app.synth();
