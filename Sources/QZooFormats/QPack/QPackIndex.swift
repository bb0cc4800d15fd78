import QZooCore

/// The validated index of a qpack file: metadata, records in file order, and where the data
/// region starts.
///
/// `parse` is the whole structural validation of a file, in one pass, before any tensor is
/// made: preamble, index checksum, strict index JSON, every section's bounds, alignment, order
/// (hence no overlap), zero padding, and no trailing bytes. It is public so fuzz targets can
/// drive it directly. Section checksums and value checks (zero-point ranges, finite scales) need
/// the data and are the reader's next step.
public struct QPackIndex: Sendable, Equatable {
    public var metadata: [String: String]
    public var records: [QPackRecord]
    /// File offset of the data region; a multiple of 64.
    public var dataStart: Int
    /// Activation quantization of linear-layer inputs, by consuming weight name (§3.2).
    public var activations: [String: ActivationQuantization] = [:]

    public static func parse(_ file: UnsafeRawBufferPointer) throws -> QPackIndex {
        let indexLength = try parsePreamble(file)
        let indexBytes = UnsafeRawBufferPointer(rebasing: file[QPackLayout.preambleSize..<(QPackLayout.preambleSize + indexLength)])
        let stored = Array(UnsafeRawBufferPointer(rebasing: file[16..<48]))
        guard SHA256Digest.raw(indexBytes) == stored else {
            throw QZooError(.checksumMismatch, "index checksum mismatch: the index bytes do not match the SHA-256 stored in the preamble")
        }
        guard let dataStart = QPackLayout.alignUp(QPackLayout.preambleSize + indexLength), dataStart <= file.count else {
            throw QZooError.malformed("file ends inside the padding after the index (\(file.count) bytes)")
        }
        try requireZeros(file, from: QPackLayout.preambleSize + indexLength, to: dataStart, what: "padding after the index")
        let json: JSONValue
        do { json = try JSONParser.parse(indexBytes) } catch let error as QZooError {
            throw QZooError.malformed("index: \(error.message)")
        }
        var index = try decode(json)
        index.dataStart = dataStart
        try index.validateLayout(file)
        return index
    }

    /// Checks magic, version and index length; returns the index length.
    static func parsePreamble(_ file: UnsafeRawBufferPointer) throws -> Int {
        guard file.count >= QPackLayout.preambleSize else {
            throw QZooError.malformed("file is \(file.count) bytes, shorter than the \(QPackLayout.preambleSize)-byte qpack preamble")
        }
        guard Array(UnsafeRawBufferPointer(rebasing: file[0..<4])) == QPackLayout.magic else {
            throw QZooError.malformed("not a qpack file: magic bytes are not \"QZPK\"")
        }
        let version = file.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        guard version == QPackLayout.version else {
            throw QZooError.unsupported("qpack version \(version) is not supported (this qzoo reads version \(QPackLayout.version))")
        }
        let declared = file.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        guard declared <= UInt64(QPackLayout.maxIndexLength) else {
            throw QZooError(.limitExceeded, "index length \(declared) exceeds the \(QPackLayout.maxIndexLength)-byte limit")
        }
        let length = Int(declared)
        guard QPackLayout.preambleSize + length <= file.count else {
            throw QZooError.malformed("index length \(length) runs past the end of the \(file.count)-byte file")
        }
        return length
    }

    /// Walks the sections in index order: each 64-aligned, starting at or after the previous
    /// end, inside the file, with only zero bytes in between and nothing after the last.
    func validateLayout(_ file: UnsafeRawBufferPointer) throws {
        let dataLength = file.count - dataStart
        var cursor = 0
        for record in records {
            for (label, section) in record.sections {
                let place = "\(label) (offset \(section.offset), \(section.length) bytes)"
                guard section.offset % QPackLayout.alignment == 0 else {
                    throw QZooError.malformed("\(place): offset is not a multiple of \(QPackLayout.alignment)", tensor: record.name)
                }
                guard section.offset >= cursor else {
                    throw QZooError.malformed("\(place): begins before the previous section ends at \(cursor) (sections overlap or are out of index order)", tensor: record.name)
                }
                guard let end = CheckedMath.add(section.offset, section.length), end <= dataLength else {
                    throw QZooError.malformed("\(place): runs past the end of the \(dataLength)-byte data region", tensor: record.name)
                }
                try Self.requireZeros(file, from: dataStart + cursor, to: dataStart + section.offset, what: "padding before \(label) of tensor '\(record.name)'")
                cursor = end
            }
        }
        guard cursor == dataLength else {
            throw QZooError.malformed("\(dataLength - cursor) unexpected bytes after the last section")
        }
    }

    static func requireZeros(_ file: UnsafeRawBufferPointer, from start: Int, to end: Int, what: String) throws {
        guard start < end else { return }
        if let position = file[start..<end].firstIndex(where: { $0 != 0 }) {
            throw QZooError.malformed("non-zero byte at file offset \(position) in the \(what)")
        }
    }
}
