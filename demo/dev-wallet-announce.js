/* global fetch */
// Loaded by the demo pages (<script type="module" src="/dev-wallet-announce.js">): announces the Dev
// wallet, anvil's funded development account in the page, to the checkout (EIP-6963). Demo only: it
// holds play money, and it is never part of dist/.
const chain = await fetch('/api/dev-chain').then((r) => (r.ok ? r.json() : null));
if (chain) (await import('/dev-wallet/dev-wallet.js')).announceDevWallet({ rpcUrl: chain.rpcUrl });
