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

/// One mel band: the weights of a run of the DFT magnitudes the groups compute.
public struct MelBand: Sendable {
    public var first: Int
    public var weights: [Float]
}

/// The bins of one octave (for stft and mel: all of them), and how to compute them.
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

    /// mel only: band m of the output is the sum over k of weights[k] * v[first + k], v the
    /// magnitudes the groups compute (DFT bins `melDFTBins`); empty for cqt and stft.
    public let melBands: [MelBand]
    /// Values the groups compute: binCount, or for mel the DFT bins the bands read.
    public let groupOutputs: Int

    public init(settings: CQTSettings, decimator: HalfBandFilter = HalfBandFilter()) throws(CQTError) {
        try settings.validate()
        self.settings = settings
        self.decimator = decimator
        let bpo = settings.binsPerOctave, sr = Double(settings.sampleRate)
        var groups: [OctaveGroup] = []
        switch settings.scale {
        case .cqt:
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
                groups.append(CQTKernelBank.group(bins: bins, level: level, frequencies: bins.map { settings.frequency(ofBin: $0) },
                                                  lengths: bins.map { settings.filterLength(ofBin: $0, rate: rate) },
                                                  settings: settings, decimator: decimator))
                top = bins.lowerBound
            }
            melBands = []
        case .stft:
            // One group at the full rate: every bin is the DFT of the same window.
            let bins = 0..<settings.binCount
            groups = [CQTKernelBank.group(bins: bins, level: 0, frequencies: bins.map { settings.frequency(ofBin: $0) },
                                          lengths: bins.map { _ in Double(settings.windowLength) },
                                          settings: settings, decimator: decimator)]
            melBands = []
        case .mel:
            let dft = CQTKernelBank.melDFTBins(settings)
            groups = [CQTKernelBank.group(bins: 0..<dft.count, level: 0, frequencies: dft.map { Double($0) * settings.dftSpacing },
                                          lengths: dft.map { _ in Double(settings.windowLength) },
                                          settings: settings, decimator: decimator)]
            melBands = (0..<settings.binCount).map { band in
                let weights = dft.map { Float(settings.melWeight(band: band, hz: Double($0) * settings.dftSpacing)) }
                let first = weights.firstIndex { $0 > 0 }!, last = weights.lastIndex { $0 > 0 }!
                return MelBand(first: first, weights: Array(weights[first...last]))
            }
        }
        self.groups = groups
        groupOutputs = groups.map(\.bins.upperBound).max() ?? 0
        maxLevel = groups.map(\.level).max() ?? 0
        guard settings.hopLength % (1 << maxLevel) == 0 else {
            throw .invalidSettings("hop_length \(settings.hopLength) must be a multiple of \(1 << maxLevel): the lowest "
                + "octave runs at 1/\(1 << maxLevel) of the sample rate and frames must fall on its samples; "
                + "use a hop such as \(max(1, settings.hopLength / (1 << maxLevel)) * (1 << maxLevel))")
        }
    }

    /// mel: the DFT bins any band reads, from the first band's lower edge to the last's upper.
    static func melDFTBins(_ settings: CQTSettings) -> ClosedRange<Int> {
        let low = settings.melBandCentre(0) - max(settings.melBandCentre(0) - settings.melBandCentre(-1), settings.dftSpacing)
        let last = settings.binCount - 1
        let high = settings.melBandCentre(last)
            + max(settings.melBandCentre(last + 1) - settings.melBandCentre(last), settings.dftSpacing)
        return max(0, Int((low / settings.dftSpacing).rounded(.up)))...Int((high / settings.dftSpacing).rounded(.down))
    }

    /// The filters `frequencies` (Hz) of `lengths` (samples at the level's rate) as one FFT
    /// block's sparse kernels: group outputs `bins`, computed at sampleRate / 2^level.
    static func group(bins: Range<Int>, level: Int, frequencies: [Double], lengths: [Double], settings: CQTSettings,
                      decimator: HalfBandFilter) -> OctaveGroup {
        let rate = Double(settings.sampleRate) / Double(1 << level)
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
        for (frequency, length) in zip(frequencies, lengths) {
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
        return OctaveGroup(bins: bins, level: level, fftSize: fftSize, supportLength: support, supportStart: supportStart,
                           causalOffset: causalOffset, segments: segments, realWeights: realWeights,
                           imaginaryWeights: imaginaryWeights, lengths: lengths)
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
        if settings.scale != .cqt {
            return settings.alignment == .centred ? lookahead : settings.windowLength / 2
        }
        guard let g = groups.first(where: { $0.bins.contains(b) }) else { return 0 }
        if settings.alignment == .centred { return lookahead }
        let length = g.lengths[b - g.bins.lowerBound] * Double(1 << g.level)
        return Int((length / 2 - Double(g.causalOffset * (1 << g.level))).rounded())
    }

    public func latencyMilliseconds(ofBin b: Int) -> Double {
        1000 * Double(latency(ofBin: b)) / Double(settings.sampleRate)
    }

    /// The bin nearest MIDI `note`'s pitch (for the CQT one of its centre bins).
    public func bin(ofNote note: Int) -> Int? {
        if settings.scale != .cqt {
            let hz = 440 * exp2(Double(note - 69) / 12)
            let nearest = (0..<settings.binCount).min { abs(settings.frequency(ofBin: $0) - hz) < abs(settings.frequency(ofBin: $1) - hz) }!
            return abs(settings.frequency(ofBin: nearest) - hz) < 0.5 * hz ? nearest : nil
        }
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
    var positions: [Int] = []
    var norm = 0.0
    for p in max(first, 0)...min(last, m - 1) {
        let t = Double(p) - centre
        guard abs(t) < length / 2 else { continue }
        positions.append(p)
        norm += 0.5 + 0.5 * cos(2 * Double.pi * t / length)
    }
    // K[j] = sum_p k[p] e^{-2 pi i j p / M} in closed form rather than by an O(M^2) DFT (a
    // 2048-sample STFT window is a 4096-point block, 740 kernels: minutes that way). The Hann
    // window is 1/2 + e^{2 pi i t/L}/4 + e^{-2 pi i t/L}/4, so k[p] is three complex exponentials
    // over the run of positions a...b, and each one's DFT is a Dirichlet sum.
    guard let a = positions.first, let b = positions.last else { return [] }
    let n = Double(b - a + 1), middle = Double(a + b) / 2
    var spectrum: [(Double, Double)] = []
    var peak = 0.0
    for j in 0...(m / 2) {
        var sr = 0.0, si = 0.0
        for (weight, shift) in [(0.5, 0.0), (0.25, 1.0), (0.25, -1.0)] {
            let cycles = frequency + shift / length
            // sum_{p=a}^{b} e^{i phi p} = e^{i phi (a+b)/2} sin(n phi/2) / sin(phi/2), phi reduced
            // to (-pi, pi] (p is whole), n where sin(phi/2) vanishes; times e^{-2 pi i cycles centre}.
            var phi = 2 * Double.pi * (cycles - Double(j) / Double(m))
            phi -= 2 * Double.pi * (phi / (2 * Double.pi)).rounded()
            let half = sin(phi / 2)
            let dirichlet = abs(half) < 1e-12 ? n : sin(n * phi / 2) / half
            let phase = phi * middle - 2 * Double.pi * cycles * centre
            sr += weight * dirichlet * cos(phase)
            si += weight * dirichlet * sin(phase)
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
