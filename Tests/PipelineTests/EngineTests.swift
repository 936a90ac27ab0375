// The engine's window rule, worked out by hand on a tiny network fed CQT frames directly: each
// frame the mean of the windows over it (file's), or the first window with the look-ahead after it
// (live's); batching windows changes nothing; every frame is decoded once; audio and frames agree.
import Foundation
import Model
@testable import Pipeline
import StreamingCQT
import Support
import Testing

/// Six notes from C4, two bins each, and a network of a few hundred parameters: fast in a debug build.
let tinyFrontEnd = CQTSettings(binsPerNote: 2, lowestNote: 60, notes: 6)
let tinyNetwork = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 6, binsPerNote: 2, nBins: 12)

func tinyEngine(window: Int, _ settings: EngineSettings, seed: UInt64 = 9) throws -> (TranscriptionEngine, TranscriptionNetwork) {
    let net = try TranscriptionNetwork(config: tinyNetwork, seed: seed)
    let description = try WeightsDescription(
        data: DataDescription(frontEnd: tinyFrontEnd, windowFrames: window, space: .keys(lowestNote: 60, count: 6)),
        network: tinyNetwork)
    return (try TranscriptionEngine(network: try ParallelNetwork(network: net, threads: 1), description: description,
                                    settings: settings), net)
}

/// Random frames in the range a log-compressed CQT has.
func randomFrames(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<(count * tinyNetwork.nBins)).map { _ in Float.random(in: 0...6, using: &g) }
}

/// The per-frame probabilities the engine decodes from `frames`.
func engineProbabilities(_ engine: TranscriptionEngine, _ frames: [Float]) throws -> [Float] {
    var seen: [Float] = []
    engine.frameObserver = { seen.append(contentsOf: $0) }
    try frames.withUnsafeBufferPointer { try engine.push(frames: $0) }
    try engine.finish()
    return seen
}

func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

/// The network's probabilities [window, notes] for the window ending at frame `newest`, frames
/// before the first being silence (the CQT floor, 0).
func windowEnding(at newest: Int, window: Int, frames: [Float], net: TranscriptionNetwork) -> [Float] {
    let bins = tinyNetwork.nBins
    var input: [Float] = []
    for frame in (newest - window + 1)...newest {
        input += frame < 0 ? [Float](repeating: 0, count: bins) : Array(frames[(frame * bins)..<((frame + 1) * bins)])
    }
    return input.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 1, frames: window)) }.map(sigmoid)
}

/// Identical up to the summation order of a larger matrix product (a batch of windows).
let batchTolerance: Float = 1e-6

@Suite struct EngineRuleTests {
    /// `file`'s rule: windows ending after frames 1, 3, 5 and (the stride leaves one frame) 6,
    /// silence before frame 0; each frame the mean of the windows over it. The engine has decoded
    /// frames 0-3 when the input ends (no window of the stride's would cover them again), so the
    /// last window adds only to frames 4-6. Triangular weights count a window's middle two
    /// frames twice as much as its ends (1, 2, 2, 1).
    @Test(arguments: [1, 3], [OverlapWeighting.flat, .triangular])
    func eachFrameIsTheMeanOfTheWindowsOverIt(windowBatch: Int, overlap: OverlapWeighting) throws {
        let (frames, window, notes) = (7, 4, tinyNetwork.nNotes)
        let (engine, net) = try tinyEngine(window: window, EngineSettings(stride: 2, lookahead: nil, windowBatch: windowBatch,
                                                                          overlap: overlap))
        let weight: [Float] = overlap == .flat ? [1, 1, 1, 1] : [1, 2, 2, 1]
        let features = randomFrames(frames, seed: 4)
        let probabilities = try engineProbabilities(engine, features)
        #expect(probabilities.count == frames * notes)
        let windows = [(1, 0), (3, 0), (5, 0), (6, 4)].map {
            (newest: $0.0, values: windowEnding(at: $0.0, window: window, frames: features, net: net), from: $0.1)
        }
        func over(_ frame: Int) -> [(newest: Int, values: [Float], from: Int)] {
            windows.filter { frame <= $0.newest && frame > $0.newest - window && frame >= $0.from }
        }
        for frame in 0..<frames {
            let over = over(frame)
            let weights = over.reduce(Float(0)) { $0 + weight[frame - ($1.newest - window + 1)] }
            for k in 0..<notes {
                let sum = over.reduce(Float(0)) {
                    let position = frame - ($1.newest - window + 1)
                    return $0 + weight[position] * $1.values[position * notes + k]
                }
                #expect(abs(probabilities[frame * notes + k] - sum / weights) < batchTolerance, "frame \(frame) note \(k)")
            }
        }
        #expect((0..<frames).map { over($0).count } == [2, 2, 2, 2, 2, 2, 1])
        #expect(engine.windowsRun == 4)
    }

