import COpenBLAS
import QZooCore

/// A `BLASScalar` LAPACK factorises: Cholesky (`potrf`) and triangular inverse (`trtri`).
public protocol LAPACKScalar: BLASScalar {
    /// Column-major lower Cholesky in place; returns LAPACK's `info` (0 = success).
    static func rawLowerCholesky(_ a: UnsafeMutablePointer<Self>, n: Int32) -> Int32
    /// Column-major lower-triangular inverse in place; returns LAPACK's `info`.
    static func rawLowerTriangularInverse(_ a: UnsafeMutablePointer<Self>, n: Int32) -> Int32
}

extension Float: LAPACKScalar {
    public static func rawLowerCholesky(_ a: UnsafeMutablePointer<Float>, n: Int32) -> Int32 {
        var info: Int32 = 0, size = n
        spotrf_("L", &size, a, &size, &info, 1)
        return info
    }
    public static func rawLowerTriangularInverse(_ a: UnsafeMutablePointer<Float>, n: Int32) -> Int32 {
        var info: Int32 = 0, size = n
        strtri_("L", "N", &size, a, &size, &info, 1, 1)
        return info
    }
}

extension Double: LAPACKScalar {
    public static func rawLowerCholesky(_ a: UnsafeMutablePointer<Double>, n: Int32) -> Int32 {
        var info: Int32 = 0, size = n
        dpotrf_("L", &size, a, &size, &info, 1)
        return info
    }
    public static func rawLowerTriangularInverse(_ a: UnsafeMutablePointer<Double>, n: Int32) -> Int32 {
        var info: Int32 = 0, size = n
        dtrtri_("L", "N", &size, a, &size, &info, 1, 1)
        return info
    }
}

/// Checked LAPACK factorisations for the Hessian-aware rounding methods.
public enum LAPACK {
    /// The upper-triangular `U` with positive diagonal and `H⁻¹ = UᵀU`, row-major `n×n` (zeros
    /// below the diagonal), for a symmetric positive-definite `H` (row-major, `n×n`); nil when
    /// `H` is not numerically positive definite or the result is not finite.
    ///
    /// This is GPTQ's `cholesky(cholesky_inverse(cholesky(H)), upper=True)` at half the cost:
    /// with `J` the reversal permutation and `JHJ = L′L′ᵀ`, `U = J·L′⁻¹·J` (one Cholesky and one
    /// triangular inverse instead of two Choleskys and an inverse). `U` is unique, so both agree
    /// up to rounding.
    public static func inverseUpperCholesky(_ h: UnsafeBufferPointer<Float>, n: Int) throws -> [Float]? {
        try upperFactor(h, n: n)
    }

    /// `inverseUpperCholesky` in float64.
    public static func inverseUpperCholesky(_ h: UnsafeBufferPointer<Double>, n: Int) throws -> [Double]? {
        try upperFactor(h, n: n)
    }

    /// Generic body, internal so it is specialised here (an unspecialised generic called from
    /// another module runs its element loops through witness tables, ~100× slower).
    static func upperFactor<T: LAPACKScalar>(_ h: UnsafeBufferPointer<T>, n: Int) throws -> [T]? {
        guard n > 0, let count = CheckedMath.multiply(n, n), h.count == count else {
            throw QZooError(.invalidArgument, "inverseUpperCholesky needs an \(n)×\(n) matrix, got \(h.count) elements")
        }
        let size = try BLAS.int32(n)
        // Column-major view of the flipped matrix; symmetric, so layout does not matter.
        var work = [T](repeating: 0, count: count)
        for i in 0..<count { work[i] = h[count - 1 - i] }
        let ok = work.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return T.rawLowerCholesky(base, n: size) == 0 && T.rawLowerTriangularInverse(base, n: size) == 0
        }
        guard ok else { return nil }
        // Row-major U[i, j] = L′⁻¹[n−1−i, n−1−j], stored column-major at (n−1−i) + (n−1−j)·n.
        var upper = [T](repeating: 0, count: count)
        for i in 0..<n {
            for j in i..<n {
                let value = work[(n - 1 - i) + (n - 1 - j) * n]
                guard value.isFinite else { return nil }
                upper[i * n + j] = value
            }
        }
        return upper
    }
}
