#!/usr/bin/env bash
# Regenerate screenshots/*.png from the real terminal: `mfa-cutover demo` in xterm on a
# virtual X display (Xvfb), inside tmux (status bar off) so the script can send keys and
# read the screen, each view captured from the xterm window with ImageMagick's `import`.
#
#   scripts/screenshots.sh            # writes screenshots/{users,help,command,plan,detail,migrating,activity,
#                                     #   rollout,federation,dependencies,evidence,checklist,rollback,journal}.png
#
# Installs what it needs when missing (Debian/Ubuntu: xvfb xterm imagemagick xdotool
# tmux fonts-dejavu-core), builds the release binary, and cleans up every process it
# started. Every wait reads the screen with a deadline. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/screenshots
COLS=120
ROWS=36
DEADLINE=${DEADLINE:-60}

# ---------------------------------------------------------------- what it needs
need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xterm >/dev/null 2>&1 || need+=(xterm)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
fc-list 2>/dev/null | grep -qi 'DejaVu Sans Mono' || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi

echo "building the release binary"
cargo build --release --quiet
BIN=$ROOT/target/release/mfa-cutover

# ---------------------------------------------------------------- clean-up
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mfa-cutover-shots-XXXXXX")
SOCK="mfa-cutover-shots-$$"
XVFB_PID=""
XTERM_PID=""
cleanup() {
  tmux -L "$SOCK" kill-server >/dev/null 2>&1 || true
  [ -n "$XTERM_PID" ] && kill "$XTERM_PID" >/dev/null 2>&1 || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" >/dev/null 2>&1 || true
  wait >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# ---------------------------------------------------------------- helpers
t() { tmux -L "$SOCK" "$@"; }
screen() { t capture-pane -p -t shots 2>/dev/null || true; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT
wait_for() {
  local text=$1 secs=${2:-$DEADLINE} end=$((SECONDS + ${2:-$DEADLINE}))
  while ! screen | grep -qF -- "$text"; do
    if [ $SECONDS -ge $end ]; then
      echo "\"$text\" did not appear within ${secs}s; screen:" >&2
      screen >&2
      exit 1
    fi
    sleep 0.1
  done
}

# wait_gone TEXT [SECONDS]: until the screen no longer shows TEXT
wait_gone() {
  local text=$1 end=$((SECONDS + ${2:-$DEADLINE}))
  while screen | grep -qF -- "$text"; do
    if [ $SECONDS -ge $end ]; then
      echo "\"$text\" still on screen after ${2:-$DEADLINE}s" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# settle: until two captures a moment apart agree (the engine's stream has drawn)
settle() {
  local a b end=$((SECONDS + 10))
  a=$(screen)
  while :; do
    sleep 0.4
    b=$(screen)
    [ "$a" = "$b" ] && return 0
    [ $SECONDS -ge $end ] && return 0
    a=$b
  done
}

keys() { t send-keys -t shots "$@"; }
text() { t send-keys -t shots -l "$1"; }

shot() {
  local name=$1
  settle
  local win
  win=$(xdotool search --class xterm | head -1)
  import -window "$win" "$OUT/$name.png"
  echo "  screenshots/$name.png"
}

# ---------------------------------------------------------------- the display and terminal
for n in $(seq 90 140); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
    DISPLAY_NUM=$n
    break
  fi
done
export DISPLAY=":${DISPLAY_NUM:?no free X display number}"
Xvfb "$DISPLAY" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
end=$((SECONDS + 20))
until xdotool getdisplaygeometry >/dev/null 2>&1; do
  [ $SECONDS -ge $end ] && { echo "Xvfb did not start" >&2; exit 1; }
  sleep 0.1
done

# tmux: no status bar, no escape delay, colours passed through to xterm.
cat >"$WORK/tmux.conf" <<'CONF'
set -g status off
set -s escape-time 0
set -g default-terminal "tmux-256color"
CONF
mkdir -p "$WORK/home" "$WORK/tmp"
# A home of its own: no config, keymap or state of whoever runs the script.
DEMO="env -u MFA_CUTOVER_CONFIG -u MFA_CUTOVER_STATE_DIR -u MFA_CUTOVER_KEYMAP -u NO_COLOR \
HOME='$WORK/home' XDG_CONFIG_HOME='$WORK/home/.config' XDG_DATA_HOME='$WORK/home/.local/share' \
TMPDIR='$WORK/tmp' '$BIN' demo; sleep 2"
xterm -geometry "${COLS}x${ROWS}" -fa 'DejaVu Sans Mono' -fs 11 -tn xterm-256color \
  -bg '#16191d' -fg '#d0d4d9' -bc -xrm 'XTerm*cursorBlink: false' -b 8 \
  -e tmux -L "$SOCK" -f "$WORK/tmux.conf" new-session -s shots "$DEMO" &
XTERM_PID=$!
end=$((SECONDS + 20))
until xdotool search --class xterm >/dev/null 2>&1; do
  [ $SECONDS -ge $end ] && { echo "xterm did not start" >&2; exit 1; }
  sleep 0.1
done

mkdir -p "$OUT"
echo "capturing"
# Users: the demo wave's members, with their MFA Server and Entra methods.
wait_for " members"
keys j j j
shot users

# Help: the keys of this view, then the global keys.
keys '?'
wait_for "Keys of this view"
shot help
keys Escape
wait_gone "Keys of this view"

# Command mode with completion.
keys ':'
text "pl"
shot command
keys Escape
wait_gone ":plan"

# Plan preview: a dry run of the group, every operation with its rule ids.
keys p
wait_for "dry run finished"
shot plan
keys Escape
wait_gone "Plan preview"

# Detail of one user after the dry run: MFA Server vs Entra, and the plan.
keys /
text "emily.o'neil78"
keys Enter
keys d
wait_for "MFA SERVER"
shot detail
keys Escape
wait_gone "MFA SERVER"
keys Escape
wait_gone "/emily"

# A migration under Graph's throttling quotas, then the activity log of its calls.
keys M
wait_for "[ Cancel ]"
# Over 50 users to write is tier 2: type the count the dialog asks for.
count=$(screen | grep -o 'Type [0-9,]* to enable' | head -1 | awk '{print $2}')
[ -n "$count" ] && text "$count"
keys Tab Enter
wait_for "Migrating"
wait_for "verified"
sleep 3
shot migrating
keys @
wait_for "Activity log"
shot activity
keys Escape
wait_gone "Activity log"

# Let it finish: the cutover's tabs then show the wave migrated.
wait_for "Migration finished" 300

# Rollout: every wave's readiness and the next step.
keys 3
wait_for "Staged Rollout for MFA"
wait_for "Wave 1"
shot rollout

# Federation: the domains and where their users do MFA.
keys 4
wait_for "federatedIdpMfaBehavior decides"
shot federation

# Dependencies: what still authenticates through MFA Server, worst first; then the
# evidence of one relying party with the rules that send its users to MFA Server.
keys 5
wait_for "need a decision"
shot dependencies
keys /
text "Office 365"
keys Enter
keys Enter
wait_for "AD FS relying party ·"
shot evidence
keys Escape
wait_gone "AD FS relying party ·"
keys Escape

# The checklist, then its rollback plan one key away.
keys 1
wait_for "Next:"
shot checklist
keys r
wait_for "What-if: nothing is written"
shot rollback
keys Escape
wait_gone "What-if: nothing is written"

# The journal: every tenant change and write.
keys 6
wait_for "newest first"
shot journal

# Quit: the terminal is given back.
keys q
end=$((SECONDS + 30))
while t has-session -t shots 2>/dev/null; do
  [ $SECONDS -ge $end ] && { echo "the demo did not quit" >&2; exit 1; }
  sleep 0.2
done
echo "done"
