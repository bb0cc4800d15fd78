/// Sees the input of every linear layer during a forward pass (a forward hook).
///
/// The forward pass calls `observe` once per scale group and batch, before the group's
/// consumers run: `input` is `rows × columns` row-major, one row per real (non-padding) token,
/// `columns == architecture.scaleGroups[group].inFeatures`. Values are float32 (a float64 pass
/// rounds them for the observer). Calibration accumulates statistics this way; tests capture
/// activations with it.
public protocol LinearInputObserver {
    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws
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
