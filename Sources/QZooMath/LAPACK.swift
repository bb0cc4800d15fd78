import COpenBLAS
import QZooCore

/// A `BLASScalar` LAPACK factorises: Cholesky (`potrf`) and triangular inverse (`trtri`).
public protocol LAPACKScalar: BLASScalar {
    /// Column-major lower Cholesky in place; returns LAPACK's `info` (0 = success).
    static func rawLowerCholesky(_ a: UnsafeMutablePointer<Self>, n: Int32) -> Int32
    /// Column-major lower-triangular inverse in place; returns LAPACK's `info`.
    static func rawLowerTriangularInverse(_ a: UnsafeMutablePointer<Self>, n: Int32) -> Int32
    /// Solves `A X = B` in place of the column-major `n × count` B, given A's lower Cholesky
    /// factor; returns LAPACK's `info`.
    static func rawCholeskySolve(_ factor: UnsafePointer<Self>, n: Int32, _ b: UnsafeMutablePointer<Self>, count: Int32) -> Int32
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
    public static func rawCholeskySolve(_ factor: UnsafePointer<Float>, n: Int32, _ b: UnsafeMutablePointer<Float>, count: Int32) -> Int32 {
        var info: Int32 = 0, size = n, columns = count
        spotrs_("L", &size, &columns, factor, &size, b, &size, &info, 1)
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
    public static func rawCholeskySolve(_ factor: UnsafePointer<Double>, n: Int32, _ b: UnsafeMutablePointer<Double>, count: Int32) -> Int32 {
        var info: Int32 = 0, size = n, columns = count
        dpotrs_("L", &size, &columns, factor, &size, b, &size, &info, 1)
        return info
    }
}

/// Checked LAPACK factorisations for the Hessian-aware rounding methods.
public enum LAPACK {
    /// Overwrites the lower triangle of the column-major `n×n` symmetric `matrix` (only that
    /// triangle is read) with its Cholesky factor `L`, `matrix = L·Lᵀ`; the strict upper triangle
    /// is left as it was. Returns false when the matrix is not numerically positive definite
    /// (the lower triangle then holds a partial factorisation).
    public static func lowerCholesky<T: LAPACKScalar>(_ matrix: UnsafeMutableBufferPointer<T>, n: Int) throws -> Bool {
        guard n > 0, let count = CheckedMath.multiply(n, n), matrix.count == count, let base = matrix.baseAddress else {
            throw QZooError(.invalidArgument, "lowerCholesky needs an \(n)×\(n) matrix, got \(matrix.count) elements")
        }
        return T.rawLowerCholesky(base, n: try BLAS.int32(n)) == 0
    }

    /// Overwrites the lower triangle of the column-major `n×n` lower-triangular `matrix` with its
    /// inverse (the strict upper triangle is neither read nor written). Returns false when a
    /// diagonal element is exactly 0.
    public static func invertLowerTriangle<T: LAPACKScalar>(_ matrix: UnsafeMutableBufferPointer<T>, n: Int) throws -> Bool {
        guard n > 0, let count = CheckedMath.multiply(n, n), matrix.count == count, let base = matrix.baseAddress else {
            throw QZooError(.invalidArgument, "invertLowerTriangle needs an \(n)×\(n) matrix, got \(matrix.count) elements")
        }
        return T.rawLowerTriangularInverse(base, n: try BLAS.int32(n)) == 0
    }

    /// Solves `A X = B` for the symmetric positive definite `n×n` A whose lower Cholesky factor
    /// `lowerCholesky` left in `factor`, overwriting the column-major `n × count` B with X. For
    /// a row-major `count × n` matrix Z that is `Z·A⁻¹` in place (A is symmetric).
    public static func choleskySolve<T: LAPACKScalar>(factor: UnsafeBufferPointer<T>, n: Int, _ b: UnsafeMutableBufferPointer<T>,
                                                      count: Int) throws {
        guard n > 0, count >= 0, let size = CheckedMath.multiply(n, n), factor.count == size,
              let values = CheckedMath.multiply(n, count), b.count == values else {
            throw QZooError(.invalidArgument, "choleskySolve needs an \(n)×\(n) factor and \(n)×\(count) right-hand sides, got "
                            + "\(factor.count) and \(b.count) elements")
        }
        guard count > 0, let factorBase = factor.baseAddress, let base = b.baseAddress else { return }
        let info = T.rawCholeskySolve(factorBase, n: try BLAS.int32(n), base, count: try BLAS.int32(count))
        guard info == 0 else { throw QZooError(.invalidArgument, "choleskySolve: LAPACK reported argument \(-info) invalid") }
    }
}
