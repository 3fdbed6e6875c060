// A small ONNX graph builder: nodes in the order they are added (which is topological, since a node can only
// read values that exist), initializers from typed arrays, attributes with their ONNX types spelled out.
// No tensors and no engine here: weights come in as Float32Arrays, so a graph can be built from any source.
import { AttributeType, DataType, valueInfo, type AttributeProto, type Dim, type GraphProto, type NodeProto, type TensorProto } from './proto.js';

/** An attribute value with its ONNX type. */
export type Attr =
  | { f: number }
  | { i: number }
  | { s: string }
  | { floats: number[] }
  | { ints: number[] }
  | { t: TensorProto };

function attribute(name: string, a: Attr): AttributeProto {
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('s' in a) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints };
  return { name, type: AttributeType.TENSOR, t: a.t };
}

function bytesOf(a: Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array): Uint8Array {
  // Typed arrays are little-endian on every platform Node runs on (x64, arm64), which is what raw_data wants.
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export function tensorProto(name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array): TensorProto {
  const n = dims.reduce((x, y) => x * y, 1);
  if (data.length !== n) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
  return { name, dims, data_type: dataType, raw_data: bytesOf(data) };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();
  private count = 0;
  private consts = new Map<string, string>();

  /** A fresh value name built from a hint. */
  private fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}_${++this.count}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, out?: string): string {
    return this.opN(opType, inputs, 1, attrs, out ? [out] : undefined)[0];
  }

  /** Adds a node with n outputs (or the given output names). */
  opN(opType: string, inputs: string[], n: number, attrs: Record<string, Attr> = {}, outs?: string[], domain?: string): string[] {
    const id = this.nodes.length;
    const outputs = outs ? outs.map((o) => (this.names.add(o), o)) : Array.from({ length: n }, (_, k) => this.fresh(`${opType}_${id}${n > 1 ? `_${k}` : ''}`));
    this.nodes.push({
      input: inputs,
      output: outputs,
      name: `${opType}_${id}`,
      op_type: opType,
      ...(domain ? { domain } : {}),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** A float32 initializer (a weight). */
  f32(name: string, data: Float32Array, dims: number[]): string {
    const n = this.fresh(name);
    this.initializers.push(tensorProto(n, DataType.FLOAT, dims, data));
    return n;
  }

  /** An int8 initializer (a quantised weight). */
  i8(name: string, data: Int8Array, dims: number[]): string {
    const n = this.fresh(name);
    this.initializers.push(tensorProto(n, DataType.INT8, dims, data));
    return n;
  }

  /** An int64 constant (shapes, axes, indices); equal constants are shared. */
  i64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims}:${values}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.fresh(`const_i64_${this.consts.size}`);
      this.initializers.push(tensorProto(n, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt))));
      this.consts.set(key, n);
    }
    return n;
  }

  /** A float32 scalar constant; equal constants are shared. */
  scalar(v: number): string {
    const key = `f32:${Math.fround(v)}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.fresh(`const_f32_${this.consts.size}`);
      this.initializers.push(tensorProto(n, DataType.FLOAT, [], Float32Array.of(v)));
      this.consts.set(key, n);
    }
    return n;
  }

  graph(name: string, inputs: { name: string; type: number; dims: Dim[] }[], outputs: { name: string; type: number; dims: Dim[] }[], doc?: string): GraphProto {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: inputs.map((i) => valueInfo(i.name, i.type, i.dims)),
      output: outputs.map((o) => valueInfo(o.name, o.type, o.dims)),
      ...(doc ? { doc_string: doc } : {}),
    };
  }
}

/** W [out, in] (torch's Linear layout) → Wᵀ [in, out], the right operand of MatMul. */
export function transposed(w: Float32Array, out: number, inp: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i];
  return t;
}
