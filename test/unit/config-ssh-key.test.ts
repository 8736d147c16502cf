// The attached compute's SSH key file (src/config/ssh-key.ts) and its name/ID rules
// (src/config/attach-rules.ts): which files are accepted, the public key derived with node:crypto
// (compared with ssh-keygen's own when it is installed), and every refusal naming its rule.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkSshPrivateKeyFile, readSshKeyPair } from "../../src/config/ssh-key.js";
import { attachableKind, attachedComputeName, checkAttachComputeId, checkAttachedVmName } from "../../src/config/attach-rules.js";
import { FIELDS, checkFieldValue } from "../../src/config/fields.js";

function hasSshKeygen(): boolean {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // ssh-keygen -? exits 1 after printing its usage: it is installed.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** The SSH wire-format strings of a public key blob. */
function sshStrings(publicKey: string): Buffer[] {
  const blob = Buffer.from(publicKey.split(" ")[1] ?? "", "base64");
  const out: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    const length = blob.readUInt32BE(at);
    out.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

describe("the attached compute's SSH key file", () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-aml-sshkey-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("derives ssh-rsa from an RSA key in PKCS#1 and PKCS#8 PEM: exponent and modulus as SSH mpints", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" });
    for (const type of ["pkcs1", "pkcs8"] as const) {
      const p = file(`rsa-${type}`, privateKey.export({ type, format: "pem" }).toString());
      const pair = readSshKeyPair(p);
      assert.match(pair.publicKey, /^ssh-rsa AAAA/);
      const [kind, e, n] = sshStrings(pair.publicKey);
      assert.equal(kind?.toString(), "ssh-rsa");
      assert.equal(BigInt(`0x${e!.toString("hex")}`), BigInt(`0x${Buffer.from(jwk.e!, "base64url").toString("hex")}`));
      assert.equal(n![0], 0, "a modulus with its high bit set gets a leading zero byte");
      assert.equal(n!.subarray(1).toString("base64url"), jwk.n);
      assert.deepEqual(checkSshPrivateKeyFile(p), []);
    }
  });

  it("derives ssh-ed25519 from an Ed25519 PKCS#8 key", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pair = readSshKeyPair(file("ed", privateKey.export({ type: "pkcs8", format: "pem" }).toString()));
    const [kind, x] = sshStrings(pair.publicKey);
    assert.equal(kind?.toString(), "ssh-ed25519");
    assert.equal(x?.toString("base64url"), publicKey.export({ format: "jwk" }).x);
  });

  it("matches ssh-keygen: OpenSSH-format keys (its default) and the public key it derives from a PEM key", { skip: !hasSshKeygen() && "ssh-keygen is not installed" }, () => {
    for (const type of ["ed25519", "rsa"]) {
      const p = path.join(dir, `openssh-${type}`);
      execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", p]);
      const fromPub = fs.readFileSync(`${p}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
      assert.equal(readSshKeyPair(p).publicKey, fromPub);
      fs.rmSync(`${p}.pub`);
      assert.equal(readSshKeyPair(p).publicKey, fromPub, "derived from the OpenSSH private key when there is no .pub");
    }
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const pem = file("pem-for-keygen", privateKey.export({ type: "pkcs1", format: "pem" }).toString());
    const keygen = execFileSync("ssh-keygen", ["-y", "-f", pem], { encoding: "utf8" }).trim().split(/\s+/).slice(0, 2).join(" ");
    assert.equal(readSshKeyPair(pem).publicKey, keygen);
  });

  it("refuses a missing file, a public key, an encrypted key, an ECDSA key and a .pub of another key, naming the rule", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const encrypted = file("enc", privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pass" }).toString());
    const ec = file("ec", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    const pub = file("pub", publicKey.export({ type: "spki", format: "pem" }).toString());
    const sshPub = file("sshpub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3d= me@host\n");
    const notKey = file("text", "hello\n");
    const good = file("good", privateKey.export({ type: "pkcs1", format: "pem" }).toString());
    fs.writeFileSync(
      `${good}.pub`,
      `${readSshKeyPair(file("other", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString())).publicKey} x\n`,
    );
    const cases: Array<[string, RegExp]> = [
      [path.join(dir, "missing"), /does not exist/],
      [dir, /is not a file/],
      [encrypted, /encrypted with a passphrase/],
      [ec, /accept only RSA or Ed25519/],
      [pub, /is a public key/],
      [sshPub, /is a public key/],
      [notKey, /is not a private key/],
      [good, /\.pub beside it that is not its public key/],
    ];
    for (const [p, rule] of cases) {
      const problems = checkSshPrivateKeyFile(p);
      assert.equal(problems.length, 1, p);
      assert.match(problems[0]!, rule, p);
      assert.ok(problems[0]!.startsWith(`the SSH private key file ${p} `), problems[0]);
      assert.ok(!problems[0]!.includes("BEGIN"), "a refusal never quotes the file");
    }
  });
});

describe("the attached compute's name and resource ID", () => {
  it("an attached VM name fits both the VM and the compute-target rules", () => {
    assert.deepEqual(checkAttachedVmName("trainvm-01"), []);
    for (const bad of ["a", "1vm", "vm_1", "vm.1", "vm-", "a".repeat(25)]) assert.equal(checkAttachedVmName(bad).length, 1, bad);
  });

  it("--attach-compute takes a VM or HDInsight cluster ID in the deployment's subscription", () => {
    const sub = "00000000-0000-4000-8000-0000000000e1";
    const vm = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`;
    const hdi = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.HDInsight/clusters/spark1`;
    assert.equal(attachableKind(vm), "VirtualMachine");
    assert.equal(attachableKind(hdi), "HDInsight");
    assert.deepEqual(checkAttachComputeId(vm, sub), []);
    assert.deepEqual(checkAttachComputeId(hdi, sub), []);
    assert.match(checkAttachComputeId(vm.replace(sub, "11111111-1111-1111-1111-111111111111"), sub)[0] ?? "", /subscription 11111111/);
    assert.match(checkAttachComputeId(`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`, sub)[0] ?? "", /virtual machine/);
    assert.match(checkAttachComputeId(`${vm}/extensions/x`, sub)[0] ?? "", /virtual machine/);
    assert.equal(attachedComputeName(hdi), "spark1");
    assert.equal(attachedComputeName(`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/1_my.vm`), "my-vm");
  });

  it("the fields need the key file, and --attached-vm and --attach-compute exclude each other", () => {
    const field = (key: string) => FIELDS.find((f) => f.key === key)!;
    assert.match(checkFieldValue(field("attachedVm"), "vm1", {}).join(), /--attached-vm-ssh-key/);
    assert.match(checkFieldValue(field("attachedVm"), "vm1", { attachedVmSshKeyPath: "/k", attachCompute: "/x" }).join(), /cannot be combined/);
    assert.match(
      checkFieldValue(field("attachCompute"), "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v", { subscriptionId: "s" }).join(),
      /--attached-vm-ssh-key/,
    );
    assert.equal(field("attachedVmSshKeyPath").flag, "--attached-vm-ssh-key");
    assert.equal(field("attachedVmSshKeyPath").env, "SECURE_AML_ATTACHED_VM_SSH_KEY");
  });
});
