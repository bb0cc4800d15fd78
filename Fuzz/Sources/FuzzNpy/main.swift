import FuzzSupport
import QZooCore
import QZooFormats

/// A `.npy` file's bytes must parse (header and data, with or without a void dtype) or throw.
runLibFuzzer { data, size in
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let storage = ByteStorage(owning: bytes)
    for voidDType in [nil, DType.bf16] {
        if let tensor = try? NpyFile.readTensor(storage: storage, voidDType: voidDType) {
            _ = tensor.withBytes { $0.reduce(0, &+) }
        }
    }
    return 0
}
