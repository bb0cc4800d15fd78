/// How far a reconstructed weight `Ŵ` is from the original `W`, accumulated in float64.
public struct ReconstructionError: Sendable, Equatable {
    /// `max |W − Ŵ|`.
    public var maxAbsolute: Double
    /// `‖W − Ŵ‖₂ / ‖W‖₂`: scale-free, so layers of different magnitude compare; 0 when both
    /// norms are 0, infinite when only `W` is 0.
    public var relativeRMS: Double

    public init(maxAbsolute: Double, relativeRMS: Double) {
        self.maxAbsolute = maxAbsolute
        self.relativeRMS = relativeRMS
    }

    /// Compares two arrays of equal length element by element.
    public init(original: [Float], reconstructed: [Float]) {
        var maxAbsolute = 0.0, errorSquares = 0.0, originalSquares = 0.0
        for (w, r) in zip(original, reconstructed) {
            let difference = Double(w) - Double(r)
            maxAbsolute = Swift.max(maxAbsolute, Swift.abs(difference))
            errorSquares += difference * difference
            originalSquares += Double(w) * Double(w)
        }
        let ratio = errorSquares == 0 ? 0 : (errorSquares / originalSquares).squareRoot()
        self.init(maxAbsolute: maxAbsolute, relativeRMS: ratio)
    }
}
