/// Overflow-checked arithmetic for sizes derived from untrusted input.
///
/// Shapes and offsets come from file headers; a product that overflows must become an error,
/// never a trap or a silently wrapped allocation size.
public enum CheckedMath {
    /// The product of `values`, or nil on overflow or a negative factor.
    public static func product(_ values: [Int]) -> Int? {
        var result = 1
        for value in values {
            guard value >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            result = next
        }
        return result
    }

    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// Bytes needed for `shape` elements of `dtype`, or nil on overflow.
    public static func byteCount(shape: [Int], dtype: DType) -> Int? {
        guard let count = product(shape) else { return nil }
        return multiply(count, dtype.byteSize)
    }
}
