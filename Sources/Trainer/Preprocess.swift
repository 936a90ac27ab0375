// Preprocess: MusicNet-layout audio and labels -> CQT windows and target rolls on disk, one
// safetensors file per recording, computed with the very engine the live path streams through.
import AudioIO
import Foundation
import Model
import Pipeline
import StreamingCQT
import Synchronization
import Support

public struct PreprocessOptions: Sendable {
    public var data: String
    public var output: String
    public var split: String = "train"
    public var cqt = CQTSettings()
    /// Window length in seconds (--batch-seconds): round(seconds * sr / hop) frames.
    public var windowSeconds: Double = 1
    /// Windows kept per recording (--n-batches); 0 keeps every window.
    public var windowsPerRecording: Int = 60
    public var onlyNoteNames = false
    /// Labels from this folder (`<id>.mid` as MusicNetEM has them, or `<id>.csv`) instead of
    /// `{split}_labels`.
    public var labels: String?
    public var workers: Int = 2
    /// This process's share of the recordings (every `count`-th from `index`), under mpirun.
    public var shard = Shard.whole
    public var seed: UInt64 = 0

    public init(data: String, output: String) {
        self.data = data
        self.output = output
    }

    public var windowFrames: Int { max(1, Int((windowSeconds * cqt.frameRate).rounded())) }
    public var space: NoteSpace { onlyNoteNames ? .pitchClasses : .keys(lowestNote: cqt.lowestNote, count: cqt.notes) }

    /// What a chunk file records about how it was made (the data description weights carry too,
    /// and how the windows were chosen); a file made otherwise is redone.
    public var metadata: [String: String] {
        DataDescription(frontEnd: cqt, windowFrames: windowFrames, space: space).metadata.merging([
            "windows_per_recording": "\(windowsPerRecording)", "seed": "\(seed)", "chunk_format": "2",
        ]) { $1 }.merging(labels.map { ["labels_from": $0] } ?? [:]) { $1 }
    }
}

/// Progress as files finish.
public struct PreprocessProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var audioSeconds: Double
    public var elapsed: Double
}

public struct PreprocessReport: Sendable {
    /// Recordings written and recordings found already done, in the data set's order.
    public var written: [String] = []
    public var alreadyDone: [String] = []
    /// Recordings or files that were skipped, each with its reason (file and line where known).
    public var skipped: [String] = []
    public var audioSeconds = 0.0
    public var elapsed = 0.0
}

public enum Preprocess {
    /// Where recording `id`'s chunks go.
    public static func chunkPath(_ options: PreprocessOptions, id: String) -> String {
        (options.output as NSString).appendingPathComponent("\(options.split)/\(id).safetensors")
    }

