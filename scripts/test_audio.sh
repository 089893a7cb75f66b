#!/usr/bin/env bash
# Real audio the tests and the parity harness use when present: Debian's
# warzone2100-music (OGG/Opus music), espeak-ng (speech) and fluidsynth with
# fluid-soundfont-gm (MIDI melodies rendered with known pitch). Installed when
# missing and this runs as root with apt-get (a fresh CI machine); otherwise
# the tests that need them say they are skipping.
set -euo pipefail
missing=()
[ -d /usr/share/games/warzone2100/music ] || missing+=(warzone2100-music)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing+=(fluid-soundfont-gm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test_audio: installing ${missing[*]}" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || echo "test_audio: could not install ${missing[*]}; the real-audio cases will be skipped" >&2
  fi
else
  echo "test_audio: ${missing[*]} not installed (needs root and apt-get); the real-audio cases will be skipped" >&2
fi
