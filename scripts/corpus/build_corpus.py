#!/usr/bin/env python3
"""Builds a MusicNet-layout corpus from real scores: the music21 corpus, rendered with FluidSynth.

Python is used for this data step alone (music21 reads the scores; nothing in Swift does). Every
rendering is planned first from one seed (pieces, instruments, tempo, tuning, gain, reverb, noise),
then rendered in parallel, so the same command gives the same corpus. Labels are read back from the
exact MIDI file that FluidSynth rendered. See scripts/corpus/README.md for the choices.

    build_corpus.py --out corpus/fluidr3 --hours 6            # train + test splits, FluidR3
    build_corpus.py --out corpus/unseen-sf --only-test \\
        --soundfont /usr/share/sounds/sf2/TimGM6mb.sf2 --half-clean   # the held-out soundfont set
    build_corpus.py --example Examples/maple-leaf-rag             # the bundled example
"""
import argparse
import csv
import hashlib
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import wave

import mido
import numpy as np

SAMPLE_RATE = 44100
FLUIDR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"

# MusicNet instrument codes are General MIDI program + 1; these are the programs (0-based).
PIANO, HARPSICHORD = 0, 6
VIOLIN, VIOLA, CELLO, CONTRABASS = 40, 41, 42, 43
HORN, OBOE, BASSOON, CLARINET, FLUTE = 60, 68, 70, 71, 73
# Instruments live users play that MusicNet lacks (--families live).
DRAWBAR_ORGAN, CHURCH_ORGAN, REED_ORGAN = 16, 19, 20
NYLON_GUITAR, STEEL_GUITAR, CLEAN_GUITAR = 24, 25, 27
CHOIR, VOICE = 52, 53
SOPRANO_SAX, ALTO_SAX, TENOR_SAX, BARITONE_SAX = 64, 65, 66, 67
# Comfortable sounding ranges (MIDI), used to move a part by octaves onto its instrument.
RANGES = {PIANO: (21, 108), HARPSICHORD: (29, 89), VIOLIN: (55, 100), VIOLA: (48, 88), CELLO: (36, 76),
          CONTRABASS: (28, 67), HORN: (41, 77), OBOE: (58, 91), BASSOON: (34, 75), CLARINET: (50, 91), FLUTE: (60, 96),
          DRAWBAR_ORGAN: (24, 96), CHURCH_ORGAN: (24, 96), REED_ORGAN: (36, 89), NYLON_GUITAR: (40, 83),
          STEEL_GUITAR: (40, 86), CLEAN_GUITAR: (40, 88), CHOIR: (40, 81), VOICE: (45, 79), SOPRANO_SAX: (56, 87),
          ALTO_SAX: (49, 80), TENOR_SAX: (44, 75), BARITONE_SAX: (36, 68)}
NAMES = {PIANO: "piano", HARPSICHORD: "harpsichord", VIOLIN: "violin", VIOLA: "viola", CELLO: "cello",
         CONTRABASS: "contrabass", HORN: "horn", OBOE: "oboe", BASSOON: "bassoon", CLARINET: "clarinet", FLUTE: "flute",
         DRAWBAR_ORGAN: "drawbar-organ", CHURCH_ORGAN: "church-organ", REED_ORGAN: "reed-organ",
         NYLON_GUITAR: "nylon-guitar", STEEL_GUITAR: "steel-guitar", CLEAN_GUITAR: "clean-guitar", CHOIR: "choir",
         VOICE: "voice", SOPRANO_SAX: "soprano-sax", ALTO_SAX: "alto-sax", TENOR_SAX: "tenor-sax",
         BARITONE_SAX: "baritone-sax"}

# The share of training audio each family gets: keyboard first (piano above all), then strings and
# winds with hours of their own, and mixed ensembles. A corpus of mostly string quartets learns
# strings and little else.
FAMILY_SHARES = {"piano": 0.36, "harpsichord": 0.08, "strings": 0.22, "winds": 0.20, "mixed": 0.14}
# --families live: the instruments a live user is likely to play that MusicNet has none of.
LIVE_SHARES = {"guitar": 0.30, "voice": 0.25, "saxophone": 0.20, "organ": 0.25}
FAMILY_SETS = {"musicnet": FAMILY_SHARES, "live": LIVE_SHARES}

