// ModelConfig: the network's hyper-parameters, their defaults (the seed's), and derived sizes.
import Foundation

/// Hyper-parameters of the transcription network (MODEL.md). Every one is settable; the
/// defaults are the seed's best model (1,840,252 parameters).
public struct ModelConfig: Sendable, Equatable, Codable {
    /// Encoder width multiplier: the convolutions have C = 4c channels.
    public var c: Int = 3
    /// D, the transformer's width.
    public var embedDim: Int = 192
    public var nLayers: Int = 4
    public var nHeads: Int = 4
    public var headDim: Int = 32
    /// K outputs per frame: 88 piano keys, or 12 pitch classes.
    public var nNotes: Int = 88
    /// CQT bins per semitone; also the frequency max-pool's kernel.
    public var binsPerNote: Int = 4
    /// F, CQT bins per frame (88 notes x binsPerNote for the piano range).
    public var nBins: Int = 352
    /// The MLP's hidden width is mlpRatio * D.
    public var mlpRatio: Int = 4
    /// Taps of the frequency convolutions.
    public var kernelSize: Int = 5
    /// The outputs beside the frame head's, each a decoder of its own (K per frame): which notes
    /// begin in the frame, and how hard they were struck.
    public var onsetHead: Bool = false
    public var velocityHead: Bool = false
    /// Harmonic stacking (basic-pitch's input): conv1 reads one channel per entry h, the input
    /// shifted down by h's interval (12 * binsPerNote * log2 h bins, silence past the top), so
    /// bin b of channel h holds the h-th harmonic of bin b's pitch. [1] is the plain input.
    public var harmonics: [Double] = [1]
    /// A summary of everything heard before the window (0: none, the default): the time
    /// constant, in frames, of an exponentially weighted mean of the CQT frames before the
    /// window's first (ContextSummary), which `context.weight` (D, F) turns into one vector added
    /// to every frame's embedding. Long context at the cost of a running mean and one
    /// matrix-vector product a window, however long the past.
    public var contextFrames: Int = 0

    public init(c: Int = 3, embedDim: Int = 192, nLayers: Int = 4, nHeads: Int = 4, headDim: Int = 32,
                nNotes: Int = 88, binsPerNote: Int = 4, nBins: Int = 352, mlpRatio: Int = 4, kernelSize: Int = 5,
                onsetHead: Bool = false, velocityHead: Bool = false, harmonics: [Double] = [1],
                contextFrames: Int = 0) {
        self.c = c
        self.embedDim = embedDim
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.headDim = headDim
        self.nNotes = nNotes
        self.binsPerNote = binsPerNote
        self.nBins = nBins
        self.mlpRatio = mlpRatio
        self.kernelSize = kernelSize
        self.onsetHead = onsetHead
        self.velocityHead = velocityHead
        self.harmonics = harmonics
        self.contextFrames = contextFrames
    }

    /// Whether the network reads a context summary beside each window.
    public var hasContext: Bool { contextFrames > 0 }

    /// The heads this network has, in their parameter order: the frame head always.
    public var heads: [NetworkHead] {
        [.frame] + (onsetHead ? [.onset] : []) + (velocityHead ? [.velocity] : [])
    }

    /// conv1's input channels: one per harmonic.
    public var inputChannels: Int { harmonics.count }
    /// Bins from a pitch to its h-th harmonic, for each of `harmonics`.
    public var harmonicShifts: [Int] {
        harmonics.map { Int((Double(12 * binsPerNote) * log2($0)).rounded()) }
    }

    /// C, encoder channels.
    public var channels: Int { 4 * c }
    /// N, pooled notes per frame.
    public var pooledNotes: Int { nBins / binsPerNote }
    /// H * Hd, the attention width.
    public var attentionWidth: Int { nHeads * headDim }
    public var hiddenWidth: Int { mlpRatio * embedDim }

