// CQTKernelBank: the filters of the transform, designed once per settings value: bins grouped by
// octave, each octave at its own decimated rate, each filter as a sparse spectral kernel.
//
// The algorithm (Brown & Puckette's spectral kernels, per octave with decimation, as librosa's
// cqt does): octave g is computed at rate sr / 2^level, the lowest rate at which its top
// frequency stays below 0.4 of the rate; there every filter is at most ~354 samples, so one
// 512-point real FFT per octave and frame serves all its bins. A filter k applied to a block x
// is sum_p x[p] conj(k[p]) = (1/M) sum_j X[j] conj(K[j]) (Parseval); K is concentrated around
// the filter's frequency, so only entries above a threshold are kept.

/// One stored kernel entry: FFT bin and weight conj(K[j]) / M.
public struct KernelEntry: Sendable {
    public var bin: Int32
    public var real: Float
    public var imaginary: Float
}

/// A bin's kernel as one dense run of FFT bins [firstBin, firstBin + count), count a multiple of
/// 4: every entry between the first and last kept is stored (padded with zeros), so the sum is
/// two contiguous dot products over the
/// interleaved spectrum (re, im, re, im, ...):
///   real part = sum x * realWeights with realWeights = (wr, -wi, ...),
///   imaginary part = sum x * imaginaryWeights with imaginaryWeights = (wi, wr, ...).
public struct KernelSegment: Sendable {
    public var firstBin: Int
    public var count: Int
    /// Offset of this segment's 2 * count weights in the group's weight arrays.
    public var offset: Int
}

/// The bins of one octave, and how to compute them.
public struct OctaveGroup: Sendable {
    /// Bins of the transform this group fills, low to high.
    public var bins: Range<Int>
    /// Decimation level: the group runs at sampleRate / 2^level.
    public var level: Int
    /// FFT size M.
    public var fftSize: Int
    /// Samples of the block copied from the signal (the longest filter's support); the rest is zero.
    public var supportLength: Int
    /// Where the copied samples start in the block.
    public var supportStart: Int
    /// Causal alignment: the block ends at level index t*hop/2^level + causalOffset (exclusive).
    public var causalOffset: Int
    /// Kernel of each bin as a dense segment, and the weights (see KernelSegment).
    public var segments: [KernelSegment]
    public var realWeights: [Float]
    public var imaginaryWeights: [Float]
    /// Filter length of each bin at the group's rate.
    public var lengths: [Double]
}

public final class CQTKernelBank: Sendable {
    public let settings: CQTSettings
    public let groups: [OctaveGroup]
    public let decimator: HalfBandFilter
    /// The deepest decimation level used.
    public let maxLevel: Int
    /// Relative magnitude below which spectral kernel entries are dropped.
    public static let sparsityThreshold = 3e-3

    public init(settings: CQTSettings, decimator: HalfBandFilter = HalfBandFilter()) throws(CQTError) {
        try settings.validate()
        self.settings = settings
        self.decimator = decimator
        let bpo = settings.binsPerOctave, sr = Double(settings.sampleRate)
        var groups: [OctaveGroup] = []
        var top = settings.binCount
        while top > 0 {
            let bins = max(0, top - bpo)..<top
            // The deepest level whose rate keeps the group's band below 0.4 of it (the
            // half-band filters pass to 0.2 of their input rate, i.e. 0.4 of their output's).
            let bandTop = settings.frequency(ofBin: top - 1) * (1 + 2 / settings.q)
            var level = 0
            while bandTop <= 0.4 * sr / Double(1 << (level + 1)) { level += 1 }
            if let previous = groups.last { level = max(level, previous.level) }
            let rate = sr / Double(1 << level)
            let lengths = bins.map { settings.filterLength(ofBin: $0, rate: rate) }
            let longest = lengths.max()!
            let centred = settings.alignment == .centred
            let half = Int(ceil(longest / 2)) + 1
            let support = centred ? 2 * half : Int(ceil(longest)) + 1
            var fftSize = 32
            while fftSize < support { fftSize *= 2 }
            let supportStart = centred ? fftSize / 2 - half : fftSize - support
            // Causal: the last level-`level` sample computable from full-rate samples < t*hop is
            // index (t*hop - 1 - H(2^level - 1)) / 2^level (floor); the block ends just after it.
            let chain = decimator.halfLength * ((1 << level) - 1)
            let causalOffset = floorDivide(-1 - chain, 1 << level) + 1
            var segments: [KernelSegment] = []
            var realWeights: [Float] = [], imaginaryWeights: [Float] = []
            for (i, length) in lengths.enumerated() {
                let frequency = settings.frequency(ofBin: bins.lowerBound + i)
                let centre = centred ? Double(fftSize / 2) : Double(fftSize) - length / 2
                let kernel = spectralKernel(frequency: frequency / rate, length: length, centre: centre, fftSize: fftSize)
                // Padded with zero weights to a whole number of 4-complex vectors, moved left if it
                // would run past the spectrum's last bin (M/2).
                var first = Int(kernel.first!.bin)
                let count = (Int(kernel.last!.bin) - first + 4) / 4 * 4
                first = max(0, min(first, fftSize / 2 + 1 - count))
                var dense = [(Float, Float)](repeating: (0, 0), count: count)
                for entry in kernel { dense[Int(entry.bin) - first] = (entry.real, entry.imaginary) }
                segments.append(KernelSegment(firstBin: first, count: dense.count, offset: realWeights.count))
                for (wr, wi) in dense {
                    realWeights += [wr, -wi]
                    imaginaryWeights += [wi, wr]
                }
            }
            groups.append(OctaveGroup(bins: bins, level: level, fftSize: fftSize, supportLength: support,
                                      supportStart: supportStart, causalOffset: causalOffset, segments: segments,
                                      realWeights: realWeights, imaginaryWeights: imaginaryWeights, lengths: lengths))
            top = bins.lowerBound
        }
        self.groups = groups
        maxLevel = groups.map(\.level).max() ?? 0
        guard settings.hopLength % (1 << maxLevel) == 0 else {
            throw .invalidSettings("hop_length \(settings.hopLength) must be a multiple of \(1 << maxLevel): the lowest "
                + "octave runs at 1/\(1 << maxLevel) of the sample rate and frames must fall on its samples; "
                + "use a hop such as \(max(1, settings.hopLength / (1 << maxLevel)) * (1 << maxLevel))")
        }
    }