# Which music21 corpus folders are used, and at most how many files of each (seeded sample).
COLLECTIONS = {"bach": 433, "beethoven": 26, "mozart": 16, "haydn": 9, "schumann_robert": 7, "schumann_clara": 5,
               "monteverdi": 97, "trecento": 103, "josquin": 8, "palestrina": 220, "chopin": 1, "beach": 1,
               "schubert": 1, "handel": 1, "corelli": 1, "cpebach": 1, "verdi": 1, "weber": 1, "luca": 1,
               "ciconia": 1, "lusitano": 1, "johnson_j_r": 1, "liliuokalani": 1, "schoenberg": 2,
               "oneills1850": 20, "airdsAirs": 6}
# The collections whose left-out files --more-pieces adds to a training batch (Palestrina: 4-6
# voices of polyphony; O'Neill's fiddle tunes).
MORE_PIECES = {"palestrina", "oneills1850"}
# Never in train or test: the bundled example.
EXAMPLE_PIECE = "joplin/maple_leaf_rag.mxl"
TEST_FRACTION = 0.08


# ---------------------------------------------------------------- scores

def catalogue(seed=0, more=False):
    """The corpus files used, as paths relative to music21's corpus folder, sorted. The sample
    of the large collections does not follow --seed: every corpus built from these scores (the
    training corpus, the held-out soundfont set) draws from the same pieces. With more=True the
    files the sample left out are added too, those of the training split only, so a later
    training batch hears new pieces while the test split stays exactly what it was."""
    from music21 import corpus
    by_collection = {}
    for path in corpus.getPaths():
        rel = str(path).split("/corpus/", 1)[1]
        by_collection.setdefault(rel.split("/")[0], []).append(rel)
    chosen, extra = [], []
    rng = random.Random(seed)
    for name, limit in sorted(COLLECTIONS.items()):
        files = sorted(by_collection.get(name, []))
        if len(files) > limit:
            sample = sorted(rng.sample(files, limit))
            if more and name in MORE_PIECES:
                taken = set(sample)
                extra.extend(f for f in files if f not in taken and not is_test_piece(f))
            files = sample
        chosen.extend(files)
    return [f for f in chosen + extra if f != EXAMPLE_PIECE]


def parse_piece(rel):
    """A score as parts of (onset, duration) in quarter notes and MIDI pitches, and its tempo."""
    from music21 import corpus, stream, tempo
    try:
        score = corpus.parse(rel)
    except Exception as error:  # a file music21 cannot read is left out, and said
        return {"id": rel, "error": str(error)}
    if isinstance(score, stream.Opus):
        score = score.scores[0] if score.scores else None
        if score is None:
            return {"id": rel, "error": "empty opus"}
    parts = list(score.parts) or [score]
    out = []
    for part in parts:
        notes = []
        for n in part.stripTies().flatten().notes:
            length = float(n.quarterLength)
            if length <= 0:
                continue  # grace notes
            try:
                pitches = [p.midi for p in n.pitches]
            except Exception:
                continue  # unpitched
            for p in pitches:
                if 21 <= p <= 108:
                    notes.append((float(n.offset), length, int(p)))
        if notes:
            out.append(sorted(notes))
    marks = list(score.flatten().getElementsByClass(tempo.MetronomeMark))
    qpm = None
    if marks:
        try:
            qpm = float(marks[0].getQuarterBPM())
        except Exception:
            qpm = None
    return {"id": rel, "parts": out, "qpm": qpm}


