import type { HsmKey, SignatureAlgorithmName } from '../../hsm';

/**
 * What createSignedData needs from whoever holds the key: kept this narrow so that the platform's HSM, a
 * SIM's own token in hsm-sim and a software key in a test all sign through the same code.
 */
export interface CmsSigner {
  /** The signature algorithm, by src/hsm's names (RS256, PS256, ES256, …). */
  readonly algorithm: SignatureAlgorithmName;
  /** The signer's X.509 certificate, DER. */
  readonly certificate: Uint8Array;
  /** Further certificates to put in the SignedData (issuing CAs), DER; the root is not needed. */
  readonly chain?: readonly Uint8Array[];
  /** Signs `data` (the message, not a hash); ECDSA signatures are DER Ecdsa-Sig-Value. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** The part of an Hsm the adapter uses (`Hsm.sign` fits). */
export interface SigningToken {
  sign(algorithm: SignatureAlgorithmName, key: HsmKey, data: Uint8Array): Promise<Uint8Array>;
}

export interface HsmSignerOptions {
  readonly algorithm: SignatureAlgorithmName;
  readonly certificate: Uint8Array;
  readonly chain?: readonly Uint8Array[];
}

/** A CmsSigner whose key stays in a PKCS#11 token. */
export function hsmSigner(token: SigningToken, privateKey: HsmKey, options: HsmSignerOptions): CmsSigner {
  return {
    algorithm: options.algorithm,
    certificate: options.certificate,
    ...(options.chain !== undefined ? { chain: options.chain } : {}),
    sign: (data) => token.sign(options.algorithm, privateKey, data),
  };
}
