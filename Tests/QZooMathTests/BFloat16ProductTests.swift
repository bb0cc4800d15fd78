import Testing
import QZooCore
@testable import QZooMath

@Suite struct BFloat16ProductTests {
    /// Deterministic values of mixed sign and magnitude, most not representable in bfloat16.
    func matrix(rows: Int, width: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<rows * width).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_003) / 1_000_000 - 1 + Float(state >> 60) / 3
        }
    }

    /// `Σ_r a[r][i]·b[r][j]` in float64 on the bfloat16-rounded inputs.
    func reference(_ a: [Float], _ b: [Float], rows: Int, width: Int) -> [Double] {
        var c = [Double](repeating: 0, count: width * width)
        for r in 0..<rows {
            for i in 0..<width {
                let x = Double(BFloat16Product.rounded(a[r * width + i]))
                for j in 0..<width { c[i * width + j] += x * Double(BFloat16Product.rounded(b[r * width + j])) }
            }
        }
        return c
    }

    func pack(_ x: [Float], rows: Int, width: Int) throws -> BFloat16Product.Packed {
        try x.withUnsafeBufferPointer { try BFloat16Product.pack($0, rows: rows, width: width) }
    }

    /// Largest `|c − expected|` relative to `Σ_r |a[r][i]·b[r][j]|`'s scale (float32 sums).
    func worstError(_ c: [Float], _ expected: [Double], where include: (Int, Int) -> Bool, width: Int) -> Double {
        let scale = expected.map(abs).max() ?? 1
        var worst = 0.0
        for i in 0..<width {
            for j in 0..<width where include(i, j) { worst = max(worst, abs(Double(c[i * width + j]) - expected[i * width + j]) / scale) }
        }
        return worst
    }

    @Test func roundingIsToNearestEven() {
        #expect(BFloat16Product.rounded(1) == 1)
        #expect(BFloat16Product.rounded(Float(bitPattern: 0x3F80_8000)) == 1)  // a tie: stays even
        #expect(BFloat16Product.rounded(Float(bitPattern: 0x3F81_8000)) == Float(bitPattern: 0x3F82_0000))  // a tie: up to even
        #expect(BFloat16Product.rounded(Float(bitPattern: 0x3F80_8001)) == Float(bitPattern: 0x3F81_0000))
        #expect(BFloat16Product.rounded(-3.14159) == -3.140625)
        #expect(BFloat16Product.rounded(.infinity) == .infinity)
    }

    /// Odd row counts (the last pair padded) and widths ending in tiles of one, two and three
    /// panels; the product adds to what `c` held.
    @Test(arguments: [(7, 48), (33, 16), (5, 32), (64, 144), (9, 80)])
    func productMatchesRoundedReference(_ rows: Int, _ width: Int) throws {
        let a = matrix(rows: rows, width: width, seed: 1), b = matrix(rows: rows, width: width, seed: 2)
        var c = [Float](repeating: 0.5, count: width * width)
        try c.withUnsafeMutableBufferPointer {
            try BFloat16Product.addTransposedProduct(try pack(a, rows: rows, width: width), try pack(b, rows: rows, width: width), into: $0)
        }
        let expected = reference(a, b, rows: rows, width: width).map { $0 + 0.5 }
        #expect(worstError(c, expected, where: { _, _ in true }, width: width) < 1e-5)
    }

    @Test(arguments: [96, 112])
    func gramFillsTheUpperTriangle(_ width: Int) throws {
        let rows = 41
        let a = matrix(rows: rows, width: width, seed: 3)
        var c = [Float](repeating: 0, count: width * width)
        try c.withUnsafeMutableBufferPointer { try BFloat16Product.addGram(try pack(a, rows: rows, width: width), into: $0) }
        let expected = reference(a, a, rows: rows, width: width)
        #expect(worstError(c, expected, where: { $1 >= $0 }, width: width) < 1e-5)
    }

    /// Rounding is what the kernel multiplies: a product of values already in bfloat16 is exact
    /// up to float32 summation, one of values that are not differs from the float32 product.
    @Test func inputsAreRoundedToBFloat16() throws {
        let (rows, width) = (2, 48)
        var a = [Float](repeating: 0, count: rows * width)
        a[0] = 1 + 1 / 1024  // not a bfloat16 value: rounds to 1
        var c = [Float](repeating: 0, count: width * width)
        try c.withUnsafeMutableBufferPointer { try BFloat16Product.addGram(try pack(a, rows: rows, width: width), into: $0) }
        #expect(c[0] == 1)
    }

    /// The kernel serves every width it tiles on a CPU that has it; other widths fall back.
    @Test func kernelRunsWhereAvailable() throws {
        #expect(try pack(matrix(rows: 3, width: 96, seed: 6), rows: 3, width: 96).usesKernel == BFloat16Product.accelerated)
        #expect(try !pack(matrix(rows: 3, width: 40, seed: 6), rows: 3, width: 40).usesKernel)
    }

    /// Rows replaced in a rounded weight hold what rounding the spliced weight gives, in the
    /// kernel's panels of 16 outputs (8 inputs) or the fallback's rows (7 inputs); rows that do
    /// not start and end on the kernel's panels are refused.
    @Test(arguments: [8, 7])
    func replacedRowsEqualRoundingTheSplicedWeight(inputs: Int) throws {
        let outputs = 48
        let w = matrix(rows: outputs, width: inputs, seed: 11), part = matrix(rows: 16, width: inputs, seed: 12)
        var spliced = w
        spliced.replaceSubrange(16 * inputs ..< 32 * inputs, with: part)
        let original = try w.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        var weight = original
        try part.withUnsafeBufferPointer { try weight.replaceRows(16 ..< 32, with: $0) }
        let expected = try spliced.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        #expect(weight.packed == expected.packed && weight.rounded == expected.rounded)
        #expect(weight.packed != original.packed || weight.rounded != original.rounded)
        let eight = Array(part[..<(8 * inputs)])
        if weight.usesKernel {
            #expect(throws: QZooError.self) { try eight.withUnsafeBufferPointer { try weight.replaceRows(8 ..< 16, with: $0) } }
        }
        #expect(throws: QZooError.self) { try part.withUnsafeBufferPointer { try weight.replaceRows(40 ..< 56, with: $0) } }
    }

    /// `x·Wᵀ + bias (+ residual)` written over whatever `c` held: row counts with a partial last
    /// tile of 8, one to three panels of outputs, with and without a residual; odd inputs and
    /// outputs that are no multiple of 16 take the fallback. The sum is landed as
    /// `(bias + residual) + product`, so a zero product gives exactly `bias + residual`.
    @Test(arguments: [(1, 6, 16), (7, 34, 48), (13, 40, 32), (29, 18, 80), (70, 64, 144), (9, 5, 16), (9, 6, 3)])
    func linearMatchesRoundedReference(_ rows: Int, _ inputs: Int, _ outputs: Int) throws {
        let x = matrix(rows: rows, width: inputs, seed: 7), w = matrix(rows: outputs, width: inputs, seed: 8)
        let bias = matrix(rows: 1, width: outputs, seed: 9), residual = matrix(rows: rows, width: outputs, seed: 10)
        let weight = try w.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        for withResidual in [false, true] {
            var c = [Float](repeating: .nan, count: rows * outputs)
            try x.withUnsafeBufferPointer { x in
                try bias.withUnsafeBufferPointer { b in
                    try residual.withUnsafeBufferPointer { r in
                        try c.withUnsafeMutableBufferPointer {
                            try BFloat16Product.linear(x, rows: rows, weight: weight, bias: b, residual: withResidual ? r : nil, into: $0)
                        }
                    }
                }
            }
            var worst = 0.0, scale = 0.0
            for r in 0..<rows {
                for o in 0..<outputs {
                    let start = Double(bias[o]) + (withResidual ? Double(residual[r * outputs + o]) : 0)
                    let expected = start + (0..<inputs).reduce(0.0) {
                        $0 + Double(BFloat16Product.rounded(x[r * inputs + $1])) * Double(BFloat16Product.rounded(w[o * inputs + $1]))
                    }
                    worst = max(worst, abs(Double(c[r * outputs + o]) - expected))
                    scale = max(scale, abs(expected))
                }
            }
            #expect(worst / scale < 1e-5)
        }
        #expect(weight.usesKernel == (BFloat16Product.accelerated && outputs % 16 == 0 && inputs % 2 == 0))
        var c = [Float](repeating: .nan, count: rows * outputs)
        try [Float](repeating: 0, count: rows * inputs).withUnsafeBufferPointer { zero in
            try bias.withUnsafeBufferPointer { b in
                try residual.withUnsafeBufferPointer { r in
                    try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(zero, rows: rows, weight: weight, bias: b, residual: r, into: $0) }
                }
            }
        }
        #expect((0..<rows * outputs).allSatisfy { c[$0] == bias[$0 % outputs] + residual[$0] })
    }

    /// Rows rounded once and kept (`roundedRows`) give the product of the float32 rows, bit for
    /// bit, with and without a residual and with a partial last tile of 8 rows; the rounding
    /// needs an even width and the product a weight in the kernel and the rows' width.
    @Test(arguments: [(1, 6, 16), (13, 40, 32), (29, 18, 48)])
    func keptRoundedRowsGiveTheSameProduct(_ rows: Int, _ inputs: Int, _ outputs: Int) throws {
        guard BFloat16Product.accelerated else { return }
        let x = matrix(rows: rows, width: inputs, seed: 21), w = matrix(rows: outputs, width: inputs, seed: 22)
        let bias = matrix(rows: 1, width: outputs, seed: 23), residual = matrix(rows: rows, width: outputs, seed: 24)
        let weight = try w.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        let rounded = try x.withUnsafeBufferPointer { try BFloat16Product.roundedRows($0, rows: rows, width: inputs) }
        for withResidual in [false, true] {
            var (direct, kept) = ([Float](repeating: .nan, count: rows * outputs), [Float](repeating: .nan, count: rows * outputs))
            try bias.withUnsafeBufferPointer { b in
                try residual.withUnsafeBufferPointer { r in
                    try x.withUnsafeBufferPointer { x in
                        try direct.withUnsafeMutableBufferPointer {
                            try BFloat16Product.linear(x, rows: rows, weight: weight, bias: b, residual: withResidual ? r : nil, into: $0)
                        }
                    }
                    try kept.withUnsafeMutableBufferPointer {
                        try BFloat16Product.linear(rounded, weight: weight, bias: b, residual: withResidual ? r : nil, into: $0)
                    }
                }
            }
            #expect(kept.map(\.bitPattern) == direct.map(\.bitPattern))
        }
        #expect(throws: QZooError.self) { try x.withUnsafeBufferPointer { try BFloat16Product.roundedRows($0, rows: rows, width: inputs + 1) } }
        let other = try matrix(rows: outputs, width: inputs + 2, seed: 25).withUnsafeBufferPointer {
            try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs + 2)
        }
        var c = [Float](repeating: 0, count: rows * outputs)
        #expect(throws: QZooError.self) {
            try bias.withUnsafeBufferPointer { b in try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(rounded, weight: other, bias: b, residual: nil, into: $0) } }
        }
    }

    /// With `gelu` the kernel activates each tile as it stores it, bit for bit as `gelu` does over
    /// the stored product (the float32 pass every other product takes): pre-activations from
    /// −24 to 24 cover erf's central and tail pieces, the clamp at 4 and the saturated ends, and
    /// 37 rows end in a partial tile. (Without AVX512-BF16 both sides take the fallback.)
    @Test func fusedGELUHasTheBitsOfTheSeparatePass() throws {
        let (rows, inputs, outputs) = (37, 6, 96)
        let x = matrix(rows: rows, width: inputs, seed: 11), w = matrix(rows: outputs, width: inputs, seed: 12)
        let bias = (0..<outputs).map { Float($0) / Float(outputs - 1) * 48 - 24 }
        let weight = try w.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        func run(gelu: Bool) throws -> [Float] {
            var c = [Float](repeating: .nan, count: rows * outputs)
            try x.withUnsafeBufferPointer { x in
                try bias.withUnsafeBufferPointer { b in
                    try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(x, rows: rows, weight: weight, bias: b, residual: nil, gelu: gelu, into: $0) }
                }
            }
            return c
        }
        let fused = try run(gelu: true)
        var separate = try run(gelu: false)
        separate.withUnsafeMutableBufferPointer { gelu($0) }
        #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern))
        #expect(fused.contains { $0 < -0.1 } && fused.contains { $0 > 20 } && fused.contains { abs($0) < 0.5 })
    }

    /// Packing can take the column sums on the way: added into the running float64 sums row by row,
    /// the same bits as the plain loop, for the kernel (48 wide) and the fallback (40 wide), with
    /// an odd row count (the last pair's zero row is not added).
    @Test(arguments: [48, 40])
    func packingAddsColumnSumsInRowOrder(_ width: Int) throws {
        let rows = 7
        let x = matrix(rows: rows, width: width, seed: 13)
        var expected = (0..<width).map { Double($0) / 3 - 5 }
        var sums = expected
        for r in 0..<rows {
            for c in 0..<width { expected[c] += Double(x[r * width + c]) }
        }
        let packed = try x.withUnsafeBufferPointer { x in
            try sums.withUnsafeMutableBufferPointer { try BFloat16Product.pack(x, rows: rows, width: width, addingColumnSumsTo: $0) }
        }
        #expect(sums.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(packed.usesKernel == (BFloat16Product.accelerated && width % 16 == 0))
        var short = [Double](repeating: 0, count: width - 1)
        #expect(throws: QZooError.self) {
            try x.withUnsafeBufferPointer { x in
                try short.withUnsafeMutableBufferPointer { try BFloat16Product.pack(x, rows: rows, width: width, addingColumnSumsTo: $0) }
            }
        }
    }

    /// An output kept only rounded (`linearRounded`) is, bit for bit, what `roundedRows` and
    /// `pack` (with column sums) make of `linear`'s float32 output: through GELU and without,
    /// for row counts that end in a partial tile, an odd last pair, or a single row; 96 columns
    /// are two tiles of three panels. Without `sums` there is nothing packed.
    @Test(arguments: [(37, true), (8, false), (1, true), (70, true)])
    func keptRoundedOutputIsTheRoundingOfTheProduct(_ rows: Int, _ activate: Bool) throws {
        let (inputs, outputs) = (6, 96)
        guard BFloat16Product.accelerated else { return }
        let x = matrix(rows: rows, width: inputs, seed: 21), w = matrix(rows: outputs, width: inputs, seed: 22)
        let bias = (0..<outputs).map { Float($0) / Float(outputs - 1) * 12 - 6 }
        let weight = try w.withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: outputs, inFeatures: inputs) }
        let input = try x.withUnsafeBufferPointer { try BFloat16Product.roundedRows($0, rows: rows, width: inputs) }
        var c = [Float](repeating: .nan, count: rows * outputs)
        try bias.withUnsafeBufferPointer { b in
            try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(input, weight: weight, bias: b, residual: nil, gelu: activate, into: $0) }
        }
        let start = (0..<outputs).map { Double($0) / 7 - 3 }
        var (expectedSums, sums) = (start, start)
        let expectedRows = try c.withUnsafeBufferPointer { try BFloat16Product.roundedRows($0, rows: rows, width: outputs) }
        let expectedPacked = try c.withUnsafeBufferPointer { c in
            try expectedSums.withUnsafeMutableBufferPointer { try BFloat16Product.pack(c, rows: rows, width: outputs, addingColumnSumsTo: $0) }
        }
        let (kept, packed) = try bias.withUnsafeBufferPointer { b in
            try sums.withUnsafeMutableBufferPointer { try BFloat16Product.linearRounded(input, weight: weight, bias: b, gelu: activate, packingWithColumnSumsInto: $0) }
        }
        #expect(kept.rows == rows && kept.width == outputs && kept.values == expectedRows.values)
        #expect(packed?.rows == rows && packed?.packed == expectedPacked.packed)
        #expect(sums.map(\.bitPattern) == expectedSums.map(\.bitPattern) && sums != start)
        let alone = try bias.withUnsafeBufferPointer { try BFloat16Product.linearRounded(input, weight: weight, bias: $0, gelu: activate, packingWithColumnSumsInto: nil) }
        #expect(alone.kept.values == expectedRows.values && alone.packed == nil)
        var short = [Double](repeating: 0, count: outputs - 1)
        #expect(throws: QZooError.self) {
            try bias.withUnsafeBufferPointer { b in
                try short.withUnsafeMutableBufferPointer { try BFloat16Product.linearRounded(input, weight: weight, bias: b, gelu: activate, packingWithColumnSumsInto: $0) }
            }
        }
    }

    @Test func mismatchedShapesAreRefused() throws {
        let a = try pack(matrix(rows: 4, width: 48, seed: 4), rows: 4, width: 48)
        let b = try pack(matrix(rows: 5, width: 48, seed: 5), rows: 5, width: 48)
        var c = [Float](repeating: 0, count: 48 * 48)
        #expect(throws: QZooError.self) { try c.withUnsafeMutableBufferPointer { try BFloat16Product.addTransposedProduct(a, b, into: $0) } }
        #expect(throws: QZooError.self) { try [Float](repeating: 0, count: 10).withUnsafeBufferPointer { try BFloat16Product.pack($0, rows: 4, width: 48) } }
        let weight = try [Float](repeating: 1, count: 32).withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: 16, inFeatures: 2) }
        #expect(throws: QZooError.self) { try [Float](repeating: 1, count: 32).withUnsafeBufferPointer { try BFloat16Product.linearWeight($0, outFeatures: 16, inFeatures: 4) } }
        let bias = [Float](repeating: 0, count: 16)
        #expect(throws: QZooError.self) {
            try [Float](repeating: 1, count: 5).withUnsafeBufferPointer { x in
                try bias.withUnsafeBufferPointer { b in try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(x, rows: 3, weight: weight, bias: b, residual: nil, into: $0) } }
            }
        }
        #expect(throws: QZooError.self) {
            try [Float](repeating: 1, count: 6).withUnsafeBufferPointer { x in
                try bias.withUnsafeBufferPointer { b in
                    try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(x, rows: 3, weight: weight, bias: b, residual: UnsafeBufferPointer(rebasing: b[0..<8]), into: $0) }
                }
            }
        }
        #expect(throws: QZooError.self) {
            try [Float](repeating: 1, count: 6).withUnsafeBufferPointer { x in
                try bias.withUnsafeBufferPointer { b in
                    try c.withUnsafeMutableBufferPointer { try BFloat16Product.linear(x, rows: 3, weight: weight, bias: UnsafeBufferPointer(rebasing: b[0..<15]), residual: nil, into: $0) }
                }
            }
        }
    }
}
