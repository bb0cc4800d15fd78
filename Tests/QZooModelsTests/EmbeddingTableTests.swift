import Testing
import QZooCore
@testable import QZooModels

/// The word-embedding table read in place: each row decodes to the same floats as a full copy of
/// the tensor, in any floating-point dtype, and a table that cannot hold rows is refused.
@Suite struct EmbeddingTableTests {
    static let (rows, width) = (7, 12)
    static let values = (0 ..< rows * width).map { Float($0 % 23) * 0.37 - 3.1 }

    @Test(arguments: [DType.f32, .f16, .bf16, .f64])
    func rowsMatchTheDecodedTensor(dtype: DType) throws {
        let tensor = try Tensor(shape: [Self.rows, Self.width], floats: Self.values).converted(to: dtype)
        var checkpoint = Checkpoint()
        checkpoint.tensors["table"] = tensor
        let table = try EmbeddingTable(checkpoint, "table", width: Self.width)
        let all = tensor.floats()
        var row = [Float](repeating: .nan, count: Self.width)
        #expect(table.rows == Self.rows)
        for id in [0, 3, Self.rows - 1] {
            row.withUnsafeMutableBufferPointer { table.row(id, into: $0) }
            #expect(row == Array(all[id * Self.width ..< (id + 1) * Self.width]), "row \(id) in \(dtype)")
        }
        row.withUnsafeMutableBufferPointer { table.row(Self.rows, into: $0) }
        #expect(row == [Float](repeating: 0, count: Self.width), "an id past the table reads zeros, not memory")
    }

    @Test func tablesThatCannotHoldRowsAreRefused() throws {
        var checkpoint = Checkpoint()
        checkpoint.tensors["ids"] = try Tensor(dtype: .i32, shape: [2, 2], bytes: [UInt8](repeating: 0, count: 16))
        checkpoint.tensors["ragged"] = try Tensor(shape: [10], floats: .init(repeating: 1, count: 10))
        for (name, width) in [("ids", 2), ("ragged", 4), ("absent", 4), ("ragged", 0)] {
            #expect(throws: QZooError.self, "\(name) with width \(width)") { try EmbeddingTable(checkpoint, name, width: width) }
        }
    }
}
