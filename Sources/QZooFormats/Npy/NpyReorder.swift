/// Copies `.npy` array data into the layout tensors use: C order, little-endian.
///
/// numpy writes Fortran-ordered arrays in column-major order and keeps the byte order of
/// big-endian arrays; both must be rearranged into owned storage once, on read. Everything here
/// runs after `NpyHeader` validated the sizes, so no product below can overflow.
enum NpyReorder {
    /// Whether data in this layout differs from little-endian C order. A Fortran-ordered array
    /// with at most one dimension longer than 1 is laid out exactly as in C order.
    static func needsCopy(shape: [Int], fortranOrder: Bool, swapBytes: Bool) -> Bool {
        swapBytes || (fortranOrder && shape.filter { $0 > 1 }.count > 1)
    }

    /// Writes the elements of `source` (`shape`, `width`-byte elements, column-major when
    /// `fortranOrder`, byte-reversed when `swapBytes`) to `destination` in little-endian C order.
    static func copy(from source: UnsafeRawPointer, shape: [Int], width: Int, fortranOrder: Bool, swapBytes: Bool, into destination: UnsafeMutableRawPointer) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let move = elementMover(width: width, swapBytes: swapBytes)
        guard let last = shape.indices.last else {
            move(source, destination)
            return
        }
        let strides = sourceStrides(shape: shape, width: width, fortranOrder: fortranOrder)
        var index = [Int](repeating: 0, count: last)
        var rowStart = 0
        var written = 0
        for _ in 0..<(count / shape[last]) {
            var offset = rowStart
            for _ in 0..<shape[last] {
                move(source + offset, destination + written)
                offset += strides[last]
                written += width
            }
            advance(&index, rowStart: &rowStart, shape: shape, strides: strides)
        }
    }

    /// Byte strides of each dimension in the source layout.
    static func sourceStrides(shape: [Int], width: Int, fortranOrder: Bool) -> [Int] {
        var strides = [Int](repeating: 0, count: shape.count)
        var step = width
        for axis in (fortranOrder ? Array(shape.indices) : shape.indices.reversed()) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Steps the odometer over all dimensions but the last, keeping `rowStart` at the source
    /// offset of the current row.
    static func advance(_ index: inout [Int], rowStart: inout Int, shape: [Int], strides: [Int]) {
        var axis = index.count - 1
        while axis >= 0 {
            index[axis] += 1
            rowStart += strides[axis]
            if index[axis] < shape[axis] { return }
            rowStart -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }

    static func elementMover(width: Int, swapBytes: Bool) -> (UnsafeRawPointer, UnsafeMutableRawPointer) -> Void {
        guard swapBytes else { return { $1.copyMemory(from: $0, byteCount: width) } }
        switch width {
        case 2: return { $1.storeBytes(of: $0.loadUnaligned(as: UInt16.self).byteSwapped, as: UInt16.self) }
        case 4: return { $1.storeBytes(of: $0.loadUnaligned(as: UInt32.self).byteSwapped, as: UInt32.self) }
        case 8: return { $1.storeBytes(of: $0.loadUnaligned(as: UInt64.self).byteSwapped, as: UInt64.self) }
        default: return { source, target in
            for byte in 0..<width { target.storeBytes(of: source.load(fromByteOffset: width - 1 - byte, as: UInt8.self), toByteOffset: byte, as: UInt8.self) }
        }
        }
    }
}
