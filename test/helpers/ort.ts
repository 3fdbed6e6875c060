// onnxruntime-node for the export and serving tests: loaded once; null when its binary cannot load here.
import type * as Ort from 'onnxruntime-node';

let ort: typeof Ort | null | undefined;
let why = '';

export async function loadOrt(): Promise<typeof Ort | null> {
  if (ort === undefined) {
    try {
      ort = await import('onnxruntime-node');
    } catch (err) {
      ort = null;
      why = (err as Error).message;
    }
  }
  return ort;
}

export function ortMissingReason(): string {
  return `onnxruntime-node cannot load (${why || 'not installed'})`;
}
