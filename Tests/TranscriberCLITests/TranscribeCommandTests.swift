// live, replay and file as a user runs them, with the small test model (Tests/Fixtures): the
// notes of a recording with known notes come out - on the terminal, in a MIDI file, through
// real ALSA capture - and the streaming and batch paths agree.
import AudioIO
import Foundation
import Model
import Testing
import TestSupport
import Pipeline
import Trainer
import Transcription
import Support

let testModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/test-model.safetensors").path

/// A rendered recording (the test model's kind of sound) with its labels, written as a 22.05 kHz WAV.
struct KnownRecording {
    let wav: String
    let samples: [Float]
    let labels: [NoteLabel]

    init(in dir: URL, seconds: Double = 6, seed: UInt64 = 21) throws {
        var generator = SeededGenerator(seed: seed)
        (samples, labels) = SyntheticCorpus.render(seconds: seconds, rate: 22050, pitches: Array(48...84), voices: 2,
                                                   generator: &generator)
        wav = dir.appendingPathComponent("known.wav").path
        try AudioFile.write(AudioBuffer(samples: samples, sampleRate: 22050, channels: 1), to: wav, format: .wavPCM16)
    }

    var reference: [(pitch: Int, onset: Double, offset: Double)] { labels.map { ($0.note, $0.startSeconds, $0.endSeconds) } }

    /// Note F1 (onsets within 50 ms) of `notes` against the labels.
    func noteF1(_ notes: [(pitch: Int, onset: Double, offset: Double)]) -> Double {
        var e = Evaluation()
        e.addNotes(reference: reference, estimated: notes)
        return e.noteF1
    }
}

/// Notes from a CSV written by --csv.
func csvNotes(_ path: String) throws -> [(pitch: Int, onset: Double, offset: Double)] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
        let f = line.split(separator: ",")
        return (Int(f[2])!, Double(f[0])!, Double(f[1])!)
    }
}

