/**
 * Runs bench/support/load-client.ts in a child process against a listening server and returns what
 * it measured.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from './load-client.js';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/**
 * Sends `spec`'s requests from a separate process and resolves with its figures.
 * @example const result = await load({ url, connections: 16, repeat: 5000, template: { method: 'GET', path: '/' } });
 */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-bench-load-'));
  const file = join(dir, 'spec.json');
  await writeFile(file, JSON.stringify(spec));
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => {
        if (code !== 0) return reject(new Error(`load client exited ${code}`));
        resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
