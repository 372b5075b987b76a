import { describe, expect, it } from 'vitest';
import {
  ApiValidationError,
  invalidSamples,
  parseMultiNicBizConfig,
  parseMultiNicNodeConfig,
  parseMultiNicOperator,
  parseOpenstackConfig,
} from '../../../src/api/index.js';

const PARSERS: Record<string, (value: unknown) => unknown> = {
  MultiNicOperator: parseMultiNicOperator,
  OpenstackConfig: parseOpenstackConfig,
  MultiNicNodeConfig: parseMultiNicNodeConfig,
  MultiNicBizConfig: parseMultiNicBizConfig,
};

describe('invalidSamples (sent to the real API server by the install integration test)', () => {
  it.each(invalidSamples().map((s) => [s.name, s] as const))(
    '%s: zod reports exactly one issue',
    (_name, sample) => {
      const parse = PARSERS[sample.object['kind'] as string];
      expect(parse).toBeDefined();
      let thrown: unknown;
      try {
        parse?.(sample.object);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ApiValidationError);
      const issues = (thrown as ApiValidationError).issues.map((i) => `${i.path}: ${i.message}`);
      expect(issues).toEqual([sample.zodIssue]);
    },
  );
});
