// Fixed sinusoidal positions: PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(same).

/// The [T, D] table, computed in Double and rounded once.
public func sinusoidalPositions(frames: Int, features d: Int) -> [Float] {
    var table = [Float](repeating: 0, count: frames * d)
    for t in 0..<frames {
        for i in stride(from: 0, to: d, by: 2) {
            let angle = Double(t) / pow(10000, Double(i) / Double(d))
            table[t * d + i] = Float(sin(angle))
            if i + 1 < d { table[t * d + i + 1] = Float(cos(angle)) }
        }
    }
    return table
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
