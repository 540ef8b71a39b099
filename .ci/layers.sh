#!/usr/bin/env bash
# The layering check of ARCHITECTURE.md: every `crate::` path in src/ (imports, paths and doc links alike)
# names a module of the file's own layer or of a lower one. Exits non-zero and lists the offenders.
set -euo pipefail
cd "$(dirname "$0")/.."
layer_of_module() {
    case "$1" in
        error | laptime | Error | Result) echo 0 ;;
        numerics) echo 1 ;;
        track | vehicle) echo 2 ;;
        solver) echo 3 ;;
        line) echo 4 ;;
        field) echo 5 ;;
        session | study) echo 6 ;;
        app) echo 7 ;;
        *) echo "?" ;;
    esac
}
layer_of_file() {
    local rel=${1#src/}
    local top=${rel%%/*}
    top=${top%.rs}
    case "$top" in
        lib | main) echo 8 ;;
        *) layer_of_module "$top" ;;
    esac
}
bad=0
while IFS= read -r file; do
    own=$(layer_of_file "$file")
    rel=${file#src/}
    top=${rel%%/*}
    top=${top%.rs}
    if [ "$own" = "?" ]; then
        echo "$file: not in any layer of ARCHITECTURE.md"
        bad=1
        continue
    fi
    while IFS= read -r hit; do
        line=${hit%%:*}
        module=$(sed -E 's/.*crate::([A-Za-z_]+).*/\1/' <<<"$hit")
        target=$(layer_of_module "$module")
        if [ "$target" = "?" ] || [ "$target" -gt "$own" ]; then
            echo "$file:$line: layer $own refers to crate::$module (layer $target)"
            bad=1
        elif [ "$target" -eq "$own" ] && [ "$target" -ne 0 ] && [ "$module" != "$top" ]; then
            # Siblings (track and vehicle) do not import each other: that would be a cycle in waiting.
            echo "$file:$line: crate::$module is a sibling of this file's module ($top)"
            bad=1
        fi
    done < <(grep -no 'crate::[A-Za-z_]*' "$file" || true)
done < <(find src -name '*.rs' | sort)
if [ "$bad" -ne 0 ]; then
    echo "layering check failed: see ARCHITECTURE.md"
    exit 1
fi
echo "layering check: every crate:: path points to its own layer or below"
