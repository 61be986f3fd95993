"""A corpus of spoken commands over the device's own music, made by code in simulated rooms.

Each recording is what a USB microphone hears while SAM plays music: the music as the player
writes it (48 kHz stereo, the echo reference), through a small loudspeaker that soft-clips,
an echo path (15-60 ms delay, a 150-350 ms reverberant tail), a slightly different clock and a
little noise, plus a spoken command from espeak-ng (several voices) after several seconds of
music. The music has chords, a bass line, drums and a sung vocal line (a voice-like source
through vowel formants, which a VAD takes for speech). Music-to-voice ratios are the RMS of the
echo over the RMS of the voice, both at the microphone and over the command's span.

Everything is generated from a seed, so a case is the same on every run; nothing is read from
data files. The truth (``speech_start_ms``, ``speech_end_ms``) is where the clean command's
energy is within 40 dB of its loudest 10 ms.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import soxr

MIC_RATE = 16_000
PLAYER_RATE = 48_000
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland", "en+m3", "en-us+f2", "en-029",
          "en-gb-x-rp+f4")
COMMANDS = ("play hotel california", "pause the music", "next song", "turn the volume down",
            "play something by queen", "stop", "skip this track", "what song is this",
            "play my liked songs", "louder please", "play the beatles", "resume")
RATIOS_DB = (0.0, 10.0, 20.0)
VOICE_DBFS = -35.0
"""Voice RMS at the microphone; +20 dB of music then peaks close to full scale."""


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@lru_cache(maxsize=256)
def speak(text: str, voice: str, speed: int = 165) -> np.ndarray:
    """espeak-ng's rendering of ``text`` at 16 kHz, float in [-1, 1], silence trimmed."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True, timeout=30).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    audio = soxr.resample(pcm.astype(np.float32) / 32768.0, rate, MIC_RATE)
    first, last = active_span(audio, MIC_RATE)
    return audio[first:last].astype(np.float64)


def active_span(audio: np.ndarray, rate: int, floor_db: float = 40.0) -> tuple[int, int]:
    """First and one-past-last sample of the 10 ms blocks within ``floor_db`` of the loudest."""
    block = rate // 100
    n = len(audio) // block
    energy = (audio[: n * block].reshape(n, block) ** 2).mean(axis=1) + 1e-20
    active = np.flatnonzero(10 * np.log10(energy / energy.max()) > -floor_db)
    return int(active[0]) * block, (int(active[-1]) + 1) * block


# --- music ---------------------------------------------------------------------------------

def _note_hz(semitones_from_a4: float) -> float:
    return 440.0 * 2 ** (semitones_from_a4 / 12)


def _envelope(n: int, rate: int, attack_s: float, decay_s: float) -> np.ndarray:
    t = np.arange(n) / rate
    return np.minimum(1.0, t / attack_s) * np.exp(-t / decay_s)


def _add(track: np.ndarray, start: int, sound: np.ndarray) -> None:
    end = min(len(track), start + len(sound))
    if start < end:
        track[start:end] += sound[: end - start]


def _formant_gain(freq: np.ndarray, formants: tuple[float, ...]) -> np.ndarray:
    gain = np.zeros_like(freq)
    for i, centre in enumerate(formants):
        width = 80.0 + 40.0 * i
        gain += (0.5 ** i) / (1.0 + ((freq - centre) / width) ** 2)
    return gain


_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
           (300, 870, 2240))