@Suite struct TranscribeCommandTests {
    @Test func fileWritesAMIDIFileWithTheNotes() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir)
        let midi = dir.appendingPathComponent("out.mid").path
        let result = try runTranscriber(["file", recording.wav, "--weights", testModel, "--midi", midi, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let notes = try LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: midi)))
        let f1 = recording.noteF1(notes.map { ($0.pitch, $0.onset, $0.offset) })
        print("file: \(notes.count) notes in the MIDI file, \(recording.labels.count) labelled, note F1 \(f1)")
        // The test model (28k parameters, 8 minutes on synthetic tones) finds every pitch but
        // splits some notes: its note F1 here is 0.6-0.7; chance is 0.
        #expect(Set(recording.labels.map(\.note)).subtracting(notes.map(\.pitch)).count <= 1)
        #expect(f1 > 0.5)
    }

    /// Several files into one folder, two at once: each file's MIDI and CSV hold exactly the notes
    /// `file` alone writes for it; a damaged file in the middle is reported, leaves no output, and
    /// the others are still written; names that would collide are refused before any work.
    @Test func manyFilesIntoAFolderOneFailingTheRestGoOn() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try KnownRecording(in: dir, seconds: 3, seed: 31)
        let one = dir.appendingPathComponent("one.wav").path, two = dir.appendingPathComponent("two.wav").path
        try FileManager.default.moveItem(atPath: first.wav, toPath: one)
        let second = try KnownRecording(in: dir, seconds: 4, seed: 32)
        try FileManager.default.moveItem(atPath: second.wav, toPath: two)
        let broken = dir.appendingPathComponent("broken.wav").path
        try Data(try Data(contentsOf: URL(fileURLWithPath: one)).prefix(3000)).write(to: URL(fileURLWithPath: broken))
        let out = dir.appendingPathComponent("out").path
        let batch = try runTranscriber(["file", one, broken, two, "--out-dir", out, "--jobs", "2", "--weights", testModel])
        #expect(batch.status != 0, "a failed file makes the exit status an error")
        #expect(batch.stderr.contains("broken.wav") && batch.stderr.contains("truncated or damaged")
                && batch.stderr.contains("2 of 3 files written"), "\(batch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/broken.mid") && !FileManager.default.fileExists(atPath: out + "/broken.csv"))
        for (name, wav) in [("one", one), ("two", two)] {
            let alone = dir.appendingPathComponent("\(name)-alone.csv").path
            #expect(try runTranscriber(["file", wav, "--weights", testModel, "--csv", alone, "--quiet"]).status == 0)
            let batchNotes = try csvNotes(out + "/\(name).csv"), aloneNotes = try csvNotes(alone)
            #expect(!aloneNotes.isEmpty && batchNotes.count == aloneNotes.count)
            #expect(zip(batchNotes, aloneNotes).allSatisfy { $0.pitch == $1.pitch && $0.onset == $1.onset && $0.offset == $1.offset })
            let midi = try LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: out + "/\(name).mid")))
            #expect(midi.count == aloneNotes.count)
        }
        let clash = try runTranscriber(["file", one, dir.appendingPathComponent("sub/one.flac").path, "--out-dir", out, "--weights", testModel])
        #expect(clash.status != 0 && clash.stderr.contains("would both be written as one.mid"), "\(clash.stderr)")
        let noFolder = try runTranscriber(["file", one, two, "--weights", testModel])
        #expect(noFolder.status != 0 && noFolder.stderr.contains("give --out-dir"), "\(noFolder.stderr)")
        // Weights for a mean that a look-ahead replaces would do nothing: said, not ignored.
        let ignored = try runTranscriber(["file", one, "--weights", testModel, "--overlap", "triangular", "--lookahead", "4"])
        #expect(ignored.status != 0 && ignored.stderr.contains("give one or the other"), "\(ignored.stderr)")
    }

    @Test func replayPrintsTheNotesAsTheySound() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir, seconds: 4, seed: 22)
        let result = try runTranscriber(["replay", recording.wav, "--weights", testModel, "--speed", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        // Lines like "00:01.23  C4 E4": the names printed are the notes labelled.
        let printed = Set(result.stdout.split(separator: "\n").flatMap { $0.split(separator: " ").dropFirst().map(String.init) })
            .subtracting(["-", ""])
        let labelled = Set(recording.labels.map { NoteName.name(ofMIDI: $0.note) })
        print("replay printed \(printed.sorted()), labelled \(labelled.sorted())")
        #expect(printed.intersection(labelled).count >= labelled.count - 1)
        #expect(printed.subtracting(labelled).count <= 1)
        #expect(result.stderr.contains("0 overruns"))
    }

    /// The streaming path (replay, chunked through the ring in real time) and the batch path
    /// (file, the whole recording at once) give the same notes at the same stride and look-ahead, when replay
    /// runs every window: --max-lag keeps a busy machine (the other tests) from making it catch up.
    @Test func replayAndFileGiveTheSameNotes() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir, seconds: 4, seed: 23)
        let a = dir.appendingPathComponent("replay.csv").path, b = dir.appendingPathComponent("file.csv").path
        let replay = try runTranscriber(["replay", recording.wav, "--weights", testModel, "--speed", "4", "--stride", "6",
                                         "--lookahead", "4", "--max-lag", "7", "--buffer-seconds", "8", "--csv", a, "--quiet"])
        let file = try runTranscriber(["file", recording.wav, "--weights", testModel, "--stride", "6", "--lookahead", "4",
                                       "--csv", b, "--quiet"])
        #expect(replay.status == 0 && file.status == 0, "\(replay.stderr) \(file.stderr)")
        let fromReplay = try String(contentsOfFile: a, encoding: .utf8), fromFile = try String(contentsOfFile: b, encoding: .utf8)
        #expect(replay.stderr.contains("0.00 s of audio dropped, 0 windows skipped"), "\(replay.stderr)")
        #expect(fromReplay == fromFile)
        #expect(try csvNotes(b).count >= recording.labels.count - 1)
    }

    /// Real ALSA capture through libasound's file plugin: the raw recording goes in through
    /// snd_pcm_readi and its notes come out. The plugin does not pace reads and returns zeros
    /// after its file, so the run is ended with Ctrl-C (SIGINT), as a user ends `live`.
    @Test func liveThroughALSACaptureFindsTheNotes() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir, seconds: 4, seed: 24)
        let raw = dir.appendingPathComponent("known.raw")
        let pcm = recording.samples.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
        try pcm.withUnsafeBytes { Data($0) }.write(to: raw)
        let conf = dir.appendingPathComponent("filein.conf")
        try "pcm.filein { type file slave.pcm \"null\" file \"/dev/null\" infile \"\(raw.path)\" format \"raw\" }\n"
            .write(to: conf, atomically: true, encoding: .utf8)
        let csv = dir.appendingPathComponent("live.csv").path
        let process = Process()
        process.executableURL = try transcriberExecutable()
        process.arguments = ["live", "--device", "filein", "--weights", testModel, "--csv", csv, "--quiet", "--buffer-seconds", "30"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:" + conf.path]) { $1 }
        let err = Pipe()
        process.standardError = err
        try process.run()
        // Wait until the notes are in (the CSV grows as notes end), then Ctrl-C. The summary's
        // "audio dropped" counts the silence the unpaced plugin goes on delivering after the
        // recording (ALSAFileCaptureTests pins that figure down).
        _ = waitFor(process) { ((try? csvNotes(csv).count) ?? 0) >= recording.labels.count - 1 }
        process.interrupt()
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("notes"), "no summary: \(stderr)")
        let f1 = recording.noteF1(try csvNotes(csv))
        print("live via ALSA: note F1 \(f1); \(stderr.split(separator: "\n").last ?? "")")
        #expect(Set(recording.labels.map(\.note)).subtracting(try csvNotes(csv).map(\.pitch)).count <= 1)
        #expect(f1 > 0.5)
    }

    /// Without a sequencer device (these test machines have none), --midi-port says so before any audio.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/snd/seq"),
                   "this machine has an ALSA sequencer (/dev/snd/seq), so --midi-port opens a real port"))
    func aMissingMIDISequencerIsAClearError() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir, seconds: 2, seed: 26)
        let port = try runTranscriber(["file", recording.wav, "--weights", testModel, "--midi-port", "--quiet"])
        #expect(port.status != 0 && port.stderr.contains("MIDI sequencer"), "\(port.stderr)")
    }

    @Test func errorsAUserMeetsAreClear() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let noDevice = try runTranscriber(["live", "--device", "no_such_pcm", "--weights", testModel],
                                          environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"])
        #expect(noDevice.status != 0 && noDevice.stderr.contains("cannot open capture device 'no_such_pcm'")
                && noDevice.stderr.contains("transcriber devices"))
        let recording = try KnownRecording(in: dir, seconds: 2, seed: 25)
        let badOutput = try runTranscriber(["file", recording.wav, "--weights", testModel, "--midi", "/nonexistent/dir/x.mid"])
        #expect(badOutput.status != 0 && badOutput.stderr.contains("cannot write '/nonexistent/dir/x.mid"))
        // A full disk is an error, not silence; the output path itself is written through, never
        // replaced: a device stays a device, a symlink stays a link to the file it names.
        let full = try runTranscriber(["file", recording.wav, "--weights", testModel, "--csv", "/dev/full", "--quiet"])
        #expect(full.status != 0 && full.stderr.contains("cannot write '/dev/full'"), "\(full.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: "/dev/full")[.type] as? FileAttributeType) == .typeCharacterSpecial)
        let target = dir.appendingPathComponent("events.csv").path, link = dir.appendingPathComponent("link.csv").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let linked = try runTranscriber(["file", recording.wav, "--weights", testModel, "--csv", link, "--quiet"])
        #expect(linked.status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType) == .typeSymbolicLink)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("onset,offset,pitch,name,confidence"))
        // Whole-file outputs are written to a temporary file and renamed: never onto a device.
        for arguments in [["file", recording.wav, "--weights", testModel, "--midi", "/dev/null", "--quiet"],
                          ["cqt", recording.wav, "-o", "/dev/null"]] {
            let refused = try runTranscriber(arguments)
            #expect(refused.status != 0 && refused.stderr.contains("not a regular file"), "\(refused.stderr)")
            #expect((try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType) == .typeCharacterSpecial)
        }
        let midiTarget = dir.appendingPathComponent("out.mid").path, midiLink = dir.appendingPathComponent("link.mid").path
        try FileManager.default.createSymbolicLink(atPath: midiLink, withDestinationPath: midiTarget)
        #expect(try runTranscriber(["file", recording.wav, "--weights", testModel, "--midi", midiLink, "--quiet"]).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: midiLink)[.type] as? FileAttributeType) == .typeSymbolicLink)
        #expect(try !LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: midiTarget))).isEmpty)
        let missing = try runTranscriber(["replay", dir.appendingPathComponent("nothing.wav").path, "--weights", testModel])
        #expect(missing.status != 0 && missing.stderr.contains("no such file"))
        // Weights without the front end's settings: not silently run with guessed ones.
        let bare = dir.appendingPathComponent("bare.safetensors").path
        try WeightsFile.save(try TranscriptionNetwork(config: ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4), seed: 1),
                             to: bare)
        let mismatch = try runTranscriber(["file", recording.wav, "--weights", bare])
        #expect(mismatch.status != 0 && mismatch.stderr.contains("invalid CQT settings: metadata"), "\(mismatch.stderr)")
        let noWeights = try runTranscriber(["file", recording.wav, "--weights", dir.appendingPathComponent("none.safetensors").path])
        #expect(noWeights.status != 0 && noWeights.stderr.contains("does not exist"))
    }
}

