// SyntheticCorpus: a MusicNet-layout corpus of harmonic tones at known pitches, with labels -
// for tests, benchmarks and the small test model, where no real recordings are needed.
import AudioIO
import Foundation
import Model

public enum SyntheticCorpus {
    /// Writes `count` recordings of `seconds` each into root/{split}_data and root/{split}_labels.
    /// Each holds notes of 0.25-0.6 s from `pitches`, in `voices` overlapping voices, as decaying
    /// harmonic tones (partials 1, 1/2, 1/4). Odd recordings are written at 44.1 kHz stereo and
    /// even ones at 22.05 kHz mono, so readers' resampling and downmixing are exercised. Labels
    /// are sample indices at 44.1 kHz, as MusicNet's. Returns the ids.
    @discardableResult
    public static func make(root: URL, split: String = "train", count: Int, seconds: Double, seed: UInt64,
                            pitches: [Int] = Array(60...71), voices: Int = 2) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("\(split)_data"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("\(split)_labels"), withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: seed)
        var ids: [String] = []
        for r in 0..<count {
            let id = "\(split)\(100 + r)"
            let rate = r % 2 == 1 ? 44100 : 22050, channels = r % 2 == 1 ? 2 : 1
            let (mono, labels) = render(seconds: seconds, rate: rate, pitches: pitches, voices: voices, generator: &generator)
            let interleaved = channels == 1 ? mono : mono.flatMap { [$0, $0] }
            try AudioFile.write(AudioBuffer(samples: interleaved, sampleRate: rate, channels: channels),
                                to: root.appendingPathComponent("\(split)_data/\(id).wav").path, format: .wavPCM16)
            try LabelCSV.format(labels).write(to: root.appendingPathComponent("\(split)_labels/\(id).csv"),
                                              atomically: true, encoding: .utf8)
            ids.append(id)
        }
        return ids
    }

    /// One recording: mono samples at `rate` and its labels (sorted by start).
    public static func render(seconds: Double, rate: Int, pitches: [Int], voices: Int,
                              generator: inout SeededGenerator) -> ([Float], [NoteLabel]) {
        var mono = [Float](repeating: 0, count: Int(seconds * Double(rate)))
        var labels: [NoteLabel] = []
        for voice in 0..<voices {
            var time = 0.1 + 0.13 * Double(voice)
            while time < seconds - 0.7 {
                let duration = Double.random(in: 0.25...0.6, using: &generator)
                let pitch = pitches.randomElement(using: &generator)!
                let f = 440 * pow(2, Double(pitch - 69) / 12)
                let first = Int(time * Double(rate)), last = Int((time + duration) * Double(rate))
                for i in first..<last {
                    let t = Double(i - first) / Double(rate)
                    let envelope = min(1, t / 0.01) * exp(-2 * t)
                    let v = sin(2 * .pi * f * t) + 0.5 * sin(4 * .pi * f * t) + 0.25 * sin(6 * .pi * f * t)
                    mono[i] += Float(0.15 * envelope * v)
                }
                labels.append(NoteLabel(start: Int(time * 44100), end: Int((time + duration) * 44100), instrument: 1, note: pitch))
                time += duration + Double.random(in: 0.05...0.3, using: &generator)
            }
        }
        return (mono, labels.sorted { $0.start < $1.start })
    }
}
