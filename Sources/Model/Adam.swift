// Adam: the optimizer, one flat loop over the parameter block (moments share its layout).

/// Adam's settings (PyTorch's defaults: lr 1e-3 there, 5e-4 for this model).
public struct AdamSettings: Sendable, Equatable, Codable {
    public var learningRate: Float = 5e-4
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public init(learningRate: Float = 5e-4, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// Adam's state: first and second moments for every parameter, and the step count.
public final class AdamOptimizer {
    public var settings: AdamSettings
    public let m: ParameterBlock
    public let v: ParameterBlock
    /// Steps taken so far (the bias corrections use step + 1 for the next one).
    public var step: Int = 0

    public init(layout: ParameterLayout, settings: AdamSettings = AdamSettings()) {
        self.settings = settings
        m = ParameterBlock(layout: layout)
        v = ParameterBlock(layout: layout)
    }

    /// One step, as torch.optim.Adam (no weight decay, no amsgrad):
    /// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
    /// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    /// `range` limits the step to part of the block (the rest is left alone); the step count
    /// advances once a call either way.
    public func update(_ parameters: ParameterBlock, gradients: ParameterBlock, range: Range<Int>? = nil) {
        step += 1
        let s = settings
        let correction1 = 1 - pow(Double(s.beta1), Double(step))
        let correction2 = 1 - pow(Double(s.beta2), Double(step))
        let stepSize = Float(Double(s.learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let range = range ?? 0..<parameters.values.count
        let p = parameters.values.baseAddress!, g = gradients.values.baseAddress!
        let mm = m.values.baseAddress!, vv = v.values.baseAddress!
        // Eight lanes at a time by hand: the four blocks may alias as far as the compiler knows,
        // so it keeps the loop scalar, and the square root and division then cost 8 ms a step
        // of the default network. The lanes do the scalar loop's operations in its order, so the
        // results are the same bits. The square root is one vector instruction only because
        // Package.swift compiles with -fno-math-errno.
        typealias Lanes = SIMD8<Float>
        let b1 = Lanes(repeating: s.beta1), b2 = Lanes(repeating: s.beta2)
        let c1 = Lanes(repeating: 1 - s.beta1), c2 = Lanes(repeating: 1 - s.beta2)
        let size = Lanes(repeating: stepSize), root = Lanes(repeating: rootCorrection2), eps = Lanes(repeating: s.epsilon)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self)
            let mi = b1 * UnsafeRawPointer(mm + i).loadUnaligned(as: Lanes.self) + c1 * gi
            let vi = b2 * UnsafeRawPointer(vv + i).loadUnaligned(as: Lanes.self) + c2 * gi * gi
            let pi = UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self) - size * mi / (vi.squareRoot() / root + eps)
            UnsafeMutableRawPointer(mm + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(vv + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: Lanes.self)
            i += 8
        }
        while i < range.upperBound {
            mm[i] = s.beta1 * mm[i] + (1 - s.beta1) * g[i]
            vv[i] = s.beta2 * vv[i] + (1 - s.beta2) * g[i] * g[i]
            p[i] -= stepSize * mm[i] / (vv[i].squareRoot() / rootCorrection2 + s.epsilon)
            i += 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
