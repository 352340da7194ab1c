import { describe, expect, it } from 'vitest';
import { parseAccounts } from './accounts.js';

describe('parseAccounts', () => {
  it('maps ids to the first name and skips odd lines', () => {
    const accounts = parseAccounts(
      'root:x:0:0:root:/root:/bin/sh\n# comment\nbroken\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\nalias:x:0:0::/:/bin/sh\n',
      'root:x:0:\nnonroot:x:65532:\nbad:x:notanumber:\n',
    );
    expect([...accounts.users]).toEqual([
      [0, 'root'],
      [65532, 'nonroot'],
    ]);
    expect([...accounts.groups]).toEqual([
      [0, 'root'],
      [65532, 'nonroot'],
    ]);
  });

  it('copes with absent files', () => {
    expect(parseAccounts(undefined, undefined).users.size).toBe(0);
  });
});
