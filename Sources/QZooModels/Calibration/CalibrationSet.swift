import QZooCore

/// Input statistics of one linear layer (see `formats/calibration.md`).
public struct LayerCalibration: Sendable, Equatable {
    public var inFeatures: Int
    /// Tokens the statistics were taken over (`n`).
    public var tokens: Int
    /// `XᵀX / n`, `[inFeatures × inFeatures]` row-major, symmetric.
    public var hessian: [Double]
    /// Per input channel max |x|; nil when an imported file does not provide it.
    public var absMax: [Float]?
    /// Per input channel mean |x|; nil when an imported file does not provide it.
    public var absMean: [Float]?
    /// Per input channel mean x (signed): what bias correction multiplies the weight error by;
    /// nil when not measured (imported files).
    public var mean: [Double]?
    /// The same tokens' input in the float model: `X_floatᵀ X / n` (float model's channels as
    /// rows) and its mean. Only asymmetric sequential calibration measures them; files never
    /// carry them.
    public var reference: ReferenceInput?

    public init(inFeatures: Int, tokens: Int, hessian: [Double], absMax: [Float]?, absMean: [Float]?, mean: [Double]? = nil,
                reference: ReferenceInput? = nil) {
        self.inFeatures = inFeatures
        self.tokens = tokens
        self.hessian = hessian
        self.absMax = absMax
        self.absMean = absMean
        self.mean = mean
        self.reference = reference
    }
}

/// A linear layer's input in the float model, measured beside its input in the quantized model
/// (`LayerCalibration.reference`).
public struct ReferenceInput: Sendable, Equatable {
    /// `X_floatᵀ X / n`, `[inFeatures × inFeatures]` row-major, float model's channels as rows.
    public var cross: [Double]
    /// Per input channel mean of the float model's input.
    public var mean: [Double]

    public init(cross: [Double], mean: [Double]) {
        self.cross = cross
        self.mean = mean
    }
}

/// Per-linear-layer calibration statistics, keyed by weight name: what GPTQ, AWQ, SmoothQuant
/// and QuIP# consume, whether qzoo computed them or another framework did.
public struct CalibrationSet: Sendable {
    public var layers: [String: LayerCalibration]
    /// Layer names in model order (the order they are written in).
    public var order: [String]
    public var metadata: [String: String]

    public init(layers: [String: LayerCalibration], order: [String], metadata: [String: String]) {
        self.layers = layers
        self.order = order
        self.metadata = metadata
    }

    /// The tensor-name suffixes of the file format.
    public enum Field: String, CaseIterable, Sendable {
        case hessian, tokens
        case absMax = "act_absmax"
        case absMean = "act_absmean"
        case mean = "act_mean"
    }
}
