// src/agent-controller: MultiNicNodeConfig (+ BizConfig fan-out) -> per-node agent Jobs -> status.
export * from './config.js';
export * from './controller.js';
export * from './plan.js';
export * from './rollout.js';
export * from './run.js';