def _sung_note(f0: float, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / rate
    depth = 0.017 * np.minimum(1, t / 0.2)
    vibrato = 1 + depth * np.sin(2 * np.pi * 5.5 * t + rng.uniform(0, 6.28))
    phase = 2 * np.pi * np.cumsum(f0 * vibrato) / rate
    formants = _VOWELS[rng.integers(len(_VOWELS))]
    out = np.zeros(n)
    for k in range(1, int(4000 // f0) + 1):
        amp = _formant_gain(np.array([k * f0]), formants)[0] / k ** 0.7
        out += amp * np.sin(k * phase)
    return out * _envelope(n, rate, 0.04, 0.9) * np.minimum(1, (n - np.arange(n)) / (0.05 * rate))


def _drums(n: int, rate: int, beat: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    kick_n, snare_n, hat_n = int(0.25 * rate), int(0.2 * rate), int(0.06 * rate)
    t = np.arange(kick_n) / rate
    kick = np.sin(2 * np.pi * np.cumsum(50 + 90 * np.exp(-t / 0.03)) / rate) * np.exp(-t / 0.12)
    t = np.arange(snare_n) / rate
    snare = (0.6 * rng.standard_normal(snare_n) + 0.5 * np.sin(2 * np.pi * 185 * t)) \
        * np.exp(-t / 0.06)
    hat = np.diff(rng.standard_normal(hat_n + 1)) * np.exp(-np.arange(hat_n) / rate / 0.015)
    for i, start in enumerate(range(0, n, beat)):
        _add(out, start, 0.9 * kick if i % 2 == 0 else 0.55 * snare)
        _add(out, start + beat // 2, 0.12 * hat)
        _add(out, start, 0.1 * hat)
    return out


def make_music(seconds: float, seed: int, rate: int = PLAYER_RATE) -> np.ndarray:
    """A stereo song (``(n, 2)`` float, peak at -1 dBFS): chords, bass, drums, a sung line.

    The tonal parts (nothing above 4 kHz) are made at a quarter of ``rate`` and resampled;
    the drums, which reach up high, at ``rate``.
    """
    rng = np.random.default_rng(seed)
    low = rate // 4
    n = int(seconds * low)
    beat = int(low * 60 / rng.uniform(88, 132))
    root = int(rng.integers(-9, 3))
    progression = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))
    left, right, centre = np.zeros(n), np.zeros(n), np.zeros(n)
    bar = 4 * beat
    t = np.arange(bar) / low
    envelope = 0.16 * _envelope(bar, low, 0.02, 1.6)
    pads = [[envelope * sum(np.sin(2 * np.pi * k * _note_hz(root + step - 12) * t + k) / k
                            for k in range(1, 7)) for step in chord] for chord in progression]
    for b, start in enumerate(range(0, n, bar)):
        chord = progression[b % 4]
        for j, pad in enumerate(pads[b % 4]):
            _add(left if j % 2 == 0 else right, start, pad)
            _add(right if j % 2 == 0 else left, start, 0.5 * pad)
        f_bass = _note_hz(root + chord[0] - 24)
        for q in range(4):
            tb = np.arange(beat) / low
            bass = np.sin(2 * np.pi * f_bass * tb) + 0.3 * np.sin(4 * np.pi * f_bass * tb)
            _add(centre, start + q * beat, 0.35 * bass * _envelope(beat, low, 0.005, 0.25))
        for q in range(0, 4, 1 if rng.random() < 0.6 else 2):
            if rng.random() < 0.2:
                continue  # a rest in the vocal line
            length = beat * (1 if q < 3 else 2)
            f0 = _note_hz(root + chord[int(rng.integers(3))] + 12 * int(rng.integers(-1, 1)))
            while f0 < 170:
                f0 *= 2
            _add(centre, start + q * beat, 0.45 * _sung_note(f0, length, low, rng))
    tonal = soxr.resample(np.stack([left + centre, right + centre], axis=1), low, rate)
    drums = _drums(len(tonal), rate, beat * 4, rng)
    stereo = tonal + drums[:, None]
    return stereo * (10 ** (-1 / 20) / np.max(np.abs(stereo)))


# --- rooms -----------------------------------------------------------------------------------

def room_response(rng: np.random.Generator, delay_ms: float, tail_ms: float,
                  direct_to_reverb_db: float, rate: int = MIC_RATE) -> np.ndarray:
    """Direct path after ``delay_ms``, early reflections, and a noise tail decaying by 60 dB
    over ``tail_ms`` that carries ``direct_to_reverb_db`` less energy than the direct path."""
    delay = int(delay_ms * rate / 1000)
    length = delay + int(tail_ms * rate / 1000)
    ir = np.zeros(length)
    ir[delay] = 1.0
    for _ in range(6):
        ir[delay + int(rng.uniform(0.002, 0.02) * rate)] += rng.uniform(-0.5, 0.5)
    t = np.arange(length - delay) / rate
    decay = 10 ** (-3 * t / (tail_ms / 1000)) * np.minimum(1, t / 0.005)
    tail = rng.standard_normal(len(t)) * decay
    ir[delay:] += tail * np.sqrt(10 ** (-direct_to_reverb_db / 10) / np.sum(tail ** 2))
    return ir


def loudspeaker(mono: np.ndarray, drive: float, rate: int = PLAYER_RATE) -> np.ndarray:
    """A small speaker: no deep bass (a 2nd-order high-pass near 140 Hz) and soft clipping."""
    size = 1 << len(mono).bit_length()
    spectrum = np.fft.rfft(mono, size)
    freq = np.fft.rfftfreq(size, 1 / rate)
    ratio = freq / 140.0
    spectrum *= ratio ** 2 / np.sqrt((1 - ratio ** 2) ** 2 + (1.414 * ratio) ** 2 + 1e-30)
    cone = np.fft.irfft(spectrum, size)[: len(mono)]
    return np.tanh(drive * cone) / drive


def convolve(signal: np.ndarray, ir: np.ndarray) -> np.ndarray:
    n = len(signal) + len(ir) - 1
    size = 1 << (n - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(signal, size) * np.fft.rfft(ir, size), size)
    return out[: len(signal)]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x ** 2)) + 1e-20)


