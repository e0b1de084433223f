/**
 * The one table of signature algorithms we verify, keyed by the signatureAlgorithm OID, and the one table
 * of elliptic curves. Anything not here is refused as unsupported rather than guessed at.
 */

/** Digest names as node:crypto spells them. */
export type HashName =
  | 'sha1'
  | 'sha224'
  | 'sha256'
  | 'sha384'
  | 'sha512'
  | 'sha512-224'
  | 'sha512-256'
  | 'sha3-224'
  | 'sha3-256'
  | 'sha3-384'
  | 'sha3-512';

export type SignatureFamily = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'dsa' | 'eddsa';

export interface SignatureAlgorithm {
  readonly name: string;
  readonly family: SignatureFamily;
  /** Fixed digest; undefined for RSASSA-PSS (its parameters name the digest) and EdDSA (no pre-hash). */
  readonly hash: HashName | undefined;
  /**
   * What the AlgorithmIdentifier parameters may be: RFC 4055 §5 allows NULL or absent for the PKCS#1 v1.5
   * OIDs; RFC 5758 §3.2 and RFC 8410 §3 require them absent for ECDSA, DSA and EdDSA; PSS carries its own.
   */
  readonly parameters: 'null-or-absent' | 'absent' | 'pss';
}

const sig = (name: string, family: SignatureFamily, hash: HashName | undefined, parameters: SignatureAlgorithm['parameters']): SignatureAlgorithm => ({
  name,
  family,
  hash,
  parameters,
});

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.113549.1.1.5': sig('sha1WithRSAEncryption', 'rsa-pkcs1', 'sha1', 'null-or-absent'),
  '1.2.840.113549.1.1.14': sig('sha224WithRSAEncryption', 'rsa-pkcs1', 'sha224', 'null-or-absent'),
  '1.2.840.113549.1.1.11': sig('sha256WithRSAEncryption', 'rsa-pkcs1', 'sha256', 'null-or-absent'),
  '1.2.840.113549.1.1.12': sig('sha384WithRSAEncryption', 'rsa-pkcs1', 'sha384', 'null-or-absent'),
  '1.2.840.113549.1.1.13': sig('sha512WithRSAEncryption', 'rsa-pkcs1', 'sha512', 'null-or-absent'),
  '1.2.840.113549.1.1.15': sig('sha512-224WithRSAEncryption', 'rsa-pkcs1', 'sha512-224', 'null-or-absent'),
  '1.2.840.113549.1.1.16': sig('sha512-256WithRSAEncryption', 'rsa-pkcs1', 'sha512-256', 'null-or-absent'),
  '2.16.840.1.101.3.4.3.13': sig('id-rsassa-pkcs1-v1_5-with-sha3-224', 'rsa-pkcs1', 'sha3-224', 'null-or-absent'),
  '2.16.840.1.101.3.4.3.14': sig('id-rsassa-pkcs1-v1_5-with-sha3-256', 'rsa-pkcs1', 'sha3-256', 'null-or-absent'),
  '2.16.840.1.101.3.4.3.15': sig('id-rsassa-pkcs1-v1_5-with-sha3-384', 'rsa-pkcs1', 'sha3-384', 'null-or-absent'),
  '2.16.840.1.101.3.4.3.16': sig('id-rsassa-pkcs1-v1_5-with-sha3-512', 'rsa-pkcs1', 'sha3-512', 'null-or-absent'),
  '1.2.840.113549.1.1.10': sig('RSASSA-PSS', 'rsa-pss', undefined, 'pss'),
  '1.2.840.10045.4.1': sig('ecdsa-with-SHA1', 'ecdsa', 'sha1', 'absent'),
  '1.2.840.10045.4.3.1': sig('ecdsa-with-SHA224', 'ecdsa', 'sha224', 'absent'),
  '1.2.840.10045.4.3.2': sig('ecdsa-with-SHA256', 'ecdsa', 'sha256', 'absent'),
  '1.2.840.10045.4.3.3': sig('ecdsa-with-SHA384', 'ecdsa', 'sha384', 'absent'),
  '1.2.840.10045.4.3.4': sig('ecdsa-with-SHA512', 'ecdsa', 'sha512', 'absent'),
  '2.16.840.1.101.3.4.3.9': sig('id-ecdsa-with-sha3-224', 'ecdsa', 'sha3-224', 'absent'),
  '2.16.840.1.101.3.4.3.10': sig('id-ecdsa-with-sha3-256', 'ecdsa', 'sha3-256', 'absent'),
  '2.16.840.1.101.3.4.3.11': sig('id-ecdsa-with-sha3-384', 'ecdsa', 'sha3-384', 'absent'),
  '2.16.840.1.101.3.4.3.12': sig('id-ecdsa-with-sha3-512', 'ecdsa', 'sha3-512', 'absent'),
  '1.2.840.10040.4.3': sig('dsa-with-sha1', 'dsa', 'sha1', 'absent'),
  '2.16.840.1.101.3.4.3.1': sig('dsa-with-sha224', 'dsa', 'sha224', 'absent'),
  '2.16.840.1.101.3.4.3.2': sig('dsa-with-sha256', 'dsa', 'sha256', 'absent'),
  '1.3.101.112': sig('Ed25519', 'eddsa', undefined, 'absent'),
  '1.3.101.113': sig('Ed448', 'eddsa', undefined, 'absent'),
};

