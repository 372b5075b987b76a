// `multinic openstack-sim`: serves the OpenStack simulator until SIGINT/SIGTERM.
//   multinic openstack-sim --fixture world.json [--port 8788] [--host 127.0.0.1] [--token-ttl 3600]
//                          [--token-cache 300] [--latency-ms 2]
//   multinic openstack-sim --generate 100x4 [--port 8788]      (100 VMs × 4 ports, deterministic ids)
// Prints one JSON line with the URLs once listening.
import { parseArgs } from 'node:util';
import { generateFixture, loadFixture, parseFixture } from '../../openstack/simulator/fixture.js';
import { startSimulator } from '../../openstack/simulator/server.js';
import { untilStopSignal } from '../signals.js';

const USAGE = `usage: multinic openstack-sim (--fixture FILE | --generate VMSxPORTS) [--port N] [--host ADDR]
                              [--public-url URL] [--token-ttl SECONDS] [--token-cache SECONDS]
                              [--latency-ms MS]
  --token-cache: how long Neutron and Nova keep trusting a token they validated, even once it
                 is revoked (keystonemiddleware's token_cache_time; default 300, 0 = never)`;

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got '${value}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        fixture: { type: 'string' },
        generate: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'public-url': { type: 'string' },
        'token-ttl': { type: 'string' },
        'token-cache': { type: 'string' },
        'latency-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`openstack-sim: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help === true) {
    console.log(USAGE);
    return 0;
  }
  try {
    let fixture;
    if (parsed.fixture !== undefined) {
      fixture = await loadFixture(parsed.fixture);
    } else if (parsed.generate !== undefined) {
      const match = /^(\d+)x(\d+)$/.exec(parsed.generate);
      if (match === null) throw new Error(`--generate must look like 100x4, got '${parsed.generate}'`);
      fixture = parseFixture(generateFixture({ vms: Number(match[1]), portsPerVm: Number(match[2]) }));
    } else {
      throw new Error('one of --fixture or --generate is required');
    }
    const port = positiveNumber('port', parsed.port);
    const ttl = positiveNumber('token-ttl', parsed['token-ttl']);
    const tokenCache = positiveNumber('token-cache', parsed['token-cache']);
    const latency = positiveNumber('latency-ms', parsed['latency-ms']);
    const sim = await startSimulator({
      fixture,
      ...(port !== undefined ? { port } : {}),
      ...(parsed.host !== undefined ? { host: parsed.host } : {}),
      ...(parsed['public-url'] !== undefined ? { publicUrl: parsed['public-url'] } : {}),
      ...(ttl !== undefined ? { tokenTtlSeconds: ttl } : {}),
      ...(tokenCache !== undefined ? { tokenCacheSeconds: tokenCache } : {}),
      ...(latency !== undefined ? { latencyMs: latency } : {}),
    });
    console.log(
      JSON.stringify({
        msg: 'openstack simulator listening',
        url: sim.url,
        authUrl: sim.authUrl,
        admin: `${sim.url}/_admin`,
      }),
    );
    await untilStopSignal();
    await sim.stop();
    return 0;
  } catch (err) {
    console.error(`openstack-sim: ${(err as Error).message}`);
    return 1;
  }
}
