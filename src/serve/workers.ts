// Starting the service's worker threads. Compiled (dist/), a worker is the .js file beside this one. From a source
// checkout under tsx, workers do not inherit tsx's loader, so a small bootstrap registers it in the worker
// before importing the .ts file.
import { Worker } from 'node:worker_threads';

export function startWorker(name: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const file = new URL(`./${name}.ts`, import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
