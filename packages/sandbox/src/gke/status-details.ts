/**
 * The `grpc-status-details-bin` trailer: a google.rpc.Status in protobuf binary, whose details are
 * Any-wrapped ErrorInfo, Help and LocalizedMessage. google-gax decodes it into the error's
 * `statusDetails`, `reason`, `domain` and `errorInfoMetadata`, as it does for Google's servers.
 * Encoded by hand (five small messages) rather than through a protobuf library.
 */

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A length-delimited field (wire type 2): strings, bytes, messages. */
function bytesField(field: number, value: Buffer | string): Buffer {
  const payload = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

const strings = (fields: [number, unknown][]) =>
  Buffer.concat(
    fields.filter(([, v]) => typeof v === 'string' && v !== '').map(([f, v]) => bytesField(f, v as string)),
  );

/** The message a detail's `@type` names, encoded; undefined for a type not encoded here (left out). */
function encodeDetail(detail: Record<string, any>): Buffer | undefined {
  switch (detail['@type']) {
    case 'type.googleapis.com/google.rpc.ErrorInfo': {
      const metadata = Object.entries((detail.metadata ?? {}) as Record<string, string>).map(([k, v]) =>
        bytesField(
          3,
          strings([
            [1, k],
            [2, String(v)],
          ]),
        ),
      );
      return Buffer.concat([
        strings([
          [1, detail.reason],
          [2, detail.domain],
        ]),
        ...metadata,
      ]);
    }
    case 'type.googleapis.com/google.rpc.Help':
      return Buffer.concat(
        ((detail.links ?? []) as { description?: string; url?: string }[]).map((l) =>
          bytesField(
            1,
            strings([
              [1, l.description],
              [2, l.url],
            ]),
          ),
        ),
      );
    case 'type.googleapis.com/google.rpc.LocalizedMessage':
      return strings([
        [1, detail.locale],
        [2, detail.message],
      ]);
    default:
      return undefined;
  }
}

/** google.rpc.Status { code, message, details: Any[] } in protobuf binary. */
export function encodeStatus(code: number, message: string, details: Record<string, any>[] = []): Buffer {
  const anys = details.flatMap((detail) => {
    const value = encodeDetail(detail);
    return value
      ? [bytesField(3, Buffer.concat([bytesField(1, detail['@type']), bytesField(2, value)]))]
      : [];
  });
  return Buffer.concat([varintField(1, code), bytesField(2, message), ...anys]);
}
