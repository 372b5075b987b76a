// The agent's metrics (the earlier agent's names where it had them). A Job's metrics are
// only visible while it runs; the termination message is the durable result.
import { CALL_DURATION_BUCKETS, counter, histogram } from '../observability/metrics.js';

export const agentRuns = counter<'action' | 'result'>({
  name: 'multinic_agent_runs_total',
  help: 'Agent runs by action (apply, cleanup) and result (succeeded, partial, failed, rolled_back, dry_run)',
  labelNames: ['action', 'result'],
});

export const agentRunSeconds = histogram<'action'>({
  name: 'multinic_agent_run_seconds',
  help: 'Wall time of one agent run',
  labelNames: ['action'],
  buckets: CALL_DURATION_BUCKETS,
});

export const agentCommandSeconds = histogram<'program' | 'result'>({
  name: 'multinic_agent_command_seconds',
  help: 'Duration of the commands the agent runs (ip, sysctl, netplan, ping)',
  labelNames: ['program', 'result'],
  buckets: CALL_DURATION_BUCKETS,
});

export const agentRollbacks = counter<'phase'>({
  name: 'multinic_agent_rollbacks_total',
  help: 'Applies undone, by the phase that failed (runtime, files, validate, probe)',
  labelNames: ['phase'],
});

export const preflightUpBlocks = counter<'reason'>({
  name: 'multinic_preflight_up_block_total',
  help: 'NICs not touched because they are up and in use',
  labelNames: ['reason'],
});

export const orphansDeleted = counter({
  name: 'multinic_orphaned_interfaces_deleted_total',
  help: 'Orphaned interface configurations removed',
});
