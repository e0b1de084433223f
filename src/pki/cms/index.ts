/** CMS SignedData (RFC 5652): create with a key in a token, verify with our DER reader and path validation. */
export { createSignedData, type CreateSignedDataOptions } from './sign';
export { verifySignedData, type VerifySignedDataOptions, type CmsVerifyResult, type CmsVerifySuccess, type CmsSignerResult } from './verify';
export { parseSignedData, DEFAULT_CMS_LIMITS, type SignedData, type SignerInfo, type SignerIdentifier, type CmsAttribute, type CmsLimits } from './parse';
export { hsmSigner, type CmsSigner, type SigningToken, type HsmSignerOptions } from './signer';
export { CertificateCache } from './certificate-cache';
export { CMS_RULES, CmsError, isCmsError, type CmsRule, type CmsVerifyFailure } from './errors';
export { CMS_SIGNATURE_ALGORITHMS, CMS_DIGESTS, isCmsSignatureAlgorithm, type CmsHash } from './algorithms';
export { CMS_OID } from './oids';
export type { AttributeInput } from './attributes';
export { addSignatureTimeStamp, signatureTimeStamps, signatureValueDigest, ID_AA_SIGNATURE_TIME_STAMP_TOKEN, type SignatureTimeStamper } from './signature-timestamp';
