import { App } from 'aws-cdk-lib';
import { TmsStack } from './stack.js';

const app = new App();
new TmsStack(app, 'Tms', {
  deletionProtection: app.node.tryGetContext('deletionProtection') !== 'false',
});
app.synth();
