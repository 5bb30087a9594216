import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestCertificates } from '../../src/testing/certs.js';

describe('test certificates', () => {
  it('are valid DER every time (serial numbers are minimal positive INTEGERs)', () => {
    // A leading 0x00 in a random serial made 1 in 256 certificates unparsable once.
    for (let i = 0; i < 300; i++) {
      const { caPem, certPem } = createTestCertificates();
      const ca = new X509Certificate(caPem);
      const cert = new X509Certificate(certPem);
      expect(cert.verify(ca.publicKey)).toBe(true);
    }
  });

  it('name 127.0.0.1, ::1 and localhost, and are issued by a CA', () => {
    const { caPem, certPem } = createTestCertificates();
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(new X509Certificate(caPem).ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(caPem))).toBe(true);
  });
});
