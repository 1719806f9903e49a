// The one port validator.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/model/errors.js';
import { checkPort, validPort } from '../../../src/model/port.js';

describe('validPort / checkPort', () => {
  it('accepts integers 1-65535 and nothing else', () => {
    for (const p of [1, 22, 65535]) expect(validPort(p)).toBe(true);
    for (const p of [0, -1, 65536, 1.5, Number.NaN, Infinity, '80', null, undefined]) expect(validPort(p)).toBe(false);
  });

  it('checkPort returns the port or throws an InputError naming it', () => {
    expect(checkPort(443)).toBe(443);
    expect(() => checkPort(70000)).toThrow(InputError);
    expect(() => checkPort(0, '--port')).toThrow('--port 0 is out of range (1-65535)');
  });
});
