// Runs node on a script of the package under test (the bundle, the launcher, the tsc build) and collects what
// it printed; NO_COLOR so that output compares as text.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository's root (this file runs from dist/test/package). */
export const repo = fileURLToPath(new URL("../../../", import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
