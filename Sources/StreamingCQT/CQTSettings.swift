// CQTSettings: every choice that shapes the front end (the constant-Q transform, or the log-STFT
// and log-mel spectrograms it is compared with), recorded with the weights.

/// What the front end's bins are. The constant-Q transform is the project's; the other two are
/// the usual alternatives, here so that docs/EXPERIMENTS.md can compare them with one trainer.
public enum FrequencyScale: String, Codable, Sendable, CaseIterable {
    /// Log-spaced bins, `binsPerNote` a semitone, each filter as long as its bandwidth needs.
    case cqt
    /// Log-STFT: `binCount` consecutive bins of a Hann-windowed DFT of `windowLength` samples,
    /// the first the bin at or below the lowest note's pitch (sr / windowLength apart).
    case stft
    /// Log-mel: `binCount` triangular bands over those STFT magnitudes, centres equally spaced on
    /// the HTK mel scale (2595 log10(1 + f / 700)) from the lowest note's pitch to `melTop` Hz.
    case mel
}

/// How each frame's filters sit in time relative to the frame's instant t * hop.
public enum CQTAlignment: String, Codable, Sendable, CaseIterable {
    /// Every filter is centred on the frame's instant (librosa's `center=True`). A frame can only
    /// be computed once half of the longest filter has arrived after it: large look-ahead.
    case centred
    /// Every filter ends at the frame's instant (less the decimation delay of its octave): only
    /// past samples, a frame is ready the moment its instant has arrived. For live use.
    case causal
}

/// The grid, filters, alignment and compression of the transform.
///
/// The default alignment is causal: centred frames wait ~1.5 s for the A0 filters, which no
/// live use can afford; causal frames are ready at their instant (see README, Latency).
///
/// Bins: `binsPerNote` per semitone over `notes` notes from MIDI `lowestNote`, each note's bins
/// symmetric around its pitch: bin b (note n = b / binsPerNote, j = b % binsPerNote) sits at
/// f = 440 * 2^((lowestNote + n - 69) / 12 + (j - (binsPerNote - 1) / 2) / (12 * binsPerNote)).
/// Filters: Hann-windowed complex exponentials of length N = Q * sr / (f + gamma / alpha), with
/// alpha = 2^(1 / (12 binsPerNote)) - 1 and Q = filterScale / alpha, normalised to unit L1 norm
/// (a sinusoid of amplitude A at a bin's frequency gives magnitude A / 2 in every register).
/// Output: ln(1 + magnitude / compressionEpsilon): 0 for silence, about 8 for a loud note.
public struct CQTSettings: Codable, Sendable, Equatable {
    public var sampleRate: Int = 22050
    public var hopLength: Int = 512
    public var binsPerNote: Int = 4
    /// MIDI number of the lowest note (21 = A0, the piano's lowest).
    public var lowestNote: Int = 21
    public var notes: Int = 88
    /// Scales every filter's length (and so Q); 1 is the bin spacing's own Q.
    public var filterScale: Double = 1
    /// Variable-Q offset in Hz: shortens the low filters (librosa's vqt gamma). 0 = constant Q.
    public var gamma: Double = 0
    public var alignment: CQTAlignment = .causal
    /// The scale of the log compression ln(1 + x / epsilon): magnitudes well below it count as
    /// silence (0); 1e-4 is -80 dB below a full-scale sinusoid's 0.5.
    public var compressionEpsilon: Double = 1e-4
    /// The kind of bins. For stft and mel, `binsPerNote` is only the network's pooling width and
    /// `notes` the output keys: the bins are `binCount` values of the scale, not notes.
    public var scale: FrequencyScale = .cqt
    /// stft and mel: samples in the DFT's Hann window (2048 is librosa's default n_fft).
    public var windowLength: Int = 2048
    /// mel: the top band's centre in Hz.
    public var melTop: Double = 8000

    public init(sampleRate: Int = 22050, hopLength: Int = 512, binsPerNote: Int = 4, lowestNote: Int = 21,
                notes: Int = 88, filterScale: Double = 1, gamma: Double = 0, alignment: CQTAlignment = .causal,
                compressionEpsilon: Double = 1e-4, scale: FrequencyScale = .cqt, windowLength: Int = 2048,
                melTop: Double = 8000) {
        self.sampleRate = sampleRate
        self.hopLength = hopLength
        self.binsPerNote = binsPerNote
        self.lowestNote = lowestNote
        self.notes = notes
        self.filterScale = filterScale
        self.gamma = gamma
        self.alignment = alignment
        self.compressionEpsilon = compressionEpsilon
        self.scale = scale
        self.windowLength = windowLength
        self.melTop = melTop
    }

