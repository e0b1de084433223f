import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { deviceOtaCrypto } from '../../src/channel/sim';
import type { OtaCrypto } from '../../src/channel/ota';
import type { CardToken, HsmKey, SignatureAlgorithmName } from '../../src/hsm';
import type { PinName, SimStateFile } from './sim-state';

/**
 * A simulated SIM: two PKCS#11 tokens and a state file.
 *
 *   auth token (user PIN = the 4-digit authentication PIN): the authentication key pair, and the OTA keys
 *              KIc/KID as non-private AES objects (usable before any PIN: the card opens a command first)
 *   sign token (user PIN = the 5-digit signature PIN): the signature (non-repudiation) key pair
 *
 * PKCS#11 gives a token one user PIN, and the two keys need separate PINs, so the SIM is two tokens; each
 * token's security officer PIN is that PIN's PUK. The token checks the PIN (C_Login). SoftHSM2 keeps no
 * retry counter, so the SIM counts wrong tries in its state file: three in a row block the PIN (the token
 * is logged out and never asked again) until the PUK sets a new one (C_Login as SO, C_InitPIN).
 *
 * PIN checks after the first: a SoftHSM2 C_Login costs ~1.3 ms (it derives the token key from the PIN), a
 * SIM's PIN comparison microseconds. With `pinCheck: 'card-session'` (default) the token stays logged in
 * after the first right PIN, as a powered card stays verified, and later entries are compared with a salted
 * hash of the PIN the token accepted; `'token-every-time'` logs in and out around every signature.
 */

export type PinCheck = 'card-session' | 'token-every-time';
export type PinResult = 'ok' | 'wrong' | 'blocked';

export const MAX_PIN_TRIES = 3;

export interface SimCardOptions {
  readonly iccid: string;
  readonly msisdn: string;
  readonly authToken: CardToken;
  readonly signToken: CardToken;
  readonly state: SimStateFile;
  /** The applet's TAR (3 octets). */
  readonly tar: Buffer;
  readonly pinCheck?: PinCheck;
  /** DER certificates installed at enrolment; the certificate reference of a signature is their SHA-256. */
  readonly certificates?: Partial<Record<PinName, Uint8Array>>;
}


export class SimCard {
  readonly iccid: string;
  readonly msisdn: string;
  readonly tar: Buffer;
  /** OTA ciphering and checksums with the KIc/KID in the auth token. */
  readonly ota: OtaCrypto;
  private readonly tokens: Record<PinName, CardToken>;
  private readonly verifiers: Partial<Record<PinName, { salt: Buffer; hash: Buffer }>> = {};
  private readonly certificates: Partial<Record<PinName, Uint8Array>>;
  private readonly keys: Partial<Record<PinName, HsmKey>> = {};

  constructor(private readonly options: SimCardOptions) {
    this.iccid = options.iccid;
    this.msisdn = options.msisdn;
    this.tar = options.tar;
    this.tokens = { auth: options.authToken, sign: options.signToken };
    // Keys are used from session copies made inside the token (CardToken.sessionCopy): SoftHSM2 re-checks a
    // token object's file on every use, a session object is in memory, as a card works from its RAM.
    const auth = options.authToken;
    this.ota = deviceOtaCrypto(
      {
        findKey: async (query) => auth.sessionCopy(await auth.findKey(query)),
        aesCbc: (key, direction, iv, data) => auth.aesCbc(key, direction, iv, data),
        aesCmac: (key, data) => auth.aesCmac(key, data),
      },
      (ref) => `${ref.key}/${ref.version}`,
    );
    this.certificates = { ...options.certificates };
  }

  get state(): SimStateFile {
    return this.options.state;
  }

  token(name: PinName): CardToken {
    return this.tokens[name];
  }

  pinState(name: PinName): { wrongTries: number; blocked: boolean } {
    return this.options.state.pin(name);
  }

