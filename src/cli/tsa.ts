import type { Config } from '../config';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { TimeStampAuthority } from '../pki';
import type { Store } from '../store';
import type { TimeStampCheck, TimeStamper, TimeStampVerifier } from '../audit';

/**
 * The platform TSA as a running node and the audit log use it: the key labelled "tsa" in the platform token and
 * the newest TSA certificate `mssp ca init` issued. Only types at the top (see main.ts).
 */

/** The TSA, or undefined when there is no CA yet (the platform then serves no /tsa and checkpoints carry no token). */
export async function openPlatformTsa(config: Config, hsm: Hsm, store: Store, logger: Logger): Promise<TimeStampAuthority | undefined> {
  const pki = await import('../pki');
  const [certificate, issuing] = await Promise.all([pki.latestServiceCertificate(store, 'tsa'), store.certificates.findCa(pki.ISSUING_CA)]);
  if (certificate === undefined || issuing === undefined) return undefined;
  return pki.createTsa({
    hsm,
    keyLabel: pki.PKI_KEY_LABELS.tsa,
    certificate: certificate.der,
    chain: [issuing.certificate],
    counters: store.counters,
    policyOid: config.tsaPolicyOid,
    // The HSM clock is the host's; NTP keeps it within a few milliseconds, a second is what we promise.
    accuracy: { seconds: 1 },
    logger,
  });
}

/**
 * Checks checkpoint tokens against the platform's own root CA, taken from the store: the token's signature, the
 * TSA certificate's path and its timeStamping purpose. Revocation is not checked here: `mssp audit verify` runs
 * offline, and a TSA key compromise is handled by re-stamping, not by trusting an OCSP answer given today.
 */
export async function platformTimeStampVerifier(store: Store): Promise<TimeStampVerifier | undefined> {
  const pki = await import('../pki');
  const [root, issuing] = await Promise.all([store.certificates.findCa(pki.ROOT_CA), store.certificates.findCa(pki.ISSUING_CA)]);
  if (root === undefined) return undefined;
  const trustAnchors = [pki.trustAnchorFromCertificate(pki.parseCertificate(root.certificate))];
  const intermediates = issuing === undefined ? [] : [issuing.certificate];
  return {
    async verify(token: Buffer, digest: Buffer): Promise<TimeStampCheck> {
      const result = await pki.verifyTimeStampToken(token, {
        imprint: { hash: 'sha256', hashedMessage: digest },
        trustAnchors,
        intermediates,
        revocation: { mode: 'off' },
      });
      return result.valid ? { ok: true, genTime: result.info.genTime } : { ok: false, reason: `${result.rule}: ${result.message}` };
    },
  };
}

/** The TSA as the audit log's TimeStamper. */
export function tsaStamper(tsa: TimeStampAuthority): TimeStamper {
  return { stamp: (digest, hash) => tsa.stamp(digest, hash) };
}
