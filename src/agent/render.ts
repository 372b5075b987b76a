// Pure renderers of the persistence files, one per backend (the earlier agents' file layouts): paths,
// names and content. Every file is written with mode 0600 (netplan warns about, and
// NetworkManager ignores, files others can read). No I/O here.
import { stringify } from 'yaml';
import type { DesiredInterface } from './input.js';
import { BackendId } from './os.js';
import { metricOf, tableOf, type NetworkOptions } from './options.js';

export const FILE_MODE = 0o600;

export interface RenderedFile {
  /** Absolute path on the node. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** Where a backend keeps its files and which file names are ours (`9<N>-multinic<N>.<ext>` etc.). */
export interface BackendLayout {
  readonly dirs: readonly { readonly dir: string; readonly pattern: RegExp }[];
}

const LAYOUTS: Record<BackendId, BackendLayout> = {
  netplan: { dirs: [{ dir: '/etc/netplan', pattern: /^9([0-9])-(multinic[0-9])\.yaml$/ }] },
  networkmanager: {
    dirs: [
      { dir: '/etc/NetworkManager/system-connections', pattern: /^9([0-9])-(multinic[0-9])\.nmconnection$/ },
      { dir: '/etc/systemd/network', pattern: /^9([0-9])-(multinic[0-9])\.link$/ },
    ],
  },
  ifcfg: {
    dirs: [{ dir: '/etc/sysconfig/network-scripts', pattern: /^(?:ifcfg|rule|route)-(multinic[0-9])$/ }],
  },
  wicked: {
    dirs: [
      { dir: '/etc/sysconfig/network', pattern: /^ifcfg-(multinic[0-9])$/ },
      { dir: '/etc/systemd/network', pattern: /^9([0-9])-(multinic[0-9])\.link$/ },
    ],
  },
};

export function layoutOf(backend: BackendId): BackendLayout {
  return LAYOUTS[backend];
}

/** The interface name a file of ours belongs to, or undefined when the file is not ours. */
export function ownerOfFile(backend: BackendId, path: string): string | undefined {
  for (const { dir, pattern } of LAYOUTS[backend].dirs) {
    if (!path.startsWith(`${dir}/`)) continue;
    const match = pattern.exec(path.slice(dir.length + 1));
    if (match !== null) return match[match.length - 1];
  }
  return undefined;
}

function prefixed(iface: DesiredInterface, ext: string): string {
  return `9${iface.slot}-${iface.name}.${ext}`;
}

/** `/etc/netplan/9<N>-multinic<N>.yaml` (keys sorted like the earlier agent's Go marshaller). */
export function renderNetplan(iface: DesiredInterface, options: NetworkOptions): RenderedFile {
  const table = tableOf(iface.slot, options);
  const ethernet: Record<string, unknown> = {
    match: { macaddress: iface.macAsGiven },
    'set-name': iface.name,
    dhcp4: false,
    addresses: [`${iface.address}/${iface.prefix}`],
    mtu: iface.mtu,
  };
  if (options.policyRouting) {
    ethernet['routes'] = [{ to: iface.network, table, metric: metricOf(iface.slot, options) }];
    // The runtime rule is `from <address>/32`; the file says the same (the earlier agent wrote
    // `<address>/<prefix>` here, so its file and its runtime rule disagreed).
    ethernet['routing-policy'] = [{ from: `${iface.address}/32`, table }];
  }
  const document = { network: { version: 2, ethernets: { [iface.name]: ethernet } } };
  const content = stringify(document, { indent: 4, indentSeq: true, sortMapEntries: true, lineWidth: 0 });
  return { path: `/etc/netplan/${prefixed(iface, 'yaml')}`, content, mode: FILE_MODE };
}

/** systemd `.link`: persistent rename by MAC at boot (RHEL 8/9, SUSE). */
export function renderLink(iface: DesiredInterface): RenderedFile {
  const content = ['[Match]', `MACAddress=${iface.mac}`, '[Link]', `Name=${iface.name}`, ''].join('\n');
  return { path: `/etc/systemd/network/${prefixed(iface, 'link')}`, content, mode: FILE_MODE };
}

/** NetworkManager keyfile (docs/architecture.md#node-operating-systems). */
export function renderNmConnection(iface: DesiredInterface, options: NetworkOptions): RenderedFile {
  const table = tableOf(iface.slot, options);
  const ipv4 = ['[ipv4]', 'method=manual', `address1=${iface.address}/${iface.prefix}`];
  if (options.policyRouting) {
    ipv4.push(
      `route-table=${table}`,
      `route1=${iface.network},,${metricOf(iface.slot, options)}`,
      `routing-rules=priority ${10000 + table} from ${iface.address}/32 table ${table}`,
    );
  }
  ipv4.push('never-default=true');
  const lines = [
    '[connection]',
    `id=${iface.name}`,
    'type=ethernet',
    `interface-name=${iface.name}`,
    'autoconnect=true',
    '',
    '[ethernet]',
    `mac-address=${iface.mac}`,
    `mtu=${iface.mtu}`,
    '',
    ...ipv4,
    '',
    '[ipv6]',
    'method=ignore',
    '',
  ];
  return {
    path: `/etc/NetworkManager/system-connections/${prefixed(iface, 'nmconnection')}`,
    content: lines.join('\n'),
    mode: FILE_MODE,
  };
}

/** RHEL 7 initscripts `ifcfg-<name>` (as the earlier agent wrote it, no trailing newline) plus policy-routing files. */
export function renderIfcfg(iface: DesiredInterface, options: NetworkOptions): RenderedFile[] {
  const dir = '/etc/sysconfig/network-scripts';
  const ifcfg = [
    `DEVICE=${iface.name}`,
    `NAME=${iface.name}`,
    'TYPE=Ethernet',
    'ONBOOT=yes',
    'BOOTPROTO=none',
    `IPADDR=${iface.address}`,
    `PREFIX=${iface.prefix}`,
    `MTU=${iface.mtu}`,
    `HWADDR=${iface.mac}`,
  ].join('\n');
  const files: RenderedFile[] = [{ path: `${dir}/ifcfg-${iface.name}`, content: ifcfg, mode: FILE_MODE }];
  if (options.policyRouting) {
    const table = tableOf(iface.slot, options);
    files.push(
      {
        path: `${dir}/route-${iface.name}`,
        content: `${iface.network} dev ${iface.name} table ${table} metric ${metricOf(iface.slot, options)} src ${iface.address}\n`,
        mode: FILE_MODE,
      },
      {
        path: `${dir}/rule-${iface.name}`,
        content: `from ${iface.address}/32 table ${table}\n`,
        mode: FILE_MODE,
      },
    );
  }
  return files;
}

/** SUSE wicked `ifcfg-<name>` (the earlier operator's SUSE file, now with the address and the real MTU) + `.link`. */
export function renderWicked(iface: DesiredInterface): RenderedFile[] {
  const content = [
    'STARTMODE=auto',
    'BOOTPROTO=static',
    `IPADDR=${iface.address}/${iface.prefix}`,
    `LLADDR=${iface.mac}`,
    `MTU=${iface.mtu}`,
    '',
  ].join('\n');
  return [
    { path: `/etc/sysconfig/network/ifcfg-${iface.name}`, content, mode: FILE_MODE },
    renderLink(iface),
  ];
}

/** Every file the backend keeps for one interface. */
export function renderInterface(
  backend: BackendId,
  iface: DesiredInterface,
  options: NetworkOptions,
): RenderedFile[] {
  switch (backend) {
    case BackendId.netplan:
      return [renderNetplan(iface, options)];
    case BackendId.networkManager:
      return [renderNmConnection(iface, options), renderLink(iface)];
    case BackendId.ifcfg:
      return renderIfcfg(iface, options);
    case BackendId.wicked:
      return renderWicked(iface);
  }
}
