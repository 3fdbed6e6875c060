// A free TCP port on the loopback interface (the rendezvous port of a one-machine distributed job).
import { createServer } from 'node:net';

/** Asks the OS for a free port on 127.0.0.1 and releases it (a later bind can still race another process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
