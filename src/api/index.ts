// The MultiNic API: one zod schema per kind is the source of runtime validation, the TypeScript
// types and the CRD OpenAPI schema (docs/api-reference.md is generated from it).

export * from './groups.js';
export * from './labels.js';
export * from './errors.js';
export * from './common.js';
export * from './multinic-operator.js';
export * from './openstack-config.js';
export * from './multinic-node-config.js';
export * from './multinic-biz-config.js';
export * from './crds.js';
export * from './samples.js';
