/** Japanese messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: '決済画面を読み込んでいます…',
  order: (id: string) => `注文番号：${id}`,
  retry: '再試行',
  offline: '決済サーバーとの接続が切れました。再接続しています…',
  notFound: 'この決済が見つかりません。販売者に新しい支払いリンクをお問い合わせください。',
  unreachable: '決済サーバーに接続できませんでした。接続を確認して、もう一度お試しください。',
  failed: (reason: string) => `問題が発生しました：${reason}`,

  expiresIn: (time: string, at: string) => `残り ${time}（${at} に期限切れ）`,
  timeUp: '期限になりました。確認しています…',
  methodGroup: '支払い方法',
  methodOn: (network: string) => `${network} ネットワーク`,

  network: 'ネットワーク',
  token: 'トークン',
  contract: 'コントラクト',
  amount: (token: string) => `金額（${token}）`,
  amountStillDue: (token: string) => `未払い金額（${token}）`,
  address: 'アドレス',
  copy: 'コピー',
  copied: 'コピーしました',
  copyLabel: { amount: '金額をコピー', address: 'アドレスをコピー' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QRコード：${network} で ${address} に ${amount} ${token} を支払う`,
  gasToken: (token: string, coin: string, network: string) =>
    `${token} を送るには、ネットワーク手数料として ${network} 上の ${coin} が少し必要です。`,
  gasUnknownCoin: 'ネットワーク独自のコイン',
  gasNative: 'ネットワーク手数料は金額とは別にかかります。',
  onlyThis: (token: string, network: string) =>
    `${network} 上の ${token} のみを送ってください。他のトークンや他のネットワークでの送金は入金として反映されません。`,
  confirmations: '承認数',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token}、トランザクション ${hash}`,
  transferLate: '期限後',
  transferNotAccepted: '受付不可',
  transferToAbandonedAddress: '以前のアドレス宛て：加盟店が確認します',
  returnToMerchant: '販売者のサイトに戻る',
  sendOnlyOn: (token: string, network: string) => `${token} は ${network} でのみ送金してください。`,
  sameAddressElsewhere:
    '同じアドレスは他のネットワークにも存在しますが、そちらに送金された資金は入金できません。',
  paymentDetails: '支払いの詳細',
  rate: 'レート',
  rateLockedUntil: (time: string) => `${time} まで固定`,
  confirmationsNeeded: '必要な承認数',
  changeMethod: '方法を変更',
  extrasFailed: '支払い画面の一部を読み込めませんでした。以下の支払い情報だけで支払えます。',
  steps: '支払いの進捗',
  stepSent: '送金済み',
  stepConfirming: (seen: number, needed: number) => `承認中 ${seen}/${needed}`,
  stepPaid: '支払い完了',
  receipt: '領収書',
  transfers: (count: number) => `送金（${count}）`,
  receiptPaid: '支払い',
  receiptDate: '日時',
  receiptTransaction: '取引',
  receiptOrder: '注文',
  startAgain: '最初からやり直す',

  // The status line (the live region).
  choose: '支払い方法を選んでください',
  waiting: 'お支払いを待っています',
  confirming: (seen: number, needed: number) => `お支払いを検出しました。承認中 ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `${received} ${token} を受け取りました。残り ${remaining} ${token} のお支払いが必要です`,
  sendRemainder: (remaining: string, token: string) =>
    `残りの ${remaining} ${token} を同じアドレスに送ってください。`,
  paid: 'お支払いを受け取りました。ありがとうございました！',
  overpaid: (excess: string, token: string) =>
    `請求額より ${excess} ${token} 多く受け取りました。超過分は販売者が返金できます。`,
  paidLate: '期限後に受け取りました。販売者がお支払いを確認します。',
  expired: 'この決済は期限切れです。',
  expiredUnpaid: 'この決済ではお支払いを受け付けていません。新しく決済を始めてください。',
  expiredPartly: (received: string, due: string, token: string) =>
    `${due} ${token} のうち ${received} を送金済みです。返金については販売者にお問い合わせください。`,
  canceled: 'この決済はキャンセルされました。',
  canceledButSent: (received: string, token: string) =>
    `それでも ${received} ${token} が届きました。販売者が確認します。`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${network} 上で ${amount} ${token} を受け取りましたが、この決済では受け付けていません。販売者が確認します。`,

  // Paying from a wallet.
  openInWallet: 'ウォレットアプリで開く',
  wallet: {
    group: 'ウォレットで支払う',
    heading: (amount: string, token: string) => `ウォレットから ${amount} ${token} を支払う：`,
    browserWallet: 'ブラウザウォレット',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— スマートフォンのウォレットアプリ',
    orManually: 'または、ご自身で送金してください：',
    connecting: (wallet: string) => `${wallet} の応答を待っています…接続を承認してください。`,
    startingWalletConnect: 'WalletConnect を起動しています…',
    pairing: 'ウォレットアプリでこのコードをスキャンするか、この端末でアプリを開いてください。',
    pairingQr: 'WalletConnect でウォレットアプリを接続するための QR コード',
    openWalletApp: 'ウォレットアプリを開く',
    switching: (wallet: string, network: string) =>
      `確認が表示されたら、${wallet} を ${network} に切り替えてください…`,
    checking: (wallet: string) => `${wallet} の残高を確認しています…`,
    pay: (amount: string, token: string) => `${amount} ${token} を支払う`,
    from: (account: string, wallet: string, network: string) => `${network} 上の ${account}（${wallet}）から`,
    confirm: (wallet: string) => `${wallet} で支払いを承認してください…`,
    openPeer: (wallet: string) => `${wallet} を開く`,
    sent: '送金しました。トランザクション：',
    sentWaiting: 'ネットワークでの承認を待っています…',
    cancel: 'キャンセル',
    retry: '再試行',
    another: '別のウォレットを選ぶ',
    // Errors.
    rejected: 'ウォレットでリクエストを拒否しました。送金は行われていません。',
    wrongNetwork: (network: string) =>
      `ウォレットが別のネットワークに接続されています。${network} に切り替えて（または ${network} を追加して）から、もう一度お試しください。`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `このウォレットの ${network} 上の残高は ${balance} ${token} ですが、お支払い額は ${due} ${token} です。入金するか、別のウォレットを選んでください。`,
    noGas: (coin: string, network: string) =>
      `ネットワーク手数料の支払いに ${network} 上の ${coin} が少し必要ですが、このウォレットには不足しています。入金してから、もう一度お試しください。`,
    disconnected: 'ウォレットの接続が切れました。お支払いにはもう一度接続してください。',
    reverted:
      'ネットワーク上でトランザクションが失敗しました（リバートされました）。支払いは行われていません。もう一度お試しください。',
    busy: 'ウォレットが以前のリクエストへの応答を待っています。ウォレットを開いて応答してから、もう一度お試しください。',
    failed: (reason: string) => `ウォレットで問題が発生しました：${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: '暗号資産で支払う',
    label: '暗号資産での支払い',
    close: '閉じる',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `${merchant} へのお支払い` : 'お支払いを完了してください'),
    returnTo: (merchant: string) => (merchant ? `${merchant} に戻る` : '販売者のサイトに戻る'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `キャンセルして ${merchant} に戻る` : 'キャンセルして販売者のサイトに戻る',
    incomplete: 'この支払いリンクは不完全です。販売者のサイトに戻り、もう一度お支払いを始めてください。',
    returnNote: 'このページを閉じても、お支払いは記録されます。',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `${token} は ${network} でのみ送金してください。他のネットワーク（Ethereum、BNB Smart Chain など）からこのアドレスに送られた ${token} は失われます。`,
    fee: (token: string) =>
      `TRON で ${token} を送金すると、エネルギーとして約 6.4〜13 TRX が消費されます。送金元のウォレットに TRX がないと送金は失敗します。取引所からの出金では取引所がこれを支払います。`,
  },
};
export default messages;
