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
    public func update(_ parameters: ParameterBlock, gradients: ParameterBlock) {
        step += 1
        let s = settings
        let correction1 = 1 - pow(Double(s.beta1), Double(step))
        let correction2 = 1 - pow(Double(s.beta2), Double(step))
        let stepSize = Float(Double(s.learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let p = parameters.values, g = gradients.values, mm = m.values, vv = v.values
        for i in 0..<p.count {
            mm[i] = s.beta1 * mm[i] + (1 - s.beta1) * g[i]
            vv[i] = s.beta2 * vv[i] + (1 - s.beta2) * g[i] * g[i]
            p[i] -= stepSize * mm[i] / (vv[i].squareRoot() / rootCorrection2 + s.epsilon)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