    /// Checks that the sizes fit together; the message says what to change.
    public func validate() throws(ModelError) {
        func require(_ ok: Bool, _ message: String) throws(ModelError) {
            if !ok { throw ModelError.invalidConfig(message) }
        }
        for (name, value) in [("c", c), ("embed_dim", embedDim), ("n_layers", nLayers), ("n_heads", nHeads),
                              ("head_dim", headDim), ("n_notes", nNotes), ("bins_per_note", binsPerNote),
                              ("n_bins", nBins), ("mlp_ratio", mlpRatio)] {
            try require(value > 0, "\(name) must be positive (it is \(value))")
        }
        try require(nBins % binsPerNote == 0,
                    "n_bins (\(nBins)) must be a multiple of bins_per_note (\(binsPerNote)) so that pooling gives whole notes")
        try require(kernelSize % 2 == 1, "the convolution kernel must have an odd number of taps (it has \(kernelSize))")
        try require(embedDim % 2 == 0, "embed_dim must be even for the sinusoidal positions (it is \(embedDim))")
        try require(!harmonics.isEmpty && harmonics.allSatisfy { $0 > 0 } && Set(harmonicShifts).count == harmonics.count,
                    "harmonics must be positive and at least a bin apart (they are \(harmonics))")
        try require(harmonics.count <= channels,
                    "at most \(channels) harmonics (the encoder's channels, 4c) can be stacked; there are \(harmonics.count)")
        try require(contextFrames >= 0, "context_frames cannot be negative (it is \(contextFrames); 0 is no context)")
        try require(harmonicShifts.allSatisfy { abs($0) < nBins },
                    "every harmonic must fall within the \(nBins) bins (\(harmonics) shift by \(harmonicShifts) bins)")
    }

    /// Parameter names and shapes in PyTorch's registration order (MODEL.md).
    public var parameterShapes: [(name: String, shape: [Int])] {
        let cc = channels, d = embedDim, k = kernelSize
        var list: [(String, [Int])] = [
            ("encoder.conv1.weight", [cc, inputChannels, 1, k]), ("encoder.conv1.bias", [cc]),
            ("encoder.conv2.weight", [cc, cc, 1, k]), ("encoder.conv2.bias", [cc]),
            ("encoder.proj.weight", [d, cc * pooledNotes]), ("encoder.proj.bias", [d]),
        ]
        if hasContext { list.append(("context.weight", [d, nBins])) }
        for i in 0..<nLayers {
            let p = "blocks.\(i)."
            list += [
                (p + "ln1.weight", [d]), (p + "ln1.bias", [d]),
                (p + "attn.qkv.weight", [3 * attentionWidth, d]), (p + "attn.qkv.bias", [3 * attentionWidth]),
                (p + "attn.out.weight", [d, attentionWidth]), (p + "attn.out.bias", [d]),
                (p + "ln2.weight", [d]), (p + "ln2.bias", [d]),
                (p + "mlp.fc1.weight", [hiddenWidth, d]), (p + "mlp.fc1.bias", [hiddenWidth]),
                (p + "mlp.fc2.weight", [d, hiddenWidth]), (p + "mlp.fc2.bias", [d]),
            ]
        }
        list += [("ln_f.weight", [d]), ("ln_f.bias", [d])]
        for head in heads {
            let p = head.parameterPrefix + "."
            list += [(p + "fc1.weight", [d, d]), (p + "fc1.bias", [d]), (p + "fc2.weight", [nNotes, d]), (p + "fc2.bias", [nNotes])]
        }
        return list
    }

    public var parameterCount: Int { ParameterLayout(self).count }
}

/// One output of the network: K values a frame from a decoder of its own (ln_f -> fc1 + GELU -> fc2).
public enum NetworkHead: String, Sendable, CaseIterable, Codable {
    /// Logits of "note k sounds in this frame" (the decoder every network has).
    case frame
    /// Logits of "note k begins in this frame".
    case onset
    /// Logits whose sigmoid is how hard note k was struck, velocity / 127 (meaningful at onsets).
    case velocity

    /// Its tensors' name prefix, PyTorch-style: the frame head keeps the seed's name.
    public var parameterPrefix: String { self == .frame ? "decoder" : rawValue }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case inputShape(String)

    public var description: String {
        switch self {
        case let .invalidConfig(message): return "invalid model settings: \(message)"
        case let .inputShape(message): return "input does not fit the model: \(message)"
        }
    }
}

extension ModelConfig {
    /// Floating-point operations (2 per multiply-add) of one forward pass over one window of
    /// `frames` frames: the convolutions, every Linear, and attention's two products.
    public func forwardFLOPs(frames t: Int) -> Double {
        let f = Double(nBins), c = Double(channels), k = Double(kernelSize), n = Double(pooledNotes)
        let d = Double(embedDim), a = Double(attentionWidth), m = Double(hiddenWidth), tt = Double(t)
        let encoder = tt * f * c * Double(inputChannels) * k + tt * f * c * c * k + tt * c * n * d
        let block = tt * d * 3 * a + 2 * Double(nHeads) * tt * tt * Double(headDim) + tt * a * d + 2 * tt * d * m
        let head = tt * d * d + tt * d * Double(nNotes)
        let context = hasContext ? d * f : 0
        return 2 * (encoder + context + Double(nLayers) * block + Double(heads.count) * head)
    }
}
