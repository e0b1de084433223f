import type { Hsm, HsmKey } from '../../src/hsm';
import type { ApprovalOutcome, ApprovalRequest, CitizenApprover } from '../../src/mps';
import { createSignedData, hsmSigner } from '../../src/pki';

/**
 * Test stand-in for src/approval: the citizen's "SIM" is a key in a SoftHSM token, and approving means signing
 * the bytes with it through src/pki/cms, as the real path will. `behaviour` lets a test play a citizen who
 * cancels, mistypes the PIN, never answers, or a forger who signs something other than what was asked.
 */
export type SimBehaviour = 'sign' | 'cancel' | 'wrong-pin' | 'timeout' | { readonly signInstead: (asked: Uint8Array) => Uint8Array };

export class SimApprover implements CitizenApprover {
  behaviour: SimBehaviour = 'sign';
  readonly requests: ApprovalRequest[] = [];

  constructor(
    private readonly hsm: Hsm,
    private readonly key: HsmKey,
    private readonly certificate: Uint8Array,
    private readonly chain: readonly Uint8Array[],
  ) {}

  async approve(request: ApprovalRequest): Promise<ApprovalOutcome> {
    this.requests.push(request);
    const b = this.behaviour;
    if (b === 'cancel') return { status: 'cancelled' };
    if (b === 'wrong-pin') return { status: 'wrong-pin', detail: 'PIN blocked after three tries' };
    if (b === 'timeout') return { status: 'timeout' };
    const content = b === 'sign' ? request.dataToBeSigned : b.signInstead(request.dataToBeSigned);
    const signer = hsmSigner(this.hsm, this.key, { algorithm: 'ES256', certificate: this.certificate, chain: this.chain });
    return { status: 'signed', signature: await createSignedData({ content, signer, detached: true }) };
  }
}
