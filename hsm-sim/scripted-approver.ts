import type { ApprovalKey, ApprovalOutcome, ApprovalRequest, Approver } from '../src/approval';
import { createSignedData, type CmsSigner } from '../src/pki';

/**
 * Stands in for the SIM-applet channel until it is plugged in behind the Approver interface: each citizen's
 * keys are real keys in a SoftHSM token (their CmsSigner), the signature is made by the same CMS code the
 * platform uses, and what the citizen "does" is scripted per MSISDN.
 */
export type CitizenScript =
  | { readonly act: 'approve'; readonly delayMs?: number }
  | { readonly act: 'cancel' | 'pin-blocked' | 'card-blocked' | 'unreachable' }
  /** Never answers: the approval ends with 'timeout' at its time limit. */
  | { readonly act: 'no-answer' };

export interface SimCitizen {
  readonly msisdn: string;
  readonly keys: Partial<Record<ApprovalKey, CmsSigner>>;
  script: CitizenScript;
}

export interface ShownMessage {
  readonly msisdn: string;
  readonly text: string;
}

export class ScriptedApprover implements Approver {
  private readonly citizens = new Map<string, SimCitizen>();
  /** Everything "shown on a phone", for tests to check what the citizen saw. */
  readonly shown: ShownMessage[] = [];

  constructor(citizens: readonly SimCitizen[]) {
    for (const c of citizens) this.citizens.set(c.msisdn, c);
  }

  setScript(msisdn: string, script: CitizenScript): void {
    const citizen = this.citizens.get(msisdn);
    if (!citizen) throw new Error(`no citizen ${msisdn}`);
    citizen.script = script;
  }

  lookup(msisdn: string): Promise<{ readonly keys: readonly ApprovalKey[] } | undefined> {
    const c = this.citizens.get(msisdn);
    return Promise.resolve(c ? { keys: (Object.keys(c.keys) as ApprovalKey[]).filter((k) => c.keys[k] !== undefined) } : undefined);
  }

  notify(msisdn: string, message: string): Promise<boolean> {
    const c = this.citizens.get(msisdn);
    if (!c || c.script.act === 'unreachable') return Promise.resolve(false);
    this.shown.push({ msisdn, text: message });
    return Promise.resolve(true);
  }

  async approve(request: ApprovalRequest): Promise<ApprovalOutcome> {
    const c = this.citizens.get(request.msisdn);
    if (!c) return { kind: 'unknown-user' };
    const signer = c.keys[request.key];
    if (!signer) return { kind: 'no-key' };
    const script = c.script;
    switch (script.act) {
      case 'cancel':
        this.shown.push({ msisdn: c.msisdn, text: request.display });
        return { kind: 'user-cancelled' };
      case 'pin-blocked':
        return { kind: 'pin-blocked' };
      case 'card-blocked':
        return { kind: 'card-blocked' };
      case 'unreachable':
        return { kind: 'unreachable' };
      case 'no-answer':
        this.shown.push({ msisdn: c.msisdn, text: request.display });
        await sleep(request.timeoutMs);
        return { kind: 'timeout' };
      case 'approve': {
        this.shown.push({ msisdn: c.msisdn, text: request.display });
        if (script.delayMs) await sleep(script.delayMs);
        const signature =
          request.format === 'PKCS7'
            ? await createSignedData({ content: request.dataToBeSigned, signer, detached: false })
            : await signer.sign(request.dataToBeSigned);
        return { kind: 'signed', signature, certificate: signer.certificate };
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
