/**
 * A hint's words with the engine's command for it when the engine has one: "Start it (docker
 * start web)", or just "Start it" on an engine where a person cannot do that by hand.
 * `joiner` sets the command off differently: " with " or ": " instead of parentheses.
 */
export function withCommand(words: string, command: string | undefined, joiner?: string): string {
  if (command === undefined) return words;
  return joiner === undefined ? `${words} (${command})` : `${words}${joiner}${command}`;
}
