// Polling to a deadline: for conditions the test cannot await directly (a child process's clock, a
// file another process writes). The deadline only bounds a failure; a passing test waits as long as
// the condition takes, never a fixed time chosen to outwait a delay.

/** Polls `check` every `intervalMs` until it is true; throws after `timeoutMs` naming `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
