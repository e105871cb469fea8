import { describe, expect, it } from 'vitest';
import { errorText, messageOf, RequestRejectedError } from '../../lambdas/domain/errors';
import { RequestNotFoundError } from '../../lambdas/domain/ledger';

describe('error text', () => {
  it("gives an error's message with its cause's, and anything else thrown as a string", () => {
    // Prepare
    const fetchFailure = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });

    // Act / Assert
    expect(messageOf(fetchFailure)).toBe('fetch failed (connect ECONNREFUSED)');
    expect(messageOf(new Error('plain'))).toBe('plain');
    expect(messageOf(new Error('odd cause', { cause: 'not an error' }))).toBe('odd cause');
    expect(messageOf('a thrown string')).toBe('a thrown string');
    expect(messageOf(404)).toBe('404');
    expect(errorText(fetchFailure)).toBe('TypeError: fetch failed');
    expect(errorText(undefined)).toBe('undefined');
  });
});

describe("an API error's fields beside code and message", () => {
  it('are none unless the error names some', () => {
    // Act / Assert
    expect(new RequestNotFoundError('No request req-A').fields).toStrictEqual({});
  });

  it('name the element index of a rejected request only when there is one', () => {
    // Act
    const whole = new RequestRejectedError('NOT_AN_ARRAY', 'The body must be a JSON array');
    const element = new RequestRejectedError('INVALID_ITEM', 'Item 3 is not an integer', 3);

    // Assert
    expect(whole.fields).toStrictEqual({});
    expect(element.fields).toStrictEqual({ index: 3 });
    expect(element).toMatchObject({ name: 'RequestRejectedError', code: 'INVALID_ITEM', status: 400 });
  });
});
