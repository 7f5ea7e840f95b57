# bash completion for ocip (installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/ocip). Candidates come from
# `ocip complete WORDS...`: subcommands, request names, field names, packs, help topics.
_ocip() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local words=("${COMP_WORDS[@]:1:COMP_CWORD}")
    local IFS=$'\n'
    COMPREPLY=($(ocip complete "${words[@]}" 2>/dev/null))
    # field names end in '=': no space after them; files where ocip has nothing
    if [ ${#COMPREPLY[@]} -eq 1 ] && [[ ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    elif [ ${#COMPREPLY[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _ocip ocip
