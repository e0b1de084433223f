/**
 * The person holding a handset, scripted (tests, demo numbers, benchmark). What a behaviour does when the
 * applet shows a request and asks for the PIN:
 *   approve      types the right PIN (after `delayMs`: "answers slowly")
 *   wrong-pin    types a wrong PIN `times` times (the applet asks again while tries remain), then the right one
 *   cancel       presses Cancel
 *   ignore       never reacts: the applet gives up after its own timeout and answers "timeout"
 *   off          the phone is off or out of coverage: the SIM never answers at all
 */
export type UserBehaviour =
  | { readonly kind: 'approve'; readonly delayMs?: number }
  | { readonly kind: 'wrong-pin'; readonly times: number; readonly delayMs?: number }
  | { readonly kind: 'cancel'; readonly delayMs?: number }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'off' };

/** What the screen showed, for tests and the console. */
export interface ScreenRecord {
  readonly operation: string;
  readonly text: string;
  readonly verificationCode?: string;
  readonly at: number;
}

/** A PIN that is surely wrong: the right one with its first digit changed. */
export function wrongPinFor(pin: string): string {
  const first = Number(pin[0] ?? '0');
  return `${(first + 1) % 10}${pin.slice(1)}`;
}

export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
