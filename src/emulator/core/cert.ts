// TLS material for the emulator: a self-signed CA and a server certificate for 127.0.0.1/localhost signed
// by it, generated on first start and kept in the data directory (keys mode 0600) so that a restarted
// emulator keeps the CA that clients already trust.
import fs from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";

export interface TlsMaterial {
  caCertPath: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const FILES = { caCert: "ca.pem", caKey: "ca-key.pem", serverCert: "server.pem", serverKey: "server-key.pem" } as const;
const VALIDITY_DAYS = 825;

function readIfPresent(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

function validUntil(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + days * 86_400_000) };
}

function certificateExpired(pem: string): boolean {
  try {
    return new Date(new X509Certificate(pem).validTo).getTime() < Date.now() + 86_400_000;
  } catch {
    return true;
  }
}

/** Loads the CA and server certificate from `dataDir`, generating them when absent or expired. */
export async function ensureTlsMaterial(dataDir: string): Promise<TlsMaterial> {
  fs.mkdirSync(dataDir, { recursive: true });
  const files = Object.fromEntries(Object.entries(FILES).map(([key, name]) => [key, path.join(dataDir, name)])) as Record<keyof typeof FILES, string>;
  const existing = {
    caCert: readIfPresent(files.caCert),
    caKey: readIfPresent(files.caKey),
    serverCert: readIfPresent(files.serverCert),
    serverKey: readIfPresent(files.serverKey),
  };
  if (existing.caCert && existing.caKey && existing.serverCert && existing.serverKey && !certificateExpired(existing.serverCert)) {
    return { caCertPath: files.caCert, caCert: existing.caCert, serverCert: existing.serverCert, serverKey: existing.serverKey };
  }
  let caCert = existing.caCert;
  let caKey = existing.caKey;
  if (!caCert || !caKey || certificateExpired(caCert)) {
    const ca = await generate([{ name: "commonName", value: "secure-aml ARM emulator local CA" }], {
      keySize: 2048,
      algorithm: "sha256",
      ...validUntil(3650),
      extensions: [
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    caCert = ca.cert;
    caKey = ca.private;
    fs.writeFileSync(files.caKey, caKey, { mode: 0o600 });
    fs.chmodSync(files.caKey, 0o600);
    fs.writeFileSync(files.caCert, caCert, { mode: 0o644 });
  }
  const server = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    algorithm: "sha256",
    ...validUntil(VALIDITY_DAYS),
    ca: { key: caKey, cert: caCert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  fs.writeFileSync(files.serverKey, server.private, { mode: 0o600 });
  fs.chmodSync(files.serverKey, 0o600);
  fs.writeFileSync(files.serverCert, server.cert, { mode: 0o644 });
  return { caCertPath: files.caCert, caCert, serverCert: server.cert, serverKey: server.private };
}