/// `evaluate --notes --labels` scores a transcription already made (what `make demo` prints).
@Suite struct ScoreTranscriptionTests {
    @Test func notesAreScoredAgainstTheLabelsWithMirEvalsTolerance() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let labels = dir.appendingPathComponent("labels.csv").path, notes = dir.appendingPathComponent("notes.csv").path
        // Three labelled notes (samples at 44.1 kHz): C4 0-0.5 s, E4 0.5-1 s, G4 1-2 s.
        try "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n0,22050,1,60,0,1,Quarter\n22050,44100,1,64,1,1,Quarter\n44100,88200,1,67,2,2,Half\n"
            .write(toFile: labels, atomically: true, encoding: .utf8)
        // C4 40 ms late (matches), E4 on time (matches), G4 60 ms late (does not), an extra A4.
        try "onset,offset,pitch,name,confidence\n0.040,0.5,60,C4,0.9\n0.5,1.0,64,E4,0.8\n1.060,2.0,67,G4,0.9\n1.2,1.4,69,A4,0.6\n"
            .write(toFile: notes, atomically: true, encoding: .utf8)
        let result = try runTranscriber(["evaluate", "--notes", notes, "--labels", labels])
        #expect(result.status == 0, "\(result.stderr)")
        // 2 matches of 4 transcribed and 3 labelled: P 0.5, R 0.667, F1 0.571.
        #expect(result.stdout.contains("4 notes transcribed, 3 labelled: note precision 0.500, recall 0.667, F1 0.571"), "\(result.stdout)")
    }

    @Test func aMalformedNotesFileOrAMissingHalfIsExplained() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notes = dir.appendingPathComponent("notes.csv").path
        try "onset,offset,pitch,name,confidence\n0.5,0.2,60,C4,0.9\n".write(toFile: notes, atomically: true, encoding: .utf8)
        let labels = dir.appendingPathComponent("labels.csv").path
        try "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n".write(toFile: labels, atomically: true, encoding: .utf8)
        let bad = try runTranscriber(["evaluate", "--notes", notes, "--labels", labels])
        #expect(bad.status != 0 && bad.stderr.contains("notes.csv:2: expected onset,offset,pitch"), "\(bad.stderr)")
        let half = try runTranscriber(["evaluate", "--notes", notes])
        #expect(half.status != 0 && half.stderr.contains("give --notes and --labels together"), "\(half.stderr)")
    }
}
