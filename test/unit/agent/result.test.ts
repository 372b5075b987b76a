import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  outcomeOf,
  parseAgentResult,
  serializeAgentResult,
  TERMINATION_MESSAGE_LIMIT,
  type AgentResult,
} from '../../../src/agent/result.js';

const EXAMPLES = '/work/shared/spec/examples/agent';

describe('parseAgentResult', () => {
  it('reads the reference success message (failures: null)', () => {
    const result = parseAgentResult(readFileSync(`${EXAMPLES}/termination-message-success.json`, 'utf8'));
    expect(result.failures).toEqual([]);
    expect(result.results.map((entry) => entry.name)).toEqual(['multinic0', 'multinic1']);
    expect(outcomeOf(result)).toBe('Succeeded');
  });

  it('reads the reference partial message', () => {
    const result = parseAgentResult(readFileSync(`${EXAMPLES}/termination-message-partial.json`, 'utf8'));
    expect(result.failures[0]).toMatchObject({ id: 1, errorType: 'validation', name: 'multinic1' });
    expect(result.deleted_total).toBe(1);
    expect(outcomeOf(result)).toBe('Partial');
  });

  it('a rollback, or failures with nothing processed, is Failed', () => {
    const text = readFileSync(`${EXAMPLES}/termination-message-partial.json`, 'utf8');
    const partial = parseAgentResult(text);
    expect(outcomeOf({ ...partial, processed: 0, results: [] })).toBe('Failed');
    expect(outcomeOf({ ...partial, failed: 0, failures: [], delete_errors: 1, processed: 0 })).toBe('Failed');
    expect(outcomeOf({ ...partial, failed: 0, failures: [], rolled_back: true, processed: 0 })).toBe(
      'Failed',
    );
  });

  it('maps an unknown errorType to unknown and rejects broken messages', () => {
    const text = readFileSync(`${EXAMPLES}/termination-message-partial.json`, 'utf8').replace(
      '"validation"',
      '"weird"',
    );
    expect(parseAgentResult(text).failures[0]?.errorType).toBe('unknown');
    expect(() => parseAgentResult('not json')).toThrow(/not JSON/);
    expect(() => parseAgentResult('{"node":"n"}')).toThrow(/invalid at 'delete_errors'/);
  });
});

describe('serializeAgentResult', () => {
  const base: AgentResult = {
    delete_errors: 0,
    deleted_total: 0,
    failed: 0,
    failures: [],
    node: 'biz-worker-1',
    processed: 2,
    results: [
      { id: 0, mac: 'fa:16:3e:4a:10:01', name: 'multinic0', status: 'Configured' },
      { id: 1, mac: 'fa:16:3e:4a:10:02', name: 'multinic1', status: 'Configured' },
    ],
    timestamp: '2026-01-12T03:13:40Z',
    total: 2,
  };

  it('writes the reference success message (same keys, order and values)', () => {
    const text = serializeAgentResult(base);
    const reference = readFileSync(`${EXAMPLES}/termination-message-success.json`, 'utf8');
    expect(JSON.parse(text)).toEqual(JSON.parse(reference));
    expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(JSON.parse(reference) as object));
  });

  it('round-trips through parseAgentResult and keeps optional keys in alphabetical order', () => {
    const result: AgentResult = { ...base, action: 'apply', backend: 'netplan', rolled_back: false };
    const text = serializeAgentResult(result);
    expect(parseAgentResult(text)).toEqual(result);
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('shortens long reasons so that ten failures fit in 4096 bytes', () => {
    const failures = Array.from({ length: 10 }, (_, n) => ({
      id: n,
      mac: `fa:16:3e:00:00:0${n}`,
      name: `multinic${n}`,
      errorType: 'network' as const,
      reason: `[NETWORK] ${'x'.repeat(2000)}`,
    }));
    const text = serializeAgentResult({
      ...base,
      processed: 0,
      results: [],
      failed: 10,
      failures,
      total: 10,
    });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    const parsed = parseAgentResult(text);
    expect(parsed.failures).toHaveLength(10);
    expect(parsed.failures[0]?.reason).toMatch(/^\[NETWORK\] x+\.\.\.$/);
  });
});
