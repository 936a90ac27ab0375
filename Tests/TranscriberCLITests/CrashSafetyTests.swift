// A process killed outright (SIGKILL: no handler runs, as when the power goes or the OOM killer
// strikes) leaves only whole files, and the next run goes on from them: preprocess keeps its
// finished recordings, train resumes from its last epoch, live leaves a valid MIDI file.
import Foundation
import Testing
import TestSupport
import Pipeline
import Trainer
import Transcription

/// Starts `transcriber` with `arguments`, its output thrown away, and returns the running process.
func startTranscriber(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = try transcriberExecutable()
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Waits until `condition` holds (what the program has written or printed), or until `process`
/// has ended without it; true if it holds. No deadline: the program's own progress is the clock.
func waitFor(_ process: Process, _ condition: () -> Bool) -> Bool {
    while !condition() {
        if !process.isRunning { return condition() }
        usleep(10_000)   // a poll, not a guess at how long the work takes
    }
    return true
}

/// Makes `recordings` short synthetic recordings in data/ and turns the third (by id) into a
/// named pipe: a preprocess with one worker finishes the first two and then blocks opening it,
/// until the test writes to it. So the moment the test acts is set by the program's progress,
/// never by how fast this machine is. Returns the pipe's path and where its real audio was moved.
func corpusWithABlockingRecording(_ data: URL, count: Int, seed: UInt64) throws -> (fifo: String, audio: String) {
    let ids = try SyntheticCorpus.make(root: data, count: count, seconds: 3, seed: seed, pitches: Array(60...71)).sorted()
    let fifo = data.appendingPathComponent("train_data/\(ids[2]).wav").path
    let audio = data.appendingPathComponent("\(ids[2]).wav.saved").path
    try FileManager.default.moveItem(atPath: fifo, toPath: audio)
    guard mkfifo(fifo, 0o644) == 0 else { throw CocoaError(.fileWriteUnknown) }
    return (fifo, audio)
}

/// Writes `bytes` into the named pipe `fifo` once `reader` has it open for reading, or gives up
/// when `reader` has ended without opening it: never blocks on a pipe nobody reads.
func unblock(_ fifo: String, reader: Process, with bytes: Data) {
    while true {
        let descriptor = open(fifo, O_WRONLY | O_NONBLOCK)
        if descriptor >= 0 {
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
            close(descriptor)
            return
        }
        // ENXIO: no reader yet.
        if !reader.isRunning { return }
        usleep(10_000)   // a poll for the reader, not a guess at how long it takes
    }
}

func killOutright(_ process: Process) {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
}

func files(in folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}

@Suite(.serialized) struct CrashSafetyTests {
    @Test func aKilledPreprocessResumesWithoutRedoingOrCorrupting() throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("out")
        let (fifo, audio) = try corpusWithABlockingRecording(data, count: 5, seed: 4)
        let arguments = ["preprocess", "--data", data.path, "--out", out.path, "--split", "train", "--n-batches", "0",
                         "--num-workers", "1"]
        let first = try startTranscriber(arguments)
        let trainFolder = out.appendingPathComponent("train")
        // Two recordings done; the third blocks the run until we kill it.
        let started = waitFor(first) { files(in: trainFolder).filter { $0.hasSuffix(".safetensors") }.count >= 2 }
        killOutright(first)
        #expect(started)
        let survivors = files(in: trainFolder).filter { $0.hasSuffix(".safetensors") }
        #expect(survivors.count == 2, "\(survivors)")
        // Whatever was left is whole: every finished file opens.
        for name in survivors { _ = try ChunkStore(folder: trainFolder.path, ids: [String(name.dropLast(12))]) }

        try FileManager.default.removeItem(atPath: fifo)
        try FileManager.default.moveItem(atPath: audio, toPath: fifo)
        let second = try runTranscriber(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("2 already done"), "\(second.stderr)")
        let store = try ChunkStore(folder: trainFolder.path)
        #expect(store.ids.count == 5)
        #expect(files(in: trainFolder).allSatisfy { $0.hasSuffix(".safetensors") }, "\(files(in: trainFolder))")
    }

    @Test func aKilledTrainingResumesFromItsLastEpoch() throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), chunks = root.appendingPathComponent("chunks")
        let run = root.appendingPathComponent("run")
        try SyntheticCorpus.make(root: data, count: 4, seconds: 8, seed: 5, pitches: Array(60...71))
        let pre = try runTranscriber(["preprocess", "--data", data.path, "--out", chunks.path, "--split", "train", "--n-batches", "0"])
        #expect(pre.status == 0, "\(pre.stderr)")
        let arguments = ["train", "--data", chunks.path, "--run-dir", run.path, "--epochs", "40", "--c", "1", "--embed-dim", "32",
                         "--n-layers", "1", "--n-heads", "2", "--head-dim", "16", "--validation-fraction", "0.25"]
        let first = try startTranscriber(arguments)
        let reached = waitFor(first) { files(in: run).contains("epoch-0002.safetensors") }
        killOutright(first)
        #expect(reached)
        let checkpoints = files(in: run).filter { $0.hasPrefix("epoch-") && !$0.contains("partial") }
        let last = checkpoints.compactMap { Int($0.dropFirst(6).prefix(4)) }.max() ?? 0
        #expect(last >= 2)
        // A half-written file (the kill may land in a write) keeps its temporary name, never a real one.
        #expect(files(in: run).allSatisfy { $0.hasSuffix(".safetensors") || $0.contains(".safetensors.partial-") })

        let second = try runTranscriber(arguments.map { $0 == "40" ? "\(last + 1)" : $0 } + ["--load-weights", "dev"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("resuming after epoch \(last)"), "\(second.stderr)")
        #expect(files(in: run).contains(String(format: "epoch-%04d.safetensors", last + 1)))
        // ...and the next run's writes tidy it away.
        #expect(!files(in: run).contains { $0.contains("partial") }, "\(files(in: run))")
    }

    @Test func aKilledLiveSessionLeavesAValidMIDIFileOfWhatItHeard() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = try KnownRecording(in: dir, seconds: 24, seed: 31)
        let midi = dir.appendingPathComponent("live.mid").path
        // Replay at 2x: the MIDI file is rewritten whole every 5 s of audio (2.5 s here). A slow
        // build (the sanitizers) on a busy machine may fall behind real time: --max-lag keeps it
        // from skipping windows, and the wait ends as soon as the notes are in.
        let process = try startTranscriber(["replay", recording.wav, "--weights", testModel, "--speed", "2", "--midi", midi,
                                            "--max-lag", "20", "--buffer-seconds", "30", "--quiet"])
        let flushed = waitFor(process) {
            ((try? LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: midi)))) ?? []).count >= 3
        }
        killOutright(process)
        #expect(flushed)
        let notes = try LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: midi)))
        #expect(notes.count >= 3)
        // They are notes of the recording, heard before the kill.
        #expect(notes.allSatisfy { n in recording.labels.contains { $0.note == n.pitch } })
        #expect(notes.allSatisfy { $0.onset < 24 })
        // The next session writing the same file tidies away what a kill mid-write left.
        try Data("stale".utf8).write(to: URL(fileURLWithPath: midi + ".partial-999999"))
        let again = try runTranscriber(["file", recording.wav, "--weights", testModel, "--midi", midi, "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!files(in: dir).contains { $0.contains("partial") }, "\(files(in: dir))")
    }
}

