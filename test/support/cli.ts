import { execFile } from 'node:child_process';
import path from 'node:path';

/** The CLI as a user runs it: the package's bin over the compiled code (`npm run build`). */
export const BIN = path.resolve(__dirname, '../../bin/govgraph.js');

/** Runs `govgraph ARGS…` with only PATH and `env` in its environment; never rejects (reports can be large: 64 MiB of output). */
export function govgraph(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
