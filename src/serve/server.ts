// Running the service: load the export folder, build the app, listen (127.0.0.1 unless told otherwise), and
// shut down gracefully on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, drain the queue, release
// the ORT session. The caller (the CLI) prints; this returns what happened.
import { buildApp, type AppOptions, type RerankApp } from './app.js';
import { RerankModel, type ModelOptions } from './model.js';

export interface ServerOptions extends AppOptions, ModelOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 8080; 0 = any free port
  /** Give up waiting for in-flight requests after this long on shutdown. Default 30000 ms. */
  shutdownTimeoutMs?: number;
}

export interface RunningServer extends RerankApp {
  model: RerankModel;
  url: string;
  /** Stops accepting, waits for in-flight requests and the queue, releases the model. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has closed (after close() or a signal). */
  closed: Promise<void>;
}

export async function startServer(modelDir: string, opts: ServerOptions = {}): Promise<RunningServer> {
  const model = await RerankModel.load(modelDir, opts);
  const built = await buildApp(model, opts);
  const { app } = built;
  let closing: Promise<void> | null = null;
  let onClosed!: () => void;
  const closed = new Promise<void>((res) => (onClosed = res));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const force = setTimeout(() => {
        app.log.warn('shutdown: in-flight requests did not finish in time; closing their connections');
        app.server.closeAllConnections();
      }, opts.shutdownTimeoutMs ?? 30_000);
      force.unref();
      try {
        await app.close();
        await model.close();
      } finally {
        clearTimeout(force);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        onClosed();
      }
    })();
    return closing;
  };
  const onSignal = () => void close();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let url: string;
  try {
    url = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  } catch (err) {
    await close();
    throw err;
  }
  return { ...built, model, url, close, closed };
}