/// A full disk, simulated with a file-size limit (prlimit --fsize: writes past it fail with
/// EFBIG, as they fail with ENOSPC on a full disk), and Ctrl-C or SIGTERM in the middle of work.
@Suite(.serialized) struct FaultTests {
    /// Runs `transcriber` under `prlimit --fsize=BYTES`.
    func runLimited(_ bytes: Int, _ arguments: [String]) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--fsize=\(bytes)", try transcriberExecutable().path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }

    /// (Not under the thread sanitizer: its runtime cannot start in a process with a 100 kB
    /// file-size limit - it dies with SIGBUS before main - so there it would test TSan, not us.)
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")),
          .disabled(if: ProcessInfo.processInfo.environment["TRANSCRIBER_SANITIZER"] == "thread",
                    "the thread sanitizer's runtime cannot start under a file-size limit"))
    func aFullDiskStopsPreprocessAndTrainingClearlyKeepingWhatIsDone() throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("out")
        try SyntheticCorpus.make(root: data, count: 3, seconds: 4, seed: 6, pitches: Array(60...71))
        let arguments = ["preprocess", "--data", data.path, "--out", out.path, "--split", "train", "--n-batches", "0"]
        // One recording's windows are about 600 kB: a 100 kB limit stops the first write.
        let full = try runLimited(100_000, arguments)
        #expect(full.status != 0)
        #expect(full.stderr.contains("File too large") || full.stderr.contains("No space"), "\(full.stderr)")
        #expect(files(in: out.appendingPathComponent("train")).isEmpty, "nothing half-written may stay")
        let fine = try runTranscriber(arguments)
        #expect(fine.status == 0, "\(fine.stderr)")

        // Training: the first checkpoint (about 100 kB for this network) cannot be written.
        let run = root.appendingPathComponent("run")
        let train = ["train", "--data", out.path, "--run-dir", run.path, "--epochs", "2", "--c", "1", "--embed-dim", "32",
                     "--n-layers", "1", "--n-heads", "2", "--head-dim", "16"]
        let noRoom = try runLimited(20_000, train)
        #expect(noRoom.status != 0)
        #expect(noRoom.stderr.contains("epoch-0001.safetensors") && noRoom.stderr.contains("File too large"), "\(noRoom.stderr)")
        #expect(!files(in: run).contains { $0.hasPrefix("epoch-") }, "\(files(in: run))")
    }

    /// Ctrl-C or SIGTERM while a recording is being read: that recording is finished (here: found
    /// unreadable), the run stops there with what is done kept, and the next run goes on from it.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStopsPreprocessAtASafePointAndTheRunResumes(signal: Int32) throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("out")
        let (fifo, audio) = try corpusWithABlockingRecording(data, count: 5, seed: 7)
        let arguments = ["preprocess", "--data", data.path, "--out", out.path, "--split", "train", "--n-batches", "0",
                         "--num-workers", "1"]
        let process = Process()
        process.executableURL = try transcriberExecutable()
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let folder = out.appendingPathComponent("train")
        #expect(waitFor(process) { files(in: folder).filter { $0.hasSuffix(".safetensors") }.count >= 2 })
        kill(process.processIdentifier, signal)
        // Unblock the third recording with bytes that are not audio: it is reported, and the run
        // stops at the safe point after it. (Where the signal itself ends the blocked read - the
        // thread sanitizer's runtime does that - the run stops without it.)
        unblock(fifo, reader: process, with: Data("not audio".utf8))
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains("interrupted: the recordings finished so far are kept"), "\(stderr)")
        let kept = files(in: folder)
        #expect(kept.allSatisfy { $0.hasSuffix(".safetensors") } && kept.count == 2, "\(kept)")
        try FileManager.default.removeItem(atPath: fifo)
        try FileManager.default.moveItem(atPath: audio, toPath: fifo)
        let again = try runTranscriber(arguments)
        #expect(again.status == 0 && again.stderr.contains("2 already done"), "\(again.stderr)")
        #expect(files(in: folder).count == 5)
    }

    @Test func sigtermStopsTrainingAfterItsStepAndKeepsTheFinishedEpochs() throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), chunks = root.appendingPathComponent("chunks")
        let run = root.appendingPathComponent("run")
        try SyntheticCorpus.make(root: data, count: 4, seconds: 8, seed: 8, pitches: Array(60...71))
        _ = try runTranscriber(["preprocess", "--data", data.path, "--out", chunks.path, "--split", "train", "--n-batches", "0"])
        let process = Process()
        process.executableURL = try transcriberExecutable()
        process.arguments = ["train", "--data", chunks.path, "--run-dir", run.path, "--epochs", "50", "--c", "1",
                             "--embed-dim", "32", "--n-layers", "1", "--n-heads", "2", "--head-dim", "16"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        #expect(waitFor(process) { files(in: run).contains("epoch-0001.safetensors") })
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains("resume with --load-weights dev"), "\(stderr)")
        #expect(files(in: run).allSatisfy { $0.hasSuffix(".safetensors") }, "\(files(in: run))")
    }
}
