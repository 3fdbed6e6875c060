// Atomic file output: write to a temp file beside the target, rename on success, remove on failure.
// A crash or an error never leaves half a file under the final name.
import { createWriteStream, promises as fsp, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write a whole file atomically (sync). */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write a whole file atomically. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Stream into `target` atomically: `fn` receives a writable stream on a temp file; when it resolves
 * the stream is closed and renamed over `target`; when it throws the temp file is removed.
 */
export async function withAtomicWriteStream<T>(
  target: string,
  fn: (out: NodeJS.WritableStream) => Promise<T>,
): Promise<T> {
  const tmp = tempPathFor(target);
  const out = createWriteStream(tmp);
  try {
    const result = await fn(out);
    out.end();
    await finished(out);
    await fsp.rename(tmp, target);
    return result;
  } catch (err) {
    out.destroy();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}
