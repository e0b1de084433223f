import { isRecordedCommand, maskArguments } from '../../src/cli/operator-audit';

describe('what an operator.command entry keeps of a command line', () => {
  it('masks the value of options named like secrets, in both spellings, and keeps everything else', () => {
    expect(maskArguments(['ap', 'add', 'bank-1', '--password', 's3cret', '--rate', '50'])).toEqual(['ap', 'add', 'bank-1', '--password', '[masked]', '--rate', '50']);
    expect(maskArguments(['ra', 'unblock', '--puk=12345678', '--new-pin', '1234', '--so-pin', '999'])).toEqual(['ra', 'unblock', '--puk=[masked]', '--new-pin', '[masked]', '--so-pin', '[masked]']);
    expect(maskArguments(['ra', 'show', '+358401234567', '-c', 'prod.json'])).toEqual(['ra', 'show', '+358401234567', '-c', 'prod.json']);
    // A secret option at the very end has no value to hide.
    expect(maskArguments(['x', '--password'])).toEqual(['x', '--password']);
    // Facts about a PIN are not the PIN.
    expect(maskArguments(['ra', 'show', '--pin-tries', '3'])).toEqual(['ra', 'show', '--pin-tries', '3']);
  });

  it('records commands that change or disclose platform state, not the audit log reading itself or the configuration', () => {
    for (const path of [['init'], ['ca', 'init'], ['ra', 'revoke'], ['ra', 'show'], ['audit', 'checkpoint'], ['migrate'], ['hsm', 'keys']]) expect(isRecordedCommand(path)).toBe(true);
    for (const path of [['audit', 'verify'], ['audit', 'tail'], ['audit', 'proof', 'inclusion'], ['audit', 'public-key'], ['config', 'show'], ['conformance', 'pkits'], ['start']]) expect(isRecordedCommand(path)).toBe(false);
  });
});
