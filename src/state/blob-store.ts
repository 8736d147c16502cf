// The state in a blob of Azure Blob Storage, so that a platform team and its pipelines share one
// deployment from several machines (the way Terraform's azurerm backend does):
// - The lock is a blob lease of LEASE_SECONDS, renewed every third of that while the run lasts and
//   released at the end. A run that is killed stops renewing and its lease expires; a live lease is
//   never broken. A run that finds the lease taken exits 3 (STATE_LOCKED) at once when the holder
//   is a live process on this machine; otherwise it waits one lease period (plus a margin) for the
//   lease to expire and takes it, or exits 3 when the holder is still renewing it.
// - Every write is conditional on the ETag this run last read or wrote (and on its lease), so a
//   write made behind its back is never overwritten: STATE_CONFLICT (exit 3), nothing lost.
// - Credentials: a connection string from SECURE_AML_STATE_CONNECTION_STRING (removed from the
//   environment once read, so no child process inherits it; never printed or stored), else the same
//   Azure credential chain as Resource Manager (DefaultAzureCredential; the identity needs "Storage
//   Blob Data Contributor"). A loopback storage emulator (Azurite) takes a connection string only.
// - A missing container is created on the first `init` (create); otherwise the state is not found.
// The SDK (@azure/storage-blob) is imported only when --state is a blob URL.

import { randomUUID } from "node:crypto";
import { hostname as osHostname } from "node:os";
import type { BlobServiceClient, BlockBlobClient, ContainerClient, StoragePipelineOptions } from "@azure/storage-blob";
import { ExitCode, SecureAmlError } from "../errors.js";
import { processStartOf } from "../engine/lock.js";
import { STATE_CONNECTION_STRING_ENV, takeStateConnectionString, type BlobLocation } from "./location.js";
import type { StateStore, StoreLockOptions, StoreSession } from "./store.js";

/** Lease length. Azure allows 15-60 s (or infinite); short means a killed run's lease frees soon. */
export const LEASE_SECONDS = 15;

export interface BlobStoreOptions {
  /** Where the connection string variable is read (default process.env; removed from it once read). */
  env?: NodeJS.ProcessEnv;
  /** Lease length in seconds (15-60). */
  leaseSeconds?: number;
  /** How long to wait for a lease held by a run elsewhere to expire (default: lease + 5 s). */
  lockWaitMs?: number;
  /** Poll interval while waiting for a lease. */
  lockPollMs?: number;
  /** This machine's name as recorded on the lease (tests pose as another machine). */
  hostname?: string;
  /** How often the lease is renewed (default a third of the lease; tests stall a run with a long one). */
  renewIntervalMs?: number;
  /** Told once when the run starts waiting for a lease (default: one line on stderr, so a wait is never silent). */
  onWait?: (message: string) => void;
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

function restError(err: unknown): { status?: number; code?: string } {
  const e = err as RestErrorLike | null;
  return { status: typeof e?.statusCode === "number" ? e.statusCode : undefined, code: e?.details?.errorCode ?? e?.code };
}

/** What went wrong, from status and code only (an SDK message may quote a URL with a SAS). */
function storageDetail(err: unknown): string {
  const { status, code } = restError(err);
  const detail = status !== undefined ? `HTTP ${status}${code ? ` ${code}` : ""}` : (code ?? (err instanceof Error ? err.name : "unknown error"));
  const hint =
    status === 403 || status === 401
      ? ` The identity needs the "Storage Blob Data Contributor" role on the account (or set ${STATE_CONNECTION_STRING_ENV}).`
      : status === undefined
        ? " The storage account could not be reached."
        : "";
  return `${detail}.${hint}`;
}

function storageError(what: string, location: BlobLocation, err: unknown): SecureAmlError {
  if (err instanceof SecureAmlError) return err;
  return new SecureAmlError(
    "STATE_STORAGE_FAILED",
    `Could not ${what} the state blob ${location.url}: ${storageDetail(err)} The previous state is intact; nothing was lost.`,
    ExitCode.stateStorage,
    "fix the cause above, then run the same command again",
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === "EPERM";
  }
}

interface Holder {
  pid?: number;
  host?: string;
  since?: string;
  processStart?: string;
}

function holderFromMetadata(metadata: Record<string, string> | undefined): Holder {
  const m = metadata ?? {};
  const decode = (v: string | undefined) => (v === undefined ? undefined : decodeURIComponent(v));
  const pid = Number(m.secureamlpid);
  return { pid: Number.isInteger(pid) ? pid : undefined, host: decode(m.secureamlhost), since: decode(m.secureamlsince), processStart: decode(m.secureamlprocessstart) };
}

export class BlobStateStore implements StateStore {
  readonly location: string;
  readonly #where: BlobLocation;
  readonly #options: BlobStoreOptions;
  readonly #connectionString: string | undefined;
  #clients: Promise<{ container: ContainerClient; blob: BlockBlobClient }> | undefined;