  installCertificate(name: PinName, der: Uint8Array): void {
    this.certificates[name] = der;
  }

  certificate(name: PinName): Uint8Array | undefined {
    return this.certificates[name];
  }

  /** SHA-256 of the certificate of a key (FORMAT.md tag 0C); undefined before enrolment. */
  certificateRef(name: PinName): Buffer | undefined {
    const der = this.certificates[name];
    return der === undefined ? undefined : createHash('sha256').update(der).digest();
  }

  /** Checks a PIN entry; counts a wrong one (persisted first), blocks at the third. */
  async verifyPin(name: PinName, pin: string): Promise<PinResult> {
    const state = this.options.state.pin(name);
    if (state.blocked) return 'blocked';
    const token = this.tokens[name];
    let right: boolean;
    const verifier = this.verifiers[name];
    if (verifier !== undefined && token.isLoggedIn) {
      right = timingSafeEqual(hashPin(verifier.salt, pin), verifier.hash);
    } else {
      right = await tokenAccepts(token, pin);
      if (right && (this.options.pinCheck ?? 'card-session') === 'card-session') {
        const salt = randomBytes(16);
        this.verifiers[name] = { salt, hash: hashPin(salt, pin) };
      }
    }
    if (right) {
      this.options.state.setPin(name, { wrongTries: 0, blocked: false });
      return 'ok';
    }
    const wrongTries = state.wrongTries + 1;
    const blocked = wrongTries >= MAX_PIN_TRIES;
    this.options.state.setPin(name, { wrongTries, blocked });
    if (blocked) {
      delete this.verifiers[name];
      delete this.keys[name];
      await token.logout();
    }
    return blocked ? 'blocked' : 'wrong';
  }

  /** The PUK (the token's SO PIN) sets a new PIN and clears the block. Throws PinIncorrectError for a wrong PUK. */
  async unblockPin(name: PinName, puk: string, newPin: string): Promise<void> {
    delete this.verifiers[name];
    delete this.keys[name];
    await this.tokens[name].resetUserPin(puk, newPin);
    this.options.state.setPin(name, { wrongTries: 0, blocked: false });
  }

  /** Signs with a key whose PIN was just verified; logs the token out afterwards in 'token-every-time' mode. */
  async sign(name: PinName, algorithm: SignatureAlgorithmName, input: { kind: 'data'; data: Uint8Array } | { kind: 'digest'; digest: Uint8Array }): Promise<Buffer> {
    const token = this.tokens[name];
    try {
      const key = await this.key(name);
      return input.kind === 'data' ? await token.sign(algorithm, key, input.data) : await token.signDigest(algorithm, key, input.digest);
    } finally {
      if (this.options.pinCheck === 'token-every-time') {
        // SoftHSM2 invalidates private object handles at C_Logout: look the key up again next time.
        delete this.keys[name];
        await token.logout();
      }
    }
  }

  /**
   * The private key of `name` (a session copy, see the constructor); private objects are visible only once
   * its PIN opened the token, and the copy dies with the login.
   */
  async key(name: PinName): Promise<HsmKey> {
    const cached = this.keys[name];
    if (cached !== undefined) return cached;
    const token = this.tokens[name];
    const found = await token.sessionCopy(await token.findKey({ class: 'privateKey', label: name }));
    this.keys[name] = found;
    return found;
  }

  async close(): Promise<void> {
    this.options.state.close();
    await Promise.all([this.tokens.auth.close(), this.tokens.sign.close()]);
  }
}

function hashPin(salt: Buffer, pin: string): Buffer {
  return createHash('sha256').update(salt).update(pin, 'utf8').digest();
}

async function tokenAccepts(token: CardToken, pin: string): Promise<boolean> {
  try {
    await token.login(pin);
    return true;
  } catch (err) {
    if (err instanceof Error && 'ckr' in err && (err as { ckr: string }).ckr === 'CKR_PIN_INCORRECT') return false;
    throw err;
  }
}
