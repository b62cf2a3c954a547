/**
 * A certificate authority per sandbox and a server certificate per API server, made synchronously
 * with node:crypto (ECDSA P-256, SHA-256) and a minimal DER encoder: X.509 v3 needs only a dozen
 * ASN.1 shapes, and selfsigned is async only.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIPv4 } from 'node:net';

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

// --- DER -------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

/** A positive INTEGER from big-endian bytes (a leading 0 keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
  if (b[0]! >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING of named bits (bit 0 is the most significant bit of the first byte). */
function namedBits(bits: number[]): Buffer {
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return tlv(0x03, Buffer.from([7 - (last & 7)]), bytes);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

/** The raw TLV elements inside a constructed DER element (enough to walk a certificate). */
function children(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const headerLength = (at: number) => (der[at + 1]! < 0x80 ? 2 : 2 + (der[at + 1]! & 0x7f));
  const contentLength = (at: number) => {
    const first = der[at + 1]!;
    if (first < 0x80) return first;
    let n = 0;
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + der[at + 2 + i]!;
    return n;
  };
  let at = headerLength(0);
  while (at < der.length) {
    const end = at + headerLength(at) + contentLength(at);
    out.push(der.subarray(at, end));
    at = end;
  }
  return out;
}

/** The subject Name of a certificate, byte for byte, to be the issuer of the certificates it signs. */
function subjectOf(cert: X509Certificate): Buffer {
  const tbs = children(cert.raw)[0]!;
  const fields = children(tbs);
  const offset = fields[0]![0] === 0xa0 ? 1 : 0; // [0] version is optional
  return fields[offset + 4]!;
}

// --- X.509 -----------------------------------------------------------------------------------

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const name = (cn: string, org: string) =>
  seq(set(seq(oid(OID.organization), utf8(org))), set(seq(oid(OID.commonName), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const keyId = (key: KeyObject) =>
  createHash('sha1')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();

interface CertOptions {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  extensions: Buffer[];
  years: number;
}

function certificate(o: CertOptions): string {
  const algorithm =
    o.signingKey.asymmetricKeyType === 'rsa'
      ? seq(oid(OID.sha256WithRsa), tlv(0x05))
      : seq(oid(OID.ecdsaWithSha256));
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(randomBytes(16)),
    algorithm,
    o.issuer,
    seq(time(new Date(now - 3600_000)), time(new Date(now + o.years * 365 * 86400_000))),
    o.subject,
    o.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...o.extensions)),
  );
  const signature = sign('sha256', tbs, { key: o.signingKey, dsaEncoding: 'der' });
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/** One CA per sandbox: its certificate is what GKE returns as masterAuth.clusterCaCertificate. */
export function createCertificateAuthority(): CertificateAuthority {
  const { publicKey, privateKey } = newKey();
  const subject = name('spillway-sandbox-ca', 'spillway');
  const certPem = certificate({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    years: 10,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, namedBits([0, 5, 6])), // digitalSignature, keyCertSign, cRLSign
      extension(OID.subjectKeyId, false, octets(keyId(publicKey))),
    ],
  });
  return { certPem, keyPem: pkcs8(privateKey) };
}

/** A server certificate for 127.0.0.1 (IP SAN), ::1 and localhost, signed by the CA. */
export function createServerCertificate(
  ca: CertificateAuthority,
  cn: string,
  hosts = ['127.0.0.1', '::1', 'localhost'],
): ServerCertificate {
  const caKey = createPrivateKey(ca.keyPem);
  const caCert = new X509Certificate(ca.certPem);
  const { publicKey, privateKey } = newKey();
  const altNames = hosts.map((h) =>
    isIPv4(h)
      ? tlv(0x87, Buffer.from(h.split('.').map(Number)))
      : h === '::1'
        ? tlv(0x87, Buffer.from([...Array(15).fill(0), 1]))
        : tlv(0x82, Buffer.from(h)),
  );
  const certPem = certificate({
    subject: name(cn, 'spillway'),
    issuer: subjectOf(caCert),
    publicKey,
    signingKey: caKey,
    years: 5,
    extensions: [
      extension(OID.basicConstraints, true, seq()),
      extension(OID.keyUsage, true, namedBits([0, 2])), // digitalSignature, keyEncipherment
      extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, seq(...altNames)),
      extension(OID.authorityKeyId, false, seq(tlv(0x80, keyId(caCert.publicKey)))),
    ],
  });
  return { certPem, keyPem: pkcs8(privateKey) };
}