    /// Runs over every recording of the split with `workers` in parallel. Finished files (same
    /// settings) are skipped, so an interrupted run resumes; files are written whole or not at all.
    /// A recording that cannot be read is reported and the others go on; a write failure (a full
    /// disk) stops the run with the files finished so far intact.
    public static func run(_ options: PreprocessOptions, stop: @escaping @Sendable () -> Bool = { false },
                           progress: @escaping @Sendable (PreprocessProgress) -> Void = { _ in }) throws -> PreprocessReport {
        let (all, layoutAll) = try MusicNetLayout.recordings(root: options.data, split: options.split, labels: options.labels)
        // Under mpirun each process takes its share; the first reports what could not be paired.
        let recordings = all.enumerated().filter { $0.offset % options.shard.count == options.shard.index }.map(\.element)
        let layoutSkipped = options.shard.index == 0 ? layoutAll : []
        let folder = (options.output as NSString).appendingPathComponent(options.split)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bank = try CQTKernelBank(settings: options.cqt)
        let start = Date()
        struct Shared {
            var next = 0
            var report = PreprocessReport()
            var fatal: Error?
        }
        let shared = Mutex(Shared())
        shared.withLock { $0.report.skipped = layoutSkipped }
        let workers = max(1, min(options.workers, recordings.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let engine = StreamingCQT(bank: bank, planning: .measure)
            while true {
                let index: Int? = shared.withLock { state in
                    guard state.fatal == nil, state.next < recordings.count, !stop() else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { return }
                let recording = recordings[index]
                do {
                    let outcome = try process(recording, options: options, engine: engine)
                    shared.withLock { state in
                        switch outcome {
                        case let .written(seconds):
                            state.report.written.append(recording.id)
                            state.report.audioSeconds += seconds
                        case .alreadyDone: state.report.alreadyDone.append(recording.id)
                        }
                        let report = state.report
                        progress(PreprocessProgress(filesDone: report.written.count + report.alreadyDone.count
                                                        + report.skipped.count - layoutSkipped.count,
                                                    filesTotal: recordings.count, audioSeconds: report.audioSeconds,
                                                    elapsed: Date().timeIntervalSince(start)))
                    }
                } catch let error as SafeTensorsError {
                    if case .cannotWrite = error { shared.withLock { $0.fatal = $0.fatal ?? error } }
                    else { shared.withLock { $0.report.skipped.append("\(recording.audioPath): \(error)") } }
                } catch {
                    shared.withLock { $0.report.skipped.append("\(recording.id): \(error)") }
                }
            }
        }
        var report = shared.withLock { $0.report }
        if let fatal = shared.withLock({ $0.fatal }) { throw fatal }
        // The workers finish in any order; the report lists recordings in the data set's order.
        let order = Dictionary(recordings.enumerated().map { ($1.id, $0) }) { first, _ in first }
        report.written.sort { order[$0, default: 0] < order[$1, default: 0] }
        report.alreadyDone.sort { order[$0, default: 0] < order[$1, default: 0] }
        report.elapsed = Date().timeIntervalSince(start)
        return report
    }

    enum Outcome { case written(seconds: Double), alreadyDone }

    static func process(_ recording: Recording, options: PreprocessOptions, engine: StreamingCQT) throws -> Outcome {
        let path = chunkPath(options, id: recording.id)
        if let existing = try? SafeTensorsFile.read(path), existing.metadata["labels_from"] == options.labels,
           options.metadata.allSatisfy({ existing.metadata[$0.key] == $0.value }) {
            return .alreadyDone
        }
        // Labels first: a broken CSV costs no audio decoding.
        let labels: [NoteLabel]
        do { labels = try Labels.read(recording.labelPath) } catch { throw LayoutError(description: "\(error)") }
        let (samples, _) = try AudioLoading.mono(recording.audioPath, sampleRate: options.cqt.sampleRate)
        let frames = try BatchCQT.transform(samples, engine: engine)
        let bins = options.cqt.binCount, k = options.space.count, t = options.windowFrames
        let count = frames.count / bins
        let (hop, rate, space) = (options.cqt.hopLength, options.cqt.sampleRate, options.space)
        let targets = LabelRoll.roll(labels, frames: count, hop: hop, sampleRate: rate, space: space)
        let onsets = LabelRoll.onsets(labels, frames: count, hop: hop, sampleRate: rate, space: space)
        let velocities = LabelRoll.velocities(labels, frames: count, hop: hop, sampleRate: rate, space: space)
        let starts = windowStarts(frames: count, window: t, keep: options.windowsPerRecording,
                                  seed: options.seed ^ stableHash(recording.id))
        var windowFrames = [Float](repeating: options.cqt.floor, count: starts.count * t * bins)
        var windowTargets = [Float](repeating: 0, count: starts.count * t * k)
        var windowOnsets = windowTargets, windowVelocities = windowTargets
        for (w, s) in starts.enumerated() {
            let n = min(t, count - s)   // short recordings: padded with silence and no notes
            windowFrames.replaceSubrange((w * t * bins)..<((w * t + n) * bins), with: frames[(s * bins)..<((s + n) * bins)])
            let into = (w * t * k)..<((w * t + n) * k), from = (s * k)..<((s + n) * k)
            windowTargets.replaceSubrange(into, with: targets[from])
            windowOnsets.replaceSubrange(into, with: onsets[from])
            windowVelocities.replaceSubrange(into, with: velocities[from])
        }
        var writer = SafeTensorsWriter(metadata: options.metadata.merging([
            "id": recording.id, "source": recording.audioPath, "recording_frames": "\(count)",
        ]) { $1 })
        writer.add("frames", shape: [starts.count, t, bins], values: windowFrames)
        writer.add("targets", shape: [starts.count, t, k], values: windowTargets)
        writer.add("onsets", shape: [starts.count, t, k], values: windowOnsets)
        writer.add("velocities", shape: [starts.count, t, k], values: windowVelocities)
        writer.add("starts", shape: [starts.count], values: starts.map(Float.init))
        try writer.write(to: path)
        return .written(seconds: Double(samples.count) / Double(options.cqt.sampleRate))
    }

    /// Window start frames: every window (non-overlapping, plus one ending at the last frame) when
    /// `keep` is 0 or covers them all; otherwise `keep` starts drawn uniformly (seeded), sorted.
    static func windowStarts(frames: Int, window: Int, keep: Int, seed: UInt64) -> [Int] {
        var all = frames > window ? Array(Swift.stride(from: 0, through: frames - window, by: window)) : [0]
        if all.last! + window < frames { all.append(frames - window) }
        guard keep > 0, keep < all.count else { return all }
        var generator = SeededGenerator(seed: seed)
        return (0..<keep).map { _ in Int.random(in: 0...(frames - window), using: &generator) }.sorted()
    }

    /// FNV-1a of the id: a seed per recording that does not change between runs (Hasher does).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
