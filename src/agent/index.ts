// Public surface of the node agent (used by the CLI, the agent-controller and tests).
export { AgentAction, ownedFiles, runAgent, type AgentRunOptions, type AgentRunOutcome } from './agent.js';
export { formatPlan, lineDiff } from './format.js';
export {
  AGENT_INPUT_ENV,
  AgentInputSchema,
  AgentInterfaceInputSchema,
  ErrorType,
  parseAgentInput,
  validateInterfaces,
  type AgentInput,
  type AgentInterfaceInput,
  type DesiredInterface,
  type InterfaceFailure,
} from './input.js';
export { observeRuntime, parseLinks, parseRoutes, parseRules, type RuntimeState } from './observe.js';
export {
  AgentEnvSchema,
  DEFAULT_NETWORK_OPTIONS,
  DEFAULT_PROBE_OPTIONS,
  networkOptionsFromEnv,
  probeOptionsFromEnv,
  type NetworkOptions,
  type ProbeOptions,
} from './options.js';
export {
  BACKEND_IDS,
  BackendId,
  chooseBackend,
  detectBackend,
  parseOsRelease,
  UnknownOsError,
} from './os.js';
export { plan, type Plan, type Step } from './plan.js';
export type { CustomProbe, ProbeFailure } from './probe.js';
export { renderInterface } from './render.js';
export {
  AgentOutcome,
  AgentResultSchema,
  outcomeOf,
  parseAgentResult,
  serializeAgentResult,
  TERMINATION_MESSAGE_LIMIT,
  type AgentResult,
} from './result.js';
export { execRunner, netnsRunner, RootFs, type CommandRunner } from './system.js';
