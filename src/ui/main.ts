/**
 * What the UI process loads after the splash: the UI and the agent client. `npm run build` bundles this module
 * with React, Ink and yoga into one file (dist/ui/bundle/main.js), which loads in a fraction of the time the
 * several hundred small modules take through Node's ESM loader.
 */
export { runTui } from './run.js';
export { connectAgent } from '../agent/client.js';
