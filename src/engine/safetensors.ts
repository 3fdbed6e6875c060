// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw
// little-endian tensor data (offsets relative to the data start). Also the sharded layout:
// `model.safetensors.index.json` = {"metadata": {"total_size": bytes}, "weight_map": {name: shard file}}.
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DisrankerError } from '../util/errors.js';
import { tempPathFor, writeFileAtomicSync } from '../util/fs.js';
import { DTYPE_BYTES, DTYPE_CODES, type DType, type Device } from './dtype.js';
import { nat, Tensor } from './tensor.js';

/** safetensors dtype names ↔ ours. */
const ST_TO_DTYPE: Record<string, DType> = {
  F32: 'float32',
  F64: 'float64',
  BF16: 'bfloat16',
  F16: 'float16',
  I64: 'int64',
  I32: 'int32',
  BOOL: 'bool',
  U8: 'uint8',
};
const DTYPE_TO_ST: Record<DType, string> = Object.fromEntries(Object.entries(ST_TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;

export interface TensorInfo {
  dtype: DType;
  shape: number[];
  /** byte range in the file (absolute) */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  dataStart: number;
}

function corrupt(file: string, what: string): DisrankerError {
  return new DisrankerError('DR_ERR_FILE', `${file}: not a valid safetensors file: ${what}`);
}

/** Reads and validates the header (without reading tensor data). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw corrupt(file, `the file has ${size} bytes, fewer than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = Number(lenBuf.readBigUInt64LE(0));
    if (n > size - 8) throw corrupt(file, `the header length is ${n} bytes but the file has only ${size - 8} after it (truncated?)`);
    if (n > 100 * 1024 * 1024) throw corrupt(file, `the header length ${n} is implausibly large`);
    const hbuf = Buffer.alloc(n);
    readSync(fd, hbuf, 0, n, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hbuf));
    } catch (err) {
      throw corrupt(file, `the header is not valid UTF-8 JSON (${(err as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corrupt(file, 'the header is not a JSON object');
    const dataStart = 8 + n;
    const dataLen = size - dataStart;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json)) {
      if (name === '__metadata__') {
        if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
          throw corrupt(file, '__metadata__ is not an object of strings');
        }
        metadata = v as Record<string, string>;
        continue;
      }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = typeof e?.dtype === 'string' ? ST_TO_DTYPE[e.dtype] : undefined;
      if (!dtype) throw corrupt(file, `tensor '${name}': unsupported or missing dtype ${JSON.stringify(e?.dtype)}`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw corrupt(file, `tensor '${name}': shape ${JSON.stringify(e.shape)} is not a list of sizes`);
      }
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x) && x >= 0) || off[1] < off[0]) {
        throw corrupt(file, `tensor '${name}': data_offsets ${JSON.stringify(off)} is not [begin, end]`);
      }
      const shape = e.shape as number[];
      const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
      if (!Number.isSafeInteger(want)) throw corrupt(file, `tensor '${name}': shape [${shape}] is implausibly large`);
      if (off[1] - off[0] !== want) {
        throw corrupt(file, `tensor '${name}': ${off[1] - off[0]} data bytes for shape [${shape}] ${e.dtype}, which needs ${want}`);
      }
      if (off[1] > dataLen) {
        throw corrupt(file, `tensor '${name}' ends at data byte ${off[1]} but the file has only ${dataLen} data bytes (truncated?)`);
      }
      tensors.set(name, { dtype, shape, begin: dataStart + off[0], end: dataStart + off[1] });
    }
    // Two tensors sharing bytes would load as garbage: the byte ranges must not overlap (empty ones never do).
    const ranges = [...tensors].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
    for (let i = 1; i < ranges.length; i++) {
      const [prev, p] = ranges[i - 1];
      const [name, t] = ranges[i];
      if (t.begin < p.end) {
        throw corrupt(file, `tensors '${prev}' and '${name}' overlap (data_offsets [${p.begin - dataStart}, ${p.end - dataStart}] and [${t.begin - dataStart}, ${t.end - dataStart}])`);
      }
    }
    return { tensors, metadata, dataStart };
  } finally {
    closeSync(fd);
  }
}

export interface LoadOptions {
  /** convert floating-point tensors to this dtype on load (e.g. bf16 file → float32 compute) */
  dtype?: DType;
  device?: Device;
  /** load only these names */
  names?: Iterable<string>;
}

/** Loads tensors from one safetensors file. The tensors belong to the current tidy() scope. */
export function loadSafetensors(file: string, opts: LoadOptions = {}): Map<string, Tensor> {
  const header = readSafetensorsHeader(file);
  const wanted = opts.names ? new Set(opts.names) : null;
  const out = new Map<string, Tensor>();
  const fd = openSync(file, 'r');
  try {
    for (const [name, info] of header.tensors) {
      if (wanted && !wanted.has(name)) continue;
      const bytes = Buffer.allocUnsafe(info.end - info.begin);
      const got = readSync(fd, bytes, 0, bytes.length, info.begin);
      if (got !== bytes.length) throw corrupt(file, `tensor '${name}': short read`);
      let t = new Tensor(nat().fromBuffer(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), info.shape, DTYPE_CODES[info.dtype], null));
      if (opts.dtype && opts.dtype !== info.dtype && isFloatDType(info.dtype)) t = swap(t, t.to(opts.dtype));
      if (opts.device && opts.device !== 'cpu') t = swap(t, t.to(opts.device));
      out.set(name, t);
    }
  } finally {
    closeSync(fd);
  }
  if (wanted) for (const n of wanted) if (!out.has(n)) throw new DisrankerError('DR_ERR_FILE', `${file}: has no tensor '${n}'`);
  return out;
}

