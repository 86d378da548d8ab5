// A decoder for the OTLP/protobuf export requests the example app's receiver gets: the protobuf
// wire format, and the fields of opentelemetry-proto (trace/v1, metrics/v1, common/v1) the checks
// read. The installed OTLP packages only serialize (otlp-transformer exports no decoder).
import { Buffer } from 'node:buffer';

/** The fields of one message: field number -> its values (bigint for a varint, a Buffer for length-delimited and fixed64/32). */
function fields(buf) {
  const out = new Map();
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value;
    if (wire === 0) value = varint();
    else if (wire === 1) value = buf.subarray(i, (i += 8));
    else if (wire === 5) value = buf.subarray(i, (i += 4));
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, (i += len));
    } else throw new Error(`protobuf: unsupported wire type ${wire} (field ${field})`);
    if (i > buf.length) throw new Error('protobuf: truncated message');
    if (!out.has(field)) out.set(field, []);
    out.get(field).push(value);
  }
  return out;
}

const all = (f, n) => f.get(n) ?? [];
const str = (f, n) => (f.get(n)?.[0] ?? Buffer.alloc(0)).toString('utf8');

/** common.v1.AnyValue: string, bool, int (int64) or double. */
function anyValue(buf) {
  const f = fields(buf);
  if (f.has(1)) return str(f, 1);
  if (f.has(2)) return f.get(2)[0] !== 0n;
  if (f.has(3)) return Number(BigInt.asIntN(64, f.get(3)[0]));
  if (f.has(4)) return f.get(4)[0].readDoubleLE(0);
  return undefined;
}

/** repeated common.v1.KeyValue -> a plain object. */
function attributes(list) {
  const out = {};
  for (const kv of list) {
    const f = fields(kv);
    out[str(f, 1)] = f.has(2) ? anyValue(f.get(2)[0]) : undefined;
  }
  return out;
}

/** collector.trace.v1.ExportTraceServiceRequest -> [{ resource, scope, name, traceId, spanId, parentSpanId, attributes }]. */
export function decodeTraces(buf) {
  const spans = [];
  for (const rs of all(fields(buf), 1)) {
    const rsf = fields(rs);
    const resource = rsf.has(1) ? attributes(all(fields(rsf.get(1)[0]), 1)) : {};
    for (const ss of all(rsf, 2)) {
      const ssf = fields(ss);
      const scope = ssf.has(1) ? str(fields(ssf.get(1)[0]), 1) : '';
      for (const s of all(ssf, 2)) {
        const sf = fields(s);
        const hex = (n) => (sf.get(n)?.[0] ?? Buffer.alloc(0)).toString('hex');
        spans.push({ resource, scope, traceId: hex(1), spanId: hex(2), parentSpanId: hex(4), name: str(sf, 5), attributes: attributes(all(sf, 9)) });
      }
    }
  }
  return spans;
}

/** collector.metrics.v1.ExportMetricsServiceRequest -> [{ resource, scope, name, unit }]. */
export function decodeMetrics(buf) {
  const metrics = [];
  for (const rm of all(fields(buf), 1)) {
    const rmf = fields(rm);
    const resource = rmf.has(1) ? attributes(all(fields(rmf.get(1)[0]), 1)) : {};
    for (const sm of all(rmf, 2)) {
      const smf = fields(sm);
      const scope = smf.has(1) ? str(fields(smf.get(1)[0]), 1) : '';
      for (const m of all(smf, 2)) {
        const mf = fields(m);
        metrics.push({ resource, scope, name: str(mf, 1), unit: str(mf, 3) });
      }
    }
  }
  return metrics;
}
