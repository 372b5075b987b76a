// A StatusReport as text: the table `multinic status` prints (pure; ages are relative to `now`),
// and as JSON. The table lists only node configs that are not configured unless `wide`, so a
// thousand healthy nodes stay one line.
import type { NodeView, OperatorView, StatusReport } from './report.js';

export interface RenderOptions {
  /** List configured node configs too. @default false */
  wide?: boolean;
  /** Longest message in a table cell. @default 120 */
  maxMessage?: number;
}

/** `45s`, `12m`, `3h`, `2d` since `iso`; `-` when unknown. */
export function formatAge(iso: string | null, now: Date): string {
  if (iso === null) return '-';
  const ms = now.getTime() - Date.parse(iso);
  if (Number.isNaN(ms)) return '-';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function component(part: OperatorView['components'][number] | undefined): string {
  if (part === undefined || part.phase === null) return '-';
  if (part.phase === 'External' || part.phase === 'Disabled') return part.phase;
  const replicas = `${part.readyReplicas ?? 0}/${part.desiredReplicas ?? 0}`;
  return part.phase === 'Running' ? replicas : `${part.phase} ${replicas}`;
}

function operatorRow(op: OperatorView, now: Date): string[] {
  const part = (name: string) => component(op.components.find((c) => c.name === name));
  const backup =
    op.lastBackup === null
      ? '-'
      : `${op.lastBackup.succeeded ? 'ok' : 'FAILED'} ${formatAge(op.lastBackup.time, now)} ago`;
  const protection =
    op.protection === null
      ? '-'
      : [
          `${op.protection.mode ?? '?'}${op.protection.active === false ? ' (inactive)' : ''}`,
          plural(op.protection.denials, 'denial'),
          ...(op.protection.lastDenial !== null
            ? [`last ${formatAge(op.protection.lastDenial, now)} ago`]
            : []),
        ].join(', ');
  return [
    `${op.namespace}/${op.name}`,
    op.health,
    op.phase ?? '-',
    part('controller'),
    part('agent-controller'),
    part('database'),
    backup,
    protection,
  ];
}

function count(value: number | null): string {
  return value === null ? '-' : String(value);
}

function nodeRow(node: NodeView, max: number): string[] {
  return [
    `${node.namespace}/${node.name}`,
    node.rollout === 'Pending' && node.state !== null && node.state !== 'Configured'
      ? node.state
      : node.rollout,
    `${node.interfaces.configured}/${node.interfaces.total}`,
    node.openstackConfig ?? '-',
    node.reason ?? '-',
    node.message === null ? '' : oneLine(node.message, max),
  ];
}

export function renderText(report: StatusReport, now: Date, options: RenderOptions = {}): string {
  const max = options.maxMessage ?? 120;
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  const where =
    report.scope.allNamespaces || report.scope.namespace === null
      ? 'all namespaces'
      : `namespace ${report.scope.namespace}`;
  const out: string[] = [
    `MultiNic: ${report.health} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}; ${where})`,
  ];

  if (report.operators.length > 0) {
    out.push(
      '',
      ...table(
        [
          'MULTINICOPERATOR',
          'HEALTH',
          'PHASE',
          'CONTROLLER',
          'AGENT-CONTROLLER',
          'DATABASE',
          'LAST BACKUP',
          'PROTECTION',
        ],
        report.operators.map((op) => operatorRow(op, now)),
      ),
    );
  }

  if (report.openstackConfigs.length > 0) {
    out.push(
      '',
      ...table(
        [
          'OPENSTACKCONFIG',
          'HEALTH',
          'LAST SYNC',
          'NODES',
          'PORTS',
          'DOWN',
          'OVERFLOW',
          'DELIVERY',
          'ROLLOUT',
        ],
        report.openstackConfigs.map((c) => [
          `${c.namespace}/${c.name}`,
          c.health,
          c.lastSync === null ? '-' : `${formatAge(c.lastSync, now)} ago`,
          count(c.nodes),
          count(c.ports),
          count(c.downPorts),
          count(c.overflowPorts),
          c.delivery.namespace === null ? c.delivery.mode : `${c.delivery.mode}/${c.delivery.namespace}`,
          c.delivery.namespace === null && c.rollout.total === 0
            ? 'in the workload cluster'
            : `${c.rollout.configured}/${c.rollout.total} configured, ${c.rollout.pending} pending, ${c.rollout.failed} failed`,
        ]),
      ),
    );
  }

  const { rollout } = report;
  out.push(
    '',
    `ROLLOUT: ${plural(rollout.total, 'node config')}: ${rollout.configured} configured, ${rollout.pending} pending, ${rollout.failed} failed`,
  );
  const listed = rollout.nodes.filter((n) => options.wide === true || n.rollout !== 'Configured');
  if (listed.length > 0) {
    out.push(
      ...table(
        ['NODE CONFIG', 'STATE', 'IFACES', 'OPENSTACKCONFIG', 'REASON', 'MESSAGE'],
        listed.map((n) => nodeRow(n, max)),
      ),
    );
  }

  if (report.problems.length > 0) {
    out.push(
      '',
      'PROBLEMS',
      ...table(
        ['SEVERITY', 'OBJECT', 'REASON', 'MESSAGE'],
        report.problems.map((p) => [
          p.severity,
          `${p.kind} ${p.namespace === '' ? '' : `${p.namespace}/`}${p.name}`.trimEnd(),
          p.reason,
          oneLine(p.message, 4 * max),
        ]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The report as JSON: indented for a single read, one line per report in `--watch` (NDJSON). */
export function renderJson(report: StatusReport, options: { compact?: boolean } = {}): string {
  return `${JSON.stringify(report, null, options.compact === true ? undefined : 2)}\n`;
}
