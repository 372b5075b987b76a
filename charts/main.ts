// `npx cdk8s synth` entry (cdk8s.yaml): the composition lives in src/cli/commands/synth.ts so
// that the published image's `multinic synth` writes byte-identical manifests.
import { buildApp } from '../src/cli/commands/synth.js';

buildApp().synth();
