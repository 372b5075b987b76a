// Free TCP ports on loopback. All requested ports are held open together so they are
// distinct; a component that still loses the race reports "address already in use".
import { createServer, type Server } from 'node:net';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

/** `count` distinct free ports on `host` (default 127.0.0.1). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error(`no TCP address for ${host}`);
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