/** Hash AlgorithmIdentifier OIDs allowed inside RSASSA-PSS-params (RFC 4055 §2.1, RFC 8702). */
export const HASH_OIDS: Readonly<Record<string, HashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};

export interface Curve {
  readonly name: string;
  /** The group order n: r and s must lie in [1, n-1] (SEC 1 §4.1.4 step 1). */
  readonly order: bigint;
  /** Octets of n: the width of r and s in the IEEE P1363 form. */
  readonly orderBytes: number;
}

const curve = (name: string, orderHex: string): Curve => {
  const order = BigInt(`0x${orderHex}`);
  return { name, order, orderBytes: Math.ceil(order.toString(2).length / 8) };
};

/**
 * namedCurve OIDs (RFC 5480 §2.1.1.1, SEC 2, RFC 5639 §4.1); orders checked against
 * `openssl ecparam -param_enc explicit`. The curves below 224 bits verify correctly but are weak: a policy on
 * minimum key strength belongs with the caller's profile, not in the verifier.
 */
export const CURVES: Readonly<Record<string, Curve>> = {
  '1.3.132.0.9': curve('secp160k1', '0100000000000000000001b8fa16dfab9aca16b6b3'),
  '1.3.132.0.8': curve('secp160r1', '0100000000000000000001f4c8f927aed3ca752257'),
  '1.3.132.0.30': curve('secp160r2', '0100000000000000000000351ee786a818f3a1a16b'),
  '1.3.132.0.31': curve('secp192k1', 'fffffffffffffffffffffffe26f2fc170f69466a74defd8d'),
  '1.2.840.10045.3.1.1': curve('P-192', 'ffffffffffffffffffffffff99def836146bc9b1b4d22831'),
  '1.3.132.0.32': curve('secp224k1', '010000000000000000000000000001dce8d2ec6184caf0a971769fb1f7'),
  '1.3.132.0.33': curve('P-224', 'ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d'),
  '1.2.840.10045.3.1.7': curve('P-256', 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  '1.3.132.0.34': curve('P-384', 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  '1.3.132.0.35': curve(
    'P-521',
    '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  ),
  '1.3.132.0.10': curve('secp256k1', 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'),
  '1.3.36.3.3.2.8.1.1.5': curve('brainpoolP224r1', 'd7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939f'),
  '1.3.36.3.3.2.8.1.1.7': curve('brainpoolP256r1', 'a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7'),
  '1.3.36.3.3.2.8.1.1.9': curve('brainpoolP320r1', 'd35e472036bc4fb7e13c785ed201e065f98fcfa5b68f12a32d482ec7ee8658e98691555b44c59311'),
  '1.3.36.3.3.2.8.1.1.11': curve(
    'brainpoolP384r1',
    '8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565',
  ),
  '1.3.36.3.3.2.8.1.1.13': curve(
    'brainpoolP512r1',
    'aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069',
  ),
};