function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}
function swap(old: Tensor, neu: Tensor): Tensor {
  old.dispose();
  return neu;
}

/**
 * Saves tensors to one safetensors file (names sorted, data contiguous, header padded to 8 bytes),
 * atomically: a temp file renamed into place.
 */
export function saveSafetensors(file: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const st = DTYPE_TO_ST[t.dtype];
    if (!st) throw new DisrankerError('DR_ERR_TENSOR', `saveSafetensors: tensor '${name}' has dtype ${t.dtype}, which safetensors cannot store`);
    const n = t.numel * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: st, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const hbytes = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(hbytes.length));
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, lenBuf);
    writeSync(fd, hbytes);
    for (const [, t] of entries) {
      const bytes = new Uint8Array(nat().toBuffer(t.handle) as ArrayBuffer);
      writeSync(fd, bytes);
    }
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}

export interface ShardIndex {
  metadata: { total_size?: number; [k: string]: unknown };
  weight_map: Record<string, string>;
}

export function readShardIndex(indexFile: string): ShardIndex {
  let idx: ShardIndex;
  try {
    idx = JSON.parse(readFileSync(indexFile, 'utf8')) as ShardIndex;
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${indexFile}: cannot read the shard index (${(err as Error).message})`);
  }
  if (!idx || typeof idx.weight_map !== 'object') throw new DisrankerError('DR_ERR_FILE', `${indexFile}: the index has no weight_map`);
  return idx;
}

/** Loads every tensor of a sharded checkpoint (`model.safetensors.index.json` + its shards). */
export function loadShardedSafetensors(indexFile: string, opts: LoadOptions = {}): Map<string, Tensor> {
  const idx = readShardIndex(indexFile);
  const dir = dirname(indexFile);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(idx.weight_map)) {
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard)!.push(name);
  }
  const out = new Map<string, Tensor>();
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new DisrankerError('DR_ERR_FILE', `${indexFile}: shard ${shard} is missing`);
    for (const [n, t] of loadSafetensors(path, { ...opts, names })) out.set(n, t);
  }
  return out;
}

/**
 * Saves tensors as shards of at most maxShardBytes (in name order) plus the index, as
 * `save_pretrained` lays them out: model-00001-of-0000N.safetensors. One shard → model.safetensors.
 */
export function saveShardedSafetensors(dir: string, tensors: Map<string, Tensor>, maxShardBytes: number, metadata: Record<string, string> = {}): string[] {
  const names = [...tensors.keys()].sort();
  const shards: string[][] = [[]];
  let cur = 0;
  let total = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    const bytes = t.numel * DTYPE_BYTES[t.dtype];
    if (cur > 0 && cur + bytes > maxShardBytes) {
      shards.push([]);
      cur = 0;
    }
    shards[shards.length - 1].push(n);
    cur += bytes;
    total += bytes;
  }
  if (shards.length === 1) {
    saveSafetensors(join(dir, 'model.safetensors'), tensors, metadata);
    return ['model.safetensors'];
  }
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  const pad = (k: number) => String(k).padStart(5, '0');
  shards.forEach((group, i) => {
    const f = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    saveSafetensors(join(dir, f), new Map(group.map((n) => [n, tensors.get(n)!])), metadata);
    for (const n of group) weightMap[n] = f;
    files.push(f);
  });
  const index: ShardIndex = { metadata: { total_size: total }, weight_map: Object.fromEntries(Object.entries(weightMap).sort()) };
  writeFileAtomicSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2) + '\n');
  return files;
}

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