def load_pieces(paths, cache, workers):
    """Parses every piece once (cached as JSON; parsing Beethoven takes seconds a movement)."""
    os.makedirs(cache, exist_ok=True)
    todo = [p for p in paths if not os.path.exists(cache_path(cache, p))]
    if todo:
        print(f"parsing {len(todo)} scores with music21 ...", flush=True)
        with multiprocessing.Pool(workers) as pool:
            for i, piece in enumerate(pool.imap_unordered(parse_piece, todo, chunksize=4)):
                with open(cache_path(cache, piece["id"]), "w") as f:
                    json.dump(piece, f)
                if (i + 1) % 100 == 0:
                    print(f"  {i + 1}/{len(todo)}", flush=True)
    pieces = []
    for p in paths:
        with open(cache_path(cache, p)) as f:
            piece = json.load(f)
        if "error" in piece:
            print(f"skipped {p}: {piece['error']}", file=sys.stderr)
        elif piece["parts"]:
            pieces.append(piece)
    return pieces


def cache_path(cache, rel):
    return os.path.join(cache, rel.replace("/", "__") + ".json")


def is_test_piece(rel):
    """The split is by piece, from a hash of its name: stable whatever else changes."""
    return int(hashlib.sha1(rel.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < TEST_FRACTION


# ---------------------------------------------------------------- planning

def ensemble(family, parts, rng):
    """A program for each part. Parts are ranked by mean pitch: the top part gets the high instrument."""
    order = sorted(range(len(parts)), key=lambda i: -np.mean([n[2] for n in parts[i]]))
    n = len(parts)
    if family == "piano":
        ranked = [PIANO] * n
    elif family == "harpsichord":
        ranked = [HARPSICHORD] * n
    elif family == "strings":
        if n == 1:
            ranked = [rng.choice([VIOLIN, VIOLIN, CELLO, VIOLA])]
        elif n == 2:
            ranked = [VIOLIN, rng.choice([CELLO, VIOLA])]
        else:
            ranked = [VIOLIN, VIOLIN] + [VIOLA] * max(0, n - 3) + [CELLO]
            if n >= 5 and rng.random() < 0.5:
                ranked[-2], ranked[-1] = CELLO, CONTRABASS
            ranked = ranked[:n]
    elif family == "winds":
        high = [FLUTE, OBOE, CLARINET]
        if n == 1:
            ranked = [rng.choice(high + [BASSOON, HORN])]
        else:
            middle = [rng.choice([CLARINET, OBOE, HORN, CLARINET]) for _ in range(n - 2)]
            ranked = [rng.choice(high)] + middle + [rng.choice([BASSOON, BASSOON, HORN])]
    elif family == "guitar":  # one guitarist plays every part (or a duo of one kind)
        ranked = [rng.choice([NYLON_GUITAR, STEEL_GUITAR, CLEAN_GUITAR])] * n
    elif family == "voice":  # a choir, or a singer over a choir
        ranked = [rng.choice([CHOIR, CHOIR, VOICE])] * n if n > 1 else [rng.choice([VOICE, CHOIR])]
    elif family == "saxophone":
        if n == 1:
            ranked = [rng.choice([SOPRANO_SAX, ALTO_SAX, ALTO_SAX, TENOR_SAX, TENOR_SAX, BARITONE_SAX])]
        else:
            middle = [rng.choice([ALTO_SAX, TENOR_SAX]) for _ in range(n - 2)]
            ranked = [rng.choice([SOPRANO_SAX, ALTO_SAX])] + sorted(middle) + [rng.choice([BARITONE_SAX, TENOR_SAX])]
    elif family == "organ":
        ranked = [rng.choice([DRAWBAR_ORGAN, CHURCH_ORGAN, CHURCH_ORGAN, REED_ORGAN])] * n
    else:  # mixed: a solo instrument with piano, or a broken consort
        if n >= 2 and rng.random() < 0.5:
            ranked = [rng.choice([VIOLIN, FLUTE, CLARINET, OBOE, CELLO])] + [PIANO] * (n - 1)
        else:
            pool = [VIOLIN, FLUTE, OBOE, CLARINET, VIOLA, HORN, CELLO, BASSOON, PIANO]
            ranked = sorted((rng.choice(pool) for _ in range(n)), key=lambda p: -sum(RANGES[p]))
    programs = [0] * n
    for rank, i in enumerate(order):
        programs[i] = ranked[rank]
    return programs


def piece_seconds(piece, qpm):
    end = max(on + length for part in piece["parts"] for on, length, _ in part)
    return end * 60.0 / qpm


def plan(pieces, hours, seed, families=FAMILY_SHARES, test_only=False, half_clean=False, max_seconds=40.0,
         test_seconds=60.0, train_only=False, first_id=1, transpose=0, repeat_notes=0.0):
    """Every rendering, with all its random choices, drawn from one seed."""
    rng = random.Random(seed)
    train = [p for p in pieces if not is_test_piece(p["id"])]
    test = [p for p in pieces if is_test_piece(p["id"])]
    jobs = []
    done = {f: 0.0 for f in families}

    def next_family():
        total = sum(done.values()) + 1e-9
        return max(families, key=lambda f: families[f] - done[f] / total)

    def add(piece, split, limit, augment):
        qpm = piece["qpm"] or rng.uniform(60, 100)
        factor = rng.uniform(0.9, 1.1)
        seconds = piece_seconds(piece, qpm * factor)
        start = 0.0
        if seconds > limit and rng.random() < 0.6:
            start = rng.uniform(0, seconds - limit)
        length = min(limit, seconds - start)
        if length < 5:
            return 0.0
        family = next_family()
        job = {
            "piece": piece["id"], "split": split, "family": family,
            "programs": ensemble(family, piece["parts"], rng),
            "qpm": qpm * factor, "tempo_factor": round(factor, 4), "start": start, "seconds": length,
            "tuning_cents": round(rng.uniform(-30, 30), 1),
            "velocity": [rng.randint(55, 105) for _ in piece["parts"]],
            "articulation": round(rng.uniform(0.8, 1.0), 3),
            "peak_dbfs": round(rng.uniform(-18, -1), 1),
            "seed": rng.randrange(1 << 30),
        }
        job.update(augmentation(rng, augment))
        # Drawn only when asked for, so that batches made without it plan exactly as before.
        job["transpose"] = rng.randint(-transpose, transpose) if transpose and split == "train" else 0
        job["repeat_notes"] = repeat_notes if split == "train" else 0
        jobs.append(job)
        done[family] += length
        return length

    if not test_only:
        target, total = hours * 3600, 0.0
        while total < target:
            order = train[:]
            rng.shuffle(order)
            for piece in order:
                total += add(piece, "train", max_seconds, "random")
                if total >= target:
                    break
    for i, piece in enumerate(sorted(test, key=lambda p: p["id"]) if not train_only else []):
        add(piece, "test", test_seconds, ("clean" if i % 2 == 0 else "reverb+noise") if half_clean else "random")
    for i, job in enumerate(jobs):
        job["id"] = f"{i + first_id:05d}"
    return jobs


def augmentation(rng, mode):
    """Room, noise and colour: each half the time in training; all or none for the held-out halves."""
    if mode == "clean":
        use_reverb = use_noise = use_eq = False
    elif mode == "reverb+noise":
        use_reverb = use_noise = True
        use_eq = rng.random() < 0.5
    else:
        use_reverb, use_noise, use_eq = rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.5
    return {
        "reverb_rt60": round(rng.uniform(0.3, 2.0), 2) if use_reverb else 0.0,
        "reverb_wet": round(rng.uniform(0.15, 0.5), 2) if use_reverb else 0.0,
        "noise": rng.choice(["white", "pink", "brown"]) if use_noise else "none",
        "snr_db": round(rng.uniform(10, 35), 1) if use_noise else None,
        "eq_tilt_db_per_octave": round(rng.uniform(-3, 3), 2) if use_eq else 0.0,
    }


# ---------------------------------------------------------------- rendering

def midi_events(piece, job):
    """(start s, end s, channel, pitch, velocity) of the excerpt, parts moved onto their instruments."""
    rng = random.Random(job["seed"])
    spq = 60.0 / job["qpm"]
    events = []
    for index, (part, program) in enumerate(zip(piece["parts"], job["programs"])):
        low, high = RANGES[program]
        pitches = [p for _, _, p in part]
        shift = job.get("transpose", 0)  # semitones (0 but in --transpose batches), then octaves into range
        while min(pitches) + shift < low - 6 and max(pitches) + shift + 12 <= high + 6:
            shift += 12
        while max(pitches) + shift > high + 6 and min(pitches) + shift - 12 >= low - 6:
            shift -= 12
        channel = index % 15
        channel = channel + 1 if channel >= 9 else channel  # channel 10 (9) is drums in General MIDI
        for on, length, pitch in part:
            start = on * spq - job["start"]
            end = start + max(0.03, length * spq * job["articulation"])
            if start < 0 or start >= job["seconds"] or not 21 <= pitch + shift <= 108:
                continue  # outside the excerpt, or moved off the piano's 88 keys
            velocity = max(20, min(127, job["velocity"][index] + rng.randint(-12, 12)))
            if job.get("repeat_notes") and end - start >= 0.25 and rng.random() < job["repeat_notes"]:
                # The note struck again and again (4-12 times a second, as a pianist repeats a key or
                # a guitarist picks a tremolo), each strike a note of its own with its own velocity.
                rate = rng.uniform(4, 12)
                strikes = max(2, int((end - start) * rate))
                step = (end - start) / strikes
                for i in range(strikes):
                    if start + i * step >= job["seconds"]:
                        break
                    hit = max(20, min(127, velocity + rng.randint(-20, 20)))
                    events.append([start + i * step, start + (i + 1) * step - rng.uniform(0.005, 0.3) * step,
                                   channel, pitch + shift, hit, program])
                continue
            events.append([start, min(end, job["seconds"] + 0.5), channel, pitch + shift, velocity, program])
    # A pitch that starts again on its channel ends the sounding one there (what the synth does).
    events.sort()
    last = {}
    for e in events:
        key = (e[2], e[3])
        if key in last and last[key][1] > e[0]:
            last[key][1] = e[0]
        last[key] = e
    return [e for e in events if e[1] - e[0] >= 0.01]


def write_midi(events, job, path):
    ticks_per_second = 960  # 480 ticks a beat at the default 120 beats a minute
    mf = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mf.tracks.append(track)
    messages = []
    bend = int(round(job["tuning_cents"] / 200.0 * 8192))
    for channel, program in sorted({(e[2], e[5]) for e in events}):
        setup = [mido.Message("program_change", channel=channel, program=program),
                 mido.Message("control_change", channel=channel, control=101, value=0),
                 mido.Message("control_change", channel=channel, control=100, value=0),
                 mido.Message("control_change", channel=channel, control=6, value=2),   # bend range 2 semitones
                 mido.Message("control_change", channel=channel, control=38, value=0),
                 mido.Message("pitchwheel", channel=channel, pitch=bend)]
        messages += [(0, i, m) for i, m in enumerate(setup)]
    for start, end, channel, pitch, velocity, _ in events:
        messages.append((int(round(start * ticks_per_second)), 20, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        messages.append((int(round(end * ticks_per_second)), 10, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    messages.sort(key=lambda m: (m[0], m[1]))  # note-offs before note-ons at the same tick
    now = 0
    for tick, _, message in messages:
        track.append(message.copy(time=tick - now))
        now = tick
    mf.save(path)


def labels_from_midi(path, qpm):
    """The notes of a MIDI file as MusicNet rows: sample indices at 44.1 kHz, program + 1, and the
    note-on velocity in an extra last column (MusicNet's readers ignore it; the trainer's velocity
    head learns from it)."""
    program = {}
    sounding = {}
    rows = []
    now = 0.0
    for message in mido.MidiFile(path):
        now += message.time
        if message.type == "program_change":
            program[message.channel] = message.program
        elif message.type == "note_on" and message.velocity > 0:
            sounding.setdefault((message.channel, message.note), []).append((now, message.velocity))
        elif message.type in ("note_off", "note_on"):
            starts = sounding.get((message.channel, message.note))
            if starts:
                start, velocity = starts.pop(0)
                rows.append((start, now, program.get(message.channel, 0) + 1, message.note, velocity))
    beat = qpm / 60.0
    out = []
    for start, end, instrument, note, velocity in sorted(rows):
        a, b = int(round(start * SAMPLE_RATE)), int(round(end * SAMPLE_RATE))
        if b > a:
            out.append((a, b, instrument, note, round(start * beat, 4), round((end - start) * beat, 4),
                        note_value((end - start) * beat), velocity))
    return out


def note_value(beats):
    names = [(4, "Whole"), (3, "Dotted Half"), (2, "Half"), (1.5, "Dotted Quarter"), (1, "Quarter"),
             (0.75, "Dotted Eighth"), (0.5, "Eighth"), (0.25, "Sixteenth")]
    return min(names, key=lambda n: abs(math.log(n[0] / max(beats, 1e-3))))[1]


def render(midi, soundfont, seconds):
    """FluidSynth's own reverb and chorus are off: the room is the augmentation's, and stated."""
    with tempfile.NamedTemporaryFile(suffix=".raw") as raw:
        subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-r", str(SAMPLE_RATE),
                        "-O", "float", "-E", "little", "-T", "raw", "-F", raw.name, soundfont, midi],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        audio = np.fromfile(raw.name, dtype="<f4").reshape(-1, 2).mean(axis=1).astype(np.float64)
    n = int(round((seconds + 0.6) * SAMPLE_RATE))  # keep a short release tail
    return audio[:n] if len(audio) >= n else np.pad(audio, (0, n - len(audio)))


def augment(audio, job):
    rng = np.random.default_rng(job["seed"])
    n = len(audio)
    if job["reverb_rt60"] > 0:
        t = np.arange(int(job["reverb_rt60"] * 1.2 * SAMPLE_RATE)) / SAMPLE_RATE
        ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / job["reverb_rt60"])
        ir[: int(0.01 * SAMPLE_RATE)] = 0  # early gap before the diffuse tail
        ir /= np.sqrt(np.sum(ir ** 2)) + 1e-12
        size = 1 << (n + len(ir)).bit_length()
        wet = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(ir, size), size)[:n]
        dry_rms, wet_rms = np.sqrt(np.mean(audio ** 2)) + 1e-12, np.sqrt(np.mean(wet ** 2)) + 1e-12
        audio = (1 - job["reverb_wet"]) * audio + job["reverb_wet"] * wet * dry_rms / wet_rms
    if job["eq_tilt_db_per_octave"] != 0:
        spectrum = np.fft.rfft(audio)
        f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
        spectrum *= 10 ** (job["eq_tilt_db_per_octave"] * np.log2(f / 1000.0) / 20)
        audio = np.fft.irfft(spectrum, n)
    if job["noise"] != "none":
        white = rng.standard_normal(n)
        if job["noise"] != "white":
            spectrum = np.fft.rfft(white)
            f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
            spectrum /= np.sqrt(f) if job["noise"] == "pink" else f
            white = np.fft.irfft(spectrum, n)
        signal_power = np.mean(audio ** 2) + 1e-20
        noise = white * np.sqrt(signal_power / (np.mean(white ** 2) * 10 ** (job["snr_db"] / 10)))
        audio = audio + noise
    peak = np.max(np.abs(audio)) + 1e-12
    return audio * (10 ** (job["peak_dbfs"] / 20) / peak)


def write_wav(path, audio, rate=SAMPLE_RATE):
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    tmp = path + ".part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def write_labels(path, rows):
    tmp = path + ".part"
    with open(tmp, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["start_time", "end_time", "instrument", "note", "start_beat", "end_beat", "note_value", "velocity"])
        out.writerows(rows)
    os.replace(tmp, path)


def make_recording(args):
    piece, job, out, soundfont = args
    wav = os.path.join(out, f"{job['split']}_data", job["id"] + ".wav")
    csv_path = os.path.join(out, f"{job['split']}_labels", job["id"] + ".csv")
    if os.path.exists(wav) and os.path.exists(csv_path):
        return job["id"]  # resumable: a finished recording is kept
    events = midi_events(piece, job)
    with tempfile.TemporaryDirectory() as tmp:
        midi = os.path.join(tmp, "score.mid")
        write_midi(events, job, midi)
        rows = labels_from_midi(midi, job["qpm"])
        audio = augment(render(midi, soundfont, job["seconds"]), job)
    write_labels(csv_path, rows)
    write_wav(wav, audio)
    return job["id"]


# ---------------------------------------------------------------- main

def build(args):
    if not 0 <= args.transpose <= 12:
        sys.exit(f"--transpose {args.transpose}: give the largest shift in semitones, 0 to 12")
    if not 0 <= args.repeat_notes <= 1:
        sys.exit(f"--repeat-notes {args.repeat_notes}: give a share of notes, 0 to 1")
    if (args.more_pieces or args.transpose or args.repeat_notes) and not args.only_train:
        sys.exit("--more-pieces, --transpose and --repeat-notes are for training batches: add --only-train (the test split "
                 "stays the one the first batch wrote)")
    for split in ("train", "test"):
        for kind in ("data", "labels"):
            os.makedirs(os.path.join(args.out, f"{split}_{kind}"), exist_ok=True)
    pieces = load_pieces(catalogue(more=args.more_pieces), args.cache, args.workers)
    jobs = plan(pieces, args.hours, args.seed, families=FAMILY_SETS[args.families], test_only=args.only_test, half_clean=args.half_clean,
                max_seconds=args.max_seconds, train_only=args.only_train, first_id=args.first_id,
                transpose=args.transpose, repeat_notes=args.repeat_notes)
    by_id = {p["id"]: p for p in pieces}
    manifest = os.path.join(args.out, "manifest.csv")
    # A second batch into the same folder (--first-id) adds its rows to the manifest's.
    # Rendering a batch again replaces its rows; an id the other split holds is refused, since
    # MusicNet's ids name one recording across both splits (and the evaluation reads its row).
    planned = {job["id"]: job["split"] for job in jobs}
    earlier = []
    if os.path.exists(manifest):
        with open(manifest, newline="") as f:
            rows = list(csv.DictReader(f))
        clashes = sorted(row["id"] for row in rows if row["id"] in planned and planned[row["id"]] != row["split"])
        if clashes:
            last = max(int(row["id"]) for row in rows)
            sys.exit(f"error: {len(clashes)} of this batch's ids ({clashes[0]} ... {clashes[-1]}) belong to the other split in "
                     f"{manifest}; nothing was rendered. Start this batch after them: --first-id {last + 1}")
        earlier = [row for row in rows if row["id"] not in planned]
    # Columns a manifest written before them lacks, with what they meant then.
    earlier_defaults = {"transpose": "0", "repeat_notes": "0"}
    with open(manifest + ".part", "w", newline="") as f:
        fields = ["id", "split", "piece", "family", "instruments", "seconds", "start", "qpm", "tempo_factor",
                  "tuning_cents", "peak_dbfs", "reverb_rt60", "reverb_wet", "noise", "snr_db",
                  "eq_tilt_db_per_octave", "transpose", "repeat_notes", "soundfont", "seed"]
        out = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        out.writeheader()
        for row in earlier:
            out.writerow({k: row.get(k, earlier_defaults.get(k)) for k in fields})
        for job in jobs:
            row = {k: job.get(k) for k in fields}
            row.update(piece=job["piece"], instruments=" ".join(NAMES[p] for p in job["programs"]),
                       seconds=round(job["seconds"], 2), start=round(job["start"], 2), qpm=round(job["qpm"], 2),
                       soundfont=os.path.basename(args.soundfont))
            out.writerow(row)
    os.replace(manifest + ".part", manifest)
    jobs_total = len(earlier) + len(jobs)
    seconds = {}
    for job in jobs:
        key = (job["split"], job["family"])
        seconds[key] = seconds.get(key, 0) + job["seconds"]
    for (split, family), s in sorted(seconds.items()):
        print(f"{split:5} {family:11} {s / 3600:6.2f} h")
    print(f"rendering {len(jobs)} recordings with {os.path.basename(args.soundfont)} ...", flush=True)
    work = [(by_id[j["piece"]], j, args.out, args.soundfont) for j in jobs]
    with multiprocessing.Pool(args.workers) as pool:
        for i, _ in enumerate(pool.imap_unordered(make_recording, work, chunksize=2)):
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(jobs)}", flush=True)
    print(f"wrote {args.out}: {len(jobs)} recordings ({jobs_total} in the manifest), manifest {manifest}")


def build_example(args):
    """The bundled example: the opening of a piece in neither split, on piano, in a small room."""
    piece = parse_piece(EXAMPLE_PIECE)
    qpm = piece["qpm"] or 100.0
    job = {"id": os.path.basename(args.example), "split": "example", "programs": [PIANO] * len(piece["parts"]),
           "qpm": qpm, "start": 0.0, "seconds": args.example_seconds, "tuning_cents": 0.0,
           "velocity": [80] * len(piece["parts"]), "articulation": 0.95, "peak_dbfs": -3.0, "seed": args.seed,
           "reverb_rt60": 0.6, "reverb_wet": 0.15, "noise": "none", "snr_db": None, "eq_tilt_db_per_octave": 0.0}
    events = midi_events(piece, job)
    os.makedirs(os.path.dirname(args.example) or ".", exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        midi = os.path.join(tmp, "score.mid")
        write_midi(events, job, midi)
        rows = labels_from_midi(midi, qpm)
        audio = augment(render(midi, args.soundfont, job["seconds"]), job)
    write_labels(args.example + ".csv", rows)
    write_wav(args.example + ".wav", audio)
    print(f"wrote {args.example}.wav ({len(audio) / SAMPLE_RATE:.1f} s) and {args.example}.csv ({len(rows)} notes) "
          f"from {EXAMPLE_PIECE} at {qpm:.0f} quarters a minute")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="the MusicNet-layout folder to write")
    parser.add_argument("--hours", type=float, default=6.0, help="hours of training audio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--soundfont", default=FLUIDR3)
    parser.add_argument("--only-test", action="store_true", help="render only the test pieces")
    parser.add_argument("--only-train", action="store_true", help="render only training recordings (more of them)")
    parser.add_argument("--first-id", type=int, default=1,
                        help="number of the first recording (a second batch of the same corpus starts after the first)")
    parser.add_argument("--more-pieces", action="store_true",
                        help="also use the training pieces the sample of the large collections left out")
    parser.add_argument("--transpose", type=int, default=0,
                        help="transpose each training rendering by up to this many semitones (labels follow)")
    parser.add_argument("--half-clean", action="store_true",
                        help="test recordings alternate clean and with reverb and noise (the held-out soundfont set)")
    parser.add_argument("--families", choices=sorted(FAMILY_SETS), default="musicnet",
                        help="musicnet: MusicNet's instruments (piano, harpsichord, strings, winds, mixed); "
                             "live: guitars, voices, saxophones and organs")
    parser.add_argument("--repeat-notes", type=float, default=0.0,
                        help="share of notes of a quarter second or more struck again and again (4-12 a second), "
                             "so the onset head learns repeated notes (training batches only)")
    parser.add_argument("--max-seconds", type=float, default=40.0, help="longest training excerpt")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"),
                        help="where parsed scores are kept")
    parser.add_argument("--example", help="write the bundled example to this path (no extension) instead")
    parser.add_argument("--example-seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not os.path.exists(args.soundfont):
        sys.exit(f"soundfont {args.soundfont} is not there: install Debian's fluid-soundfont-gm (make corpus-deps)")
    if args.example:
        build_example(args)
    elif args.out:
        build(args)
    else:
        parser.error("give --out DIR (a corpus) or --example PATH")


if __name__ == "__main__":
    main()
