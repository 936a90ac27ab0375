// Metrics: how well predicted notes match the labels (DATA_AND_METRICS.md), frame by frame and
// note by note, following mir_eval's conventions where it defines them.
import Foundation
import Pipeline

/// The evaluation of one recording or a whole split.
public struct Evaluation: Codable, Sendable, Equatable {
    public var frames = 0
    /// Frames whose predicted note set differs from the reference by at most k notes, per k.
    public var exactWithin: [Int: Int] = [:]
    /// The same on pitch classes (notes folded mod 12), per k.
    public var exactPitchClassWithin: [Int: Int] = [:]
    public var truePositives = 0, falsePositives = 0, falseNegatives = 0
    /// Histogram of (score, label) pairs for average precision (scores in bins of 1e-4).
    var positiveScores = [Int](repeating: 0, count: Evaluation.scoreBins + 1)
    var negativeScores = [Int](repeating: 0, count: Evaluation.scoreBins + 1)
    public var referenceNotes = 0, estimatedNotes = 0
    public var onsetMatches = 0, onsetOffsetMatches = 0
    /// The onset head's own detections (where its probability reaches the onset threshold) and
    /// those that match a reference onset (same pitch, within 50 ms): whether the head or the
    /// decoder loses a note. Zero for weights without an onset head.
    public var onsetHeadDetections = 0, onsetHeadMatches = 0

    static let scoreBins = 10_000

    public init() {}

    // MARK: Derived metrics

    /// Fraction of frames exactly right with up to k wrong notes.
    public func exactAccuracy(allowedErrors k: Int) -> Double { ratio(exactWithin[k] ?? 0, frames) }
    public func exactPitchClassAccuracy(allowedErrors k: Int) -> Double { ratio(exactPitchClassWithin[k] ?? 0, frames) }
    /// mir_eval.multipitch: TP / (TP + FP), TP / (TP + FN), their harmonic mean, TP / (TP + FP + FN).
    public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
    public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
    public var f1: Double { harmonic(precision, recall) }
    public var accuracy: Double { ratio(truePositives, truePositives + falsePositives + falseNegatives) }
    /// Average precision of the probabilities: sum over thresholds (descending) of
    /// (R_n - R_(n-1)) P_n, scikit-learn's definition, with scores rounded to 1e-4.
    public var averagePrecision: Double {
        let positives = positiveScores.reduce(0, +)
        guard positives > 0 else { return 0 }
        var tp = 0, fp = 0, ap = 0.0, previousRecall = 0.0
        for bin in stride(from: Evaluation.scoreBins, through: 0, by: -1) {
            tp += positiveScores[bin]
            fp += negativeScores[bin]
            guard tp + fp > 0, positiveScores[bin] > 0 || negativeScores[bin] > 0 else { continue }
            let recall = Double(tp) / Double(positives)
            ap += (recall - previousRecall) * Double(tp) / Double(tp + fp)
            previousRecall = recall
        }
        return ap
    }
    /// Note level (mir_eval.transcription): onsets within 50 ms, same pitch.
    public var notePrecision: Double { ratio(onsetMatches, estimatedNotes) }
    public var noteRecall: Double { ratio(onsetMatches, referenceNotes) }
    public var noteF1: Double { harmonic(notePrecision, noteRecall) }
    /// ...and offsets within max(50 ms, 20% of the reference note's length).
    public var noteWithOffsetF1: Double {
        harmonic(ratio(onsetOffsetMatches, estimatedNotes), ratio(onsetOffsetMatches, referenceNotes))
    }

    /// The onset head alone: its detections against the reference onsets.
    public var onsetHeadPrecision: Double { ratio(onsetHeadMatches, onsetHeadDetections) }
    public var onsetHeadRecall: Double { ratio(onsetHeadMatches, referenceNotes) }
    public var onsetHeadF1: Double { harmonic(onsetHeadPrecision, onsetHeadRecall) }

