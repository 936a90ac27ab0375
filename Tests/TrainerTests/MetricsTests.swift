// The metrics against hand-worked cases and against numbers mir_eval gives for a fixed case
// (Fixtures/mir_eval.json, made by scripts/fixtures/make_mir_eval_fixture.py).
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import Trainer

/// Frames as sets of key indices to [frames, K] arrays.
func grid(_ sets: [[Int]], notes k: Int) -> [Float] {
    var out = [Float](repeating: 0, count: sets.count * k)
    for (t, set) in sets.enumerated() { for n in set { out[t * k + n] = 1 } }
    return out
}

@Suite struct MetricsTests {
    @Test func exactAccuracyCountsAllowedErrors() {
        // Frame 0 exact; frame 1 one note missing; frame 2 one wrong + one missing; frame 3 both empty.
        let reference = grid([[1, 2], [1, 2], [1, 2], []], notes: 5)
        let predicted = grid([[1, 2], [1], [1, 3], []], notes: 5)
        var e = Evaluation()
        e.addFrames(probabilities: predicted, targets: reference, notes: 5, allowedErrors: [0, 1, 2], pitchClassOf: nil)
        #expect(e.exactAccuracy(allowedErrors: 0) == 0.5)     // frames 0 and 3
        #expect(e.exactAccuracy(allowedErrors: 1) == 0.75)
        #expect(e.exactAccuracy(allowedErrors: 2) == 1)
        #expect(e.truePositives == 4 && e.falsePositives == 1 && e.falseNegatives == 2)
        #expect(e.precision == 0.8 && abs(e.recall - 4.0 / 6) < 1e-12 && abs(e.accuracy - 4.0 / 7) < 1e-12)
    }

    @Test func allSilentReferenceAndEmptyInput() {
        var e = Evaluation()
        e.addFrames(probabilities: grid([[], []], notes: 3), targets: grid([[], []], notes: 3), notes: 3,
                    allowedErrors: [0], pitchClassOf: nil)
        #expect(e.exactAccuracy(allowedErrors: 0) == 1)
        #expect(e.precision == 0 && e.recall == 0 && e.f1 == 0 && e.averagePrecision == 0)
        let empty = Evaluation()
        #expect(empty.exactAccuracy(allowedErrors: 0) == 0 && empty.noteF1 == 0)
    }

    @Test func pitchClassesFoldOctaves() {
        // Keys from C4 (MIDI 60): predicting C5 for C4 is wrong by key, right by pitch class.
        var e = Evaluation()
        e.addFrames(probabilities: grid([[12]], notes: 24), targets: grid([[0]], notes: 24), notes: 24,
                    allowedErrors: [0], pitchClassOf: { (60 + $0) % 12 })
        #expect(e.exactAccuracy(allowedErrors: 0) == 0)
        #expect(e.exactPitchClassAccuracy(allowedErrors: 0) == 1)
    }

    /// scikit-learn's average_precision_score on this case is 0.8333... (hand-worked: thresholds
    /// 0.9 (TP), 0.8 (FP), 0.7 (TP): AP = 0.5 * 1 + 0.5 * 2/3).
    @Test func averagePrecisionByHand() {
        var e = Evaluation()
        e.addFrames(probabilities: [0.9, 0.8, 0.7, 0.1], targets: [1, 0, 1, 0], notes: 4, allowedErrors: [], pitchClassOf: nil)
        #expect(abs(e.averagePrecision - (0.5 + 0.5 * 2.0 / 3)) < 1e-9)
    }

    struct Fixture: Decodable {
        struct PRF: Decodable { var precision: Double; var recall: Double; var f1: Double }
        struct Multipitch: Decodable { var precision: Double; var recall: Double; var accuracy: Double }
        var reference: [[Double]]
        var estimated: [[Double]]
        var onset: PRF
        var onset_offset: PRF
        var frames_reference: [[Int]]
        var frames_estimated: [[Int]]
        var multipitch: Multipitch
    }

    @Test func agreesWithMirEval() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mir_eval.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let notes = { (rows: [[Double]]) in rows.map { (pitch: Int($0[0]), onset: $0[1], offset: $0[2]) } }
        var e = Evaluation()
        e.addNotes(reference: notes(fixture.reference), estimated: notes(fixture.estimated))
        #expect(abs(e.notePrecision - fixture.onset.precision) < 1e-12)
        #expect(abs(e.noteRecall - fixture.onset.recall) < 1e-12)
        #expect(abs(e.noteF1 - fixture.onset.f1) < 1e-12)
        #expect(abs(e.noteWithOffsetF1 - fixture.onset_offset.f1) < 1e-12)

