export { OfferService, offerTransferId, type NewOffer, type OfferView, type OfferServiceOptions, type RecoveryReport, type RecoverySweep } from './offers';
export { canonicalOffer, offerDisplay, CANONICAL_VERSION, type OfferFields } from './canonical';
export { cmsApprovalVerifier, type CmsApprovalVerifierOptions } from './verifier';
