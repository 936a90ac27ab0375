// StreamingCQT: the incremental sliding constant-Q transform. Push audio in chunks of any size;
// each frame is delivered as soon as the samples it needs have arrived. The batch transform is
// this same engine fed a whole signal, so training and live use compute the same numbers.

/// Samples of one decimation level, with their absolute indices. Indices below 0 (before the
/// stream began) hold zeros. Storage is allocated once; old samples are dropped by compaction.
final class LevelBuffer {
    let data: UnsafeMutablePointer<Float>
    let capacity: Int
    /// Zero samples kept before index 0 at the start.
    let history: Int
    /// Absolute index of data[0].
    var base: Int
    /// Absolute index one past the newest sample.
    var end: Int

    init(capacity: Int, history: Int) {
        self.capacity = capacity
        self.history = history
        data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
        base = -history
        end = 0
    }

    /// Back to the state of a new stream.
    func reset() {
        data.update(repeating: 0, count: capacity)
        base = -history
        end = 0
    }

    deinit { data.deallocate() }

    var free: Int { capacity - (end - base) }

    /// Pointer such that pointer[i] is the sample of absolute index i.
    @inline(__always) var absolute: UnsafeMutablePointer<Float> { data - base }

    /// Drops samples before absolute index `keepFrom`.
    func compact(keepFrom: Int) {
        let shift = keepFrom - base
        guard shift > 0 else { return }
        let count = end - keepFrom
        if count > 0 { data.update(from: data + shift, count: count) }
        base = keepFrom
    }
}

/// The incremental transform. Not thread-safe: one instance per audio stream.
///
/// `push` never allocates: level buffers, FFT buffers and the frame are allocated at init.
/// Frame t describes the instant t * hop (samples); frames are numbered from 0.
public final class StreamingCQT {
    public let bank: CQTKernelBank
    public var settings: CQTSettings { bank.settings }
    /// Frames delivered so far.
    public private(set) var framesEmitted = 0
    /// Samples pushed so far.
    public private(set) var samplesPushed = 0
    public private(set) var isFinished = false

    private let levels: [LevelBuffer]
    private let ffts: [RealFFT]
    /// The bank's groups and mel bands as the per-frame loops read them (GroupPlan).
    private let plans: UnsafeMutableBufferPointer<GroupPlan>
    private let melPlans: UnsafeMutableBufferPointer<MelPlan>
    private let melCount: Int
    private var owned: [UnsafeMutableRawPointer] = []
    private let frame: UnsafeMutableBufferPointer<Float>
    /// mel: the DFT magnitudes the bands sum (the frame itself for cqt and stft).
    private let magnitudes: UnsafeMutableBufferPointer<Float>
    private let epsilon: Float
    private let chunk: Int

    public convenience init(settings: CQTSettings, planning: FFTPlanning = .measure) throws(CQTError) {
        self.init(bank: try CQTKernelBank(settings: settings), planning: planning)
    }

    public init(bank: CQTKernelBank, planning: FFTPlanning = .measure) {
        self.bank = bank
        let hop = bank.settings.hopLength, h = bank.decimator.halfLength
        // Each level keeps what the next frame's blocks and the next decimation read, plus room
        // for the samples one internal chunk brings.
        let chunkSize = max(hop, 1024)
        chunk = chunkSize
        levels = (0...bank.maxLevel).map { level in
            let blocks = bank.groups.filter { $0.level == level }.map { $0.fftSize + abs($0.causalOffset) }.max() ?? 0
            let history = blocks + 2 * h + 2 * (hop >> level) + 8
            // A frame waiting for its look-ahead holds every level's samples since its instant.
            let pending = (bank.lookahead >> level) + blocks
            return LevelBuffer(capacity: history + pending + (chunkSize >> level) + 2 * hop + 4 * h + 64, history: history)
        }
        var sizes: [Int: RealFFT] = [:]
        ffts = bank.groups.map { g in
            if let existing = sizes[g.fftSize] { return existing }
            let fft = RealFFT(size: g.fftSize, planning: planning)
            sizes[g.fftSize] = fft
            return fft
        }
        frame = .allocate(capacity: bank.settings.binCount)
        frame.initialize(repeating: 0)
        magnitudes = bank.melBands.isEmpty ? frame : .allocate(capacity: bank.groupOutputs)
        if !bank.melBands.isEmpty { magnitudes.initialize(repeating: 0) }
        epsilon = Float(bank.settings.compressionEpsilon)
        var owned: [UnsafeMutableRawPointer] = []
        func copy<T>(_ values: [T]) -> UnsafeBufferPointer<T> {
            let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
            _ = p.initialize(from: values)
            owned.append(UnsafeMutableRawPointer(p.baseAddress!))
            return UnsafeBufferPointer(rebasing: p[0..<values.count])
        }
        plans = .allocate(capacity: bank.groups.count)
        for (i, g) in bank.groups.enumerated() {
            (plans.baseAddress! + i).initialize(to: GroupPlan(
                bins: g.bins, level: g.level, fftSize: g.fftSize, supportLength: g.supportLength, supportStart: g.supportStart,
                causalOffset: g.causalOffset, segments: copy(g.segments), realWeights: copy(g.realWeights).baseAddress!,
                imaginaryWeights: copy(g.imaginaryWeights).baseAddress!))
        }
        melCount = bank.melBands.count
        melPlans = .allocate(capacity: max(melCount, 1))
        for (m, band) in bank.melBands.enumerated() {
            (melPlans.baseAddress! + m).initialize(to: MelPlan(first: band.first, weights: copy(band.weights)))
        }
        self.owned = owned
    }