        // Frames: MIDI pitches 40 ... 79 as 40 keys.
        var f = Evaluation()
        f.addFrames(probabilities: grid(fixture.frames_estimated.map { $0.map { $0 - 40 } }, notes: 40),
                    targets: grid(fixture.frames_reference.map { $0.map { $0 - 40 } }, notes: 40), notes: 40,
                    allowedErrors: [0], pitchClassOf: nil)
        #expect(abs(f.precision - fixture.multipitch.precision) < 1e-12)
        #expect(abs(f.recall - fixture.multipitch.recall) < 1e-12)
        #expect(abs(f.accuracy - fixture.multipitch.accuracy) < 1e-12)
    }

    /// Greedy matching in reference order would give ref0 the first estimate it may take (est0),
    /// leaving ref1 (which may only take est0) unmatched; a maximum matching finds both.
    /// The onset head's detections are its rising edges over the threshold, matched by pitch and
    /// onset within 50 ms; a probability that stays high is one detection, not one per frame.
    @Test func onsetHeadDetectionsAreRisingEdges() {
        // Two notes (pitches 60, 61), frames of 10 ms: note 0 rises at frames 2 and 8 (held high
        // through 3-4), note 1 at frame 20 (a reference onset 0.3 s away: a false detection).
        var onsets = [Float](repeating: 0, count: 30 * 2)
        for t in [2, 3, 4, 8] { onsets[t * 2] = 0.9 }
        onsets[20 * 2 + 1] = 0.6
        onsets[21 * 2 + 1] = 0.4   // below the threshold: not a second rise
        var e = Evaluation()
        let reference = [(pitch: 60, onset: 0.03, offset: 0.05), (pitch: 60, onset: 0.08, offset: 0.1),
                         (pitch: 61, onset: 0.5, offset: 0.6)]
        e.addNotes(reference: reference, estimated: [])
        e.addOnsetDetections(onsets: onsets, notes: 2, threshold: 0.5, frameSeconds: 0.01, pitchOf: { 60 + $0 },
                             reference: reference)
        #expect(e.onsetHeadDetections == 3)
        #expect(e.onsetHeadMatches == 2)
        #expect(abs(e.onsetHeadPrecision - 2.0 / 3) < 1e-12 && abs(e.onsetHeadRecall - 2.0 / 3) < 1e-12)
        // Summed and sent between processes like every other count.
        var sum = Evaluation()
        sum.add(e)
        sum.add(e)
        let sent = Evaluation(counts: sum.counts(allowedErrors: [0]), allowedErrors: [0])
        #expect(sent.onsetHeadDetections == 6 && sent.onsetHeadMatches == 4 && sent.referenceNotes == 6)
        #expect(sum.summary(allowedErrors: [0]).contains { $0.0 == "onset_head_f1" })
        #expect(!Evaluation().summary(allowedErrors: [0]).contains { $0.0 == "onset_head_f1" })
    }

    @Test func maximumMatchingNotGreedy() {
        let reference = [(pitch: 60, onset: 0.00, offset: 1.0), (pitch: 60, onset: 0.08, offset: 1.0)]
        let estimated = [(pitch: 60, onset: 0.04, offset: 1.0), (pitch: 60, onset: -0.04, offset: 1.0)]
        // ref0 matches est0 (0.04) and est1 (0.04); ref1 matches only est0 (0.04).
        #expect(NoteMatching.count(reference: reference, estimated: estimated, withOffsets: false) == 2)
    }
}

