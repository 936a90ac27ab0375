// Signals and helpers shared by the CQT tests.
import Foundation
@testable import StreamingCQT

func tone(midi: Double, seconds: Double, amplitude: Float = 0.5, rate: Int = 22050) -> [Float] {
    let f = 440 * pow(2, (midi - 69) / 12)
    return (0..<Int(seconds * Double(rate))).map { amplitude * Float(sin(2 * Double.pi * f * Double($0) / Double(rate))) }
}

func mix(_ signals: [[Float]]) -> [Float] {
    var out = [Float](repeating: 0, count: signals.map(\.count).max() ?? 0)
    for s in signals { for (i, v) in s.enumerated() { out[i] += v } }
    return out
}

/// Frame t of a [frames, bins] array.
func frame(_ frames: [Float], _ t: Int, bins: Int) -> [Float] { Array(frames[(t * bins)..<((t + 1) * bins)]) }

/// Per-note magnitude (max over the note's bins, log domain) of one frame.
func noteValues(_ frame: [Float], binsPerNote: Int) -> [Float] {
    let values = Array(frame)
    return stride(from: 0, to: values.count, by: binsPerNote).map { values[$0..<($0 + binsPerNote)].max()! }
}

/// Pearson correlation.
func correlation(_ a: [Double], _ b: [Double]) -> Double {
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
    return sab / (saa * sbb).squareRoot()
}
