/**
 * The scripts `sidekick completion bash|zsh|fish` prints. Each only hands the words of the line
 * to `sidekick __complete` and shows what it prints (complete-command.ts): the subcommands,
 * flags and container names are never written into the script, so they cannot go stale.
 * Candidates are read as lines, never evaluated (bash's `compgen -W` would expand `$(…)`).
 */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

const BASH = `# sidekick completion for bash. Load it with:
#   source <(sidekick completion bash)
# or save it as ~/.local/share/bash-completion/completions/sidekick
_sidekick_complete() {
  local candidates
  candidates=$(sidekick __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  COMPREPLY=()
  [ -n "$candidates" ] && mapfile -t COMPREPLY <<<"$candidates"
  # TARGET: of cp and ls goes on with a path: no space after it.
  if [ "\${#COMPREPLY[@]}" -eq 1 ] && [ "\${COMPREPLY[0]%:}" != "\${COMPREPLY[0]}" ]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
complete -o default -o bashdefault -F _sidekick_complete sidekick
`;

const ZSH = `#compdef sidekick
# sidekick completion for zsh. Load it with:
#   source <(sidekick completion zsh)        (after compinit)
# or save it as _sidekick in a directory of your $fpath.
_sidekick() {
  local -a candidates
  candidates=("\${(@f)$(sidekick __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} == 0 )); then
    _files
    return
  fi
  local -a continued plain
  continued=("\${(@M)candidates:#*:}")
  plain=("\${(@)candidates:#*:}")
  (( \${#plain} )) && compadd -Q -- "\${plain[@]}"
  (( \${#continued} )) && compadd -Q -S '' -- "\${continued[@]}"
  return 0
}
if [ "$funcstack[1]" = "_sidekick" ]; then
  _sidekick "$@"
else
  compdef _sidekick sidekick
fi
`;

const FISH = `# sidekick completion for fish (3.4 or later). Load it with:
#   sidekick completion fish | source
# or save it as ~/.config/fish/completions/sidekick.fish
function __sidekick_complete
    set -l words (commandline -opc)
    set -e words[1]
    sidekick __complete -- $words "$(commandline -ct)" 2>/dev/null
end
complete -c sidekick -f -a '(__sidekick_complete)'
`;

export function completionScript(shell: CompletionShell): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
  }
}