    /// Live's rule: with look-ahead 1 and stride 2 over 10 frames, frame f comes from the first
    /// window ending at 1, 3, 5, 7 or 9 with at least one frame after f; frame 9 has none, so the
    /// end of the input decodes it from a last window ending at it.
    @Test func eachFrameComesFromTheFirstWindowWithItsLookahead() throws {
        let (frames, window, notes) = (10, 4, tinyNetwork.nNotes)
        let (engine, net) = try tinyEngine(window: window, EngineSettings(stride: 2, lookahead: 1))
        let features = randomFrames(frames, seed: 5)
        let probabilities = try engineProbabilities(engine, features)
        let source = [1, 3, 3, 5, 5, 7, 7, 9, 9, 9]   // the window each frame is taken from, by hand
        for frame in 0..<frames {
            let values = windowEnding(at: source[frame], window: window, frames: features, net: net)
            let row = frame - (source[frame] - window + 1)
            for k in 0..<notes {
                #expect(abs(probabilities[frame * notes + k] - values[row * notes + k]) < batchTolerance, "frame \(frame)")
            }
        }
        #expect(engine.framesDropped == 0)
    }

    /// `file` batches its windows (one matrix product for many); the probabilities and the notes
    /// are those of one window at a time.
    @Test(arguments: [(3, nil), (2, 1), (8, 0), (5, nil)] as [(Int, Int?)])
    func batchingWindowsChangesNothing(stride: Int, lookahead: Int?) throws {
        let features = randomFrames(60, seed: 6)
        var results: [([Float], [TranscribedNote])] = []
        for batch in [1, 5] {
            let (engine, _) = try tinyEngine(window: 8, EngineSettings(stride: stride, lookahead: lookahead, windowBatch: batch))
            let notes = NoteCollector()
            engine.add(notes)
            results.append((try engineProbabilities(engine, features), notes.notes))
        }
        #expect(results[0].0.count == results[1].0.count)
        #expect(zip(results[0].0, results[1].0).allSatisfy { abs($0 - $1) < batchTolerance })
        // The same notes; their mean confidences within the same tolerance.
        #expect(results[0].1.map { [$0.pitch, Int($0.onset * 1e6), Int($0.offset * 1e6)] }
                == results[1].1.map { [$0.pitch, Int($0.onset * 1e6), Int($0.offset * 1e6)] })
        #expect(zip(results[0].1, results[1].1).allSatisfy { abs($0.confidence - $1.confidence) < batchTolerance })
        #expect(!results[0].1.isEmpty)
    }

    /// Every frame is decoded once, in order, whatever the stride, look-ahead and window; every
    /// note that starts also ends.
    @Test(arguments: [(6, 0, 43), (6, 4, 43), (22, 21, 43), (1, 42, 43), (43, 0, 43), (11, nil, 43), (1, nil, 43),
                      (43, nil, 43), (7, nil, 43), (6, 4, 86), (11, nil, 86), (86, nil, 86), (40, 45, 86)] as [(Int, Int?, Int)])
    func everyFrameIsDecodedOnce(stride: Int, lookahead: Int?, window: Int) throws {
        let (engine, _) = try tinyEngine(window: window, EngineSettings(stride: stride, lookahead: lookahead, windowBatch: 4),
                                         seed: 3)
        let sink = CountingSink()
        engine.add(sink)
        let frames = 173
        #expect(try engineProbabilities(engine, randomFrames(frames, seed: 7)).count == frames * tinyNetwork.nNotes)
        #expect(sink.advances == frames)
        #expect(sink.ons == sink.offs)
        #expect(engine.framesDropped == 0)
    }

    /// A reset engine transcribes the next recording as a new one would.
    @Test func aResetEngineStartsAfresh() throws {
        let (engine, _) = try tinyEngine(window: 16, EngineSettings.file)
        let first = try engineProbabilities(engine, randomFrames(40, seed: 8))
        engine.reset()
        #expect(try engineProbabilities(engine, randomFrames(40, seed: 8)) == first)
        #expect(engine.framesDecoded == 40)
    }

    /// CQT frames pushed directly (`predict`) give what the same audio pushed as samples gives.
    @Test func framesAndAudioGiveTheSameProbabilities() throws {
        var g = SeededGenerator(seed: 10)
        let (samples, _) = ToneSynthesis.render(seconds: 2, rate: 22050, pitches: Array(60...65), voices: 2, generator: &g)
        let (fromAudio, _) = try tinyEngine(window: 16, EngineSettings.file)
        var audio: [Float] = []
        fromAudio.frameObserver = { audio.append(contentsOf: $0) }
        try samples.withUnsafeBufferPointer { try fromAudio.push($0) }
        try fromAudio.finish()
        let (fromFrames, _) = try tinyEngine(window: 16, EngineSettings.file)
        // Planned as the engine plans its FFTs (other plans round differently in the last bit).
        let frames = try BatchCQT.transform(samples, settings: tinyFrontEnd, planning: .estimate)
        #expect(try engineProbabilities(fromFrames, frames) == audio)
        #expect(audio.count == (samples.count / 512 + 1) * tinyNetwork.nNotes)
    }

    @Test func settingsThatLeaveFramesUncoveredAreRefused() throws {
        #expect { try tinyEngine(window: 43, EngineSettings(stride: 22, lookahead: 22)) } throws: {
            "\($0)".contains("plus the look-ahead (22) must be at most a window (43 frames)")
        }
        // Averaging (no look-ahead): a stride past the window would leave frames no window covers.
        #expect { try tinyEngine(window: 43, EngineSettings(stride: 44, lookahead: nil)) } throws: {
            "\($0)".contains("the stride (44) must be at most a window (43 frames)")
        }
        #expect { try tinyEngine(window: 43, EngineSettings(stride: 0)) } throws: { "\($0)".contains("at least one frame") }
    }

    /// A network with a context summary: each window reads the summary of every frame before its
    /// first (what the trainer's ContextTable gives the same window), batched or not, and a reset
    /// engine forgets the past.
    @Test(arguments: [1, 3])
    func eachWindowReadsTheSummaryOfTheFramesBeforeIt(windowBatch: Int) throws {
        var config = tinyNetwork
        config.contextFrames = 6
        let net = try TranscriptionNetwork(config: config, seed: 12)
        let description = try WeightsDescription(
            data: DataDescription(frontEnd: tinyFrontEnd, windowFrames: 4, space: .keys(lowestNote: 60, count: 6)), network: config)
        let engine = try TranscriptionEngine(network: try ParallelNetwork(network: net, threads: 1), description: description,
                                             settings: EngineSettings(stride: 4, lookahead: nil, windowBatch: windowBatch))
        let (count, window, bins, notes) = (14, 4, config.nBins, config.nNotes)
        let features = randomFrames(count, seed: 13)
        let probabilities = try engineProbabilities(engine, features)
        // Windows end at frames 3, 7, 11 and (the input's end) 13; frames 12-13 come from the last.
        for (newest, decoded) in [(3, 0...3), (7, 4...7), (11, 8...11), (13, 12...13)] {
            let first = newest - window + 1
            var summary = ContextSummary(bins: bins, timeConstant: 6), s = [Float](repeating: 0, count: bins)
            for frame in 0..<first { features.withUnsafeBufferPointer { summary.add($0.baseAddress! + frame * bins) } }
            summary.write(into: &s)
            let input = Array(features[(first * bins)..<((newest + 1) * bins)])
            let expected = input.withUnsafeBufferPointer { x in s.withUnsafeBufferPointer {
                Array(net.forward(x.baseAddress!, batch: 1, frames: window, summaries: $0.baseAddress!)).map(sigmoid) } }
            for frame in decoded {
                for n in 0..<notes {
                    let found = probabilities[frame * notes + n], wanted = expected[(frame - first) * notes + n]
                    #expect(abs(found - wanted) < 1e-5, "frame \(frame) note \(n): \(found) against \(wanted)")
                }
            }
        }
        engine.reset()
        #expect(try engineProbabilities(engine, features) == probabilities)
    }

    @Test func audioAndFramesDoNotMix() throws {
        let (engine, _) = try tinyEngine(window: 16, EngineSettings.file)
        try [Float](repeating: 0, count: 2048).withUnsafeBufferPointer { try engine.push($0) }
        #expect { try randomFrames(2, seed: 1).withUnsafeBufferPointer { try engine.push(frames: $0) } } throws: {
            "\($0)".contains("was given audio")
        }
    }
}

/// Counts what the engine tells its sinks.
final class CountingSink: NoteSink {
    var lastTime = -1.0, advances = 0, ons = 0, offs = 0
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) { ons += 1 }
    func noteOff(_ note: TranscribedNote) { offs += 1 }
    func advance(to time: Double) { precondition(time > lastTime); lastTime = time; advances += 1 }
    func flush() throws {}
}
