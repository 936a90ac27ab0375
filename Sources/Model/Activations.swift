// Activations: every buffer the forward saves and the backward uses, for one T and up to a
// batch of B, allocated once and reused so that a step allocates nothing.
// Sizes: R = B*T rows, F bins, C channels, k taps, N pooled notes, D width, A = H*Hd attention
// width, M = mlp hidden width, K notes out. Encoder tensors are channel-major [C, R, F].

final class Activations {
    /// The batch of the current forward, at most `capacity`: a smaller batch (a file's last
    /// windows, an epoch's last batch) uses the front of every buffer, laid out for its own size.
    var batch: Int
    let capacity: Int, frames: Int
    /// Whether the backward's scratch was allocated.
    let trainingReady: Bool
    var rows: Int { batch * frames }

    // Forward
    let input: UnsafeMutablePointer<Float>      // (Hs, R, F)  conv1's input (Hs harmonics stacked), kept for its backward
    let cols: UnsafeMutablePointer<Float>       // (C*k, chunk*F) im2col scratch of one chunk of frames
    let extraCols: [UnsafeMutablePointer<Float>] // the same, one per split-window thread
    let a1: UnsafeMutablePointer<Float>         // (C, R, F)   conv1 + ReLU
    let a2: UnsafeMutablePointer<Float>         // (C, R, F)   conv2 + ReLU
    let poolIndex: UnsafeMutablePointer<Int32>  // (R, C*N)    the bin each max came from
    let pooled: UnsafeMutablePointer<Float>     // (R, C*N)
    let encoded: UnsafeMutablePointer<Float>    // (R, D)      encoder.proj output, before positions
    let context: UnsafeMutablePointer<Float>    // (B, D)      context.weight times each window's context summary
    let residual: [UnsafeMutablePointer<Float>] // 2L+1 of (R, D): input, then after attn, after mlp, per block
    let ln1, ln2: [UnsafeMutablePointer<Float>]             // L of (R, D)
    let ln1Mean, ln1Rstd, ln2Mean, ln2Rstd: [UnsafeMutablePointer<Float>] // L of (R)
    let qkv: [UnsafeMutablePointer<Float>]      // L of (R, 3A)
    let att: [UnsafeMutablePointer<Float>]      // L of (B, H, T, T)
    let attY: [UnsafeMutablePointer<Float>]     // L of (R, A)
    let fc1: [UnsafeMutablePointer<Float>]      // L of (R, M)  before GELU
    let fc1Gelu: [UnsafeMutablePointer<Float>]  // L of (R, M)
    let lnF: UnsafeMutablePointer<Float>        // (R, D)
    let lnFMean, lnFRstd: UnsafeMutablePointer<Float> // (R)
    let dec1, dec1Gelu: [UnsafeMutablePointer<Float>] // per head, (R, D)
    let outputs: [UnsafeMutablePointer<Float>]  // per head, (R, K): logits
    var logits: UnsafeMutablePointer<Float> { outputs[0] }
    // Residual dropout (training only): the masks of the last forward, attention then MLP per
    // block, and the branch before its mask. `dropping` says whether that forward used them.
    let dropMasks: [UnsafeMutablePointer<Float>] // 2L of (R, D)
    let branch: UnsafeMutablePointer<Float>      // (R, D)
    var dropping = false

    // Backward scratch
    let dResidual, dNorm: UnsafeMutablePointer<Float>   // (R, D)
    let dQKV: UnsafeMutablePointer<Float>               // (R, 3A)
    let dAttY: UnsafeMutablePointer<Float>              // (R, A)
    let dScores: UnsafeMutablePointer<Float>            // (T, T)
    let dHiddenGelu, dHidden: UnsafeMutablePointer<Float> // (R, M)
    let dLogits: UnsafeMutablePointer<Float>            // (R, K), one head's at a time
    let dDecGelu, dDec: UnsafeMutablePointer<Float>     // (R, D)
    let dPooled: UnsafeMutablePointer<Float>            // (R, C*N)
    let dA2, dA1: UnsafeMutablePointer<Float>           // (C, R, F)
    let dCols: UnsafeMutablePointer<Float>              // (C*k, chunk*F)
    let dBranch: UnsafeMutablePointer<Float>            // (R, D) dResidual through a dropout mask
    let dContext: UnsafeMutablePointer<Float>           // (B, D) dLoss/d(each window's context vector)
    let summaries: UnsafeMutablePointer<Float>          // (B, F) the windows' context summaries, kept for the backward

