/** German messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Zahlung wird geladen…',
  order: (id: string) => `Bestellung ${id}`,
  retry: 'Erneut versuchen',
  offline: 'Verbindung zum Zahlungsserver unterbrochen. Neuer Versuch…',
  notFound:
    'Dieser Zahlungsvorgang wurde nicht gefunden. Bitte fordern Sie beim Händler einen neuen Zahlungslink an.',
  unreachable:
    'Der Zahlungsserver ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  failed: (reason: string) => `Etwas ist schiefgelaufen: ${reason}`,

  expiresIn: (time: string, at: string) => `Läuft ab in ${time} (um ${at})`,
  timeUp: 'Zeit abgelaufen, wird geprüft…',
  methodGroup: 'Zahlungsmethode',
  methodOn: (network: string) => `auf ${network}`,

  network: 'Netzwerk',
  token: 'Token',
  contract: 'Vertrag',
  amount: (token: string) => `Betrag (${token})`,
  amountStillDue: (token: string) => `Offener Betrag (${token})`,
  address: 'Adresse',
  copy: 'Kopieren',
  copied: 'Kopiert',
  copyLabel: { amount: 'Betrag kopieren', address: 'Adresse kopieren' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QR-Code: ${amount} ${token} auf ${network} an ${address} zahlen`,
  gasToken: (token: string, coin: string, network: string) =>
    `Zum Senden von ${token} brauchen Sie etwas ${coin} auf ${network} für die Netzwerkgebühr.`,
  gasUnknownCoin: 'von der eigenen Währung des Netzwerks',
  gasNative: 'Die Netzwerkgebühr fällt zusätzlich zum Betrag an.',
  onlyThis: (token: string, network: string) =>
    `Senden Sie nur ${token} auf ${network}; andere Token oder Netzwerke können nicht gutgeschrieben werden.`,
  confirmations: 'Bestätigungen',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} in Transaktion ${hash}`,
  transferLate: 'verspätet',
  transferNotAccepted: 'nicht akzeptiert',
  transferToAbandonedAddress: 'an eine frühere Adresse: der Händler prüft sie',
  returnToMerchant: 'Zurück zum Händler',
  sendOnlyOn: (token: string, network: string) => `${token} nur auf ${network} senden.`,
  sameAddressElsewhere:
    'Dieselbe Adresse gibt es auf anderen Netzwerken, doch dorthin gesendetes Geld kann nicht gutgeschrieben werden.',
  paymentDetails: 'Zahlungsdetails',
  rate: 'Kurs',
  rateLockedUntil: (time: string) => `fest bis ${time}`,
  confirmationsNeeded: 'Benötigte Bestätigungen',
  changeMethod: 'Methode ändern',
  extrasFailed:
    'Ein Teil der Zahlungsseite konnte nicht geladen werden. Die Zahlungsdaten unten genügen zum Bezahlen.',
  steps: 'Zahlungsfortschritt',
  stepSent: 'Gesendet',
  stepConfirming: (seen: number, needed: number) => `Bestätigung ${seen}/${needed}`,
  stepPaid: 'Bezahlt',
  receipt: 'Beleg',
  transfers: (count: number) => `Transaktionen (${count})`,
  receiptPaid: 'Bezahlt',
  receiptDate: 'Datum',
  receiptTransaction: 'Transaktion',
  receiptOrder: 'Bestellung',
  startAgain: 'Neu beginnen',

  // The status line (the live region).
  choose: 'Wählen Sie, wie Sie bezahlen möchten',
  waiting: 'Warten auf Zahlung',
  confirming: (seen: number, needed: number) => `Zahlung erkannt – Bestätigung ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `${received} ${token} erhalten – ${remaining} ${token} noch offen`,
  sendRemainder: (remaining: string, token: string) =>
    `Senden Sie die restlichen ${remaining} ${token} an dieselbe Adresse.`,
  paid: 'Zahlung erhalten. Vielen Dank!',
  overpaid: (excess: string, token: string) =>
    `Es sind ${excess} ${token} mehr als fällig eingegangen; der Händler kann den Mehrbetrag erstatten.`,
  paidLate: 'Nach Ablauf eingegangen – der Händler prüft Ihre Zahlung.',
  expired: 'Dieser Zahlungsvorgang ist abgelaufen.',
  expiredUnpaid:
    'Zahlungen für diesen Vorgang werden nicht mehr angenommen. Bitte starten Sie einen neuen Zahlungsvorgang.',
  expiredPartly: (received: string, due: string, token: string) =>
    `Sie haben ${received} von ${due} ${token} gesendet; wenden Sie sich wegen einer Erstattung an den Händler.`,
  canceled: 'Diese Zahlung wurde storniert.',
  canceledButSent: (received: string, token: string) =>
    `Trotzdem sind dafür ${received} ${token} eingegangen; der Händler wird das prüfen.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${amount} ${token} auf ${network} sind eingegangen, werden von diesem Zahlungsvorgang aber nicht akzeptiert. Der Händler wird das prüfen.`,

  // Paying from a wallet.
  openInWallet: 'In Wallet-App öffnen',
  wallet: {
    group: 'Mit einer Wallet bezahlen',
    heading: (amount: string, token: string) => `${amount} ${token} aus einer Wallet bezahlen:`,
    browserWallet: 'Browser-Wallet',
    walletConnect: 'WalletConnect',
    walletConnectHint: '– eine Wallet-App auf Ihrem Smartphone',
    orManually: 'Oder selbst senden:',
    connecting: (wallet: string) => `Warten auf ${wallet}… Bestätigen Sie dort die Verbindung.`,
    startingWalletConnect: 'WalletConnect wird gestartet…',
    pairing: 'Scannen Sie diesen Code mit Ihrer Wallet-App oder öffnen Sie die App auf diesem Gerät.',
    pairingQr: 'QR-Code, um eine Wallet-App über WalletConnect zu verbinden',
    openWalletApp: 'Wallet-App öffnen',
    switching: (wallet: string, network: string) =>
      `Wechseln Sie in ${wallet} zu ${network}, wenn Sie dazu aufgefordert werden…`,
    checking: (wallet: string) => `Guthaben in ${wallet} wird geprüft…`,
    pay: (amount: string, token: string) => `${amount} ${token} bezahlen`,
    from: (account: string, wallet: string, network: string) => `von ${account} (${wallet}) auf ${network}`,
    confirm: (wallet: string) => `Bestätigen Sie die Zahlung in ${wallet}…`,
    openPeer: (wallet: string) => `${wallet} öffnen`,
    sent: 'Gesendet in Transaktion',
    sentWaiting: 'Warten auf Bestätigung durch das Netzwerk…',
    cancel: 'Abbrechen',
    retry: 'Erneut versuchen',
    another: 'Andere Wallet wählen',
    // Errors.
    rejected: 'Sie haben die Anfrage in Ihrer Wallet abgelehnt; es wurde nichts gesendet.',
    wrongNetwork: (network: string) =>
      `Ihre Wallet ist mit einem anderen Netzwerk verbunden. Wechseln Sie zu ${network} (oder lassen Sie die Wallet ${network} hinzufügen) und versuchen Sie es erneut.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `Diese Wallet hat ${balance} ${token} auf ${network}, fällig sind aber ${due} ${token}. Laden Sie Guthaben auf oder wählen Sie eine andere Wallet.`,
    noGas: (coin: string, network: string) =>
      `Diese Wallet braucht etwas ${coin} auf ${network} für die Netzwerkgebühr, hat aber zu wenig. Laden Sie etwas auf und versuchen Sie es erneut.`,
    disconnected: 'Ihre Wallet wurde getrennt. Verbinden Sie sie erneut, um zu bezahlen.',
    reverted:
      'Die Transaktion ist im Netzwerk fehlgeschlagen (sie wurde rückgängig gemacht); es wurde nichts bezahlt. Versuchen Sie es erneut.',
    busy: 'Ihre Wallet wartet auf eine Antwort zu einer früheren Anfrage: Öffnen Sie sie, beantworten Sie die Anfrage und versuchen Sie es dann erneut.',
    failed: (reason: string) => `Die Wallet hat ein Problem gemeldet: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Mit Krypto bezahlen',
    label: 'Krypto-Zahlung',
    close: 'Schließen',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Zahlung an ${merchant}` : 'Zahlung abschließen'),
    returnTo: (merchant: string) => (merchant ? `Zurück zu ${merchant}` : 'Zurück zum Händler'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Abbrechen und zurück zu ${merchant}` : 'Abbrechen und zurück zum Händler',
    incomplete:
      'Dieser Zahlungslink ist unvollständig. Kehren Sie zum Händler zurück und starten Sie die Zahlung erneut.',
    returnNote: 'Ihre Zahlung wird erfasst, auch wenn Sie diese Seite schließen.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `${token} nur über ${network} senden. ${token}, die aus einem anderen Netzwerk (Ethereum, BNB Smart Chain, …) an diese Adresse gesendet werden, gehen verloren.`,
    fee: (token: string) =>
      `Eine ${token}-Überweisung auf TRON verbrennt etwa 6,4–13 TRX für Energie: Halten Sie TRX in der sendenden Wallet, sonst schlägt sie fehl. Bei einer Auszahlung von einer Börse zahlt diese das selbst.`,
  },
};
export default messages;
