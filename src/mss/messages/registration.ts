import { MssFault } from '../status';
import type { MessageNode } from './node';
import type { RegistrationPayload } from './types';

/**
 * `<reg:Registration>`, our content of MSS_RegistrationReq's open slot (TS 102 204 leaves the registration
 * payload to the MSSP; FiCom does not profile it). The format is in REGISTRATION.md beside this file. Same rules
 * as the rest of the validation: missing is 102, present but wrong is 101, and the detail names the element.
 */
export const REGISTRATION_NS = 'urn:mssp-platform:registration:1';

/** A PKCS#10 of a SIM key is well under 2 KiB; 16 KiB of base64 leaves room for RSA-4096 and attributes. */
const MAX_REQUEST_BASE64 = 16 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MID = /^mid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACTIONS = ['register', 'activate'] as const;

const missing = (what: string): MssFault => new MssFault(102, `reg:Registration/${what} is missing`);
const wrong = (what: string): MssFault => new MssFault(101, `reg:Registration/${what} is invalid`);

function leaf(node: MessageNode, name: string): string | undefined {
  const found = node.children(name);
  if (found.length > 1) throw wrong(`${name} (repeated)`);
  const [one] = found;
  if (one === undefined) return undefined;
  const text = one.text();
  if (text === undefined) throw wrong(name);
  return text.trim();
}

function requiredLeaf(node: MessageNode, name: string, maxChars: number): string {
  const value = leaf(node, name);
  if (value === undefined || value === '') throw missing(name);
  if (value.length > maxChars) throw wrong(name);
  return value;
}

function certificationRequest(node: MessageNode, name: string): string {
  const value = requiredLeaf(node, name, MAX_REQUEST_BASE64).replace(/\s+/g, '');
  if (!BASE64.test(value)) throw wrong(name);
  return value;
}

/** Reads the registration element of a request, if there is one (an AP may send MSS_Registration without it). */
export function readRegistrationPayload(request: MessageNode): RegistrationPayload | undefined {
  const found = request.extension(REGISTRATION_NS, 'Registration');
  if (found.length > 1) throw new MssFault(101, 'reg:Registration is repeated');
  const [node] = found;
  if (node === undefined) return undefined;
  const actionText = node.attribute('Action');
  if (actionText === undefined) throw new MssFault(102, 'reg:Registration@Action is missing');
  const action = ACTIONS.find((a) => a === actionText.trim());
  if (action === undefined) throw new MssFault(101, 'reg:Registration@Action must be register or activate');
  if (action === 'activate') {
    const mobileId = leaf(node, 'MobileId');
    if (mobileId !== undefined && !MID.test(mobileId)) throw wrong('MobileId');
    return { action, ...(mobileId !== undefined ? { mobileId } : {}) };
  }
  // Names and identifiers are only bounded here; their rules are the RA's (src/pki/ra/identity.ts), one place.
  const label = leaf(node, 'Label');
  if (label !== undefined && (label === '' || label.length > 32)) throw wrong('Label');
  return {
    action,
    givenName: requiredLeaf(node, 'GivenName', 64),
    familyName: requiredLeaf(node, 'FamilyName', 64),
    nationalId: requiredLeaf(node, 'NationalId', 32),
    birthDate: requiredLeaf(node, 'BirthDate', 10),
    ...(label !== undefined ? { label } : {}),
    authenticationRequest: certificationRequest(node, 'AuthenticationRequest'),
    signatureRequest: certificationRequest(node, 'SignatureRequest'),
  };
}
