#!/bin/sh
# Makes the speech WAVs that the listening tests run webrtcvad over: 16 kHz, mono, 16-bit,
# about 0.5 s of silence before the speech and 1 s after it. Needs espeak-ng and sox
# (apt install espeak-ng sox). The output is deterministic: sox runs without dither and in
# repeatable mode, so re-running it gives the same files.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SOX="sox -V1 -R -D"

# say OUT VOICE TEXT: speech alone, with espeak-ng's own leading and trailing silence cut.
say() {
    espeak-ng -v "$2" -s 165 -w "$tmp/raw.wav" "$3"
    $SOX "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$1" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
}

# padded OUT IN: IN with 0.5 s of silence before and 1 s after.
padded() {
    $SOX "$2" "$here/$1" pad 0.5 1.0
}

say "$tmp/hello.wav" en-us "play Hello by Adele"
padded play_hello_by_adele.wav "$tmp/hello.wav"

say "$tmp/pause.wav" en-us "pause"
padded pause.wav "$tmp/pause.wav"

# "play" in English, then the Telugu song title in the Telugu voice: code-mixed, as spoken.
say "$tmp/play.wav" en-us "play"
say "$tmp/nuvvu.wav" te "నువ్వు నేనంటూ"
$SOX "$tmp/play.wav" "$tmp/gap.wav" pad 0 0.15
$SOX "$tmp/gap.wav" "$tmp/nuvvu.wav" "$tmp/mixed.wav"
padded play_nuvvu_nenantu.wav "$tmp/mixed.wav"

# Three seconds of very quiet white noise: a room where nobody speaks.
$SOX -n -r 16000 -c 1 -b 16 "$here/silence.wav" synth 3 whitenoise vol 0.002

# A monologue of more than 20 s without a pause long enough to end it.
say "$tmp/long.wav" en-us "Let me tell you about the playlist I made for the long drive \
to the coast, it starts with some quiet acoustic songs for the early morning, then it moves \
to a few old rock classics that everybody in the car can sing along to, and after lunch it \
turns into upbeat dance music to keep the driver awake, and the very last track is the one \
we always play when we finally see the sea"
padded long_speech.wav "$tmp/long.wav"

# "hey sam" in the first second, then "pause" from exactly 1.0 s: a wake word detector that
# fires at 0.8 s hands the command over cleanly.
say "$tmp/heysam.wav" en-us "hey sam"
$SOX "$tmp/heysam.wav" "$tmp/lead.wav" pad 0.1 2 trim 0 1.0
$SOX "$tmp/lead.wav" "$tmp/pause.wav" "$here/hey_sam_pause.wav" pad 0 1.0

for f in play_hello_by_adele pause play_nuvvu_nenantu silence long_speech hey_sam_pause; do
    printf '%-24s %6.2f s\n' "$f.wav" "$(soxi -D "$here/$f.wav")"
done
