#!/usr/bin/env node
// CDK app: `npx cdk synth --all -c stage=production`. Wiring only; see lib/.
import { App } from 'aws-cdk-lib';
import { addKeywardenStage } from '../lib/keywarden-app';
import { resolveStageConfig } from '../lib/stage-config';

const app = new App();
addKeywardenStage(app, resolveStageConfig((key) => app.node.tryGetContext(key)));
app.synth();
