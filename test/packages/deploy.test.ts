// The container files hold only what exists, and what the image would run, runs: the Dockerfile and
// compose.yaml parsed with libraries (dockerfile-ast, dclint with the Compose Specification's schema,
// yaml) and checked against the repository, config.ts's environment variables and the tests' anvil;
// then scripts/deploy/build-server.sh — the Dockerfile's build step — assembles the server into a
// temporary folder, which must hold production dependencies only and start with the image's own
// `CMD` and environment on PGlite, pass the image's `HEALTHCHECK` command, and stop on SIGTERM.
// No Docker daemon runs here: the base images and the Dockerfile's few lines around the script are
// what stays untested.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual, promisify } from 'node:util';
import { DCLinter } from 'dclint';
import { satisfies } from 'semver';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';
import { loadConfig, parseConfig } from '@crypto-checkout/server';
import { buildIfStale, REPO } from '../support/built.js';
import { freePort, startAnvil, type Anvil } from '../support/chain.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

/** A configuration loadConfig accepts from the environment alone. */
const BASE_ENV = {
  CC_XPUB: testMerchantWallet().xpub,
  CC_CHAINS: JSON.stringify([
    { key: 'anvil', id: 31337, name: 'Anvil', confirmations: 1, rpc_url: 'http://127.0.0.1:8545' },
  ]),
};

/**
 * Whether the server reads the environment variable `name`, asked of loadConfig itself rather than
 * of config.ts's text: set to a value no setting accepts unchanged, a variable it reads either
 * changes the configuration or is refused; one it ignores does neither.
 */
function serverReads(name: string): boolean {
  const base = loadConfig(BASE_ENV);
  try {
    return !isDeepStrictEqual(loadConfig({ ...BASE_ENV, [name]: 'probe\u0000not a valid value' }), base);
  } catch {
    return true;
  }
}

/** Variables the image sets that are not the server's configuration: Node's and the shell's. */
const PLATFORM_ENV = new Set(['NODE_ENV', 'PATH']);

/** One Dockerfile instruction with the stage it belongs to. */
interface Step {
  stage: string;
  keyword: string;
  instruction: Instruction;
  args: string[];
}

function readDockerfile() {
  const dockerfile = DockerfileParser.parse(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  const steps: Step[] = [];
  let stage = '';
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArguments().map((arg) => arg.getValue());
    if (keyword === 'FROM') stage = args[2] ?? args[0]!;
    steps.push({ stage, keyword, instruction, args });
  }
  /** An exec-form (JSON) command: CMD's own, or what follows HEALTHCHECK's `CMD`. */
  const execForm = (step: Step): string[] => {
    const content = step.instruction.getArgumentsContent() ?? '';
    const json = step.keyword === 'HEALTHCHECK' ? content.slice(content.indexOf('CMD') + 3) : content;
    return JSON.parse(json.replace(/\\\n/g, '')) as string[];
  };
  const runtime = steps.filter((step) => step.stage === 'runtime');
  const env = Object.fromEntries(
    runtime
      .filter((step) => step.keyword === 'ENV')
      .flatMap((step) =>
        (
          step.instruction as unknown as {
            getProperties(): { getName(): string; getValue(): string | null }[];
          }
        ).getProperties(),
      )
      .map((property) => [property.getName(), property.getValue() ?? '']),
  );
  const only = (keyword: string) => {
    const found = runtime.filter((step) => step.keyword === keyword);
    assert.equal(found.length, 1, `the runtime stage has one ${keyword}`);
    return found[0]!;
  };
  return {
    steps,
    initialArgs: Object.fromEntries(
      dockerfile.getInitialARGs().map((arg) => [arg.getProperty()!.getName(), arg.getProperty()!.getValue()]),
    ),
    runtimeEnv: env,
    cmd: execForm(only('CMD')),
    healthcheck: execForm(only('HEALTHCHECK')),
    user: only('USER').args[0],
  };
}