    private var owned: [UnsafeMutableRawPointer] = []

    init(config: ModelConfig, batch: Int, frames: Int, training: Bool, extraScratch: Int = 0) {
        self.batch = batch
        self.capacity = batch
        self.frames = frames
        trainingReady = training
        let r = batch * frames, f = config.nBins, c = config.channels, k = config.kernelSize
        let n = config.pooledNotes, d = config.embedDim, a = config.attentionWidth
        let m = config.hiddenWidth, h = config.nHeads, layers = config.nLayers
        var owned: [UnsafeMutableRawPointer] = []
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            owned.append(UnsafeMutableRawPointer(p))
            return p
        }
        func perLayer(_ count: Int) -> [UnsafeMutablePointer<Float>] { (0..<layers).map { _ in floats(count) } }
        // Scratch used only by the backward is not allocated for inference.
        func trainingOnly(_ count: Int) -> UnsafeMutablePointer<Float> { floats(training ? count : 1) }

        let scratch = frequencyConvScratchCount(channelsIn: c, bins: f, kernel: k)
        input = floats(config.inputChannels * r * f); cols = floats(scratch)
        extraCols = (0..<extraScratch).map { _ in floats(scratch) }
        a1 = floats(c * r * f); a2 = floats(c * r * f)
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: r * c * n)
        indices.initialize(repeating: 0, count: r * c * n)
        owned.append(UnsafeMutableRawPointer(indices))
        poolIndex = indices
        pooled = floats(r * c * n); encoded = floats(r * d)
        let contextWindows = config.hasContext ? batch : 0
        summaries = trainingOnly(contextWindows * f); context = floats(contextWindows * d)
        residual = (0..<(2 * layers + 1)).map { _ in floats(r * d) }
        ln1 = perLayer(r * d); ln2 = perLayer(r * d)
        ln1Mean = perLayer(r); ln1Rstd = perLayer(r); ln2Mean = perLayer(r); ln2Rstd = perLayer(r)
        qkv = perLayer(r * 3 * a); att = perLayer(batch * h * frames * frames); attY = perLayer(r * a)
        fc1 = perLayer(r * m); fc1Gelu = perLayer(r * m)
        lnF = floats(r * d); lnFMean = floats(r); lnFRstd = floats(r)
        let heads = config.heads.count
        dec1 = (0..<heads).map { _ in floats(r * d) }; dec1Gelu = (0..<heads).map { _ in floats(r * d) }
        outputs = (0..<heads).map { _ in floats(r * config.nNotes) }

        dResidual = trainingOnly(r * d); dNorm = trainingOnly(r * d)
        dQKV = trainingOnly(r * 3 * a); dAttY = trainingOnly(r * a); dScores = trainingOnly(frames * frames)
        dHiddenGelu = trainingOnly(r * m); dHidden = trainingOnly(r * m)
        dLogits = trainingOnly(r * config.nNotes)
        dDecGelu = trainingOnly(r * d); dDec = trainingOnly(r * d)
        dPooled = trainingOnly(r * c * n)
        dA2 = trainingOnly(c * r * f); dA1 = trainingOnly(c * r * f)
        dCols = trainingOnly(scratch)
        dropMasks = (0..<(2 * layers)).map { _ in trainingOnly(r * d) }
        branch = trainingOnly(r * d); dBranch = trainingOnly(r * d)
        dContext = trainingOnly(contextWindows * d)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }
}
