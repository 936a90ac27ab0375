// CQTSettings: every choice that shapes the constant-Q front end, recorded with the weights.

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

    public init(sampleRate: Int = 22050, hopLength: Int = 512, binsPerNote: Int = 4, lowestNote: Int = 21,
                notes: Int = 88, filterScale: Double = 1, gamma: Double = 0, alignment: CQTAlignment = .causal,
                compressionEpsilon: Double = 1e-4) {
        self.sampleRate = sampleRate
        self.hopLength = hopLength
        self.binsPerNote = binsPerNote
        self.lowestNote = lowestNote
        self.notes = notes
        self.filterScale = filterScale
        self.gamma = gamma
        self.alignment = alignment
        self.compressionEpsilon = compressionEpsilon
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
        let note = Double(lowestNote + b / binsPerNote)
        let offset = (Double(b % binsPerNote) - Double(binsPerNote - 1) / 2) / Double(binsPerOctave)
        return 440 * exp2((note - 69) / 12 + offset)
    }

    /// Filter length of bin `b` in samples at rate `rate`: Q * rate / (f + gamma / alpha).
    public func filterLength(ofBin b: Int, rate: Double) -> Double {
        q * rate / (frequency(ofBin: b) + gamma / alpha)
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
            "cqt_gamma": "\(gamma)",
        ]
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
        self.init(sampleRate: try int("sample_rate"), hopLength: try int("hop_length"), binsPerNote: binsPerNote,
                  lowestNote: try int("lowest_note"), notes: bins / binsPerNote,
                  filterScale: try double("cqt_filter_scale", default: 1), gamma: try double("cqt_gamma", default: 0),
                  alignment: alignment, compressionEpsilon: epsilon)
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
