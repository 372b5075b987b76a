// Shared fixtures: biz-worker-1 of the spec's example environment (spec/examples/README.md).
import {
  validateInterfaces,
  type AgentInterfaceInput,
  type DesiredInterface,
} from '../../../src/agent/input.js';

export const WORKER1_INTERFACES: AgentInterfaceInput[] = [
  {
    id: 0,
    name: 'multinic0',
    portId: '7e9a1c3e-5a7c-4e9a-b1c3-e5a7c9e1a3c5',
    macAddress: 'fa:16:3e:4a:10:01',
    address: '192.168.50.11',
    cidr: '192.168.50.0/24',
    mtu: 1450,
  },
  {
    id: 1,
    name: 'multinic1',
    portId: '2a4c6e8a-0c2e-4a6c-8e0a-2c4e6a8c0e2a',
    macAddress: 'fa:16:3e:4a:10:02',
    address: '10.20.30.11',
    cidr: '10.20.30.0/24',
    mtu: 1500,
  },
];

export function desired(interfaces: AgentInterfaceInput[] = WORKER1_INTERFACES): DesiredInterface[] {
  const { valid, failures } = validateInterfaces(interfaces);
  if (failures.length > 0) throw new Error(`fixture invalid: ${JSON.stringify(failures)}`);
  return valid;
}

/** Ten interfaces multinic0..9 with MACs fa:16:3e:00:10:0N in 10.1.N.0/24. */
export function tenInterfaces(): AgentInterfaceInput[] {
  return Array.from({ length: 10 }, (_, n) => ({
    id: n,
    name: `multinic${n}`,
    macAddress: `fa:16:3e:00:10:${n.toString(16).padStart(2, '0')}`,
    address: `10.1.${n}.5`,
    cidr: `10.1.${n}.0/24`,
    mtu: 1400 + n,
  }));
}
