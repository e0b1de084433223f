/** What the CLI prints for people: progress on stderr, results on stdout, one line per error. */
export interface CliOutput {
  step(message: string): void;
  result(line: string): void;
  warn(message: string): void;
}

export function terminalOutput(): CliOutput {
  return {
    step: (message) => process.stderr.write(`… ${message}\n`),
    result: (line) => process.stdout.write(`${line}\n`),
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
  };
}

/** One clear line for any error: the typed errors of each module already carry a message meant for people. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
    return `mssp: ${err.message}${cause}`.replace(/\s*\n\s*/g, ' ');
  }
  return `mssp: ${String(err)}`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
