// Human-readable plan for `--dry-run`: the interfaces, orphans, commands and file diffs.
import type { BackendId } from './os.js';
import type { FileChange, Plan, Step } from './plan.js';

/** A minimal unified-style line diff (LCS); files here are a few dozen lines. */
export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const table: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const row = table[i] ?? [];
      row[j] =
        a[i] === b[j] ? (table[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(table[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i] ?? ''}`);
      i += 1;
      j += 1;
    } else if (j < b.length && (i >= a.length || (table[i]?.[j + 1] ?? 0) > (table[i + 1]?.[j] ?? 0))) {
      out.push(`+${b[j] ?? ''}`);
      j += 1;
    } else {
      out.push(`-${a[i] ?? ''}`);
      i += 1;
    }
  }
  return out;
}

function mode(entry: { mode: number } | undefined): string {
  return entry === undefined ? 'absent' : `0${entry.mode.toString(8)}`;
}

export function formatFileChange(change: FileChange): string {
  const header = [
    `--- ${change.path} (${mode(change.before)})`,
    `+++ ${change.path} (${mode(change.after)})`,
  ];
  return [...header, ...lineDiff(change.before?.content ?? '', change.after?.content ?? '')].join('\n');
}

function formatStep(step: Step): string {
  const notes: string[] = [];
  if (step.tolerate !== undefined) notes.push('failure ignored');
  if (step.fallback !== undefined)
    notes.push(`on failure: ${step.fallback.map((s) => s.argv.join(' ')).join('; ')}`);
  if (step.orphan !== undefined) notes.push(`orphan ${step.orphan}`);
  return `  ${step.argv.join(' ')}${notes.length > 0 ? `   # ${notes.join(', ')}` : ''}`;
}

/** The whole plan as text. */
export function formatPlan(plan: Plan, backend: BackendId): string {
  const lines: string[] = [`backend: ${backend}`, 'interfaces:'];
  for (const { desired, link } of plan.configured) {
    lines.push(
      `  ${desired.name}  ${desired.mac}  ${desired.address}/${desired.prefix}  mtu ${desired.mtu}  (now ${link.name})`,
    );
  }
  for (const failure of plan.failures)
    lines.push(`  ${failure.name}  ${failure.mac}  FAILED ${failure.reason}`);
  lines.push('orphans:');
  for (const orphan of plan.orphans) {
    lines.push(
      `  ${orphan.name}${orphan.link === undefined ? '' : ' (link)'}${orphan.files.length > 0 ? ` files ${orphan.files.join(' ')}` : ''}`,
    );
  }
  lines.push(`commands (${plan.steps.length}):`, ...plan.steps.map(formatStep));
  lines.push(`files (${plan.files.length}):`);
  for (const change of plan.files) lines.push(formatFileChange(change));
  return `${lines.join('\n')}\n`;
}
