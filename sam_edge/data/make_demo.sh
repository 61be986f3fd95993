#!/bin/sh
# Makes the demo request that stands in for the microphone in the simulated mode:
# 16 kHz mono 16-bit, 0.5 s of silence, the request, 1 s of silence. Needs espeak-ng and sox.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
text="what's playing"
espeak-ng -v en-us -s 165 -w "$tmp/raw.wav" "$text"
sox -V1 -R -D "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/cut.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
sox -V1 -R -D "$tmp/cut.wav" "$here/demo_request.wav" pad 0.5 1.0
printf '%s\n' "$text" > "$here/demo_request.txt"