    /// Samples (full rate) after a frame's instant t*hop that must arrive before it is computed.
    public var lookahead: Int {
        guard settings.alignment == .centred else { return 0 }
        return groups.map { g in
            // Needs level index m + (supportLength - fftSize/2 + supportStart) - 1 ... = m + half - 1.
            let half = g.supportStart + g.supportLength - g.fftSize / 2
            return (half - 1) * (1 << g.level) + decimator.halfLength * ((1 << g.level) - 1) + 1
        }.max() ?? 0
    }

    public var lookaheadMilliseconds: Double { 1000 * Double(lookahead) / Double(settings.sampleRate) }

    /// Samples (full rate) from the instant at the centre of bin `b`'s filter to the moment the
    /// frame holding it is emitted: what the filters cost a note of that pitch in latency.
    public func latency(ofBin b: Int) -> Int {
        guard let g = groups.first(where: { $0.bins.contains(b) }) else { return 0 }
        if settings.alignment == .centred { return lookahead }
        let length = g.lengths[b - g.bins.lowerBound] * Double(1 << g.level)
        return Int((length / 2 - Double(g.causalOffset * (1 << g.level))).rounded())
    }

    public func latencyMilliseconds(ofBin b: Int) -> Double {
        1000 * Double(latency(ofBin: b)) / Double(settings.sampleRate)
    }

    /// The bin nearest MIDI `note`'s pitch (one of its centre bins).
    public func bin(ofNote note: Int) -> Int? {
        let b = (note - settings.lowestNote) * settings.binsPerNote + settings.binsPerNote / 2
        return (0..<settings.binCount).contains(b) ? b : nil
    }
}

/// floor(a / b) for b > 0.
func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// The kept entries of conj(K[j]) / M, in order of j, for the Hann-windowed complex exponential of `length` samples at
/// `frequency` cycles per sample, centred at block position `centre`, L1-normalised, j = 0 ... M/2.
func spectralKernel(frequency: Double, length: Double, centre: Double, fftSize m: Int) -> [KernelEntry] {
    let first = Int(ceil(centre - length / 2)), last = Int(floor(centre + length / 2))
    var positions: [Int] = [], re: [Double] = [], im: [Double] = []
    var norm = 0.0
    for p in max(first, 0)...min(last, m - 1) {
        let t = Double(p) - centre
        guard abs(t) < length / 2 else { continue }
        let w = 0.5 + 0.5 * cos(2 * Double.pi * t / length)
        positions.append(p)
        re.append(w * cos(2 * Double.pi * frequency * t))
        im.append(w * sin(2 * Double.pi * frequency * t))
        norm += w
    }
    // K[j] = sum_p k[p] e^{-2 pi i j p / M}, by a twiddle table (no trig in the inner loop).
    let twiddleCos = (0..<m).map { cos(2 * Double.pi * Double($0) / Double(m)) }
    let twiddleSin = (0..<m).map { sin(2 * Double.pi * Double($0) / Double(m)) }
    var spectrum: [(Double, Double)] = []
    var peak = 0.0
    for j in 0...(m / 2) {
        var sr = 0.0, si = 0.0
        for (n, p) in positions.enumerated() {
            let index = (j * p) % m
            let c = twiddleCos[index], s = -twiddleSin[index]
            sr += re[n] * c - im[n] * s
            si += re[n] * s + im[n] * c
        }
        spectrum.append((sr / norm, si / norm))
        peak = max(peak, (sr * sr + si * si).squareRoot() / norm)
    }
    var entries: [KernelEntry] = []
    for (j, value) in spectrum.enumerated() {
        let magnitude = (value.0 * value.0 + value.1 * value.1).squareRoot()
        guard magnitude >= CQTKernelBank.sparsityThreshold * peak else { continue }
        // conj(K[j]) / M
        entries.append(KernelEntry(bin: Int32(j), real: Float(value.0 / Double(m)), imaginary: Float(-value.1 / Double(m))))
    }
    return entries
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
