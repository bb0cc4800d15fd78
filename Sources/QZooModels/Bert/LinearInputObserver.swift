/// Sees the input of every linear layer during a forward pass (a forward hook).
///
/// The forward pass calls `observe` once per scale group and batch, before the group's
/// consumers run: `input` is `rows × columns` row-major, one row per real (non-padding) token,
/// `columns == architecture.scaleGroups[group].inFeatures`. Values are float32 (a float64 pass
/// rounds them for the observer). Calibration accumulates statistics this way; tests capture
/// activations with it.
///
/// A group whose linears carry an explicit input scale or activation quantization (W8A8) reads
/// a transformed copy: `observe` sees that copy (what the linears multiply), and
/// `observeUntransformed` the value before it (what a runtime's `Mul` receives); for other
/// groups both see the same values.
public protocol LinearInputObserver {
    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws
    mutating func observeUntransformed(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws
}

extension LinearInputObserver {
    public mutating func observeUntransformed(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {}
}

/// Which view of a scale group's input the forward pass reports.
enum InputStage {
    /// Before the explicit input multiply and activation quantization.
    case untransformed
    /// What the group's linears read.
    case consumed
}

extension LinearInputObserver {
    /// Routes one report of the forward pass to the matching method.
    mutating func report(_ stage: InputStage, group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {
        switch stage {
        case .untransformed: try observeUntransformed(group: group, input: input, rows: rows, columns: columns)
        case .consumed: try observe(group: group, input: input, rows: rows, columns: columns)
        }
    }
}

/// The observer that ignores everything: a plain forward pass.
public struct NoObserver: LinearInputObserver {
    public init() {}
    public mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {}
}

/// Where a forward pass spent its time: the linear layers' matrix products apart from the rest,
/// so throughput can be compared with the machine's sgemm rate.
public struct ForwardProfile: Sendable {
    public var linearSeconds = 0.0
    public var linearFlops = 0.0
    public var totalSeconds = 0.0
    public var tokens = 0
    public var sequences = 0

    public init() {}

    public var linearGFlopsPerSecond: Double { linearSeconds > 0 ? linearFlops / linearSeconds / 1e9 : 0 }
}