    deinit {
        if magnitudes.baseAddress != frame.baseAddress { magnitudes.deallocate() }
        frame.deallocate()
        plans.deallocate()
        melPlans.deallocate()
        for p in owned { p.deallocate() }
    }

    /// Samples after a frame's instant that must arrive before it is delivered.
    public var lookahead: Int { bank.lookahead }
    public var lookaheadMilliseconds: Double { bank.lookaheadMilliseconds }

    /// Pushes mono samples at the settings' rate; calls `onFrame(t, frame)` for every frame that
    /// becomes complete, in order. `frame` (binCount values, lowest bin first) is valid only
    /// during the call.
    public func push(_ samples: UnsafeBufferPointer<Float>,
                     onFrame: (Int, UnsafeBufferPointer<Float>) -> Void) throws(CQTError) {
        guard !isFinished else { throw .finished }
        var offset = 0
        let level0 = levels[0]
        while offset < samples.count {
            compact()
            let n = min(samples.count - offset, chunk, level0.free)
            precondition(n > 0, "StreamingCQT: level buffers are full; their sizing is wrong")
            (level0.absolute + level0.end).update(from: samples.baseAddress! + offset, count: n)
            level0.end += n
            samplesPushed += n
            offset += n
            decimate()
            emitReadyFrames(onFrame)
        }
    }

    public func push(_ samples: [Float], onFrame: (Int, UnsafeBufferPointer<Float>) -> Void) throws(CQTError) {
        try samples.withUnsafeBufferPointer { (buffer) throws(CQTError) in try push(buffer, onFrame: onFrame) }
    }

    /// Ends the stream: the signal is taken as zero after the last sample, and every frame up to
    /// floor(samplesPushed / hop) (the last whose instant lies within the signal) is delivered.
    public func finish(onFrame: (Int, UnsafeBufferPointer<Float>) -> Void) throws(CQTError) {
        guard !isFinished else { throw .finished }
        let total = finalFrameCount
        let level0 = levels[0]
        while framesEmitted < total {
            compact()
            let n = min(chunk, level0.free)
            precondition(n > 0, "StreamingCQT: level buffers are full; their sizing is wrong")
            (level0.absolute + level0.end).update(repeating: 0, count: n)
            level0.end += n
            decimate()
            emitReadyFrames(onFrame, limit: total)
        }
        isFinished = true
    }

    /// The frames a finished stream of `samplesPushed` samples has: floor(n / hop) + 1, and none
    /// for a stream that never had a sample.
    public var finalFrameCount: Int { samplesPushed == 0 ? 0 : samplesPushed / settings.hopLength + 1 }

    /// Forgets all audio; the next push starts a new stream at sample 0.
    public func reset() {
        for level in levels { level.reset() }
        framesEmitted = 0
        samplesPushed = 0
        isFinished = false
    }

    // MARK: Decimation

    /// Computes every level-l sample whose inputs at level l-1 have arrived.
    private func decimate() {
        let h = bank.decimator.halfLength
        bank.decimator.oddTaps.withUnsafeBufferPointer { taps in
            for l in 1..<levels.count {
                let source = levels[l - 1], target = levels[l]
                let x = UnsafePointer(source.absolute), y = target.absolute
                // y[j] needs x[2j + H].
                var j = target.end
                let last = min((source.end - 1 - h) / 2, target.base + target.capacity - 1)
                // Eight outputs at a time: the even lanes of 16 inputs from each tap's offset are
                // the eight outputs' inputs for that tap (the same sums in the same order as the
                // scalar loop below, so the same bits). `j + 8 <= last` keeps the 16th lane of
                // the right-most load within the samples that have arrived.
                while j + 8 <= last {
                    let c = x + 2 * j
                    var sum = 0.5 * load16(c).evenHalf
                    for n in 0..<taps.count {
                        let i = 2 * n + 1
                        sum += taps[n] * (load16(c - i).evenHalf + load16(c + i).evenHalf)
                    }
                    UnsafeMutableRawPointer(y + j).storeBytes(of: sum, as: SIMD8<Float>.self)
                    j += 8
                }
                while j <= last {
                    let c = x + 2 * j
                    var sum: Float = 0.5 * c[0]
                    for n in 0..<taps.count {
                        let i = 2 * n + 1
                        sum += taps[n] * (c[-i] + c[i])
                    }
                    y[j] = sum
                    j += 1
                }
                target.end = max(target.end, j)
            }
        }
    }

