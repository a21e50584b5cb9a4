/**
 * French messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). French typography: a
 * no-break space (\u00a0) before a colon, a narrow no-break space (\u202f) before ; ! ?
 */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Chargement du paiement…',
  order: (id: string) => `Commande ${id}`,
  retry: 'Réessayer',
  offline: 'Connexion au serveur de paiement perdue. Nouvelle tentative…',
  notFound: 'Ce paiement est introuvable. Demandez un nouveau lien de paiement au marchand.',
  unreachable: 'Impossible de joindre le serveur de paiement. Vérifiez votre connexion et réessayez.',
  failed: (reason: string) => `Une erreur est survenue\u00a0: ${reason}`,

  expiresIn: (time: string, at: string) => `Expire dans ${time} (à ${at})`,
  timeUp: 'Délai écoulé, vérification…',
  methodGroup: 'Moyen de paiement',
  methodOn: (network: string) => `sur ${network}`,

  network: 'Réseau',
  token: 'Jeton',
  contract: 'contrat',
  amount: (token: string) => `Montant (${token})`,
  amountStillDue: (token: string) => `Montant restant dû (${token})`,
  address: 'Adresse',
  copy: 'Copier',
  copied: 'Copié',
  copyLabel: { amount: 'Copier le montant', address: 'Copier l’adresse' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `Code QR\u00a0: payer ${amount} ${token} sur ${network} à ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `L’envoi de ${token} nécessite un peu de ${coin} sur ${network} pour les frais de réseau.`,
  gasUnknownCoin: 'la cryptomonnaie native du réseau',
  gasNative: 'Les frais de réseau s’ajoutent au montant.',
  onlyThis: (token: string, network: string) =>
    `Envoyez uniquement des ${token} sur ${network}\u202f; les autres jetons ou réseaux ne peuvent pas être crédités.`,
  confirmations: 'Confirmations',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} dans ${hash}`,
  transferLate: 'en retard',
  transferNotAccepted: 'non accepté',
  transferToAbandonedAddress: 'vers une adresse précédente : le marchand va l’examiner',
  returnToMerchant: 'Retour au site du marchand',
  sendOnlyOn: (token: string, network: string) => `Envoyez ${token} uniquement sur ${network}.`,
  sameAddressElsewhere:
    'La même adresse existe sur d’autres réseaux, mais l’argent envoyé là-bas ne peut pas être crédité.',
  paymentDetails: 'Détails du paiement',
  rate: 'Taux',
  rateLockedUntil: (time: string) => `bloqué jusqu’à ${time}`,
  confirmationsNeeded: 'Confirmations nécessaires',
  changeMethod: 'Changer de moyen',
  extrasFailed:
    'Une partie du paiement n’a pas pu se charger. Les informations de paiement ci-dessous suffisent.',
  steps: 'Progression du paiement',
  stepSent: 'Envoyé',
  stepConfirming: (seen: number, needed: number) => `Confirmation ${seen}/${needed}`,
  stepPaid: 'Payé',
  receipt: 'Reçu',
  transfers: (count: number) => `Transferts (${count})`,
  receiptPaid: 'Payé',
  receiptDate: 'Date',
  receiptTransaction: 'Transaction',
  receiptOrder: 'Commande',
  startAgain: 'Recommencer',

  // The status line (the live region).
  choose: 'Choisissez comment payer',
  waiting: 'En attente du paiement',
  confirming: (seen: number, needed: number) => `Paiement détecté — confirmation ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `${received} ${token} reçus — ${remaining} ${token} restent dus`,
  sendRemainder: (remaining: string, token: string) =>
    `Envoyez les ${remaining} ${token} restants à la même adresse.`,
  paid: 'Paiement reçu. Merci\u202f!',
  overpaid: (excess: string, token: string) =>
    `${excess} ${token} de plus que le montant dû ont été reçus\u202f; le marchand peut rembourser l’excédent.`,
  paidLate: 'Reçu après expiration — le marchand examinera votre paiement.',
  expired: 'Ce paiement a expiré.',
  expiredUnpaid: 'Ce paiement n’accepte plus de versements. Veuillez en démarrer un nouveau.',
  expiredPartly: (received: string, due: string, token: string) =>
    `Vous avez envoyé ${received} sur ${due} ${token}\u202f; contactez le marchand pour un remboursement.`,
  canceled: 'Ce paiement a été annulé.',
  canceledButSent: (received: string, token: string) =>
    `${received} ${token} ont tout de même été reçus\u202f; le marchand va examiner ce versement.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${amount} ${token} sur ${network} ont été reçus, mais ce paiement ne les accepte pas. Le marchand va examiner ce versement.`,

  // Paying from a wallet.
  openInWallet: 'Ouvrir dans l’application portefeuille',
  wallet: {
    group: 'Payer avec un portefeuille',
    heading: (amount: string, token: string) => `Payez ${amount} ${token} depuis un portefeuille\u00a0:`,
    browserWallet: 'Portefeuille du navigateur',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— une application portefeuille sur votre téléphone',
    orManually: 'Ou envoyez-le vous-même\u00a0:',
    connecting: (wallet: string) => `En attente de ${wallet}… Approuvez la connexion dans le portefeuille.`,
    startingWalletConnect: 'Démarrage de WalletConnect…',
    pairing: 'Scannez ce code avec votre application portefeuille, ou ouvrez l’application sur cet appareil.',
    pairingQr: 'Code QR pour connecter une application portefeuille avec WalletConnect',
    openWalletApp: 'Ouvrir l’application portefeuille',
    switching: (wallet: string, network: string) =>
      `Passez ${wallet} sur ${network} lorsqu’il vous le demande…`,
    checking: (wallet: string) => `Vérification du solde dans ${wallet}…`,
    pay: (amount: string, token: string) => `Payer ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) =>
      `depuis ${account} (${wallet}) sur ${network}`,
    confirm: (wallet: string) => `Confirmez le paiement dans ${wallet}…`,
    openPeer: (wallet: string) => `Ouvrir ${wallet}`,
    sent: 'Envoyé dans la transaction',
    sentWaiting: 'En attente de sa confirmation par le réseau…',
    cancel: 'Annuler',
    retry: 'Réessayer',
    another: 'Choisir un autre portefeuille',
    // Errors.
    rejected: 'Vous avez refusé la demande dans votre portefeuille\u202f; rien n’a été envoyé.',
    wrongNetwork: (network: string) =>
      `Votre portefeuille est sur un autre réseau. Passez-le sur ${network} (ou laissez-le ajouter ${network}), puis réessayez.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `Ce portefeuille détient ${balance} ${token} sur ${network}, mais ${due} ${token} sont dus. Ajoutez des fonds ou choisissez un autre portefeuille.`,
    noGas: (coin: string, network: string) =>
      `Ce portefeuille a besoin d’un peu de ${coin} sur ${network} pour payer les frais de réseau, et n’en a pas assez. Ajoutez-en, puis réessayez.`,
    disconnected: 'Votre portefeuille s’est déconnecté. Reconnectez-le pour payer.',
    reverted:
      'La transaction a échoué sur le réseau (elle a été annulée)\u202f; rien n’a été payé. Réessayez.',
    busy: 'Votre portefeuille attend une réponse à une demande précédente\u00a0: ouvrez-le, répondez-y, puis réessayez.',
    failed: (reason: string) => `Le portefeuille a signalé un problème\u00a0: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Payer en crypto',
    label: 'Paiement en cryptomonnaie',
    close: 'Fermer',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Payer ${merchant}` : 'Finalisez votre paiement'),
    returnTo: (merchant: string) => (merchant ? `Retour à ${merchant}` : 'Retour au site du marchand'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Annuler et revenir à ${merchant}` : 'Annuler et revenir au site du marchand',
    incomplete:
      'Ce lien de paiement est incomplet. Retournez sur le site du marchand et recommencez le paiement.',
    returnNote: 'Votre paiement est enregistré même si vous fermez cette page.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `Envoyez ${token} uniquement sur ${network}. Des ${token} envoyés à cette adresse depuis un autre réseau (Ethereum, BNB Smart Chain, …) sont perdus.`,
    fee: (token: string) =>
      `Envoyer des ${token} sur TRON brûle environ 6,4 à 13 TRX d’énergie : gardez des TRX dans le portefeuille d’envoi, sinon le transfert échoue. Un retrait depuis une plateforme d’échange le paie lui-même.`,
  },
};
export default messages;