    /// Every count as one flat list (exact counts for `allowedErrors`, in order), so that the
    /// evaluations of several processes can be summed element by element (ProcessGroup).
    public func counts(allowedErrors: [Int]) -> [Double] {
        var list = [frames, truePositives, falsePositives, falseNegatives, referenceNotes, estimatedNotes,
                    onsetMatches, onsetOffsetMatches, onsetHeadDetections, onsetHeadMatches].map(Double.init)
        list += allowedErrors.map { Double(exactWithin[$0] ?? 0) } + allowedErrors.map { Double(exactPitchClassWithin[$0] ?? 0) }
        return list + positiveScores.map(Double.init) + negativeScores.map(Double.init)
    }

    /// The evaluation whose counts are `counts` (as `counts(allowedErrors:)` lists them).
    public init(counts: [Double], allowedErrors: [Int]) {
        let n = counts.map { Int($0) }
        (frames, truePositives, falsePositives, falseNegatives) = (n[0], n[1], n[2], n[3])
        (referenceNotes, estimatedNotes, onsetMatches, onsetOffsetMatches) = (n[4], n[5], n[6], n[7])
        (onsetHeadDetections, onsetHeadMatches) = (n[8], n[9])
        var at = 10
        for k in allowedErrors { exactWithin[k] = n[at]; at += 1 }
        for k in allowedErrors { exactPitchClassWithin[k] = n[at]; at += 1 }
        positiveScores = Array(n[at..<(at + Evaluation.scoreBins + 1)])
        negativeScores = Array(n[(at + Evaluation.scoreBins + 1)...])
    }

    public mutating func add(_ other: Evaluation) {
        frames += other.frames
        for (k, v) in other.exactWithin { exactWithin[k, default: 0] += v }
        for (k, v) in other.exactPitchClassWithin { exactPitchClassWithin[k, default: 0] += v }
        truePositives += other.truePositives
        falsePositives += other.falsePositives
        falseNegatives += other.falseNegatives
        for i in positiveScores.indices {
            positiveScores[i] += other.positiveScores[i]
            negativeScores[i] += other.negativeScores[i]
        }
        referenceNotes += other.referenceNotes
        estimatedNotes += other.estimatedNotes
        onsetMatches += other.onsetMatches
        onsetOffsetMatches += other.onsetOffsetMatches
        onsetHeadDetections += other.onsetHeadDetections
        onsetHeadMatches += other.onsetHeadMatches
    }

    // MARK: Accumulating

    /// Frame metrics of probabilities [frames, K] against 0/1 targets [frames, K]; a note is
    /// predicted where its probability is >= threshold. `pitchClassOf` maps a target index to its
    /// pitch class (nil: the targets are already pitch classes).
    public mutating func addFrames(probabilities: [Float], targets: [Float], notes k: Int, threshold: Float = 0.5,
                                   allowedErrors: [Int], pitchClassOf: ((Int) -> Int)?) {
        let count = targets.count / k
        frames += count
        for t in 0..<count {
            var differences = 0
            var predictedClasses: UInt16 = 0, referenceClasses: UInt16 = 0
            for n in 0..<k {
                let p = probabilities[t * k + n], y = targets[t * k + n] > 0.5
                let predicted = p >= threshold
                switch (predicted, y) {
                case (true, true): truePositives += 1
                case (true, false): falsePositives += 1; differences += 1
                case (false, true): falseNegatives += 1; differences += 1
                default: break
                }
                let bin = Int((min(max(p, 0), 1) * Float(Evaluation.scoreBins)).rounded())
                if y { positiveScores[bin] += 1 } else { negativeScores[bin] += 1 }
                let pc = pitchClassOf?(n) ?? n
                if predicted { predictedClasses |= 1 << pc }
                if y { referenceClasses |= 1 << pc }
            }
            let classDifferences = (predictedClasses ^ referenceClasses).nonzeroBitCount
            for e in allowedErrors {
                if differences <= e { exactWithin[e, default: 0] += 1 }
                if classDifferences <= e { exactPitchClassWithin[e, default: 0] += 1 }
            }
        }
    }