    public var binCount: Int { notes * binsPerNote }
    public var binsPerOctave: Int { 12 * binsPerNote }
    /// alpha = 2^(1/bpo) - 1, the relative spacing of neighbouring bins.
    public var alpha: Double { exp2(1 / Double(binsPerOctave)) - 1 }
    public var q: Double { filterScale / alpha }
    /// The value silence maps to.
    public var floor: Float { 0 }
    /// Frames per second, sr / hop.
    public var frameRate: Double { Double(sampleRate) / Double(hopLength) }

    /// Centre frequency of bin `b` in Hz.
    public func frequency(ofBin b: Int) -> Double {
        switch scale {
        case .cqt:
            let note = Double(lowestNote + b / binsPerNote)
            let offset = (Double(b % binsPerNote) - Double(binsPerNote - 1) / 2) / Double(binsPerOctave)
            return 440 * exp2((note - 69) / 12 + offset)
        case .stft:
            return Double(firstSTFTBin + b) * dftSpacing
        case .mel:
            return melBandCentre(b)
        }
    }

    /// Filter length of bin `b` in samples at rate `rate`: Q * rate / (f + gamma / alpha) for the
    /// CQT, the DFT window for stft and mel.
    public func filterLength(ofBin b: Int, rate: Double) -> Double {
        scale == .cqt ? q * rate / (frequency(ofBin: b) + gamma / alpha) : Double(windowLength) * rate / Double(sampleRate)
    }

    /// stft and mel: Hz between neighbouring DFT bins.
    public var dftSpacing: Double { Double(sampleRate) / Double(windowLength) }
    /// stft: the DFT bin of output bin 0, the one at or below the lowest note's pitch.
    public var firstSTFTBin: Int { Int((440 * exp2(Double(lowestNote - 69) / 12) / dftSpacing).rounded(.down)) }

    /// HTK's mel scale and its inverse.
    static func mel(_ hz: Double) -> Double { 2595 * log10(1 + hz / 700) }
    static func hz(mel: Double) -> Double { 700 * (pow(10, mel / 2595) - 1) }

    /// mel: the centre of band `b` in Hz, for b in -1 ... binCount (the outer two are the first
    /// and last bands' edges).
    public func melBandCentre(_ b: Int) -> Double {
        let low = CQTSettings.mel(440 * exp2(Double(lowestNote - 69) / 12)), high = CQTSettings.mel(melTop)
        let step = binCount > 1 ? (high - low) / Double(binCount - 1) : 0
        return CQTSettings.hz(mel: low + Double(b) * step)
    }

    /// mel: band `b`'s weight for a DFT bin at `hz`: a triangle from the previous band's centre
    /// up to 1 at its own and down to the next band's centre (librosa's shape, not area
    /// normalised), each side at least one DFT bin wide so that no low band, narrower than the
    /// DFT's resolution, is left empty.
    public func melWeight(band b: Int, hz: Double) -> Double {
        let centre = melBandCentre(b)
        let below = max(centre - melBandCentre(b - 1), dftSpacing), above = max(melBandCentre(b + 1) - centre, dftSpacing)
        return hz < centre ? max(0, 1 - (centre - hz) / below) : max(0, 1 - (hz - centre) / above)
    }

    /// Checks the settings; the message says what to change.
    public func validate() throws(CQTError) {
        func require(_ ok: Bool, _ message: String) throws(CQTError) {
            if !ok { throw CQTError.invalidSettings(message) }
        }
        try require(sampleRate > 0, "sample_rate must be positive (it is \(sampleRate))")
        try require(binsPerNote > 0, "bins_per_note must be at least 1 (it is \(binsPerNote))")
        try require(notes > 0, "the transform needs at least one note (notes is \(notes)): zero bins")
        try require(hopLength > 0, "hop_length must be positive (it is \(hopLength))")
        try require((0...127).contains(lowestNote), "lowest_note must be a MIDI number 0 ... 127 (it is \(lowestNote))")
        try require(filterScale > 0, "filter_scale must be positive (it is \(filterScale))")
        try require(gamma >= 0, "gamma must be zero or positive (it is \(gamma))")
        try require(compressionEpsilon > 0, "the compression epsilon must be positive (it is \(compressionEpsilon))")
        if scale != .cqt {
            try require(windowLength >= 16, "the DFT window must be at least 16 samples (it is \(windowLength))")
            try require(gamma == 0 && filterScale == 1,
                        "gamma and filter_scale shape the CQT's filters; a \(scale.rawValue) front end has one window for all bins")
            let top = scale == .mel ? melBandCentre(binCount) : frequency(ofBin: binCount - 1) + 2 * dftSpacing
            try require(top < Double(sampleRate) / 2,
                        "the top \(scale.rawValue) bin reaches \(Int(top)) Hz, past the Nyquist frequency \(sampleRate / 2) Hz; "
                        + (scale == .mel ? "lower mel_top" : "use fewer bins or a longer window"))
            try require(scale != .mel || melTop > 440 * exp2(Double(lowestNote - 69) / 12),
                        "mel_top (\(melTop) Hz) must lie above the lowest note's pitch")
            return
        }
        let top = frequency(ofBin: binCount - 1) * (1 + alpha)
        try require(top < Double(sampleRate) / 2,
                    "the top bin (\(Int(frequency(ofBin: binCount - 1))) Hz, filter band to \(Int(top)) Hz) would exceed the "
                    + "Nyquist frequency \(sampleRate / 2) Hz; reduce the number of notes or raise the sample rate")
    }