  constructor(location: BlobLocation, options: BlobStoreOptions = {}) {
    this.#where = location;
    this.location = location.url;
    this.#options = options;
    // Take the secret out of the environment now, before anything can start a child process.
    this.#connectionString = takeStateConnectionString(options.env ?? process.env);
  }

  get #hostname(): string {
    return this.#options.hostname ?? osHostname();
  }

  #clientsOnce(): Promise<{ container: ContainerClient; blob: BlockBlobClient }> {
    this.#clients ??= this.#makeClients();
    return this.#clients;
  }

  async #makeClients(): Promise<{ container: ContainerClient; blob: BlockBlobClient }> {
    const where = this.#where;
    const sdk = await import("@azure/storage-blob");
    // Few, short retries: a run must not hang on an unreachable account; the run can be repeated.
    const pipeline: StoragePipelineOptions = { retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 4_000, tryTimeoutInMs: 30_000 } };
    const connectionString = this.#connectionString;
    let service: BlobServiceClient;
    if (connectionString !== undefined) {
      try {
        service = sdk.BlobServiceClient.fromConnectionString(connectionString, pipeline);
      } catch {
        throw new SecureAmlError(
          "STATE_CONNECTION_STRING_INVALID",
          `${STATE_CONNECTION_STRING_ENV} is not a valid storage connection string (its value is not shown).`,
          ExitCode.badInput,
          `set ${STATE_CONNECTION_STRING_ENV} to the account's connection string (az storage account show-connection-string), or unset it to use your Azure sign-in`,
        );
      }
      // The connection string must be for the account the URL names (its key must not go elsewhere).
      const endpoint = new URL(service.url);
      const expected = new URL(where.serviceUrl);
      const norm = (u: URL) => `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, "")}`;
      if (norm(endpoint) !== norm(expected) || service.accountName !== where.account) {
        throw new SecureAmlError(
          "STATE_CONNECTION_STRING_MISMATCH",
          `${STATE_CONNECTION_STRING_ENV} is for the blob endpoint ${norm(endpoint)} (account ${service.accountName}), but --state names ${norm(expected)} (account ${where.account}).`,
          ExitCode.badInput,
          `use the connection string of account ${where.account}, or a --state URL on ${norm(endpoint)}`,
        );
      }
    } else if (where.loopback) {
      throw new SecureAmlError(
        "STATE_CONNECTION_STRING_REQUIRED",
        `--state names a blob on a local storage emulator (${where.serviceUrl}); it takes the emulator's connection string, never an Azure sign-in.`,
        ExitCode.badInput,
        `set ${STATE_CONNECTION_STRING_ENV} to the emulator's connection string and run again`,
      );
    } else {
      const { DefaultAzureCredential } = await import("@azure/identity");
      service = new sdk.BlobServiceClient(where.serviceUrl, new DefaultAzureCredential({ authorityHost: where.authorityHost }), pipeline);
    }
    const container = service.getContainerClient(where.container);
    return { container, blob: container.getBlockBlobClient(where.blob) };
  }

  async read(): Promise<string | undefined> {
    const { blob } = await this.#clientsOnce();
    try {
      const buffer = await blob.downloadToBuffer();
      // A zero-length blob is the placeholder a first run leases before its first write: no state yet.
      return buffer.length === 0 ? undefined : buffer.toString("utf8");
    } catch (err) {
      if (restError(err).status === 404) return undefined;
      throw storageError("read", this.#where, err);
    }
  }

  #notFound(): never {
    throw new SecureAmlError(
      "STATE_NOT_FOUND",
      `No state at ${this.#where.url}: nothing has been deployed with this state (pass --state to point at another one).`,
      ExitCode.badInput,
    );
  }

  /** Creates the container (if missing) and an empty placeholder blob (if missing), so there is something to lease. */
  async #createPlaceholder(container: ContainerClient, blob: BlockBlobClient, containerMissing: boolean): Promise<void> {
    if (containerMissing) {
      try {
        await container.createIfNotExists();
      } catch (err) {
        throw new SecureAmlError(
          "STATE_CONTAINER_MISSING",
          `The container ${this.#where.container} of the state blob ${this.#where.url} does not exist and could not be created: ${storageDetail(err)}`,
          ExitCode.stateStorage,
          `create it (az storage container create --account-name ${this.#where.account} --name ${this.#where.container} --auth-mode login), then run again`,
        );
      }
    }
    try {
      await blob.upload("", 0, { conditions: { ifNoneMatch: "*" }, blobHTTPHeaders: { blobContentType: "application/json" } });
    } catch (err) {
      const { status } = restError(err);
      if (status !== 409 && status !== 412) throw storageError("create", this.#where, err); // 409/412: someone created it meanwhile
    }
  }

  #lockedError(holder: Holder): SecureAmlError {
    const who =
      holder.pid !== undefined ? `pid ${holder.pid} on ${holder.host ?? "an unknown host"}${holder.since ? `, since ${holder.since}` : ""}` : "a run that did not say who it is";
    return new SecureAmlError(
      "STATE_LOCKED",
      `The state blob ${this.#where.url} is in use by another secure-aml run (${who}); it holds the blob's lease and keeps renewing it. ` +
        `Wait for it to finish or stop it; a stopped run's lease expires within ${this.#options.leaseSeconds ?? LEASE_SECONDS} s.`,
      ExitCode.locked,
    );
  }

  /** Whether the lease's holder is certainly alive (a running process on this machine). */
  #holderSurelyAlive(holder: Holder): boolean {
    if (holder.host !== this.#hostname || holder.pid === undefined) return false;
    if (!pidAlive(holder.pid)) return false;
    if (holder.processStart !== undefined) {
      const now = processStartOf(holder.pid);
      if (now !== undefined && now !== holder.processStart) return false; // pid recycled
    }
    return true;
  }

  async acquire(options: StoreLockOptions): Promise<StoreSession> {
    const { container, blob } = await this.#clientsOnce();
    const leaseSeconds = this.#options.leaseSeconds ?? LEASE_SECONDS;
    const lease = blob.getBlobLeaseClient(randomUUID());
    const waitMs = this.#options.lockWaitMs ?? leaseSeconds * 1000 + 5_000;
    const pollMs = this.#options.lockPollMs ?? 1_000;
    const deadline = Date.now() + waitMs;
    let createdPlaceholder = false;
    let toldWaiting = false;
    for (;;) {
      try {
        await lease.acquireLease(leaseSeconds);
        break;
      } catch (err) {
        const { status, code } = restError(err);
        if (status === 404) {
          if (!options.create || createdPlaceholder) this.#notFound();
          await this.#createPlaceholder(container, blob, code === "ContainerNotFound");
          createdPlaceholder = true;
          continue;
        }
        if (status !== 409) throw storageError("lease", this.#where, err);
        const holder = await blob.getProperties().then(
          (p) => holderFromMetadata(p.metadata),
          () => ({}) as Holder,
        );
        if (this.#holderSurelyAlive(holder) || Date.now() >= deadline) throw this.#lockedError(holder);
        if (!toldWaiting) {
          toldWaiting = true;
          const who = holder.pid !== undefined ? `pid ${holder.pid} on ${holder.host ?? "?"}` : "another run";
          const onWait = this.#options.onWait ?? ((m: string) => void process.stderr.write(`secure-aml: ${m}\n`));
          onWait(`the state blob is leased by ${who}; waiting up to ${Math.ceil(waitMs / 1000)} s for the lease to expire (it does unless that run is alive and renewing it).`);
        }
        await sleep(pollMs); // the holder may be gone: its lease expires unless it is renewed
      }
    }
    const leaseId = lease.leaseId;
    let session: BlobSession | undefined;
    try {
      const downloaded = await blob.download(0, undefined, { conditions: { leaseId } });
      const body = downloaded.readableStreamBody;
      const chunks: Buffer[] = [];
      if (body) for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      const text = Buffer.concat(chunks).toString("utf8");
      const holder = {
        secureamlpid: String(process.pid),
        secureamlhost: encodeURIComponent(this.#hostname),
        secureamlsince: encodeURIComponent(new Date().toISOString()),
        ...(processStartOf(process.pid) !== undefined ? { secureamlprocessstart: String(processStartOf(process.pid)) } : {}),
      };
      // Say who holds the lease (for the STATE_LOCKED message of the next run), still conditional on the ETag.
      const tagged = await blob.setMetadata(holder, { conditions: { leaseId, ifMatch: downloaded.etag } });
      const renewMs = this.#options.renewIntervalMs ?? Math.floor((leaseSeconds * 1000) / 3);
      session = new BlobSession(this.#where, blob, lease, leaseSeconds, renewMs, tagged.etag as string, holder, text.length === 0 ? undefined : text);
      if (session.text === undefined && !options.create) this.#notFound();
      return session;
    } catch (err) {
      if (session) await session.release();
      else await lease.releaseLease().catch(() => undefined);
      throw storageError("read", this.#where, err);
    }
  }

  async unlocked(options: StoreLockOptions): Promise<StoreSession> {
    const text = await this.read();
    if (text === undefined && !options.create) this.#notFound();
    const where = this.#where;
    return {
      text,
      write: () => Promise.reject(new SecureAmlError("STATE_READ_ONLY", `The state blob ${where.url} was opened without its lease; it cannot be written.`, ExitCode.failed)),
      release: async () => undefined,
    };
  }
}

type LeaseClient = ReturnType<BlockBlobClient["getBlobLeaseClient"]>;

class BlobSession implements StoreSession {
  #etag: string;
  #released = false;
  #lost: string | undefined;
  readonly #renewal: NodeJS.Timeout;

  constructor(
    private readonly where: BlobLocation,
    private readonly blob: BlockBlobClient,
    private readonly lease: LeaseClient,
    leaseSeconds: number,
    renewMs: number,
    etag: string,
    private readonly metadata: Record<string, string>,
    readonly text: string | undefined,
  ) {
    this.#etag = etag;
    // Renew well within the lease: two renewals may fail (a network blip) before it expires. A
    // lease that lapsed anyway is taken again with the same id when nobody else holds it; a write
    // made meanwhile by another run changed the ETag, so this run's next write is refused, not lost.
    this.#renewal = setInterval(() => {
      this.lease.renewLease().catch(async (err: unknown) => {
        if (restError(err).status !== 409) return; // unreachable now: the next renewal tries again
        await this.lease.acquireLease(leaseSeconds).catch((again: unknown) => {
          this.#lost = restError(again).code ?? "lease lost"; // another run holds it: our writes will be refused
        });
      });
    }, renewMs);
    this.#renewal.unref();
  }

  async write(text: string): Promise<void> {
    if (this.#released) throw new SecureAmlError("STATE_CLOSED", "The state was released.");
    try {
      const response = await this.blob.upload(text, Buffer.byteLength(text), {
        conditions: { leaseId: this.lease.leaseId, ifMatch: this.#etag },
        blobHTTPHeaders: { blobContentType: "application/json" },
        metadata: this.metadata,
      });
      this.#etag = response.etag as string;
    } catch (err) {
      const { status, code } = restError(err);
      if (status === 412 || status === 409) {
        const why =
          code === "ConditionNotMet"
            ? "the blob was changed by someone else after this run read it (its ETag no longer matches)"
            : `this run no longer holds the blob's lease (${code ?? this.#lost ?? `HTTP ${status}`})`;
        throw new SecureAmlError(
          "STATE_CONFLICT",
          `Did not save the state to ${this.where.url}: ${why}. Nothing was overwritten; the other writer's state is kept.`,
          ExitCode.locked,
          "run the same command again: it reads the current state and converges",
        );
      }
      throw storageError("save", this.where, err);
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#renewal);
    await this.lease.releaseLease().catch(() => undefined); // if this fails, the lease expires by itself
  }
}
