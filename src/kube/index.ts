// src/kube: the Kubernetes adapter every controller role builds on. See each file's header
// for its API; this barrel re-exports all of it.
export * from './apply.js';
export * from './backoff.js';
export * from './clock.js';
export * from './conditions.js';
export * from './config.js';
export * from './events.js';
export * from './http.js';
export * from './informer.js';
export * from './leader-election.js';
export * from './status.js';
export * from './types.js';
export * from './work-queue.js';
