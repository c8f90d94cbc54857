import { createTmsApp } from './tms-app.js';

createTmsApp().app.synth();