@Suite struct LabelTests {
    @Test func parsesRealFilesAsTheyAre() throws {
        let text = "start_time,end_time,instrument,note,start_beat,end_beat,note_value,extra\r\n"
            + "9182,90589,43,53,4.0,1.5,Dotted Quarter,x\r\n"
            + "9182,33758,42,65,4.0,0.5,Eighth,\r\n\r\n\n"
        let labels = try LabelCSV.parse(text, path: "1727.csv")
        #expect(labels == [NoteLabel(start: 9182, end: 90589, instrument: 43, note: 53),
                           NoteLabel(start: 9182, end: 33758, instrument: 42, note: 65)])
    }

    @Test func rejectsBrokenFilesWithFileAndLine() {
        let header = LabelCSV.header + "\n"
        let cases: [(String, String)] = [
            ("start_time,instrument,note\n1,2,3\n", "f.csv:1: the header has no 'end_time' column"),
            (header + "100,50,1,60,0,0,q\n", "f.csv:2: end_time 50 is not after start_time 100"),
            (header + "0,10,1,60,0,0,q\nabc,20,1,60,0,0,q\n", "f.csv:3: start_time is 'abc', not an integer"),
            (header + "0,10,1\n", "f.csv:2: 3 fields where the header needs at least 4"),
            ("", "f.csv:1: empty label file"),
        ]
        for (text, message) in cases {
            #expect { try LabelCSV.parse(text, path: "f.csv") } throws: { "\($0)".hasPrefix(message) }
        }
    }

    /// The project's corpus adds a velocity column; a bad velocity is an error with file and line.
    @Test func aVelocityColumnIsRead() throws {
        let text = "start_time,end_time,instrument,note,velocity\n0,100,1,60,30\n50,200,1,62,127\n"
        #expect(try LabelCSV.parse(text, path: "v.csv").map(\.velocity) == [30, 127])
        #expect { try LabelCSV.parse(text + "0,10,1,64,0\n", path: "v.csv") } throws: {
            "\($0)" == "v.csv:4: velocity is '0', not a MIDI velocity 1 ... 127"
        }
    }

    /// Labels with velocities keep them through format and parse (the fuzzer found them dropped);
    /// labels without read back without, and a mix reads back as the mix.
    @Test func formattedLabelsReadBackAsTheyWere() throws {
        let struck = [NoteLabel(start: 33758, end: 413758, instrument: 41950, note: 42, velocity: 42),
                      NoteLabel(start: 0, end: 10, instrument: 1, note: 60, velocity: 127)]
        #expect(try LabelCSV.parse(LabelCSV.format(struck), path: "v.csv") == struck)
        let plain = struck.map { NoteLabel(start: $0.start, end: $0.end, instrument: $0.instrument, note: $0.note) }
        #expect(try LabelCSV.parse(LabelCSV.format(plain), path: "p.csv") == plain)
        #expect(try LabelCSV.parse(LabelCSV.format([]), path: "e.csv") == [])
        let mixed = [struck[0], plain[1]]
        #expect(try LabelCSV.parse(LabelCSV.format(mixed), path: "m.csv") == mixed)
    }

    /// Onsets mark the first frame of each note - so a key struck again the instant its note
    /// ends has a second onset where the frames run on - and velocities sit on the onsets.
    @Test func onsetsMarkEachStrikeAndCarryItsVelocity() {
        let space = NoteSpace.keys(lowestNote: 60, count: 3)
        // Frame t is sample t * 1024 at 44.1 kHz: notes [1024, 4096) and [4096, 6144) of one key.
        let labels = [NoteLabel(start: 1024, end: 4096, instrument: 1, note: 61, velocity: 40),
                      NoteLabel(start: 4096, end: 6144, instrument: 1, note: 61, velocity: 100),
                      NoteLabel(start: 0, end: 2048, instrument: 1, note: 62)]
        let roll = LabelRoll.roll(labels, frames: 8, hop: 512, sampleRate: 22050, space: space)
        let onsets = LabelRoll.onsets(labels, frames: 8, hop: 512, sampleRate: 22050, space: space)
        let velocities = LabelRoll.velocities(labels, frames: 8, hop: 512, sampleRate: 22050, space: space)
        #expect((0..<8).filter { roll[$0 * 3 + 1] > 0 } == [1, 2, 3, 4, 5])
        #expect((0..<8).filter { onsets[$0 * 3 + 1] > 0 } == [1, 4])
        #expect((0..<8).filter { onsets[$0 * 3 + 2] > 0 } == [0])
        #expect(velocities[1 * 3 + 1] == 40 / 127 && velocities[4 * 3 + 1] == 100 / 127)
        #expect(velocities.filter { $0 > 0 }.count == 2)   // the note without a velocity trains none
    }

    /// Frame t is active iff start <= t * hop / sr < end. With sr 22050 and hop 512, frame t's
    /// instant is sample t * 1024 at 44.1 kHz: [1024, 3072) covers frames 1 and 2, [1025, 3073)
    /// frames 2 and 3, and [1023, 1024) nothing (it ends before frame 1's instant).
    @Test func rollsHitExactFrameBoundaries() {
        let space = NoteSpace.keys(lowestNote: 60, count: 3)
        func frames(_ start: Int, _ end: Int) -> [Int] {
            let roll = LabelRoll.roll([NoteLabel(start: start, end: end, instrument: 1, note: 61)], frames: 6,
                                      hop: 512, sampleRate: 22050, space: space)
            return (0..<6).filter { roll[$0 * 3 + 1] == 1 }
        }
        #expect(frames(1024, 3072) == [1, 2])
        #expect(frames(1025, 3073) == [2, 3])
        #expect(frames(1023, 1024) == [])
        #expect(frames(1023, 1025) == [1])
        #expect(frames(0, 100_000) == [0, 1, 2, 3, 4, 5])
        // Outside the space: dropped; pitch classes fold octaves.
        let outside = LabelRoll.roll([NoteLabel(start: 0, end: 5000, instrument: 1, note: 40)], frames: 2, hop: 512,
                                     sampleRate: 22050, space: space)
        #expect(outside.allSatisfy { $0 == 0 })
        let classes = LabelRoll.roll([NoteLabel(start: 0, end: 5000, instrument: 1, note: 74)], frames: 1, hop: 512,
                                     sampleRate: 22050, space: .pitchClasses)
        #expect(classes[2] == 1 && classes.reduce(0, +) == 1)
    }
}