/** Compose's `${NAME:-default}` / `${NAME:?error}` / `${NAME}` with the value `vars` gives (or the default). */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, kind?: string, rest?: string) => {
      if (vars[name]) return vars[name];
      if (kind === '-') return rest ?? '';
      throw new Error(`${name} is required: ${rest ?? ''}`);
    },
  );
}

const lintCompose = (file: string) =>
  new DCLinter({
    // Ordering rules are taste; the schema, port bindings, quoting and the rest stay on.
    rules: {
      'service-keys-order': 0,
      'services-alphabetical-order': 0,
      'service-dependencies-alphabetical-order': 0,
    },
    quiet: false,
    debug: false,
    exclude: [],
  })
    .lintFiles([file], false)[0]!
    .messages.map((message) => `${message.rule}: ${message.message}`);

describe('the Dockerfile', () => {
  const image = readDockerfile();

  test('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    const copies = image.steps.filter(
      (step) => step.keyword === 'COPY' && !step.args.some((arg) => arg.startsWith('--from')),
    );
    assert.ok(copies.length >= 2);
    for (const step of copies) {
      if ((step.instruction as unknown as { getFromFlag(): unknown }).getFromFlag()) continue;
      for (const source of step.args.slice(0, -1)) {
        assert.ok(existsSync(join(REPO, source)), `COPY ${source}: no such file`);
        assert.ok(!ignored.includes(source), `COPY ${source}: .dockerignore leaves it out of the context`);
      }
    }
    // The context leaves out what must never be in an image: local secrets, data, installed modules.
    for (const secret of ['.env', '.data', '.data.key', 'node_modules', '.git'])
      assert.ok(ignored.includes(secret), secret);
  });

  test('runs the build script the tests run, and it exists and is executable', () => {
    const scripts = image.steps
      .filter((step) => step.keyword === 'RUN')
      .flatMap((step) => step.args.filter((arg) => arg.startsWith('scripts/')));
    assert.deepEqual(scripts, ['scripts/deploy/build-server.sh']);
    accessSync(join(REPO, scripts[0]!), constants.X_OK);
  });

  test('builds on the Node major that runs these tests, which the engines admit', () => {
    assert.equal(image.initialArgs.NODE_VERSION, process.versions.node.split('.')[0]);
    const { engines } = JSON.parse(readFileSync(join(REPO, 'packages/server/package.json'), 'utf8')) as {
      engines: { node: string };
    };
    assert.ok(satisfies(process.version, engines.node), `${process.version} is not in ${engines.node}`);
    const froms = image.steps.filter((step) => step.keyword === 'FROM').map((step) => step.args[0]);
    assert.deepEqual(froms, ['node:${NODE_VERSION}-bookworm-slim', 'node:${NODE_VERSION}-bookworm-slim']);
  });

  test('runs as a non-root user, with node on the compiled server, and sets only variables the server reads', () => {
    assert.ok(image.user && image.user !== 'root' && image.user !== '0');
    assert.deepEqual(image.cmd, ['node', 'node_modules/@crypto-checkout/server/dist/main.js']);
    assert.equal(image.healthcheck[0], 'node');
    assert.match(image.healthcheck.join(' '), /\/health`/);
    for (const name of Object.keys(image.runtimeEnv))
      assert.ok(
        PLATFORM_ENV.has(name) || serverReads(name),
        `ENV ${name} is read by neither the server nor Node`,
      );
    assert.equal(image.runtimeEnv.NODE_ENV, 'production');
    assert.equal(image.runtimeEnv.HOST, '0.0.0.0', 'a container must listen beyond its own loopback');
  });
});

describe('compose.yaml', () => {
  const file = join(REPO, 'compose.yaml');
  const compose = parseYaml(readFileSync(file, 'utf8')) as {
    services: Record<
      string,
      {
        build?: string;
        image?: string;
        environment?: Record<string, string>;
        volumes?: string[];
        profiles?: string[];
        healthcheck?: unknown;
      }
    >;
  };
  const vars = {
    POSTGRES_PASSWORD: 'a'.repeat(48),
    CC_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  test('is valid against the Compose Specification, and the linter sees a mistake when there is one', () => {
    assert.deepEqual(lintCompose(file), []);
    const broken = join(tmpdir(), `cc-compose-${process.pid}.yaml`);
    try {
      // A misspelt key, which Compose would refuse: the check can fail.
      const text = readFileSync(file, 'utf8').replace('    healthcheck:', '    helthcheck:');
      writeFileSync(broken, text);
      assert.match(lintCompose(broken).join('\n'), /invalid-schema/);
    } finally {
      rmSync(broken, { force: true });
    }
  });

  test('builds the server from this Dockerfile and passes it only variables the server reads', () => {
    const server = compose.services.server!;
    assert.equal(server.build, '.');
    assert.ok(existsSync(join(REPO, 'Dockerfile')));
    // The probe tells a variable the server ignores from one it reads.
    assert.equal(serverReads('NODE_ENV'), false);
    assert.equal(serverReads('CC_XPUB'), true);
    for (const name of Object.keys(server.environment ?? {}))
      assert.ok(serverReads(name), `the server does not read ${name}`);
    // The secrets have no default: compose refuses to start without them.
    assert.throws(
      () => interpolate(server.environment!.CC_ENCRYPTION_KEY!, {}),
      /CC_ENCRYPTION_KEY is required/,
    );
    assert.throws(() => interpolate(server.environment!.DATABASE_URL!, {}), /POSTGRES_PASSWORD is required/);
  });

  test('mounts a configuration file that exists and that, with the environment compose sets, is valid', () => {
    const server = compose.services.server!;
    const mounts = (server.volumes ?? []).map((volume) => interpolate(volume, vars).split(':'));
    const config = mounts.find(([, target]) => target === server.environment!.CC_CONFIG);
    assert.ok(config, 'CC_CONFIG names a mounted file');
    const source = join(REPO, config[0]!);
    assert.ok(existsSync(source), `${config[0]} does not exist`);
    const env = Object.fromEntries(
      Object.entries(server.environment!).map(([name, value]) => [name, interpolate(value, vars)]),
    );
    const parsed = parseConfig({
      ...(JSON.parse(readFileSync(source, 'utf8')) as object),
      database_url: env.DATABASE_URL,
      encryption_key: env.CC_ENCRYPTION_KEY,
      public_url: env.CC_PUBLIC_URL,
    });
    assert.equal(parsed.chains[0]!.rpc_url, 'http://anvil:8545');
    assert.match(parsed.database_url!, /@postgres:5432\//);
  });

  test('has PostgreSQL with a health check, and under the "try" profile the anvil release the tests run', () => {
    assert.ok(compose.services.postgres!.healthcheck);
    const anvil = compose.services.anvil!;
    assert.deepEqual(anvil.profiles, ['try']);
    const installed = (
      JSON.parse(readFileSync(join(REPO, 'node_modules/@foundry-rs/anvil/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    assert.equal(anvil.image, `ghcr.io/foundry-rs/foundry:v${installed}`);
  });
});

describe('the image’s server folder, built by scripts/deploy/build-server.sh', { timeout: 300_000 }, () => {
  let out: string;
  let data: string;
  let anvil: Anvil;
  const image = readDockerfile();

  before(async () => {
    await buildIfStale();
    out = join(await mkdtemp(join(tmpdir(), 'cc-image-')), 'app');
    data = await mkdtemp(join(tmpdir(), 'cc-image-data-'));
    anvil = await startAnvil();
    const started = performance.now();
    // The Dockerfile's own step, less what this test run has done already (install and build).
    await run(
      join(REPO, 'scripts/deploy/build-server.sh'),
      [out, '--skip-install', '--skip-build', '--offline'],
      {
        cwd: REPO,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    console.log(`build-server.sh (assemble only): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
  after(async () => {
    await anvil?.stop();
    if (out) await rm(join(out, '..'), { recursive: true, force: true });
    if (data) await rm(data, { recursive: true, force: true });
  });

  test('holds the compiled server and its production dependencies only: no sources, no dev tool', () => {
    const names = readdirSync(join(out, 'node_modules')).flatMap((entry) =>
      entry.startsWith('@')
        ? readdirSync(join(out, 'node_modules', entry)).map((inner) => `${entry}/${inner}`)
        : [entry],
    );
    const server = JSON.parse(readFileSync(join(REPO, 'packages/server/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(server.dependencies))
      assert.ok(
        names.includes(name) ||
          existsSync(join(out, 'node_modules/@crypto-checkout/server/node_modules', name)),
        `${name} is missing`,
      );
    const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const devOnly = Object.keys(root.devDependencies).filter((name) => !server.dependencies[name]);
    const present = devOnly.filter((name) => names.includes(name));
    // A dev tool may come in only as some production dependency's own dependency (ajv for fastify).
    const lock = JSON.parse(readFileSync(join(out, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    for (const name of present)
      assert.ok(lock.packages[`node_modules/${name}`], `${name} is not in the lock`);
    for (const tool of [
      'typescript',
      'tsx',
      'vite',
      'esbuild',
      'eslint',
      'prettier',
      '@foundry-rs/anvil',
      'playwright',
      'lit',
    ])
      assert.ok(!names.includes(tool), `${tool} has no place in the image`);
    assert.ok(existsSync(join(out, 'node_modules/@crypto-checkout/server/LICENSE')));
    assert.ok(!existsSync(join(out, 'node_modules/@crypto-checkout/server/src')), 'no TypeScript sources');
  });

  test('starts with the image’s CMD and environment on PGlite, passes its HEALTHCHECK, stops on SIGTERM', async () => {
    const port = String(await freePort());
    const encryptionKey = Buffer.alloc(32, 9).toString('base64');
    const env = {
      ...image.runtimeEnv,
      PATH: `${join(out, 'node_modules/.bin')}:${process.env.PATH}`,
      // This machine, not a container: a free port on loopback, and a temporary /data.
      HOST: '127.0.0.1',
      PORT: port,
      CC_DATA_DIR: join(data, 'pglite'),
      CC_ENCRYPTION_KEY: encryptionKey,
      CC_XPUB: testMerchantWallet().xpub,
      CC_CHAINS: JSON.stringify([
        { key: 'anvil', id: 31337, name: 'Anvil', confirmations: 1, rpc_url: anvil.rpcUrl },
      ]),
    };
    const [command, ...args] = image.cmd;
    const child = spawn(command === 'node' ? process.execPath : command!, args, {
      cwd: out,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ended = false;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        ended = true;
        resolve(code);
      }),
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const healthcheck = () => {
      const [check, ...checkArgs] = image.healthcheck;
      return new Promise<number | null>((resolve) => {
        const probe = spawn(check === 'node' ? process.execPath : check!, checkArgs, {
          env,
          stdio: 'ignore',
        });
        probe.once('exit', (code) => resolve(code));
      });
    };
    try {
      await waitFor(
        () => {
          if (ended) throw new Error(`the server exited: ${output}`);
          return output.includes('is listening');
        },
        30_000,
        'the server to listen',
      );
      assert.equal(await healthcheck(), 0, output);
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { database: string };
      assert.equal(health.database, 'pglite');
      // PGlite's folder is the server user's alone (umask 077), as the image's /data volume holds it.
      assert.equal(statSync(join(data, 'pglite')).mode & 0o077, 0);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
    assert.notEqual(await healthcheck(), 0, 'the health check fails once the server is gone');
    assert.ok(!output.includes(encryptionKey), 'the encryption key is in no log line');
    for (const line of output.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  });
});
