/** Names for uids and gids from the target's own /etc/passwd and /etc/group (never the host's). */
export interface Accounts {
  users: Map<number, string>;
  groups: Map<number, string>;
}

export function parseAccounts(passwd: string | undefined, group: string | undefined): Accounts {
  return { users: idNames(passwd ?? ''), groups: idNames(group ?? '') };
}

/** "name:x:id:…" lines; the first name of an id wins, as getpwuid(3) does. Odd lines are skipped. */
function idNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0] ?? '';
    const id = fields[2] ?? '';
    if (name === '' || !/^\d{1,10}$/.test(id)) continue;
    const number = Number(id);
    if (!names.has(number)) names.set(number, name);
  }
  return names;
}
