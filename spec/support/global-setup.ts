import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

// Every test run gets its own scratch folder; tokens and SQLite files made by tests live there.
export default function globalSetup(): void {
  const dir = join(__dirname, '..', '..', '.tmp', `run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.env.MSSP_TEST_SCRATCH = dir;
}
