// The note decoder, frame by frame on probabilities worked out by hand: frame-only weights keep
// today's rule; with an onset head a key struck again is a new note; velocities come from the
// velocity head; bad thresholds are refused; and the engine runs every head through the decoder.
import Foundation
import Model
@testable import Pipeline
import Testing

@Suite struct NoteDecoderTests {
    /// Rows of one key: frame probabilities, then onset probabilities and velocities if given.
    func rows(_ frames: [Float], onsets: [Float]? = nil, velocities: [Float]? = nil) -> [Float] {
        var all: [Float] = []
        for t in frames.indices {
            all.append(frames[t])
            if let onsets { all.append(onsets[t]) }
            if let velocities { all.append(velocities[t]) }
        }
        return all
    }

    /// A key struck four times at 8 strikes a second (a strike every 125 ms, 5.4 frames of 23 ms):
    /// the frame probability never falls between strikes, the onset probability peaks at each.
    let strikes = [0, 5, 11, 16]
    var repeatedFrames: [Float] { (0..<22).map { $0 < 21 ? 0.9 : 0.1 } }
    var repeatedOnsets: [Float] { (0..<22).map { t in strikes.contains(t) ? 0.8 : strikes.contains(t - 1) ? 0.55 : 0.05 } }

    @Test func aKeyStruckFourTimesIsFourNotes() {
        let decoder = NoteDecoder(notes: 1, onsets: true)
        let notes = decoder.decodeAll(rows(repeatedFrames, onsets: repeatedOnsets))
        #expect(notes.map(\.onset) == strikes)
        #expect(notes.map(\.offset) == [5, 11, 16, 21])
        // The frames alone (weights without an onset head) hear one long note.
        #expect(NoteDecoder.decode(repeatedFrames, notes: 1).map { [$0.onset, $0.offset] } == [[0, 21]])
    }

    /// Frame-only weights decode as they always have: on at 0.5, held down to 0.35, at least two frames.
    @Test func framesAloneKeepTheHysteresisRule() {
        let p: [Float] = [0.1, 0.5, 0.4, 0.36, 0.3, 0.6, 0.1, 0.45, 0.9, 0.9, 0.34]
        let notes = NoteDecoder.decode(p, notes: 1)
        #expect(notes.map { [$0.onset, $0.offset] } == [[1, 4], [8, 10]])   // the one-frame blip at 5 is dropped
        #expect(notes[0].velocity == nil && abs(notes[0].confidence - (0.5 + 0.4 + 0.36) / 3) < 1e-6)
    }

    /// With onsets, a held onset (high for several frames) is one onset, not several; an onset
    /// in a note's first frames is its own attack seen late; frames that rise without an onset
    /// still start a note (an attack the onset head missed).
    @Test func onsetsSplitNotesOnlyWhereAStrikeCanBe() {
        let frames: [Float] = [0.1, 0.9, 0.9, 0.9, 0.2, 0.8, 0.8, 0.8, 0.8, 0.1]
        let onsets: [Float] = [0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1]
        let notes = NoteDecoder(notes: 1, onsets: true).decodeAll(rows(frames, onsets: onsets))
        #expect(notes.map { [$0.onset, $0.offset] } == [[1, 4], [5, 9]])
        let early = NoteDecoderSettings(frameOnsetThreshold: 0.5)   // the frame starts the note a frame before its onset
        let late = NoteDecoder(notes: 1, settings: early, onsets: true)
            .decodeAll(rows([0.1, 0.6, 0.7, 0.7, 0.7, 0.1], onsets: [0.1, 0.2, 0.7, 0.2, 0.1, 0.1]))
        #expect(late.map { [$0.onset, $0.offset] } == [[1, 5]])
        // The frame head may lag the attack by a frame: the onset frame itself need not be above
        // the frame threshold.
        let lagging = NoteDecoder(notes: 1, onsets: true).decodeAll(rows([0.1, 0.2, 0.7, 0.7, 0.1], onsets: [0.1, 0.9, 0.2, 0.1, 0.1]))
        #expect(lagging.map { [$0.onset, $0.offset] } == [[1, 4]])
    }

    /// Soft and loud strikes of one key get the velocities the head heard at their onsets.
    @Test func softAndLoudStrikesGetTheirVelocities() {
        let velocities: [Float] = (0..<22).map { t in t < 11 ? 0.25 : 0.85 }
        let decoder = NoteDecoder(notes: 1, onsets: true, velocities: true)
        #expect(decoder.rowWidth == 3)
        var ons: [Int?] = []
        let all = rows(repeatedFrames, onsets: repeatedOnsets, velocities: velocities)
        var offs: [DecodedNote] = []
        all.withUnsafeBufferPointer { buffer in
            for t in 0..<22 {
                decoder.push(UnsafeBufferPointer(rebasing: buffer[(3 * t)..<(3 * t + 3)])) { event in
                    switch event {
                    case let .on(_, _, _, velocity): ons.append(velocity)
                    case let .off(note): offs.append(note)
                    }
                }
            }
        }
        // The last note's frame probability falls at frame 21: a dip so far, ended at the finish.
        decoder.finish { event in if case let .off(note) = event { offs.append(note) } }
        #expect(ons == [32, 32, 108, 108])
        #expect(offs.map(\.velocity) == [32, 32, 108, 108])
        #expect(offs.last?.offset == 21)
        #expect(NoteDecoder.midiVelocity(0) == 1 && NoteDecoder.midiVelocity(1) == 127)
    }

