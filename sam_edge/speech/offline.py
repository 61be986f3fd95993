"""Offline speech to text with faster-whisper and a Whisper model on local disk: English only.

Opt-in (``pip install 'sam-edge[offline]'``). The model is a CTranslate2 Whisper directory
(``model.bin``, ``config.json``, ``tokenizer.json``, ``vocabulary.*``) that is already on disk:
nothing is ever downloaded. Recognition is always in English (``language="en"``), so titles in
other languages come out as English-sounding words; the cloud :class:`~.stt.GroqSpeechToText`
remains the way to transliterate them.

The model loads once, on first use (or :meth:`FasterWhisperSTT.load`), in a worker thread, and
every transcription runs in a worker thread too. Results go through the same hallucination
check as the cloud service (:func:`~.stt.is_hallucination`), fed with faster-whisper's segment
scores, plus a check for the prompt echoed back on silence.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.format import SAMPLE_RATE, Clip
from .stt import SttUnavailable, Transcript, _is_latin, is_hallucination

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

LANGUAGE = "en"
INSTALL_HINT = "pip install 'sam-edge[offline]'"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
"""Without ``tokenizer.json`` faster-whisper would fetch a tokenizer from the network."""

PROMPT_LEAD = "Voice commands for a music player: play, pause, next, louder."
HINTS_LEAD = " Titles and artists: "
MAX_PROMPT_CHARS = 200
"""A short prompt: on the tiny models a long list of titles drowns the one that was said."""
_ECHOES = ("voice commands for a music player", "titles and artists")


def build_offline_prompt(hints: Sequence[str], max_chars: int = MAX_PROMPT_CHARS) -> str:
    """A short English lead plus as many distinct Latin-script ``hints`` as fit, in order."""
    seen: set[str] = set()
    titles: list[str] = []
    used = len(PROMPT_LEAD) + len(HINTS_LEAD) + 1
    for hint in hints:
        title = " ".join(str(hint).split()).strip(" ,.")
        key = title.casefold()
        if not title or key in seen or not _is_latin(title):
            continue
        cost = len(title) + (2 if titles else 0)
        if used + cost > max_chars:
            continue
        seen.add(key)
        titles.append(title)
        used += cost
    return f"{PROMPT_LEAD}{HINTS_LEAD}{', '.join(titles)}." if titles else PROMPT_LEAD


def _words(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def _echoes_prompt(text: str) -> bool:
    """Whisper sometimes answers silence by repeating a piece of its prompt."""
    words = _words(text)
    return len(words.split()) >= 2 and any(words in echo for echo in _ECHOES)


def pcm_to_float(pcm: bytes) -> Any:
    """16-bit little-endian PCM as a float32 numpy array in [-1, 1]."""
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


class FasterWhisperSTT:
    """:class:`~.stt.SpeechToText` on the device: faster-whisper over a local model, English."""

    def __init__(self, model_path: Path, *, compute_type: str = "int8", cpu_threads: int = 2,
                 beam_size: int = 1) -> None:
        self._model_path = Path(model_path).expanduser()
        self._compute_type = compute_type
        self._cpu_threads = cpu_threads
        self._beam_size = beam_size
        self._model: WhisperModel | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"FasterWhisperSTT(model_path={str(self._model_path)!r})"

    async def load(self) -> None:
        """Load the model now (it otherwise loads on the first transcription)."""
        async with self._lock:
            await self._ensure_model()

    async def _ensure_model(self) -> WhisperModel:
        if self._model is None:
            started = time.perf_counter()
            self._model = await asyncio.to_thread(self._load)
            log.info("Whisper model %s loaded in %.2f s", self._model_path,
                     time.perf_counter() - started)
        return self._model

    def _load(self) -> WhisperModel:
        try:
            from faster_whisper import WhisperModel
        except ImportError as err:
            raise SttUnavailable(
                f"Offline speech-to-text needs faster-whisper: {INSTALL_HINT}."
            ) from err
        path = self._model_path
        missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
        if missing:
            raise SttUnavailable(
                f"No Whisper model at {path} (missing {', '.join(missing)}): set [speech] "
                "offline_model (SAM_SPEECH_OFFLINE_MODEL) to a CTranslate2 Whisper model folder."
            )
        try:
            return WhisperModel(str(path), device="cpu", compute_type=self._compute_type,
                                cpu_threads=self._cpu_threads, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as err:
            raise SttUnavailable(f"The Whisper model at {path} could not be loaded: {err}") from err

    async def transcribe(self, clip: Clip, *, hints: Sequence[str] = ()) -> Transcript:
        if not clip.pcm:
            return Transcript("", True, LANGUAGE, 0.0, "empty")
        prompt = build_offline_prompt(hints)
        async with self._lock:  # one transcription at a time: the Pi has few cores to share
            model = await self._ensure_model()
            started = time.perf_counter()
            text, segments, duration = await asyncio.to_thread(self._run, model, clip, prompt)
        log.debug("transcribed %.2f s of audio in %.2f s", clip.duration_s,
                  time.perf_counter() - started)
        duration = duration or clip.duration_s
        reason = is_hallucination(segments, text)
        if reason is None and _echoes_prompt(text):
            reason = "prompt_echo"
        if reason is not None:
            log.info("transcript rejected (%s)", reason)
            log.debug("rejected transcript: %.80r", text)
            return Transcript("", True, LANGUAGE, duration, reason)
        return Transcript(text, False, LANGUAGE, duration)

    def _run(self, model: WhisperModel, clip: Clip,
             prompt: str) -> tuple[str, list[dict[str, float]], float]:
        # faster-whisper takes 16 kHz float32 as is; any other rate goes in as WAV and is resampled.
        audio = pcm_to_float(clip.pcm) if clip.sample_rate == SAMPLE_RATE else io.BytesIO(
            clip.to_wav())
        try:
            found, info = model.transcribe(
                audio, language=LANGUAGE, beam_size=self._beam_size, vad_filter=False,
                condition_on_previous_text=False, initial_prompt=prompt,
            )
            segments = list(found)  # a generator: the decoding happens here, in this thread
        except (RuntimeError, ValueError, OSError) as err:
            log.warning("offline transcription failed: %s", err)
            raise SttUnavailable("Offline speech recognition failed on that recording.") from err
        scores = [
            {"no_speech_prob": float(s.no_speech_prob), "avg_logprob": float(s.avg_logprob),
             "compression_ratio": float(s.compression_ratio)}
            for s in segments
        ]
        text = "".join(s.text for s in segments).strip()
        return text, scores, float(info.duration)
