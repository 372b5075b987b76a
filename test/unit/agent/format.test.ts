import { describe, expect, it } from 'vitest';
import { formatFileChange, lineDiff } from '../../../src/agent/format.js';

describe('dry-run diff', () => {
  it('shows changed lines with - and +', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc')).toEqual([' a', '-b', '+B', ' c']);
    expect(lineDiff('', 'x')).toEqual(['+x']);
  });
  it('names the file and its modes', () => {
    expect(
      formatFileChange({
        path: '/etc/netplan/90-multinic0.yaml',
        before: { content: 'mtu: 1500', mode: 0o644 },
        after: undefined,
      }),
    ).toBe(
      '--- /etc/netplan/90-multinic0.yaml (0644)\n+++ /etc/netplan/90-multinic0.yaml (absent)\n-mtu: 1500',
    );
  });
});