    /// The settings as weights metadata (MODEL.md keys plus this transform's own).
    public var metadata: [String: String] {
        [
            "sample_rate": "\(sampleRate)", "hop_length": "\(hopLength)", "bins_per_note": "\(binsPerNote)",
            "lowest_note": "\(lowestNote)", "n_bins": "\(binCount)", "cqt_alignment": alignment.rawValue,
            "cqt_compression": "log1p(x/\(compressionEpsilon))", "cqt_filter_scale": "\(filterScale)",
            "cqt_gamma": "\(gamma)", "front_end": scale.rawValue,
        ].merging(scale == .cqt ? [:] : ["window_length": "\(windowLength)"], uniquingKeysWith: { a, _ in a })
            .merging(scale == .mel ? ["mel_top_hz": "\(melTop)"] : [:], uniquingKeysWith: { a, _ in a })
    }

    /// Reads settings back from metadata written by `metadata`.
    public init(metadata: [String: String]) throws(CQTError) {
        func int(_ key: String) throws(CQTError) -> Int {
            guard let text = metadata[key] else { throw .invalidSettings("metadata has no '\(key)'") }
            guard let value = Int(text) else { throw .invalidSettings("metadata '\(key)' is '\(text)', not an integer") }
            return value
        }
        func double(_ key: String, default fallback: Double) throws(CQTError) -> Double {
            guard let text = metadata[key] else { return fallback }
            guard let value = Double(text) else { throw .invalidSettings("metadata '\(key)' is '\(text)', not a number") }
            return value
        }
        let binsPerNote = try int("bins_per_note")
        let bins = try int("n_bins")
        guard binsPerNote > 0, bins % binsPerNote == 0 else {
            throw .invalidSettings("n_bins (\(bins)) is not a multiple of bins_per_note (\(binsPerNote))")
        }
        guard let alignmentText = metadata["cqt_alignment"], let alignment = CQTAlignment(rawValue: alignmentText) else {
            throw .invalidSettings("metadata 'cqt_alignment' must be one of "
                + CQTAlignment.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var epsilon = 1e-4
        if let compression = metadata["cqt_compression"] {
            guard compression.hasPrefix("log1p(x/"), compression.hasSuffix(")"),
                  let value = Double(compression.dropFirst(8).dropLast()) else {
                throw .invalidSettings("metadata 'cqt_compression' is '\(compression)'; this program knows log1p(x/EPSILON)")
            }
            epsilon = value
        }
        var scale = FrequencyScale.cqt
        if let text = metadata["front_end"] {
            guard let value = FrequencyScale(rawValue: text) else {
                throw .invalidSettings("metadata 'front_end' is '\(text)'; this program knows "
                    + FrequencyScale.allCases.map(\.rawValue).joined(separator: ", "))
            }
            scale = value
        }
        self.init(sampleRate: try int("sample_rate"), hopLength: try int("hop_length"), binsPerNote: binsPerNote,
                  lowestNote: try int("lowest_note"), notes: bins / binsPerNote,
                  filterScale: try double("cqt_filter_scale", default: 1), gamma: try double("cqt_gamma", default: 0),
                  alignment: alignment, compressionEpsilon: epsilon, scale: scale,
                  windowLength: metadata["window_length"] == nil ? 2048 : try int("window_length"),
                  melTop: try double("mel_top_hz", default: 8000))
        try validate()
    }
}

public enum CQTError: Error, CustomStringConvertible, Equatable {
    case invalidSettings(String)
    case finished

    public var description: String {
        switch self {
        case let .invalidSettings(message): return "invalid CQT settings: \(message)"
        case .finished: return "this CQT stream has been finished; call reset() before pushing more audio"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
