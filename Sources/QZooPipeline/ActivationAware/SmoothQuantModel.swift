import Foundation
import QZooCore
import QZooModels
import QZooQuant

/// The settings of SmoothQuant with W8A8 activation quantization.
public struct SmoothQuantParameters: Sendable, Equatable {
    /// Migration strength: `s_j = max|X_j|^α / max|W_j|^(1−α)`.
    public var alpha: Double
    /// Activation bits (signed, symmetric); 8 for W8A8.
    public var activationBits: Int
    public var activationScheme: ActivationScheme

    public enum ActivationScheme: String, Sendable, CaseIterable {
        /// One scale per linear input from calibration: `max_j max|x_j / s_j| / qmax`.
        case `static`
        /// One scale per token at run time (SmoothQuant's `per_token` fake quantization).
        case dynamic
    }

    public init(alpha: Double, activationBits: Int = 8, activationScheme: ActivationScheme = .static) {
        self.alpha = alpha
        self.activationBits = activationBits
        self.activationScheme = activationScheme
    }

    public func validate() throws {
        guard alpha.isFinite, (0...1).contains(alpha) else { throw QZooError(.invalidArgument, "smoothquant: alpha must be in [0, 1], got \(alpha)") }
        guard [4, 8, 16].contains(activationBits) else {
            throw QZooError(.invalidArgument, "smoothquant: activation bits must be 4, 8 or 16 (ONNX integer widths), got \(activationBits)")
        }
    }
}

/// SmoothQuant (Xiao et al., `smooth_ln_fcs`) over a model qzoo knows the scale groups of, plus
/// the activation quantization parameters of W8A8.
///
/// Every LayerNorm → linears group is smoothed with `s_j = max(max|X_j|^α / w_j^(1−α), 1e-5)`,
/// `w_j = max(max |W[:, j]| over all the group's linears, 1e-5)`, folded where the group is
/// foldable and carried as an explicit input multiply otherwise (BERT's LayerNorms also feed the
/// residual stream). Then every selected linear's input gets its activation quantization: static
/// per-tensor from the smoothed calibration maxima, or dynamic per token.
public struct SmoothQuantModel: Sendable {
    public let parameters: SmoothQuantParameters

    public init(parameters: SmoothQuantParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    /// The smoothed dense checkpoint (with `activations` set for the selected linears) and the
    /// calibration statistics transformed to match.
    public func run(_ checkpoint: Checkpoint, architecture: BertArchitecture, calibration: CalibrationSet,
                    selected: Set<String>) throws -> (checkpoint: Checkpoint, calibration: CalibrationSet) {
        var checkpoint = checkpoint, calibration = calibration
        for group in architecture.scaleGroups {
            guard case .layerNorm = group.producer, group.consumers.contains(where: selected.contains) else { continue }
            let s = try scales(group, checkpoint, calibration)
            try ScaleApplication.apply(s, to: group, checkpoint: &checkpoint, calibration: &calibration)
        }
        for layer in architecture.linearLayers where selected.contains(layer.name) {
            checkpoint.activations[layer.name] = try activation(for: layer.name, calibration)
        }
        return (checkpoint, calibration)
    }

    func scales(_ group: ScaleGroup, _ checkpoint: Checkpoint, _ calibration: CalibrationSet) throws -> [Float] {
        guard let first = group.consumers.first, let absMax = calibration.layers[first]?.absMax else {
            throw QZooError(.invalidArgument, "smoothquant needs the max |x| of this layer's input; the calibration data has none", tensor: group.consumers.first)
        }
        var weightMax = [Float](repeating: 0, count: group.inFeatures)
        for name in group.consumers {
            guard let weight = checkpoint.tensors[name], weight.shape == [weight.shape.first ?? 0, group.inFeatures] else {
                throw QZooError.malformed("must be a dense [rows, \(group.inFeatures)] weight", tensor: name)
            }
            let values = weight.floats()
            for (index, value) in values.enumerated() { weightMax[index % group.inFeatures] = max(weightMax[index % group.inFeatures], abs(value)) }
        }
        return zip(absMax, weightMax).map { x, w in
            let s = pow(Double(x), parameters.alpha) / pow(Double(max(w, 1e-5)), 1 - parameters.alpha)
            return Float(max(s, 1e-5))
        }
    }

    func activation(for name: String, _ calibration: CalibrationSet) throws -> ActivationQuantization {
        let qmax = Float((1 << (parameters.activationBits - 1)) - 1)
        switch parameters.activationScheme {
        case .dynamic:
            return try ActivationQuantization(bits: parameters.activationBits, signed: true, scheme: .dynamicPerToken)
        case .static:
            guard let absMax = calibration.layers[name]?.absMax else {
                throw QZooError(.invalidArgument, "static activation scales need the max |x| of this layer's input; the calibration data has none", tensor: name)
            }
            let peak = max(absMax.max() ?? 0, ActivationQuantization.dynamicFloor)
            return try ActivationQuantization(bits: parameters.activationBits, signed: true, scheme: .staticPerTensor(scale: peak / qmax, zeroPoint: 0))
        }
    }
}
