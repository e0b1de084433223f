import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { PkiParseError, parseCertificate, parseCrl } from '../../src/pki';
import { mutate, mutations } from './ocsp/support/mutation';

/**
 * Issue 3, "bad input": truncated, oversized, wrongly tagged and trailing-garbage DER for certificates and CRLs
 * gives a PkiParseError that says what is wrong, and each parser on its own takes 10,000 mutated inputs
 * (mutated-der.spec.ts shares its 10,000 between both parsers and path validation). Seeds are PKITS files.
 */
const PKITS_DIR = resolve(__dirname, '../../../shared/pkits');
const certDer = (n: string): Uint8Array => Uint8Array.from(readFileSync(resolve(PKITS_DIR, 'certs', `${n}.crt`)));
const crlDer = (n: string): Uint8Array => Uint8Array.from(readFileSync(resolve(PKITS_DIR, 'crls', `${n}.crl`)));

const CERT_SEEDS = ['ValidCertificatePathTest1EE', 'GoodCACert', 'ValidDNandRFC822nameConstraintsTest27EE', 'P12Mapping1to3CACert', 'ValidonlySomeReasonsTest19EE', 'ValidDSAParameterInheritanceTest5EE'].map(certDer);
const CRL_SEEDS = ['GoodCACRL', 'indirectCRLCA5CRL', 'deltaCRLCA1deltaCRL', 'onlySomeReasonsCA4compromiseCRL', 'TrustAnchorRootCRL'].map(crlDer);
const RUNS = 10_000;

/** A SEQUENCE header claiming 2 GiB, followed by the seed: the length is believed only as far as the data goes. */
const oversized = (s: Uint8Array): Buffer => Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), s]);

const BAD = [
  ['truncated', (s: Uint8Array) => s.subarray(0, s.length - 3), /runs past the end|unexpected end/],
  ['oversized (a length claim of 2 GiB)', oversized, /runs past the end/],
  ['wrongly tagged (SET for SEQUENCE)', (s: Uint8Array) => Buffer.concat([Buffer.from([0x31]), s.subarray(1)]), /expected a SEQUENCE/],
  ['trailing garbage', (s: Uint8Array) => Buffer.concat([s, Buffer.from([0x00, 0x00])]), /trailing bytes/],
  ['indefinite length (BER)', (s: Uint8Array) => Buffer.concat([Buffer.from([0x30, 0x80]), s.subarray(4), Buffer.from([0, 0])]), /indefinite length/],
  ['empty', () => Buffer.alloc(0), /unexpected end|end of (the )?data/],
] as const;

describe.each([
  ['certificate', parseCertificate as (d: Uint8Array) => unknown, CERT_SEEDS],
  ['CRL', parseCrl as (d: Uint8Array) => unknown, CRL_SEEDS],
] as const)('%s parser', (what, parse, seeds) => {
  it.each(BAD)(`refuses ${what} DER that is %s with a PkiParseError naming the fault`, (_name, make, message) => {
    const input = make(seeds[0] as Uint8Array);
    expect(() => parse(input)).toThrow(PkiParseError);
    expect(() => parse(input)).toThrow(message);
  });

  it(`returns a value or throws PkiParseError for ${RUNS} mutated ${what}s, none of them hanging`, () => {
    const tally = { parsed: 0, refused: 0, slowest: 0 };
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), mutations, (pick, ms) => {
        const input = mutate(seeds[pick % seeds.length] as Uint8Array, ms);
        const started = performance.now();
        try {
          parse(input);
          tally.parsed += 1;
        } catch (err) {
          if (!(err instanceof PkiParseError)) throw err;
          expect(err.message.length).toBeGreaterThan(10);
          tally.refused += 1;
        }
        tally.slowest = Math.max(tally.slowest, performance.now() - started);
      }),
      { numRuns: RUNS },
    );
    expect(tally.parsed + tally.refused).toBe(RUNS);
    // Both outcomes occur: most mutations break the DER, some (in signature bits, names) leave it well-formed.
    expect(tally.refused).toBeGreaterThan(RUNS / 2);
    expect(tally.parsed).toBeGreaterThan(0);
    // A guard against a parser that loops or backtracks on some input, not a speed figure (that is bench/pki):
    // generous, because a GC pause on a loaded CI machine takes hundreds of milliseconds on its own.
    expect(tally.slowest).toBeLessThan(2000);
  });
});
