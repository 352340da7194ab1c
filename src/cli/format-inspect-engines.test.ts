import { describe, expect, it } from 'vitest';
import type { ContainerRow } from '../debug/inspect-all.js';
import { formatInspectEngines } from './format-inspect-all.js';

const row = (name: string): ContainerRow => ({
  name,
  id: `${name}-id`,
  image: 'img',
  user: '0 (root)',
  uid: 0,
  shell: null,
  privileged: false,
  extraCapabilities: [],
  listening: [],
  sharedNamespaces: {},
  problems: [],
});

describe('formatInspectEngines', () => {
  it('puts the engine first, the error of an engine in its row, and names an engine with no containers', () => {
    const text = formatInspectEngines(
      [{ engine: 'here', ...row('web') }, { engine: 'far-away', error: 'cannot reach it.' }, { engine: 'here', ...row('db') }],
      ['here', 'far-away', 'empty'],
    );
    expect(text.split('\n')).toEqual([
      'ENGINE    NAME  IMAGE  USER      SHELL  EXTRA CAPS  LISTENING  SHARED NAMESPACES',
      'here      web   img    0 (root)  no     -           -          -',
      'far-away  error: cannot reach it.',
      'here      db    img    0 (root)  no     -           -          -',
      'empty     no running containers',
      '',
    ]);
  });

  it('keeps a control character in an engine name or error off the terminal', () => {
    const text = formatInspectEngines([{ engine: 'a\u001b[2Jb', error: 'x\u0007' }]);
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
  });
});
