/**
 * The sandbox CA and the API servers' certificates: what TLS clients (Node, kubectl's Go) check.
 */
import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import { Clock } from '../src/clock.js';
import { Faults } from '../src/faults.js';
import {
  createCertificateAuthority,
  createServerCertificate,
  startKubeApiServer,
} from '../src/kube/index.js';
import { raw } from './kube-helpers.js';

describe('certificates', () => {
  it('makes a CA and a server certificate for 127.0.0.1 that it signed', () => {
    const ca = createCertificateAuthority();
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);
    const server = new X509Certificate(createServerCertificate(ca, 'kube-apiserver').certPem);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(caCert)).toBe(true);
    expect(server.verify(caCert.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(Date.parse(server.validTo)).toBeGreaterThan(Date.now() + 365 * 86400_000);
  });

  it('serves TLS with a CA made elsewhere (RSA, from selfsigned)', async () => {
    const pems = await generate([{ name: 'commonName', value: 'other-ca' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const server = await startKubeApiServer({
      cluster: 'rsa',
      region: 'us-east1',
      ca: { certPem: pems.cert, keyPem: pems.private },
      faults: new Faults(),
      clock: new Clock(1),
    });
    try {
      const res = await raw(server, 'GET', '/version');
      expect(res.code).toBe(200);
      expect(res.json.gitVersion).toBe('v1.34.1-gke.1127000');
    } finally {
      await server.close();
    }
  }, 20_000);
});
