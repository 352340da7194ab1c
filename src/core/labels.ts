/** The label schema every object sidekick creates on an engine carries (DESIGN.md §2). */
export const LABEL_SESSION = 'io.sidekick.session';
export const LABEL_KIND = 'io.sidekick.kind';
export const LABEL_TARGET = 'io.sidekick.target';
export const LABEL_CREATED = 'io.sidekick.created';
export const LABEL_TOOLBOX_SOURCE = 'io.sidekick.toolbox.source';
export const LABEL_TOOLBOX_STATIC = 'io.sidekick.toolbox.static';
/** Set on a toolbox image that holds the sidekick's init, to its path. */
export const LABEL_TOOLBOX_INIT = 'io.sidekick.toolbox.init';

export type ObjectKind = 'sidekick' | 'copy' | 'forwarder' | 'toolbox';

export interface SessionLabels {
  session: string;
  kind: ObjectKind;
  target?: string;
  created: Date;
}

export function sessionLabels(labels: SessionLabels): Record<string, string> {
  const result: Record<string, string> = {
    [LABEL_SESSION]: labels.session,
    [LABEL_KIND]: labels.kind,
    [LABEL_CREATED]: labels.created.toISOString(),
  };
  if (labels.target !== undefined) result[LABEL_TARGET] = labels.target;
  return result;
}

export function newSessionId(random: () => number = Math.random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 10; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
