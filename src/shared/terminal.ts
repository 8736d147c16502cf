// Small pure helpers shared by every layer (this folder imports nothing).

/** Whether a stream is an interactive terminal (`isTTY` is only set on a TTY). */
export function isTerminal(stream: unknown): boolean {
  return typeof stream === "object" && stream !== null && (stream as { isTTY?: unknown }).isTTY === true;
}
