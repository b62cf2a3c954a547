/** Where the command writes: injectable so tests run it in-process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

/** Exit codes (CONTRACT.md §2). */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;
