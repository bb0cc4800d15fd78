/// How a linear layer's input is quantized at run time (W8A8 schemes such as SmoothQuant):
/// an integer grid `q = clamp(round(x / scale) + zeroPoint)` followed by `(q − zeroPoint) · scale`,
/// exactly ONNX QuantizeLinear → DequantizeLinear in float32 (ties to even, saturation at the
/// type's bounds).
///
/// It lives in Core, next to the checkpoint that carries it, so that every format can persist it
/// and the built-in forward pass can simulate exactly what an export describes.
public struct ActivationQuantization: Sendable, Equatable, Hashable {
    public enum Scheme: Sendable, Equatable, Hashable {
        /// One scale and zero point for every token, fixed from calibration.
        case staticPerTensor(scale: Float, zeroPoint: Int)
        /// Symmetric, one scale per token (row) computed when it arrives:
        /// `scale = max(max_j |x_j|, 1e-5) / qmax` with `qmax = 2^(bits−1) − 1`, zero point 0
        /// (SmoothQuant's `quantize_activation_per_token_absmax`).
        case dynamicPerToken
    }

    /// The width of the integer type: 2, 4, 8 or 16 (the ONNX integer widths).
    public let bits: Int
    /// Signed (`INTw`, `[−2^(b−1), 2^(b−1) − 1]`) or unsigned (`UINTw`, `[0, 2^b − 1]`).
    public let signed: Bool
    public let scheme: Scheme

    /// The smallest per-token magnitude the dynamic scheme divides by (keeps all-zero rows finite).
    public static let dynamicFloor: Float = 1e-5

    /// Validates everything a runtime would reject: the width, a finite positive scale, a zero
    /// point inside the type's range, and a signed type for the (symmetric) dynamic scheme.
    public init(bits: Int, signed: Bool, scheme: Scheme) throws {
        guard [2, 4, 8, 16].contains(bits) else {
            throw QZooError.malformed("activation bits must be 2, 4, 8 or 16 (an ONNX integer width), got \(bits)")
        }
        self.bits = bits
        self.signed = signed
        self.scheme = scheme
        switch scheme {
        case .staticPerTensor(let scale, let zeroPoint):
            guard scale.isFinite, scale > 0 else {
                throw QZooError.malformed("activation scale must be finite and positive, got \(scale)")
            }
            guard range.contains(zeroPoint) else {
                throw QZooError.malformed("activation zero point \(zeroPoint) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        case .dynamicPerToken:
            guard signed else { throw QZooError.malformed("dynamic per-token activation quantization is symmetric and needs a signed type") }
        }
    }

    /// The integer type's range.
    @inlinable
    public var range: ClosedRange<Int> {
        signed ? -(1 << (bits - 1)) ... (1 << (bits - 1)) - 1 : 0 ... (1 << bits) - 1
    }

    /// Quantizes and dequantizes `rows × columns` row-major values in place, as the runtime does.
    @inlinable
    public func simulate<T: BinaryFloatingPoint>(_ x: UnsafeMutableBufferPointer<T>, rows: Int, columns: Int) {
        let (low, high) = (T(range.lowerBound), T(range.upperBound))
        switch scheme {
        case .staticPerTensor(let scale, let zeroPoint):
            Self.roundTrip(x, scale: T(scale), zero: T(zeroPoint), low: low, high: high)
        case .dynamicPerToken:
            for row in 0..<rows {
                let slice = UnsafeMutableBufferPointer(rebasing: x[row * columns ..< (row + 1) * columns])
                var magnitude: T = 0
                for value in slice { magnitude = Swift.max(magnitude, Swift.abs(value)) }
                let scale = Swift.max(magnitude, T(Self.dynamicFloor)) / high
                Self.roundTrip(slice, scale: scale, zero: 0, low: low, high: high)
            }
        }
    }

    @inlinable
    static func roundTrip<T: BinaryFloatingPoint>(_ x: UnsafeMutableBufferPointer<T>, scale: T, zero: T, low: T, high: T) {
        for i in x.indices {
            let q = Swift.min(Swift.max((x[i] / scale).rounded(.toNearestOrEven) + zero, low), high)
            x[i] = (q - zero) * scale
        }
    }
}
