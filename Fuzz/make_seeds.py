#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (Fuzz/corpus/*): small valid inputs of
each format, and a few broken ones, for libFuzzer to mutate. Deterministic."""
import io
import os
import struct
import subprocess
import wave

import mido
import numpy as np
from safetensors.numpy import save

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(kind, name, data):
    os.makedirs(os.path.join(root, kind), exist_ok=True)
    with open(os.path.join(root, kind, name), "wb") as f:
        f.write(data)


rng = np.random.default_rng(0)
# safetensors: a small weights-like file, metadata, an empty tensor, bf16, and broken ones.
a = save({"encoder.conv.weight": rng.standard_normal((2, 3)).astype(np.float32)},
         metadata={"sample_rate": "22050", "n_bins": "352"})
put("safetensors", "weights.safetensors", a)
put("safetensors", "two.safetensors", save({"a": np.zeros((0, 4), np.float32), "b": np.arange(5, dtype=np.float32)}))
header = b'{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}'
put("safetensors", "bf16.safetensors", struct.pack("<Q", len(header)) + header + b"\x80\x3f\x00\x40")
put("safetensors", "truncated.safetensors", a[: len(a) - 7])
put("safetensors", "overlap.safetensors", struct.pack("<Q", 96) +
    b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}'[:96] + bytes(8))

# label CSVs: MusicNet's columns, CRLF, extra columns, fractional beats, and broken rows.
good = ("start_time,end_time,instrument,note,start_beat,end_beat,note_value\n"
        "9182,90078,43,53,4.0,1.5,Dotted Quarter\n9182,33758,42,65,4.0,0.5,Eighth\n33758,41950,42,64,4.5,0.25,Sixteenth\n")
put("labelcsv", "musicnet.csv", good.encode())
put("labelcsv", "crlf.csv", good.replace("\n", "\r\n").encode())
put("labelcsv", "extra.csv", b"start_time,end_time,instrument,note,start_beat,end_beat,note_value,x\n0,100,1,60,0.333,1,q,7\n\n")
put("labelcsv", "broken.csv", b"start_time,end_time,instrument,note\n500,100,1,60\n")
put("labelcsv", "header-only.csv", b"start_time,end_time,instrument,note,start_beat,end_beat,note_value\n")

# MIDI: format 0 and 1, running status, a tempo change, overlapping notes.
def midi_bytes(tracks, ticks=480):
    mf = mido.MidiFile(ticks_per_beat=ticks, type=1 if len(tracks) > 1 else 0)
    for messages in tracks:
        t = mido.MidiTrack()
        t.extend(messages)
        mf.tracks.append(t)
    out = io.BytesIO()
    mf.save(file=out)
    return out.getvalue()

put("midi", "format0.mid", midi_bytes([[mido.Message("note_on", note=60, velocity=90, time=0),
                                        mido.Message("note_on", note=64, velocity=90, time=0),
                                        mido.Message("note_off", note=60, time=480),
                                        mido.Message("note_on", note=64, velocity=0, time=240)]]))
put("midi", "format1-tempo.mid", midi_bytes([[mido.MetaMessage("set_tempo", tempo=400000, time=0)],
                                             [mido.Message("program_change", program=40, time=0),
                                              mido.Message("note_on", channel=1, note=67, velocity=80, time=10),
                                              mido.MetaMessage("set_tempo", tempo=600000, time=100),
                                              mido.Message("note_off", channel=1, note=67, time=300)]]))
put("midi", "notes.bin", bytes(rng.integers(0, 256, 64, dtype=np.uint8)))

# audio: 16-bit mono at the model rate, 44.1 kHz stereo, a float WAV, FLAC, raw PCM.
def wav_bytes(samples, rate, channels, width=2):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()

t = np.arange(2205) / 22050
tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
put("audio", "mono22k.wav", wav_bytes(tone, 22050, 1))
stereo = np.stack([tone[:1000], tone[:1000] // 2], axis=1).astype("<i2")
put("audio", "stereo44k.wav", wav_bytes(stereo, 44100, 2))
put("audio", "raw.pcm", tone[:600].tobytes())
floatwav = subprocess.run(["sox", "-t", "wav", "-", "-t", "wav", "-e", "floating-point", "-b", "32", "-"],
                          input=wav_bytes(tone[:800], 22050, 1), capture_output=True, check=True).stdout
put("audio", "float.wav", floatwav)
flac = subprocess.run(["sox", "-t", "wav", "-", "-t", "flac", "-"], input=wav_bytes(tone[:800], 22050, 1),
                      capture_output=True, check=True).stdout
put("audio", "tone.flac", flac)
put("audio", "truncated.wav", wav_bytes(tone, 22050, 1)[:1500])
print("seeds written to", root)
