// ToneSynthesis: decaying harmonic tones at known pitches and times - the audio of synthetic
// corpora, benchmarks and tests, where the notes must be known exactly.
import Foundation

public enum ToneSynthesis {
    /// A synthesised note: MIDI pitch, [start, end) in seconds.
    public struct Note: Sendable, Equatable {
        public var pitch: Int
        public var start: Double
        public var end: Double
    }

    /// `seconds` of mono audio at `rate` in `voices` overlapping voices, each a run of notes of
    /// 0.25-0.6 s from `pitches` with gaps of 0.05-0.3 s, as decaying harmonic tones (partials 1,
    /// 1/2, 1/4; 10 ms attack). Returns the samples and the notes sorted by start.
    public static func render(seconds: Double, rate: Int, pitches: [Int], voices: Int,
                              generator: inout SeededGenerator) -> (samples: [Float], notes: [Note]) {
        var mono = [Float](repeating: 0, count: Int(seconds * Double(rate)))
        var notes: [Note] = []
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
                notes.append(Note(pitch: pitch, start: time, end: time + duration))
                time += duration + Double.random(in: 0.05...0.3, using: &generator)
            }
        }
        return (mono, notes.sorted { $0.start < $1.start })
    }

    /// `seconds` of mono audio at `rate`: the same harmonic tone of `pitch` at each of `onsets`,
    /// 0.6 s long (for latency measurements from known onsets).
    public static func tones(pitch: Int, onsets: [Double], seconds: Double, rate: Int) -> [Float] {
        let rate = Double(rate), f = 440 * pow(2, Double(pitch - 69) / 12)
        var out = [Float](repeating: 0, count: Int(seconds * rate))
        for onset in onsets {
            for i in Int(onset * rate)..<min(out.count, Int((onset + 0.6) * rate)) {
                let t = Double(i) / rate - onset
                let v = sin(2 * .pi * f * t) + 0.5 * sin(4 * .pi * f * t) + 0.25 * sin(6 * .pi * f * t)
                out[i] += Float(0.15 * min(1, t / 0.01) * exp(-2 * t) * v)
            }
        }
        return out
    }

    /// A struck string: `pitch` hit at each strike's time with its loudness (0-1), each strike
    /// ringing until the next (the string damped over 5 ms there) or to the end. Like a piano: 12
    /// slightly inharmonic partials, the higher ones dying faster, and harder strikes both louder
    /// and brighter (more upper partials), so that soft and loud differ in timbre as well as level.
    public static func strikes(pitch: Int, at strikes: [(time: Double, loudness: Double)], seconds: Double, rate: Int) -> [Float] {
        let rate = Double(rate), f = 440 * pow(2, Double(pitch - 69) / 12)
        var out = [Float](repeating: 0, count: Int(seconds * rate))
        let sorted = strikes.sorted { $0.time < $1.time }
        for (n, strike) in sorted.enumerated() {
            let end = n + 1 < sorted.count ? sorted[n + 1].time : seconds
            let slope = 2.2 - 1.2 * strike.loudness   // partial k's level ~ k^-slope
            // Each partial's frequency, level and decay rate, below Nyquist.
            var frequencies: [Double] = [], levels: [Double] = [], decays: [Double] = []
            for k in 1...12 {
                let partial = Double(k)
                let frequency: Double = partial * f * (1 + 0.0004 * partial * partial).squareRoot()
                guard frequency < rate / 2 else { break }
                frequencies.append(frequency)
                levels.append(pow(partial, -slope))
                decays.append(0.8 + 0.4 * partial)
            }
            for i in Int(strike.time * rate)..<min(out.count, Int(end * rate)) {
                let t = Double(i) / rate - strike.time
                var v = 0.0
                for p in frequencies.indices {
                    let envelope: Double = levels[p] * exp(-t * decays[p])
                    v += envelope * sin(2 * .pi * frequencies[p] * t)
                }
                let damper = min(1, (end - Double(i) / rate) / 0.005)
                out[i] += Float(0.3 * strike.loudness * min(1, t / 0.002) * damper * v)
            }
        }
        return out
    }
}
