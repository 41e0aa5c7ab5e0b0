// A tiny hand-written protobuf encoder for the few ONNX messages the benchmark needs
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
// Field numbers are from onnx/onnx.proto; only what is used here is implemented.

const utf8 = new TextEncoder();

/** Growable byte writer for protobuf wire format. */
class Writer {
  constructor() { this.bytes = []; }
  varint(v) {
    // Non-negative integers only (all ONNX fields written here are >= 0).
    let n = BigInt(v);
    if (n < 0n) throw new RangeError(`onnx encoder: negative varint ${v}`);
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (n > 0n);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  /** Field of wire type 0 (int32/int64/enum). */
  int(field, v) { return this.tag(field, 0).varint(v); }
  /** Field of wire type 2: bytes, string or embedded message. */
  bytesField(field, data) {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field, s) { return this.bytesField(field, utf8.encode(s)); }
  message(field, build) { const w = new Writer(); build(w); return this.bytesField(field, w.finish()); }
  /** Field of wire type 5 (float). */
  float(field, v) {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  finish() { return Uint8Array.from(this.bytes); }
}

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };
export const DataType = { FLOAT: 1 };

function attribute(w, name, value) {
  w.string(1, name);
  if (typeof value === 'number' && Number.isInteger(value)) {
    w.int(3, value).int(20, AttrType.INT);
  } else if (typeof value === 'number') {
    w.float(2, value).int(20, AttrType.FLOAT);
  } else if (typeof value === 'string') {
    w.bytesField(4, utf8.encode(value)).int(20, AttrType.STRING);
  } else if (Array.isArray(value) && value.every(Number.isInteger)) {
    for (const v of value) w.int(8, v);
    w.int(20, AttrType.INTS);
  } else {
    throw new TypeError(`onnx encoder: unsupported attribute ${name}=${value}`);
  }
}

/** node: { op, inputs, outputs, name?, attrs? } */
function nodeProto(w, node) {
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  if (node.name) w.string(3, node.name);
  w.string(4, node.op);
  for (const [k, v] of Object.entries(node.attrs ?? {})) w.message(5, (a) => attribute(a, k, v));
}

/** tensor: { name, dims, data: Float32Array } stored as raw little-endian bytes. */
function tensorProto(w, t) {
  for (const d of t.dims) w.int(1, d);
  w.int(2, DataType.FLOAT);
  w.string(8, t.name);
  w.bytesField(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** value info: { name, dims } (dims: numbers or strings for symbolic dims), float tensor. */
function valueInfo(w, v) {
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tt) => {
    tt.int(1, DataType.FLOAT);
    tt.message(2, (shape) => {
      for (const d of v.dims) {
        shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }
    });
  }));
}

/**
 * Encodes a ModelProto.
 * @param {{ name: string, nodes: object[], inputs: object[], outputs: object[], initializers?: object[], opset: number, irVersion?: number }} g
 * @returns {Uint8Array}
 */
export function encodeModel(g) {
  const w = new Writer();
  w.int(1, g.irVersion ?? 8);
  w.string(2, 'softpool-wasm-bench');
  w.message(7, (graph) => {
    for (const n of g.nodes) graph.message(1, (x) => nodeProto(x, n));
    graph.string(2, g.name);
    for (const t of g.initializers ?? []) graph.message(5, (x) => tensorProto(x, t));
    for (const v of g.inputs) graph.message(11, (x) => valueInfo(x, v));
    for (const v of g.outputs) graph.message(12, (x) => valueInfo(x, v));
  });
  w.message(8, (op) => op.string(1, '').int(2, g.opset));
  return w.finish();
}

/**
 * The SoftPool composite channels first ([N, C, ...spatial], 1 to 3 spatial dims), opset 13:
 *   m = ReduceMax(X, axes=spatial)  (per-plane max: a constant shift, so y is unchanged)
 *   e = Exp(beta * (X - m));  Y = AveragePool(e * X) / AveragePool(e)
 * AveragePool excludes padding from its divisor by default (count_include_pad=0); the divisor
 * cancels in the ratio anyway, and padded cells add 0 to both sums.
 */
export function softPoolModel({ shape, kernel, stride, padding, beta }) {
  const d = shape.length - 2;
  if (d < 1 || d > 3 || kernel.length !== d || stride.length !== d || padding.length !== d) {
    throw new RangeError(`softPoolModel: shape ${shape} does not match ${kernel.length}-d window`);
  }
  const pool = { kernel_shape: kernel, strides: stride, pads: [...padding, ...padding] };
  const axes = Array.from({ length: d }, (_, i) => i + 2);
  return encodeModel({
    name: 'softpool_composite',
    opset: 13,
    inputs: [{ name: 'X', dims: shape }],
    outputs: [{ name: 'Y', dims: ['N', 'C', ...['OD', 'OH', 'OW'].slice(3 - d)] }],
    initializers: [{ name: 'beta', dims: [], data: new Float32Array([beta]) }],
    nodes: [
      { op: 'ReduceMax', inputs: ['X'], outputs: ['m'], attrs: { axes, keepdims: 1 } },
      { op: 'Sub', inputs: ['X', 'm'], outputs: ['d'] },
      { op: 'Mul', inputs: ['d', 'beta'], outputs: ['bd'] },
      { op: 'Exp', inputs: ['bd'], outputs: ['e'] },
      { op: 'Mul', inputs: ['e', 'X'], outputs: ['ex'] },
      { op: 'AveragePool', inputs: ['ex'], outputs: ['num'], attrs: pool },
      { op: 'AveragePool', inputs: ['e'], outputs: ['den'], attrs: pool },
      { op: 'Div', inputs: ['num', 'den'], outputs: ['Y'] },
    ],
  });
}