# --- recordings ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Recording:
    """One simulated recording and its truth."""

    name: str
    mic: np.ndarray
    """16 kHz mono int16, as the microphone wrote it."""
    reference: np.ndarray
    """48 kHz stereo int16 ``(n, 2)``, as the player wrote it, from the same instant."""
    ratio_db: float | None
    """Music-to-voice ratio over the command; ``None`` for music only."""
    speech_start_ms: int | None
    speech_end_ms: int | None
    voice: np.ndarray
    """The command alone at the microphone (float, 16 kHz), for measuring what survives."""
    echo: np.ndarray
    """The music alone at the microphone (float, 16 kHz)."""

    def mic_bytes(self) -> bytes:
        return self.mic.astype("<i2").tobytes()

    def reference_bytes(self) -> bytes:
        return self.reference.astype("<i2").tobytes()


def make_recording(seed: int, ratio_db: float | None, *, music_before_s: float | None = None,
                   command: str | None = None, pause_ms: int = 0,
                   music_level_dbfs: float = -20.0) -> Recording:
    """Recording ``seed`` at ``ratio_db`` (``None``: music only, at ``music_level_dbfs``).

    ``pause_ms`` splits the command after its first word with that much silence (a speaker
    who pauses mid-sentence).
    """
    rng = np.random.default_rng(1000 + seed)
    voice_name = VOICES[seed % len(VOICES)]
    text = command or COMMANDS[seed % len(COMMANDS)]
    before = music_before_s if music_before_s is not None else float(rng.uniform(6.0, 9.0))
    if ratio_db is None:
        speech = np.zeros(0)
    elif pause_ms:
        head, _, tail = text.partition(" ")
        gap = np.zeros(int(pause_ms * MIC_RATE / 1000))
        speech = np.concatenate([speak(head, voice_name), gap, speak(tail, voice_name)])
    else:
        speech = speak(text, voice_name, speed=int(rng.integers(140, 190)))
    total_s = before + len(speech) / MIC_RATE + 1.5
    n_mic = int(total_s * MIC_RATE)

    music = make_music(total_s + 0.5, seed=seed)
    reference = np.round(music[: int(total_s * PLAYER_RATE)] * 32767).astype(np.int16)
    drive = float(rng.uniform(1.5, 3.0))
    cone = loudspeaker(reference.astype(np.float64).mean(axis=1) / 32768.0, drive)
    drift_ppm = float(rng.uniform(-80, 80))
    at_mic_clock = soxr.resample(cone, PLAYER_RATE, MIC_RATE * (1 + drift_ppm * 1e-6), "VHQ")
    ir = room_response(rng, float(rng.uniform(15, 60)), float(rng.uniform(150, 350)),
                       float(rng.uniform(0, 10)))
    echo = convolve(np.asarray(at_mic_clock, dtype=np.float64), ir)[:n_mic]
    echo = np.pad(echo, (0, max(0, n_mic - len(echo))))

    voice = np.zeros(n_mic)
    start_ms = end_ms = None
    if len(speech):
        offset = int(before * MIC_RATE)
        first, last = active_span(speech, MIC_RATE)
        start_ms = (offset + first) * 1000 // MIC_RATE
        end_ms = (offset + last) * 1000 // MIC_RATE
        voice_ir = room_response(rng, float(rng.uniform(2, 8)), float(rng.uniform(150, 350)),
                                 float(rng.uniform(-3, 6)))
        voice_ir[: np.argmax(voice_ir)] = 0
        wet = convolve(np.concatenate([speech, np.zeros(len(voice_ir))]), voice_ir)
        _add(voice, offset, wet)
        span = slice(offset + first, offset + last)
        voice *= 10 ** (VOICE_DBFS / 20) / _rms(voice[span])
        echo *= 10 ** ((VOICE_DBFS + ratio_db) / 20) / _rms(echo[span])
    else:
        echo *= 10 ** (music_level_dbfs / 20) / _rms(echo)
    noise = rng.standard_normal(n_mic) * 10 ** (-68 / 20)
    mic = np.clip(np.round((echo + voice + noise) * 32768), -32768, 32767).astype(np.int16)
    label = "music" if ratio_db is None else f"{ratio_db:+.0f}dB"
    return Recording(f"{label}-{seed}-{voice_name}", mic, reference, ratio_db, start_ms, end_ms,
                     voice, echo)
