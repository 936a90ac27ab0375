// SeededGenerator: SplitMix64, a small, fast, seedable generator, so that initialisation,
// shuffles, dropout masks and synthetic audio repeat exactly from a seed.

public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        defer { state &+= 0x9E37_79B9_7F4A_7C15 }
        return SeededGenerator.mix(state)
    }

    /// One SplitMix64 step from `value`: spreads any 64-bit value (a hash, a seed and a step) over
    /// all 64 bits, so that inputs differing in a few low bits give unrelated outputs.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
