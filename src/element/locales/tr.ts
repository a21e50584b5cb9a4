/** Turkish messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Ödeme yükleniyor…',
  order: (id: string) => `Sipariş ${id}`,
  retry: 'Tekrar dene',
  offline: 'Ödeme sunucusuyla bağlantı kesildi. Yeniden deneniyor…',
  notFound: 'Bu ödeme bulunamadı. Lütfen satıcıdan yeni bir ödeme bağlantısı isteyin.',
  unreachable: 'Ödeme sunucusuna ulaşılamadı. Bağlantınızı kontrol edip tekrar deneyin.',
  failed: (reason: string) => `Bir sorun oluştu: ${reason}`,

  expiresIn: (time: string, at: string) => `${time} içinde sona eriyor (saat ${at})`,
  timeUp: 'Süre doldu, kontrol ediliyor…',
  methodGroup: 'Ödeme yöntemi',
  methodOn: (network: string) => `${network} ağında`,

  network: 'Ağ',
  token: 'Token',
  contract: 'kontrat',
  amount: (token: string) => `Tutar (${token})`,
  amountStillDue: (token: string) => `Kalan tutar (${token})`,
  address: 'Adres',
  copy: 'Kopyala',
  copied: 'Kopyalandı',
  copyLabel: { amount: 'Tutarı kopyala', address: 'Adresi kopyala' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QR kodu: ${network} ağında ${address} adresine ${amount} ${token} ödeyin`,
  gasToken: (token: string, coin: string, network: string) =>
    `${token} göndermek için ağ ücretini ödemek üzere ${network} ağında biraz ${coin} gerekir.`,
  gasUnknownCoin: 'ağın kendi kripto parası',
  gasNative: 'Ağ ücreti tutara ek olarak ödenir.',
  onlyThis: (token: string, network: string) =>
    `Yalnızca ${network} ağında ${token} gönderin; başka tokenler veya ağlar hesaba geçirilemez.`,
  confirmations: 'Onaylar',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token}, işlem ${hash}`,
  transferLate: 'geç',
  transferNotAccepted: 'kabul edilmedi',
  transferToAbandonedAddress: 'önceki bir adrese: satıcı inceleyecek',
  returnToMerchant: 'Satıcıya geri dön',
  sendOnlyOn: (token: string, network: string) => `${token} yalnızca ${network} ağında gönderin.`,
  sameAddressElsewhere: 'Aynı adres başka ağlarda da vardır, ancak oraya gönderilen para hesaba geçirilemez.',
  paymentDetails: 'Ödeme ayrıntıları',
  rate: 'Kur',
  rateLockedUntil: (time: string) => `${time} saatine kadar sabit`,
  confirmationsNeeded: 'Gereken onay',
  changeMethod: 'Yöntemi değiştir',
  extrasFailed: 'Ödeme sayfasının bir kısmı yüklenemedi. Aşağıdaki ödeme bilgileri yeterlidir.',
  steps: 'Ödeme durumu',
  stepSent: 'Gönderildi',
  stepConfirming: (seen: number, needed: number) => `Onaylanıyor ${seen}/${needed}`,
  stepPaid: 'Ödendi',
  receipt: 'Makbuz',
  transfers: (count: number) => `Transferler (${count})`,
  receiptPaid: 'Ödendi',
  receiptDate: 'Tarih',
  receiptTransaction: 'İşlem',
  receiptOrder: 'Sipariş',
  startAgain: 'Yeniden başla',

  // The status line (the live region).
  choose: 'Ödeme yöntemini seçin',
  waiting: 'Ödeme bekleniyor',
  confirming: (seen: number, needed: number) => `Ödeme görüldü — onaylanıyor ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `${received} ${token} alındı — ${remaining} ${token} daha ödenmeli`,
  sendRemainder: (remaining: string, token: string) =>
    `Kalan ${remaining} ${token} tutarını aynı adrese gönderin.`,
  paid: 'Ödeme alındı. Teşekkürler!',
  overpaid: (excess: string, token: string) =>
    `Ödenmesi gerekenden ${excess} ${token} fazla alındı; satıcı fazlasını iade edebilir.`,
  paidLate: 'Süre dolduktan sonra alındı — satıcı ödemenizi inceleyecek.',
  expired: 'Bu ödemenin süresi doldu.',
  expiredUnpaid: 'Bu ödeme için artık transfer kabul edilmiyor. Lütfen yeni bir ödeme başlatın.',
  expiredPartly: (received: string, due: string, token: string) =>
    `${due} ${token} tutarından ${received} ${token} gönderdiniz; iade için satıcıyla iletişime geçin.`,
  canceled: 'Bu ödeme iptal edildi.',
  canceledButSent: (received: string, token: string) =>
    `Yine de ${received} ${token} alındı; satıcı bunu inceleyecek.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${network} ağında ${amount} ${token} alındı, ancak bu ödemede kabul edilmiyor. Satıcı bunu inceleyecek.`,

  // Paying from a wallet.
  openInWallet: 'Cüzdan uygulamasında aç',
  wallet: {
    group: 'Cüzdanla öde',
    heading: (amount: string, token: string) => `${amount} ${token} tutarını bir cüzdandan ödeyin:`,
    browserWallet: 'Tarayıcı cüzdanı',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— telefonunuzdaki bir cüzdan uygulaması',
    orManually: 'Ya da kendiniz gönderin:',
    connecting: (wallet: string) => `${wallet} bekleniyor… Bağlantıyı orada onaylayın.`,
    startingWalletConnect: 'WalletConnect başlatılıyor…',
    pairing: 'Bu kodu cüzdan uygulamanızla tarayın veya uygulamayı bu cihazda açın.',
    pairingQr: 'Bir cüzdan uygulamasını WalletConnect ile bağlamak için QR kodu',
    openWalletApp: 'Cüzdan uygulamasını aç',
    switching: (wallet: string, network: string) =>
      `İstendiğinde ${wallet} cüzdanını ${network} ağına geçirin…`,
    checking: (wallet: string) => `${wallet} içindeki bakiye kontrol ediliyor…`,
    pay: (amount: string, token: string) => `${amount} ${token} öde`,
    from: (account: string, wallet: string, network: string) =>
      `${network} ağındaki ${account} hesabından (${wallet})`,
    confirm: (wallet: string) => `Ödemeyi ${wallet} içinde onaylayın…`,
    openPeer: (wallet: string) => `${wallet} uygulamasını aç`,
    sent: 'Şu işlemle gönderildi:',
    sentWaiting: 'Ağın onaylaması bekleniyor…',
    cancel: 'İptal',
    retry: 'Tekrar dene',
    another: 'Başka bir cüzdan seç',
    // Errors.
    rejected: 'İsteği cüzdanınızda reddettiniz; hiçbir şey gönderilmedi.',
    wrongNetwork: (network: string) =>
      `Cüzdanınız başka bir ağda. ${network} ağına geçin (veya cüzdanın ${network} ağını eklemesine izin verin), ardından tekrar deneyin.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `Bu cüzdanda ${network} ağında ${balance} ${token} var, ancak ödenmesi gereken tutar ${due} ${token}. Bakiye ekleyin veya başka bir cüzdan seçin.`,
    noGas: (coin: string, network: string) =>
      `Bu cüzdanda ağ ücreti için ${network} ağında biraz ${coin} gerekiyor, ancak yeterince yok. Biraz ekleyip tekrar deneyin.`,
    disconnected: 'Cüzdanınızın bağlantısı kesildi. Ödemek için yeniden bağlayın.',
    reverted: 'İşlem ağda başarısız oldu (geri alındı); hiçbir ödeme yapılmadı. Tekrar deneyin.',
    busy: 'Cüzdanınız önceki bir isteğe yanıt bekliyor: cüzdanı açın, isteği yanıtlayın ve tekrar deneyin.',
    failed: (reason: string) => `Cüzdan bir sorun bildirdi: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Kriptoyla öde',
    label: 'Kripto ödeme',
    close: 'Kapat',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Ödeme: ${merchant}` : 'Ödemenizi tamamlayın'),
    returnTo: (merchant: string) => (merchant ? `${merchant} sitesine dön` : 'Satıcının sitesine dön'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `İptal et ve ${merchant} sitesine dön` : 'İptal et ve satıcının sitesine dön',
    incomplete: 'Bu ödeme bağlantısı eksik. Satıcının sitesine dönüp ödemeyi yeniden başlatın.',
    returnNote: 'Bu sayfayı kapatsanız bile ödemeniz kaydedilir.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `${token} yalnızca ${network} ağında gönderin. Başka bir ağdan (Ethereum, BNB Smart Chain, …) bu adrese gönderilen ${token} kaybolur.`,
    fee: (token: string) =>
      `TRON'da ${token} göndermek enerji için yaklaşık 6,4–13 TRX yakar: gönderen cüzdanda TRX bulundurun, yoksa transfer başarısız olur. Borsadan çekimde bu ücreti borsa öder.`,
  },
};
export default messages;
