#!/bin/sh
# claude-coord SessionStart hook for Claude Code (written by `claude-coord init`; yours to edit): installs the
# CLI when it is missing, then prints the coordination state, which Claude Code gives the model as context.
# It never fails a session start: without the CLI or the service it prints what to do and exits 0.
#
# Check it by hand from the repository root (prints the state; saves no session id):
#   .claude/hooks/session-start-coord.sh </dev/null

BIN_DIR="${CLAUDE_COORD_INSTALL_DIR:-$HOME/.local/bin}"
INSTALL_URL="${CLAUDE_COORD_INSTALL_URL:-https://raw.githubusercontent.com/claude-coord/claude-coord/main/scripts/install.sh}"

if ! command -v claude-coord >/dev/null 2>&1; then
  if [ ! -x "$BIN_DIR/claude-coord" ]; then
    echo "claude-coord: installing into $BIN_DIR from $INSTALL_URL" >&2
    { curl -fsSL "$INSTALL_URL" 2>/dev/null || wget -qO- "$INSTALL_URL" 2>/dev/null; } | CLAUDE_COORD_INSTALL_DIR="$BIN_DIR" sh >&2
  fi
  PATH="$BIN_DIR:$PATH"
  export PATH
  # Later Bash tool calls of this session find the CLI too.
  if [ -x "$BIN_DIR/claude-coord" ] && [ -n "${CLAUDE_ENV_FILE:-}" ]; then
    printf 'export PATH="%s:$PATH"\n' "$BIN_DIR" >>"$CLAUDE_ENV_FILE"
  fi
fi

if command -v claude-coord >/dev/null 2>&1; then
  exec claude-coord hook session-start
fi

cat <<'MSG'
=== claude-coord: not installed ===
ERROR: The claude-coord CLI is not installed and could not be installed, so this session is not coordinated.

ACTION REQUIRED: Tell the user that task coordination is off for this session and ask whether to:
1. Install it (curl -fsSL https://raw.githubusercontent.com/claude-coord/claude-coord/main/scripts/install.sh | sh, or npm install -g claude-coord) and start a new session
2. Proceed without coordination (risk of duplicate work)
MSG
exit 0
