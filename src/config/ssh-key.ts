// The SSH key of an attached VM (--attached-vm-ssh-key PATH): the PRIVATE key goes only into the
// attach request (Azure Machine Learning logs in to the VM with it), the PUBLIC key into the VM's
// authorized keys. This module reads and checks the file (before any write: exists, readable, an
// unencrypted private key of a type Azure VMs accept) and gives the public key in OpenSSH form,
// from PATH.pub when present, else derived from the private key. Nothing here stores or prints
// the key: callers keep it in memory for the one request that needs it.
//
// Formats: PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY"), read with node:crypto, and
// OpenSSH's own "OPENSSH PRIVATE KEY" (ssh-keygen's default), whose public part is stored in clear
// at the start of the blob (PROTOCOL.key in OpenSSH's sources). Azure VMs accept ssh-rsa and
// ssh-ed25519 public keys (not ECDSA or DSA: "Supported SSH key formats", Microsoft Learn).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
type Fs = typeof import("node:fs");
type Crypto = typeof import("node:crypto");

export interface SshKeyPair {
  /** The private key file's text, exactly as read (for privateKeyData). */
  privateKey: string;
  /** "ssh-rsa AAAA..." or "ssh-ed25519 AAAA..." (no comment). */
  publicKey: string;
}

const OPENSSH_HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----";
const ACCEPTED_TYPES = ["ssh-rsa", "ssh-ed25519"];

/** A problem with the key file, phrased as a rule (shown after the field's name). */
export class SshKeyProblem extends Error {}

function sshString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
}

/** An SSH mpint from big-endian unsigned bytes (a leading zero byte when the high bit is set). */
function sshMpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function readSshString(blob: Buffer, offset: number): { value: Buffer; next: number } {
  if (offset + 4 > blob.length) throw new SshKeyProblem("is not a valid OpenSSH private key (truncated)");
  const length = blob.readUInt32BE(offset);
  if (offset + 4 + length > blob.length) throw new SshKeyProblem("is not a valid OpenSSH private key (truncated)");
  return { value: blob.subarray(offset + 4, offset + 4 + length), next: offset + 4 + length };
}

/** The public key of an OpenSSH-format private key: stored in clear after the cipher and KDF names. */
function openSshPublicKey(text: string): string {
  const body = text
    .replace(OPENSSH_HEADER, "")
    .replace(/-----END OPENSSH PRIVATE KEY-----[\s\S]*$/, "")
    .replace(/\s+/g, "");
  const blob = Buffer.from(body, "base64");
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic) throw new SshKeyProblem("is not a valid OpenSSH private key");
  let at = magic.length;
  const cipher = readSshString(blob, at);
  at = readSshString(blob, cipher.next).next; // kdf name
  at = readSshString(blob, at).next; // kdf options
  if (cipher.value.toString() !== "none") throw new SshKeyProblem("is encrypted with a passphrase; Azure Machine Learning needs the unencrypted key (ssh-keygen -p -N '' -f PATH)");
  if (at + 4 > blob.length || blob.readUInt32BE(at) < 1) throw new SshKeyProblem("holds no key");
  const publicBlob = readSshString(blob, at + 4).value;
  const type = readSshString(publicBlob, 0).value.toString();
  if (!ACCEPTED_TYPES.includes(type)) throw new SshKeyProblem(`is a ${type} key; Azure VMs accept only RSA or Ed25519 keys`);
  return `${type} ${publicBlob.toString("base64")}`;
}

/** The public key of a PEM private key, derived with node:crypto. */
function pemPublicKey(text: string): string {
  const crypto = require("node:crypto") as Crypto;
  let key: import("node:crypto").KeyObject;
  try {
    key = crypto.createPrivateKey({ key: text, format: "pem" });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/passphrase/i.test(message) || /ENCRYPTED/.test(text)) {
      throw new SshKeyProblem("is encrypted with a passphrase; Azure Machine Learning needs the unencrypted key (ssh-keygen -p -N '' -f PATH)");
    }
    throw new SshKeyProblem("is not a private key (expected a PEM or OpenSSH private key, e.g. from ssh-keygen -t rsa -b 4096)");
  }
  const jwk = crypto.createPublicKey(key).export({ format: "jwk" });
  if (key.asymmetricKeyType === "rsa" && jwk.n && jwk.e) {
    const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshMpint(Buffer.from(jwk.e, "base64url")), sshMpint(Buffer.from(jwk.n, "base64url"))]);
    return `ssh-rsa ${blob.toString("base64")}`;
  }
  if (key.asymmetricKeyType === "ed25519" && jwk.x) {
    const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(Buffer.from(jwk.x, "base64url"))]);
    return `ssh-ed25519 ${blob.toString("base64")}`;
  }
  throw new SshKeyProblem(`is a ${key.asymmetricKeyType ?? "unknown"} key; Azure VMs accept only RSA or Ed25519 keys`);
}

function publicKeyFromFile(text: string): string | undefined {
  const [type, data] = text.trim().split(/\s+/);
  if (!type || !data) return undefined;
  if (!ACCEPTED_TYPES.includes(type)) throw new SshKeyProblem(`has a ${type} public key beside it (.pub); Azure VMs accept only RSA or Ed25519 keys`);
  return `${type} ${data}`;
}

/** Reads and checks the key pair; throws SshKeyProblem naming the rule. */
export function readSshKeyPair(path: string): SshKeyPair {
  const fs = require("node:fs") as Fs;
  let privateKey: string;
  try {
    if (!fs.statSync(path).isFile()) throw new SshKeyProblem("is not a file");
    privateKey = fs.readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof SshKeyProblem) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SshKeyProblem(code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : `cannot be read (${code ?? "error"})`);
  }
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(privateKey) || /^(ssh-|ecdsa-)/.test(privateKey.trim())) {
    throw new SshKeyProblem("is a public key; give the PRIVATE key (its public key is read from PATH.pub)");
  }
  const fromPrivate = privateKey.includes(OPENSSH_HEADER) ? openSshPublicKey(privateKey) : pemPublicKey(privateKey);
  let publicKey = fromPrivate;
  try {
    const pub = fs.readFileSync(`${path}.pub`, "utf8");
    publicKey = publicKeyFromFile(pub) ?? fromPrivate;
  } catch (error) {
    if (error instanceof SshKeyProblem) throw error;
    // No PATH.pub: the public key derived from the private key is used.
  }
  if (publicKey.split(" ")[1] !== fromPrivate.split(" ")[1]) throw new SshKeyProblem(`has a ${path}.pub beside it that is not its public key`);
  return { privateKey, publicKey };
}

/** The rule messages for the key file (empty when usable). */
export function checkSshPrivateKeyFile(value: unknown): string[] {
  if (typeof value !== "string" || value.trim() === "") return ["must be the path of an SSH private key file"];
  try {
    readSshKeyPair(value);
    return [];
  } catch (error) {
    if (error instanceof SshKeyProblem) return [`the SSH private key file ${value} ${error.message}`];
    throw error;
  }
}
