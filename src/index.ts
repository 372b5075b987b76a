// The package's library entry: the construct library, and the typed API (schemas, types, CRDs)
// as the `api` namespace (also importable as `multinic/api`). Roles (operator, controller,
// agents) run through the `multinic` binary, not as imports.
export * from './constructs/index.js';
export * as api from './api/index.js';