    @Test(arguments: [(0, 0.3), (1.2, 0.3), (0.5, 0), (0.5, -0.1), (0.4, 0.6), (Float.nan, 0.3)] as [(Float, Float)])
    func badThresholdsAreRefused(onset: Float, frame: Float) {
        let settings = NoteDecoderSettings(onsetThreshold: onset, frameThreshold: frame)
        #expect { try settings.validate() } throws: { error in
            let text = "\(error)"
            return text.contains("threshold") && (text.contains("probability") || text.contains("must not be above"))
        }
        #expect(throws: EngineError.self) { try tinyEngine(window: 8, EngineSettings(stride: 4, decoder: settings)) }
    }

    /// The frame onset threshold (a note the onset head missed) is a probability too, and a note
    /// it starts must be able to hold: not below the frame threshold.
    @Test(arguments: [0, 1.5, 0.2, Float.nan] as [Float])
    func badFrameOnsetThresholdsAreRefused(frameOnset: Float) {
        let settings = NoteDecoderSettings(onsetThreshold: 0.5, frameThreshold: 0.35, frameOnsetThreshold: frameOnset)
        #expect { try settings.validate() } throws: { error in
            let text = "\(error)"
            return text.contains("frame onset threshold") && (text.contains("probability") || text.contains("must not be below"))
        }
    }

    /// With an onset head, a silent key whose onset stays low becomes a note once its frame
    /// probability reaches the frame onset threshold, and the note begins where that rise passed
    /// the frame threshold (the frame head climbs over a few frames); a rise that stops short of
    /// the frame onset threshold is no note, and does not date the next one.
    @Test func aMissedOnsetStartsTheNoteWhereItsFrameRose() {
        let frames: [Float] = [0, 0.4, 0.6, 0.75, 0.9, 0.9, 0.5, 0.1, 0]
        let decoder = NoteDecoder(notes: 1, settings: NoteDecoderSettings(frameOnsetThreshold: 0.7), onsets: true)
        let notes = decoder.decodeAll(frames.flatMap { [$0, 0.1] })
        #expect(notes.map(\.onset) == [1] && notes.map(\.offset) == [7])
        #expect(abs(notes[0].confidence - (0.4 + 0.6 + 0.75 + 0.9 + 0.9 + 0.5) / 6) < 1e-6)
        let never = NoteDecoder(notes: 1, settings: NoteDecoderSettings(frameOnsetThreshold: 1), onsets: true)
        #expect(never.decodeAll(frames.flatMap { [$0, 0.1] }).isEmpty)
        let shortRise: [Float] = [0.5, 0.6, 0.2, 0, 0.4, 0.8, 0.8, 0]
        #expect(decoder.decodeAll(shortRise.flatMap { [$0, 0.1] }).map(\.onset) == [4])
    }

    /// Inside a sounding note an onset splits it only at the re-strike threshold; an onset that
    /// crosses the onset threshold first and the re-strike threshold a frame later splits it there.
    @Test func aSoundingKeyIsStruckAgainOnlyAtTheRestrikeThreshold() {
        let frames = [Float](repeating: 0.9, count: 12) + [0.1]
        var onsets = [Float](repeating: 0.05, count: 13)
        onsets[0] = 0.9
        onsets[5] = 0.6
        let decoder = NoteDecoder(notes: 1, onsets: true)   // re-strike at 0.7
        #expect(decoder.decodeAll(rows(frames, onsets: onsets)).map(\.onset) == [0])
        let anyOnset = NoteDecoder(notes: 1, settings: NoteDecoderSettings(restrikeThreshold: 0.5), onsets: true)
        #expect(anyOnset.decodeAll(rows(frames, onsets: onsets)).map(\.onset) == [0, 5])
        onsets[6] = 0.85
        #expect(decoder.decodeAll(rows(frames, onsets: onsets)).map(\.onset) == [0, 6])
    }

    /// A sounding note whose frame probability dips for one frame with no onset goes on; a dip of
    /// two frames ends it where the dip began; an onset in a dip is a new strike, even below the
    /// re-strike threshold; with bridgeFrames 0 every dip ends the note.
    @Test func aOneFrameDipDoesNotEndANote() {
        let oneDip: [Float] = [0.9, 0.9, 0.9, 0.2, 0.9, 0.9, 0.1, 0]
        let twoDips: [Float] = [0.9, 0.9, 0.9, 0.2, 0.2, 0.9, 0.9, 0.1, 0]
        let decoder = NoteDecoder(notes: 1, settings: NoteDecoderSettings(frameOnsetThreshold: 0.8), onsets: true)
        let quietOnsets = { (count: Int) in [Float(0.9)] + [Float](repeating: 0.05, count: count - 1) }
        let bridged = decoder.decodeAll(rows(oneDip, onsets: quietOnsets(oneDip.count)))
        #expect(bridged.map(\.onset) == [0] && bridged.map(\.offset) == [6])
        #expect(abs(bridged[0].confidence - (0.9 * 5 + 0.2) / 6) < 1e-6)
        let ended = decoder.decodeAll(rows(twoDips, onsets: quietOnsets(twoDips.count)))
        #expect(ended.map(\.onset) == [0, 5] && ended.map(\.offset) == [3, 7])
        var struck = quietOnsets(oneDip.count)
        struck[3] = 0.6
        let restruck = decoder.decodeAll(rows(oneDip, onsets: struck))
        #expect(restruck.map(\.onset) == [0, 3] && restruck.map(\.offset) == [3, 6])
        let strict = NoteDecoder(notes: 1, settings: NoteDecoderSettings(frameOnsetThreshold: 0.8, bridgeFrames: 0), onsets: true)
        #expect(strict.decodeAll(rows(oneDip, onsets: quietOnsets(oneDip.count))).map(\.offset) == [3, 6])
    }

    /// A key an octave (or a 12th, or two octaves) above a sounding note whose frame probability
    /// rises with no onset is that note's harmonic, not a note; with an onset it is struck; a
    /// note begun in the same frame as the lower one (an octave played together) is a note too.
    @Test func aHarmonicOfASoundingNoteNeedsAnOnset() {
        let decoder = NoteDecoder(notes: 25, onsets: true)
        func run(upper: Int, upperFrom: Int, upperOnset: Float) -> [DecodedNote] {
            var all: [Float] = []
            for t in 0..<8 {
                var frame = [Float](repeating: 0, count: 25), onsets = [Float](repeating: 0, count: 25)
                frame[0] = t < 7 ? 0.9 : 0
                onsets[0] = t == 0 ? 0.9 : 0
                frame[upper] = t >= upperFrom && t < 7 ? 0.9 : 0
                onsets[upper] = t == upperFrom ? upperOnset : 0
                all += frame + onsets
            }
            return decoder.decodeAll(all)
        }
        for upper in [12, 19, 24] {
            #expect(run(upper: upper, upperFrom: 2, upperOnset: 0).map(\.index) == [0], "interval \(upper)")
            #expect(run(upper: upper, upperFrom: 2, upperOnset: 0.9).map(\.index).sorted() == [0, upper])
        }
        #expect(run(upper: 12, upperFrom: 0, upperOnset: 0).map(\.index).sorted() == [0, 12])
        #expect(run(upper: 7, upperFrom: 2, upperOnset: 0).map(\.index).sorted() == [0, 7])   // a fifth: no harmonic
    }

    @Test(arguments: [0, 1.5, Float.nan] as [Float])
    func badRestrikeThresholdsAreRefused(restrike: Float) {
        #expect { try NoteDecoderSettings(restrikeThreshold: restrike).validate() } throws: { error in
            "\(error)".contains("re-strike threshold") && "\(error)".contains("probability")
        }
    }

    /// The engine hands the decoder every head: whether the onset head fires at once or never,
    /// a frame head sure of every key gives one note a key, from the start (an onset and a
    /// rising frame are one attack), with the velocity head's velocity.
    @Test(arguments: [(-12, 6), (12, 6)] as [(Float, Int)])
    func theEngineDecodesEveryHead(onsetBias: Float, expected: Int) throws {
        var config = tinyNetwork
        config.onsetHead = true
        config.velocityHead = true
        let net = try TranscriptionNetwork(config: config, seed: 3)
        for (name, bias) in [("decoder", Float(12)), ("onset", onsetBias), ("velocity", 0.4)] {
            net.parameters[name + ".fc2.weight"].update(repeating: 0)
            net.parameters[name + ".fc2.bias"].update(repeating: bias)
        }
        let description = try WeightsDescription(
            data: DataDescription(frontEnd: tinyFrontEnd, windowFrames: 8, space: .keys(lowestNote: 60, count: 6)), network: config)
        for settings in [EngineSettings(stride: 3, lookahead: nil, windowBatch: 2), EngineSettings(stride: 2, lookahead: 1)] {
            let engine = try TranscriptionEngine(network: try ParallelNetwork(network: net, threads: 1), description: description,
                                                 settings: settings)
            let collector = NoteCollector()
            engine.add(collector)
            var observed = 0
            engine.frameObserver = { row in
                #expect(row.count == 6)
                observed += 1
            }
            try randomFrames(20, seed: 4).withUnsafeBufferPointer { try engine.push(frames: $0) }
            try engine.finish()
            #expect(observed == 20)
            #expect(collector.notes.count == expected)
            #expect(collector.notes.allSatisfy { $0.onset == 0 && $0.velocity == Int((sigmoid(0.4) * 127).rounded()) })
        }
    }
}