    /// Note-level matches of estimated against reference notes (pitch, onset s, offset s).
    public mutating func addNotes(reference: [(pitch: Int, onset: Double, offset: Double)],
                                  estimated: [(pitch: Int, onset: Double, offset: Double)]) {
        referenceNotes += reference.count
        estimatedNotes += estimated.count
        onsetMatches += NoteMatching.count(reference: reference, estimated: estimated, withOffsets: false)
        onsetOffsetMatches += NoteMatching.count(reference: reference, estimated: estimated, withOffsets: true)
    }

    /// The onset head's detections - per note, each frame where its probability reaches
    /// `threshold` from below it, as the decoder reads it - matched against the reference onsets
    /// (same pitch, within 50 ms), timed as the engine times a note's onset. `onsets` [frames, K].
    public mutating func addOnsetDetections(onsets: [Float], notes k: Int, threshold: Float, frameSeconds: Double,
                                            pitchOf: (Int) -> Int, reference: [(pitch: Int, onset: Double, offset: Double)]) {
        var detections: [(pitch: Int, onset: Double, offset: Double)] = []
        var wasHigh = [Bool](repeating: false, count: k)
        for t in 0..<(k > 0 ? onsets.count / k : 0) {
            for n in 0..<k {
                let high = onsets[t * k + n] >= threshold
                if high && !wasHigh[n] {
                    let time = TranscriptionEngine.noteSeconds(atFrame: t, frameSeconds: frameSeconds)
                    detections.append((pitchOf(n), time, time))
                }
                wasHigh[n] = high
            }
        }
        onsetHeadDetections += detections.count
        onsetHeadMatches += NoteMatching.count(reference: reference, estimated: detections, withOffsets: false)
    }
}

func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
func harmonic(_ p: Double, _ r: Double) -> Double { p + r > 0 ? 2 * p * r / (p + r) : 0 }

/// mir_eval.transcription.match_notes: a reference and an estimated note may match when their
/// pitches are equal and their onsets within 50 ms (and, with offsets, their offsets within
/// max(50 ms, 20% of the reference's duration)); distances are rounded to 4 decimals as mir_eval
/// does; the count is a maximum bipartite matching (each note used once).
public enum NoteMatching {
    public static let onsetTolerance = 0.05
    public static let offsetRatio = 0.2
    public static let offsetMinimum = 0.05

    public static func count(reference: [(pitch: Int, onset: Double, offset: Double)],
                             estimated: [(pitch: Int, onset: Double, offset: Double)], withOffsets: Bool) -> Int {
        func rounded(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
        var estimatedByPitch: [Int: [Int]] = [:]
        for (j, e) in estimated.enumerated() { estimatedByPitch[e.pitch, default: []].append(j) }
        // Edges from each reference note to the estimated notes it may match.
        var edges = [[Int]](repeating: [], count: reference.count)
        for (i, r) in reference.enumerated() {
            for j in estimatedByPitch[r.pitch] ?? [] {
                let e = estimated[j]
                guard rounded(abs(r.onset - e.onset)) <= onsetTolerance else { continue }
                if withOffsets {
                    let tolerance = max(offsetRatio * (r.offset - r.onset), offsetMinimum)
                    guard rounded(abs(r.offset - e.offset)) <= tolerance else { continue }
                }
                edges[i].append(j)
            }
        }
        // Kuhn's augmenting paths.
        var matchOfEstimated = [Int](repeating: -1, count: estimated.count)
        func augment(_ i: Int, _ visited: inout [Bool]) -> Bool {
            for j in edges[i] where !visited[j] {
                visited[j] = true
                if matchOfEstimated[j] < 0 || augment(matchOfEstimated[j], &visited) {
                    matchOfEstimated[j] = i
                    return true
                }
            }
            return false
        }
        var matches = 0
        for i in reference.indices where !edges[i].isEmpty {
            var visited = [Bool](repeating: false, count: estimated.count)
            if augment(i, &visited) { matches += 1 }
        }
        return matches
    }
}
