// The controller role (`multinic controller`): OpenstackConfig -> MariaDB -> node configs.
export * from './config.js';
export * from './controller.js';
export * from './credentials.js';
export * from './delivery.js';
export * from './errors.js';
export * from './inventory.js';
export * from './plan.js';
export * from './reconciler.js';
export * from './run.js';
export * from './store.js';
export * from './trigger.js';