    /// Drops samples no future frame or decimation will read.
    private func compact() {
        let hop = settings.hopLength, h = bank.decimator.halfLength
        for (l, level) in levels.enumerated() {
            var keep = level.end
            let instant = framesEmitted * hop >> l
            for g in plans where g.level == l {
                keep = min(keep, blockStart(g, instant: instant))
            }
            if l + 1 < levels.count { keep = min(keep, 2 * levels[l + 1].end - h) }
            level.compact(keepFrom: max(level.base, keep - 1))
        }
    }

    // MARK: Frames

    /// Absolute level index of the first copied sample of group g's block for a frame whose
    /// instant is `instant` level samples.
    @inline(__always)
    private func blockStart(_ g: GroupPlan, instant: Int) -> Int {
        settings.alignment == .centred
            ? instant - g.fftSize / 2 + g.supportStart
            : instant + g.causalOffset - g.supportLength
    }

    private func frameIsReady(_ t: Int) -> Bool {
        let hop = settings.hopLength
        if settings.alignment == .causal && levels[0].end < t * hop { return false }
        for g in plans {
            let last = blockStart(g, instant: t * hop >> g.level) + g.supportLength
            if levels[g.level].end < last { return false }
        }
        return true
    }

    private func emitReadyFrames(_ onFrame: (Int, UnsafeBufferPointer<Float>) -> Void, limit: Int = .max) {
        while framesEmitted < limit && frameIsReady(framesEmitted) {
            computeFrame(framesEmitted)
            onFrame(framesEmitted, UnsafeBufferPointer(frame))
            framesEmitted += 1
        }
    }

    private func computeFrame(_ t: Int) {
        let hop = settings.hopLength
        let out = magnitudes.baseAddress!
        for index in 0..<plans.count {
            let g = plans[index], fft = ffts[index]
            let input = fft.input.baseAddress!
            input.update(repeating: 0, count: g.fftSize)
            let source = levels[g.level].absolute + blockStart(g, instant: t * hop >> g.level)
            (input + g.supportStart).update(from: source, count: g.supportLength)
            fft.execute()
            let spectrum = UnsafeRawPointer(fft.output.baseAddress!).assumingMemoryBound(to: Float.self)
            for i in 0..<g.segments.count {
                let segment = g.segments[i]
                out[g.bins.lowerBound + i] = complexMagnitude(
                    spectrum + 2 * segment.firstBin, g.realWeights + segment.offset,
                    g.imaginaryWeights + segment.offset, vectors: segment.count / 4)
            }
        }
        for m in 0..<melCount {
            let band = melPlans[m]
            var sum: Float = 0
            for k in 0..<band.weights.count { sum += band.weights[k] * out[band.first + k] }
            frame[m] = sum
        }
        logInPlace(frame.baseAddress!, count: frame.count, epsilon: epsilon)
    }
}

/// A group's kernel as the per-frame loops read it: plain values and pointers into buffers the
/// engine owns. Reading an OctaveGroup copied it, retaining and releasing its four arrays for
/// every group of every frame - a fifth of the batch transform's time.
struct GroupPlan {
    var bins: Range<Int>, level: Int, fftSize: Int, supportLength: Int, supportStart: Int, causalOffset: Int
    var segments: UnsafeBufferPointer<KernelSegment>
    var realWeights: UnsafePointer<Float>, imaginaryWeights: UnsafePointer<Float>
}

/// A mel band as the per-frame loop reads it (see GroupPlan).
struct MelPlan {
    var first: Int
    var weights: UnsafeBufferPointer<Float>
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// |sum x * realWeights + i sum x * imaginaryWeights| over `vectors` runs of 8 floats
/// (4 interleaved complex values each).
@inline(__always)
func complexMagnitude(_ x: UnsafePointer<Float>, _ realWeights: UnsafePointer<Float>,
                      _ imaginaryWeights: UnsafePointer<Float>, vectors: Int) -> Float {
    var re = SIMD8<Float>(), im = SIMD8<Float>()
    for v in 0..<vectors {
        let xs = UnsafeRawPointer(x + 8 * v).loadUnaligned(as: SIMD8<Float>.self)
        re += xs * UnsafeRawPointer(realWeights + 8 * v).loadUnaligned(as: SIMD8<Float>.self)
        im += xs * UnsafeRawPointer(imaginaryWeights + 8 * v).loadUnaligned(as: SIMD8<Float>.self)
    }
    let r = re.sum(), i = im.sum()
    return (r * r + i * i).squareRoot()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
