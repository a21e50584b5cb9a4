/**
 * `sweep --export` on a Litecoin chain, end to end on litecoind regtest: three sessions paid, the
 * CLI writes one PSBT (built with @scure/btc-signer), an independent library (bitcoinjs-lib) parses
 * it, signs it with the test seed through the BIP32 derivations it carries, finalizes it, the node
 * accepts and mines it, and the destination receives exactly the coins minus the fee.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import * as bitcoinjs from 'bitcoinjs-lib';
import type { Session } from '@crypto-checkout/protocol';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import { parseConfig, type Config } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { toAtomic } from '../../packages/server/src/money.js';
import { litecoindMissing, startLitecoind, TEST_VERSIONS, type Litecoind } from '../support/litecoind.js';
import { hdSigner, LTC, LTC_REGTEST } from '../support/psbt-signer.js';
import { testSecretBox } from '../support/app.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';
import { waitForPaid } from '../support/wait.js';

describe('sweep --export on Litecoin: a PSBT the merchant signs', { skip: litecoindMissing }, () => {
  let node: Litecoind;
  let dataDir: string;
  let config: Config;
  let server: RunningServer;
  const secretKey = testSecretKey();
  const encryptionKey = randomBytes(32).toString('base64');
  recordSecrets(encryptionKey);
  const seed = HDKey.fromMasterSeed(randomBytes(32), TEST_VERSIONS);
  const account = seed.derive("m/84'/1'/0'");
  const paid: { address: string; atomic: bigint }[] = [];

  before(async () => {
    node = await startLitecoind();
    dataDir = await mkdtemp(join(tmpdir(), 'cc-psbt-'));
    config = parseConfig({
      port: 0,
      data_dir: dataDir,
      encryption_key: encryptionKey,
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'litecoin-regtest',
          rpc_url: node.rpcUrl,
          xpub: account.publicExtendedKey,
          confirmations: 2,
          polling_interval_ms: 100,
        },
      ],
      rates: { LTC: '100' },
      log_level: 'warn',
      limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
    });
    server = await startServer(config, { logger: testLogger() });
    await waitFor(
      () => server.watchers.every((w) => (w.status().processed ?? null) !== null),
      30_000,
      'watchers',
    );
    const sessions: Session[] = [];
    for (const amount of ['10.00', '2.50', '7.77']) {
      const response = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount, currency: 'USD', methods: [LTC] }),
      });
      assert.equal(response.status, 201);
      const session = (await response.json()) as Session;
      recordSecrets(session.client_secret);
      sessions.push(session);
      const chosen = await server.app.sessions.choosePayment(session.id, LTC);
      const { address, amount_due } = chosen.payment!;
      await node.pay(address, amount_due);
      paid.push({ address, atomic: toAtomic(amount_due, 8) });
    }
    await node.mine(2);
    await waitForPaid(server.app.store.db, 3, 20_000);
  });

  after(async () => {
    await server?.stop();
    await node?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('bitcoinjs-lib parses and signs the PSBT; the node mines it; --to gets the sum less the fee', async () => {
    const to = await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer');
    const file = join(dataDir, 'sweep.psbt');
    const lines: string[] = [];
    const origin = `[${seed.fingerprint.toString(16).padStart(8, '0')}/84'/1'/0']`;
    await sweepCommand.run(
      { config, db: server.app.store.db, secrets: testSecretBox, print: (l) => lines.push(l) },
      { chain: 'litecoin-regtest', export: file, to, 'fee-rate': '3', 'key-origin': origin },
      [],
    );
    assert.match(lines.join('\n'), /3 coin\(s\)/);
    const psbt = bitcoinjs.Psbt.fromBase64((await readFile(file, 'utf8')).trim(), { network: LTC_REGTEST });

    // The inputs are exactly the three payments, each with its witness UTXO and its seed path.
    const total = paid.reduce((sum, p) => sum + p.atomic, 0n);
    assert.equal(psbt.inputCount, 3);
    const spent = psbt.data.inputs.map((input) => {
      assert.ok(input.witnessUtxo, 'witness UTXO');
      const [derivation] = input.bip32Derivation!;
      assert.equal(Buffer.from(derivation!.masterFingerprint).readUInt32BE(0), seed.fingerprint);
      assert.match(derivation!.path, /^m\/84'\/1'\/0'\/0\/\d+$/);
      assert.deepEqual(
        Buffer.from(derivation!.pubkey),
        Buffer.from(seed.derive(derivation!.path).publicKey!),
      );
      return {
        address: bitcoinjs.address.fromOutputScript(input.witnessUtxo.script, LTC_REGTEST),
        atomic: input.witnessUtxo.value,
      };
    });
    assert.deepEqual(
      spent.sort((a, b) => a.address.localeCompare(b.address)),
      [...paid].sort((a, b) => a.address.localeCompare(b.address)),
    );
    assert.equal(psbt.txOutputs.length, 1);
    assert.equal(psbt.txOutputs[0]!.address, to);
    const fee = total - psbt.txOutputs[0]!.value;

    psbt.signAllInputsHD(hdSigner(seed));
    assert.ok(
      psbt.validateSignaturesOfAllInputs((pubkey, hash, signature) =>
        secp256k1.verify(signature, hash, pubkey, { prehash: false }),
      ),
    );
    psbt.finalizeAllInputs();
    const signed = psbt.extractTransaction();
    // The fee is the asked 3 sat/vB over an upper bound of the signed size, and not more than 1 vB over.
    assert.ok(fee >= BigInt(signed.virtualSize() * 3), `fee ${fee} for ${signed.virtualSize()} vB`);
    assert.ok(fee <= BigInt((signed.virtualSize() + 3) * 3), `fee ${fee} for ${signed.virtualSize()} vB`);

    const txid = await node.rpc<string>('sendrawtransaction', [signed.toHex()]);
    await node.mine(1);
    const received = await node.rpc<{ txid: string; amount: string }[]>(
      'listunspent',
      [1, 9_999_999, [to]],
      'buyer',
    );
    assert.deepEqual(
      received.map((u) => [u.txid, toAtomic(u.amount, 8)]),
      [[txid, total - fee]],
    );
    // Nothing left to sweep: the next export says so instead of making an empty PSBT.
    await assert.rejects(
      sweepCommand.run(
        { config, db: server.app.store.db, secrets: testSecretBox, print: () => {} },
        { chain: 'litecoin-regtest', to, 'fee-rate': '3' },
        [],
      ),
      /no coins with 2 confirmations/,
    );
  });

  test('a destination of another network and a bad key origin are refused', async () => {
    const run = (flags: Record<string, string>) =>
      sweepCommand.run(
        { config, db: server.app.store.db, secrets: testSecretBox, print: () => {} },
        { chain: 'litecoin-regtest', ...flags },
        [],
      );
    await assert.rejects(
      run({ to: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' }),
      /not a Litecoin address of this network/,
    );
    await assert.rejects(run({ to: paid[0]!.address, 'key-origin': 'nope' }), /--key-origin/);
    // Without --to the sweep would go to a treasury address; everything is swept already.
    await assert.rejects(run({}), /no coins with 2 confirmations/);
    // The dry run over every chain notes what a chain lacks and goes on.
    const lines: string[] = [];
    await sweepCommand.run(
      { config, db: server.app.store.db, secrets: testSecretBox, print: (l) => lines.push(l) },
      {},
      [],
    );
    assert.deepEqual(lines, ['litecoin-regtest: no coins with 2 confirmations at the deposit addresses']);
  });
});
