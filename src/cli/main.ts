// `multinic <role> [args]`: one binary, one sub-command per role (docs/architecture.md#roles).
// Each role lives in ./commands/<role>.ts and exports `run(args): Promise<number>`;
// it is imported only when chosen, so `multinic agent` never loads the operator's code.

export interface CommandModule {
  run(args: string[]): Promise<number>;
}

export const COMMANDS = {
  operator: 'reconcile MultiNicOperator resources (and serve the protection webhook)',
  controller: 'reconcile OpenstackConfig resources: OpenStack -> MariaDB -> node configs',
  'agent-controller': 'reconcile MultiNicNodeConfig resources into per-node Jobs',
  agent: "configure (apply) or clean (cleanup) this node's NICs; the agent Job's entry point",
  synth: 'write the install manifests (same as `cdk8s synth`)',
  'openstack-sim': 'serve the OpenStack simulator (Keystone v3, Neutron v2.0, Nova v2.1 subset)',
  dev: 'local control plane for development and tests: up | down | status',
  db: 'MariaDB lifecycle: migrate | backup | restore | verify',
  status: 'operators, OpenstackConfigs and node rollout at a glance (exit 1 when something is failing)',
} as const satisfies Record<string, string>;

type CommandName = keyof typeof COMMANDS;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
  return ['usage: multinic <command> [args]', '', 'commands:', ...lines].join('\n');
}

function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (!isCommand(name)) {
    console.error(`multinic: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = (await import(`./commands/${name}.js`)) as CommandModule;
  return command.run(args);
}
