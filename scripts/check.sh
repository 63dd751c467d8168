#!/usr/bin/env bash
# The static checks (`npm run check`; scripts/test.sh runs them before any test, so CI does too):
#
#   types      tsc -b: the whole build's type check (incremental: right after `npm run build`
#              it only confirms every project is up to date)
#   lint       eslint, zero warnings: hygiene, promises, and the architecture's import rules
#              (eslint.config.js says what each rule holds)
#   format     prettier --check
#   proto      buf lint of the contracts in proto/
#   breaking   buf breaking: no contract change that breaks an existing client (see below)
#
#   scripts/check.sh                 all of them, in that order; stops at the first failure
#   scripts/check.sh lint breaking   only those
#
# Needs a built checkout (generated code in proto/gen and the packages' dist/ for type-aware
# lint): `npm run build` first (scripts/test.sh does). Offline: buf reads only this repository.
set -euo pipefail
PROG="check"
# shellcheck source=scripts/lib.sh
source "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$REPO_ROOT"
BIN="$REPO_ROOT/node_modules/.bin"

# buf breaking: which contract states are compared.
#
# Every commit on main's first-parent line is a state that may be deployed, and clients built
# against the one before it must keep working. So each such commit among the last
# BREAKING_WINDOW that changed proto/ or buf.yaml is checked against its first parent. Walking the
# first-parent line means a merge is checked as one step (the merged branch's net effect), and a
# submission that lands several commits at once has each of its commits checked, whichever it is
# (comparing only HEAD with HEAD~1 would miss a break in all but the last). The window bounds the
# cost (a few seconds per contract change) and covers any one submission; an older break has
# been checked when it landed. Uncommitted changes (a developer's working tree) are checked
# against HEAD as well.
#
# A break that is intended (a field nobody can be using yet, a v1 being retired) is declared in
# the commit that makes it, with a line `Contract-Break: <why>` in its message; that commit is
# then reported and skipped.
BREAKING_WINDOW="${BREAKING_WINDOW:-30}"
CONTRACT_PATHS=(proto buf.yaml)

# The contract files of a commit, extracted to a directory buf can read (no network, no clone).
export_contracts() { # commit dir
  mkdir -p "$2"
  git archive "$1" -- "${CONTRACT_PATHS[@]}" | tar -x -C "$2"
}

check_breaking() {
  git rev-parse --git-dir >/dev/null 2>&1 || die "buf breaking needs the git history (a clone, not an export)"
  local scratch commits commit parent checked=0
  scratch="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the directory is this call's
  trap "rm -rf '$scratch'" RETURN

  if ! git diff --quiet HEAD -- "${CONTRACT_PATHS[@]}" ||
    [[ -n "$(git ls-files --others --exclude-standard -- "${CONTRACT_PATHS[@]}")" ]]; then
    export_contracts HEAD "$scratch/HEAD"
    say "buf breaking: working tree against HEAD"
    "$BIN/buf" breaking --against "$scratch/HEAD" || die "the uncommitted contract changes break clients of HEAD"
    checked=$((checked + 1))
  fi

  for commit in $(git rev-list --first-parent -n "$BREAKING_WINDOW" HEAD); do
    parent="$(git rev-parse -q --verify "$commit^1^{commit}" || true)"
    if [[ -z "$parent" ]]; then
      # The first commit, or the edge of a shallow clone: nothing before it to compare with.
      [[ -z "$(git diff-tree --no-commit-id --name-only --root -r "$commit" -- "${CONTRACT_PATHS[@]}")" ]] ||
        say "buf breaking: $(git log -1 --format=%h "$commit") has no parent here: skipped"
      continue
    fi
    git diff --quiet "$parent" "$commit" -- "${CONTRACT_PATHS[@]}" && continue
    if git log -1 --format=%B "$commit" | grep -q '^Contract-Break:'; then
      say "buf breaking: $(git log -1 --format=%h "$commit") declares an intended break ($(git log -1 --format=%B "$commit" | grep -m 1 '^Contract-Break:')): skipped"
      continue
    fi
    export_contracts "$commit" "$scratch/$commit"
    export_contracts "$parent" "$scratch/$parent"
    say "buf breaking: $(git log -1 --format='%h %s' "$commit" | cut -c 1-90) ... against its parent"
    "$BIN/buf" breaking "$scratch/$commit" --against "$scratch/$parent" ||
      die "commit $(git log -1 --format=%h "$commit") breaks clients of the contracts before it (an intended break is declared by a 'Contract-Break: <why>' line in its message)"
    checked=$((checked + 1))
  done
  say "buf breaking: $checked contract change(s) checked (last $BREAKING_WINDOW commits of the first-parent line, and the working tree)"
}

run_step() { # name
  local started=$SECONDS
  case "$1" in
    types) "$BIN/tsc" -b || die "types: tsc -b failed (see above)" ;;
    lint) "$BIN/eslint" --max-warnings 0 . || die "lint: eslint found problems (see above)" ;;
    format) "$BIN/prettier" --check --log-level warn . || die "format: run 'npx prettier --write <files>'" ;;
    proto) "$BIN/buf" lint || die "proto: buf lint found problems (see above)" ;;
    breaking) check_breaking ;;
    *) die "unknown step '$1' (steps: types lint format proto breaking)" ;;
  esac
  say "$1 ok ($((SECONDS - started)) s)"
}

[[ -d proto/gen ]] || die "no generated code in proto/gen: run 'npm run build' first"
steps=("$@")
((${#steps[@]} > 0)) || steps=(types lint format proto breaking)
for step in "${steps[@]}"; do
  run_step "$step"
done
