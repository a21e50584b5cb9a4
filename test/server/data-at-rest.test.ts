// Data at rest: what the server writes to disk is its own user's only.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnBackend } from '../support/backend-process.js';
import { testMerchantWallet } from '../support/stack.js';

/**
 * Every folder under `dir` (itself included) whose mode lets its group or others in, as `path mode`.
 * Files are not checked: PGlite creates its files 0666 whatever the umask, so the folders are what
 * keeps other users out.
 */
async function foldersWiderThanOwner(dir: string): Promise<string[]> {
  const found: string[] = [];
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) found.push(`${dir} ${mode.toString(8)}`);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...(await foldersWiderThanOwner(join(dir, entry.name))));
  }
  return found;
}

describe('data at rest', { timeout: 120_000 }, () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cc-at-rest-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  const env = (dataDir: string) => ({
    CC_DATA_DIR: dataDir,
    CC_XPUB: testMerchantWallet().xpub,
    // No chain node is needed to write the database; the watcher retries in the background.
    CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:9' }]),
  });

  test('a fresh PGlite folder and every folder in it are 0700', async () => {
    const dataDir = join(scratch, 'fresh');
    const backend = await spawnBackend(env(dataDir));
    await backend.kill('SIGTERM');
    assert.ok((await readdir(dataDir)).includes('PG_VERSION'), 'the database was written');
    assert.deepEqual(await foldersWiderThanOwner(dataDir), []);
  });

  test('a folder made earlier with wider permissions is narrowed to its owner at start', async () => {
    const dataDir = join(scratch, 'wide');
    await mkdir(dataDir, { mode: 0o777 });
    await chmod(dataDir, 0o777);
    const backend = await spawnBackend(env(dataDir));
    await backend.kill('SIGTERM');
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  });
});
